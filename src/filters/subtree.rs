// SPDX-License-Identifier: GPL-2.0

//! `subtree`: send only events on objects at or below one of a set of
//! directories.
//!
//! Args: `struct fan_subtree_args` of `src/uapi/fanotify_filters.h`. The
//! roots are kept as [`InodeId`]s in an open-addressing hash set, so one walk
//! from the event's object to the filesystem root decides membership,
//! whatever the number of roots.

use super::{
    read_u32,
    roots::{parse_fds, RootSet, HEADER_SIZE},
};
use crate::fanotify::{Ancestry, Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
/// Longest ancestor chain walked; deeper objects are sent, not lost.
const MAX_DEPTH: usize = 2048;

/// Parses `struct fan_subtree_args` and resolves the root fds into a set.
pub(crate) fn parse(args: &[u8]) -> Result<RootSet> {
    if args.len() < HEADER_SIZE || read_u32(args, 0)? != ARGS_VERSION {
        return Err(EINVAL);
    }
    let nr_roots = read_u32(args, 4)? as usize;
    RootSet::new(&parse_fds(args, HEADER_SIZE, nr_roots)?)
}

/// Whether the event's object is at or below one of `roots`.
pub(crate) fn selects(roots: &RootSet, event: &Event<'_>) -> bool {
    match event.find_ancestor(MAX_DEPTH, |id| roots.contains(id)) {
        Ancestry::NotFound => false,
        // Inside, or unknown: never lose an event the user may want.
        Ancestry::Found | Ancestry::Unknown => true,
    }
}

/// State of one attachment.
#[pin_data]
pub(crate) struct SubtreeState {
    roots: RootSet,
}

/// The `subtree` filter type.
pub(crate) struct Subtree;

#[vtable]
impl Filter for Subtree {
    const NAME: &'static CStr = c_str!("subtree");
    const DESCRIPTION: &'static CStr = c_str!("send only events at or below the given directories");
    const ARGS_DESCRIPTION: &'static CStr =
        c_str!("struct fan_subtree_args { u32 version = 1; u32 nr_roots <= 4096; s32 root_fds[nr_roots]; }");
    // Only ever removes events from a group the caller could create
    // anyway, and resolves only fds the caller holds.
    const UNPRIVILEGED: bool = true;
    type State = SubtreeState;

    fn init(args: &[u8]) -> Result<impl PinInit<SubtreeState, Error>> {
        let roots = parse(args)?;
        Ok(try_pin_init!(SubtreeState { roots }))
    }

    fn filter(state: &SubtreeState, event: &Event<'_>) -> Verdict {
        Verdict::send_if(selects(&state.roots, event))
    }
}
