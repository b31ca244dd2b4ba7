//! Who owns the fds an event buffer names: only `take_events()` and
//! `EventReader` take them, each once, and every one is closed, also
//! after a malformed buffer.  Each test checks fd numbers, so they run one
//! at a time (a number closed here could be reopened by another thread).

use fanfilter::events::*;
use fanfilter::uapi::FAN_EVENT_INFO_TYPE_PIDFD;
use std::os::fd::{AsFd, AsRawFd, IntoRawFd, OwnedFd};
use std::sync::Mutex;

mod common;

static SERIAL: Mutex<()> = Mutex::new(());

fn is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD reads the flags of a number, open or not.
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// A new fd that the test hands over, as the kernel hands over an event's.
fn loose_fd() -> i32 {
    std::fs::File::open("/dev/null").unwrap().into_raw_fd()
}

fn resolver() -> Resolver {
    Resolver::new(OwnedFd::from(std::fs::File::open("/").unwrap()))
}

#[test]
fn an_event_fd_is_taken_once() {
    let _serial = SERIAL.lock().unwrap();
    let fd = loose_fd();
    let buf = common::metadata(METADATA_LEN, libc::FAN_OPEN, fd, 1);
    // SAFETY: `fd` is ours and named once.
    let mut events = unsafe { take_events(&buf) }.unwrap();
    // A copy of what the kernel wrote is numbers: it owns nothing.
    let copy = events[0].raw().clone();
    assert_eq!(copy.fd, fd);
    let mut r = resolver();
    match r.event(&mut events[0]) {
        Event::Object { fd: Some(f), .. } => assert_eq!(f.as_raw_fd(), fd),
        e => panic!("{e:?}"),
    }
    assert!(!is_open(fd));
    // The number may now be another file's: resolving again takes nothing.
    let other = std::fs::File::open("/dev/null").unwrap();
    assert!(matches!(
        r.event(&mut events[0]),
        Event::Object { fd: None, .. }
    ));
    drop(events);
    assert!(is_open(other.as_raw_fd()));
}

#[test]
fn a_pidfd_is_closed_with_its_event() {
    let _serial = SERIAL.lock().unwrap();
    let pidfd = loose_fd();
    let mut buf = common::metadata(METADATA_LEN + 8, libc::FAN_OPEN, NOFD, 1);
    buf.extend([FAN_EVENT_INFO_TYPE_PIDFD, 0, 8, 0]);
    buf.extend(pidfd.to_ne_bytes());
    // SAFETY: `pidfd` is ours and named once.
    let mut events = unsafe { take_events(&buf) }.unwrap();
    assert_eq!(events[0].pidfd().map(|f| f.as_raw_fd()), Some(pidfd));
    let _ = resolver().event(&mut events[0]);
    assert!(is_open(pidfd));
    drop(events);
    assert!(!is_open(pidfd));
}

#[test]
fn a_malformed_buffer_closes_every_fd_read() {
    let _serial = SERIAL.lock().unwrap();
    let (a, b, c) = (loose_fd(), loose_fd(), loose_fd());
    let mut buf = common::metadata(METADATA_LEN, libc::FAN_OPEN, a, 1);
    // The second event's pidfd record is read, then a record too short.
    buf.extend(common::metadata(METADATA_LEN + 12, libc::FAN_OPEN, b, 1));
    buf.extend([FAN_EVENT_INFO_TYPE_PIDFD, 0, 8, 0]);
    buf.extend(c.to_ne_bytes());
    buf.extend([0u8, 0, 2, 0]);
    // SAFETY: `a`, `b` and `c` are ours and each named once.
    assert!(unsafe { take_events(&buf) }.is_err());
    for fd in [a, b, c] {
        assert!(!is_open(fd), "fd {fd} leaked");
    }
}

#[test]
fn a_reader_reads_only_fanotify_fds() {
    let _serial = SERIAL.lock().unwrap();
    let file = std::fs::File::open("/dev/null").unwrap();
    let e = EventReader::new(file.as_fd(), 4096).err().unwrap();
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
}
