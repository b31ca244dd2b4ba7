// SPDX-License-Identifier: GPL-2.0

//! `subtree`: send only events on objects at or below one of a set of
//! directories.
//!
//! Args: `struct fan_subtree_args` of `src/uapi/fanotify_filters.h`. The
//! roots are kept in an [`InodeSet`], so one walk from the event's object to
//! the filesystem root decides membership, whatever the number of roots.
//! Which object and which parents an event is about (both parents of a
//! rename, say) is the rule of [`Event::locate`].

use super::{args, roots::root_set};
use kernel::fs::fanotify::{Event, Filter, InodeSet, OwnedInodeSet, Place, RcuReadSide, Verdict};
use kernel::{c_str, prelude::*};

/// Parses `struct fan_subtree_args` and resolves the root fds into a set.
pub(crate) fn parse(args: &[u8]) -> Result<OwnedInodeSet> {
    root_set(args::parse_subtree(args)?)
}

/// Whether the event's object is at or below one of `roots`.
pub(crate) fn selects(roots: &InodeSet, event: &Event<'_>) -> bool {
    // Inside, or unknown: never lose an event the user may want.
    event.locate(roots) != Place::Outside
}

/// The `subtree` filter type.
pub(crate) struct Subtree;

#[vtable]
impl Filter for Subtree {
    const NAME: &'static CStr = c_str!("subtree");
    const DESCRIPTION: &'static CStr = c_str!("send only events at or below the given directories");
    const ARGS_DESCRIPTION: &'static CStr =
        c_str!("struct fan_subtree_args { u32 version = 1; u32 nr_roots 1..4096; s32 root_fds[nr_roots]; }");
    // Only ever removes events from a group the caller could create
    // anyway, and resolves only fds the caller holds.
    const UNPRIVILEGED: bool = true;
    // The set itself: the C side holds its pointer, so a call reaches it
    // with no extra load.
    type State = OwnedInodeSet;

    fn init(args: &[u8]) -> Result<OwnedInodeSet> {
        parse(args)
    }

    fn filter<'e>(roots: &InodeSet, event: &'e Event<'_>, _rcu: &RcuReadSide) -> Verdict<'e> {
        Verdict::send_if(selects(roots, event))
    }
}
