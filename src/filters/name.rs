// SPDX-License-Identifier: GPL-2.0

//! `name`: send only events whose object's name matches one of a set of
//! patterns (exact names, prefixes, suffixes such as extensions), or, with
//! `FAN_NAME_EXCLUDE`, only events whose name matches none.
//!
//! The name is the entry name of directory-entry events and otherwise the
//! last component of the object's path; a rename has two, the old and the
//! new, and is sent if either passes. Events without a name are sent.
//! Matching compares bytes and allocates nothing.
//!
//! Args: `struct fan_name_args` of `src/uapi/fanotify_filters.h`.

use super::args::{self, packed_patterns_match, NameArgs};
use kernel::fs::fanotify::{self, Event, Filter, RcuReadSide, StateRef, Verdict};
use kernel::{c_str, prelude::*};

/// A set of validated name patterns, copied from the args at attach.
pub(crate) struct NamePatterns {
    packed: KVec<u8>,
    exclude: bool,
}

impl NamePatterns {
    /// Parses `struct fan_name_args`.
    pub(crate) fn parse(args: &[u8]) -> Result<Self> {
        Self::from_args(args::parse_name(args)?)
    }

    /// Copies parsed args.
    pub(crate) fn from_args(parsed: NameArgs<'_>) -> Result<Self> {
        let mut packed = KVec::with_capacity(parsed.packed().len(), GFP_KERNEL_ACCOUNT)?;
        packed.extend_from_slice(parsed.packed(), GFP_KERNEL_ACCOUNT)?;
        Ok(Self {
            packed,
            exclude: parsed.exclude,
        })
    }

    /// Whether a name of the event passes the patterns; events without a
    /// name pass, so that nothing is lost.
    pub(crate) fn selects(&self, event: &Event<'_>) -> bool {
        event
            .any_name(|name| packed_patterns_match(&self.packed, name) != self.exclude)
            .unwrap_or(true)
    }
}

/// The `name` filter type.
pub(crate) struct NameFilter;

#[vtable]
impl Filter for NameFilter {
    const NAME: &'static CStr = c_str!("name");
    const DESCRIPTION: &'static CStr =
        c_str!("send only events whose name matches (or, to exclude, does not match) patterns");
    const ARGS_DESCRIPTION: &'static CStr = c_str!(
        "struct fan_name_args { u32 version = 1; u32 flags: 1 exclude; u32 nr_patterns 1..128; u32 zero; then nr_patterns packed { u8 kind: 1 exact, 2 prefix, 3 suffix; u8 len >= 1; u8 name[len]; } }"
    );
    // Only removes events from the caller's own group, by names it could
    // read from the events anyway.
    const UNPRIVILEGED: bool = true;
    type State = Pin<KBox<NamePatterns>>;

    fn init(args: &[u8]) -> Result<Self::State> {
        fanotify::new_state(NamePatterns::parse(args)?)
    }

    fn filter<'e>(
        patterns: StateRef<'_, Self>,
        event: &'e Event<'_>,
        _rcu: &RcuReadSide,
    ) -> Verdict<'e> {
        Verdict::send_if(patterns.selects(event))
    }
}
