// SPDX-License-Identifier: GPL-2.0

//! Sets of directories that events are placed relative to.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    prelude::*,
};

/// A set of directories, kept as identities (superblock, inode number,
/// generation) that pin nothing: no mount is kept busy.
///
/// Built at attach time with [`InodeSet::add_dir_fd`], then only read, by
/// [`super::Event::locate`]; the C side's lookup is lock-free and atomic.
///
/// # Invariants
///
/// `set` was returned by `fanotify_inode_set_alloc()` and is owned by this
/// object.
pub struct InodeSet {
    set: NonNull<bindings::fanotify_inode_set>,
}

impl InodeSet {
    /// An empty set that can hold `max` directories (1 to
    /// `FANOTIFY_INODE_SET_MAX`, else `EINVAL`); charged to the caller's
    /// memory cgroup.
    pub fn with_capacity(max: usize) -> Result<Self> {
        let max = u32::try_from(max).map_err(|_| EINVAL)?;
        // SAFETY: no precondition; returns a set or an `ERR_PTR`.
        let set = from_err_ptr(unsafe { bindings::fanotify_inode_set_alloc(max) })?;
        // INVARIANT: an owned set, not null after `from_err_ptr`.
        NonNull::new(set).map(|set| Self { set }).ok_or(ENOMEM)
    }

    /// Adds the directory that the caller's file descriptor `fd` refers to.
    /// `EBADF` for a bad (or `O_PATH`) fd, `ENOTDIR`, `ENOSPC` when full.
    pub fn add_dir_fd(&mut self, fd: i32) -> Result {
        // SAFETY: `self.set` is valid (type invariant) and `&mut self`
        // guarantees that no lookup runs concurrently.
        to_result(unsafe { bindings::fanotify_inode_set_add_fd(self.set.as_ptr(), fd) })
    }

    pub(super) fn as_raw(&self) -> *const bindings::fanotify_inode_set {
        self.set.as_ptr()
    }
}

impl Drop for InodeSet {
    fn drop(&mut self) {
        // SAFETY: the set is owned (type invariant) and freed once.
        unsafe { bindings::fanotify_inode_set_free(self.set.as_ptr()) };
    }
}

// SAFETY: the set is plain memory owned by this object; it may be freed
// from any thread.
unsafe impl Send for InodeSet {}
// SAFETY: shared references only read the set (lookups need no lock);
// changes need `&mut`.
unsafe impl Sync for InodeSet {}
