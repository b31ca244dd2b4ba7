// SPDX-License-Identifier: GPL-2.0

//! The kernel-resident guard: a fanotify group this module owns, with the
//! `guard` filter, configured by root through
//! `/sys/fs/fanotify/groups/fanotify_filters/guard/config` (see
//! [`crate::filters::config`] for the text). It needs no daemon and keeps
//! denying after every process is gone, until root writes `off` or
//! removes the module.
//!
//! Armed, it marks the filesystem of each root for opens, executions and
//! reads, of directories too, and answers them with the `guard` filter,
//! as a daemon's group with that filter would, except that nothing it
//! sends can wait for an answer: the kernel allows it. Its denials are
//! audited and traced.
#![forbid(unsafe_code)]

use crate::filters::{
    config::{parse_guard_config, GuardConfig, GuardSettings},
    guard::{Guard, GuardState},
    roots::nul_terminated,
};
use kernel::fs::fanotify::{
    self, ConfigText, Group, GroupConfig, GroupFlags, KernelGroup, MarkMask, MarkOn, OwnedInodeSet,
    Registration,
};
use kernel::{c_str, new_mutex, page::PAGE_SIZE, prelude::*, sync::Mutex};

/// The kernel group's name, under `/sys/fs/fanotify/groups/fanotify_filters/`.
const NAME: &CStr = c_str!("guard");

/// The events the guard answers.
fn guard_mask() -> MarkMask {
    MarkMask::OPEN_PERM | MarkMask::OPEN_EXEC_PERM | MarkMask::ACCESS_PERM | MarkMask::ONDIR
}

/// The kernel group of the guard, to keep in the module's state.
pub(crate) type KernelGuardGroup = KernelGroup<KernelGuard>;

/// Creates the guard's group, off. Its denials are audited where the
/// kernel can (`FAN_ENABLE_AUDIT` needs `CONFIG_AUDITSYSCALL`).
pub(crate) fn new(module: &'static ThisModule) -> impl PinInit<KernelGuardGroup, Error> {
    let flags = if cfg!(CONFIG_AUDITSYSCALL) {
        GroupFlags::CONTENT | GroupFlags::AUDIT
    } else {
        GroupFlags::CONTENT
    };
    KernelGroup::new(module, NAME, flags, KernelGuard::new(module))
}

/// The guard's data: the filter it attaches and what is applied.
#[pin_data]
pub(crate) struct KernelGuard {
    /// The `guard` filter type, registered here so that it lives as long
    /// as the group that may use it.
    registration: Registration<Guard>,
    /// The configuration text in force, without its newline; empty when off.
    /// Serializes configuration changes.
    #[pin]
    applied: Mutex<KVec<u8>>,
}

impl KernelGuard {
    fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            registration: Registration::new(module)?,
            applied <- new_mutex!(KVec::new()),
        })
    }

    /// Whether a configuration is in force.
    pub(crate) fn armed(&self) -> bool {
        !self.applied.lock().is_empty()
    }

    /// Arms an off guard: each root looked up once, for its mark and for
    /// the filter's set, then the filter. Until the filter is attached the
    /// marks' events are allowed (and counted), as before arming. On error
    /// nothing stays armed.
    fn arm(&self, group: &Group, settings: &GuardSettings<'_>) -> Result {
        let armed = (|| {
            let mut roots = OwnedInodeSet::with_capacity(settings.nr_roots())?;
            for root in settings.roots() {
                let path = nul_terminated(root)?;
                let path = CStr::from_bytes_with_nul(&path).map_err(|_| EINVAL)?;
                group.mark_dir(&mut roots, MarkOn::Filesystem, guard_mask(), path)?;
            }
            let state = GuardState::for_kernel_group(roots, settings)?;
            group.attach_state(&self.registration, fanotify::new_state(state)?)
        })();
        if armed.is_err() {
            // The error of the arming is the one to report.
            let _ = disarm(group);
        }
        armed
    }
}

/// The marks first, so that no event arrives unfiltered; then the filter.
fn disarm(group: &Group) -> Result {
    group.flush_marks(MarkOn::Filesystem)?;
    match group.detach() {
        Err(e) if e != ENOENT => Err(e),
        _ => Ok(()),
    }
}

#[vtable]
impl GroupConfig for KernelGuard {
    fn show(&self, _group: &Group, out: &mut ConfigText<'_>) -> Result {
        let applied = self.applied.lock();
        if applied.is_empty() {
            out.push(b"off\n")
        } else {
            out.push(&applied)?;
            out.push(b"\n")
        }
    }

    /// `EINVAL` for a malformed or empty text or a uid with no mapping,
    /// `E2BIG` for a text that would not fit a page when read back,
    /// `EBUSY` to arm an armed guard with another text (write `off`
    /// first; the same text again changes nothing), the lookup's errors
    /// for a root (`ENOENT`, `ENOTDIR`, ...), `EPERM` if the administrator
    /// disabled the filter.
    fn store(&self, group: &Group, input: &[u8]) -> Result {
        let text = input.strip_suffix(b"\n").unwrap_or(input);
        // Read back with its newline, it must fit `ConfigText`.
        if text.len() > PAGE_SIZE - 2 {
            return Err(E2BIG);
        }
        let config = parse_guard_config(input)?;
        let mut applied = self.applied.lock();
        match config {
            GuardConfig::Off => {
                disarm(group)?;
                *applied = KVec::new();
            }
            GuardConfig::On(_) if !applied.is_empty() && applied[..] == *text => {}
            GuardConfig::On(_) if !applied.is_empty() => return Err(EBUSY),
            GuardConfig::On(settings) => {
                // Before arming: an allocation failure after it would leave
                // the guard armed with `off` shown.
                let mut copy = KVec::with_capacity(text.len(), GFP_KERNEL)?;
                copy.extend_from_slice(text, GFP_KERNEL)?;
                self.arm(group, &settings)?;
                *applied = copy;
            }
        }
        Ok(())
    }
}
