// SPDX-License-Identifier: GPL-2.0

//! `guard`: answer permission events in the kernel. Opening or reading an
//! object at or below a protected directory is denied with `EPERM` unless
//! the acting process is exempt; every other permission event is allowed
//! without a trip to user space. Other events are sent unchanged.
//!
//! Args: `struct fan_guard_args` of `src/uapi/fanotify_filters.h`.

use super::{
    read_u32, read_words,
    roots::{parse_fds, RootSet},
};
use crate::fanotify::{Ancestry, Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
const HEADER_SIZE: usize = 16;
const MAX_EXEMPT: usize = 64;
const MAX_DEPTH: usize = 2048;

/// State of one attachment.
#[pin_data]
pub(crate) struct GuardState {
    roots: RootSet,
    exempt: KVec<i32>,
}

/// The `guard` filter type.
pub(crate) struct Guard;

#[vtable]
impl Filter for Guard {
    const NAME: &'static CStr = c_str!("guard");
    const DESCRIPTION: &'static CStr =
        c_str!("deny access at or below protected directories to non-exempt processes");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_guard_args { u32 version = 1; u32 nr_roots <= 4096; u32 nr_exempt <= 64; u32 zero; s32 exempt_tgids[nr_exempt]; s32 root_fds[nr_roots]; }"
    );
    type State = GuardState;

    fn init(args: &[u8]) -> Result<impl PinInit<GuardState, Error>> {
        if args.len() < HEADER_SIZE
            || read_u32(args, 0)? != ARGS_VERSION
            || read_u32(args, 12)? != 0
        {
            return Err(EINVAL);
        }
        let nr_roots = read_u32(args, 4)? as usize;
        let nr_exempt = read_u32(args, 8)? as usize;
        if nr_exempt > MAX_EXEMPT {
            return Err(EINVAL);
        }
        let exempt = read_words(args, HEADER_SIZE, nr_exempt, |tgid| Ok(tgid as i32))?;
        let roots = RootSet::new(&parse_fds(args, HEADER_SIZE + 4 * nr_exempt, nr_roots)?)?;
        Ok(try_pin_init!(GuardState { roots, exempt }))
    }

    fn filter(state: &GuardState, event: &Event<'_>) -> Verdict {
        let Some(permission) = event.permission() else {
            return Verdict::Send;
        };
        if state.exempt.contains(&event.actor_tgid()) {
            return permission.allow();
        }
        match event.find_ancestor(MAX_DEPTH, |id| state.roots.contains(id)) {
            Ancestry::Found => permission.deny(),
            Ancestry::NotFound => permission.allow(),
            // Cannot tell: leave the decision to user space.
            Ancestry::Unknown => Verdict::Send,
        }
    }
}
