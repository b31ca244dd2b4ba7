//! `fanfilter guard`: the kernel's guard filter answers every permission
//! event; this process only reports denials and keeps the group healthy.
//! With `--audit` nothing is denied: a notification group with the same
//! decision as a policy filter (the directories, not the exempt) reports
//! the opens that would be.
//!
//! Rules that keep a guard from hanging the system: the fanotify fd is
//! polled at all times and every permission event that reaches the queue
//! is answered at once; the guard never detaches its filter while its
//! filesystem marks remain (it closes the group, which allows everything
//! pending, as fanotify does for a daemon that exits).

use crate::cli::GuardArgs;
use crate::output::{counters_text, escaped, json_path, json_str, now, path_text, paths_list};
use crate::run::{
    comm_of, fail, init_group, io_fail, proc_status_field, say, stop_signals, syscall_fd, wait_any,
    write_or_stop, Failure, EXIT_RUNTIME, EXIT_USAGE,
};
use fanfilter::args::{self, Actor, FilterSpec, Guard, Policy, Subtree};
use fanfilter::attach::{attach, reconfigure};
use fanfilter::events::{mask_names, EventReader, OwnedEvent};
use fanfilter::fanotify::{Fanotify, FanotifyResponse, Response};
use fanfilter::sysfs;
use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TRACEFS: &str = "/sys/kernel/tracing";
const INSTANCE_PREFIX: &str = "fanfilter-guard-";

/// Where the kernel's trace events are: tracefs where it is mounted, else
/// a mount of it that belongs to this process alone (a detached mount,
/// `fsopen`/`fsmount`, reached through its fd: nothing changes in any
/// mount namespace, and it goes away with the process, even on SIGKILL).
fn tracefs() -> Option<(PathBuf, Option<OwnedFd>)> {
    for p in [TRACEFS, "/sys/kernel/debug/tracing"] {
        if Path::new(p).join("instances").is_dir() {
            return Some((p.into(), None));
        }
    }
    const FSOPEN_CLOEXEC: libc::c_uint = 1;
    const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
    const FSMOUNT_CLOEXEC: libc::c_uint = 1;
    let fstype = std::ffi::CString::new("tracefs").ok()?;
    // SAFETY: fsopen(2) with a NUL-terminated type; returns a new fd.
    let fs =
        syscall_fd(unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FSOPEN_CLOEXEC) })
            .ok()?;
    // SAFETY: fsconfig(2) on that fd; the command takes no key or value.
    let created = unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        )
    };
    if created < 0 {
        return None;
    }
    // SAFETY: fsmount(2) on the configured context; returns a new fd.
    let mnt =
        syscall_fd(unsafe { libc::syscall(libc::SYS_fsmount, fs.as_raw_fd(), FSMOUNT_CLOEXEC, 0) })
            .ok()?;
    let path = PathBuf::from(format!("/proc/self/fd/{}", mnt.as_raw_fd()));
    Some((path, Some(mnt)))
}

/// Remove the trace instances of guards that are gone (killed by SIGKILL,
/// say).  An instance whose trace_pipe a live guard holds cannot be removed
/// (EBUSY), so no pid needs to be interpreted, whatever pid namespace the
/// guard that made it ran in.
fn remove_stale_instances(instances: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(instances) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            // Ours, or an older fanfilter's ("fanfilter-PID").
            name.starts_with(INSTANCE_PREFIX)
                || name
                    .strip_prefix("fanfilter-")
                    .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .filter(|e| std::fs::remove_dir(e.path()).is_ok())
        .count()
}

/// A trace instance directory, removed on drop (which fails while its
/// trace_pipe is open).
struct Instance(PathBuf);

impl Drop for Instance {
    fn drop(&mut self) {
        // Removing the instance disables its events.
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// A private trace instance with guard denials enabled.  Fields drop in
/// order: the pipe is closed, then the instance removed, then our own
/// tracefs mount (if any), through which the instance is reached, let go.
struct DenialTrace {
    pipe: BufReader<std::fs::File>,
    /// A line read in part, until its end comes.
    partial: Vec<u8>,
    _instance: Instance,
    _mount: Option<OwnedFd>,
}

impl DenialTrace {
    /// Denials of the attachment `id` (every guard's if `None`).
    fn new(id: Option<u64>) -> Option<Self> {
        let (tracefs, mount) = tracefs()?;
        let instances = tracefs.join("instances");
        // Cleanup and setup under one lock of all guards: between its
        // mkdir and the opening of its trace_pipe another guard's cleanup
        // could remove a starting guard's instance.  (Without /run: no lock.)
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_CLOEXEC)
            .open("/run/fanfilter-guard.lock")
            .ok();
        if let Some(l) = &lock {
            // SAFETY: flock(2) on an open fd; released when `lock` closes.
            unsafe { libc::flock(l.as_raw_fd(), libc::LOCK_EX) };
        }
        let stale = remove_stale_instances(&instances);
        if stale > 0 {
            say!("fanfilter: removed {stale} trace instance(s) of guards that are gone");
        }
        // Unique on this system even for guards in other pid namespaces.
        let pid = std::process::id();
        let instance = (0..100)
            .map(|n| instances.join(format!("{INSTANCE_PREFIX}{pid}-{n}")))
            .find(|d| std::fs::create_dir(d).is_ok())
            .map(Instance)?;
        let dir = &instance.0;
        let ev = dir.join("events/fanotify_filter/filter_verdict");
        let filter = match id {
            Some(id) => format!("id == {id} && verdict < 0"),
            None => "filter == \"guard\" && verdict < 0".to_string(),
        };
        // A new instance copies the top level's options: make the lines
        // the ones parse_denial() reads, whatever an administrator set.
        for (option, value) in [
            ("context-info", "1"),
            ("raw", "0"),
            ("hex", "0"),
            ("bin", "0"),
            ("latency-format", "0"),
        ] {
            let _ = std::fs::write(dir.join("options").join(option), value);
        }
        let set_up = std::fs::write(ev.join("filter"), filter)
            .and_then(|()| std::fs::write(ev.join("enable"), "1"))
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(dir.join("trace_pipe"))
            });
        // On an error the instance goes again, on drop.
        set_up.ok().map(|f| DenialTrace {
            pipe: BufReader::new(f),
            partial: Vec::new(),
            _instance: instance,
            _mount: mount,
        })
    }
}

/// One denial from the trace.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Denial {
    /// The task's comm as the trace recorded it ("<...>" if it did not).
    comm: String,
    /// The thread that was denied.
    tid: i32,
    /// Its process, if the trace recorded it (the record's tgid field, or
    /// the option record-tgid, which some other tracer may have set).
    tgid: Option<i32>,
    dev: String,
    ino: u64,
    mask: u64,
}

/// Parses a `filter_verdict` trace line of a denial:
/// `COMM-TID [(TGID)] [CPU] FLAGS TIME: filter_verdict: ... dev=M:N ino=I mask=0xM ...`.
pub(crate) fn parse_denial(line: &str) -> Option<Denial> {
    let (head, rest) = line.split_once(": filter_verdict: ")?;
    // The CPU field "[001]" ends the task; a comm may hold " [" itself,
    // but not followed by digits and "]".
    let cpu = head.rmatch_indices(" [").find_map(|(i, _)| {
        let tail = &head[i + 2..];
        let end = tail.find(']')?;
        tail[..end].bytes().all(|b| b.is_ascii_digit()).then_some(i)
    })?;
    let mut task = head[..cpu].trim();
    let mut tgid = None;
    // record-tgid adds "(  TGID)", or "(-------)" when unknown.
    if let Some(open) = task.rfind('(').filter(|_| task.ends_with(')')) {
        tgid = task[open + 1..task.len() - 1].trim().parse().ok();
        task = task[..open].trim_end();
    }
    let (comm, tid) = task.rsplit_once('-')?;
    let field = |key: &str| {
        rest.split(' ')
            .find_map(|w| w.trim_end().strip_prefix(key).map(str::to_string))
    };
    // The record's own tgid field (kernels whose tracepoint has it) is
    // the process at the time of the denial, as record-tgid's would be.
    if let Some(t) = field("tgid=").and_then(|t| t.parse().ok()) {
        tgid = Some(t);
    }
    Some(Denial {
        comm: comm.to_string(),
        tid: tid.parse().ok()?,
        tgid,
        dev: field("dev=")?,
        ino: field("ino=")?.parse().ok()?,
        mask: u64::from_str_radix(&field("mask=0x")?, 16).ok()?,
    })
}

/// The process a thread belongs to, from /proc while it lives.
fn tgid_of(tid: i32) -> Option<i32> {
    proc_status_field(tid, "Tgid")?.parse().ok()
}

/// What is printed for a denial, or with `--audit` for an open that would
/// be denied.
pub(crate) struct DenialLine<'a> {
    pub(crate) denial: &'a Denial,
    /// The process, if known (the trace's record-tgid, else /proc).
    pub(crate) pid: Option<i32>,
    pub(crate) comm: Option<&'a str>,
    /// The object's path, if it could be found.
    pub(crate) path: Option<&'a Path>,
    /// Denied, or only reported (`--audit`).
    pub(crate) enforced: bool,
}

impl DenialLine<'_> {
    /// `TIME DENIED|AUDIT EVENTS [pid=P] [tid=T] dev=M:N ino=I path=P
    /// [comm=C]` (`tid` when it is not the process's main thread, or the
    /// process is unknown; `path=?` if not found).  The path and the comm,
    /// which processes chose, are escaped, the comm last: neither can end
    /// the line nor stand in for a field.
    pub(crate) fn text(&self, time: &str) -> String {
        let d = self.denial;
        let verb = if self.enforced { "DENIED" } else { "AUDIT" };
        let mut s = format!("{time} {verb} {}", mask_names(d.mask).join(","));
        if let Some(p) = self.pid {
            s.push_str(&format!(" pid={p}"));
        }
        if self.pid != Some(d.tid) {
            s.push_str(&format!(" tid={}", d.tid));
        }
        s.push_str(&format!(
            " dev={} ino={} path={}",
            d.dev,
            d.ino,
            path_text(self.path)
        ));
        if let Some(c) = self.comm {
            s.push_str(&format!(" comm={}", escaped(c.as_bytes())));
        }
        s
    }

    /// `{"type":"denial","enforced":B,"time":T,"events":[...],
    /// "pid":P|null,"tid":T,"comm":C|null,"dev":"M:N","ino":I,
    /// "path":P|null}` (and `path_hex` for a path that is not UTF-8).
    pub(crate) fn json(&self, time: f64) -> String {
        let d = self.denial;
        let names: Vec<String> = mask_names(d.mask).iter().map(|n| json_str(n)).collect();
        let mut s = format!(
            "{{\"type\":\"denial\",\"enforced\":{},\"time\":{time:.6},\"events\":[{}],\"pid\":{},\"tid\":{},\"comm\":{},\"dev\":{},\"ino\":{}",
            self.enforced,
            names.join(","),
            self.pid.map_or("null".to_string(), |p| p.to_string()),
            d.tid,
            self.comm.map_or("null".to_string(), json_str),
            json_str(&d.dev),
            d.ino
        );
        json_path(&mut s, "path", self.path);
        s.push('}');
        s
    }
}

impl DenialLine<'_> {
    /// The line, stamped now, as JSON or text, into `out`.
    fn write_to(&self, out: &mut Vec<u8>, json: bool) {
        let (text, unix) = now();
        let _ = if json {
            writeln!(out, "{}", self.json(unix))
        } else {
            writeln!(out, "{}", self.text(&text))
        };
    }
}

/// The device number a trace's `M:N` names.
fn dev_of_text(text: &str) -> Option<u64> {
    let (major, minor) = text.split_once(':')?;
    Some(libc::makedev(major.parse().ok()?, minor.parse().ok()?))
}

/// `M:N` of a device number, as the trace prints one.
fn dev_text(dev: u64) -> String {
    format!("{}:{}", libc::major(dev), libc::minor(dev))
}

/// Paths of the guarded directories' objects by device and inode: the
/// trace names a denied object by inode only.  Made by walking the
/// directories, again after a miss: by directory fds, each opened below
/// the last without following a symbolic link; bounded in objects and in
/// time, both shared among the directories; the next walk waits ten
/// times as long as the last took (a second at least).  Only directories
/// are stat'ed (to stay on the filesystem); other entries are known by the
/// inode number readdir gives.  An object the walk did not reach is
/// printed `path=?`; a path is only given if it names that inode through
/// no symbolic link when the line is written.  Of a file's hard links,
/// the first found is given.
#[derive(Default)]
struct PathIndex {
    paths: HashMap<(u64, u64), PathBuf>,
    /// When the next walk may start.
    next_walk: Option<Instant>,
}

/// Most objects a walk indexes, over all the directories.
const PATH_INDEX_MAX: usize = 1 << 18;
/// Longest a walk may hold up the guard's loop, over all the directories.
const PATH_WALK_BUDGET: Duration = Duration::from_millis(200);

impl PathIndex {
    fn lookup(&mut self, roots: &[Root], dev: u64, ino: u64) -> Option<PathBuf> {
        let key = (dev, ino);
        if let Some(p) = self.paths.get(&key).filter(|p| names(p, dev, ino)) {
            return Some(p.clone());
        }
        if self.next_walk.is_some_and(|t| Instant::now() < t) {
            return None;
        }
        let start = Instant::now();
        self.walk(roots);
        self.next_walk = Some(Instant::now() + (start.elapsed() * 10).max(Duration::from_secs(1)));
        self.paths.get(&key).filter(|p| names(p, dev, ino)).cloned()
    }

    fn walk(&mut self, roots: &[Root]) {
        use nix::dir::{Dir, Type};
        use nix::fcntl::{AtFlags, OFlag};
        use nix::sys::stat::{fstatat, Mode};
        use std::os::unix::ffi::OsStrExt;
        self.paths.clear();
        let n = roots.len().max(1);
        let time_share = PATH_WALK_BUDGET / n as u32;
        // Each directory once: a bind mount of a directory inside itself
        // has the same device.
        let mut visited = std::collections::HashSet::new();
        for root in roots {
            // Where the directory is now (it may have been moved).
            let Ok(top) = std::fs::read_link(format!("/proc/self/fd/{}", root.fd.as_raw_fd()))
            else {
                continue;
            };
            let dev = root.id.0;
            let deadline = Instant::now() + time_share;
            let mut budget = PATH_INDEX_MAX / n;
            let open = |at: RawFd, name: &std::ffi::CStr| {
                Dir::openat(
                    Some(at),
                    name,
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )
            };
            let Ok(first) = open(root.fd.as_raw_fd(), c".") else {
                continue;
            };
            let mut dirs = vec![(first, top)];
            'walk: while let Some((mut dir, path)) = dirs.pop() {
                let at = dir.as_raw_fd();
                let mut subdirs = Vec::new();
                for e in dir.iter().flatten() {
                    if budget == 0 || Instant::now() >= deadline {
                        break 'walk;
                    }
                    let name = e.file_name();
                    if name == c"." || name == c".." {
                        continue;
                    }
                    let p = path.join(std::ffi::OsStr::from_bytes(name.to_bytes()));
                    // Directories, and entries readdir gives no type of,
                    // are stat'ed once; a mount point's own device is
                    // another: not entered.
                    if e.file_type().map_or(true, |t| t == Type::Directory) {
                        match fstatat(Some(at), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
                            Ok(st)
                                if st.st_mode & libc::S_IFMT == libc::S_IFDIR
                                    && st.st_dev == dev
                                    && visited.insert(st.st_ino) =>
                            {
                                subdirs.push((name.to_owned(), p.clone()));
                            }
                            _ => {}
                        }
                    }
                    // The first name found stays.
                    self.paths.entry((dev, e.ino())).or_insert(p);
                    budget -= 1;
                }
                for (name, p) in subdirs {
                    if let Ok(d) = open(at, &name) {
                        dirs.push((d, p));
                    }
                }
            }
        }
    }
}

/// Whether `p` names inode `ino` of device `dev`, through no symbolic
/// link (a directory on the way swapped for one would show another
/// file's name): its directory opened with `RESOLVE_NO_SYMLINKS`, the
/// name looked at in it without following.
fn names(p: &Path, dev: u64, ino: u64) -> bool {
    use nix::fcntl::{openat2, AtFlags, OFlag, OpenHow, ResolveFlag};
    use nix::sys::stat::fstatat;
    let (Some(dir), Some(name)) = (p.parent(), p.file_name()) else {
        return false;
    };
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_NO_SYMLINKS);
    let Ok(fd) = openat2(libc::AT_FDCWD, dir, how) else {
        return false;
    };
    // SAFETY: `fd` was just opened and is owned by nobody else.
    let fd = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    fstatat(Some(fd.as_raw_fd()), name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|st| st.st_ino == ino && st.st_dev == dev)
}

/// A directory guarded since start or a reload, by identity.
struct Root {
    path: PathBuf,
    fd: OwnedFd,
    id: (u64, u64),
}

fn dir_identity(fd: &OwnedFd) -> Result<(u64, u64), Failure> {
    let st = nix::sys::stat::fstat(fd.as_raw_fd()).map_err(|e| io_fail("fstat", e))?;
    Ok((st.st_dev, st.st_ino))
}

/// An exempt process, by number for the kernel and by pidfd for us: the
/// kernel resolves the number again on every reload, so a number is only
/// passed while the process it named at start is alive (else a recycled
/// pid would become exempt).
struct Exempt {
    pid: i32,
    pidfd: OwnedFd,
}

impl Exempt {
    fn open(pid: i32) -> Result<Self, Failure> {
        // SAFETY: pidfd_open(2) takes a pid and flags; returns a new fd.
        let pidfd = syscall_fd(unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) })
            .map_err(|e| fail(crate::run::EXIT_BAD_ARGS, format!("--exempt {pid}: {e}")))?;
        Ok(Exempt { pid, pidfd })
    }

    /// A pidfd is readable once its process has exited.
    fn alive(&self) -> bool {
        !wait_any(&[self.pidfd.as_fd()], 0).is_ok_and(|r| r[0])
    }
}

/// The directories' marks: on their filesystems, for opens and execs (as
/// permission events, or with `--audit` as notifications).
fn mark_dirs(fan: &Fanotify, a: &GuardArgs) -> Result<(), Failure> {
    let mask = if a.audit {
        libc::FAN_OPEN | libc::FAN_OPEN_EXEC
    } else {
        libc::FAN_OPEN_PERM | libc::FAN_OPEN_EXEC_PERM
    };
    for d in &a.dirs {
        crate::run::add_mark(fan, libc::FAN_MARK_FILESYSTEM, mask, d)?;
    }
    Ok(())
}

/// What the guard attaches, kept across reloads: a reload may add a
/// directory (a path that names another directory than before is guarded
/// as well, never instead: whoever replaced it must not take the old one
/// out), and may lose an exempt process that exited; nothing else.
struct Config {
    roots: Vec<Root>,
    exempt: Vec<Exempt>,
    uids: Vec<u32>,
}

impl Config {
    fn new(a: &GuardArgs) -> Result<Self, Failure> {
        let pids = a.exempt_pids().map_err(|e| fail(EXIT_USAGE, e))?;
        let uids = a.exempt_uids().map_err(|e| fail(EXIT_USAGE, e))?;
        let mut c = Config {
            roots: Vec::new(),
            exempt: pids
                .into_iter()
                .map(Exempt::open)
                .collect::<Result<_, _>>()?,
            uids,
        };
        c.open_dirs(a)?;
        Ok(c)
    }

    /// Open the directories by path; those that are new by identity are
    /// added.  Returns what changed, for the log.
    fn open_dirs(&mut self, a: &GuardArgs) -> Result<Vec<String>, Failure> {
        let mut news = Vec::new();
        for path in &a.dirs {
            let fd = args::open_dir(path)?;
            let id = dir_identity(&fd)?;
            if self.roots.iter().any(|r| r.id == id) {
                continue;
            }
            if self.roots.iter().any(|r| &r.path == path) {
                news.push(format!(
                    "{} is another directory than before: both are guarded",
                    path.display()
                ));
            }
            self.roots.push(Root {
                path: path.clone(),
                fd,
                id,
            });
        }
        Ok(news)
    }

    /// The filter's arguments: every root, the exempt processes alive.
    /// With `audit`, a policy that sends what guard would deny: events at
    /// or below a root, or whose place is unknown, not caused by an exempt
    /// process or uid, kernel threads' too.
    fn spec(&self, audit: bool) -> Result<Box<dyn FilterSpec>, Failure> {
        let fds = self
            .roots
            .iter()
            .map(|r| r.fd.try_clone().map_err(|e| io_fail("dup", e)))
            .collect::<Result<Vec<_>, _>>()?;
        let pids: Vec<i32> = self.exempt.iter().map(|e| e.pid).collect();
        if audit {
            // Not "not self": guard does not exempt the guard either.
            let not_exempt = (!pids.is_empty() || !self.uids.is_empty())
                .then(|| Actor::new(pids, self.uids.clone(), true, false))
                .transpose()?;
            return Ok(Box::new(Policy::new(
                Some(Subtree::new(fds)?),
                None,
                None,
                not_exempt,
            )?));
        }
        Ok(Box::new(
            Guard::new(fds, pids)?.with_exempt_uids(self.uids.clone())?,
        ))
    }

    /// Drop exempt processes that exited; their pids, for the log.
    fn drop_dead(&mut self) -> Vec<i32> {
        let dead: Vec<i32> = self
            .exempt
            .iter()
            .filter(|e| !e.alive())
            .map(|e| e.pid)
            .collect();
        self.exempt.retain(|e| !dead.contains(&e.pid));
        dead
    }
}

/// SIGHUP: the directories again, and the exempt processes still alive,
/// swapped in atomically.
fn reload(fan: &Fanotify, a: &GuardArgs, config: &mut Config) -> Result<Vec<String>, Failure> {
    // Marks first: a directory on a new filesystem is marked before the
    // filter names it (a failure here leaves the old filter in place).
    mark_dirs(fan, a)?;
    let mut log = config.open_dirs(a)?;
    loop {
        let dead = config.drop_dead();
        if !dead.is_empty() {
            log.push(format!(
                "exempt process(es) {dead:?} exited: no longer exempt (their pids may be reused)"
            ));
        }
        // One that died while the kernel resolved the numbers (ESRCH, or
        // dead once it has): once more without it, before its number can
        // name anyone else.
        match reconfigure(fan.as_fd(), config.spec(a.audit)?.as_ref()) {
            Err(e) if e.errno == fanfilter::Errno::ESRCH => continue,
            r => r?,
        }
        if config.exempt.iter().all(Exempt::alive) {
            break;
        }
    }
    Ok(log)
}

/// The soft limit of open files up to the hard one.
fn raise_fd_limit() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit with a valid struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}

/// Shared between the guard and its answering thread.
struct Answering {
    stop: AtomicBool,
    answered: AtomicU64,
    overflows: AtomicU64,
}

/// The answering thread: every permission event that reaches the queue
/// (once the filter is revoked or gone, all of them) is allowed at once,
/// whatever the main thread is doing (a write to a full pipe, a reload).
/// It stops when `wake` becomes readable and `shared.stop` is set.
fn answer(fan: &Fanotify, wake: BorrowedFd<'_>, shared: &Answering) {
    // SAFETY: `fan` comes from fanotify_init(2).  4 KiB: at most 170
    // events, so 170 fds, per read (see raise_fd_limit()).
    let mut reader = unsafe { EventReader::new_unchecked(fan.as_fd(), 4096) };
    while !shared.stop.load(Ordering::Acquire) {
        if wait_any(&[fan.as_fd(), wake], -1).is_err() {
            continue;
        }
        while !shared.stop.load(Ordering::Acquire) {
            let Ok(Some(events)) = reader.read() else {
                break;
            };
            for ev in &events {
                if ev.raw().mask & libc::FAN_Q_OVERFLOW != 0 {
                    shared.overflows.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(fd) = ev.fd() {
                    let _ = fan.write_response(FanotifyResponse::new(fd, Response::FAN_ALLOW));
                    shared.answered.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

pub fn guard(a: GuardArgs) -> Result<(), Failure> {
    let signals = stop_signals(&[Signal::SIGHUP])?;
    // --audit: notifications only, each with an fd (its path, its inode).
    let class = if a.audit {
        libc::FAN_CLASS_NOTIF
    } else {
        libc::FAN_CLASS_CONTENT
    };
    let fan = init_group(class, false)?;
    let mut config = Config::new(&a)?;
    if config.uids.contains(&0) {
        say!(
            "fanfilter: warning: --exempt-user root exempts every process running as \
             root: setuid-root programs, root daemons, containers without a user namespace"
        );
    }
    attach(fan.as_fd(), config.spec(a.audit)?.as_ref())?;
    let id = sysfs::counters(fan.as_fd())
        .ok()
        .flatten()
        .and_then(|c| c.id);
    // The trace before the marks: no denial happens before it records.
    // An audit has none: its events are the report.
    let mut trace = if a.audit { None } else { DenialTrace::new(id) };
    mark_dirs(&fan, &a)?;
    // Each permission event read comes with an fd, and one whose fd cannot
    // be made is denied by fanotify: as many fds as allowed.
    raise_fd_limit();
    say!(
        "fanfilter: guarding {} ({} exempt, {} exempt users){}, denials from {}",
        paths_list(&a.dirs),
        config.exempt.len(),
        config.uids.len(),
        if a.audit {
            " in audit mode: nothing is denied"
        } else {
            ""
        },
        match (&trace, id) {
            _ if a.audit => "the events (filter policy)",
            (None, _) => "the counters (no tracefs)",
            (Some(_), Some(_)) => "the trace event fanotify_filter:filter_verdict",
            (Some(_), None) =>
                "the trace event fanotify_filter:filter_verdict (every guard on this system)",
        }
    );
    let (wake_r, wake_w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).map_err(|e| io_fail("pipe", e))?;
    let shared = Answering {
        stop: AtomicBool::new(false),
        answered: AtomicU64::new(0),
        overflows: AtomicU64::new(0),
    };
    let end = std::thread::scope(|scope| {
        // An audit's queue holds notifications, which its loop reads.
        if !a.audit {
            scope.spawn(|| answer(&fan, wake_r.as_fd(), &shared));
        }
        let end = run(&fan, &a, &mut config, &signals, &mut trace, &shared);
        shared.stop.store(true, Ordering::Release);
        let _ = nix::unistd::write(&wake_w, b"x");
        end
    });
    let counters = sysfs::counters(fan.as_fd());
    finish(
        fan,
        trace,
        counters,
        shared.overflows.load(Ordering::Relaxed),
        end,
    )
}

/// Whether this process is in a child pid namespace: then the trace's
/// pids (the initial namespace's) do not name processes in our /proc.
fn in_child_pid_namespace() -> bool {
    proc_status_field("self", "NSpid").is_some_and(|v| v.split_whitespace().count() > 1)
}

/// The guard's main loop: signals, the trace, the counters.
fn run(
    fan: &Fanotify,
    a: &GuardArgs,
    config: &mut Config,
    signals: &nix::sys::signalfd::SignalFd,
    trace: &mut Option<DenialTrace>,
    shared: &Answering,
) -> Result<(), Failure> {
    let foreign_pids = in_child_pid_namespace();
    // Lines not yet written: output that would block waits here, so that
    // signals are still read; beyond PENDING_MAX lines are counted, not kept.
    const PENDING_MAX: usize = 1 << 20;
    let mut pending: Vec<u8> = Vec::new();
    let mut dropped = 0u64;
    let mut printed = 0u64;
    let mut last_denied = 0;
    let mut last_answered = 0;
    let mut write_error = None;
    let mut paths = PathIndex::default();
    let filter = if a.audit { "policy" } else { "guard" };
    // SAFETY: `fan` comes from fanotify_init(2).  4 KiB per read: each
    // event brings an fd, and one the kernel cannot make for lack of fds
    // is an event lost.
    let mut audit = a
        .audit
        .then(|| unsafe { EventReader::new_unchecked(fan.as_fd(), 4096) });
    loop {
        // Every 2 s at least: the counters tell a revocation even when no
        // event comes.
        let ready = match trace.as_ref() {
            // Lines already in the reader's buffer: no wait.
            Some(t) if !t.pipe.buffer().is_empty() => wait_any(&[signals.as_fd()], 0)?,
            Some(t) => wait_any(&[signals.as_fd(), t.pipe.get_ref().as_fd()], 2000)?,
            None if audit.is_some() => wait_any(&[signals.as_fd(), fan.as_fd()], 2000)?,
            None => wait_any(&[signals.as_fd()], 2000)?,
        };
        let counters = sysfs::counters(fan.as_fd());
        match &counters {
            Ok(Some(c)) if c.revoked => {
                return Err(fail(
                    EXIT_RUNTIME,
                    format!(
                        "the administrator disabled filter {filter} \
                         (/sys/fs/fanotify/filters/{filter}/enabled is 0): nothing is \
                         {} any more",
                        if a.audit { "audited" } else { "guarded" }
                    ),
                ))
            }
            Ok(None) => {
                return Err(fail(
                    EXIT_RUNTIME,
                    format!("filter {filter} is no longer attached"),
                ))
            }
            _ => {}
        }
        let answered = shared.answered.load(Ordering::Relaxed);
        if answered != last_answered {
            say!(
                "fanfilter: allowed {} permission event(s) that reached user space",
                answered - last_answered
            );
            last_answered = answered;
        }
        let stop = match ready[0].then(|| signals.read_signal()) {
            Some(Ok(Some(info))) if info.ssi_signo == Signal::SIGHUP as u32 => {
                match reload(fan, a, config) {
                    Ok(log) => {
                        for l in log {
                            say!("fanfilter: SIGHUP: {l}");
                        }
                        say!(
                            "fanfilter: SIGHUP: directories reloaded; {} exempt process(es) \
                             still alive, {} exempt user(s) (new pids need a restart)",
                            config.exempt.len(),
                            config.uids.len()
                        );
                    }
                    Err(e) => say!(
                        "fanfilter: SIGHUP: reload failed, the old configuration stays: {}",
                        e.message
                    ),
                }
                false
            }
            Some(_) => true,
            None => false,
        };
        let mut out: Vec<u8> = Vec::new();
        if let Some(t) = trace.as_mut() {
            // At most 64 KiB of trace per round, so that a storm of
            // denials does not keep signals waiting.  Bytes, not text: a
            // comm need not be UTF-8.
            let mut read = 0;
            while read < 64 * 1024 {
                match t.pipe.read_until(b'\n', &mut t.partial) {
                    Ok(n) if n > 0 && t.partial.ends_with(b"\n") => read += n,
                    // End of what is there; a partial line waits for its
                    // end in `partial`.
                    _ => break,
                }
                let line = std::mem::take(&mut t.partial);
                let line = String::from_utf8_lossy(&line);
                if let Some(lost) = line
                    .strip_prefix("CPU:")
                    .and_then(|l| l.split_once("[LOST "))
                {
                    say!(
                        "fanfilter: the trace lost {} denial record(s); the counters have them",
                        lost.1.split(' ').next().unwrap_or("?")
                    );
                    continue;
                }
                if let Some(d) = parse_denial(&line) {
                    // The trace knows a task's comm only once it has seen
                    // it scheduled ("<...>" before): ask /proc, which
                    // knows it while the task lives (and only if our /proc
                    // numbers tasks as the trace does).
                    let comm = match (d.comm.as_str(), foreign_pids) {
                        ("<...>", false) => {
                            comm_of(d.tid).map(|c| String::from_utf8_lossy(&c).into_owned())
                        }
                        ("<...>", true) => None,
                        (c, _) => Some(c.to_string()),
                    };
                    let pid = d
                        .tgid
                        .or_else(|| (!foreign_pids).then(|| tgid_of(d.tid)).flatten());
                    let path =
                        dev_of_text(&d.dev).and_then(|dev| paths.lookup(&config.roots, dev, d.ino));
                    let l = DenialLine {
                        denial: &d,
                        pid,
                        comm: comm.as_deref(),
                        path: path.as_deref(),
                        enforced: true,
                    };
                    l.write_to(&mut out, a.json);
                    printed += 1;
                }
            }
        } else if let Some(reader) = audit.as_mut().filter(|_| ready[1]) {
            let events = match reader.read() {
                Ok(Some(events)) => events,
                Ok(None) => Vec::new(),
                // The kernel could not open the event's object for us (no
                // fd left, an object that refuses: EMFILE, EACCES, ENXIO,
                // EIO...): that event is gone, the next ones are not.
                Err(fanfilter::events::ReadError::Io(e))
                    if !matches!(
                        e.raw_os_error(),
                        Some(libc::EBADF | libc::EINVAL | libc::EFAULT)
                    ) =>
                {
                    say!("fanfilter: an open was not reported: {e}");
                    Vec::new()
                }
                Err(e) => return Err(io_fail("reading events", e)),
            };
            for ev in &events {
                if ev.raw().mask & libc::FAN_Q_OVERFLOW != 0 {
                    shared.overflows.fetch_add(1, Ordering::Relaxed);
                    say!("fanfilter: the queue overflowed: opens were not reported");
                    continue;
                }
                let (d, path) = audited(ev, &mut paths, &config.roots);
                let l = DenialLine {
                    denial: &d,
                    pid: Some(d.tid),
                    comm: (d.comm != "<...>").then_some(d.comm.as_str()),
                    path: path.as_deref(),
                    enforced: false,
                };
                l.write_to(&mut out, a.json);
                printed += 1;
            }
        } else if let Ok(Some(c)) = &counters {
            if c.denied != last_denied {
                let _ = writeln!(
                    out,
                    "{} DENIED {} more (total {})",
                    now().0,
                    c.denied - last_denied,
                    c.denied
                );
                last_denied = c.denied;
            }
        }
        let lines = |b: &[u8]| b.iter().filter(|&&c| c == b'\n').count() as u64;
        if pending.len() + out.len() > PENDING_MAX {
            dropped += lines(&out);
        } else {
            pending.extend_from_slice(&out);
        }
        if !pending.is_empty() && write_error.is_none() {
            // Never longer than a round (2 s), and once only when stopping:
            // revocations and signals are looked at between rounds.
            let until = Instant::now() + Duration::from_millis(if stop { 0 } else { 2000 });
            match write_or_stop(io::stdout().as_fd(), &pending, signals.as_fd(), Some(until)) {
                Ok(n) => {
                    pending.drain(..n);
                }
                // Unlike a watch, a guard keeps guarding when its log
                // cannot be written: it says so once (no write is tried
                // after), and exits with the error when stopped.
                Err(e) => {
                    say!("fanfilter: writing denials: {e}; still guarding");
                    write_error = Some(e);
                }
            }
        }
        if stop {
            // What the output has not taken by now is not going to be.
            dropped += lines(&pending);
            if dropped > 0 {
                say!("fanfilter: {dropped} denial line(s) dropped: the output did not take them");
            }
            if let (Ok(Some(c)), true) = (&counters, trace.is_some() && !a.audit) {
                if c.denied > printed {
                    say!(
                        "fanfilter: {} denial(s) not printed (lost by the trace, or not yet \
                         read when stopped); the counters have them",
                        c.denied - printed
                    );
                }
            }
            return match write_error {
                Some(e) => Err(io_fail("writing denials", e)),
                None => Ok(()),
            };
        }
    }
}

/// What an audited open is: its process (the event's pid, a tgid of our
/// pid namespace) and its object, by the fd the event carries.  The fd's
/// path is the one the opener's mount namespace gives (another namespace
/// may bind the directory anywhere): kept only if it names that inode
/// here, else looked up in the guarded directories.
fn audited(
    ev: &OwnedEvent<'_>,
    paths: &mut PathIndex,
    roots: &[Root],
) -> (Denial, Option<PathBuf>) {
    let pid = ev.raw().pid;
    let st = ev
        .fd()
        .and_then(|fd| nix::sys::stat::fstat(fd.as_raw_fd()).ok());
    let path = st.and_then(|st| {
        ev.fd()
            .and_then(|fd| std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok())
            .filter(|p| names(p, st.st_dev, st.st_ino))
            .or_else(|| paths.lookup(roots, st.st_dev, st.st_ino))
    });
    let comm = comm_of(pid).map_or_else(
        || "<...>".into(),
        |c| String::from_utf8_lossy(&c).into_owned(),
    );
    let d = Denial {
        comm,
        tid: pid,
        tgid: Some(pid),
        dev: st.map_or_else(|| "?".into(), |st| dev_text(st.st_dev)),
        ino: st.map_or(0, |st| st.st_ino),
        mask: ev.raw().mask,
    };
    (d, path)
}

/// Close the group (never detach first: with the marks still there every
/// open on those filesystems would wait for this process), then report.
fn finish(
    fan: Fanotify,
    trace: Option<DenialTrace>,
    counters: io::Result<Option<sysfs::Counters>>,
    overflows: u64,
    end: Result<(), Failure>,
) -> Result<(), Failure> {
    drop(fan);
    drop(trace);
    match counters {
        Ok(Some(c)) => say!("fanfilter: {}", counters_text(&c)),
        Ok(None) => say!("fanfilter: the filter is no longer attached"),
        Err(e) => say!("fanfilter: cannot read the counters: {e}"),
    }
    say!("fanfilter: queue overflows: {overflows}");
    end
}

#[cfg(test)]
mod tests {
    use super::{parse_denial, Denial, DenialLine};
    use std::path::Path;

    fn denial(comm: &str, tid: i32, tgid: Option<i32>) -> Denial {
        Denial {
            comm: comm.into(),
            tid,
            tgid,
            dev: "0:22".into(),
            ino: 4711,
            mask: 0x10000,
        }
    }

    #[test]
    fn trace_device_numbers_read_back() {
        for dev in [
            libc::makedev(0, 22),
            libc::makedev(8, 1),
            libc::makedev(259, 65536),
        ] {
            assert_eq!(super::dev_of_text(&super::dev_text(dev)), Some(dev));
        }
        assert_eq!(super::dev_of_text("0:22"), Some(libc::makedev(0, 22)));
        assert_eq!(super::dev_of_text("?"), None);
        assert_eq!(super::dev_of_text("8:x"), None);
    }

    #[test]
    fn denial_trace_lines() {
        let l = "       cat-1234    [001] .....   12.345678: filter_verdict: id=3 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1\n";
        assert_eq!(parse_denial(l), Some(denial("cat", 1234, None)));
        // The tracepoint's own tgid field.
        let l = "       worker-1240    [001] .....   12.345678: filter_verdict: id=3 filter=guard tgid=1234 dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1\n";
        assert_eq!(parse_denial(l), Some(denial("worker", 1240, Some(1234))));
        let l = " my-prog-x-77 [000] ...1. 1.0: filter_verdict: id=12 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1";
        assert_eq!(parse_denial(l), Some(denial("my-prog-x", 77, None)));
        // With the option record-tgid: the denied thread and its process.
        let l = "          worker-1240    (   1234) [001] .....   12.345678: filter_verdict: id=3 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1\n";
        assert_eq!(parse_denial(l), Some(denial("worker", 1240, Some(1234))));
        let l = "             cat-99      (-------) [000] ..... 1.0: filter_verdict: id=3 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1";
        assert_eq!(parse_denial(l), Some(denial("cat", 99, None)));
        // A comm with " [" in it.
        let l = "  a [b]-5 [003] ..... 1.0: filter_verdict: id=1 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1";
        assert_eq!(parse_denial(l), Some(denial("a [b]", 5, None)));
        assert_eq!(parse_denial("# tracer: nop"), None);
    }

    #[test]
    fn denial_lines_name_process_and_thread() {
        let d = denial("cat", 7, None);
        let l = DenialLine {
            denial: &d,
            pid: Some(7),
            comm: Some("cat"),
            path: Some(Path::new("/srv/a b")),
            enforced: true,
        };
        assert_eq!(
            l.text("T"),
            "T DENIED OPEN_PERM pid=7 dev=0:22 ino=4711 path=/srv/a\\x20b comm=cat"
        );
        assert_eq!(
            l.json(1.0),
            "{\"type\":\"denial\",\"enforced\":true,\"time\":1.000000,\"events\":[\"OPEN_PERM\"],\"pid\":7,\"tid\":7,\"comm\":\"cat\",\"dev\":\"0:22\",\"ino\":4711,\"path\":\"/srv/a b\"}"
        );
        let d = denial("worker", 8, None);
        let l = DenialLine {
            denial: &d,
            pid: Some(7),
            comm: None,
            path: None,
            enforced: true,
        };
        assert_eq!(
            l.text("T"),
            "T DENIED OPEN_PERM pid=7 tid=8 dev=0:22 ino=4711 path=?"
        );
        let l = DenialLine { pid: None, ..l };
        assert_eq!(
            l.text("T"),
            "T DENIED OPEN_PERM tid=8 dev=0:22 ino=4711 path=?"
        );
        assert!(l.json(1.0).contains("\"pid\":null,\"tid\":8,\"comm\":null"));
        assert!(l.json(1.0).ends_with(",\"path\":null}"));
        // --audit: reported, not denied.
        let l = DenialLine {
            enforced: false,
            ..l
        };
        assert!(l.text("T").starts_with("T AUDIT OPEN_PERM "));
        assert!(l
            .json(1.0)
            .starts_with("{\"type\":\"denial\",\"enforced\":false,"));
    }
}
