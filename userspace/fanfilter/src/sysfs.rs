//! The registered filters, from `/sys/fs/fanotify/filters`, and the
//! counters of an attachment, from fdinfo.

use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::Path;

/// Where the kernel lists registered filter types.
pub const FILTERS_DIR: &str = "/sys/fs/fanotify/filters";

/// One registered filter type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterInfo {
    pub name: String,
    pub description: String,
    pub args: String,
    /// Whether callers without CAP_SYS_ADMIN may attach it.
    pub unprivileged: bool,
    /// Whether the administrator lets anyone attach it (`enabled`; kernels
    /// without the switch: always).
    pub enabled: bool,
}

fn read_trimmed(p: &Path) -> io::Result<String> {
    Ok(fs::read_to_string(p)?.trim_end_matches('\n').to_string())
}

/// Every registered filter type, sorted by name.  `NotFound` if the kernel
/// has no filter registry.
pub fn list_filters() -> io::Result<Vec<FilterInfo>> {
    list_filters_in(Path::new(FILTERS_DIR))
}

/// As [`list_filters`], from another directory (for tests).
pub fn list_filters_in(dir: &Path) -> io::Result<Vec<FilterInfo>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let p = entry.path();
        let info = (|| {
            Ok(FilterInfo {
                name: entry.file_name().to_string_lossy().into_owned(),
                description: read_trimmed(&p.join("description"))?,
                args: read_trimmed(&p.join("args"))?,
                unprivileged: read_trimmed(&p.join("unprivileged"))? == "1",
                enabled: match read_trimmed(&p.join("enabled")) {
                    Ok(v) => v == "1",
                    // A kernel without the administrator's switch.
                    Err(e) if e.kind() == io::ErrorKind::NotFound && p.is_dir() => true,
                    Err(e) => return Err(e),
                },
            })
        })();
        match info {
            Ok(i) => out.push(i),
            // Unregistered since readdir (a BPF filter's loader exited):
            // it is not there any more, which is no error.
            Err(e) if e.kind() == io::ErrorKind::NotFound && !p.exists() => {}
            Err(e) => return Err(e),
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The kernel's counters of one attachment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub filter: String,
    pub seen: u64,
    pub skipped: u64,
    pub sent: u64,
    pub denied: u64,
    pub invalid: u64,
    /// The administrator revoked the attachment (`enabled` 0): the filter
    /// is no longer called.
    pub revoked: bool,
    /// The attachment's id, as trace records name it (`None`: a kernel
    /// that does not say).
    pub id: Option<u64>,
}

/// Parse an fdinfo text: `Ok(None)` if no filter is attached, an error if
/// the filter line is not in the documented format.
pub fn parse_fdinfo(text: &str) -> Result<Option<Counters>, String> {
    let Some(line) = text.lines().find(|l| l.starts_with("fanotify filter:")) else {
        return Ok(None);
    };
    let mut words = line["fanotify filter:".len()..].split(' ');
    let filter = words.next().filter(|w| !w.is_empty()).ok_or(line)?;
    let mut c = Counters {
        filter: filter.into(),
        ..Default::default()
    };
    let mut got = 0;
    for w in words {
        let (k, v) = w.split_once(':').ok_or(line)?;
        let v: u64 = v.parse().map_err(|_| line.to_string())?;
        match k {
            "revoked" => c.revoked = v != 0,
            "id" => c.id = Some(v),
            _ => {}
        }
        let slot = match k {
            "seen" => &mut c.seen,
            "skipped" => &mut c.skipped,
            "sent" => &mut c.sent,
            "denied" => &mut c.denied,
            "invalid" => &mut c.invalid,
            _ => continue, // revoked, id, or // a later kernel may add counters
        };
        *slot = v;
        got += 1;
    }
    if got != 5 {
        return Err(format!("unexpected fdinfo filter line: {line}"));
    }
    Ok(Some(c))
}

/// The counters of the filter attached to our own fanotify fd `fan`.
/// Read through /proc/self, which is this process whatever pid namespace
/// /proc was mounted for (its pid number there may be another).
pub fn counters(fan: impl AsFd) -> io::Result<Option<Counters>> {
    let text = fs::read_to_string(format!("/proc/self/fdinfo/{}", fan.as_fd().as_raw_fd()))?;
    parse_fdinfo(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The counters of the filter on fd `fd` of process `pid` (root, or the
/// same user, as /proc allows).
pub fn counters_of(pid: i32, fd: i32) -> io::Result<Option<Counters>> {
    let text = fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))?;
    parse_fdinfo(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The fanotify fds of process `pid`, in fd order.
pub fn fanotify_fds_of(pid: i32) -> io::Result<Vec<i32>> {
    let mut fds = Vec::new();
    for entry in fs::read_dir(format!("/proc/{pid}/fd"))? {
        let entry = entry?;
        let Ok(target) = fs::read_link(entry.path()) else {
            continue;
        };
        if target.as_os_str() == "anon_inode:[fanotify]" {
            if let Ok(fd) = entry.file_name().to_string_lossy().parse() {
                fds.push(fd);
            }
        }
    }
    fds.sort_unstable();
    Ok(fds)
}
