// SPDX-License-Identifier: GPL-2.0

//! In-kernel fanotify filters written in Rust.
//!
//! [`filters`] holds the filters, in safe code, on top of
//! [`kernel::fs::fanotify`], the kernel's safe abstraction of the filter
//! hook (added by the patch series, for 6.12 and 7.3 alike), which holds
//! every `unsafe` part.

use kernel::prelude::*;

mod filters;

use filters::{
    actor::ActorFilter, guard::Guard, kind::KindFilter, name::NameFilter, policy::Policy,
    subtree::Subtree,
};
use kernel::fs::fanotify::Registration;

module! {
    type: FanotifyFilters,
    name: "fanotify_filters",
    description: "In-kernel fanotify event filters",
    license: "GPL",
}

struct FanotifyFilters {
    _subtree: Registration<Subtree>,
    _guard: Registration<Guard>,
    _kind: Registration<KindFilter>,
    _name: Registration<NameFilter>,
    _actor: Registration<ActorFilter>,
    _policy: Registration<Policy>,
}

impl kernel::Module for FanotifyFilters {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _subtree: Registration::new(module)?,
            _guard: Registration::new(module)?,
            _kind: Registration::new(module)?,
            _name: Registration::new(module)?,
            _actor: Registration::new(module)?,
            _policy: Registration::new(module)?,
        })
    }
}
