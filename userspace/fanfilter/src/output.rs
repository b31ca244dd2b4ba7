//! How events and counters are printed: text lines and JSON lines.

use fanfilter::events::mask_names;
use fanfilter::sysfs::Counters;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

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

/// Local wall-clock time of day, `HH:MM:SS.uuuuuu`, and Unix time.
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
    pub comm: Option<&'a str>,
}

fn path_text(p: Option<&Path>) -> String {
    p.map_or_else(|| "?".into(), |p| p.to_string_lossy().into_owned())
}

impl EventLine<'_> {
    /// `TIME EVENTS PATH[ -> NEW_PATH][ pid=N[ comm=C]]`
    pub fn text(&self, time: &str) -> String {
        let mut s = format!(
            "{time} {} {}",
            mask_names(self.mask).join(","),
            path_text(self.path)
        );
        if self.new_path.is_some() {
            let _ = write!(s, " -> {}", path_text(self.new_path));
        }
        if self.pid > 0 {
            let _ = write!(s, " pid={}", self.pid);
            if let Some(c) = self.comm {
                let _ = write!(s, " comm={c}");
            }
        }
        s
    }

    /// One JSON object; `path` is null if the object could not be named.
    pub fn json(&self, time: f64) -> String {
        let events: Vec<String> = mask_names(self.mask).iter().map(|n| json_str(n)).collect();
        let opt =
            |p: Option<&Path>| p.map_or_else(|| "null".into(), |p| json_str(&p.to_string_lossy()));
        let mut s = format!(
            "{{\"time\":{time:.6},\"events\":[{}],\"path\":{}",
            events.join(","),
            opt(self.path)
        );
        if self.new_path.is_some() {
            let _ = write!(s, ",\"new_path\":{}", opt(self.new_path));
        }
        if self.pid > 0 {
            let _ = write!(s, ",\"pid\":{}", self.pid);
        }
        if let Some(c) = self.comm {
            let _ = write!(s, ",\"comm\":{}", json_str(c));
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
            comm: Some("mkdir"),
        };
        assert_eq!(l.text("T"), "T CREATE,ISDIR /t/a b pid=42 comm=mkdir");
        assert_eq!(
            l.json(1.5),
            "{\"time\":1.500000,\"events\":[\"CREATE\",\"ISDIR\"],\"path\":\"/t/a b\",\"pid\":42,\"comm\":\"mkdir\"}"
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
        };
        assert_eq!(l.text("T"), "T RENAME /t/x");
        let l = EventLine {
            new_path: Some(Path::new("/u/y")),
            path: None,
            ..l
        };
        assert_eq!(l.text("T"), "T RENAME ? -> /u/y");
        assert_eq!(
            l.json(0.0),
            "{\"time\":0.000000,\"events\":[\"RENAME\"],\"path\":null,\"new_path\":\"/u/y\"}"
        );
    }
}
