// SPDX-License-Identifier: GPL-2.0

//! A filter whose name is given at build time, in the environment variable
//! `FANFILTER_NAME_CHECK`: `scripts/name-check.sh` builds it with valid
//! and with invalid names, which `kernel::fs::fanotify` must refuse at
//! compile time, before the kernel would refuse them at registration.

use kernel::fs::fanotify::{self, Event, Filter, RcuReadSide, Registration, StateRef, Verdict};
use kernel::{c_str, prelude::*};

module! {
    type: NameCheck,
    name: "name_check",
    description: "A fanotify filter named at build time",
    license: "GPL",
}

struct NameCheck {
    _filter: Registration<Named>,
}

impl kernel::Module for NameCheck {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _filter: Registration::new(module)?,
        })
    }
}

struct Named;

#[vtable]
impl Filter for Named {
    const NAME: &'static CStr = c_str!(env!("FANFILTER_NAME_CHECK"));
    const DESCRIPTION: &'static CStr = c_str!("sends every event");
    const ARGS_DESCRIPTION: &'static CStr = c_str!("none");

    type State = Pin<KBox<u8>>;

    fn init(_args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(0)
    }

    fn filter<'e>(
        _state: StateRef<'_, Self>,
        _event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        Verdict::Send
    }
}
