// SPDX-License-Identifier: GPL-2.0

//! In-kernel fanotify filters written in Rust.
//!
//! [`fanotify`] is the safe abstraction of the kernel's filter hook and the
//! only place with `unsafe`; [`filters`] holds the filters, in safe code.

use kernel::prelude::*;

pub mod fanotify;
mod filters;

use fanotify::Registration;
use filters::{
    actor::ActorFilter, guard::Guard, kind::KindFilter, name::NameFilter, policy::Policy,
    subtree::Subtree,
};

module! {
    type: FanotifyFilters,
    name: "fanotify_filters",
    author: "fanotify-filter developers",
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
