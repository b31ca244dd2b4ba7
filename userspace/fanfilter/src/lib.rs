//! User space of the in-kernel fanotify filters.
//!
//! - [`args`]: typed, checked arguments of every filter of the
//!   `fanotify_filters` module;
//! - [`attach`]: attach, reconfigure and detach a filter on any fanotify fd,
//!   with errors that say what to fix;
//! - [`sysfs`]: the registered filters and an attachment's counters;
//! - [`events`]: events with their file-handle records resolved to paths,
//!   queue overflows as values;
//! - `bpf` (feature `bpf`, which links the system's libbpf): BPF filters
//!   loaded and registered as filter types.
//!
//! fanotify itself (`fanotify_init`, `fanotify_mark`, permission responses)
//! is `nix`'s `nix::sys::fanotify`, re-exported as [`fanotify`].

pub mod args;
pub mod attach;
#[cfg(feature = "bpf")]
pub mod bpf;
pub mod events;
pub mod sysfs;
pub mod uapi;

pub use nix::sys::fanotify;
