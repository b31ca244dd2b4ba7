//! Attaching, reconfiguring and detaching a filter on a fanotify fd.

use crate::args::FilterSpec;
use crate::uapi::*;
use crate::Errno;
use std::fmt;
use std::os::fd::{AsFd, AsRawFd};

/// Which ioctl failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Attach,
    Reconfigure,
    Detach,
}

/// A failed ioctl, with the errno (also its `source()`) and what the
/// caller can do about it.
#[derive(Debug, PartialEq, Eq)]
pub struct FilterError {
    pub op: Op,
    pub filter: String,
    pub errno: Errno,
}

impl FilterError {
    /// What to fix, for the errnos the kernel documents.
    pub fn hint(&self) -> String {
        let name = &self.filter;
        match (self.op, self.errno as i32) {
            (Op::Attach, libc::ENOENT) => format!(
                "no filter named '{name}': is the module loaded? see /sys/fs/fanotify/filters"
            ),
            (_, libc::ENOENT) => "no filter is attached to this fanotify group".into(),
            (_, libc::EPERM) => format!(
                "filter '{name}' needs CAP_SYS_ADMIN (/sys/fs/fanotify/filters/{name}/unprivileged is 0), or the administrator disabled it (enabled is 0)"
            ),
            (Op::Attach, libc::EBUSY) => {
                "this fanotify group has a filter already: detach it or reconfigure it".into()
            }
            (_, libc::ENOTTY) => {
                "this kernel has no fanotify filters (CONFIG_FANOTIFY_FILTER): boot the patched kernel".into()
            }
            (_, libc::ESRCH) => "a process id given does not name a live process".into(),
            (_, libc::EBADF) => format!(
                "filter '{name}' needs open directories (not O_PATH) as roots"
            ),
            (Op::Reconfigure, libc::EINVAL) => format!(
                "the attached filter is not '{name}', or it rejected the new arguments"
            ),
            (_, libc::EINVAL) => format!("filter '{name}' rejected its arguments"),
            (_, libc::E2BIG) => format!(
                "the arguments of '{name}' exceed {FAN_FILTER_ARGS_MAX} bytes"
            ),
            (_, libc::ENOMEM) => "out of memory (or over the memory cgroup's limit)".into(),
            _ => self.errno.desc().to_string(),
        }
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.op {
            Op::Attach => "attach",
            Op::Reconfigure => "reconfigure",
            Op::Detach => "detach",
        };
        // The errno itself is the source(), not repeated here.
        write!(f, "cannot {what} filter '{}': {}", self.filter, self.hint())
    }
}

impl std::error::Error for FilterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.errno)
    }
}

/// The ioctl argument for `spec`, pointing into `bytes`.
fn ioctl_args(name: &str, bytes: &[u8]) -> FanotifyFilterArgs {
    let mut a = FanotifyFilterArgs {
        name: [0; FAN_FILTER_NAME_MAX],
        flags: 0,
        args_size: bytes.len() as u32,
        args: if bytes.is_empty() {
            0
        } else {
            bytes.as_ptr() as u64
        },
    };
    // Filter names are short ASCII constants of this crate, or checked
    // by `BpfFilter::new`; `name` is C's `char[]`.
    let n = name.len().min(FAN_FILTER_NAME_MAX - 1);
    for (c, &b) in a.name.iter_mut().zip(&name.as_bytes()[..n]) {
        *c = b as libc::c_char;
    }
    a
}

// The three requests, as nix's ioctl wrappers (the request codes are
// those of crate::uapi, which tests/layout.rs checks against the C macros).
nix::ioctl_write_ptr!(fan_ioc_add_filter, FAN_IOC_MAGIC, 1, FanotifyFilterArgs);
nix::ioctl_none!(fan_ioc_del_filter, FAN_IOC_MAGIC, 2);
nix::ioctl_write_ptr!(
    fan_ioc_reconfig_filter,
    FAN_IOC_MAGIC,
    3,
    FanotifyFilterArgs
);

fn set_filter(fan: impl AsFd, op: Op, spec: &dyn FilterSpec) -> Result<(), FilterError> {
    let bytes = spec.encode();
    let args = ioctl_args(spec.name(), &bytes);
    let fd = fan.as_fd().as_raw_fd();
    // SAFETY: `args` is a valid struct fanotify_filter_args of the size the
    // request encodes; its `args` pointer refers to `bytes`, which lives
    // until after the call, and the fds `bytes` names are kept open by
    // `spec`, which the caller borrows for the whole call.
    let ret = unsafe {
        if op == Op::Attach {
            fan_ioc_add_filter(fd, &args)
        } else {
            fan_ioc_reconfig_filter(fd, &args)
        }
    };
    ret.map(drop).map_err(|e| FilterError {
        op,
        filter: spec.name().into(),
        errno: e,
    })
}

/// Attach `spec` to the fanotify group of `fan`.
pub fn attach(fan: impl AsFd, spec: &dyn FilterSpec) -> Result<(), FilterError> {
    set_filter(fan, Op::Attach, spec)
}

/// Give the attached filter, which must be `spec.name()`, new arguments.
pub fn reconfigure(fan: impl AsFd, spec: &dyn FilterSpec) -> Result<(), FilterError> {
    set_filter(fan, Op::Reconfigure, spec)
}

/// Detach the filter; returns once no call of it runs any more.
pub fn detach(fan: impl AsFd) -> Result<(), FilterError> {
    // SAFETY: FAN_IOC_DEL_FILTER takes no argument.
    unsafe { fan_ioc_del_filter(fan.as_fd().as_raw_fd()) }
        .map(drop)
        .map_err(|e| FilterError {
            op: Op::Detach,
            filter: String::new(),
            errno: e,
        })
}
