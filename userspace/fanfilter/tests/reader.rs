//! The event iterator against a real fanotify group, and the typed
//! errors' sources.

use fanfilter::events::{Event, EventReader, ParseError, ReadError, Resolver};
use fanfilter::Errno;
use std::error::Error;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One test at a time: one of them lowers the process's fd limit.
static SERIAL: Mutex<()> = Mutex::new(());

/// A non-blocking fanotify group of `init` flags (its event fds opened
/// non-blocking), with an inode mark on `dir` for `mask`.
fn group_marking(dir: &Path, init: u32, mask: u64) -> OwnedFd {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: plain system call; the fd is checked below.
    let fd = unsafe {
        libc::fanotify_init(
            libc::FAN_CLASS_NOTIF | libc::FAN_NONBLOCK | init,
            (libc::O_RDONLY | libc::O_NONBLOCK) as u32,
        )
    };
    assert!(
        fd >= 0,
        "fanotify_init: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` was just opened and is owned by nobody else.
    let fan = unsafe { OwnedFd::from_raw_fd(fd) };
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is NUL-terminated and outlives the call.
    let r =
        unsafe { libc::fanotify_mark(fd, libc::FAN_MARK_ADD, mask, libc::AT_FDCWD, c.as_ptr()) };
    assert_eq!(r, 0, "fanotify_mark: {}", std::io::Error::last_os_error());
    fan
}

/// A group reporting directory handles and names, for creations in `dir`.
fn creations_in(dir: &Path) -> OwnedFd {
    group_marking(dir, libc::FAN_REPORT_DFID_NAME, libc::FAN_CREATE)
}

fn scratch_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fanfilter-reader-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir(&d).unwrap();
    d.canonicalize().unwrap()
}

fn path_of(e: Result<Event, ReadError>) -> Option<PathBuf> {
    match e.unwrap() {
        Event::Object { path, mask, .. } => {
            assert_ne!(mask & libc::FAN_CREATE, 0);
            path
        }
        Event::Overflow => panic!("overflow"),
    }
}

#[test]
fn the_iterator_yields_resolved_events_and_waits_for_more() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = scratch_dir("iter");
    let fan = creations_in(&dir);
    let mut resolver = Resolver::new(OwnedFd::from(std::fs::File::open(&dir).unwrap()));
    resolver.know(&dir).unwrap();
    let reader = EventReader::new(fan.as_fd(), 4096).unwrap();
    let mut events = reader.events(resolver);
    std::fs::write(dir.join("a"), b"").unwrap();
    std::fs::write(dir.join("b"), b"").unwrap();
    assert_eq!(path_of(events.next().unwrap()), Some(dir.join("a")));
    assert_eq!(path_of(events.next().unwrap()), Some(dir.join("b")));
    // Nothing queued: next() waits (the fd is non-blocking: in poll())
    // until a thread creates one more.
    let later = dir.join("c");
    let t = std::thread::spawn({
        let later = later.clone();
        move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            std::fs::write(later, b"").unwrap();
        }
    });
    let start = std::time::Instant::now();
    assert_eq!(path_of(events.next().unwrap()), Some(later));
    assert!(start.elapsed() >= std::time::Duration::from_millis(150));
    t.join().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_give_their_cause_as_source() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // FAN_IOC_ADD_FILTER on a file that is no fanotify fd: ENOTTY.
    let file = std::fs::File::open("/dev/null").unwrap();
    let spec = fanfilter::args::Kind::Directories;
    let e = fanfilter::attach::attach(file.as_fd(), &spec).unwrap_err();
    assert_eq!(e.errno, Errno::ENOTTY);
    let source = e.source().expect("the errno");
    assert_eq!(source.downcast_ref::<Errno>(), Some(&Errno::ENOTTY));
    assert!(e.to_string().contains("boot the patched kernel"), "{e}");

    let parse = ParseError {
        offset: 24,
        what: "record too short",
    };
    let e = ReadError::Malformed(parse.clone());
    assert_eq!(
        e.source().unwrap().downcast_ref::<ParseError>(),
        Some(&parse)
    );
    let io: std::io::Error = e.into();
    assert_eq!(io.kind(), std::io::ErrorKind::InvalidData);
    let e = ReadError::Io(std::io::Error::from(Errno::EBADF));
    let inner = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(inner.raw_os_error(), Some(libc::EBADF));
}

#[test]
fn the_iterator_goes_on_after_running_out_of_fds() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A group that reports an fd per event, and no fd left to make one.
    let dir = scratch_dir("emfile");
    let fan = group_marking(&dir, 0, libc::FAN_CLOSE_WRITE | libc::FAN_EVENT_ON_CHILD);
    let reader = EventReader::new(fan.as_fd(), 4096).unwrap();
    let mut events = reader.events(Resolver::new(OwnedFd::from(
        std::fs::File::open(&dir).unwrap(),
    )));
    std::fs::write(dir.join("a"), b"").unwrap();
    // Fill the fd table up to the soft limit, lowered for the test and
    // restored whatever happens.
    let limit = FdLimit::lower_to(256);
    let mut filler = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        filler.push(f);
    }
    let e = events.next().expect("an error, not the end");
    assert!(
        matches!(&e, Err(ReadError::Io(io)) if io.raw_os_error() == Some(libc::EMFILE)),
        "{e:?}"
    );
    drop(filler);
    drop(limit);
    std::fs::write(dir.join("b"), b"").unwrap();
    let next = events.next().expect("the iterator goes on");
    assert!(matches!(next, Ok(Event::Object { .. })), "{next:?}");
    let (_reader, _resolver) = events.into_parts();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The soft limit of open files, lowered until dropped.
struct FdLimit(libc::rlimit);

impl FdLimit {
    fn lower_to(n: libc::rlim_t) -> Self {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit with a valid struct.
        assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
        let saved = FdLimit(lim);
        lim.rlim_cur = n.min(lim.rlim_max);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
        saved
    }
}

impl Drop for FdLimit {
    fn drop(&mut self) {
        // SAFETY: setrlimit with a valid struct.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.0) };
    }
}
