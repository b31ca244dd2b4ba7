// SPDX-License-Identifier: GPL-2.0

//! `policy`: the `subtree`, `kind`, `name` and `actor` filters in one
//! attachment. An event is sent only if every given part sends it (all-of),
//! so one group can ask for "files ending in .so under /usr/lib, not from
//! process X". Parts are checked from the cheapest to the dearest, the
//! ancestor walk of `subtree` last.
//!
//! Args: `struct fan_policy_args` of `src/uapi/fanotify_filters.h`: a header,
//! then sections `{ u32 type; u32 size; u8 args[size]; }`, each padded with
//! zeros to a multiple of 4 bytes, whose args are those of the filter the
//! type names. Each type at most once.

use super::{actor::Actors, kind::Kind, name::NamePatterns, read_u32, roots::RootSet, subtree};
use crate::fanotify::{current_tgid, Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
const HEADER_SIZE: usize = 8;
const SECTION_HEADER_SIZE: usize = 8;
const SUBTREE: u32 = 1;
const KIND: u32 = 2;
const NAME: u32 = 3;
const ACTOR: u32 = 4;

/// State of one attachment: the parts it was given.
#[pin_data]
pub(crate) struct PolicyState {
    kind: Option<Kind>,
    actors: Option<Actors>,
    names: Option<NamePatterns>,
    roots: Option<RootSet>,
}

impl PolicyState {
    /// Parses `struct fan_policy_args`; `attacher` as for [`Actors::parse`].
    fn parse(args: &[u8], attacher: i32) -> Result<impl PinInit<Self, Error>> {
        if args.len() < HEADER_SIZE || read_u32(args, 0)? != ARGS_VERSION {
            return Err(EINVAL);
        }
        let nr_sections = read_u32(args, 4)?;
        if !(1..=4).contains(&nr_sections) {
            return Err(EINVAL);
        }
        let (mut kind, mut actors, mut names, mut roots) = (None, None, None, None);
        let mut at = HEADER_SIZE;
        for _ in 0..nr_sections {
            let ty = read_u32(args, at)?;
            let size = read_u32(args, at + 4)? as usize;
            let start = at + SECTION_HEADER_SIZE;
            let part = args.get(start..start + size).ok_or(EINVAL)?;
            let end = (start + size).next_multiple_of(4);
            if args
                .get(start + size..end)
                .ok_or(EINVAL)?
                .iter()
                .any(|&b| b != 0)
            {
                return Err(EINVAL);
            }
            let duplicate = match ty {
                SUBTREE => roots.replace(subtree::parse(part)?).is_some(),
                KIND => kind.replace(Kind::parse(part)?).is_some(),
                NAME => names.replace(NamePatterns::parse(part)?).is_some(),
                ACTOR => actors.replace(Actors::parse(part, attacher)?).is_some(),
                _ => return Err(EINVAL),
            };
            if duplicate {
                return Err(EINVAL);
            }
            at = end;
        }
        if at != args.len() {
            return Err(EINVAL);
        }
        Ok(try_pin_init!(Self {
            kind,
            actors,
            names,
            roots,
        }))
    }
}

/// The `policy` filter type.
pub(crate) struct Policy;

#[vtable]
impl Filter for Policy {
    const NAME: &'static CStr = c_str!("policy");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events that every given part (subtree, kind, name, actor) sends");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_policy_args { u32 version = 1; u32 nr_sections <= 4; then nr_sections { u32 type: 1 subtree, 2 kind, 3 name, 4 actor; u32 size; u8 args[size] of that filter; zero padding to 4 bytes; } }"
    );
    // Root only, because it may filter by actor.
    type State = PolicyState;

    fn init(args: &[u8]) -> Result<impl PinInit<PolicyState, Error>> {
        PolicyState::parse(args, current_tgid())
    }

    /// "Self" stays the process that attached, whoever reconfigures.
    fn reconfigure(old: &PolicyState, args: &[u8]) -> Result<impl PinInit<PolicyState, Error>> {
        let attacher = old
            .actors
            .as_ref()
            .map_or_else(current_tgid, Actors::attacher);
        PolicyState::parse(args, attacher)
    }

    fn filter(state: &PolicyState, event: &Event<'_>) -> Verdict {
        // A part that is not given lets everything through.
        let send = state.kind.map_or(true, |kind| kind.selects(event))
            && state.actors.as_ref().map_or(true, |a| a.selects(event))
            && state.names.as_ref().map_or(true, |n| n.selects(event))
            && state
                .roots
                .as_ref()
                .map_or(true, |roots| subtree::selects(roots, event));
        Verdict::send_if(send)
    }
}
