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
            revoked: true
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
