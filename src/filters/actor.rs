// SPDX-License-Identifier: GPL-2.0

//! `actor`: send only events caused by given processes (tgids) or users
//! (effective uids), or, with `FAN_ACTOR_EXCLUDE`, only events caused by
//! others; `FAN_ACTOR_NOT_SELF` also drops the events of the process that
//! attached the filter (a listener's own reads of the files it is told
//! about, say).
//!
//! tgids and uids are those of the initial namespaces. Root only: a
//! filter by actor would tell an unprivileged listener who causes events,
//! which fanotify hides from it.
//!
//! Args: `struct fan_actor_args` of `src/uapi/fanotify_filters.h`.

use super::{read_u32, read_words};
use crate::fanotify::{current_tgid, Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
const HEADER_SIZE: usize = 16;
/// Most tgids, and most uids, one attachment may name.
pub(crate) const MAX_IDS: usize = 64;
/// Skip the events of the named actors instead of sending only theirs.
const EXCLUDE: u32 = 1;
/// Skip the events of the process that attached the filter.
const NOT_SELF: u32 = 2;

/// Who the filter is about.
pub(crate) struct Actors {
    tgids: KVec<i32>,
    uids: KVec<u32>,
    exclude: bool,
    not_self: bool,
    /// The process that attached the filter.
    attacher: i32,
}

impl Actors {
    /// Parses `struct fan_actor_args`; `attacher` is the process whose
    /// events `FAN_ACTOR_NOT_SELF` drops.
    pub(crate) fn parse(args: &[u8], attacher: i32) -> Result<Self> {
        if args.len() < HEADER_SIZE || read_u32(args, 0)? != ARGS_VERSION {
            return Err(EINVAL);
        }
        let flags = read_u32(args, 4)?;
        let nr_tgids = read_u32(args, 8)? as usize;
        let nr_uids = read_u32(args, 12)? as usize;
        if flags & !(EXCLUDE | NOT_SELF) != 0
            || nr_tgids > MAX_IDS
            || nr_uids > MAX_IDS
            || args.len() != HEADER_SIZE + 4 * (nr_tgids + nr_uids)
        {
            return Err(EINVAL);
        }
        // A filter that selects nothing, or lets everything through, is a
        // caller's bug.
        let named = nr_tgids + nr_uids > 0;
        if !named && (flags & EXCLUDE == 0 || flags & NOT_SELF == 0) {
            return Err(EINVAL);
        }
        let tgids = read_words(args, HEADER_SIZE, nr_tgids, |tgid| match tgid as i32 {
            tgid if tgid > 0 => Ok(tgid),
            _ => Err(EINVAL),
        })?;
        let uids = read_words(args, HEADER_SIZE + 4 * nr_tgids, nr_uids, Ok)?;
        Ok(Self {
            tgids,
            uids,
            exclude: flags & EXCLUDE != 0,
            not_self: flags & NOT_SELF != 0,
            attacher,
        })
    }

    /// Whether the event's actor passes.
    pub(crate) fn selects(&self, event: &Event<'_>) -> bool {
        let tgid = event.actor_tgid();
        if self.not_self && tgid == self.attacher {
            return false;
        }
        if self.tgids.is_empty() && self.uids.is_empty() {
            return true;
        }
        let named = self.tgids.contains(&tgid) || self.uids.contains(&event.actor_uid());
        named != self.exclude
    }

    /// The process that attached, for a reconfiguration to keep.
    pub(crate) fn attacher(&self) -> i32 {
        self.attacher
    }
}

/// The `actor` filter type.
pub(crate) struct ActorFilter;

#[vtable]
impl Filter for ActorFilter {
    const NAME: &'static CStr = c_str!("actor");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events of (or, to exclude, not of) given processes or users");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_actor_args { u32 version = 1; u32 flags: 1 exclude, 2 not self; u32 nr_tgids <= 64; u32 nr_uids <= 64; s32 tgids[nr_tgids]; u32 uids[nr_uids]; }"
    );
    type State = Actors;

    fn init(args: &[u8]) -> Result<impl PinInit<Actors, Error>> {
        // Runs in the attaching task.
        Actors::parse(args, current_tgid())
    }

    /// "Self" stays the process that attached, whoever reconfigures.
    fn reconfigure(old: &Actors, args: &[u8]) -> Result<impl PinInit<Actors, Error>> {
        Actors::parse(args, old.attacher())
    }

    fn filter(state: &Actors, event: &Event<'_>) -> Verdict {
        Verdict::send_if(state.selects(event))
    }
}
