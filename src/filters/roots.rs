// SPDX-License-Identifier: GPL-2.0

//! Sets of directories given as fds at attach, shared by the filters that
//! match objects "at or below one of these directories".

use super::read_words;
use crate::fanotify::InodeId;
use kernel::prelude::*;

/// Most roots one attachment may name.
pub(crate) const MAX_ROOTS: usize = 4096;
/// Size of the `version` + `nr_roots` header of the args structs.
pub(crate) const HEADER_SIZE: usize = 8;

/// Set of root identities: open addressing with linear probing, built once
/// at attach and read-only afterwards. At most 1/8 full, so that a lookup,
/// which usually misses (most ancestors are not roots), costs one hash and
/// about one probe whatever the number of roots: a walk stays as cheap with
/// 1000 roots as with one. 4096 roots take 768 KiB, hence `KVVec`.
pub(crate) struct RootSet {
    slots: KVVec<Option<InodeId>>,
    /// `64 - log2(slots.len())`: the hash's high bits index the table.
    shift: u32,
    mask: usize,
}

impl RootSet {
    pub(crate) fn new(roots: &[InodeId]) -> Result<Self> {
        let capacity = (roots.len() * 8).next_power_of_two().max(8);
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            slots.push(None, GFP_KERNEL)?;
        }
        let mut set = Self {
            slots,
            mask: capacity - 1,
            shift: 64 - capacity.trailing_zeros(),
        };
        for root in roots {
            set.insert(*root);
        }
        Ok(set)
    }

    fn insert(&mut self, id: InodeId) {
        let mut i = (id.hash() >> self.shift) as usize;
        loop {
            match self.slots[i] {
                Some(existing) if existing == id => return,
                Some(_) => i = (i + 1) & self.mask,
                None => {
                    self.slots[i] = Some(id);
                    return;
                }
            }
        }
    }

    #[inline]
    pub(crate) fn contains(&self, id: &InodeId) -> bool {
        let mut i = (id.hash() >> self.shift) as usize;
        // Terminates: the table is at most 1/8 full.
        loop {
            match &self.slots[i] {
                Some(existing) if existing == id => return true,
                Some(_) => i = (i + 1) & self.mask,
                None => return false,
            }
        }
    }
}

/// Resolves `nr` directory fds stored as `s32`s from byte offset `at` to
/// the end of `args`, which must hold exactly those.
pub(crate) fn parse_fds(args: &[u8], at: usize, nr: usize) -> Result<KVec<InodeId>> {
    if nr == 0 || nr > MAX_ROOTS || args.len() != at + 4 * nr {
        return Err(EINVAL);
    }
    read_words(args, at, nr, |fd| InodeId::of_dir_fd(fd as i32))
}
