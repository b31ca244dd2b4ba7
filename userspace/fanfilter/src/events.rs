//! Reading fanotify events: a parser of the kernel's event buffer with its
//! info records (which `nix` drops), and a reader that resolves file
//! handles to paths.

use crate::uapi::*;
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// `FANOTIFY_METADATA_VERSION`.
pub const METADATA_VERSION: u8 = 3;
/// `sizeof(struct fanotify_event_metadata)`.
pub const METADATA_LEN: usize = 24;
/// `FAN_NOFD`: the event carries no fd.
pub const NOFD: i32 = -1;

/// Which object a file-handle record names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FidKind {
    /// `FAN_EVENT_INFO_TYPE_FID`: the object itself.
    Object,
    /// `FAN_EVENT_INFO_TYPE_DFID`: its directory.
    Dir,
    /// `FAN_EVENT_INFO_TYPE_DFID_NAME`: its directory and entry name.
    DirName,
    /// `FAN_EVENT_INFO_TYPE_OLD_DFID_NAME`: a rename's old place.
    OldDirName,
    /// `FAN_EVENT_INFO_TYPE_NEW_DFID_NAME`: a rename's new place.
    NewDirName,
}

/// One info record of an event.  Fd numbers here are numbers only: the fds
/// are owned by an [`OwnedEvent`], if anyone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Info<'a> {
    Fid {
        kind: FidKind,
        fsid: [u8; 8],
        handle_type: i32,
        handle: &'a [u8],
        name: Option<&'a [u8]>,
    },
    Pidfd(i32),
    Error {
        error: i32,
        count: u32,
    },
    /// A record type this parser does not know; skipped, not an error.
    Unknown(u8),
}

/// One event as the kernel wrote it: numbers, owning nothing (see
/// [`OwnedEvent`] for the fds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawEvent<'a> {
    pub mask: u64,
    pub fd: i32,
    pub pid: i32,
    pub info: Vec<Info<'a>>,
}

/// A buffer that does not hold what the kernel documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed fanotify event at byte {}: {}",
            self.offset, self.what
        )
    }
}

impl std::error::Error for ParseError {}

fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_ne_bytes([b[o], b[o + 1]])
}
fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}
fn i32_at(b: &[u8], o: usize) -> i32 {
    u32_at(b, o) as i32
}
fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

fn parse_fid(rec: &[u8], kind: FidKind, at: usize) -> Result<Info<'_>, ParseError> {
    let err = |what| ParseError { offset: at, what };
    // header (4), fsid (8), handle_bytes (4), handle_type (4)
    if rec.len() < 20 {
        return Err(err("file handle record too short"));
    }
    let mut fsid = [0; 8];
    fsid.copy_from_slice(&rec[4..12]);
    let handle_bytes = u32_at(rec, 12) as usize;
    let handle_type = i32_at(rec, 16);
    let end = 20usize
        .checked_add(handle_bytes)
        .ok_or(err("file handle size"))?;
    if handle_bytes == 0 || end > rec.len() {
        return Err(err("file handle longer than its record"));
    }
    let handle = &rec[20..end];
    let name = match kind {
        FidKind::DirName | FidKind::OldDirName | FidKind::NewDirName => {
            let rest = &rec[end..];
            let nul = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or(err("name without NUL"))?;
            if nul == 0 {
                return Err(err("empty name"));
            }
            Some(&rest[..nul])
        }
        _ => None,
    };
    Ok(Info::Fid {
        kind,
        fsid,
        handle_type,
        handle,
        name,
    })
}

/// An event with the fds the kernel gave with it: the event's own fd and a
/// pidfd record's.  They are closed when the event is dropped, unless
/// taken with [`OwnedEvent::take_fd`].  A permission event's fd is also
/// what the answer names: dropping one unanswered leaves the process that
/// caused it waiting until the group is closed.
#[derive(Debug)]
pub struct OwnedEvent<'a> {
    raw: RawEvent<'a>,
    fd: Option<OwnedFd>,
    pidfd: Option<OwnedFd>,
}

impl<'a> OwnedEvent<'a> {
    /// What the kernel wrote.
    pub fn raw(&self) -> &RawEvent<'a> {
        &self.raw
    }

    /// The event's fd, if it has one and it was not taken.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(|f| f.as_fd())
    }

    /// Take the event's fd: later calls return `None`.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fd.take()
    }

    /// The pidfd of the process that caused the event, if reported.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|f| f.as_fd())
    }
}

/// Wrap an fd number the caller owns; `None` for the kernel's "no fd"
/// values (`FAN_NOFD`, `FAN_NOPIDFD`, `FAN_EPIDFD`: all negative).
///
/// # Safety
///
/// If `fd >= 0`, it is open and owned by nobody else: ownership passes to
/// the result.
unsafe fn own_fd(fd: i32) -> Option<OwnedFd> {
    // SAFETY: the caller hands over `fd`, open and owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Parse a buffer; with `take`, own each fd as soon as its number is read,
/// so that on an error the fds read so far are closed with the events.
/// (Fds of events after the malformed bytes cannot be found: the buffer
/// no longer says where they are.)
///
/// # Safety
///
/// With `take`, as [`take_events`].
unsafe fn parse(buf: &[u8], take: bool) -> Result<Vec<OwnedEvent<'_>>, ParseError> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let err = |what| ParseError { offset: off, what };
        let rest = &buf[off..];
        if rest.len() < METADATA_LEN {
            return Err(err("truncated event metadata"));
        }
        let event_len = u32_at(rest, 0) as usize;
        let vers = rest[4];
        let metadata_len = u16_at(rest, 6) as usize;
        if vers != METADATA_VERSION {
            return Err(err("unknown metadata version"));
        }
        let fd = i32_at(rest, 16);
        let mut ev = OwnedEvent {
            raw: RawEvent {
                mask: u64_at(rest, 8),
                fd,
                pid: i32_at(rest, 20),
                info: Vec::new(),
            },
            // SAFETY: with `take`, the caller hands over the fds of the
            // buffer's events; this is the one place this number is owned.
            fd: if take { unsafe { own_fd(fd) } } else { None },
            pidfd: None,
        };
        if metadata_len < METADATA_LEN || event_len < metadata_len || event_len > rest.len() {
            return Err(err("event length out of bounds"));
        }
        let mut ioff = metadata_len;
        while ioff < event_len {
            let at = off + ioff;
            let irest = &rest[ioff..event_len];
            if irest.len() < 4 {
                return Err(ParseError {
                    offset: at,
                    what: "truncated info record header",
                });
            }
            let ilen = u16_at(irest, 2) as usize;
            if ilen < 4 || ilen > irest.len() {
                return Err(ParseError {
                    offset: at,
                    what: "info record length out of bounds",
                });
            }
            let rec = &irest[..ilen];
            let info = match rec[0] {
                FAN_EVENT_INFO_TYPE_FID => parse_fid(rec, FidKind::Object, at)?,
                FAN_EVENT_INFO_TYPE_DFID => parse_fid(rec, FidKind::Dir, at)?,
                FAN_EVENT_INFO_TYPE_DFID_NAME => parse_fid(rec, FidKind::DirName, at)?,
                FAN_EVENT_INFO_TYPE_OLD_DFID_NAME => parse_fid(rec, FidKind::OldDirName, at)?,
                FAN_EVENT_INFO_TYPE_NEW_DFID_NAME => parse_fid(rec, FidKind::NewDirName, at)?,
                FAN_EVENT_INFO_TYPE_PIDFD if ilen >= 8 => {
                    let pidfd = i32_at(rec, 4);
                    if take {
                        // The kernel reports one pidfd per event: a second
                        // record would name a number owned already.
                        if ev.pidfd.is_some() {
                            return Err(ParseError {
                                offset: at,
                                what: "second pidfd record",
                            });
                        }
                        // SAFETY: as for the event's fd above.
                        ev.pidfd = unsafe { own_fd(pidfd) };
                    }
                    Info::Pidfd(pidfd)
                }
                FAN_EVENT_INFO_TYPE_ERROR if ilen >= 12 => Info::Error {
                    error: i32_at(rec, 4),
                    count: u32_at(rec, 8),
                },
                FAN_EVENT_INFO_TYPE_PIDFD | FAN_EVENT_INFO_TYPE_ERROR => {
                    return Err(ParseError {
                        offset: at,
                        what: "info record too short",
                    })
                }
                t => Info::Unknown(t),
            };
            ev.raw.info.push(info);
            ioff += ilen;
        }
        out.push(ev);
        off += event_len;
    }
    Ok(out)
}

/// Parse a buffer read from a fanotify fd, as numbers: no fd is taken, so
/// the caller still owns (and must close) the fds it names.
pub fn parse_events(buf: &[u8]) -> Result<Vec<RawEvent<'_>>, ParseError> {
    // SAFETY: without `take` no fd number is owned.
    let events = unsafe { parse(buf, false) }?;
    Ok(events.into_iter().map(|e| e.raw).collect())
}

/// Parse a buffer read from a fanotify fd and own the fds its events carry.
/// On a malformed buffer every fd read before the error is closed too.
///
/// # Safety
///
/// Every fd number the buffer's events carry (an event's `fd` and a
/// `FAN_EVENT_INFO_TYPE_PIDFD` record's, when not negative) is open, owned by
/// nobody else, and named once; ownership passes to this function.  A
/// buffer just read from a fanotify fd is such a buffer; [`EventReader`]
/// reads only those.
pub unsafe fn take_events(buf: &[u8]) -> Result<Vec<OwnedEvent<'_>>, ParseError> {
    // SAFETY: the caller hands over the buffer's fds.
    unsafe { parse(buf, true) }
}

/// Reads events from a fanotify fd and owns the fds they carry.
pub struct EventReader<'f> {
    fan: BorrowedFd<'f>,
    buf: Vec<u8>,
}

impl<'f> EventReader<'f> {
    /// Smallest buffer: one event with its records always fits.
    pub const MIN_SIZE: usize = 4096;

    /// A reader of `fan` with a buffer of `size` bytes (at least
    /// [`Self::MIN_SIZE`]).  `EINVAL` if `fan` is not a fanotify fd: only the
    /// kernel's buffers may hand fds over.  Asks the calling thread's own fd
    /// table in /proc (a thread may have unshared it).
    pub fn new(fan: BorrowedFd<'f>, size: usize) -> std::io::Result<Self> {
        let what = fs::read_link(format!("/proc/thread-self/fd/{}", fan.as_raw_fd()))?;
        if what.as_os_str() != "anon_inode:[fanotify]" {
            return Err(std::io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: `fan` was just checked to be a fanotify fd.
        Ok(unsafe { Self::new_unchecked(fan, size) })
    }

    /// [`Self::new`] without the check, for callers that made `fan` with
    /// fanotify_init(2) themselves and need not have /proc.
    ///
    /// # Safety
    ///
    /// `fan` is a fanotify fd.
    pub unsafe fn new_unchecked(fan: BorrowedFd<'f>, size: usize) -> Self {
        EventReader {
            fan,
            buf: vec![0; size.max(Self::MIN_SIZE)],
        }
    }

    /// Read what is queued: `Ok(None)` when nothing is (`EAGAIN`), an empty
    /// list after a signal, else the events.  A malformed buffer is
    /// [`ReadError::Malformed`], its fds closed.
    pub fn read(&mut self) -> Result<Option<Vec<OwnedEvent<'_>>>, ReadError> {
        // SAFETY: `buf` is valid for writes of its length.
        let n = unsafe {
            libc::read(
                self.fan.as_raw_fd(),
                self.buf.as_mut_ptr().cast(),
                self.buf.len(),
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            return match e.kind() {
                std::io::ErrorKind::WouldBlock => Ok(None),
                std::io::ErrorKind::Interrupted => Ok(Some(Vec::new())),
                _ => Err(ReadError::Io(e)),
            };
        }
        // SAFETY: `fan` is a fanotify fd (checked in `new`): the kernel just
        // installed every fd that these bytes name, for this process alone.
        unsafe { take_events(&self.buf[..n as usize]) }
            .map(Some)
            .map_err(ReadError::Malformed)
    }

    /// The events, one at a time and resolved by `resolver`: blocks (in
    /// `poll()`) while none is queued and retries after a signal (a
    /// program that stops on a signal reads a signalfd, or uses
    /// [`Self::read`]).  An error is yielded; one that may pass (no fd
    /// left for an event: `EMFILE`, `ENFILE`; no memory) lets the
    /// iterator go on, any other ends it.
    pub fn events(self, resolver: Resolver) -> Events<'f> {
        Events {
            reader: self,
            resolver,
            queued: std::collections::VecDeque::new(),
            failed: false,
        }
    }
}

/// Why reading events failed.
#[derive(Debug)]
pub enum ReadError {
    /// read(2) or poll(2) failed (the `source()`).
    Io(std::io::Error),
    /// The kernel's buffer does not hold what it documents (the
    /// `source()`); the fds it carried were closed.
    Malformed(ParseError),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(_) => write!(f, "cannot read fanotify events"),
            ReadError::Malformed(_) => write!(f, "the kernel's event buffer is malformed"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            ReadError::Malformed(e) => Some(e),
        }
    }
}

impl From<ReadError> for std::io::Error {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Io(e) => e,
            ReadError::Malformed(e) => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }
    }
}

/// An iterator of resolved events, from [`EventReader::events`]: each
/// owns its fd, if it has one.
pub struct Events<'f> {
    reader: EventReader<'f>,
    resolver: Resolver,
    queued: std::collections::VecDeque<Event>,
    failed: bool,
}

impl<'f> Events<'f> {
    /// The resolver, e.g. to tell it a path ([`Resolver::know`]).
    pub fn resolver(&mut self) -> &mut Resolver {
        &mut self.resolver
    }

    /// The reader and the resolver back; events read but not yet yielded
    /// are dropped (their fds closed).
    pub fn into_parts(self) -> (EventReader<'f>, Resolver) {
        (self.reader, self.resolver)
    }

    /// Read one batch into `queued`; `Ok(false)` if nothing was queued.
    fn fill(&mut self) -> Result<bool, ReadError> {
        let Some(mut batch) = self.reader.read()? else {
            return Ok(false);
        };
        for ev in batch.iter_mut() {
            self.queued.push_back(self.resolver.event(ev));
        }
        Ok(true)
    }

    /// Wait until the fanotify fd is readable.
    fn wait(&self) -> Result<(), ReadError> {
        let mut pfd = libc::pollfd {
            fd: self.reader.fan.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `pfd` is one valid pollfd for the call.
        if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(ReadError::Io(e));
            }
        }
        Ok(())
    }
}

impl Iterator for Events<'_> {
    type Item = Result<Event, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.queued.is_empty() && !self.failed {
            // A blocking fd blocks in read(); a non-blocking one in poll().
            let r = match self.fill() {
                Ok(true) => Ok(()),
                Ok(false) => self.wait(),
                Err(e) => Err(e),
            };
            if let Err(e) = r {
                let passing = matches!(
                    &e,
                    ReadError::Io(io) if matches!(
                        io.raw_os_error(),
                        Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM | libc::ENOBUFS)
                    )
                );
                self.failed = !passing;
                return Some(Err(e));
            }
        }
        self.queued.pop_front().map(Ok)
    }
}

/// Names of the event bits, in the order they are printed.
pub const EVENT_NAMES: &[(u64, &str)] = &[
    (libc::FAN_ACCESS, "ACCESS"),
    (libc::FAN_MODIFY, "MODIFY"),
    (libc::FAN_ATTRIB, "ATTRIB"),
    (libc::FAN_CLOSE_WRITE, "CLOSE_WRITE"),
    (libc::FAN_CLOSE_NOWRITE, "CLOSE_NOWRITE"),
    (libc::FAN_OPEN, "OPEN"),
    (libc::FAN_MOVED_FROM, "MOVED_FROM"),
    (libc::FAN_MOVED_TO, "MOVED_TO"),
    (libc::FAN_CREATE, "CREATE"),
    (libc::FAN_DELETE, "DELETE"),
    (libc::FAN_DELETE_SELF, "DELETE_SELF"),
    (libc::FAN_MOVE_SELF, "MOVE_SELF"),
    (libc::FAN_OPEN_EXEC, "OPEN_EXEC"),
    (FAN_FS_ERROR, "FS_ERROR"),
    (FAN_RENAME, "RENAME"),
    (libc::FAN_OPEN_PERM, "OPEN_PERM"),
    (libc::FAN_ACCESS_PERM, "ACCESS_PERM"),
    (libc::FAN_OPEN_EXEC_PERM, "OPEN_EXEC_PERM"),
    (libc::FAN_ONDIR, "ISDIR"),
];

/// The names of the bits of `mask`.
pub fn mask_names(mask: u64) -> Vec<&'static str> {
    EVENT_NAMES
        .iter()
        .filter(|(b, _)| mask & b != 0)
        .map(|&(_, n)| n)
        .collect()
}

/// An event with its objects resolved to paths where that was possible.
#[derive(Debug)]
pub enum Event {
    /// The group's queue overflowed: events were lost.
    Overflow,
    Object {
        mask: u64,
        pid: i32,
        /// The object (for a rename, its old place); `None` if it cannot be
        /// named any more (deleted, or no permission to open handles).
        path: Option<PathBuf>,
        /// A rename's new place.
        new_path: Option<PathBuf>,
        /// The event's fd, for groups that report fds.
        fd: Option<OwnedFd>,
    },
}

/// Turns file handles into paths: by `open_by_handle_at()` against a mount
/// fd (needs CAP_DAC_READ_SEARCH), else from directories whose handles it
/// was told at start (enough for an unprivileged watch of one directory).
///
/// With [`Resolver::cache_directories`] it also remembers the paths of
/// directories, learnt from events (a directory's own events carry its
/// handle and its place) and from `open_by_handle_at()`: the files of a
/// directory deleted before its events were read still get paths, and a
/// known directory costs no system call.
pub struct Resolver {
    mount_fd: OwnedFd,
    known: Vec<(i32, Vec<u8>, PathBuf)>,
    can_open_handles: bool,
    directories: Option<HashMap<(i32, Vec<u8>), PathBuf>>,
}

/// How many directory paths the cache holds before it starts anew.
const DIRECTORY_CACHE_MAX: usize = 1 << 16;

/// Events after which cached directory paths may be wrong: a directory
/// moved (with `FAN_ONDIR`), or events lost.
const DIRECTORY_MOVES: u64 =
    libc::FAN_MOVED_FROM | libc::FAN_MOVED_TO | FAN_RENAME | libc::FAN_MOVE_SELF;

fn handle_buf(handle_type: i32, handle: &[u8]) -> Vec<u64> {
    // struct file_handle: u32 handle_bytes, i32 handle_type, then bytes;
    // u64 storage keeps it aligned.
    let mut buf = vec![0u64; 1 + handle.len().div_ceil(8)];
    // SAFETY: `buf` holds 8 + handle.len() bytes or more, initialised.
    let bytes =
        unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr() as *mut u8, buf.len() * 8) };
    bytes[0..4].copy_from_slice(&(handle.len() as u32).to_ne_bytes());
    bytes[4..8].copy_from_slice(&handle_type.to_ne_bytes());
    bytes[8..8 + handle.len()].copy_from_slice(handle);
    buf
}

fn fd_path(fd: BorrowedFd<'_>) -> Option<PathBuf> {
    fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()
}

/// The (type, bytes) file handle of `path`.
pub fn path_handle(path: &Path) -> std::io::Result<(i32, Vec<u8>)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())?;
    // An empty struct file_handle announcing MAX_HANDLE_SZ (128) bytes.
    let mut buf = handle_buf(0, &[0; 128]);
    let mut mount_id = 0;
    // AT_HANDLE_FID: the handle fanotify reports, also where a filesystem
    // cannot open handles (overlayfs); kernels before 6.5 refuse the flag
    // (EINVAL) and have no other handles than those without it.
    for flags in [libc::AT_HANDLE_FID, 0] {
        // SAFETY: `c` is NUL-terminated; `buf` is an aligned struct
        // file_handle with room for the 128 bytes it announces.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_name_to_handle_at,
                libc::AT_FDCWD,
                c.as_ptr(),
                buf.as_mut_ptr(),
                &mut mount_id as *mut libc::c_int,
                flags,
            )
        };
        if ret == 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if flags == 0 || e.raw_os_error() != Some(libc::EINVAL) {
            return Err(e);
        }
    }
    // SAFETY: the kernel filled in a struct file_handle in `buf`.
    let bytes = unsafe { std::slice::from_raw_parts(buf.as_ptr() as *const u8, buf.len() * 8) };
    let len = u32::from_ne_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let ty = i32::from_ne_bytes(bytes[4..8].try_into().unwrap());
    Ok((ty, bytes[8..8 + len].to_vec()))
}

impl Resolver {
    /// `mount` is any open fd on the watched filesystem.
    pub fn new(mount_fd: OwnedFd) -> Self {
        Resolver {
            mount_fd,
            known: Vec::new(),
            can_open_handles: true,
            directories: None,
        }
    }

    /// Remember directories' paths.  Only for a group initialised with
    /// `FAN_REPORT_TARGET_FID` (without it the FID record of a create or
    /// delete names the parent, not the entry), and a caller that receives every
    /// event of a directory moved within what it watches: MOVED_FROM and
    /// MOVED_TO (or RENAME) with `FAN_ONDIR` in its mask, and no filter
    /// that may skip them; a move clears the cache, so does an overflow.
    pub fn cache_directories(&mut self) {
        self.directories = Some(HashMap::new());
    }

    fn remember(&mut self, handle_type: i32, handle: &[u8], path: &Path) {
        if let Some(c) = self.directories.as_mut() {
            if c.len() >= DIRECTORY_CACHE_MAX {
                c.clear();
            }
            c.insert((handle_type, handle.to_vec()), path.to_path_buf());
        }
    }

    /// Remember that the directory with this handle is at `path`.
    pub fn know(&mut self, path: &Path) -> std::io::Result<()> {
        let (ty, h) = path_handle(path)?;
        self.known.push((ty, h, path.to_path_buf()));
        Ok(())
    }

    /// The path of the object with this handle, if it can be found.
    pub fn resolve(&mut self, handle_type: i32, handle: &[u8]) -> Option<PathBuf> {
        if let Some((_, _, p)) = self
            .known
            .iter()
            .find(|(t, h, _)| *t == handle_type && h == handle)
        {
            return Some(p.clone());
        }
        if let Some(p) = self
            .directories
            .as_ref()
            .and_then(|c| c.get(&(handle_type, handle.to_vec())))
        {
            return Some(p.clone());
        }
        if !self.can_open_handles {
            return None;
        }
        let buf = handle_buf(handle_type, handle);
        // SAFETY: `buf` is an aligned struct file_handle whose handle_bytes
        // matches the bytes that follow; the mount fd is open.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_open_by_handle_at,
                self.mount_fd.as_raw_fd(),
                buf.as_ptr(),
                libc::O_PATH | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
                // No CAP_DAC_READ_SEARCH: do not try again for every event.
                self.can_open_handles = false;
            }
            return None;
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        fd_path(fd.as_fd())
    }

    fn join(&mut self, handle_type: i32, handle: &[u8], name: Option<&[u8]>) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStrExt;
        let dir = self.resolve(handle_type, handle)?;
        // Only directory handles come here: worth remembering.
        self.remember(handle_type, handle, &dir);
        match name {
            Some(b".") | None => Some(dir),
            Some(n) => Some(dir.join(std::ffi::OsStr::from_bytes(n))),
        }
    }

    /// Resolve one event.  Takes its fd, if any, into [`Event::Object`].
    pub fn event(&mut self, ev: &mut OwnedEvent<'_>) -> Event {
        if ev.raw.mask & libc::FAN_Q_OVERFLOW != 0 {
            // Moves may be among the events lost.
            if let Some(c) = self.directories.as_mut() {
                c.clear();
            }
            return Event::Overflow;
        }
        let is_dir = ev.raw.mask & libc::FAN_ONDIR != 0;
        if is_dir && ev.raw.mask & DIRECTORY_MOVES != 0 {
            if let Some(c) = self.directories.as_mut() {
                c.clear();
            }
        }
        let fd = ev.take_fd();
        let raw = &ev.raw;
        let mut path = fd.as_ref().and_then(|f| fd_path(f.as_fd()));
        let mut new_path = None;
        let mut object = None;
        for info in &raw.info {
            if let Info::Fid {
                kind,
                handle_type,
                handle,
                name,
                ..
            } = info
            {
                match kind {
                    FidKind::DirName | FidKind::OldDirName if path.is_none() => {
                        path = self.join(*handle_type, handle, *name);
                    }
                    FidKind::NewDirName => new_path = self.join(*handle_type, handle, *name),
                    FidKind::Object if object.is_none() => object = Some((*handle_type, *handle)),
                    _ => {}
                }
            }
        }
        if path.is_none() {
            if let Some((t, h)) = object {
                path = self.resolve(t, h);
            }
        } else if let (true, Some((t, h)), Some(p)) = (is_dir, object, path.as_ref()) {
            // A directory's event names its place and its handle: its
            // files' events will need it, perhaps once it is gone.  (A
            // moved directory's place is its old one: not remembered.)
            if ev.raw.mask & DIRECTORY_MOVES == 0 && ev.raw.mask & libc::FAN_DELETE_SELF == 0 {
                let p = p.clone();
                self.remember(t, h, &p);
            }
        }
        Event::Object {
            mask: raw.mask,
            pid: raw.pid,
            path,
            new_path,
            fd,
        }
    }
}
