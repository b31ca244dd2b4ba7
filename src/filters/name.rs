// SPDX-License-Identifier: GPL-2.0

//! `name`: send only events whose object's name matches one of a set of
//! patterns (exact names, prefixes, suffixes such as extensions), or, with
//! `FAN_NAME_EXCLUDE`, only events whose name matches none.
//!
//! The name is the entry name of directory-entry events and otherwise the
//! last component of the object's path. Events without a name are sent.
//! Matching compares bytes and allocates nothing.
//!
//! Args: `struct fan_name_args` of `src/uapi/fanotify_filters.h`.

use super::read_u32;
use crate::fanotify::{Event, Filter, Verdict};
use kernel::{c_str, prelude::*};

const ARGS_VERSION: u32 = 1;
const HEADER_SIZE: usize = 16;
/// Most patterns one attachment may hold.
pub(crate) const MAX_PATTERNS: usize = 128;
/// Skip matching names instead of sending only them.
const EXCLUDE: u32 = 1;

/// How a pattern is compared with a name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Match {
    Exact,
    Prefix,
    Suffix,
}

/// One pattern: a range of [`NamePatterns::bytes`].
struct Pattern {
    how: Match,
    start: usize,
    len: usize,
}

/// A set of name patterns, built once at attach.
pub(crate) struct NamePatterns {
    bytes: KVec<u8>,
    patterns: KVec<Pattern>,
    exclude: bool,
}

impl NamePatterns {
    /// Parses `struct fan_name_args`: the header, then `nr_patterns` packed
    /// `{ u8 kind; u8 len; u8 name[len]; }` and nothing after them.
    pub(crate) fn parse(args: &[u8]) -> Result<Self> {
        if args.len() < HEADER_SIZE || read_u32(args, 0)? != ARGS_VERSION {
            return Err(EINVAL);
        }
        let flags = read_u32(args, 4)?;
        let nr = read_u32(args, 8)? as usize;
        if flags & !EXCLUDE != 0 || nr == 0 || nr > MAX_PATTERNS || read_u32(args, 12)? != 0 {
            return Err(EINVAL);
        }
        let body = &args[HEADER_SIZE..];
        let mut bytes = KVec::with_capacity(body.len(), GFP_KERNEL)?;
        let mut patterns = KVec::with_capacity(nr, GFP_KERNEL)?;
        let mut at = 0;
        for _ in 0..nr {
            let (&kind, &len) = body.get(at).zip(body.get(at + 1)).ok_or(EINVAL)?;
            let how = match kind {
                1 => Match::Exact,
                2 => Match::Prefix,
                3 => Match::Suffix,
                _ => return Err(EINVAL),
            };
            let name = body.get(at + 2..at + 2 + len as usize).ok_or(EINVAL)?;
            // No name contains '/' or NUL: such a pattern is a caller's bug.
            if name.is_empty() || name.iter().any(|&b| b == b'/' || b == 0) {
                return Err(EINVAL);
            }
            patterns.push(
                Pattern {
                    how,
                    start: bytes.len(),
                    len: name.len(),
                },
                GFP_KERNEL,
            )?;
            bytes.extend_from_slice(name, GFP_KERNEL)?;
            at += 2 + name.len();
        }
        if at != body.len() {
            return Err(EINVAL);
        }
        Ok(Self {
            bytes,
            patterns,
            exclude: flags & EXCLUDE != 0,
        })
    }

    fn matches(&self, name: &[u8]) -> bool {
        self.patterns.iter().any(|p| {
            let pattern = &self.bytes[p.start..p.start + p.len];
            match p.how {
                Match::Exact => name == pattern,
                Match::Prefix => name.starts_with(pattern),
                Match::Suffix => name.ends_with(pattern),
            }
        })
    }

    /// Whether the event's name passes the patterns; events without a name
    /// pass, so that nothing is lost.
    pub(crate) fn selects(&self, event: &Event<'_>) -> bool {
        event
            .with_object_name(|name| self.matches(name) != self.exclude)
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
        "struct fan_name_args { u32 version = 1; u32 flags: 1 exclude; u32 nr_patterns <= 128; u32 zero; then nr_patterns packed { u8 kind: 1 exact, 2 prefix, 3 suffix; u8 len >= 1; u8 name[len]; } }"
    );
    // Only removes events from the caller's own group, by names it could
    // read from the events anyway.
    const UNPRIVILEGED: bool = true;
    type State = NamePatterns;

    fn init(args: &[u8]) -> Result<impl PinInit<NamePatterns, Error>> {
        NamePatterns::parse(args)
    }

    fn filter(state: &NamePatterns, event: &Event<'_>) -> Verdict {
        Verdict::send_if(state.selects(event))
    }
}
