//! Command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub const EXIT_CODES: &str = "\
Exit status:
  0  success (stopped by SIGINT or SIGTERM, watch also by SIGHUP (guard
     reloads on it), or watch --one-shot's event)
  1  an error while running (reading events, /proc, /sys, writing output)
  2  watch --timeout: no event in time
  3  no filter support: the kernel lacks CONFIG_FANOTIFY_FILTER, or the
     filter is not registered (module fanotify_filters not loaded)
  4  permission denied (the filter or the mark needs CAP_SYS_ADMIN)
  5  the kernel or fanfilter rejected the filter's arguments
  6  watch --exit-on-overflow: events were lost
 64  bad command line";

/// Watch filesystems through in-kernel fanotify filters.
///
/// The filters of the fanotify_filters kernel module decide in the kernel,
/// before an event is queued, which events reach user space: a watch of one
/// subtree of a huge filesystem costs one mark, is ready at once, and
/// never wakes up for events elsewhere.
#[derive(Parser, Debug)]
#[command(name = "fanfilter", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the registered filters, what they do, their arguments, and
    /// whether unprivileged users may attach them.
    #[command(after_help = EXIT_CODES)]
    List {
        /// One JSON object per filter ("type":"filter").
        #[arg(long)]
        json: bool,
    },
    /// Print events at or below PATH that pass the given criteria, one
    /// per line.
    ///
    /// With CAP_SYS_ADMIN, one filesystem mark on PATH's filesystem,
    /// narrowed in the kernel to PATH's subtree (or to the --subtree
    /// directories); without it, or with --inode, an inode mark on the
    /// directory PATH, which reports its entries only (fanotify lets no
    /// unprivileged process watch a tree).  A file PATH: its own events.
    /// Several criteria are combined in the kernel by the "policy" filter
    /// (all must pass).  Events that fanfilter itself causes (its output
    /// written below PATH) are never printed.  Ctrl-C, SIGTERM or SIGHUP
    /// stop it (within a batch, even under a storm or with the output
    /// blocked); it then prints the kernel's counters and the queue
    /// overflows to standard error.  It ends by itself when PATH is
    /// deleted or moved away, or the administrator revokes its filter.
    #[command(after_help = EXIT_CODES)]
    Watch(Box<WatchArgs>),
    /// Deny opens below DIR to every process but the exempt ones, in the
    /// kernel, and print each denial until stopped (root only).
    ///
    /// SIGHUP reopens the directories (one replaced at its path is guarded
    /// as well as the old one) and drops exempt processes that exited.  If
    /// the administrator revokes the filter, guard says so and exits 1;
    /// stopping closes its group, which allows everything again.
    #[command(after_help = EXIT_CODES)]
    Guard(GuardArgs),
    /// Print the filter counters of another process's fanotify fds.
    #[command(after_help = EXIT_CODES)]
    Stats {
        /// The process.
        pid: i32,
        /// Only this fd of it.
        fd: Option<i32>,
        /// One JSON object per fd ("type":"counters").
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// The directories to watch (on one filesystem), or one file.
    #[arg(required_unless_present = "fromfile")]
    pub paths: Vec<PathBuf>,
    /// Read more PATHs from FILE, one per line ("-": standard input).
    #[arg(long, value_name = "FILE")]
    pub fromfile: Option<PathBuf>,
    /// The PATHs, with those of --fromfile (set by `resolve_paths`).
    #[arg(skip)]
    pub path: PathBuf,
    /// Only events at or below this directory (repeatable).
    #[arg(long, value_name = "DIR")]
    pub subtree: Vec<PathBuf>,
    /// Drop the events at or below this directory, and on it (repeatable):
    /// in the kernel with CAP_SYS_ADMIN (the policy filter; a rename only
    /// if both its places are pruned), and always by path in user space,
    /// which also catches a directory made anew under that name.
    #[arg(long, value_name = "DIR")]
    pub prune: Vec<PathBuf>,
    /// Only entry names matching: NAME or exact:NAME, prefix:TEXT or TEXT*,
    /// suffix:TEXT or *TEXT (repeatable).
    #[arg(long, value_name = "PATTERN", conflicts_with = "exclude_name")]
    pub name: Vec<String>,
    /// Skip events whose full path matches this regular expression (in
    /// user space, after the kernel's filters; a rename if both places
    /// match; repeatable).
    #[arg(long, value_name = "REGEX")]
    pub exclude: Vec<String>,
    /// Only events whose full path matches one of these regular
    /// expressions (in user space; repeatable).
    #[arg(long, value_name = "REGEX")]
    pub include: Vec<String>,
    /// Skip entry names matching (same syntax as --name; repeatable).
    #[arg(long, value_name = "PATTERN")]
    pub exclude_name: Vec<String>,
    /// Only events on directories.
    #[arg(long, conflicts_with = "files_only")]
    pub dirs_only: bool,
    /// Only events on non-directories.
    #[arg(long)]
    pub files_only: bool,
    /// Only events caused by this process (repeatable; root).
    #[arg(long, value_name = "PID", conflicts_with_all = ["exclude_pid", "exclude_uid"])]
    pub pid: Vec<i32>,
    /// Only events caused by this effective uid (repeatable; root).
    #[arg(long, value_name = "UID", conflicts_with_all = ["exclude_pid", "exclude_uid"])]
    pub uid: Vec<u32>,
    /// Skip events caused by this process (repeatable; root).
    #[arg(long, value_name = "PID")]
    pub exclude_pid: Vec<i32>,
    /// Skip events caused by this effective uid (repeatable; root).
    #[arg(long, value_name = "UID")]
    pub exclude_uid: Vec<u32>,
    /// Skip events caused by fanfilter itself already in the kernel, so
    /// they are not even queued (root; they are never printed anyway).
    #[arg(long)]
    pub not_self: bool,
    /// Events to report, comma-separated (inotify's spellings work too:
    /// close_write, moved_to, ...).
    #[arg(
        short,
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "create,delete,move,modify,close-write,attrib"
    )]
    pub events: Vec<EventKind>,
    /// Count the events per path and type instead of printing them, and
    /// print the table when stopped or after --timeout (inotifywatch).
    #[arg(short, long, conflicts_with_all = ["one_shot", "csv", "format", "null"])]
    pub count: bool,
    /// Exit after the first event printed (inotifywait's default).
    #[arg(short = '1', long, conflicts_with = "monitor")]
    pub one_shot: bool,
    /// Print events until stopped (the default; for inotifywait's users).
    #[arg(short, long)]
    pub monitor: bool,
    /// Exit with status 2 when no event is printed for SECONDS.
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Exit with status 6 after printing a queue overflow: events were
    /// lost, and a script that rebuilds state from events must know.
    #[arg(long)]
    pub exit_on_overflow: bool,
    /// No overflow: an unlimited queue, whose kernel memory grows while
    /// the reader lags (FAN_UNLIMITED_QUEUE; root).
    #[arg(long)]
    pub unlimited_queue: bool,
    /// The acting process's effective uid too (uid=N, "uid" in JSON and
    /// %u), read from /proc when the event is read: unknown once it exited.
    #[arg(short, long)]
    pub user: bool,
    /// Only events and errors on stderr, no "watching" or counters lines.
    #[arg(short, long)]
    pub quiet: bool,
    /// Append the events to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub outfile: Option<PathBuf>,
    /// One JSON object per line instead of text.
    #[arg(long, conflicts_with_all = ["csv", "format"])]
    pub json: bool,
    /// CSV: time,events,path,new_path,pid,uid,comm (events separated by |).
    #[arg(long, conflicts_with = "format")]
    pub csv: bool,
    /// Print each event by this template: %T time (see --timefmt), %t Unix
    /// time, %e events, %p path, %n new path, %i pid, %u uid, %c comm,
    /// %% a %.
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,
    /// strftime(3) format of the time in text lines and of %T.
    #[arg(long, value_name = "FMT", conflicts_with_all = ["json", "csv"])]
    pub timefmt: Option<String>,
    /// End each record with NUL instead of a newline and print names as
    /// they are, unescaped (for xargs -0 and programs).
    #[arg(short = '0', long)]
    pub null: bool,
    /// An inode mark on PATH (its entries only) even as root.
    #[arg(long, conflicts_with = "recursive")]
    pub inode: bool,
    /// Fail (exit 4) rather than watch PATH's entries only when a
    /// recursive watch is not possible (no CAP_SYS_ADMIN).
    #[arg(short, long)]
    pub recursive: bool,
    /// Filter with the BPF program in this object instead (a struct_ops
    /// map of type fanotify_bpf_filter, loaded and registered for the
    /// watch; --subtree gives it its directories; root).
    #[arg(long, value_name = "FILE.bpf.o",
          conflicts_with_all = ["name", "exclude_name", "dirs_only", "files_only", "pid",
                                "uid", "exclude_pid", "exclude_uid", "not_self", "prune"])]
    pub bpf: Option<PathBuf>,
}

impl WatchArgs {
    /// Add the --fromfile PATHs; `path` becomes the first.
    pub fn resolve_paths(&mut self) -> std::io::Result<()> {
        use std::io::BufRead;
        if let Some(f) = &self.fromfile {
            let reader: Box<dyn std::io::BufRead> = if f.as_os_str() == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(std::io::BufReader::new(std::fs::File::open(f)?))
            };
            for line in reader.split(b'\n') {
                let line = line?;
                if !line.is_empty() {
                    use std::os::unix::ffi::OsStrExt;
                    self.paths
                        .push(PathBuf::from(std::ffi::OsStr::from_bytes(&line)));
                }
            }
        }
        if let Some(first) = self.paths.first() {
            self.path = first.clone();
        }
        Ok(())
    }

    /// How events are printed.
    pub fn format(&self) -> crate::output::Format {
        use crate::output::{Format, Style};
        let style = if self.json {
            Style::Json
        } else if self.csv {
            Style::Csv
        } else if let Some(t) = &self.format {
            Style::Template {
                template: t.clone(),
                timefmt: self.timefmt.clone(),
            }
        } else {
            Style::Text {
                timefmt: self.timefmt.clone(),
            }
        };
        Format {
            style,
            null: self.null,
        }
    }
}

#[derive(Args, Debug)]
pub struct GuardArgs {
    /// Directories whose contents are guarded.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Processes that may still open files there: a pid, or a list
    /// separated by commas or blanks, as in --exempt "$(pidof daemon)"
    /// (repeatable).  Its threads are exempt, its children are not: for
    /// those, --exempt-user.
    #[arg(long, value_name = "PIDS")]
    pub exempt: Vec<String>,
    /// Every process whose effective uid is USER's (a name or a number;
    /// repeatable): a daemon and the children it starts, run as their own
    /// user.
    #[arg(long, value_name = "USER")]
    pub exempt_user: Vec<String>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Deny nothing: report each open that the guard would deny (AUDIT
    /// lines, with their paths), to try a configuration before enforcing
    /// it.  No permission event is asked for: nothing waits on this
    /// process.
    #[arg(long)]
    pub audit: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EventKind {
    Create,
    Delete,
    /// MOVED_FROM and MOVED_TO
    Move,
    #[value(alias = "moved_from")]
    MovedFrom,
    #[value(alias = "moved_to")]
    MovedTo,
    /// One RENAME event with both places
    Rename,
    Modify,
    #[value(alias = "close_write")]
    CloseWrite,
    #[value(alias = "close_nowrite")]
    CloseNowrite,
    /// CLOSE_WRITE and CLOSE_NOWRITE
    Close,
    Attrib,
    Open,
    #[value(alias = "open_exec")]
    OpenExec,
    Access,
    #[value(alias = "delete_self")]
    DeleteSelf,
    #[value(alias = "move_self")]
    MoveSelf,
}

impl EventKind {
    pub fn mask(self) -> u64 {
        match self {
            EventKind::Create => libc::FAN_CREATE,
            EventKind::Delete => libc::FAN_DELETE,
            EventKind::Move => libc::FAN_MOVED_FROM | libc::FAN_MOVED_TO,
            EventKind::MovedFrom => libc::FAN_MOVED_FROM,
            EventKind::MovedTo => libc::FAN_MOVED_TO,
            EventKind::Rename => fanfilter::uapi::FAN_RENAME,
            EventKind::Modify => libc::FAN_MODIFY,
            EventKind::CloseWrite => libc::FAN_CLOSE_WRITE,
            EventKind::CloseNowrite => libc::FAN_CLOSE_NOWRITE,
            EventKind::Close => libc::FAN_CLOSE_WRITE | libc::FAN_CLOSE_NOWRITE,
            EventKind::Attrib => libc::FAN_ATTRIB,
            EventKind::Open => libc::FAN_OPEN,
            EventKind::OpenExec => libc::FAN_OPEN_EXEC,
            EventKind::Access => libc::FAN_ACCESS,
            EventKind::DeleteSelf => libc::FAN_DELETE_SELF,
            EventKind::MoveSelf => libc::FAN_MOVE_SELF,
        }
    }
}

impl GuardArgs {
    /// The `--exempt` pids, every list split.
    pub fn exempt_pids(&self) -> Result<Vec<i32>, String> {
        parse_pid_lists(&self.exempt)
    }

    /// The `--exempt-user` uids.
    pub fn exempt_uids(&self) -> Result<Vec<u32>, String> {
        self.exempt_user.iter().map(|u| user_id(u)).collect()
    }
}

/// A user's uid: a number, or a name from the user database.
fn user_id(user: &str) -> Result<u32, String> {
    if let Ok(uid) = user.parse::<u32>() {
        return Ok(uid);
    }
    match nix::unistd::User::from_name(user) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        Ok(None) => Err(format!("--exempt-user {user:?}: no such user")),
        Err(e) => Err(format!("--exempt-user {user:?}: {e}")),
    }
}

/// Pids from values that each hold one or more, separated by commas or
/// blanks (the output of `pidof`).
pub fn parse_pid_lists(values: &[String]) -> Result<Vec<i32>, String> {
    let mut pids = Vec::new();
    for v in values {
        let mut any = false;
        for word in v.split(|c: char| c == ',' || c.is_whitespace()) {
            if word.is_empty() {
                continue;
            }
            match word.parse::<i32>() {
                Ok(p) if p > 0 => pids.push(p),
                _ => return Err(format!("--exempt {v:?}: {word:?} is not a process id")),
            }
            any = true;
        }
        if !any {
            // `--exempt "$(pidof daemon)"` with the daemon not running.
            return Err(format!(
                "--exempt {v:?}: no process id (is the process running?)"
            ));
        }
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::parse_pid_lists;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pid_lists() {
        assert_eq!(parse_pid_lists(&strings(&["12"])), Ok(vec![12]));
        assert_eq!(
            parse_pid_lists(&strings(&["12 34", "5,6", " 7\t8 "])),
            Ok(vec![12, 34, 5, 6, 7, 8])
        );
        assert!(parse_pid_lists(&strings(&[""])).is_err());
        assert!(parse_pid_lists(&strings(&["12 x"])).is_err());
        assert!(parse_pid_lists(&strings(&["0"])).is_err());
        assert!(parse_pid_lists(&strings(&["-3"])).is_err());
    }
}
