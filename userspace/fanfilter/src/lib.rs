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
//! is `nix`'s `nix::sys::fanotify`, re-exported as [`fanotify`]; errnos are
//! [`Errno`], nix's too.
//!
//! Errors are typed ([`attach::FilterError`], [`args::ArgsError`],
//! [`events::ReadError`], [`events::ParseError`]), and each that wraps an
//! errno or an I/O error gives it as its [`std::error::Error::source`].

//! Reading a group's events, resolved to paths:
//!
//! ```no_run
//! use fanfilter::events::{Event, EventReader, Resolver};
//! use std::os::fd::{AsFd, OwnedFd};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let fan: OwnedFd = std::fs::File::open("/dev/null")?.into();
//! // `fan`: a group made with fanotify_init(FAN_REPORT_DFID_NAME), marked.
//! let mut resolver = Resolver::new(std::fs::File::open("/srv")?.into());
//! resolver.know("/srv".as_ref())?;
//! for event in EventReader::new(fan.as_fd(), 64 * 1024)?.events(resolver) {
//!     match event? {
//!         Event::Object { mask, path, .. } => println!("{mask:#x} {path:?}"),
//!         Event::Overflow => eprintln!("events were lost"),
//!     }
//! }
//! # Ok(())
//! # }
//! ```

pub mod args;
pub mod attach;
#[cfg(feature = "bpf")]
pub mod bpf;
pub mod events;
pub mod sysfs;
pub mod uapi;

pub use nix::errno::Errno;
pub use nix::sys::fanotify;
