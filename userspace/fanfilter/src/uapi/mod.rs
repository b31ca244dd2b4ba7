//! The kernel's user API, as in the patched `<linux/fanotify.h>` and the
//! module's `src/uapi/fanotify_filters.h`.
//!
//! The C headers are the one definition: [`raw`] is what bindgen makes of
//! them (`generate.sh`; `tests/layout.rs` regenerates it and fails
//! on a difference), and the names below are that, typed for Rust code
//! (counts as `usize`).  `tests/layout.rs` also compiles both headers with
//! the C compiler and checks every size, offset and constant.

/// bindgen's output for the two headers, unchanged.
#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    dead_code,
    clippy::all,
    clippy::pedantic
)]
pub mod raw {
    include!("bindings.rs");
}

/// Bytes of `fanotify_filter_args.name`, with the terminating NUL.
pub const FAN_FILTER_NAME_MAX: usize = raw::FAN_FILTER_NAME_MAX as usize;
/// Largest `args_size` the kernel copies.
pub const FAN_FILTER_ARGS_MAX: usize = raw::FAN_FILTER_ARGS_MAX as usize;
/// Size of the first published `struct fanotify_filter_args`.
pub const FAN_FILTER_ARGS_SIZE_VER0: usize = raw::FAN_FILTER_ARGS_SIZE_VER0 as usize;
/// `FAN_IOC_MAGIC`, the ioctls' type byte.
pub const FAN_IOC_MAGIC: u8 = raw::FAN_IOC_MAGIC as u8;

/// `struct fanotify_filter_args`, the argument of `FAN_IOC_ADD_FILTER` and
/// `FAN_IOC_RECONFIG_FILTER`.
pub type FanotifyFilterArgs = raw::fanotify_filter_args;

// Request codes by nix's encoders of <asm-generic/ioctl.h> (bindgen cannot
// expand _IOW(); tests/layout.rs compares them with the C macros).
/// `_IOW(0xFA, 1, struct fanotify_filter_args)`.
pub const FAN_IOC_ADD_FILTER: libc::c_ulong =
    nix::request_code_write!(FAN_IOC_MAGIC, 1, core::mem::size_of::<FanotifyFilterArgs>());
/// `_IO(0xFA, 2)`.
pub const FAN_IOC_DEL_FILTER: libc::c_ulong = nix::request_code_none!(FAN_IOC_MAGIC, 2);
/// `_IOW(0xFA, 3, struct fanotify_filter_args)`.
pub const FAN_IOC_RECONFIG_FILTER: libc::c_ulong =
    nix::request_code_write!(FAN_IOC_MAGIC, 3, core::mem::size_of::<FanotifyFilterArgs>());

pub use raw::{
    FAN_ACTOR_ARGS_VERSION, FAN_ACTOR_EXCLUDE, FAN_ACTOR_NOT_SELF, FAN_GUARD_ARGS_VERSION,
    FAN_KIND_ARGS_VERSION, FAN_KIND_DIRECTORIES, FAN_KIND_NON_DIRECTORIES, FAN_NAME_ARGS_VERSION,
    FAN_NAME_EXCLUDE, FAN_POLICY_ACTOR, FAN_POLICY_ARGS_VERSION, FAN_POLICY_KIND, FAN_POLICY_NAME,
    FAN_POLICY_PRUNE, FAN_POLICY_SUBTREE, FAN_SUBTREE_ARGS_VERSION,
};
pub const FAN_SUBTREE_MAX_ROOTS: usize = raw::FAN_SUBTREE_MAX_ROOTS as usize;
pub const FAN_GUARD_MAX_EXEMPT: usize = raw::FAN_GUARD_MAX_EXEMPT as usize;
pub const FAN_NAME_MAX_PATTERNS: usize = raw::FAN_NAME_MAX_PATTERNS as usize;
pub const FAN_ACTOR_MAX_IDS: usize = raw::FAN_ACTOR_MAX_IDS as usize;
/// `struct fan_name_pattern.kind` is a byte.
pub const FAN_NAME_EXACT: u8 = raw::FAN_NAME_EXACT as u8;
pub const FAN_NAME_PREFIX: u8 = raw::FAN_NAME_PREFIX as u8;
pub const FAN_NAME_SUFFIX: u8 = raw::FAN_NAME_SUFFIX as u8;

/// `struct fan_subtree_args`, followed by `nr_roots` fds.
pub type FanSubtreeArgs = raw::fan_subtree_args;
/// `struct fan_guard_args`, followed by `nr_exempt` tgids, `nr_exempt_uids`
/// uids, then `nr_roots` fds.
pub type FanGuardArgs = raw::fan_guard_args;
/// `struct fan_kind_args`.
pub type FanKindArgs = raw::fan_kind_args;
/// `struct fan_name_args`, followed by `nr_patterns` packed patterns.
pub type FanNameArgs = raw::fan_name_args;
/// `struct fan_name_pattern`, followed by `len` bytes of name.
pub type FanNamePattern = raw::fan_name_pattern;
/// `struct fan_actor_args`, followed by `nr_tgids` tgids, then `nr_uids` uids.
pub type FanActorArgs = raw::fan_actor_args;
/// `struct fan_policy_args`, followed by `nr_sections` sections.
pub type FanPolicyArgs = raw::fan_policy_args;
/// `struct fan_policy_section`, followed by `size` bytes of args padded to 4.
pub type FanPolicySection = raw::fan_policy_section;

// fanotify's own user API that libc 0.2 does not carry (yet).
pub const FAN_REPORT_DFID_NAME_TARGET: u32 = 0x1e00;
pub const FAN_EVENT_INFO_TYPE_FID: u8 = 1;
pub const FAN_EVENT_INFO_TYPE_DFID_NAME: u8 = 2;
pub const FAN_EVENT_INFO_TYPE_DFID: u8 = 3;
pub const FAN_EVENT_INFO_TYPE_PIDFD: u8 = 4;
pub const FAN_EVENT_INFO_TYPE_ERROR: u8 = 5;
pub const FAN_EVENT_INFO_TYPE_OLD_DFID_NAME: u8 = 10;
pub const FAN_EVENT_INFO_TYPE_NEW_DFID_NAME: u8 = 12;
pub const FAN_RENAME: u64 = 0x1000_0000;
pub const FAN_FS_ERROR: u64 = 0x8000;
