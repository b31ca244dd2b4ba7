//! `fanfilter guard`: the kernel's guard filter answers every permission
//! event; this process only reports denials and keeps the group healthy.
//!
//! Rules that keep a guard from hanging the system: the fanotify fd is
//! polled at all times and every permission event that reaches the queue
//! is answered at once; the guard never detaches its filter while its
//! filesystem marks remain (it closes the group, which allows everything
//! pending, as fanotify does for a daemon that exits).

use crate::cli::GuardArgs;
use crate::output::{counters_text, json_str, now};
use crate::run::{
    comm_of, fail, init_group, io_fail, note_write, stop_signals, wait_any, Failure, EXIT_RUNTIME,
    EXIT_USAGE,
};
use fanfilter::args::Guard;
use fanfilter::attach::{attach, reconfigure};
use fanfilter::events::{mask_names, EventReader};
use fanfilter::fanotify::{Fanotify, FanotifyResponse, Response};
use fanfilter::sysfs;
use nix::sys::signal::Signal;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// `eprintln!` that cannot panic (see run.rs).
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr(), $($arg)*);
    }};
}

const TRACEFS: &str = "/sys/kernel/tracing";
const INSTANCE_PREFIX: &str = "fanfilter-";

/// Where the kernel's trace events are.  If tracefs is not mounted, it is
/// mounted in a mount namespace of this process alone (the rest of the
/// system keeps its view, and the mount goes away with the process, even
/// on SIGKILL).
fn tracefs() -> Option<PathBuf> {
    for p in [TRACEFS, "/sys/kernel/debug/tracing"] {
        if Path::new(p).join("instances").is_dir() {
            return Some(p.into());
        }
    }
    let root = std::ffi::CString::new("/").ok()?;
    let dir = std::ffi::CString::new(TRACEFS).ok()?;
    let fstype = std::ffi::CString::new("tracefs").ok()?;
    // SAFETY: plain syscalls; every string is NUL-terminated and outlives
    // the call.  The process has one thread (unshare(CLONE_NEWNS) needs it).
    let mounted = unsafe {
        libc::unshare(libc::CLONE_NEWNS) == 0
            // Receive later mounts and unmounts, send none.
            && libc::mount(
                std::ptr::null(),
                root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_SLAVE,
                std::ptr::null(),
            ) == 0
            && libc::mount(
                fstype.as_ptr(),
                dir.as_ptr(),
                fstype.as_ptr(),
                0,
                std::ptr::null(),
            ) == 0
    };
    mounted.then(|| PathBuf::from(TRACEFS))
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
        .filter(|e| e.file_name().to_string_lossy().starts_with(INSTANCE_PREFIX))
        .filter(|e| std::fs::remove_dir(e.path()).is_ok())
        .count()
}

/// A private trace instance with guard denials enabled; removed on drop.
struct DenialTrace {
    dir: PathBuf,
    pipe: BufReader<std::fs::File>,
    /// A line read in part, until its end comes.
    partial: Vec<u8>,
}

impl DenialTrace {
    /// Denials of the attachment `id` (every guard's if `None`).
    fn new(id: Option<u64>) -> Option<Self> {
        let instances = tracefs()?.join("instances");
        let stale = remove_stale_instances(&instances);
        if stale > 0 {
            say!("fanfilter: removed {stale} trace instance(s) of guards that are gone");
        }
        // Unique on this system even for guards in other pid namespaces.
        let pid = std::process::id();
        let dir = (0..100)
            .map(|n| instances.join(format!("{INSTANCE_PREFIX}{pid}-{n}")))
            .find(|d| std::fs::create_dir(d).is_ok())?;
        let ev = dir.join("events/fanotify_filter/filter_verdict");
        let filter = match id {
            Some(id) => format!("id == {id} && verdict < 0"),
            None => "filter == \"guard\" && verdict < 0".to_string(),
        };
        // The denied thread's process, recorded with the event: by the time
        // the line is read a short-lived process is gone from /proc.
        // (Per instance; an older kernel without it gets /proc's answer.)
        let _ = std::fs::write(dir.join("options/record-tgid"), "1");
        let set_up = std::fs::write(ev.join("filter"), filter)
            .and_then(|()| std::fs::write(ev.join("enable"), "1"))
            .and_then(|()| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(dir.join("trace_pipe"))
            });
        match set_up {
            Ok(f) => Some(DenialTrace {
                dir,
                pipe: BufReader::new(f),
                partial: Vec::new(),
            }),
            Err(_) => {
                let _ = std::fs::remove_dir(&dir);
                None
            }
        }
    }
}

impl Drop for DenialTrace {
    fn drop(&mut self) {
        // Removing the instance disables its events; it fails while the
        // pipe is open, so close it first.
        let dir = std::mem::take(&mut self.dir);
        let null = std::fs::File::open("/dev/null");
        if let Ok(null) = null {
            drop(std::mem::replace(&mut self.pipe, BufReader::new(null)));
        }
        let _ = std::fs::remove_dir(dir);
    }
}

/// One denial from the trace.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Denial {
    /// The task's comm as the trace recorded it ("<...>" if it did not).
    comm: String,
    /// The thread that was denied.
    tid: i32,
    /// Its process, if the trace recorded it (option record-tgid).
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
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))?
        .trim()
        .parse()
        .ok()
}

/// What is printed for a denial.
pub(crate) struct DenialLine<'a> {
    pub(crate) denial: &'a Denial,
    /// The process, if known (the trace's record-tgid, else /proc).
    pub(crate) pid: Option<i32>,
    pub(crate) comm: Option<&'a str>,
}

impl DenialLine<'_> {
    /// `TIME DENIED EVENTS pid=P [tid=T] [comm=C] dev=M:N ino=I`
    /// (`tid` when it is not the process's main thread, or the process is
    /// unknown).
    pub(crate) fn text(&self, time: &str) -> String {
        let d = self.denial;
        let mut s = format!("{time} DENIED {}", mask_names(d.mask).join(","));
        if let Some(p) = self.pid {
            s.push_str(&format!(" pid={p}"));
        }
        if self.pid != Some(d.tid) {
            s.push_str(&format!(" tid={}", d.tid));
        }
        if let Some(c) = self.comm {
            s.push_str(&format!(" comm={c}"));
        }
        s.push_str(&format!(" dev={} ino={}", d.dev, d.ino));
        s
    }

    /// `{"type":"denial","time":T,"events":[...],"pid":P|null,"tid":T,
    /// "comm":C|null,"dev":"M:N","ino":I}`
    pub(crate) fn json(&self, time: f64) -> String {
        let d = self.denial;
        let names: Vec<String> = mask_names(d.mask).iter().map(|n| json_str(n)).collect();
        format!(
            "{{\"type\":\"denial\",\"time\":{time:.6},\"events\":[{}],\"pid\":{},\"tid\":{},\"comm\":{},\"dev\":{},\"ino\":{}}}",
            names.join(","),
            self.pid.map_or("null".to_string(), |p| p.to_string()),
            d.tid,
            self.comm.map_or("null".to_string(), json_str),
            json_str(&d.dev),
            d.ino
        )
    }
}

/// The filter's arguments from the command line, with the directories
/// opened now (on SIGHUP again: a directory replaced since is guarded
/// anew).
fn spec(a: &GuardArgs) -> Result<Guard, Failure> {
    let exempt = a.exempt_pids().map_err(|e| fail(EXIT_USAGE, e))?;
    let uids = a.exempt_uids().map_err(|e| fail(EXIT_USAGE, e))?;
    Ok(Guard::open(&a.dirs, exempt)?.with_exempt_uids(uids)?)
}

fn mark_dirs(fan: &Fanotify, dirs: &[PathBuf]) -> Result<(), Failure> {
    for d in dirs {
        crate::run::add_mark(
            fan,
            libc::FAN_MARK_FILESYSTEM,
            libc::FAN_OPEN_PERM | libc::FAN_OPEN_EXEC_PERM,
            d,
        )?;
    }
    Ok(())
}

pub fn guard(a: GuardArgs) -> Result<(), Failure> {
    let signals = stop_signals(&[Signal::SIGHUP])?;
    let fan = init_group(libc::FAN_CLASS_CONTENT, false)?;
    // SAFETY: `fan` comes from fanotify_init(2).
    let mut reader = unsafe { EventReader::new_unchecked(fan.as_fd(), 64 * 1024) };
    // The filter keeps the directories' identities, not the fds: dropped
    // at once, so that the guard pins no mount.
    attach(fan.as_fd(), &spec(&a)?)?;
    mark_dirs(&fan, &a.dirs)?;
    let id = sysfs::counters(fan.as_fd())
        .ok()
        .flatten()
        .and_then(|c| c.id);
    let mut trace = DenialTrace::new(id);
    say!(
        "fanfilter: guarding {} ({} exempt, {} exempt users), denials from {}",
        a.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(" "),
        a.exempt_pids().map_or(0, |p| p.len()),
        a.exempt_user.len(),
        if trace.is_some() {
            if id.is_some() {
                "the trace event fanotify_filter:filter_verdict"
            } else {
                "the trace event fanotify_filter:filter_verdict (every guard on this system)"
            }
        } else {
            "the counters (no tracefs)"
        }
    );
    let mut last_denied = 0;
    let mut overflows = 0u64;
    let mut write_error = None;
    let mut write_error_told = false;
    loop {
        // Without a trace pipe, look at the counters every second.
        let ready = match &trace {
            Some(t) => wait_any(
                &[fan.as_fd(), signals.as_fd(), t.pipe.get_ref().as_fd()],
                -1,
            )?,
            None => wait_any(&[fan.as_fd(), signals.as_fd()], 1000)?,
        };
        // First answer: a process may be waiting.  With the filter
        // attached nothing comes here; once the administrator revokes it
        // (or it is detached) every permission event does.
        if ready[0] {
            let mut answered = 0u64;
            // Bounded, as everything in a round.
            for _ in 0..16 {
                let Some(events) = reader.read().map_err(|e| io_fail("reading events", e))? else {
                    break;
                };
                for ev in &events {
                    if ev.raw().mask & libc::FAN_Q_OVERFLOW != 0 {
                        overflows += 1;
                    }
                    if let Some(fd) = ev.fd() {
                        let _ = fan.write_response(FanotifyResponse::new(fd, Response::FAN_ALLOW));
                        answered += 1;
                    }
                }
            }
            let counters = sysfs::counters(fan.as_fd());
            if let Ok(Some(c)) = &counters {
                if c.revoked {
                    return finish(
                        fan,
                        trace,
                        counters,
                        overflows,
                        Err(fail(
                            EXIT_RUNTIME,
                            "the administrator disabled filter guard \
                             (/sys/fs/fanotify/filters/guard/enabled is 0): \
                             nothing is guarded any more",
                        )),
                    );
                }
            }
            if answered > 0 {
                say!("fanfilter: allowed {answered} permission event(s) that reached user space");
            }
        }
        let stop = match ready[1].then(|| signals.read_signal()) {
            Some(Ok(Some(info))) if info.ssi_signo == Signal::SIGHUP as u32 => {
                // Reload: the directories again, atomically swapped in.
                match spec(&a).and_then(|s| {
                    reconfigure(fan.as_fd(), &s)?;
                    mark_dirs(&fan, &a.dirs)
                }) {
                    Ok(()) => say!("fanfilter: SIGHUP: directories and exemptions reloaded"),
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
        let mut out = io::BufWriter::new(io::stdout().lock());
        if let Some(t) = trace.as_mut() {
            // At most 64 KiB of trace per round, so that a storm of
            // denials does not keep signals and the queue waiting.  Bytes,
            // not text: a comm need not be UTF-8.
            let mut read = 0;
            while read < 64 * 1024 {
                match t.pipe.read_until(b'\n', &mut t.partial) {
                    Ok(n) if n > 0 && t.partial.ends_with(b"\n") => read += n,
                    // End of what is there; a partial line waits for its
                    // end in `partial`.
                    _ => break,
                }
                let line = std::mem::take(&mut t.partial);
                if let Some(d) = parse_denial(&String::from_utf8_lossy(&line)) {
                    // The trace knows a task's comm only once it has seen
                    // it scheduled ("<...>" before): ask /proc, which
                    // knows it while the task lives.
                    let comm = if d.comm == "<...>" {
                        comm_of(d.tid)
                    } else {
                        Some(d.comm.clone())
                    };
                    let l = DenialLine {
                        denial: &d,
                        pid: d.tgid.or_else(|| tgid_of(d.tid)),
                        comm: comm.as_deref(),
                    };
                    let written = if a.json {
                        writeln!(out, "{}", l.json(now().1))
                    } else {
                        writeln!(out, "{}", l.text(&now().0))
                    };
                    note_write(written, &mut write_error);
                }
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
        drop(out);
        // Unlike a watch, a guard keeps guarding when its log cannot be
        // written: it says so once now, and exits with the error.
        if let (Some(e), false) = (&write_error, write_error_told) {
            say!("fanfilter: writing denials: {e}; still guarding");
            write_error_told = true;
        }
        if stop {
            let counters = sysfs::counters(fan.as_fd());
            let end = match write_error {
                Some(e) => Err(io_fail("writing denials", e)),
                None => Ok(()),
            };
            return finish(fan, trace, counters, overflows, end);
        }
    }
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
        Ok(None) => say!("fanfilter: filter guard is no longer attached"),
        Err(e) => say!("fanfilter: cannot read the counters: {e}"),
    }
    say!("fanfilter: queue overflows: {overflows}");
    end
}

#[cfg(test)]
mod tests {
    use super::{parse_denial, Denial, DenialLine};

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
    fn denial_trace_lines() {
        let l = "       cat-1234    [001] .....   12.345678: filter_verdict: id=3 filter=guard dev=0:22 ino=4711 mask=0x10000 verdict=deny ret=-1\n";
        assert_eq!(parse_denial(l), Some(denial("cat", 1234, None)));
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
        };
        assert_eq!(
            l.text("T"),
            "T DENIED OPEN_PERM pid=7 comm=cat dev=0:22 ino=4711"
        );
        assert_eq!(
            l.json(1.0),
            "{\"type\":\"denial\",\"time\":1.000000,\"events\":[\"OPEN_PERM\"],\"pid\":7,\"tid\":7,\"comm\":\"cat\",\"dev\":\"0:22\",\"ino\":4711}"
        );
        let d = denial("worker", 8, None);
        let l = DenialLine {
            denial: &d,
            pid: Some(7),
            comm: None,
        };
        assert_eq!(
            l.text("T"),
            "T DENIED OPEN_PERM pid=7 tid=8 dev=0:22 ino=4711"
        );
        let l = DenialLine { pid: None, ..l };
        assert_eq!(l.text("T"), "T DENIED OPEN_PERM tid=8 dev=0:22 ino=4711");
        assert!(l.json(1.0).contains("\"pid\":null,\"tid\":8,\"comm\":null"));
    }
}
