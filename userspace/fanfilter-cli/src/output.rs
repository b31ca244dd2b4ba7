//! How events and counters are printed: text lines, JSON lines, CSV, or
//! a template of the user's (`--format`), each ended by a newline or, with
//! `--null`, a NUL.
//!
//! Names are bytes, not text.  Text lines escape backslashes, control
//! characters and bytes that are not UTF-8 (`\\`, `\n`, `\xNN`), so that no
//! name (and no comm, which any process sets) can forge a line; JSON
//! carries such a path's exact bytes in hex beside its readable form; CSV
//! and `--null` records carry them as they are.

use fanfilter::events::mask_names;
use fanfilter::sysfs::Counters;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// `bytes` as one field of text that shows every byte: backslash, space,
/// C0 and C1 controls, DEL, invisible and reordering characters and bytes
/// that are not UTF-8 are escaped (`printf '%b'` turns the result back).
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                // A space would let a name stand in for the next field; the
                // others are invisible or reorder or break lines.
                c if c == ' ' || c.is_control() || invisible(c) => {
                    let mut b = [0; 4];
                    for byte in c.encode_utf8(&mut b).bytes() {
                        let _ = write!(out, "\\x{byte:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Format characters that display as nothing or reorder text (bidi
/// controls, zero-width characters) and Unicode's line and paragraph
/// separators.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// Paths as given, separated by spaces, for the messages on stderr.
pub fn paths_list(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A JSON string literal for arbitrary text.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `HH:MM:SS.uuuuuu` of a Unix time, local.
pub fn now_text(unix: f64) -> String {
    let secs = unix.floor();
    let micros = ((unix - secs) * 1e6) as u32;
    strftime("%H:%M:%S", secs) + &format!(".{micros:06}")
}

/// Local wall-clock time of day, `HH:MM:SS.uuuuuu`, and Unix time.
/// Seconds since the epoch, now: what a record's time is made of.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

pub fn now() -> (String, f64) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as libc::time_t;
    // SAFETY: libc::tm is plain data; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the
    // thread-safe variant.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    (
        format!(
            "{:02}:{:02}:{:02}.{:06}",
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec,
            d.subsec_micros()
        ),
        d.as_secs_f64(),
    )
}

/// What is printed for one event.
pub struct EventLine<'a> {
    pub mask: u64,
    pub path: Option<&'a Path>,
    pub new_path: Option<&'a Path>,
    pub pid: i32,
    /// The actor's comm, bytes as the kernel holds them.
    pub comm: Option<&'a [u8]>,
    /// The actor's effective uid, with --user, if it could be read.
    pub uid: Option<u32>,
}

/// A path as a text field: escaped, `?` if unknown.
pub fn path_text(p: Option<&Path>) -> String {
    p.map_or_else(|| "?".into(), |p| escaped(p.as_os_str().as_bytes()))
}

/// A name or comm in a text record or template: exact with `--null` (the
/// NUL ends the record), else escaped.
fn name_bytes(bytes: &[u8], raw: bool) -> Vec<u8> {
    if raw {
        bytes.to_vec()
    } else {
        escaped(bytes).into_bytes()
    }
}

/// The time of a text record or of `%T`: by `--timefmt`, else
/// `HH:MM:SS.uuuuuu`.
pub fn time_text(timefmt: Option<&str>, unix: f64) -> String {
    match timefmt {
        Some(f) => strftime(f, unix),
        None => now_text(unix),
    }
}

/// A JSON member for a path: `,"KEY":"..."` (null if unknown), and
/// `,"KEY_hex":"..."` with its exact bytes if they are not UTF-8.
pub(crate) fn json_path(s: &mut String, key: &str, p: Option<&Path>) {
    match p {
        None => {
            let _ = write!(s, ",\"{key}\":null");
        }
        Some(p) => {
            let bytes = p.as_os_str().as_bytes();
            let _ = write!(s, ",\"{key}\":{}", json_str(&p.to_string_lossy()));
            if std::str::from_utf8(bytes).is_err() {
                let _ = write!(s, ",\"{key}_hex\":\"{}\"", hex(bytes));
            }
        }
    }
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a
/// line break; the bytes as they are.
fn csv_field(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(bytes);
    }
}

/// How each event is written.
#[derive(Clone, Debug)]
pub enum Style {
    /// `TIME EVENTS PATH[ -> NEW_PATH][ pid=N[ comm=C]]`, time by `timefmt`
    /// (strftime) or `HH:MM:SS.uuuuuu`.
    Text { timefmt: Option<String> },
    /// One JSON object (`"type":"event"`).
    Json,
    /// `time,events,path,new_path,pid,uid,comm` (Unix time; events
    /// separated by `|`).
    Csv,
    /// The user's template: `%T` time (by `timefmt`), `%t` Unix time,
    /// `%e` events (comma-separated), `%p` path, `%n` new path, `%i` pid,
    /// `%u` uid (with --user), `%c` comm, `%%` a percent sign.
    Template {
        template: String,
        timefmt: Option<String>,
    },
}

/// A style and the record terminator.
#[derive(Clone, Debug)]
pub struct Format {
    pub style: Style,
    /// End records with NUL instead of a newline; paths and comms raw.
    pub null: bool,
}

impl Format {
    /// Check a template's conversions before anything runs.
    pub fn check(&self) -> Result<(), String> {
        if let Style::Template { template, .. } = &self.style {
            let mut chars = template.chars();
            while let Some(c) = chars.next() {
                if c == '%' {
                    match chars.next() {
                        Some('T' | 't' | 'e' | 'p' | 'n' | 'i' | 'u' | 'c' | '%') => {}
                        Some(o) => return Err(format!("--format: unknown conversion %{o}")),
                        None => return Err("--format: a lone % at the end".into()),
                    }
                }
            }
        }
        Ok(())
    }
}

/// The time of day by a strftime format, in local time.
pub fn strftime(fmt: &str, unix: f64) -> String {
    let secs = unix as libc::time_t;
    // SAFETY: libc::tm is plain data; all-zero is a valid value.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    let Ok(c) = std::ffi::CString::new(fmt) else {
        return String::new();
    };
    // strftime() returns 0 if the result does not fit (or is empty): a
    // bigger buffer, up to 64 KiB.
    let mut size = 256;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: `buf` has the room given; `c` and `tm` are valid.
        let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c.as_ptr(), &tm) };
        if n > 0 || size >= 1 << 16 {
            buf.truncate(n);
            return String::from_utf8_lossy(&buf).into_owned();
        }
        size *= 4;
    }
}

impl EventLine<'_> {
    /// The text record, `TIME EVENTS PATH[ -> NEW_PATH][ pid=N[ uid=U][
    /// comm=C]]`, names exact if `raw` (`--null`), else escaped.
    fn text_record(&self, time: &str, raw: bool) -> Vec<u8> {
        let path = |p: Option<&Path>| {
            p.map_or_else(
                || b"?".to_vec(),
                |p| name_bytes(p.as_os_str().as_bytes(), raw),
            )
        };
        let mut out = format!("{time} {} ", mask_names(self.mask).join(",")).into_bytes();
        out.extend(path(self.path));
        if self.new_path.is_some() {
            out.extend_from_slice(b" -> ");
            out.extend(path(self.new_path));
        }
        if self.pid > 0 {
            out.extend(format!(" pid={}", self.pid).into_bytes());
            if let Some(u) = self.uid {
                out.extend(format!(" uid={u}").into_bytes());
            }
            if let Some(c) = self.comm {
                out.extend_from_slice(b" comm=");
                out.extend(name_bytes(c, raw));
            }
        }
        out
    }

    /// The record for `format`, with its terminator, at Unix time `unix`.
    pub fn render(&self, format: &Format, unix: f64, out: &mut Vec<u8>) {
        let path_bytes = |p: Option<&Path>| -> Vec<u8> {
            p.map_or_else(
                || b"?".to_vec(),
                |p| name_bytes(p.as_os_str().as_bytes(), format.null),
            )
        };
        match &format.style {
            Style::Text { timefmt } => {
                out.extend(self.text_record(&time_text(timefmt.as_deref(), unix), format.null))
            }
            Style::Json => out.extend_from_slice(self.json(unix).as_bytes()),
            Style::Csv => {
                out.extend_from_slice(format!("{unix:.6},").as_bytes());
                out.extend_from_slice(mask_names(self.mask).join("|").as_bytes());
                out.push(b',');
                if let Some(p) = self.path {
                    csv_field(out, p.as_os_str().as_bytes());
                }
                out.push(b',');
                if let Some(p) = self.new_path {
                    csv_field(out, p.as_os_str().as_bytes());
                }
                out.push(b',');
                if self.pid > 0 {
                    out.extend_from_slice(self.pid.to_string().as_bytes());
                }
                out.push(b',');
                if let Some(u) = self.uid {
                    out.extend_from_slice(u.to_string().as_bytes());
                }
                out.push(b',');
                if let Some(c) = self.comm {
                    csv_field(out, c);
                }
            }
            Style::Template { template, timefmt } => {
                let mut chars = template.chars();
                let mut buf = [0; 4];
                while let Some(c) = chars.next() {
                    if c != '%' {
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        continue;
                    }
                    match chars.next() {
                        Some('T') => {
                            out.extend_from_slice(time_text(timefmt.as_deref(), unix).as_bytes())
                        }
                        Some('t') => out.extend_from_slice(format!("{unix:.6}").as_bytes()),
                        Some('e') => {
                            out.extend_from_slice(mask_names(self.mask).join(",").as_bytes())
                        }
                        Some('p') => out.extend_from_slice(&path_bytes(self.path)),
                        Some('n') => {
                            if self.new_path.is_some() {
                                out.extend_from_slice(&path_bytes(self.new_path))
                            }
                        }
                        Some('u') => {
                            if let Some(u) = self.uid {
                                out.extend_from_slice(u.to_string().as_bytes())
                            }
                        }
                        Some('i') => {
                            if self.pid > 0 {
                                out.extend_from_slice(self.pid.to_string().as_bytes())
                            }
                        }
                        Some('c') => {
                            if let Some(c) = self.comm {
                                out.extend(name_bytes(c, format.null))
                            }
                        }
                        // Checked by Format::check: only %%.
                        _ => out.push(b'%'),
                    }
                }
            }
        }
        out.push(if format.null { 0 } else { b'\n' });
    }

    /// One JSON object; `path` is null if the object could not be named.
    pub fn json(&self, time: f64) -> String {
        let events: Vec<String> = mask_names(self.mask).iter().map(|n| json_str(n)).collect();
        let mut s = format!(
            "{{\"type\":\"event\",\"time\":{time:.6},\"events\":[{}]",
            events.join(",")
        );
        json_path(&mut s, "path", self.path);
        if self.new_path.is_some() {
            json_path(&mut s, "new_path", self.new_path);
        }
        if self.pid > 0 {
            let _ = write!(s, ",\"pid\":{}", self.pid);
        }
        if let Some(u) = self.uid {
            let _ = write!(s, ",\"uid\":{u}");
        }
        if let Some(c) = self.comm {
            let _ = write!(s, ",\"comm\":{}", json_str(&String::from_utf8_lossy(c)));
            if std::str::from_utf8(c).is_err() {
                let _ = write!(s, ",\"comm_hex\":\"{}\"", hex(c));
            }
        }
        s.push('}');
        s
    }
}

/// The counters line printed when a watch or guard stops.
pub fn counters_text(c: &Counters) -> String {
    format!(
        "kernel filter {}: seen {} skipped {} sent {} denied {} invalid {}{}",
        c.filter,
        c.seen,
        c.skipped,
        c.sent,
        c.denied,
        c.invalid,
        if c.revoked {
            " (revoked by the administrator)"
        } else {
            ""
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text record with escaped names, as text.
    fn text(l: &EventLine<'_>, time: &str) -> String {
        String::from_utf8(l.text_record(time, false)).unwrap()
    }

    #[test]
    fn json_escapes_quotes_backslashes_and_controls() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn text_line_has_events_path_and_actor() {
        let l = EventLine {
            mask: libc::FAN_CREATE | libc::FAN_ONDIR,
            path: Some(Path::new("/t/a b")),
            new_path: None,
            pid: 42,
            comm: Some(b"mkdir"),
            uid: None,
        };
        assert_eq!(text(&l, "T"), "T CREATE,ISDIR /t/a\\x20b pid=42 comm=mkdir");
        assert_eq!(
            l.json(1.5),
            "{\"type\":\"event\",\"time\":1.500000,\"events\":[\"CREATE\",\"ISDIR\"],\"path\":\"/t/a b\",\"pid\":42,\"comm\":\"mkdir\"}"
        );
    }

    #[test]
    fn rename_shows_both_places_and_unknown_paths() {
        let l = EventLine {
            mask: fanfilter::uapi::FAN_RENAME,
            path: Some(Path::new("/t/x")),
            new_path: None,
            pid: 0,
            comm: None,
            uid: None,
        };
        assert_eq!(text(&l, "T"), "T RENAME /t/x");
        let l = EventLine {
            new_path: Some(Path::new("/u/y")),
            path: None,
            ..l
        };
        assert_eq!(text(&l, "T"), "T RENAME ? -> /u/y");
        assert_eq!(
            l.json(0.0),
            "{\"type\":\"event\",\"time\":0.000000,\"events\":[\"RENAME\"],\"path\":null,\"new_path\":\"/u/y\"}"
        );
    }

    fn render(l: &EventLine<'_>, style: Style, null: bool) -> Vec<u8> {
        let mut out = Vec::new();
        l.render(&Format { style, null }, 1.5, &mut out);
        out
    }

    #[test]
    fn names_that_are_not_text_are_escaped_or_exact() {
        use std::os::unix::ffi::OsStrExt;
        // A newline, a tab, a backslash, a C1 control, a byte not UTF-8.
        assert_eq!(
            escaped("a b\u{202e}c".as_bytes()),
            "a\\x20b\\xe2\\x80\\xaec"
        );
        let raw = b"/t/a\nb\tc\\d\xc2\x85e\xff";
        let p = Path::new(std::ffi::OsStr::from_bytes(raw));
        let l = EventLine {
            mask: libc::FAN_CREATE,
            path: Some(p),
            new_path: None,
            pid: 7,
            comm: Some(b"x\ny"),
            uid: None,
        };
        assert_eq!(
            text(&l, "T"),
            "T CREATE /t/a\\nb\\tc\\\\d\\xc2\\x85e\\xff pid=7 comm=x\\ny"
        );
        // Exact bytes with --null, NUL-terminated: the text record...
        let out = render(
            &l,
            Style::Text {
                timefmt: Some("T".into()),
            },
            true,
        );
        let mut want = b"T CREATE ".to_vec();
        want.extend_from_slice(raw);
        want.extend_from_slice(b" pid=7 comm=x\ny\0");
        assert_eq!(out, want);
        // ...and a template.
        let out = render(
            &l,
            Style::Template {
                template: "%p|%c".into(),
                timefmt: None,
            },
            true,
        );
        let mut want = raw.to_vec();
        want.extend_from_slice(b"|x\ny\0");
        assert_eq!(out, want);
        // JSON: readable, plus the exact bytes in hex.
        let j = l.json(1.0);
        assert!(
            j.contains("\"path_hex\":\"2f742f610a6209635c64c28565ff\""),
            "{j}"
        );
        assert!(!l.json(1.0).contains("new_path"));
        // CSV: quoted, the bytes as they are.
        let out = render(&l, Style::Csv, false);
        let mut want = b"1.500000,CREATE,\"".to_vec();
        want.extend_from_slice(raw);
        want.extend_from_slice(b"\",,7,,\"x\ny\"\n");
        assert_eq!(out, want);
    }

    #[test]
    fn templates_and_their_errors() {
        let l = EventLine {
            mask: libc::FAN_MOVED_TO,
            path: Some(Path::new("/a")),
            new_path: None,
            pid: 0,
            comm: None,
            uid: None,
        };
        let out = render(
            &l,
            Style::Template {
                template: "%e %p [%n] %i%c 100%%".into(),
                timefmt: None,
            },
            false,
        );
        assert_eq!(out, b"MOVED_TO /a []  100%\n");
        for bad in ["%x", "50%"] {
            let f = Format {
                style: Style::Template {
                    template: bad.into(),
                    timefmt: None,
                },
                null: false,
            };
            assert!(f.check().is_err(), "{bad}");
        }
    }
}
