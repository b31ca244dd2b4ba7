// SPDX-License-Identifier: GPL-2.0

//! One fsnotify event as a filter sees it.

use super::{Denial, InodeSet, Kuid, Process, Verdict};
use core::{marker::PhantomData, mem::MaybeUninit, ptr};
use kernel::{
    bindings,
    ffi::{c_int, c_void},
};

/// The event bits of an fsnotify event mask (`FS_*` of
/// `include/linux/fsnotify_backend.h`, equal to the `FAN_*` of the uapi).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventMask(u32);

impl EventMask {
    /// Entry renamed, with both old and new name.
    pub const RENAME: Self = Self(bindings::FS_RENAME);
    /// The object is a directory.
    pub const ISDIR: Self = Self(bindings::FS_ISDIR);
    /// Every permission event: open, access, open for execution.
    pub const PERMISSION: Self =
        Self(bindings::FS_OPEN_PERM | bindings::FS_ACCESS_PERM | bindings::FS_OPEN_EXEC_PERM);

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }
}

/// Where an event's object is, relative to a set of directories; see
/// [`Event::locate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// At or below none of them.
    Outside,
    /// At or below one of them.
    Inside,
    /// Cannot be told: no object, a walk that ends at a root other than the
    /// one the set's directories hang from (a disconnected dentry, another
    /// NFS export mounted apart), a chain of ancestors deeper than the
    /// walk's bound, an inode with no name.
    Unknown,
}

/// Proof that an event is a permission event of the group: the only way to
/// deny one.
///
/// # Invariants
///
/// The event `'e` has a permission bit in the mask the group will get.
pub struct Permission<'e> {
    _event: PhantomData<&'e ()>,
}

impl<'e> Permission<'e> {
    /// Allow the access without asking user space.
    pub fn allow(&self) -> Verdict<'e> {
        Verdict::Skip
    }

    /// Deny the access with `EPERM`, without asking user space.
    pub fn deny(&self) -> Verdict<'e> {
        Verdict::Deny(Denial {
            _event: PhantomData,
        })
    }
}

/// The process that caused an event; see [`Event::actor`].
///
/// # Invariants
///
/// `pid` is the thread group of the current task, which holds it for `'e`.
pub struct Actor<'e> {
    pid: *const bindings::pid,
    _event: PhantomData<&'e ()>,
}

impl Actor<'_> {
    /// Whether the actor is `process`. A pid number that was reused by
    /// another process never matches.
    pub fn is(&self, process: &Process) -> bool {
        ptr::eq(self.pid, process.as_raw())
    }
}

/// One fsnotify event, borrowed for the duration of a filter callback.
///
/// # Invariants
///
/// The fields are the arguments of a `->filter()` call, valid for `'a`,
/// which is at most that call, made under `rcu_read_lock()` as `struct
/// fanotify_filter_ops` documents: `data` is of type `data_type` (or null),
/// `dir` and `name` are null or valid.
pub struct Event<'a> {
    mask: u32,
    data: *const c_void,
    data_type: c_int,
    dir: *mut bindings::inode,
    name: *const bindings::qstr,
    _call: PhantomData<&'a bindings::inode>,
}

impl<'a> Event<'a> {
    /// Wraps the arguments of a filter callback.
    ///
    /// # Safety
    ///
    /// The arguments are those of a `->filter()` call, and the event does
    /// not outlive that call.
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
            _call: PhantomData,
        }
    }

    /// The events the group will be sent, [`EventMask::ISDIR`] if the
    /// object is a directory, and `FS_EVENT_ON_CHILD` if the event is
    /// reported to a watching parent.
    pub fn mask(&self) -> EventMask {
        EventMask(self.mask)
    }

    /// A [`Permission`] if this is a permission event, whose verdict allows
    /// or denies the access.
    pub fn permission(&self) -> Option<Permission<'_>> {
        // INVARIANT: checked right here.
        self.mask()
            .intersects(EventMask::PERMISSION)
            .then_some(Permission {
                _event: PhantomData,
            })
    }

    /// Whether the event is about a directory.
    pub fn is_dir(&self) -> bool {
        self.mask().intersects(EventMask::ISDIR)
    }

    /// The process that caused the event; `None` if a kernel thread raised
    /// it (kernfs notifications and delayed `__fput()` from a kworker,
    /// nfsd), whose actor is unknown.
    pub fn actor(&self) -> Option<Actor<'_>> {
        // SAFETY: called during a filter call (type invariant), in the
        // context of the task that raised the event.
        let pid = unsafe { bindings::fanotify_filter_actor() };
        // INVARIANT: the current task's thread group, held by the task.
        (!pid.is_null()).then_some(Actor {
            pid,
            _event: PhantomData,
        })
    }

    /// Effective user of the process that caused the event; `None` if the
    /// actor is unknown (see [`Event::actor`]).
    pub fn actor_euid(&self) -> Option<Kuid> {
        // `INVALID_UID` until the C side fills it in.
        let mut uid = bindings::kuid_t { val: u32::MAX };
        // SAFETY: no precondition (it reads the current task's
        // credentials); `uid` is writable.
        unsafe { bindings::fanotify_filter_actor_euid(&mut uid) }.then(|| Kuid::from_raw(uid))
    }

    /// Where the event's object is, relative to the directories of `set`:
    /// one rename-safe, bounded walk in C, whatever the size of `set`.
    /// The rule per event type (which object and which parents count) is
    /// that of `fanotify_filter_locate()`.
    pub fn locate(&self, set: &InodeSet) -> Place {
        // SAFETY: the event's arguments are valid and this runs under
        // `rcu_read_lock()` in a filter call (type invariant); `set` is a
        // valid set that nobody changes while it is shared.
        unsafe { locate_raw(set, self.mask, self.data, self.data_type, self.dir) }
    }

    /// Where *every* place the event names is, relative to `set`:
    /// [`Place::Inside`] only if each of them is known to be, for a filter
    /// that drops what is inside (pruning) and must not drop an event
    /// that is also about a place outside. Differs from [`Self::locate`]
    /// (inside if any place is) where an event names, or may name,
    /// several places:
    ///
    /// - a rename: its old and its new place, each placed;
    /// - a move of the object itself (`FS_MOVE_SELF`): only the new place
    ///   can be seen, so never inside;
    /// - any other inode-only event on a non-directory (a link count
    ///   change, `FS_DELETE_SELF`): placed inside if any of the inode's
    ///   cached names is, and a file may have several, among them names
    ///   already unlinked but still cached: never inside.
    pub fn locate_every(&self, set: &InodeSet) -> Place {
        if self.mask & bindings::FS_RENAME != 0 && !self.dir.is_null() {
            return self.locate_rename_every(set);
        }
        let place = self.locate(set);
        if place == Place::Inside && self.may_be_elsewhere() {
            return Place::Unknown;
        }
        place
    }

    /// Whether an event placed inside may also be about a place that was
    /// not seen: see [`Self::locate_every`]. A directory has one name.
    fn may_be_elsewhere(&self) -> bool {
        let inode_only = self.data_type
            == bindings::fsnotify_data_type_FSNOTIFY_EVENT_INODE as c_int
            && self.dir.is_null();
        self.mask & bindings::FS_MOVE_SELF != 0
            || (inode_only && self.mask & bindings::FS_ISDIR == 0)
    }

    /// [`Self::locate_every`] of a rename: each of its two places.
    fn locate_rename_every(&self, set: &InodeSet) -> Place {
        // Without `FS_RENAME` in the mask the C rule places the moved
        // dentry only: the rename's new place.
        // SAFETY: as in `locate`, with a mask the call accepts as well.
        let new = unsafe {
            locate_raw(
                set,
                self.mask & !bindings::FS_RENAME,
                self.data,
                self.data_type,
                self.dir,
            )
        };
        // The old parent, as an inode-only event without a directory or a
        // mask bit, is placed by its own names: the rename's old place.
        // SAFETY: as in `locate`; `dir` is a valid inode for the call
        // (type invariant), which is what inode data must be.
        let old = unsafe {
            locate_raw(
                set,
                0,
                self.dir.cast_const().cast(),
                bindings::fsnotify_data_type_FSNOTIFY_EVENT_INODE as c_int,
                ptr::null_mut(),
            )
        };
        match (new, old) {
            (Place::Inside, Place::Inside) => Place::Inside,
            (Place::Outside, _) | (_, Place::Outside) => Place::Outside,
            _ => Place::Unknown,
        }
    }

    /// Calls `f` with each name of the event's object and returns whether
    /// `f` held for any of them (stopping at the first that does); `None` if
    /// the event carries no name (an inode-only event).
    ///
    /// The names are the entry name of directory-entry events (for a rename
    /// both the old and the new one), otherwise the current name of the
    /// event's dentry. Allocates nothing; a concurrent rename cannot change
    /// a name while `f` looks at it.
    pub fn any_name(&self, mut f: impl FnMut(&[u8]) -> bool) -> Option<bool> {
        let entry = if self.name.is_null() {
            None
        } else {
            // SAFETY: `name` is a valid qstr for `'a` (type invariant) and
            // its bytes are stable for the duration of the event: callers of
            // fsnotify() pass either the entry name of a directory they hold
            // locked or a name snapshot (`__fsnotify_parent()`).
            Some(unsafe { qstr_bytes(self.name) })
        };
        if let Some(name) = entry {
            if f(name) {
                return Some(true);
            }
            // Only a rename has a second name: the moved dentry's new one.
            if !self.mask().intersects(EventMask::RENAME) {
                return Some(false);
            }
        }
        // SAFETY: `data` and `data_type` match (type invariant).
        let dentry = unsafe { bindings::fsnotify_data_dentry(self.data, self.data_type) };
        if dentry.is_null() {
            return entry.map(|_| false);
        }
        // The snapshot may point into itself (short names are copied into
        // it), so it stays in this stack slot until it is released.
        let mut snapshot = MaybeUninit::<bindings::name_snapshot>::uninit();
        // SAFETY: `dentry` is held by the caller of fsnotify(), and
        // `snapshot` is writable. Takes the dentry's spinlock only, which is
        // allowed under RCU.
        unsafe { bindings::take_dentry_name_snapshot(snapshot.as_mut_ptr(), dentry) };
        // SAFETY: `take_dentry_name_snapshot` initialized the snapshot; its
        // name stays valid until `release_dentry_name_snapshot` below.
        let found = f(unsafe { qstr_bytes(ptr::addr_of!((*snapshot.as_ptr()).name)) });
        // SAFETY: releases the snapshot taken above, exactly once; frees
        // with kfree_rcu at most, which does not sleep.
        unsafe { bindings::release_dentry_name_snapshot(snapshot.as_mut_ptr()) };
        Some(found)
    }
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

/// `fanotify_filter_locate()` as a [`Place`].
///
/// # Safety
///
/// The arguments are valid for a filter call (`data` of type `data_type`,
/// `dir` null or an inode), and the caller runs under `rcu_read_lock()`
/// in such a call; nobody changes `set` while it is shared.
unsafe fn locate_raw(
    set: &InodeSet,
    mask: u32,
    data: *const c_void,
    data_type: c_int,
    dir: *mut bindings::inode,
) -> Place {
    // SAFETY: guaranteed by the safety requirements.
    let place =
        unsafe { bindings::fanotify_filter_locate(set.as_raw(), mask, data, data_type, dir) };
    match place {
        bindings::fanotify_filter_place_FAN_FILTER_OUTSIDE => Place::Outside,
        bindings::fanotify_filter_place_FAN_FILTER_INSIDE => Place::Inside,
        _ => Place::Unknown,
    }
}
