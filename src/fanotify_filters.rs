// SPDX-License-Identifier: GPL-2.0

//! In-kernel fanotify filters written in Rust.
//!
//! [`filters`] holds the filters, in safe code, on top of
//! [`kernel::fs::fanotify`], the kernel's safe abstraction of the filter
//! hook (added by the patch series, for 6.12 and 7.3 alike), which holds
//! every `unsafe` part. [`kernel_guard`] is a group the module owns, with
//! the `guard` filter, which root configures through sysfs: no daemon.

use kernel::prelude::*;

mod filters;
mod kernel_guard;

use filters::{
    actor::ActorFilter, kind::KindFilter, name::NameFilter, policy::Policy, subtree::Subtree,
};
use kernel::fs::fanotify::Registration;
use kernel_guard::KernelGuardGroup;

module! {
    type: FanotifyFilters,
    name: "fanotify_filters",
    description: "In-kernel fanotify event filters",
    license: "GPL",
}

struct FanotifyFilters {
    /// The kernel-resident guard, which also registers the `guard` filter.
    /// Dropped first: its group is destroyed before the filters go.
    _kernel_guard: Pin<KBox<KernelGuardGroup>>,
    _subtree: Registration<Subtree>,
    _kind: Registration<KindFilter>,
    _name: Registration<NameFilter>,
    _actor: Registration<ActorFilter>,
    _policy: Registration<Policy>,
}

impl Drop for FanotifyFilters {
    fn drop(&mut self) {
        if self._kernel_guard.data().armed() {
            pr_warn!("the kernel-resident guard was armed: unloading disarms it\n");
        }
    }
}

impl kernel::Module for FanotifyFilters {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _kernel_guard: KBox::pin_init(kernel_guard::new(module), GFP_KERNEL)?,
            _subtree: Registration::new(module)?,
            _kind: Registration::new(module)?,
            _name: Registration::new(module)?,
            _actor: Registration::new(module)?,
            _policy: Registration::new(module)?,
        })
    }
}
