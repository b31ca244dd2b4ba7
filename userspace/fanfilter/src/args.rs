//! Typed builders for the arguments of every filter of the
//! `fanotify_filters` module.
//!
//! Each constructor checks what the kernel would check for counts, sizes,
//! versions and padding, so a value of these types always encodes to bytes
//! the kernel's parser accepts as far as their shape goes.  What only the
//! kernel can know (is a tgid live? is that fd a directory on a
//! filesystem?) it still decides.

use crate::uapi::*;
use crate::Errno;
use std::ffi::CString;
use std::fmt;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Why a set of filter arguments cannot be built.
#[derive(Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// A list has fewer or more entries than the filter takes.
    Count {
        what: &'static str,
        min: usize,
        max: usize,
        got: usize,
    },
    /// A name pattern is empty, too long, or holds '/' or NUL.
    BadPattern(String),
    /// A tgid that is not positive.
    BadTgid(i32),
    /// `not_self` without ids needs exclude mode.
    NotSelfNeedsExclude,
    /// A policy with no part, or a part given twice.
    Policy(&'static str),
    /// A root directory could not be opened (the errno is the `source()`).
    Open { path: PathBuf, errno: Errno },
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Count {
                what,
                min,
                max,
                got,
            } => {
                write!(f, "{got} {what} given; the filter takes {min} to {max}")
            }
            ArgsError::BadPattern(p) => write!(
                f,
                "name pattern {p:?}: a name is 1 to 255 bytes without '/' or NUL"
            ),
            ArgsError::BadTgid(t) => write!(f, "process id {t}: must be > 0"),
            ArgsError::NotSelfNeedsExclude => write!(
                f,
                "--not-self without --pid/--uid only makes sense as an exclusion"
            ),
            ArgsError::Policy(why) => write!(f, "policy: {why}"),
            // The errno is the source(), not repeated here.
            ArgsError::Open { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

impl std::error::Error for ArgsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArgsError::Open { errno, .. } => Some(errno),
            _ => None,
        }
    }
}

fn count(what: &'static str, got: usize, min: usize, max: usize) -> Result<(), ArgsError> {
    if got < min || got > max {
        return Err(ArgsError::Count {
            what,
            min,
            max,
            got,
        });
    }
    Ok(())
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_ne_bytes());
}

fn put_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_ne_bytes());
}

/// A filter and its arguments, ready for `FAN_IOC_ADD_FILTER`.
pub trait FilterSpec {
    /// The name the module registered the filter under.
    fn name(&self) -> &str;
    /// Append the argument bytes to `out`.
    fn encode_into(&self, out: &mut Vec<u8>);
    /// The argument bytes.  Fds in them stay open as long as `self` lives.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

/// Open `path` as a directory for a root set (not `O_PATH`: the kernel
/// refuses those as set members).
pub fn open_dir(path: &Path) -> Result<OwnedFd, ArgsError> {
    let err = |errno| ArgsError::Open {
        path: path.to_path_buf(),
        errno,
    };
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| err(Errno::EINVAL))?;
    // SAFETY: `c` is a NUL-terminated string that outlives the call.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(err(Errno::last()));
    }
    // SAFETY: `fd` was just opened and is owned by nobody else.
    Ok(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) })
}

/// Open a set of root directories (1 to `FAN_SUBTREE_MAX_ROOTS`), counted
/// before any is opened.
fn open_roots<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<OwnedFd>, ArgsError> {
    count("root directories", paths.len(), 1, FAN_SUBTREE_MAX_ROOTS)?;
    paths.iter().map(|p| open_dir(p.as_ref())).collect()
}

/// "subtree": only events at or below one of the root directories.
#[derive(Debug)]
pub struct Subtree {
    roots: Vec<OwnedFd>,
}

impl Subtree {
    /// Roots given as open directory fds (1 to `FAN_SUBTREE_MAX_ROOTS`).
    pub fn new(roots: Vec<OwnedFd>) -> Result<Self, ArgsError> {
        count("root directories", roots.len(), 1, FAN_SUBTREE_MAX_ROOTS)?;
        Ok(Subtree { roots })
    }

    /// Roots given as paths, opened here.
    pub fn open<P: AsRef<Path>>(paths: &[P]) -> Result<Self, ArgsError> {
        Self::new(open_roots(paths)?)
    }
}

impl FilterSpec for Subtree {
    fn name(&self) -> &str {
        "subtree"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u32(out, FAN_SUBTREE_ARGS_VERSION);
        put_u32(out, self.roots.len() as u32);
        for fd in &self.roots {
            put_i32(out, fd.as_raw_fd());
        }
    }
}

/// "kind": only events on directories, or only on everything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Directories,
    NonDirectories,
}

impl Kind {}

impl FilterSpec for Kind {
    fn name(&self) -> &str {
        "kind"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u32(out, FAN_KIND_ARGS_VERSION);
        put_u32(
            out,
            match self {
                Kind::Directories => FAN_KIND_DIRECTORIES,
                Kind::NonDirectories => FAN_KIND_NON_DIRECTORIES,
            },
        );
    }
}

/// How a name pattern matches an entry name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Exact,
    Prefix,
    Suffix,
}

/// One checked name pattern: 1 to 255 bytes, no '/' and no NUL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamePattern {
    how: Match,
    bytes: Vec<u8>,
}

impl NamePattern {
    pub fn new(how: Match, bytes: &[u8]) -> Result<Self, ArgsError> {
        if bytes.is_empty() || bytes.len() > 255 || bytes.iter().any(|&b| b == b'/' || b == 0) {
            return Err(ArgsError::BadPattern(
                String::from_utf8_lossy(bytes).into_owned(),
            ));
        }
        Ok(NamePattern {
            how,
            bytes: bytes.to_vec(),
        })
    }

    /// `exact:NAME`, `prefix:TEXT`, `suffix:TEXT`, or a bare `NAME` (exact);
    /// `*.c` and `core.*` are accepted as suffix and prefix.
    pub fn parse(s: &str) -> Result<Self, ArgsError> {
        if let Some(rest) = s.strip_prefix("exact:") {
            return Self::new(Match::Exact, rest.as_bytes());
        }
        if let Some(rest) = s.strip_prefix("prefix:") {
            return Self::new(Match::Prefix, rest.as_bytes());
        }
        if let Some(rest) = s.strip_prefix("suffix:") {
            return Self::new(Match::Suffix, rest.as_bytes());
        }
        if let Some(rest) = s.strip_prefix('*') {
            if !rest.contains('*') {
                return Self::new(Match::Suffix, rest.as_bytes());
            }
        }
        if let Some(rest) = s.strip_suffix('*') {
            if !rest.contains('*') {
                return Self::new(Match::Prefix, rest.as_bytes());
            }
        }
        if s.contains('*') {
            return Err(ArgsError::BadPattern(format!(
                "{s} (only one leading or trailing '*' is supported)"
            )));
        }
        Self::new(Match::Exact, s.as_bytes())
    }
}

/// "name": only events whose name matches (or, excluding, matches none).
#[derive(Clone, Debug)]
pub struct Name {
    exclude: bool,
    patterns: Vec<NamePattern>,
}

impl Name {
    pub fn new(patterns: Vec<NamePattern>, exclude: bool) -> Result<Self, ArgsError> {
        count("name patterns", patterns.len(), 1, FAN_NAME_MAX_PATTERNS)?;
        Ok(Name { exclude, patterns })
    }
}

impl FilterSpec for Name {
    fn name(&self) -> &str {
        "name"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u32(out, FAN_NAME_ARGS_VERSION);
        put_u32(out, if self.exclude { FAN_NAME_EXCLUDE } else { 0 });
        put_u32(out, self.patterns.len() as u32);
        put_u32(out, 0);
        for p in &self.patterns {
            out.push(match p.how {
                Match::Exact => FAN_NAME_EXACT,
                Match::Prefix => FAN_NAME_PREFIX,
                Match::Suffix => FAN_NAME_SUFFIX,
            });
            out.push(p.bytes.len() as u8);
            out.extend_from_slice(&p.bytes);
        }
    }
}

/// "actor": only events caused by the given processes or effective uids
/// (or, excluding, by everybody else).
#[derive(Clone, Debug, Default)]
pub struct Actor {
    exclude: bool,
    not_self: bool,
    tgids: Vec<i32>,
    uids: Vec<u32>,
}

impl Actor {
    pub fn new(
        tgids: Vec<i32>,
        uids: Vec<u32>,
        exclude: bool,
        not_self: bool,
    ) -> Result<Self, ArgsError> {
        count("process ids", tgids.len(), 0, FAN_ACTOR_MAX_IDS)?;
        count("user ids", uids.len(), 0, FAN_ACTOR_MAX_IDS)?;
        if let Some(&t) = tgids.iter().find(|&&t| t <= 0) {
            return Err(ArgsError::BadTgid(t));
        }
        if tgids.is_empty() && uids.is_empty() {
            if !not_self {
                return Err(ArgsError::Count {
                    what: "process or user ids",
                    min: 1,
                    max: 2 * FAN_ACTOR_MAX_IDS,
                    got: 0,
                });
            }
            if !exclude {
                return Err(ArgsError::NotSelfNeedsExclude);
            }
        }
        Ok(Actor {
            exclude,
            not_self,
            tgids,
            uids,
        })
    }
}

impl FilterSpec for Actor {
    fn name(&self) -> &str {
        "actor"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        let mut flags = 0;
        if self.exclude {
            flags |= FAN_ACTOR_EXCLUDE;
        }
        if self.not_self {
            flags |= FAN_ACTOR_NOT_SELF;
        }
        put_u32(out, FAN_ACTOR_ARGS_VERSION);
        put_u32(out, flags);
        put_u32(out, self.tgids.len() as u32);
        put_u32(out, self.uids.len() as u32);
        for &t in &self.tgids {
            put_i32(out, t);
        }
        for &u in &self.uids {
            put_u32(out, u);
        }
    }
}

/// "guard": deny permission events below the roots to all but the exempt
/// processes; allow every other permission event in the kernel.
#[derive(Debug)]
pub struct Guard {
    roots: Vec<OwnedFd>,
    exempt: Vec<i32>,
    exempt_uids: Vec<u32>,
}

impl Guard {
    pub fn new(roots: Vec<OwnedFd>, exempt: Vec<i32>) -> Result<Self, ArgsError> {
        count("root directories", roots.len(), 1, FAN_SUBTREE_MAX_ROOTS)?;
        count("exempt processes", exempt.len(), 0, FAN_GUARD_MAX_EXEMPT)?;
        if let Some(&t) = exempt.iter().find(|&&t| t <= 0) {
            return Err(ArgsError::BadTgid(t));
        }
        Ok(Guard {
            roots,
            exempt,
            exempt_uids: Vec::new(),
        })
    }

    pub fn open<P: AsRef<Path>>(paths: &[P], exempt: Vec<i32>) -> Result<Self, ArgsError> {
        Self::new(open_roots(paths)?, exempt)
    }

    /// Exempt every process running with one of these effective uids as
    /// well (a daemon's children, say).  Kernels whose guard predates
    /// uids refuse a non-empty list with `EINVAL`.
    pub fn with_exempt_uids(mut self, uids: Vec<u32>) -> Result<Self, ArgsError> {
        count("exempt uids", uids.len(), 0, FAN_GUARD_MAX_EXEMPT)?;
        self.exempt_uids = uids;
        Ok(self)
    }
}

impl FilterSpec for Guard {
    fn name(&self) -> &str {
        "guard"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u32(out, FAN_GUARD_ARGS_VERSION);
        put_u32(out, self.roots.len() as u32);
        put_u32(out, self.exempt.len() as u32);
        put_u32(out, self.exempt_uids.len() as u32);
        for &t in &self.exempt {
            put_i32(out, t);
        }
        for &u in &self.exempt_uids {
            put_u32(out, u);
        }
        for fd in &self.roots {
            put_i32(out, fd.as_raw_fd());
        }
    }
}

/// "policy": several of subtree, kind, name and actor, and directories to
/// prune; an event is sent only if every part sends it.
#[derive(Debug, Default)]
pub struct Policy {
    subtree: Option<Subtree>,
    kind: Option<Kind>,
    name: Option<Name>,
    actor: Option<Actor>,
    prune: Option<Subtree>,
}

impl Policy {
    pub fn new(
        subtree: Option<Subtree>,
        kind: Option<Kind>,
        name: Option<Name>,
        actor: Option<Actor>,
    ) -> Result<Self, ArgsError> {
        let p = Policy {
            subtree,
            kind,
            name,
            actor,
            prune: None,
        };
        if p.parts() == 0 {
            return Err(ArgsError::Policy(
                "needs at least one of subtree, kind, name, actor",
            ));
        }
        Ok(p)
    }

    /// A policy that only drops the events at or below `dirs` (and on
    /// them); a rename only if both its places are.
    pub fn pruning(dirs: Subtree) -> Self {
        Policy {
            prune: Some(dirs),
            ..Policy::default()
        }
    }

    /// This policy, and the events at or below `dirs` dropped.
    pub fn prune(mut self, dirs: Subtree) -> Self {
        self.prune = Some(dirs);
        self
    }

    fn parts(&self) -> usize {
        self.subtree.is_some() as usize
            + self.kind.is_some() as usize
            + self.name.is_some() as usize
            + self.actor.is_some() as usize
            + self.prune.is_some() as usize
    }
}

fn section(out: &mut Vec<u8>, type_: u32, encode: impl FnOnce(&mut Vec<u8>)) {
    let mut body = Vec::new();
    encode(&mut body);
    put_u32(out, type_);
    put_u32(out, body.len() as u32);
    out.extend_from_slice(&body);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

impl FilterSpec for Policy {
    fn name(&self) -> &str {
        "policy"
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u32(out, FAN_POLICY_ARGS_VERSION);
        put_u32(out, self.parts() as u32);
        if let Some(s) = &self.subtree {
            section(out, FAN_POLICY_SUBTREE, |o| s.encode_into(o));
        }
        if let Some(k) = self.kind {
            section(out, FAN_POLICY_KIND, |o| k.encode_into(o));
        }
        if let Some(n) = &self.name {
            section(out, FAN_POLICY_NAME, |o| n.encode_into(o));
        }
        if let Some(a) = &self.actor {
            section(out, FAN_POLICY_ACTOR, |o| a.encode_into(o));
        }
        if let Some(p) = &self.prune {
            section(out, FAN_POLICY_PRUNE, |o| p.encode_into(o));
        }
    }
}

/// A filter registered by a BPF program (see [`crate::bpf`]): no
/// arguments, or the directories its `bpf_fanotify_event_locate()` calls
/// place events against (`struct fanotify_filter_roots`, laid out as
/// "subtree"'s arguments).
#[derive(Debug)]
pub struct BpfFilter {
    name: String,
    roots: Option<Subtree>,
}

impl BpfFilter {
    pub fn new(name: &str, roots: Option<Subtree>) -> Result<Self, ArgsError> {
        if name.is_empty() || name.len() >= FAN_FILTER_NAME_MAX {
            return Err(ArgsError::Count {
                what: "bytes of filter name",
                min: 1,
                max: FAN_FILTER_NAME_MAX - 1,
                got: name.len(),
            });
        }
        Ok(BpfFilter {
            name: name.into(),
            roots,
        })
    }
}

impl FilterSpec for BpfFilter {
    fn name(&self) -> &str {
        &self.name
    }
    fn encode_into(&self, out: &mut Vec<u8>) {
        if let Some(r) = &self.roots {
            r.encode_into(out);
        }
    }
}
