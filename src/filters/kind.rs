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
pub(crate) enum Kind {
    Directories,
    NonDirectories,
}

impl Kind {
    /// Parses `struct fan_kind_args`.
    pub(crate) fn parse(args: &[u8]) -> Result<Self> {
        if args.len() != ARGS_SIZE || read_u32(args, 0)? != ARGS_VERSION {
            return Err(EINVAL);
        }
        match read_u32(args, 4)? {
            1 => Ok(Kind::Directories),
            2 => Ok(Kind::NonDirectories),
            _ => Err(EINVAL),
        }
    }

    /// Whether the event's object is of this kind.
    pub(crate) fn selects(self, event: &Event<'_>) -> bool {
        match self {
            Kind::Directories => event.is_dir(),
            Kind::NonDirectories => !event.is_dir(),
        }
    }
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
        let kind = Kind::parse(args)?;
        Ok(try_pin_init!(KindState { kind }))
    }

    fn filter(state: &KindState, event: &Event<'_>) -> Verdict {
        Verdict::send_if(state.kind.selects(event))
    }
}
