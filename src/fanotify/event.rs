// SPDX-License-Identifier: GPL-2.0

//! The event a filter is asked about, borrowed for one callback.

use super::Verdict;
use core::{marker::PhantomData, mem::MaybeUninit, num::NonZeroUsize, ptr};
use kernel::{
    bindings,
    error::{code::*, Error, Result},
    ffi::{c_int, c_void},
};

/// Mask of an fsnotify event (`FS_*` bits of `include/linux/fsnotify_backend.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMask(u32);

impl EventMask {
    /// File was read.
    pub const ACCESS: Self = Self(bindings::FS_ACCESS);
    /// File was written.
    pub const MODIFY: Self = Self(bindings::FS_MODIFY);
    /// Metadata changed.
    pub const ATTRIB: Self = Self(bindings::FS_ATTRIB);
    /// Writable file was closed.
    pub const CLOSE_WRITE: Self = Self(bindings::FS_CLOSE_WRITE);
    /// Read-only file was closed.
    pub const CLOSE_NOWRITE: Self = Self(bindings::FS_CLOSE_NOWRITE);
    /// File was opened.
    pub const OPEN: Self = Self(bindings::FS_OPEN);
    /// Entry moved out of a directory.
    pub const MOVED_FROM: Self = Self(bindings::FS_MOVED_FROM);
    /// Entry moved into a directory.
    pub const MOVED_TO: Self = Self(bindings::FS_MOVED_TO);
    /// Entry created in a directory.
    pub const CREATE: Self = Self(bindings::FS_CREATE);
    /// Entry deleted from a directory.
    pub const DELETE: Self = Self(bindings::FS_DELETE);
    /// The object itself was deleted.
    pub const DELETE_SELF: Self = Self(bindings::FS_DELETE_SELF);
    /// The object itself was moved.
    pub const MOVE_SELF: Self = Self(bindings::FS_MOVE_SELF);
    /// File was opened for execution.
    pub const OPEN_EXEC: Self = Self(bindings::FS_OPEN_EXEC);
    /// Permission event: open.
    pub const OPEN_PERM: Self = Self(bindings::FS_OPEN_PERM);
    /// Permission event: read.
    pub const ACCESS_PERM: Self = Self(bindings::FS_ACCESS_PERM);
    /// Permission event: open for execution.
    pub const OPEN_EXEC_PERM: Self = Self(bindings::FS_OPEN_EXEC_PERM);
    /// Rename with both old and new name.
    pub const RENAME: Self = Self(bindings::FS_RENAME);
    /// The object is a directory.
    pub const ISDIR: Self = Self(bindings::FS_ISDIR);

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
}

impl core::ops::BitOr for EventMask {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Identity of an inode that needs no reference: its superblock, inode
/// number and generation.
///
/// Holding an `InodeId` keeps nothing busy. If the filesystem is unmounted
/// and another one is later mounted on a superblock at the same address, an
/// old id may match an inode of the new filesystem with the same number and
/// generation; filters that care must be reconfigured after a remount.
///
/// A superblock address is never zero, which lets `Option<InodeId>` be as
/// small as an `InodeId`: hash tables of ids stay dense.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InodeId {
    sb: NonZeroUsize,
    ino: u64,
    generation: u32,
}

impl InodeId {
    /// Reads the identity of `inode`.
    ///
    /// # Safety
    ///
    /// `inode` points to an inode that stays allocated during the call (a
    /// reference, or the RCU read lock, which delays the freeing of inodes).
    #[inline]
    unsafe fn of(inode: *const bindings::inode) -> Self {
        // SAFETY: `inode` is valid for reads (safety requirements). These
        // fields are set before the inode is hashed and never change while
        // it can be reached.
        let (sb, ino, generation) = unsafe {
            (
                (*inode).i_sb as usize,
                (*inode).i_ino as u64,
                (*inode).i_generation,
            )
        };
        Self {
            // Every inode has a superblock; the fallback is unreachable.
            sb: NonZeroUsize::new(sb).unwrap_or(NonZeroUsize::MIN),
            ino,
            generation,
        }
    }

    /// Identity of the directory that the caller's file descriptor `fd`
    /// refers to. The file is only looked at, no reference is kept.
    pub fn of_dir_fd(fd: i32) -> Result<Self> {
        let fd = u32::try_from(fd).map_err(|_| EBADF)?;
        // SAFETY: `fget` takes a reference on the file or returns null.
        let file = unsafe { bindings::fget(fd) };
        if file.is_null() {
            return Err(EBADF);
        }
        // SAFETY: we hold a reference on `file`, so it and its inode are
        // valid until the `fput` below.
        let (id, is_dir) = unsafe {
            let inode = (*file).f_inode;
            (
                Self::of(inode),
                u32::from((*inode).i_mode) & bindings::S_IFMT == bindings::S_IFDIR,
            )
        };
        // SAFETY: drops the reference taken by `fget` above.
        unsafe { bindings::fput(file) };
        if is_dir {
            Ok(id)
        } else {
            Err(ENOTDIR)
        }
    }

    /// A multiplicative (Fibonacci) hash of the identity: one
    /// multiplication, as this runs for every ancestor of every filtered
    /// event. Its high bits are the well-mixed ones: a table of `2^k` slots
    /// indexes with `hash >> (64 - k)`.
    #[inline]
    pub fn hash(&self) -> u64 {
        const GOLDEN_RATIO_64: u64 = 0x61c8_8646_80b5_83eb;
        let key = self.sb.get() as u64 ^ self.ino ^ (u64::from(self.generation) << 32);
        key.wrapping_mul(GOLDEN_RATIO_64)
    }
}

/// Why a permission event is denied; see [`Permission::deny`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial(pub(super) Error);

/// Proof that an event is a permission event: the only way to deny one.
///
/// # Invariants
///
/// The event this was obtained from has a permission bit in its mask.
pub struct Permission<'e> {
    _event: PhantomData<&'e ()>,
}

impl Permission<'_> {
    /// Allow the access without asking user space.
    pub fn allow(&self) -> Verdict {
        Verdict::Skip
    }

    /// Deny the access with `EPERM`, without asking user space.
    pub fn deny(&self) -> Verdict {
        Verdict::Deny(Denial(EPERM))
    }

    /// Deny the access with `EACCES`, without asking user space.
    pub fn deny_eacces(&self) -> Verdict {
        Verdict::Deny(Denial(EACCES))
    }
}

/// Result of [`Event::find_ancestor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ancestry {
    /// The predicate matched the object or one of its ancestors.
    Found,
    /// The walk reached the root of the filesystem without a match.
    NotFound,
    /// The event carries no object, or the walk hit its depth bound.
    Unknown,
}

/// One fsnotify event, borrowed for the duration of a filter callback.
///
/// # Invariants
///
/// The pointers are the arguments `fsnotify()` passed for this event and
/// are valid for `'a`: `data` is of type `data_type` (or null), `dir` and
/// `name` are null or valid.
pub struct Event<'a> {
    mask: u32,
    data: *const c_void,
    data_type: c_int,
    dir: *mut bindings::inode,
    name: *const bindings::qstr,
    _borrow: PhantomData<&'a bindings::inode>,
}

impl<'a> Event<'a> {
    /// Wraps the arguments of a filter callback.
    ///
    /// # Safety
    ///
    /// The pointers are what `fsnotify()` passed for this event and stay
    /// valid for `'a`.
    pub(super) unsafe fn from_raw(
        mask: u32,
        data: *const c_void,
        data_type: c_int,
        dir: *mut bindings::inode,
        name: *const bindings::qstr,
    ) -> Self {
        // INVARIANT: guaranteed by the safety requirements.
        Self {
            mask,
            data,
            data_type,
            dir,
            name,
            _borrow: PhantomData,
        }
    }

    /// The event mask.
    pub fn mask(&self) -> EventMask {
        EventMask(self.mask)
    }

    /// A [`Permission`] if this is a permission event, whose verdict allows
    /// or denies the access.
    pub fn permission(&self) -> Option<Permission<'_>> {
        let perm = EventMask::OPEN_PERM | EventMask::ACCESS_PERM | EventMask::OPEN_EXEC_PERM;
        // INVARIANT: checked right here.
        self.mask().intersects(perm).then_some(Permission {
            _event: PhantomData,
        })
    }

    /// Thread-group id (process id, in the initial pid namespace) of the
    /// task that caused the event.
    pub fn actor_tgid(&self) -> i32 {
        // Filters run in the context of the task that caused the event.
        current_tgid()
    }

    /// Effective user id (in the initial user namespace) of the task that
    /// caused the event.
    pub fn actor_uid(&self) -> u32 {
        // SAFETY: `current_euid()` reads the credentials of the current
        // task, which only that task replaces, and filters run in the
        // context of the task that caused the event.
        unsafe { bindings::current_euid() }.val
    }

    /// Whether the event is about a directory.
    pub fn is_dir(&self) -> bool {
        self.mask().intersects(EventMask::ISDIR)
    }

    /// The entry name of directory-entry events (create, delete, move), and
    /// of events on a child reported to its parent directory.
    pub fn name(&self) -> Option<&'a [u8]> {
        if self.name.is_null() {
            return None;
        }
        // SAFETY: `name` is a valid qstr for `'a` (type invariant) and its
        // bytes are stable for the duration of the event (fsnotify's
        // contract).
        Some(unsafe { qstr_bytes(self.name) })
    }

    /// Calls `f` with the last path component of the event's object: the
    /// entry name for directory-entry events, otherwise the current name of
    /// the event's dentry. `None` if the event carries neither (e.g. an
    /// inode-only event). Allocates nothing.
    pub fn with_object_name<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if let Some(name) = self.name() {
            return Some(f(name));
        }
        // SAFETY: `data` and `data_type` match (type invariant).
        let dentry = unsafe { bindings::fsnotify_data_dentry(self.data, self.data_type) };
        if dentry.is_null() {
            return None;
        }
        // The snapshot may point into itself (short names are copied into
        // it), so it stays in this stack slot until it is released.
        let mut snapshot = MaybeUninit::<bindings::name_snapshot>::uninit();
        // SAFETY: `dentry` is pinned by the caller of fsnotify(), and
        // `snapshot` is writable. A concurrent rename cannot change the
        // snapshot's name: it holds its own copy or reference.
        unsafe { bindings::take_dentry_name_snapshot(snapshot.as_mut_ptr(), dentry) };
        // SAFETY: `take_dentry_name_snapshot` initialized the snapshot; its
        // name stays valid until `release_dentry_name_snapshot` below.
        let result = f(unsafe { qstr_bytes(ptr::addr_of!((*snapshot.as_ptr()).name)) });
        // SAFETY: releases the snapshot taken above, exactly once.
        unsafe { bindings::release_dentry_name_snapshot(snapshot.as_mut_ptr()) };
        Some(result)
    }

    /// Identity of the inode the event is about.
    pub fn inode(&self) -> Option<InodeId> {
        // SAFETY: `data` and `data_type` match (type invariant).
        let inode = unsafe { bindings::fsnotify_data_inode(self.data, self.data_type) };
        if inode.is_null() {
            return None;
        }
        // SAFETY: the event's inode is pinned by the caller of fsnotify().
        Some(unsafe { InodeId::of(inode) })
    }

    /// Walks from the event's object up to the root of its filesystem, at
    /// most `max_depth` steps, and reports whether `pred` holds for the
    /// object or one of its ancestors.
    ///
    /// For directory-entry events that carry only an inode and a directory,
    /// the walk starts at the directory. The walk is one pass under RCU,
    /// retried if a rename ran concurrently, so a file moved out of a tree
    /// stops matching as soon as the rename is done.
    pub fn find_ancestor(
        &self,
        max_depth: usize,
        mut pred: impl FnMut(&InodeId) -> bool,
    ) -> Ancestry {
        // SAFETY: `data` and `data_type` match (type invariant).
        let dentry = unsafe { bindings::fsnotify_data_dentry(self.data, self.data_type) };
        if !dentry.is_null() {
            // SAFETY: the event's dentry is pinned by the caller of fsnotify().
            return unsafe { walk_ancestors(dentry, max_depth, &mut pred) };
        }

        let inode = if self.dir.is_null() {
            // SAFETY: `data` and `data_type` match (type invariant).
            unsafe { bindings::fsnotify_data_inode(self.data, self.data_type) }
        } else {
            self.dir
        };
        if inode.is_null() {
            return Ancestry::Unknown;
        }
        // SAFETY: `inode` is pinned by the caller of fsnotify(); the function
        // returns a counted reference or null.
        let alias = unsafe { bindings::d_find_any_alias(inode) };
        if alias.is_null() {
            return Ancestry::Unknown;
        }
        // SAFETY: we hold a reference on `alias`.
        let found = unsafe { walk_ancestors(alias, max_depth, &mut pred) };
        // SAFETY: drops the reference `d_find_any_alias` returned.
        unsafe { bindings::dput(alias) };
        found
    }
}

/// Thread-group id (in the initial pid namespace) of the current task.
pub fn current_tgid() -> i32 {
    kernel::current!().group_leader().pid()
}

/// The bytes of a qstr.
///
/// # Safety
///
/// `q` points to a valid qstr whose name stays valid and unchanged for `'b`.
unsafe fn qstr_bytes<'b>(q: *const bindings::qstr) -> &'b [u8] {
    // SAFETY: `q` is valid, and its name is `len` readable bytes for `'b`
    // (safety requirements).
    unsafe {
        let len = (*q).__bindgen_anon_1.__bindgen_anon_1.len as usize;
        core::slice::from_raw_parts((*q).name, len)
    }
}

/// Applies `pred` to `start` and its ancestors.
///
/// # Safety
///
/// `start` is a dentry that stays referenced during the call.
unsafe fn walk_ancestors(
    start: *mut bindings::dentry,
    max_depth: usize,
    pred: &mut impl FnMut(&InodeId) -> bool,
) -> Ancestry {
    // The global seqlock that renames of any dentry write-lock.
    let rename_lock = ptr::addr_of!(bindings::rename_lock);
    loop {
        // SAFETY: `rename_lock` is valid.
        let seq = unsafe { bindings::read_seqbegin(rename_lock) };
        // SAFETY: paired with the unlock below; nothing in between sleeps.
        unsafe { bindings::rcu_read_lock() };
        let mut dentry = start;
        let mut result = Ancestry::Unknown;
        // An exclusive range: `0..=max_depth` costs a flag test per step.
        for _ in 0..max_depth.saturating_add(1) {
            // SAFETY: `dentry` is `start` (referenced) or a parent read under
            // RCU, and dentries are freed only after an RCU grace period.
            // `d_inode` and `d_parent` change under us on concurrent unlink
            // or rename, hence the volatile reads and the seqlock retry.
            let (inode, parent) = unsafe {
                (
                    ptr::read_volatile(ptr::addr_of!((*dentry).d_inode)),
                    ptr::read_volatile(ptr::addr_of!((*dentry).d_parent)),
                )
            };
            // SAFETY: inodes reached under RCU are freed only after a grace
            // period.
            if !inode.is_null() && pred(&unsafe { InodeId::of(inode) }) {
                result = Ancestry::Found;
                break;
            }
            if parent == dentry {
                result = Ancestry::NotFound;
                break;
            }
            dentry = parent;
        }
        // SAFETY: paired with the lock above.
        unsafe { bindings::rcu_read_unlock() };
        // SAFETY: `rename_lock` is valid and `seq` came from `read_seqbegin`.
        if unsafe { bindings::read_seqretry(rename_lock, seq) } == 0 {
            return result;
        }
    }
}
