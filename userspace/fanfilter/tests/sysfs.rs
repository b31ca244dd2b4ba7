//! Discovery from a sysfs-like directory and the fdinfo counters line.

use fanfilter::sysfs::*;

#[test]
fn fdinfo_with_and_without_a_filter() {
    let text = "pos:\t0\nflags:\t02004000\nfanotify flags:10 event-flags:0\n\
                fanotify filter:subtree seen:120 skipped:100 sent:20 denied:0 invalid:0 revoked:1 id:7\n\
                fanotify ino:5 sdev:1 mflags:0 mask:100 ignored_mask:0\n";
    assert_eq!(
        parse_fdinfo(text).unwrap(),
        Some(Counters {
            filter: "subtree".into(),
            seen: 120,
            skipped: 100,
            sent: 20,
            denied: 0,
            invalid: 0,
            revoked: true,
            id: Some(7),
        })
    );
    // Kernels before the administrator's switch have no "revoked".
    assert!(
        !parse_fdinfo("fanotify filter:x seen:1 skipped:1 sent:0 denied:0 invalid:0\n")
            .unwrap()
            .unwrap()
            .revoked
    );
    assert_eq!(
        parse_fdinfo("fanotify flags:10 event-flags:0\n").unwrap(),
        None
    );
    assert!(parse_fdinfo("fanotify filter:x seen:1\n").is_err());
    assert!(
        parse_fdinfo("fanotify filter:x seen:a skipped:1 sent:1 denied:1 invalid:1\n").is_err()
    );
    assert!(parse_fdinfo("fanotify filter: seen:1 skipped:1 sent:1 denied:1 invalid:1\n").is_err());
}

#[test]
fn filters_are_listed_sorted_with_their_files() {
    let dir = std::env::temp_dir().join(format!("fanfilter-sysfs-{}", std::process::id()));
    for (name, unpriv) in [("subtree", "1"), ("guard", "0")] {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("description"), format!("{name} does things\n")).unwrap();
        std::fs::write(d.join("args"), "u32 version;\n").unwrap();
        std::fs::write(d.join("unprivileged"), format!("{unpriv}\n")).unwrap();
    }
    std::fs::write(dir.join("guard/enabled"), "0\n").unwrap();
    let l = list_filters_in(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].name, "guard");
    assert!(!l[0].unprivileged);
    assert!(!l[0].enabled);
    // No "enabled" file (an older kernel): enabled.
    assert!(l[1].enabled);
    assert_eq!(l[1].description, "subtree does things");
    assert_eq!(l[1].args, "u32 version;");
    assert!(l[1].unprivileged);
}

#[test]
fn a_filter_that_vanishes_while_listing_is_left_out() {
    let dir = std::env::temp_dir().join(format!("fanfilter-vanish-{}", std::process::id()));
    let d = dir.join("kind");
    std::fs::create_dir_all(&d).unwrap();
    for (f, v) in [("description", "k"), ("args", "a"), ("unprivileged", "1")] {
        std::fs::write(d.join(f), v).unwrap();
    }
    // An entry that readdir saw but whose files are gone, as a BPF
    // filter's directory when its loader exits in between.
    std::os::unix::fs::symlink(dir.join("gone"), dir.join("bpf_x")).unwrap();
    let l = list_filters_in(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let l = l.unwrap();
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].name, "kind");
}

/// `counters()` of our own fd in a pid namespace whose /proc is the
/// parent's: our pid number there (1) is another process's.
#[test]
fn own_counters_in_a_pid_namespace() {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    const NAME: &str = "own_counters_in_a_pid_namespace";
    if std::env::var_os("FANFILTER_IN_PID_NS").is_some() {
        let null = std::fs::File::open("/dev/null").unwrap();
        // A number that the namespace's pid 1 outside has no fd of.
        // SAFETY: dup2 of an open fd onto a free number.
        let fd = unsafe { libc::dup2(null.as_raw_fd(), 977) };
        assert_eq!(fd, 977);
        // SAFETY: the fd was just made and is owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        assert_eq!(counters(&fd).unwrap(), None);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let status = std::process::Command::new("unshare")
        .args(["--pid", "--fork", "--"])
        .arg(exe)
        .args(["--exact", NAME, "--test-threads=1"])
        .env("FANFILTER_IN_PID_NS", "1")
        .stdout(std::process::Stdio::null())
        .status();
    match status.map(|s| s.code()) {
        Ok(Some(0)) => {}
        // The test inside failed (a Rust test binary exits 101).
        Ok(Some(101)) => panic!("counters() read another process's fdinfo"),
        // No unshare(1), or no right to make a pid namespace (not root):
        // nothing to check here.
        r => eprintln!("{NAME}: skipped, unshare --pid unavailable ({r:?})"),
    }
}
