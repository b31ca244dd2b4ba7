//! The commands.

use crate::cli::{Cli, Command, WatchArgs};
use crate::output::{
    counters_text, json_str, path_text, paths_list, time_text, unix_now, EventLine, Format, Style,
};
use fanfilter::args::{
    self, Actor, ArgsError, BpfFilter, FilterSpec, Kind, Name, NamePattern, Policy, Subtree,
};
use fanfilter::attach::{attach, FilterError};
use fanfilter::bpf::BpfFilters;
use fanfilter::events::{Event, EventReader, Resolver};
use fanfilter::fanotify::{EventFFlags, Fanotify, InitFlags, MarkFlags, MaskFlags};
use fanfilter::sysfs;
use fanfilter::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::collections::HashMap;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a stopping watch still reads what was queued before the signal.
const STOP_DRAIN: Duration = Duration::from_millis(100);

/// A failure: the message and the documented exit status.
#[derive(Debug)]
pub(crate) struct Failure {
    pub code: i32,
    pub message: String,
}

pub(crate) const EXIT_RUNTIME: i32 = 1;
/// --timeout passed without an event (as inotifywait).
pub(crate) const EXIT_TIMEOUT: i32 = 2;
/// Events were lost and --exit-on-overflow was given.
pub(crate) const EXIT_OVERFLOW: i32 = 6;
/// Bad command line (sysexits' EX_USAGE; clap's own errors too).
pub(crate) const EXIT_USAGE: i32 = 64;
const EXIT_NO_FILTERS: i32 = 3;
const EXIT_PERMISSION: i32 = 4;
pub(crate) const EXIT_BAD_ARGS: i32 = 5;

pub(crate) fn fail(code: i32, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// An error and its causes, "error: cause: cause" (an errno as the OS
/// words it).
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        match c.downcast_ref::<fanfilter::Errno>() {
            Some(&errno) => s.push_str(&format!(": {}", io::Error::from(errno))),
            None => s.push_str(&format!(": {c}")),
        }
        cause = c.source();
    }
    s
}

impl From<FilterError> for Failure {
    fn from(e: FilterError) -> Self {
        let code = match e.errno as i32 {
            libc::ENOENT | libc::ENOTTY => EXIT_NO_FILTERS,
            libc::EPERM | libc::EACCES => EXIT_PERMISSION,
            libc::EINVAL | libc::E2BIG | libc::ESRCH | libc::EBADF => EXIT_BAD_ARGS,
            _ => EXIT_RUNTIME,
        };
        fail(code, chain(&e))
    }
}

impl From<ArgsError> for Failure {
    fn from(e: ArgsError) -> Self {
        fail(EXIT_BAD_ARGS, chain(&e))
    }
}

/// `eprintln!` that cannot panic: a guard whose stderr went away (a pipe
/// to a logger that died) must keep guarding, not die of its messages.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;

pub(crate) fn io_fail(what: &str, e: impl std::fmt::Display) -> Failure {
    fail(EXIT_RUNTIME, format!("{what}: {e}"))
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::List { json } => list(json),
        Command::Watch(mut a) => {
            a.resolve_paths()
                .map_err(|e| fail(EXIT_BAD_ARGS, format!("--fromfile: {e}")))?;
            if a.paths.is_empty() {
                return Err(fail(EXIT_USAGE, "no PATH to watch"));
            }
            watch(*a)
        }
        Command::Guard(a) => crate::guard::guard(a),
        Command::Stats { pid, fd, json } => stats(pid, fd, json),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into memory first: clap_complete panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "fanfilter", &mut script);
            write_stdout(&script)
        }
    }
}

/// All of `bytes` to standard output, or exit 1 saying why (a closed
/// pipe, a full disk): never a panic, never a quiet success.
fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| io_fail("writing", e))
}

fn list(json: bool) -> Result<(), Failure> {
    let filters = sysfs::list_filters().map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound {
            fail(
                EXIT_NO_FILTERS,
                format!(
                    "{}: not found: this kernel has no fanotify filters",
                    sysfs::FILTERS_DIR
                ),
            )
        } else {
            io_fail(sysfs::FILTERS_DIR, e)
        }
    })?;
    if filters.is_empty() {
        return Err(fail(
            EXIT_NO_FILTERS,
            "no filter is registered: load the fanotify_filters module",
        ));
    }
    let mut text = String::new();
    for f in filters {
        if json {
            text.push_str(&format!(
                "{{\"type\":\"filter\",\"name\":{},\"description\":{},\"args\":{},\"unprivileged\":{},\"enabled\":{}}}\n",
                json_str(&f.name),
                json_str(&f.description),
                json_str(&f.args),
                f.unprivileged,
                f.enabled
            ));
            continue;
        }
        let who = match (f.enabled, f.unprivileged) {
            (false, _) => "disabled by the administrator",
            (true, true) => "anyone",
            (true, false) => "root",
        };
        text.push_str(&format!(
            "{} ({who})\n    {}\n    args: {}\n",
            f.name, f.description, f.args
        ));
    }
    write_stdout(text.as_bytes())
}

/// SIGINT, SIGTERM and `more`, blocked and readable from an fd.
pub(crate) fn stop_signals(more: &[Signal]) -> Result<SignalFd, Failure> {
    let mut set = SigSet::empty();
    for &s in [Signal::SIGINT, Signal::SIGTERM].iter().chain(more) {
        set.add(s);
    }
    set.thread_block()
        .map_err(|e| io_fail("blocking signals", e))?;
    SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| io_fail("signalfd", e))
}

/// A new fd from a syscall that returns one (fsopen, fsmount, pidfd_open),
/// or its errno.
pub(crate) fn syscall_fd(ret: libc::c_long) -> io::Result<OwnedFd> {
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the syscall just made this fd, which nothing else owns.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(ret as i32) })
}

/// poll(2) until `until` (`None`: no limit), again after EINTR with what
/// is left of the time; the number of fds ready (0: the time is up).
fn poll_until(fds: &mut [libc::pollfd], until: Option<Instant>) -> io::Result<usize> {
    loop {
        let timeout = until.map_or(-1, |t| {
            t.saturating_duration_since(Instant::now())
                .as_millis()
                .min(i32::MAX as u128) as i32
        });
        // SAFETY: `fds` is a valid array of its length for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as _, timeout) };
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// A pollfd waiting for `events` on `fd`.
fn pollfd(fd: BorrowedFd<'_>, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

/// Wait until one of `fds` is readable (or has an error or hangup), at
/// most `timeout_ms` (-1: no limit); which of them are.
pub(crate) fn wait_any(fds: &[BorrowedFd<'_>], timeout_ms: i32) -> Result<Vec<bool>, Failure> {
    let mut pollfds: Vec<libc::pollfd> = fds.iter().map(|&fd| pollfd(fd, libc::POLLIN)).collect();
    let until = u64::try_from(timeout_ms)
        .ok()
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    poll_until(&mut pollfds, until).map_err(|e| io_fail("poll", e))?;
    Ok(pollfds.iter().map(|p| p.revents != 0).collect())
}

/// Field `key` of /proc/`pid`/status (its value, trimmed), while the
/// process lives; `pid` may be `"self"`.
pub(crate) fn proc_status_field(pid: impl std::fmt::Display, key: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(|v| v.trim().to_string())
}

/// The effective uid of process `pid` while it lives (fanotify reports
/// no uid: this is /proc's, read when the event is).
fn uid_of(pid: i32) -> Option<u32> {
    proc_status_field(pid, "Uid")?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The comm of `pid`, as bytes (any process may name itself with bytes
/// that are not UTF-8), without the one newline /proc adds.
pub(crate) fn comm_of(pid: i32) -> Option<Vec<u8>> {
    let mut c = std::fs::read(format!("/proc/{pid}/comm")).ok()?;
    if c.last() == Some(&b'\n') {
        c.pop();
    }
    Some(c)
}

pub(crate) fn init_group(class: u32, fid: bool) -> Result<Fanotify, Failure> {
    init_group_with(class, fid, 0)
}

/// As init_group(), with more fanotify_init() flags (FAN_UNLIMITED_QUEUE).
fn init_group_with(class: u32, fid: bool, more: u32) -> Result<Fanotify, Failure> {
    let mut flags = class | libc::FAN_CLOEXEC | libc::FAN_NONBLOCK | more;
    if fid {
        // TARGET_FID: the FID record of a create, delete or move names
        // the entry, not the directory (the directory cache learns from it).
        flags |= libc::FAN_REPORT_FID | libc::FAN_REPORT_DFID_NAME | libc::FAN_REPORT_TARGET_FID;
    }
    Fanotify::init(
        InitFlags::from_bits_retain(flags),
        // O_NONBLOCK: the kernel opens each event's fd for us when we
        // read the event; an object whose open waits (a FIFO without a
        // writer, some devices) must not block that read, and with it
        // this process.  (6.12 raises no open event for a FIFO to a
        // filesystem mark; other kernels or objects may.)
        EventFFlags::from_bits_retain(
            (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC | libc::O_NONBLOCK) as u32,
        ),
    )
    .map_err(|e| match e {
        nix::errno::Errno::EPERM => fail(
            EXIT_PERMISSION,
            "fanotify_init: this kind of group needs CAP_SYS_ADMIN",
        ),
        e => io_fail("fanotify_init", e),
    })
}

pub(crate) fn add_mark(fan: &Fanotify, flags: u32, mask: u64, path: &Path) -> Result<(), Failure> {
    fan.mark(
        MarkFlags::from_bits_retain(libc::FAN_MARK_ADD | flags),
        MaskFlags::from_bits_retain(mask),
        None,
        Some(path),
    )
    .map_err(|e| match e {
        nix::errno::Errno::EPERM => fail(
            EXIT_PERMISSION,
            format!(
                "fanotify_mark {}: a filesystem mark needs CAP_SYS_ADMIN (try --inode)",
                path.display()
            ),
        ),
        e => {
            let hint = match e {
                nix::errno::Errno::EXDEV => {
                    ": the directory is on a btrfs subvolume (or another filesystem whose \
                     id is not its superblock's), where a filesystem mark cannot report \
                     file handles; try --inode, or the subvolume's own mount"
                }
                nix::errno::Errno::EOPNOTSUPP | nix::errno::Errno::ENODEV => {
                    ": this filesystem cannot give file handles or has no id, which \
                     watch needs to name paths"
                }
                nix::errno::Errno::ENOTDIR => ": not a directory",
                _ => "",
            };
            io_fail(
                &format!("fanotify_mark {}", path.display()),
                format!("{e}{hint}"),
            )
        }
    })
}

fn patterns(list: &[String]) -> Result<Vec<NamePattern>, ArgsError> {
    list.iter().map(|s| NamePattern::parse(s)).collect()
}

/// Write all of `bytes` to `fd`, but never block so that a stop signal
/// goes unseen or past `until`: before each chunk, wait until `fd` takes
/// it, `signals` is readable, or `until` has come.  A chunk ends at a
/// record's end (a newline or NUL) where one falls within PIPE_BUF bytes,
/// which a pipe that polls writable takes whole (unless another process
/// writes to it too), so that a stop cuts no record in the middle.
/// Returns how much was written: less than all if a signal or `until`
/// came first.
pub(crate) fn write_or_stop(
    fd: BorrowedFd<'_>,
    bytes: &[u8],
    signals: BorrowedFd<'_>,
    until: Option<Instant>,
) -> io::Result<usize> {
    let mut done = 0;
    while done < bytes.len() {
        let mut fds = [pollfd(fd, libc::POLLOUT), pollfd(signals, libc::POLLIN)];
        if poll_until(&mut fds, until)? == 0 || fds[1].revents != 0 {
            return Ok(done);
        }
        let rest = &bytes[done..];
        let window = &rest[..rest.len().min(libc::PIPE_BUF)];
        let chunk = window
            .iter()
            .rposition(|&b| b == b'\n' || b == 0)
            .map_or(window.len(), |i| i + 1);
        // SAFETY: `rest` is valid for reads of `chunk` bytes.
        let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), chunk) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if matches!(
                e.kind(),
                io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
            ) {
                continue;
            }
            return Err(e);
        }
        done += n as usize;
    }
    Ok(done)
}

/// `--subtree` narrows PATH: each must be at or below PATH, on its
/// filesystem (a filesystem mark on PATH's filesystem sees no other).
/// Returns them canonical.
fn check_subtrees(
    a: &WatchArgs,
    paths: &[PathBuf],
    path_meta: &std::fs::Metadata,
) -> Result<Vec<PathBuf>, Failure> {
    use std::os::unix::fs::MetadataExt;
    let mut subtrees = Vec::with_capacity(a.subtree.len());
    for dir in &a.subtree {
        let canon = std::fs::canonicalize(dir)
            .map_err(|e| fail(EXIT_BAD_ARGS, format!("--subtree {}: {e}", dir.display())))?;
        let meta = std::fs::metadata(&canon)
            .map_err(|e| fail(EXIT_BAD_ARGS, format!("--subtree {}: {e}", dir.display())))?;
        let why = if !paths.iter().any(|p| canon.starts_with(p)) {
            "is not at or below"
        } else if meta.dev() != path_meta.dev() {
            "is on another filesystem than"
        } else {
            subtrees.push(canon);
            continue;
        };
        return Err(fail(
            EXIT_USAGE,
            format!("--subtree {}: {why} {}", dir.display(), a.path.display()),
        ));
    }
    Ok(subtrees)
}

/// The `--subtree` directories, opened: those given, else PATH itself if
/// `whole_fs` (a filesystem mark, which would report all of PATH's
/// filesystem), else none.
fn subtree_arg(a: &WatchArgs, whole_fs: bool) -> Result<Option<Subtree>, ArgsError> {
    if !a.subtree.is_empty() {
        Subtree::open(&a.subtree).map(Some)
    } else if whole_fs {
        Subtree::open(&a.paths).map(Some)
    } else {
        Ok(None)
    }
}

/// Whether `a` and `b` are on one filesystem (and one mount of it).
fn same_filesystem(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev(),
        _ => false,
    }
}

/// Whether this process has CAP_SYS_ADMIN (what filesystem marks and the
/// root-only filters need; euid 0 alone may not have it, and a process
/// with it need not be euid 0).
fn has_cap_sys_admin() -> bool {
    const CAP_SYS_ADMIN: u32 = 21;
    proc_status_field("self", "CapEff")
        .and_then(|hex| u64::from_str_radix(&hex, 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_ADMIN) != 0)
}

/// Events about a file itself, the ones an inode mark on a non-directory
/// can report.
const FILE_EVENTS: u64 = libc::FAN_ACCESS
    | libc::FAN_MODIFY
    | libc::FAN_ATTRIB
    | libc::FAN_CLOSE_WRITE
    | libc::FAN_CLOSE_NOWRITE
    | libc::FAN_OPEN
    | libc::FAN_OPEN_EXEC
    | libc::FAN_DELETE_SELF
    | libc::FAN_MOVE_SELF;

/// The filter for the criteria of a watch: none, one, or "policy"; and
/// whether it skips events by their place only (subtree, prune).
/// `prune`: the --prune directories, if the kernel is to prune them.
fn watch_filter(
    a: &WatchArgs,
    whole_fs: bool,
    prune: Option<&[PathBuf]>,
) -> Result<(Option<Box<dyn FilterSpec>>, bool), Failure> {
    let subtree = subtree_arg(a, whole_fs)?;
    let prune = prune.map(Subtree::open).transpose()?;
    let kind = if a.dirs_only {
        Some(Kind::Directories)
    } else if a.files_only {
        Some(Kind::NonDirectories)
    } else {
        None
    };
    let name = if !a.name.is_empty() {
        Some(Name::new(patterns(&a.name)?, false)?)
    } else if !a.exclude_name.is_empty() {
        Some(Name::new(patterns(&a.exclude_name)?, true)?)
    } else {
        None
    };
    let actor = if !a.pid.is_empty() || !a.uid.is_empty() {
        Some(Actor::new(a.pid.clone(), a.uid.clone(), false, a.not_self)?)
    } else if !a.exclude_pid.is_empty() || !a.exclude_uid.is_empty() || a.not_self {
        Some(Actor::new(
            a.exclude_pid.clone(),
            a.exclude_uid.clone(),
            true,
            a.not_self,
        )?)
    } else {
        None
    };
    // Only subtree and prune: every move a directory cache needs is sent
    // (moves within pruned directories are dropped, but so is every path
    // below them, in user space too).
    let by_place_only = kind.is_none() && name.is_none() && actor.is_none();
    let parts = subtree.is_some() as u32
        + kind.is_some() as u32
        + name.is_some() as u32
        + actor.is_some() as u32;
    let spec: Option<Box<dyn FilterSpec>> = match (parts, subtree, kind, name, actor, prune) {
        (0, .., None) => None,
        (0, .., Some(p)) => Some(Box::new(Policy::pruning(p))),
        (1, Some(s), .., None) => Some(Box::new(s)),
        (1, _, Some(k), .., None) => Some(Box::new(k)),
        (1, _, _, Some(n), _, None) => Some(Box::new(n)),
        (1, _, _, _, Some(a), None) => Some(Box::new(a)),
        (_, s, k, n, a, None) => Some(Box::new(Policy::new(s, k, n, a)?)),
        (_, s, k, n, a, Some(p)) => Some(Box::new(Policy::new(s, k, n, a)?.prune(p))),
    };
    Ok((spec, by_place_only))
}

/// Detach (if attached) and report the counters and overflows.
/// Print the counters, detach, and end with the first write error of
/// `what` (the command's output), if there was one.
fn finish(
    fan: Fanotify,
    attached: Option<&str>,
    overflows: u64,
    write_error: Option<io::Error>,
    what: &str,
    quiet: bool,
) -> Result<(), Failure> {
    let counters = sysfs::counters(fan.as_fd());
    // Closed, not detached first: detached, a filesystem mark would queue
    // the whole filesystem's events until the close.
    drop(fan);
    if let Some(name) = attached {
        match counters {
            Ok(Some(c)) if !quiet => say!("fanfilter: {}", counters_text(&c)),
            Ok(Some(_)) => {}
            Ok(None) => say!("fanfilter: filter {name} is no longer attached"),
            Err(e) => say!("fanfilter: cannot read the counters: {e}"),
        }
    }
    // Lost events are said even with --quiet.
    if !quiet || overflows > 0 {
        say!("fanfilter: queue overflows: {overflows}");
    }
    match write_error {
        Some(e) => Err(io_fail(what, e)),
        None => Ok(()),
    }
}

fn watch(a: WatchArgs) -> Result<(), Failure> {
    let mut paths = PathFilter::new(&a.exclude, &a.include)?;
    let format = a.format();
    format.check().map_err(|e| fail(EXIT_USAGE, e))?;
    // A duration that a deadline can be made of, or a bad command line.
    let timeout = a
        .timeout
        .map(|t| {
            Duration::try_from_secs_f64(t)
                .ok()
                .filter(|d| !d.is_zero() && Instant::now().checked_add(*d * 2).is_some())
                .ok_or_else(|| fail(EXIT_USAGE, "--timeout: a number of seconds > 0"))
        })
        .transpose()?;
    let meta = std::fs::metadata(&a.path)
        .map_err(|e| fail(EXIT_BAD_ARGS, format!("{}: {e}", a.path.display())))?;
    let is_dir = meta.is_dir();
    // Several PATHs: directories on one filesystem (one mount fd names
    // their handles; one watch per filesystem otherwise).
    for p in a.paths.iter().skip(1) {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(p)
            .map_err(|e| fail(EXIT_BAD_ARGS, format!("{}: {e}", p.display())))?;
        if !is_dir || !m.is_dir() {
            return Err(fail(
                EXIT_USAGE,
                "several PATHs must be directories (a file is watched alone)",
            ));
        }
        if m.dev() != meta.dev() {
            return Err(fail(
                EXIT_USAGE,
                format!(
                    "{} is on another filesystem than {}: one watch per filesystem",
                    p.display(),
                    a.path.display()
                ),
            ));
        }
    }
    if !is_dir && !a.subtree.is_empty() {
        return Err(fail(
            EXIT_BAD_ARGS,
            format!(
                "--subtree: {} is not a directory; a watch of a file reports that file",
                a.path.display()
            ),
        ));
    }
    // The PATHs as the kernel names them, once.
    let mut watched = a
        .paths
        .iter()
        .map(|p| std::fs::canonicalize(p).map_err(|e| io_fail(&p.display().to_string(), e)))
        .collect::<Result<Vec<_>, _>>()?;
    let subtree = check_subtrees(&a, &watched, &meta)?;
    // --prune: directories below a PATH, named as the kernel names them.
    let pruned = a
        .prune
        .iter()
        .map(|p| {
            let why = match std::fs::canonicalize(p) {
                Ok(c) if !c.is_dir() => "not a directory".to_string(),
                Ok(c) if watched.iter().any(|w| c.starts_with(w) && c != *w) => return Ok(c),
                Ok(_) => "not below a watched PATH".to_string(),
                Err(e) => e.to_string(),
            };
            Err(fail(
                EXIT_BAD_ARGS,
                format!("--prune {}: {why}", p.display()),
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    paths.prune.clone_from(&pruned);
    // -o FILE: appended to, as inotifywait does (once PATH is known good).
    let outfile = match &a.outfile {
        Some(f) => Some(
            std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(f)
                .map_err(|e| io_fail(&f.display().to_string(), e))?,
        ),
        None => None,
    };
    // PATH means PATH's subtree: with CAP_SYS_ADMIN a filesystem mark
    // narrowed in the kernel to PATH (or to --subtree); without it an
    // inode mark, which reports PATH's entries only.  A file: its own
    // events.
    let capable = has_cap_sys_admin();
    if a.recursive && is_dir && (a.inode || !capable) {
        return Err(fail(
            EXIT_PERMISSION,
            "--recursive: a recursive watch is a filesystem mark, which needs \
             CAP_SYS_ADMIN (and no --inode)",
        ));
    }
    let inode_mark = a.inode || !is_dir || !capable;
    // The kernel prunes for a filesystem mark (the policy filter, root);
    // an inode mark reports PATH's entries only, pruned by path.
    let kernel_prune = capable && !inode_mark && !pruned.is_empty();
    // Registered for as long as the watch runs.
    let bpf = a
        .bpf
        .as_deref()
        .map(BpfFilters::load)
        .transpose()
        .map_err(|e| fail(EXIT_BAD_ARGS, e))?;
    let (mut filter, by_place_only): (Option<Box<dyn FilterSpec>>, bool) = match &bpf {
        Some(b) if b.names().len() != 1 => {
            return Err(fail(
                EXIT_BAD_ARGS,
                format!("the object registers {} filters; give one", b.names().len()),
            ))
        }
        Some(b) => {
            let roots = subtree_arg(&a, !inode_mark)?;
            (Some(Box::new(BpfFilter::new(&b.names()[0], roots)?)), false)
        }
        None => watch_filter(&a, !inode_mark, kernel_prune.then_some(&pruned))?,
    };
    if !pruned.is_empty() && !kernel_prune && !a.quiet {
        say!("fanfilter: --prune in user space only (pruning in the kernel needs CAP_SYS_ADMIN)");
    }
    // PATH itself deleted or moved away: said, and the watch ends (below).
    let self_events = libc::FAN_DELETE_SELF | libc::FAN_MOVE_SELF;
    let requested = a.events.iter().fold(0, |m, e| m | e.mask());
    let mask = if !is_dir {
        // Entry events (create, delete, move) are about directories.
        requested & FILE_EVENTS | self_events
    } else if inode_mark {
        requested | libc::FAN_ONDIR | libc::FAN_EVENT_ON_CHILD
    } else {
        requested | libc::FAN_ONDIR
    };
    // Directory paths are cached when every move of a directory reaches
    // us: asked for below, and no filter but one by place (subtree sends a
    // move if either parent is inside) could skip one.  Moves only asked
    // for the cache are not printed.
    let shown = mask;
    let cache_directories = is_dir && by_place_only;
    let mask = if cache_directories {
        mask | libc::FAN_MOVED_FROM | libc::FAN_MOVED_TO
    } else {
        mask
    };
    // SIGHUP too: a watch in a terminal that goes away stops as on SIGTERM.
    let signals = stop_signals(&[Signal::SIGHUP])?;
    // --unlimited-queue: no overflow, at the price of kernel memory that
    // grows while the reader lags (root).
    let fan = init_group_with(
        libc::FAN_CLASS_NOTIF,
        true,
        if a.unlimited_queue {
            libc::FAN_UNLIMITED_QUEUE
        } else {
            0
        },
    )?;
    // SAFETY: `fan` comes from fanotify_init(2).
    let mut reader = unsafe { EventReader::new_unchecked(fan.as_fd(), 64 * 1024) };
    // Attach before marking: no unfiltered event reaches the queue.
    if let Some(f) = &filter {
        match attach(fan.as_fd(), f.as_ref()) {
            // The kernel cannot prune (policy disabled by the
            // administrator, or a module without prune sections): the
            // watch without it, pruned in user space.
            Err(e) if kernel_prune && matches!(e.errno, Errno::EPERM | Errno::EINVAL) => {
                filter = watch_filter(&a, !inode_mark, None)?.0;
                if let Some(f) = &filter {
                    attach(fan.as_fd(), f.as_ref())?;
                }
                // Said once the watch without it stands (an error of
                // another part fails above, as it would have).
                say!("fanfilter: --prune in user space only: {}", chain(&e));
            }
            r => r?,
        }
    }
    // The kernel keeps the directories' identities: the fds go, or PATH
    // would never be deleted (its dentry held) and no DELETE_SELF come.
    let filter: Option<String> = filter.map(|f| f.name().to_string());
    let mark_flags = if inode_mark {
        0
    } else {
        libc::FAN_MARK_FILESYSTEM
    };
    for p in &a.paths {
        add_mark(&fan, mark_flags, mask, p)?;
    }
    // PATH's own end, seen by a group of its own: the filter may skip it
    // (a --subtree below PATH, --files-only, another process's deletion).
    let self_fan = init_group(libc::FAN_CLASS_NOTIF, true)?;
    for p in &a.paths {
        // FAN_ONDIR only on a directory: with FAN_REPORT_TARGET_FID the
        // kernel refuses it on a file (ENOTDIR).
        let ondir = if is_dir { libc::FAN_ONDIR } else { 0 };
        add_mark(&self_fan, 0, self_events | ondir, p)?;
    }
    // SAFETY: `self_fan` comes from fanotify_init(2).
    let mut self_reader = unsafe { EventReader::new_unchecked(self_fan.as_fd(), 4096) };
    let path = watched[0].clone();
    // A file's events name it by its directory's handle and its name.
    let dir = if is_dir {
        path.clone()
    } else {
        path.parent().unwrap_or(Path::new("/")).to_path_buf()
    };
    // open_by_handle_at() needs any fd of the filesystem: PATH's parent's
    // (where there is one), since an fd of PATH would keep it from being
    // deleted (no DELETE_SELF while its dentry is held).
    // A mount's root cannot be deleted, and its parent is another
    // filesystem: then PATH itself.
    let mount_dir = match path.parent() {
        Some(parent) if is_dir && same_filesystem(parent, &path) => parent.to_path_buf(),
        _ => dir.clone(),
    };
    let mut resolver = Resolver::new(args::open_dir(&mount_dir)?);
    if cache_directories {
        resolver.cache_directories();
    }
    let mut self_resolver = Resolver::new(args::open_dir(&mount_dir)?);
    for p in &watched {
        self_resolver
            .know(p)
            .map_err(|e| io_fail(&format!("name_to_handle_at {}", p.display()), e))?;
    }
    for known in watched.iter().chain([&dir]).chain(&subtree) {
        resolver
            .know(known)
            .map_err(|e| io_fail(&format!("name_to_handle_at {}", known.display()), e))?;
    }
    let what = match (is_dir, inode_mark) {
        (false, _) => "inode mark on a file: its own events",
        (true, true) if a.inode => "inode mark: its entries only",
        (true, true) => "inode mark: its entries only; a recursive watch needs CAP_SYS_ADMIN",
        (true, false) => "filesystem mark",
    };
    if !a.quiet {
        say!(
            "fanfilter: watching {} ({what}, filter {})",
            paths_list(&a.paths),
            filter.as_deref().unwrap_or("none")
        );
    }

    let mut overflows = 0u64;
    // Our own output may land in the watched tree (`watch / > log`): each
    // line would be an event and a line again.  The kernel reports the
    // pid in our pid namespace, as getpid() is.
    let me = std::process::id() as i32;
    let mut write_error = None;
    let stdout = io::stdout();
    let sink = match &outfile {
        Some(f) => f.as_fd(),
        None => stdout.as_fd(),
    };
    // The administrator may revoke the filter: looked at once a second.
    let mut revocation_checked = Instant::now();
    // The deadline of --timeout: no event printed by then ends the watch.
    let mut deadline = timeout.map(|t| Instant::now() + t);
    let mut printed = 0u64;
    // One read (at most 64 KiB, about a thousand events) per poll of both
    // fds, so that under a storm that keeps the queue full SIGINT and
    // SIGTERM are still seen within a batch.  After the signal, what is
    // queued is read for at most STOP_DRAIN, then the watch stops even if
    // events keep coming.
    let mut stop_by: Option<Instant> = None;
    let mut end: Option<Failure> = None;
    // An end that waits for the drain (PATH gone: its last events first).
    let mut end_after_drain: Option<Failure> = None;
    let mut excluded = 0u64;
    let mut counts = Counts::default();
    loop {
        if stop_by.is_none() {
            let wait_ms = deadline.map_or(1000, |d| {
                d.saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(1000) as i32
            });
            let ready = wait_any(&[fan.as_fd(), signals.as_fd(), self_fan.as_fd()], wait_ms)?;
            if ready[2] {
                while let Some(mut events) = self_reader
                    .read()
                    .map_err(|e| io_fail("reading events", e))?
                {
                    for ev in &mut events {
                        let Event::Object {
                            mask,
                            path: Some(gone),
                            ..
                        } = self_resolver.event(ev)
                        else {
                            continue;
                        };
                        if mask & self_events == 0 || !watched.contains(&gone) {
                            continue;
                        }
                        watched.retain(|w| *w != gone);
                        let how = if mask & libc::FAN_DELETE_SELF != 0 {
                            "deleted"
                        } else {
                            "moved away"
                        };
                        // A PATH moved away would go on reporting under its
                        // old path: that ends the watch, as the last PATH.
                        if watched.is_empty() || how == "moved away" {
                            let why = if watched.is_empty() {
                                "nothing left to watch"
                            } else {
                                "stopping (its events would carry its old path)"
                            };
                            end_after_drain = Some(fail(
                                EXIT_RUNTIME,
                                format!("{} was {how}: {why}", gone.display()),
                            ));
                            stop_by = Some(Instant::now() + STOP_DRAIN);
                        } else {
                            say!("fanfilter: {} was {how}: no longer watched", gone.display());
                        }
                    }
                }
            }
            if ready[1] {
                // Taken, so that the drain's writes see only a second one
                // (the drain may have begun already: PATH gone).
                let _ = signals.read_signal();
                stop_by.get_or_insert(Instant::now() + STOP_DRAIN);
            } else if stop_by.is_none()
                && filter.is_some()
                && revocation_checked.elapsed() >= Duration::from_secs(1)
            {
                revocation_checked = Instant::now();
                if let Ok(Some(c)) = sysfs::counters(fan.as_fd()) {
                    if c.revoked {
                        end = Some(fail(
                            EXIT_RUNTIME,
                            format!(
                                "the administrator disabled filter {}: events are no longer \
                                 filtered in the kernel; stopping",
                                c.filter
                            ),
                        ));
                    }
                }
            }
            if end.is_none()
                && stop_by.is_none()
                && !ready[0]
                && deadline.is_some_and(|d| Instant::now() >= d)
            {
                // Counting: the time is up, as inotifywatch's -t.
                end = Some(fail(
                    if a.count { 0 } else { EXIT_TIMEOUT },
                    format!(
                        "no event within {} s (--timeout)",
                        a.timeout.unwrap_or_default()
                    ),
                ));
            }
        }
        // Written out once per batch, not once per line.
        let mut out = Vec::with_capacity(64 * 1024);
        let batch = if end.is_none() {
            reader.read().map_err(|e| io_fail("reading events", e))?
        } else {
            None
        };
        let drained = batch.is_none();
        if let Some(mut events) = batch {
            // The actors' comm and uid, read from /proc once per process
            // and batch (five system calls each): a batch is mostly a few
            // busy processes' events, read within a moment.
            let mut actors: HashMap<i32, (Option<Vec<u8>>, Option<u32>)> = HashMap::new();
            for ev in &mut events {
                // Nothing after an end: one-shot's event, an overflow with
                // --exit-on-overflow.
                if end.is_some() {
                    break;
                }
                // Not even resolved: ours are dropped (see `me`).
                if ev.raw().pid == me && ev.raw().mask & libc::FAN_Q_OVERFLOW == 0 {
                    continue;
                }
                let unix = unix_now();
                match resolver.event(ev) {
                    Event::Overflow => {
                        overflows += 1;
                        overflow_record(&format, unix, &mut out);
                        if a.exit_on_overflow {
                            end = Some(fail(
                                EXIT_OVERFLOW,
                                "events were lost: the queue overflowed (--exit-on-overflow)",
                            ));
                        }
                    }
                    Event::Object { mask, .. } if mask & shown & !libc::FAN_ONDIR == 0 => {}
                    Event::Object {
                        ref path,
                        ref new_path,
                        ..
                    } if !paths.passes(path.as_deref(), new_path.as_deref()) => {
                        excluded += 1;
                    }
                    Event::Object { mask, ref path, .. } if a.count => {
                        counts.add(path.as_deref(), mask & shown & !libc::FAN_ONDIR);
                        printed += 1;
                    }
                    Event::Object {
                        mask,
                        pid,
                        path,
                        new_path,
                        ..
                    } => {
                        let (comm, uid) = actors
                            .entry(pid)
                            .or_insert_with(|| {
                                (comm_of(pid), if a.user { uid_of(pid) } else { None })
                            })
                            .clone();
                        let line = EventLine {
                            mask: mask & shown,
                            path: path.as_deref(),
                            new_path: new_path.as_deref(),
                            pid,
                            comm: comm.as_deref(),
                            uid,
                        };
                        line.render(&format, unix, &mut out);
                        printed += 1;
                        if a.one_shot {
                            end = Some(fail(0, ""));
                        }
                    }
                }
            }
        }
        if !out.is_empty() {
            match write_or_stop(sink, &out, signals.as_fd(), stop_by) {
                Ok(n) if n == out.len() => {}
                // A signal while the output would not take more (a pipe
                // nobody reads): stop now, the rest of the batch unwritten.
                Ok(_) => stop_by = Some(Instant::now()),
                Err(e) => write_error = Some(e),
            }
            if let Some(t) = timeout {
                if printed > 0 {
                    deadline = Some(Instant::now() + t);
                }
            }
        }
        let stop = stop_by.is_some_and(|t| drained || Instant::now() >= t);
        if stop && end.is_none() {
            end = end_after_drain.take();
        }
        if stop || end.is_some() || write_error.is_some() {
            if stop && !drained && !a.quiet {
                say!("fanfilter: stopped with events still queued: they were not read");
            }
            if excluded > 0 && !a.quiet {
                say!("fanfilter: {excluded} events excluded in user space (--prune, --exclude, --include)");
            }
            if a.count && write_error.is_none() {
                // The signal that stopped us is taken, so that another one
                // can still interrupt a table that the output does not take.
                let _ = signals.read_signal();
                let table = counts.table(a.json);
                if let Err(e) = write_or_stop(sink, &table, signals.as_fd(), None) {
                    write_error = Some(e);
                }
            }
            let name = filter.as_deref();
            finish(fan, name, overflows, write_error, "writing events", a.quiet)?;
            return match end {
                Some(f) if f.code != 0 => Err(f),
                _ => Ok(()),
            };
        }
    }
}

/// `--count`: events per path and type, as inotifywatch.
#[derive(Default)]
struct Counts {
    by_path: std::collections::HashMap<Option<PathBuf>, std::collections::BTreeMap<u64, u64>>,
}

impl Counts {
    fn add(&mut self, path: Option<&Path>, mask: u64) {
        let row = self.by_path.entry(path.map(Path::to_path_buf)).or_default();
        for &(bit, _) in fanfilter::events::EVENT_NAMES {
            if mask & bit != 0 {
                *row.entry(bit).or_default() += 1;
            }
        }
    }

    /// The table: `total` and one column per event type seen, then the
    /// path (escaped as in text lines), the busiest first; or one JSON
    /// object per path.
    fn table(&self, json: bool) -> Vec<u8> {
        let columns: Vec<(u64, &str)> = fanfilter::events::EVENT_NAMES
            .iter()
            .copied()
            .filter(|(bit, _)| self.by_path.values().any(|r| r.contains_key(bit)))
            .collect();
        let mut rows: Vec<(u64, &Option<PathBuf>, &std::collections::BTreeMap<u64, u64>)> = self
            .by_path
            .iter()
            .map(|(p, r)| (r.values().sum(), p, r))
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        let mut out = String::new();
        if json {
            for (total, p, r) in rows {
                let events: Vec<String> = columns
                    .iter()
                    .filter_map(|(bit, name)| r.get(bit).map(|n| format!("{}:{n}", json_str(name))))
                    .collect();
                let path = p
                    .as_ref()
                    .map_or("null".to_string(), |p| json_str(&p.to_string_lossy()));
                out.push_str(&format!(
                    "{{\"type\":\"count\",\"path\":{path},\"total\":{total},\"events\":{{{}}}}}\n",
                    events.join(",")
                ));
            }
            return out.into_bytes();
        }
        out.push_str("total");
        for (_, name) in &columns {
            out.push_str(&format!("  {}", name.to_lowercase()));
        }
        out.push_str("  path\n");
        for (total, p, r) in rows {
            out.push_str(&format!("{total:>5}"));
            for (bit, name) in &columns {
                let w = name.len();
                out.push_str(&format!("  {:>w$}", r.get(bit).copied().unwrap_or(0)));
            }
            out.push_str(&format!("  {}\n", path_text(p.as_deref())));
        }
        out.into_bytes()
    }
}

/// `--exclude` and `--include`: regular expressions on full paths, and
/// the `--prune` directories, in user space (after the kernel's filters).
struct PathFilter {
    exclude: Vec<regex::bytes::Regex>,
    include: Vec<regex::bytes::Regex>,
    prune: Vec<PathBuf>,
}

impl PathFilter {
    fn new(exclude: &[String], include: &[String]) -> Result<Self, Failure> {
        let compile = |list: &[String], opt: &str| {
            list.iter()
                .map(|r| {
                    regex::bytes::Regex::new(r)
                        .map_err(|e| fail(EXIT_USAGE, format!("{opt} {r:?}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(PathFilter {
            exclude: compile(exclude, "--exclude")?,
            include: compile(include, "--include")?,
            prune: Vec::new(),
        })
    }

    /// Whether an event with these paths is printed: a path at or below a
    /// pruned directory fails, so does one that matches an --exclude, and
    /// one that matches no --include (if any are given); a rename passes
    /// if either of its places does; an event whose place is unknown
    /// passes (it is never lost).
    fn passes(&self, path: Option<&Path>, new_path: Option<&Path>) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let one = |p: &Path| {
            let b = p.as_os_str().as_bytes();
            !self.prune.iter().any(|d| p.starts_with(d))
                && !self.exclude.iter().any(|r| r.is_match(b))
                && (self.include.is_empty() || self.include.iter().any(|r| r.is_match(b)))
        };
        path.map_or(true, one) || new_path.is_some_and(one)
    }
}

/// `{"type":"counters","pid":P,"fd":F,"filter":NAME|null,...}` and a
/// newline; the counters are absent when no filter is attached.
fn counters_json(pid: i32, fd: i32, c: Option<&sysfs::Counters>) -> String {
    let mut s = format!("{{\"type\":\"counters\",\"pid\":{pid},\"fd\":{fd}");
    match c {
        None => s.push_str(",\"filter\":null"),
        Some(c) => s.push_str(&format!(
            ",\"filter\":{},\"seen\":{},\"skipped\":{},\"sent\":{},\"denied\":{},\"invalid\":{},\"revoked\":{}",
            json_str(&c.filter),
            c.seen,
            c.skipped,
            c.sent,
            c.denied,
            c.invalid,
            c.revoked
        )),
    }
    s.push_str("}\n");
    s
}

/// The record of a queue overflow in `format`.
fn overflow_record(format: &Format, unix: f64, out: &mut Vec<u8>) {
    match &format.style {
        Style::Json => out
            .extend_from_slice(format!("{{\"type\":\"overflow\",\"time\":{unix:.6}}}").as_bytes()),
        Style::Csv => out.extend_from_slice(format!("{unix:.6},OVERFLOW,,,,").as_bytes()),
        Style::Text { timefmt } | Style::Template { timefmt, .. } => {
            let t = time_text(timefmt.as_deref(), unix);
            out.extend_from_slice(
                format!("{t} OVERFLOW events were lost: the queue was full").as_bytes(),
            );
        }
    }
    out.push(if format.null { 0 } else { b'\n' });
}

fn stats(pid: i32, fd: Option<i32>, json: bool) -> Result<(), Failure> {
    let fds = match fd {
        Some(fd) => vec![fd],
        None => sysfs::fanotify_fds_of(pid).map_err(|e| {
            let code = if e.kind() == io::ErrorKind::PermissionDenied {
                EXIT_PERMISSION
            } else {
                EXIT_RUNTIME
            };
            fail(code, format!("/proc/{pid}/fd: {e}"))
        })?,
    };
    if fds.is_empty() {
        return Err(fail(
            EXIT_RUNTIME,
            format!("process {pid} has no fanotify fd"),
        ));
    }
    let mut text = String::new();
    for fd in fds {
        match sysfs::counters_of(pid, fd) {
            Ok(c) if json => text.push_str(&counters_json(pid, fd, c.as_ref())),
            Ok(Some(c)) => text.push_str(&format!("{pid} fd {fd}: {}\n", counters_text(&c))),
            Ok(None) => text.push_str(&format!("{pid} fd {fd}: no filter attached\n")),
            Err(e) => return Err(io_fail(&format!("/proc/{pid}/fdinfo/{fd}"), e)),
        }
    }
    write_stdout(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::PathFilter;
    use std::path::Path;

    #[test]
    fn exclude_include_and_renames() {
        let f = PathFilter::new(&[r"/\.git(/|$)".into()], &[]).unwrap();
        assert!(!f.passes(Some(Path::new("/r/.git/index")), None));
        assert!(!f.passes(Some(Path::new("/r/.git")), None));
        assert!(f.passes(Some(Path::new("/r/.gitignore")), None));
        // A rename out of .git, or into it: one place passes.
        assert!(f.passes(Some(Path::new("/r/.git/x")), Some(Path::new("/r/x"))));
        // Unknown places are never excluded.
        assert!(f.passes(None, None));
        let f = PathFilter::new(&[], &[r"\.rs$".into()]).unwrap();
        assert!(f.passes(Some(Path::new("/a/b.rs")), None));
        assert!(!f.passes(Some(Path::new("/a/b.c")), None));
        assert!(PathFilter::new(&["(".into()], &[]).is_err());
    }

    #[test]
    fn error_chains_name_each_cause_once() {
        let e = fanfilter::args::Subtree::open(&["/no/such/dir"]).unwrap_err();
        assert_eq!(
            super::chain(&e),
            "/no/such/dir: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn prune_by_components() {
        let mut f = PathFilter::new(&[], &[]).unwrap();
        f.prune = vec!["/r/.git".into()];
        assert!(!f.passes(Some(Path::new("/r/.git")), None));
        assert!(!f.passes(Some(Path::new("/r/.git/objects/ab")), None));
        // A name that only starts like it is not below it.
        assert!(f.passes(Some(Path::new("/r/.gitignore")), None));
        assert!(f.passes(Some(Path::new("/r/x")), None));
        // A rename out of or into it passes; within it does not.
        assert!(f.passes(Some(Path::new("/r/.git/x")), Some(Path::new("/r/x"))));
        assert!(f.passes(Some(Path::new("/r/x")), Some(Path::new("/r/.git/x"))));
        assert!(!f.passes(Some(Path::new("/r/.git/p")), Some(Path::new("/r/.git/q"))));
        assert!(f.passes(None, None));
    }

    #[test]
    fn counts_table_busiest_first() {
        let mut c = super::Counts::default();
        let (a, b) = (Path::new("/t/a"), Path::new("/t/b\nc"));
        c.add(Some(a), libc::FAN_MODIFY | libc::FAN_CLOSE_WRITE);
        c.add(Some(b), libc::FAN_MODIFY);
        c.add(Some(a), libc::FAN_MODIFY);
        c.add(None, libc::FAN_CREATE);
        let t = String::from_utf8(c.table(false)).unwrap();
        assert_eq!(
            t,
            "total  modify  close_write  create  path\n    \
                 3       2            1       0  /t/a\n    \
                 1       0            0       1  ?\n    \
                 1       1            0       0  /t/b\\nc\n"
        );
        let j = String::from_utf8(c.table(true)).unwrap();
        assert!(j.starts_with(
            "{\"type\":\"count\",\"path\":\"/t/a\",\"total\":3,\"events\":{\"MODIFY\":2,\"CLOSE_WRITE\":1}}\n"
        ));
    }
}
