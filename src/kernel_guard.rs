// SPDX-License-Identifier: GPL-2.0

//! The kernel-resident guard: a fanotify group this module owns, with the
//! `guard` filter attached, configured by root through
//! `/sys/fs/fanotify/groups/fanotify_filters/guard/config` (see
//! [`crate::filters::config`] for the text). It needs no daemon and keeps
//! denying after every process is gone, until root writes `off` or
//! removes the module.
//!
//! Armed, it marks the filesystem of each root for opens, executions and
//! reads and answers them with the `guard` filter, as a daemon's group
//! with that filter would, except that nothing it sends can wait for an
//! answer: the kernel allows it. Its denials are audited and traced.
#![forbid(unsafe_code)]

use crate::filters::{
    config::{parse_guard_config, GuardConfig, GuardSettings},
    guard::{Guard, GuardState},
    roots::nul_terminated,
};
use kernel::fs::fanotify::{
    self, ConfigText, Group, GroupConfig, GroupFlags, KernelGroup, MarkMask, MarkOn, Registration,
};
use kernel::{c_str, new_mutex, prelude::*, sync::Mutex};

/// The kernel group's name, under `/sys/fs/fanotify/groups/fanotify_filters/`.
const NAME: &CStr = c_str!("guard");

/// The events the guard answers.
fn guard_mask() -> MarkMask {
    MarkMask::OPEN_PERM | MarkMask::OPEN_EXEC_PERM | MarkMask::ACCESS_PERM
}

/// The kernel group of the guard, to keep in the module's state.
pub(crate) type KernelGuardGroup = KernelGroup<KernelGuard>;

/// Creates the guard's group, off.
pub(crate) fn new(module: &'static ThisModule) -> impl PinInit<KernelGuardGroup, Error> {
    KernelGroup::new(
        module,
        NAME,
        GroupFlags::CONTENT | GroupFlags::AUDIT,
        KernelGuard::new(module),
    )
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

    /// Arms an off guard: the filter first, then the marks, so that no
    /// event arrives unfiltered. On error, nothing stays armed.
    fn arm(&self, group: &Group, settings: &GuardSettings<'_>) -> Result {
        let state = fanotify::new_state(GuardState::from_settings(settings)?)?;
        group.attach_state(&self.registration, state)?;
        for root in settings.roots() {
            let path = nul_terminated(root)?;
            let marked = CStr::from_bytes_with_nul(&path)
                .map_err(|_| EINVAL)
                .and_then(|path| group.add_mark(MarkOn::Filesystem, guard_mask(), path));
            if let Err(e) = marked {
                // The error of the mark is the one to report.
                let _ = disarm(group);
                return Err(e);
            }
        }
        Ok(())
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

    /// `EINVAL` for a malformed text or a uid with no mapping, `EBUSY` to
    /// arm an armed guard (write `off` first), the lookup's errors for a
    /// root (`ENOENT`, `ENOTDIR`, ...).
    fn store(&self, group: &Group, input: &[u8]) -> Result {
        let config = parse_guard_config(input)?;
        let mut applied = self.applied.lock();
        match config {
            GuardConfig::Off => {
                disarm(group)?;
                *applied = KVec::new();
            }
            GuardConfig::On(settings) => {
                if !applied.is_empty() {
                    return Err(EBUSY);
                }
                self.arm(group, &settings)?;
                let text = input.strip_suffix(b"\n").unwrap_or(input);
                let mut copy = KVec::with_capacity(text.len(), GFP_KERNEL)?;
                copy.extend_from_slice(text, GFP_KERNEL)?;
                *applied = copy;
            }
        }
        Ok(())
    }
}
