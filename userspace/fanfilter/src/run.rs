//! The commands.

use crate::cli::{Cli, Command, GuardArgs, WatchArgs};
use crate::output::{counters_text, json_str, now, EventLine};
use fanfilter::args::{
    self, Actor, ArgsError, BpfFilter, FilterSpec, Guard, Kind, Name, NamePattern, Policy, Subtree,
};
use fanfilter::attach::{attach, detach, FilterError};
use fanfilter::bpf::BpfFilters;
use fanfilter::events::{Event, EventReader, Resolver};
use fanfilter::fanotify::{
    EventFFlags, Fanotify, FanotifyResponse, InitFlags, MarkFlags, MaskFlags, Response,
};
use fanfilter::sysfs;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};

/// A failure: the message and the documented exit status.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

const EXIT_RUNTIME: i32 = 1;
const EXIT_NO_FILTERS: i32 = 3;
const EXIT_PERMISSION: i32 = 4;
const EXIT_BAD_ARGS: i32 = 5;

fn fail(code: i32, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

impl From<FilterError> for Failure {
    fn from(e: FilterError) -> Self {
        let code = match e.errno {
            libc::ENOENT | libc::ENOTTY => EXIT_NO_FILTERS,
            libc::EPERM | libc::EACCES => EXIT_PERMISSION,
            libc::EINVAL | libc::E2BIG | libc::ESRCH | libc::EBADF => EXIT_BAD_ARGS,
            _ => EXIT_RUNTIME,
        };
        fail(code, e.to_string())
    }
}

impl From<ArgsError> for Failure {
    fn from(e: ArgsError) -> Self {
        fail(EXIT_BAD_ARGS, e.to_string())
    }
}

/// `eprintln!` that cannot panic: a guard whose stderr went away (a pipe
/// to a logger that died) must keep guarding, not die of its messages.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr(), $($arg)*);
    }};
}

fn io_fail(what: &str, e: impl std::fmt::Display) -> Failure {
    fail(EXIT_RUNTIME, format!("{what}: {e}"))
}

/// Keep the first error of writing output: the command stops at the end of
/// the batch, cleans up, and exits with it (a closed pipe, a full disk).
fn note_write(result: io::Result<()>, error: &mut Option<io::Error>) {
    if let Err(e) = result {
        error.get_or_insert(e);
    }
}

pub fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::List => list(),
        Command::Watch(a) => watch(a),
        Command::Guard(a) => guard(a),
        Command::Stats { pid, fd } => stats(pid, fd),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "fanfilter", &mut io::stdout());
            Ok(())
        }
    }
}

fn list() -> Result<(), Failure> {
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
    let mut out = io::stdout().lock();
    for f in filters {
        let who = match (f.enabled, f.unprivileged) {
            (false, _) => "disabled by the administrator",
            (true, true) => "anyone",
            (true, false) => "root",
        };
        writeln!(
            out,
            "{} ({who})\n    {}\n    args: {}",
            f.name, f.description, f.args
        )
        .map_err(|e| io_fail("writing", e))?;
    }
    out.flush().map_err(|e| io_fail("writing", e))
}

/// SIGINT and SIGTERM, blocked and readable from an fd.
fn stop_signals() -> Result<SignalFd, Failure> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    set.thread_block()
        .map_err(|e| io_fail("blocking signals", e))?;
    SignalFd::with_flags(&set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| io_fail("signalfd", e))
}

/// Wait until `a` or `b` is readable: (a readable, b readable).
fn wait2(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> Result<(bool, bool), Failure> {
    let mut fds = [
        libc::pollfd {
            fd: a.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: b.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: `fds` is a valid array of two pollfds for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if r >= 0 {
            return Ok((fds[0].revents != 0, fds[1].revents != 0));
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(io_fail("poll", e));
        }
    }
}

fn comm_of(pid: i32) -> Option<String> {
    let c = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(c.trim_end_matches('\n').to_string())
}

fn init_group(class: u32, fid: bool) -> Result<Fanotify, Failure> {
    let mut flags = class | libc::FAN_CLOEXEC | libc::FAN_NONBLOCK;
    if fid {
        flags |= libc::FAN_REPORT_FID | libc::FAN_REPORT_DFID_NAME;
    }
    Fanotify::init(
        InitFlags::from_bits_retain(flags),
        EventFFlags::from_bits_retain(
            (libc::O_RDONLY | libc::O_LARGEFILE | libc::O_CLOEXEC) as u32,
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

fn add_mark(fan: &Fanotify, flags: u32, mask: u64, path: &Path) -> Result<(), Failure> {
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
        e => io_fail(&format!("fanotify_mark {}", path.display()), e),
    })
}

fn patterns(list: &[String]) -> Result<Vec<NamePattern>, ArgsError> {
    list.iter().map(|s| NamePattern::parse(s)).collect()
}

/// The `--subtree` directories, opened, if any were given.
fn subtree_arg(a: &WatchArgs) -> Result<Option<Subtree>, ArgsError> {
    (!a.subtree.is_empty())
        .then(|| Subtree::open(&a.subtree))
        .transpose()
}

/// The filter for the criteria of a watch: none, one, or "policy".
fn watch_filter(a: &WatchArgs) -> Result<Option<Box<dyn FilterSpec>>, Failure> {
    let subtree = subtree_arg(a)?;
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
    let parts = subtree.is_some() as u32
        + kind.is_some() as u32
        + name.is_some() as u32
        + actor.is_some() as u32;
    Ok(match (parts, subtree, kind, name, actor) {
        (0, ..) => None,
        (1, Some(s), ..) => Some(Box::new(s)),
        (1, _, Some(k), ..) => Some(Box::new(k)),
        (1, _, _, Some(n), _) => Some(Box::new(n)),
        (1, _, _, _, Some(a)) => Some(Box::new(a)),
        (_, s, k, n, a) => Some(Box::new(Policy::new(s, k, n, a)?)),
    })
}

/// Detach (if attached) and report the counters and overflows.
/// Print the counters, detach, and end with the first write error of
/// `what` (the command's output), if there was one.
fn finish(
    fan: &Fanotify,
    attached: Option<&str>,
    overflows: u64,
    write_error: Option<io::Error>,
    what: &str,
) -> Result<(), Failure> {
    if let Some(name) = attached {
        match sysfs::counters(fan.as_fd()) {
            Ok(Some(c)) => say!("fanfilter: {}", counters_text(&c)),
            Ok(None) => say!("fanfilter: filter {name} is no longer attached"),
            Err(e) => say!("fanfilter: cannot read the counters: {e}"),
        }
        detach(fan.as_fd())?;
    }
    say!("fanfilter: queue overflows: {overflows}");
    match write_error {
        Some(e) => Err(io_fail(what, e)),
        None => Ok(()),
    }
}

fn watch(a: WatchArgs) -> Result<(), Failure> {
    // Registered for as long as the watch runs.
    let bpf = a
        .bpf
        .as_deref()
        .map(BpfFilters::load)
        .transpose()
        .map_err(|e| fail(EXIT_BAD_ARGS, e))?;
    let filter: Option<Box<dyn FilterSpec>> = match &bpf {
        Some(b) if b.names().len() != 1 => {
            return Err(fail(
                EXIT_BAD_ARGS,
                format!("the object registers {} filters; give one", b.names().len()),
            ))
        }
        Some(b) => {
            let roots = subtree_arg(&a)?;
            Some(Box::new(BpfFilter::new(&b.names()[0], roots)?))
        }
        None => watch_filter(&a)?,
    };
    // SAFETY: geteuid() cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let inode_mark = a.inode || !root;
    let mut mask = a.events.iter().fold(0, |m, e| m | e.mask()) | libc::FAN_ONDIR;
    if inode_mark {
        mask |= libc::FAN_EVENT_ON_CHILD;
    }
    let signals = stop_signals()?;
    let fan = init_group(libc::FAN_CLASS_NOTIF, true)?;
    // SAFETY: `fan` comes from fanotify_init(2).
    let mut reader = unsafe { EventReader::new_unchecked(fan.as_fd(), 256 * 1024) };
    // Attach before marking: no unfiltered event reaches the queue.
    if let Some(f) = &filter {
        attach(fan.as_fd(), f.as_ref())?;
    }
    let mark_flags = if inode_mark {
        0
    } else {
        libc::FAN_MARK_FILESYSTEM
    };
    add_mark(&fan, mark_flags, mask, &a.path)?;
    let mount_fd = args::open_dir(&a.path)?;
    let mut resolver = Resolver::new(mount_fd);
    for dir in std::iter::once(&a.path).chain(&a.subtree) {
        resolver
            .know(&std::fs::canonicalize(dir).map_err(|e| io_fail(&dir.display().to_string(), e))?)
            .map_err(|e| io_fail(&format!("name_to_handle_at {}", dir.display()), e))?;
    }
    say!(
        "fanfilter: watching {} ({} mark, filter {})",
        a.path.display(),
        if inode_mark { "inode" } else { "filesystem" },
        filter.as_ref().map_or("none", |f| f.name())
    );

    let mut overflows = 0u64;
    // Our own output may land in the watched tree (`watch / > log`): each
    // line would be an event and a line again.  The kernel reports the
    // pid in our pid namespace, as getpid() is.
    let me = std::process::id() as i32;
    let mut write_error = None;
    let mut stopping = false;
    let stdout = io::stdout();
    loop {
        let (_, stop) = if stopping {
            (true, true)
        } else {
            wait2(fan.as_fd(), signals.as_fd())?
        };
        stopping |= stop;
        let mut out = stdout.lock();
        'batch: while let Some(mut events) =
            reader.read().map_err(|e| io_fail("reading events", e))?
        {
            for ev in &mut events {
                // After a write error, nothing more: a line written after
                // a lost one would leave a gap nobody sees.
                if write_error.is_some() {
                    break 'batch;
                }
                // Not even resolved: ours are dropped (see `me`).
                if ev.raw().pid == me && ev.raw().mask & libc::FAN_Q_OVERFLOW == 0 {
                    continue;
                }
                match resolver.event(ev) {
                    Event::Overflow => {
                        overflows += 1;
                        let written = if a.json {
                            writeln!(out, "{{\"time\":{:.6},\"overflow\":true}}", now().1)
                        } else {
                            writeln!(
                                out,
                                "{} OVERFLOW events were lost: the queue was full",
                                now().0
                            )
                        };
                        note_write(written, &mut write_error);
                    }
                    Event::Object {
                        mask,
                        pid,
                        path,
                        new_path,
                        ..
                    } => {
                        let comm = comm_of(pid);
                        let line = EventLine {
                            mask,
                            path: path.as_deref(),
                            new_path: new_path.as_deref(),
                            pid,
                            comm: comm.as_deref(),
                        };
                        let (t, ts) = now();
                        let written = writeln!(
                            out,
                            "{}",
                            if a.json { line.json(ts) } else { line.text(&t) }
                        );
                        note_write(written, &mut write_error);
                    }
                }
            }
        }
        note_write(out.flush(), &mut write_error);
        drop(out);
        if stopping || write_error.is_some() {
            let name = filter.as_ref().map(|f| f.name());
            return finish(&fan, name, overflows, write_error, "writing events");
        }
    }
}

/// Where the kernel's trace events are, mounting tracefs if needed.
fn tracefs() -> Option<PathBuf> {
    for p in ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"] {
        if Path::new(p).join("instances").is_dir() {
            return Some(p.into());
        }
    }
    let c = std::ffi::CString::new("/sys/kernel/tracing").ok()?;
    let t = std::ffi::CString::new("tracefs").ok()?;
    // SAFETY: all strings are NUL-terminated and outlive the call.
    let r = unsafe { libc::mount(t.as_ptr(), c.as_ptr(), t.as_ptr(), 0, std::ptr::null()) };
    (r == 0).then(|| PathBuf::from("/sys/kernel/tracing"))
}

/// A private trace instance with guard denials enabled; removed on drop.
struct DenialTrace {
    dir: PathBuf,
}

impl DenialTrace {
    fn new() -> Option<(Self, std::fs::File)> {
        let dir = tracefs()?
            .join("instances")
            .join(format!("fanfilter-{}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let t = DenialTrace { dir };
        let ev = t.dir.join("events/fanotify_filter/filter_verdict");
        std::fs::write(ev.join("filter"), "filter == \"guard\" && verdict < 0").ok()?;
        std::fs::write(ev.join("enable"), "1").ok()?;
        let pipe = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(t.dir.join("trace_pipe"))
            .ok()?;
        Some((t, pipe))
    }
}

use std::os::unix::fs::OpenOptionsExt;

impl Drop for DenialTrace {
    fn drop(&mut self) {
        let _ = std::fs::write(
            self.dir
                .join("events/fanotify_filter/filter_verdict/enable"),
            "0",
        );
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// One trace line of a denial: (comm, pid, mask).
fn parse_denial(line: &str) -> Option<(String, i32, u64)> {
    let (head, rest) = line.split_once(": filter_verdict: ")?;
    let task = head.trim_start().split(" [").next()?.trim_end();
    let (comm, pid) = task.rsplit_once('-')?;
    let mask = rest.split(' ').find_map(|w| w.strip_prefix("mask=0x"))?;
    Some((
        comm.to_string(),
        pid.parse().ok()?,
        u64::from_str_radix(mask, 16).ok()?,
    ))
}

/// `TIME DENIED EVENTS pid=N[ comm=C]`
fn denial_text(l: &EventLine<'_>, time: &str) -> String {
    let mut s = format!(
        "{time} DENIED {} pid={}",
        fanfilter::events::mask_names(l.mask).join(","),
        l.pid
    );
    if let Some(c) = l.comm {
        s.push_str(&format!(" comm={c}"));
    }
    s
}

/// `{"time":T,"denied":[EVENTS],"pid":N[,"comm":C]}`
fn denial_json(l: &EventLine<'_>, time: f64) -> String {
    let names: Vec<String> = fanfilter::events::mask_names(l.mask)
        .iter()
        .map(|n| json_str(n))
        .collect();
    let mut s = format!(
        "{{\"time\":{time:.6},\"denied\":[{}],\"pid\":{}",
        names.join(","),
        l.pid
    );
    if let Some(c) = l.comm {
        s.push_str(&format!(",\"comm\":{}", json_str(c)));
    }
    s.push('}');
    s
}

fn guard(a: GuardArgs) -> Result<(), Failure> {
    let spec = Guard::open(&a.dirs, a.exempt.clone())?;
    let signals = stop_signals()?;
    let fan = init_group(libc::FAN_CLASS_CONTENT, false)?;
    // SAFETY: `fan` comes from fanotify_init(2).
    let mut reader = unsafe { EventReader::new_unchecked(fan.as_fd(), 64 * 1024) };
    attach(fan.as_fd(), &spec)?;
    for d in &a.dirs {
        add_mark(
            &fan,
            libc::FAN_MARK_FILESYSTEM,
            libc::FAN_OPEN_PERM | libc::FAN_OPEN_EXEC_PERM,
            d,
        )?;
    }
    let trace = DenialTrace::new();
    say!(
        "fanfilter: guarding {} ({} exempt), denials from {}",
        a.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        a.exempt.len(),
        if trace.is_some() {
            "the trace event fanotify_filter:filter_verdict (every guard on this system)"
        } else {
            "the counters (no tracefs)"
        }
    );
    let (_trace, pipe) = match trace {
        Some((t, p)) => (Some(t), Some(p)),
        None => (None, None),
    };
    let mut pipe = pipe.map(BufReader::new);
    let mut last_denied = 0;
    let mut write_error = None;
    let mut write_error_told = false;
    loop {
        // Without a trace pipe, look at the counters every second.
        let stop = if let Some(p) = &pipe {
            wait2(p.get_ref().as_fd(), signals.as_fd())?.1
        } else {
            let mut fds = [libc::pollfd {
                fd: signals.as_fd().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }];
            // SAFETY: `fds` is a valid array of one pollfd.
            unsafe { libc::poll(fds.as_mut_ptr(), 1, 1000) > 0 }
        };
        // The filter answers every permission event itself; should one
        // reach us all the same, allow it rather than leave a process hanging.
        while let Some(events) = reader.read().map_err(|e| io_fail("reading events", e))? {
            for ev in &events {
                if let Some(fd) = ev.fd() {
                    let _ = fan.write_response(FanotifyResponse::new(fd, Response::FAN_ALLOW));
                }
            }
        }
        let mut out = io::stdout().lock();
        if let Some(p) = pipe.as_mut() {
            let mut line = String::new();
            while let Ok(n) = p.read_line(&mut line) {
                if n == 0 || !line.ends_with('\n') {
                    break;
                }
                if let Some((comm, pid, mask)) = parse_denial(&line) {
                    // The trace knows a task's comm only once it has seen
                    // it scheduled ("<...>" before): ask /proc, which
                    // knows it while the task lives.
                    let comm = if comm == "<...>" {
                        comm_of(pid)
                    } else {
                        Some(comm)
                    };
                    let line = EventLine {
                        mask,
                        path: None,
                        new_path: None,
                        pid,
                        comm: comm.as_deref(),
                    };
                    let written = if a.json {
                        writeln!(out, "{}", denial_json(&line, now().1))
                    } else {
                        writeln!(out, "{}", denial_text(&line, &now().0))
                    };
                    note_write(written, &mut write_error);
                }
                line.clear();
            }
        } else if let Ok(Some(c)) = sysfs::counters(fan.as_fd()) {
            if c.denied != last_denied {
                let written = writeln!(
                    out,
                    "{} DENIED {} more (total {})",
                    now().0,
                    c.denied - last_denied,
                    c.denied
                );
                note_write(written, &mut write_error);
                last_denied = c.denied;
            }
        }
        note_write(out.flush(), &mut write_error);
        // Unlike a watch, a guard keeps guarding when its log cannot be
        // written: it says so once now, and exits with the error.
        if let (Some(e), false) = (&write_error, write_error_told) {
            say!("fanfilter: writing denials: {e}; still guarding");
            write_error_told = true;
        }
        if stop {
            return finish(&fan, Some("guard"), 0, write_error, "writing denials");
        }
    }
}

fn stats(pid: i32, fd: Option<i32>) -> Result<(), Failure> {
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
    for fd in fds {
        match sysfs::counters_of(pid, fd) {
            Ok(Some(c)) => println!("{pid} fd {fd}: {}", counters_text(&c)),
            Ok(None) => println!("{pid} fd {fd}: no filter attached"),
            Err(e) => return Err(io_fail(&format!("/proc/{pid}/fdinfo/{fd}"), e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_denial;

    #[test]
    fn denial_lines_with_and_without_comm() {
        let l = super::EventLine {
            mask: libc::FAN_OPEN_PERM,
            path: None,
            new_path: None,
            pid: 7,
            comm: Some("cat"),
        };
        assert_eq!(
            super::denial_text(&l, "T"),
            "T DENIED OPEN_PERM pid=7 comm=cat"
        );
        assert_eq!(
            super::denial_json(&l, 1.0),
            "{\"time\":1.000000,\"denied\":[\"OPEN_PERM\"],\"pid\":7,\"comm\":\"cat\"}"
        );
        let l = super::EventLine { comm: None, ..l };
        assert_eq!(super::denial_text(&l, "T"), "T DENIED OPEN_PERM pid=7");
        assert_eq!(
            super::denial_json(&l, 1.0),
            "{\"time\":1.000000,\"denied\":[\"OPEN_PERM\"],\"pid\":7}"
        );
    }

    #[test]
    fn denial_trace_lines() {
        let l = "       cat-1234    [001] .....   12.345678: filter_verdict: id=3 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1\n";
        assert_eq!(parse_denial(l), Some(("cat".into(), 1234, 0x10000)));
        let l = " my-prog-x-77 [000] ...1. 1.0: filter_verdict: id=12 filter=guard dev=8:1 ino=2 mask=0x40000 verdict=deny ret=-1";
        assert_eq!(parse_denial(l), Some(("my-prog-x".into(), 77, 0x40000)));
        assert_eq!(parse_denial("# tracer: nop"), None);
    }
}
