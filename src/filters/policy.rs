// SPDX-License-Identifier: GPL-2.0

//! `policy`: the `subtree`, `kind`, `name` and `actor` filters in one
//! attachment, and `prune`, directories whose subtrees are dropped. An
//! event is sent only if every given part sends it (all-of), so one group
//! can ask for "files ending in .so under /usr/lib, not from process X", or
//! "everything under /src but /src/.git". Parts are checked from the
//! cheapest to the dearest, the ancestor walks last.
//!
//! Args: `struct fan_policy_args` of `src/uapi/fanotify_filters.h`: a header,
//! then sections `{ u32 type; u32 size; u8 args[size]; }`, each padded with
//! zeros to a multiple of 4 bytes, whose args are those of the filter the
//! type names. Each type at most once.

use super::{
    actor::{attacher, Actors},
    args::{self, KindArg},
    kind,
    name::NamePatterns,
    roots::root_set,
};
use kernel::fs::fanotify::{
    self, Event, Filter, OwnedInodeSet, Place, RcuReadSide, StateRef, Verdict,
};
use kernel::{c_str, pid::Pid, prelude::*, sync::aref::ARef};

/// State of one attachment: the parts it was given.
pub(crate) struct PolicyState {
    kind: Option<KindArg>,
    actors: Option<Actors>,
    names: Option<NamePatterns>,
    roots: Option<OwnedInodeSet>,
    /// Directories whose subtrees are dropped.
    pruned: Option<OwnedInodeSet>,
    /// The process that attached, kept across reconfigurations even when
    /// no part names actors, so that a later actor part's "self" is it.
    attacher: ARef<Pid>,
}

impl PolicyState {
    /// Parses `struct fan_policy_args`; `attacher` as for [`Actors::parse`].
    fn parse(args: &[u8], attacher: ARef<Pid>) -> Result<Self> {
        let parts = args::parse_policy_full(args)?;
        Ok(Self {
            kind: parts.kind,
            actors: parts
                .actor
                .map(|actor| Actors::from_args(actor, attacher.clone()))
                .transpose()?,
            names: parts.name.map(NamePatterns::from_args).transpose()?,
            roots: parts.subtree.map(root_set).transpose()?,
            pruned: parts.prune.map(root_set).transpose()?,
            attacher,
        })
    }
}

/// The `policy` filter type.
pub(crate) struct Policy;

#[vtable]
impl Filter for Policy {
    const NAME: &'static CStr = c_str!("policy");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events that every given part (subtree, kind, name, actor, prune) sends");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_policy_args { u32 version = 1; u32 nr_sections 1..5; then nr_sections { u32 type: 1 subtree, 2 kind, 3 name, 4 actor, 5 prune (args of subtree); u32 size; u8 args[size] of that filter; zero padding to 4 bytes; } }"
    );
    // Root only, because it may filter by actor.
    type State = Pin<KBox<PolicyState>>;

    fn init(args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(PolicyState::parse(args, attacher()?)?)
    }

    /// "Self" stays the process that attached, whoever reconfigures.
    fn reconfigure(old: StateRef<'_, Self>, args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(PolicyState::parse(args, old.attacher.clone())?)
    }

    fn filter<'e>(
        state: StateRef<'_, Self>,
        event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        let send = sends(state.kind, |k| kind::selects(k, event))
            && sends(state.actors.as_ref(), |a| a.selects(event))
            && sends(state.names.as_ref(), |n| n.selects(event))
            && sends(state.roots.as_ref(), |roots| {
                event.locate(roots) != Place::Outside
            })
            // Dropped only if every place the event names is known to be
            // pruned: a move out of a pruned directory is still seen.
            && sends(state.pruned.as_ref(), |pruned| {
                event.locate_every(pruned) != Place::Inside
            });
        Verdict::send_if(send)
    }
}

/// Whether a part sends an event: one that is not given lets everything
/// through. (`Option::is_none_or` is newer than 6.12's minimum Rust.)
fn sends<T>(part: Option<T>, selects: impl FnOnce(T) -> bool) -> bool {
    match part {
        Some(part) => selects(part),
        None => true,
    }
}
