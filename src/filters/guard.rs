// SPDX-License-Identifier: GPL-2.0

//! `guard`: answer permission events in the kernel. Opening or reading an
//! object at or below a protected directory is denied with `EPERM` unless
//! the acting process is exempt; every other permission event is allowed
//! without a trip to user space. Other events are sent unchanged.
//!
//! It fails closed: an object whose place cannot be told (a disconnected
//! dentry from `open_by_handle_at()` or nfsd, another root than the one the
//! protected directories hang from, a chain deeper than the walk's bound)
//! is denied to non-exempt processes, and kernel threads are never
//! exempt. Exempt processes are held by reference, so a process that later
//! reuses an exempt pid number is not exempt; exempt effective uids cover
//! a daemon's children, which new pids would not. The threat model is in
//! `Documentation/design.md`.
//!
//! Args: `struct fan_guard_args` of `src/uapi/fanotify_filters.h`.

use super::{
    args,
    config::GuardSettings,
    roots::{processes, root_set, users},
};
use kernel::fs::fanotify::{
    self, Event, Filter, OwnedInodeSet, Place, RcuReadSide, StateRef, Verdict,
};
use kernel::{c_str, pid::Pid, prelude::*, sync::aref::ARef, task::Kuid};

/// State of one attachment.
pub(crate) struct GuardState {
    roots: OwnedInodeSet,
    exempt: KVec<ARef<Pid>>,
    exempt_uids: KVec<Kuid>,
}

impl GuardState {
    fn parse(args: &[u8]) -> Result<Self> {
        let parsed = args::parse_guard(args)?;
        Ok(Self {
            exempt: processes(parsed.exempt)?,
            exempt_uids: users(
                parsed.exempt_uids.iter(),
                parsed.exempt_uids.len(),
                GFP_KERNEL_ACCOUNT,
            )?,
            roots: root_set(parsed.roots)?,
        })
    }

    /// The state of the kernel-resident guard: `roots`, which its caller
    /// built while marking them, exempt uids in the writer's user
    /// namespace, no exempt process (a process would not outlive the
    /// configuration's writer for long).
    pub(crate) fn for_kernel_group(
        roots: OwnedInodeSet,
        settings: &GuardSettings<'_>,
    ) -> Result<Self> {
        Ok(Self {
            exempt: KVec::new(),
            exempt_uids: users(
                settings.exempt_uids(),
                settings.nr_exempt_uids(),
                GFP_KERNEL,
            )?,
            roots,
        })
    }

    /// Whether the event's actor is exempt: one of the processes, or of
    /// the effective uids (a daemon's children, which run as its user).
    /// Kernel threads are never exempt.
    fn exempts(&self, event: &Event<'_>) -> bool {
        let Some(actor) = event.actor() else {
            return false;
        };
        self.exempt.iter().any(|p| **p == *actor)
            || event
                .actor_euid()
                .is_some_and(|uid| self.exempt_uids.contains(&uid))
    }
}

/// The `guard` filter type.
pub(crate) struct Guard;

#[vtable]
impl Filter for Guard {
    const NAME: &'static CStr = c_str!("guard");
    const DESCRIPTION: &'static CStr =
        c_str!("deny access at or below protected directories to non-exempt processes");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_guard_args { u32 version = 1; u32 nr_roots 1..4096; u32 nr_exempt <= 64; u32 nr_exempt_uids <= 64; s32 exempt_tgids[nr_exempt] > 0; u32 exempt_euids[nr_exempt_uids]; s32 root_fds[nr_roots]; }"
    );
    type State = Pin<KBox<GuardState>>;

    fn init(args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(GuardState::parse(args)?)
    }

    fn filter<'e>(
        state: StateRef<'_, Self>,
        event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        let Some(permission) = event.permission() else {
            return Verdict::Send;
        };
        if state.exempts(event) {
            return permission.allow();
        }
        match event.locate(&state.roots) {
            Place::Outside => permission.allow(),
            // Fail closed: what cannot be placed may be inside.
            Place::Inside | Place::Unknown => permission.deny(),
        }
    }
}
