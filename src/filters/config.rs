// SPDX-License-Identifier: GPL-2.0

//! The text configuration of the kernel-resident guard, written by root to
//! `/sys/fs/fanotify/groups/fanotify_filters/guard/config`. Uses `core`
//! only, like `args.rs`, so that the host tests run it too.
//!
//! ```text
//! roots=/srv/secrets,/srv/keys exempt_uids=0,992
//! off
//! ```
//!
//! `roots` (1 to `MAX_ROOTS` absolute paths, comma-separated, no path
//! longer than `PATH_MAX - 1` bytes) is required, `exempt_uids` (1 to
//! `MAX_EXEMPT` uids, decimal, not `4294967295`, which is no uid) is
//! optional; each key at most once, separated by spaces or tabs, a final
//! newline allowed. `off` turns the guard off; an empty text is an error,
//! so that `echo "$UNSET" > config` disarms nothing. Paths with spaces,
//! commas or control characters cannot be given. (The kernel takes one
//! page per write, which bounds the text before these limits do.)

#![allow(unreachable_pub)]
#![forbid(unsafe_code)]
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::args::{ArgsError, MAX_EXEMPT, MAX_ROOTS};

/// `PATH_MAX`, with its NUL.
pub const PATH_MAX: usize = 4096;

/// A parsed configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardConfig<'a> {
    /// No guard.
    Off,
    /// A guard of these roots with these exemptions.
    On(GuardSettings<'a>),
}

/// The settings of an armed guard, borrowed from the text; every item was
/// checked by [`parse_guard_config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardSettings<'a> {
    roots: &'a [u8],
    exempt_uids: &'a [u8],
}

impl<'a> GuardSettings<'a> {
    /// The protected directories, absolute paths without their NUL.
    pub fn roots(&self) -> impl Iterator<Item = &'a [u8]> {
        self.roots.split(|&c| c == b',')
    }

    /// How many roots there are.
    pub fn nr_roots(&self) -> usize {
        self.roots().count()
    }

    /// The exempt effective uids.
    pub fn exempt_uids(&self) -> impl Iterator<Item = u32> + 'a {
        self.exempt_uids.split(|&c| c == b',').filter_map(parse_uid)
    }

    /// How many exempt uids there are.
    pub fn nr_exempt_uids(&self) -> usize {
        self.exempt_uids().count()
    }
}

/// A decimal uid, without sign or leading `+`, not `u32::MAX`.
fn parse_uid(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 {
        return None;
    }
    let mut value: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(c.wrapping_sub(b'0')))?;
    }
    u32::try_from(value).ok().filter(|&uid| uid != u32::MAX)
}

/// An absolute path without control characters (a newline inside would be
/// a second line of the file, a NUL would end the path early).
fn valid_root(path: &[u8]) -> bool {
    path.first() == Some(&b'/')
        && path.len() < PATH_MAX
        && !path.iter().any(|c| c.is_ascii_control())
}

/// Checks a configuration text completely.
pub fn parse_guard_config(text: &[u8]) -> Result<GuardConfig<'_>, ArgsError> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let mut roots = None;
    let mut exempt_uids = None;
    let mut words = text
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|word| !word.is_empty())
        .peekable();
    if words.peek().is_none() {
        return Err(ArgsError::Invalid);
    }
    if words.peek() == Some(&&b"off"[..]) {
        words.next();
        return match words.next() {
            None => Ok(GuardConfig::Off),
            Some(_) => Err(ArgsError::Invalid),
        };
    }
    for word in words {
        let (slot, value) = if let Some(value) = word.strip_prefix(b"roots=") {
            (&mut roots, value)
        } else if let Some(value) = word.strip_prefix(b"exempt_uids=") {
            (&mut exempt_uids, value)
        } else {
            return Err(ArgsError::Invalid);
        };
        if slot.replace(value).is_some() {
            return Err(ArgsError::Invalid);
        }
    }
    let settings = GuardSettings {
        roots: roots.ok_or(ArgsError::Invalid)?,
        exempt_uids: exempt_uids.unwrap_or(b""),
    };
    let nr_roots = settings.nr_roots();
    if nr_roots > MAX_ROOTS || !settings.roots().all(valid_root) {
        return Err(ArgsError::Invalid);
    }
    // Every item is a uid; `exempt_uids=` alone (an empty item) is not.
    if exempt_uids.is_some()
        && settings
            .exempt_uids
            .split(|&c| c == b',')
            .any(|uid| parse_uid(uid).is_none())
    {
        return Err(ArgsError::Invalid);
    }
    if settings.nr_exempt_uids() > MAX_EXEMPT {
        return Err(ArgsError::Invalid);
    }
    Ok(GuardConfig::On(settings))
}
