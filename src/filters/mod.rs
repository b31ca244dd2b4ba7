// SPDX-License-Identifier: GPL-2.0

//! The filters of this module: safe code only, on top of [`crate::fanotify`].
#![forbid(unsafe_code)]

pub(crate) mod actor;
pub(crate) mod guard;
pub(crate) mod kind;
pub(crate) mod name;
pub(crate) mod policy;
mod roots;
pub(crate) mod subtree;

use kernel::prelude::*;

/// Reads a native-endian `u32` at byte offset `at` of a filter's args.
fn read_u32(bytes: &[u8], at: usize) -> Result<u32> {
    let field = bytes.get(at..at + 4).ok_or(EINVAL)?;
    let mut raw = [0u8; 4];
    raw.copy_from_slice(field);
    Ok(u32::from_ne_bytes(raw))
}

/// Reads `nr` native-endian 32-bit words from byte offset `at` of a
/// filter's args, converting each with `convert`, which may refuse it.
fn read_words<T>(
    bytes: &[u8],
    at: usize,
    nr: usize,
    mut convert: impl FnMut(u32) -> Result<T>,
) -> Result<KVec<T>> {
    let mut words = KVec::with_capacity(nr, GFP_KERNEL)?;
    for i in 0..nr {
        words.push(convert(read_u32(bytes, at + 4 * i)?)?, GFP_KERNEL)?;
    }
    Ok(words)
}
