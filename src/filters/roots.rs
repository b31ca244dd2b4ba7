// SPDX-License-Identifier: GPL-2.0

//! What the filters build from their parsed arguments: sets of directories,
//! references to processes and users.

use super::args::Words;
use kernel::fs::fanotify::OwnedInodeSet;
use kernel::{alloc::Flags, pid::Pid, prelude::*, sync::aref::ARef, task::Kuid};

/// The set of the directories that the caller's fds `fds` refer to.
pub(crate) fn root_set(fds: Words<'_>) -> Result<OwnedInodeSet> {
    let mut set = OwnedInodeSet::with_capacity(fds.len())?;
    for fd in fds.iter_i32() {
        set.add_dir_fd(fd)?;
    }
    Ok(set)
}

/// `path` with a NUL, for the kernel's path lookup.
pub(crate) fn nul_terminated(path: &[u8]) -> Result<KVec<u8>> {
    let mut with_nul = KVec::with_capacity(path.len() + 1, GFP_KERNEL)?;
    with_nul.extend_from_slice(path, GFP_KERNEL)?;
    with_nul.push(0, GFP_KERNEL)?;
    Ok(with_nul)
}

/// The users `uids` (`nr` of them) names in the caller's user namespace,
/// allocated with `flags`; `EINVAL` for one with no mapping there.
pub(crate) fn users(
    uids: impl Iterator<Item = u32>,
    nr: usize,
    flags: Flags,
) -> Result<KVec<Kuid>> {
    let mut users = KVec::with_capacity(nr, flags)?;
    for uid in uids {
        users.push(Kuid::from_uid_in_current_ns(uid).ok_or(EINVAL)?, flags)?;
    }
    Ok(users)
}

/// References to the thread groups `tgids` names; `ESRCH` if one is gone.
pub(crate) fn processes(tgids: Words<'_>) -> Result<KVec<ARef<Pid>>> {
    let mut processes = KVec::with_capacity(tgids.len(), GFP_KERNEL_ACCOUNT)?;
    for tgid in tgids.iter_i32() {
        processes.push(Pid::find_tgid(tgid)?, GFP_KERNEL_ACCOUNT)?;
    }
    Ok(processes)
}
