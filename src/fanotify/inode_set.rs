// SPDX-License-Identifier: GPL-2.0

//! Sets of directories that events are placed relative to.

use core::ptr::NonNull;
use kernel::{
    bindings,
    error::{from_err_ptr, to_result},
    ffi::c_void,
    prelude::*,
    types::{ForeignOwnable, Opaque},
};

/// A set of directories (a C `struct fanotify_inode_set`), kept as
/// identities (superblock, inode number, generation) that pin nothing: no
/// mount is kept busy.
///
/// Only ever seen by reference: an [`OwnedInodeSet`] owns one. Lookups by
/// [`super::Event::locate`] need no lock and are atomic.
///
/// # Invariants
///
/// An `&InodeSet` points to a set returned by `fanotify_inode_set_alloc()`,
/// not yet freed, that nobody changes while the reference lives.
#[repr(transparent)]
pub struct InodeSet(Opaque<bindings::fanotify_inode_set>);

impl InodeSet {
    /// The C set, for the lookups of the C side.
    pub(super) fn as_raw(&self) -> *const bindings::fanotify_inode_set {
        self.0.get()
    }
}

// SAFETY: a shared set is only read, by lookups that need no lock (type
// invariant), from any CPU.
unsafe impl Sync for InodeSet {}

/// An owned [`InodeSet`]: built at attach time with
/// [`OwnedInodeSet::add_dir_fd`], then only read.
///
/// It can be a filter's whole state (see [`super::FilterState`]): the C side
/// then holds the set's own pointer, so a filter call reaches the set with
/// no extra load.
///
/// # Invariants
///
/// `set` was returned by `fanotify_inode_set_alloc()` and is owned by this
/// object: freed only by its drop.
pub struct OwnedInodeSet {
    set: NonNull<InodeSet>,
}

impl OwnedInodeSet {
    /// An empty set that can hold `max` directories (1 to
    /// `FANOTIFY_INODE_SET_MAX`, else `EINVAL`); charged to the caller's
    /// memory cgroup.
    pub fn with_capacity(max: usize) -> Result<Self> {
        let max = u32::try_from(max).map_err(|_| EINVAL)?;
        // SAFETY: no precondition; returns a set or an `ERR_PTR`.
        let set = from_err_ptr(unsafe { bindings::fanotify_inode_set_alloc(max) })?;
        // INVARIANT: an owned set, not null after `from_err_ptr`.
        NonNull::new(set.cast::<InodeSet>())
            .map(|set| Self { set })
            .ok_or(ENOMEM)
    }

    /// Adds the directory that the caller's file descriptor `fd` refers to.
    /// `EBADF` for a bad (or `O_PATH`) fd, `ENOTDIR`, `ENOSPC` when full,
    /// `ELOOP` when its root is further than walks go; on error the set is
    /// unchanged.
    pub fn add_dir_fd(&mut self, fd: i32) -> Result {
        // SAFETY: `self.set` is valid (type invariant) and `&mut self`
        // guarantees that no lookup runs concurrently.
        to_result(unsafe { bindings::fanotify_inode_set_add_fd(self.raw_mut(), fd) })
    }

    fn raw_mut(&mut self) -> *mut bindings::fanotify_inode_set {
        self.set.as_ptr().cast()
    }
}

impl core::ops::Deref for OwnedInodeSet {
    type Target = InodeSet;

    fn deref(&self) -> &InodeSet {
        // SAFETY: the set is valid while `self` owns it (type invariant), and
        // changes need `&mut self`, which the returned borrow excludes.
        unsafe { self.set.as_ref() }
    }
}

impl Drop for OwnedInodeSet {
    fn drop(&mut self) {
        // SAFETY: the set is owned (type invariant) and freed once.
        unsafe { bindings::fanotify_inode_set_free(self.raw_mut()) };
    }
}

// SAFETY: the set is plain memory owned by this object; it may be freed
// from any thread.
unsafe impl Send for OwnedInodeSet {}
// SAFETY: shared references only read the set (lookups need no lock);
// changes need `&mut`.
unsafe impl Sync for OwnedInodeSet {}

impl ForeignOwnable for OwnedInodeSet {
    type Borrowed<'a> = &'a InodeSet;

    fn into_foreign(self) -> *const c_void {
        let set = self.set.as_ptr();
        // The C side owns the set now, until `from_foreign`.
        core::mem::forget(self);
        set.cast_const().cast()
    }

    unsafe fn borrow<'a>(ptr: *const c_void) -> &'a InodeSet {
        // SAFETY: `ptr` came from `into_foreign`, so it is an owned set that
        // `from_foreign` has not taken back (safety requirements); the
        // owner, the C side, does not change it while it is shared.
        unsafe { &*ptr.cast::<InodeSet>() }
    }

    unsafe fn from_foreign(ptr: *const c_void) -> Self {
        // INVARIANT: `ptr` came from `into_foreign` of an owner and is taken
        // back once (safety requirements), so ownership returns here.
        Self {
            // SAFETY: the pointer of an owned set is not null (type
            // invariant of the owner it came from).
            set: unsafe { NonNull::new_unchecked(ptr.cast_mut().cast()) },
        }
    }
}
