// SPDX-License-Identifier: GPL-2.0

//! `kind`: send only events on directories, or only events on
//! non-directories, which FAN_ONDIR cannot express (it only adds directory
//! events to the others).
//!
//! Args: `struct fan_kind_args` of `src/uapi/fanotify_filters.h`.

use super::args::{self, KindArg};
use kernel::fs::fanotify::{self, Event, Filter, RcuReadSide, StateRef, Verdict};
use kernel::{c_str, prelude::*};

/// Whether the event's object is of the kind `kind`.
pub(crate) fn selects(kind: KindArg, event: &Event<'_>) -> bool {
    match kind {
        KindArg::Directories => event.is_dir(),
        KindArg::NonDirectories => !event.is_dir(),
    }
}

/// The `kind` filter type.
pub(crate) struct KindFilter;

#[vtable]
impl Filter for KindFilter {
    const NAME: &'static CStr = c_str!("kind");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events on directories, or only on non-directories");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_kind_args { u32 version = 1; u32 kind: 1 directories, 2 non-directories; }"
    );
    // Only removes events from the caller's own group.
    const UNPRIVILEGED: bool = true;
    type State = Pin<KBox<KindArg>>;

    fn init(args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(args::parse_kind(args)?)
    }

    fn filter<'e>(
        kind: StateRef<'_, Self>,
        event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        Verdict::send_if(selects(*kind, event))
    }
}
