// SPDX-License-Identifier: GPL-2.0

//! `kind`: send only events on directories, or only events on
//! non-directories, which FAN_ONDIR cannot express (it only adds directory
//! events to the others).
//!
//! Args: `struct fan_kind_args` of `src/uapi/fanotify_filters.h`.

use super::read_u32;
use crate::fanotify::{Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
const ARGS_SIZE: usize = 8;

/// Which objects the filter lets through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Directories,
    NonDirectories,
}

/// State of one attachment.
#[pin_data]
pub(crate) struct KindState {
    kind: Kind,
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
    type State = KindState;

    fn init(args: &[u8]) -> Result<impl PinInit<KindState, Error>> {
        if args.len() != ARGS_SIZE || read_u32(args, 0)? != ARGS_VERSION {
            return Err(EINVAL);
        }
        let kind = match read_u32(args, 4)? {
            1 => Kind::Directories,
            2 => Kind::NonDirectories,
            _ => return Err(EINVAL),
        };
        Ok(try_pin_init!(KindState { kind }))
    }

    fn filter(state: &KindState, event: &Event<'_>) -> Verdict {
        let wanted = match state.kind {
            Kind::Directories => event.is_dir(),
            Kind::NonDirectories => !event.is_dir(),
        };
        if wanted {
            Verdict::Send
        } else {
            Verdict::Skip
        }
    }
}
