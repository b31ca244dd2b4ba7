//! The kernel's user API, as in the patched `<linux/fanotify.h>` and the
//! module's `src/uapi/fanotify_filters.h`.
//!
//! `tests/layout.rs` compiles both headers with the C compiler and checks
//! every size, offset and constant below against them, so they cannot drift.

/// Bytes of `fanotify_filter_args.name`, with the terminating NUL.
pub const FAN_FILTER_NAME_MAX: usize = 32;
/// Largest `args_size` the kernel copies.
pub const FAN_FILTER_ARGS_MAX: usize = 65536;
/// Size of the first published `struct fanotify_filter_args`.
pub const FAN_FILTER_ARGS_SIZE_VER0: usize = 48;

/// `struct fanotify_filter_args`, the argument of `FAN_IOC_ADD_FILTER` and
/// `FAN_IOC_RECONFIG_FILTER`.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct FanotifyFilterArgs {
    pub name: [u8; FAN_FILTER_NAME_MAX],
    pub flags: u32,
    pub args_size: u32,
    pub args: u64,
}

/// `FAN_IOC_MAGIC`.
pub const FAN_IOC_MAGIC: u8 = 0xfa;

// Request codes by nix's encoders of <asm-generic/ioctl.h> (tests/layout.rs
// compares them with the C macros).
/// `_IOW(0xFA, 1, struct fanotify_filter_args)`.
pub const FAN_IOC_ADD_FILTER: libc::c_ulong =
    nix::request_code_write!(FAN_IOC_MAGIC, 1, core::mem::size_of::<FanotifyFilterArgs>());
/// `_IO(0xFA, 2)`.
pub const FAN_IOC_DEL_FILTER: libc::c_ulong = nix::request_code_none!(FAN_IOC_MAGIC, 2);
/// `_IOW(0xFA, 3, struct fanotify_filter_args)`.
pub const FAN_IOC_RECONFIG_FILTER: libc::c_ulong =
    nix::request_code_write!(FAN_IOC_MAGIC, 3, core::mem::size_of::<FanotifyFilterArgs>());

pub const FAN_SUBTREE_ARGS_VERSION: u32 = 1;
pub const FAN_SUBTREE_MAX_ROOTS: usize = 4096;
pub const FAN_GUARD_ARGS_VERSION: u32 = 1;
pub const FAN_GUARD_MAX_EXEMPT: usize = 64;
pub const FAN_KIND_ARGS_VERSION: u32 = 1;
pub const FAN_KIND_DIRECTORIES: u32 = 1;
pub const FAN_KIND_NON_DIRECTORIES: u32 = 2;
pub const FAN_NAME_ARGS_VERSION: u32 = 1;
pub const FAN_NAME_MAX_PATTERNS: usize = 128;
pub const FAN_NAME_EXCLUDE: u32 = 0x1;
pub const FAN_NAME_EXACT: u8 = 1;
pub const FAN_NAME_PREFIX: u8 = 2;
pub const FAN_NAME_SUFFIX: u8 = 3;
pub const FAN_ACTOR_ARGS_VERSION: u32 = 1;
pub const FAN_ACTOR_MAX_IDS: usize = 64;
pub const FAN_ACTOR_EXCLUDE: u32 = 0x1;
pub const FAN_ACTOR_NOT_SELF: u32 = 0x2;
pub const FAN_POLICY_ARGS_VERSION: u32 = 1;
pub const FAN_POLICY_SUBTREE: u32 = 1;
pub const FAN_POLICY_KIND: u32 = 2;
pub const FAN_POLICY_NAME: u32 = 3;
pub const FAN_POLICY_ACTOR: u32 = 4;

/// `struct fan_subtree_args`, followed by `nr_roots` fds.
#[repr(C)]
pub struct FanSubtreeArgs {
    pub version: u32,
    pub nr_roots: u32,
}

/// `struct fan_guard_args`, followed by `nr_exempt` tgids, then `nr_roots` fds.
#[repr(C)]
pub struct FanGuardArgs {
    pub version: u32,
    pub nr_roots: u32,
    pub nr_exempt: u32,
    pub nr_exempt_uids: u32,
}

/// `struct fan_kind_args`.
#[repr(C)]
pub struct FanKindArgs {
    pub version: u32,
    pub kind: u32,
}

/// `struct fan_name_args`, followed by `nr_patterns` packed patterns.
#[repr(C)]
pub struct FanNameArgs {
    pub version: u32,
    pub flags: u32,
    pub nr_patterns: u32,
    pub zero: u32,
}

/// `struct fan_name_pattern`, followed by `len` bytes of name.
#[repr(C)]
pub struct FanNamePattern {
    pub kind: u8,
    pub len: u8,
}

/// `struct fan_actor_args`, followed by `nr_tgids` tgids, then `nr_uids` uids.
#[repr(C)]
pub struct FanActorArgs {
    pub version: u32,
    pub flags: u32,
    pub nr_tgids: u32,
    pub nr_uids: u32,
}

/// `struct fan_policy_args`, followed by `nr_sections` sections.
#[repr(C)]
pub struct FanPolicyArgs {
    pub version: u32,
    pub nr_sections: u32,
}

/// `struct fan_policy_section`, followed by `size` bytes of args padded to 4.
#[repr(C)]
pub struct FanPolicySection {
    pub type_: u32,
    pub size: u32,
}

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
