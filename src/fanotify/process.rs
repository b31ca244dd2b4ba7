// SPDX-License-Identifier: GPL-2.0

//! References to processes and users that filters name.

use core::ptr::NonNull;
use kernel::{bindings, error::from_err_ptr, prelude::*};

/// A counted reference to a thread group (`struct pid`).
///
/// Filters that name processes keep one of these, never the number: a pid
/// number is reused once its process is gone, a `struct pid` is not, so a
/// process that later gets the same number never matches.
///
/// # Invariants
///
/// `pid` is a thread group's pid on which this object holds a reference.
pub struct Process {
    pid: NonNull<bindings::pid>,
}

impl Process {
    /// The thread group whose id is `tgid` in the caller's pid namespace:
    /// `EINVAL` for `tgid <= 0`, `ESRCH` if there is none.
    pub fn by_tgid(tgid: i32) -> Result<Self> {
        if tgid <= 0 {
            return Err(EINVAL);
        }
        Self::get(tgid)
    }

    /// The caller's own thread group.
    pub fn current() -> Result<Self> {
        Self::get(0)
    }

    fn get(tgid: i32) -> Result<Self> {
        // SAFETY: no precondition; returns a counted reference or an
        // `ERR_PTR`.
        let pid = from_err_ptr(unsafe { bindings::fanotify_filter_get_process(tgid) })?;
        // INVARIANT: a thread group's pid with a reference we own.
        NonNull::new(pid).map(|pid| Self { pid }).ok_or(ESRCH)
    }

    pub(super) fn as_raw(&self) -> *const bindings::pid {
        self.pid.as_ptr()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // SAFETY: drops the reference this object owns (type invariant).
        unsafe { bindings::put_pid(self.pid.as_ptr()) };
    }
}

// SAFETY: a `struct pid` reference may be dropped from any thread.
unsafe impl Send for Process {}
// SAFETY: a shared `Process` only offers its address for comparison.
unsafe impl Sync for Process {}

/// A user, as the kernel knows it (`kuid_t`, never `INVALID_UID`): taken
/// from a number of the caller's user namespace when a filter is attached
/// or reconfigured, compared with an event's actor's effective uid.
#[derive(Clone, Copy)]
pub struct Kuid(bindings::kuid_t);

impl Kuid {
    /// The user whose uid is `uid` in the calling task's user namespace;
    /// `EINVAL` if it has no mapping there.
    ///
    /// Call it from `init()` (the attaching task) or `reconfigure()` (the
    /// task that reconfigures), never from `filter()`, where the calling
    /// task is the event's actor and the namespace is the actor's.
    pub fn from_current_ns(uid: u32) -> Result<Self> {
        // `INVALID_UID` until the C side fills it in.
        let mut kuid = bindings::kuid_t { val: u32::MAX };
        // SAFETY: no precondition; `kuid` is writable.
        if unsafe { bindings::fanotify_filter_kuid(uid, &mut kuid) } {
            Ok(Self(kuid))
        } else {
            Err(EINVAL)
        }
    }

    /// Wraps a uid the kernel gave (`current_euid()`).
    pub(super) fn from_raw(kuid: bindings::kuid_t) -> Self {
        Self(kuid)
    }
}

impl PartialEq for Kuid {
    /// `uid_eq()`.
    fn eq(&self, other: &Self) -> bool {
        self.0.val == other.0.val
    }
}

impl Eq for Kuid {}
