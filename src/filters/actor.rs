// SPDX-License-Identifier: GPL-2.0

//! `actor`: send only events caused by given processes (tgids) or users
//! (effective uids), or, with `FAN_ACTOR_EXCLUDE`, only events caused by
//! others; `FAN_ACTOR_NOT_SELF` also drops the events of the process that
//! attached the filter (a listener's own reads of the files it is told
//! about, say).
//!
//! tgids are those of the attacher's pid namespace, resolved at attach to
//! references, so that a process that later reuses a number never matches;
//! uids are those of the caller's user namespace, mapped when the filter is
//! attached or reconfigured (an unmapped one: `EINVAL`). Events a kernel thread
//! raises (kernfs, delayed `__fput()`) have no known actor and are sent.
//! Root only: a filter by actor would tell an unprivileged listener who
//! causes events, which fanotify hides from it.
//!
//! Args: `struct fan_actor_args` of `src/uapi/fanotify_filters.h`.

use super::{
    args::{self, ActorArgs},
    roots::{processes, users},
};
use kernel::fs::fanotify::{self, Event, Filter, RcuReadSide, StateRef, Verdict};
use kernel::{c_str, pid::Pid, prelude::*, sync::aref::ARef, task::Kuid};

/// Who the filter is about.
pub(crate) struct Actors {
    processes: KVec<ARef<Pid>>,
    uids: KVec<Kuid>,
    exclude: bool,
    not_self: bool,
    /// The process that attached the filter, kept across reconfigurations.
    attacher: ARef<Pid>,
}

impl Actors {
    /// Parses `struct fan_actor_args`; `attacher` is the process whose
    /// events `FAN_ACTOR_NOT_SELF` drops.
    pub(crate) fn parse(args: &[u8], attacher: ARef<Pid>) -> Result<Self> {
        Self::from_args(args::parse_actor(args)?, attacher)
    }

    /// Resolves parsed args.
    pub(crate) fn from_args(parsed: ActorArgs<'_>, attacher: ARef<Pid>) -> Result<Self> {
        let uids = users(parsed.uids.iter(), parsed.uids.len(), GFP_KERNEL_ACCOUNT)?;
        Ok(Self {
            processes: processes(parsed.tgids)?,
            uids,
            exclude: parsed.exclude,
            not_self: parsed.not_self,
            attacher,
        })
    }

    /// Whether the event's actor passes. An unknown actor (a kernel thread)
    /// passes: its events are not lost.
    pub(crate) fn selects(&self, event: &Event<'_>) -> bool {
        let Some(actor) = event.actor() else {
            return true;
        };
        if self.not_self && *actor == *self.attacher {
            return false;
        }
        if self.processes.is_empty() && self.uids.is_empty() {
            return true;
        }
        let named = self.processes.iter().any(|p| **p == *actor)
            || event
                .actor_euid()
                .is_some_and(|uid| self.uids.contains(&uid));
        named != self.exclude
    }
}

/// The process attaching a filter, kept by all its states.
pub(crate) fn attacher() -> Result<ARef<Pid>> {
    Pid::current_tgid().ok_or(ESRCH)
}

/// The `actor` filter type.
pub(crate) struct ActorFilter;

#[vtable]
impl Filter for ActorFilter {
    const NAME: &'static CStr = c_str!("actor");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events of (or, to exclude, not of) given processes or users");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_actor_args { u32 version = 1; u32 flags: 1 exclude, 2 not self; u32 nr_tgids <= 64; u32 nr_uids <= 64; s32 tgids[nr_tgids] > 0; u32 uids[nr_uids]; }"
    );
    type State = Pin<KBox<Actors>>;

    fn init(args: &[u8]) -> Result<Self::State> {
        // Runs in the attaching task.
        fanotify::new_state(Actors::parse(args, attacher()?)?)
    }

    /// "Self" stays the process that attached, whoever reconfigures.
    fn reconfigure(old: StateRef<'_, Self>, args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(Actors::parse(args, old.attacher.clone())?)
    }

    fn filter<'e>(
        actors: StateRef<'_, Self>,
        event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        Verdict::send_if(actors.selects(event))
    }
}
