//! The structs and constants of `fanfilter::uapi` against the C headers:
//! a C program compiled here prints every size, offset and constant, and
//! each must equal Rust's.
//!
//! `src/uapi/fanotify_filters.h` is in this repository.  The ioctl struct
//! is in the patched kernel's `<linux/fanotify.h>`: the directory holding
//! it (the tree's usr-headers/include) comes from FANFILTER_UAPI_INCLUDE,
//! which the project's test runner always sets.

use fanfilter::uapi::*;
use std::collections::HashMap;
use std::mem::{offset_of, size_of};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;
use std::process::Command;

fn c_values(program: &str, includes: &[PathBuf]) -> HashMap<String, i64> {
    let dir = std::env::temp_dir().join(format!(
        "fanfilter-layout-{}-{}",
        std::process::id(),
        program.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let bin = dir.join("layout");
    std::fs::write(&src, program).unwrap();
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    for i in includes {
        cc.arg("-I").arg(i);
    }
    let out = cc
        .arg("-o")
        .arg(&bin)
        .arg(&src)
        .output()
        .expect("running the C compiler");
    assert!(
        out.status.success(),
        "cc failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(&bin).output().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_string(), v.parse().unwrap())
        })
        .collect()
}

fn repo_uapi() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../src/uapi")
}

/// Compile a program that prints each C expression of `table` with
/// `headers` included, and compare with the Rust value beside it.
fn check(headers: &[&str], includes: &[PathBuf], table: &[(&str, i64)]) {
    let mut program = String::from("#include <stdio.h>\n#include <stddef.h>\n");
    for h in headers {
        program += &format!("#include {h}\n");
    }
    program += "int main(void) {\n";
    for (expr, _) in table {
        program += &format!("\tprintf(\"%s %lld\\n\", \"{expr}\", (long long)({expr}));\n");
    }
    program += "\treturn 0;\n}\n";
    let c = c_values(&program, includes);
    assert_eq!(c.len(), table.len());
    for (k, v) in table {
        assert_eq!(c[*k], *v, "{k}: C says {}, Rust {v}", c[*k]);
    }
}

#[test]
fn filter_args_match_fanotify_filters_h() {
    let rust: &[(&str, i64)] = &[
        (
            "sizeof(struct fan_subtree_args)",
            size_of::<FanSubtreeArgs>() as i64,
        ),
        (
            "offsetof(struct fan_subtree_args, nr_roots)",
            offset_of!(FanSubtreeArgs, nr_roots) as i64,
        ),
        (
            "offsetof(struct fan_subtree_args, root_fds)",
            size_of::<FanSubtreeArgs>() as i64,
        ),
        (
            "sizeof(struct fan_guard_args)",
            size_of::<FanGuardArgs>() as i64,
        ),
        (
            "offsetof(struct fan_guard_args, nr_exempt)",
            offset_of!(FanGuardArgs, nr_exempt) as i64,
        ),
        (
            "offsetof(struct fan_guard_args, nr_exempt_uids)",
            offset_of!(FanGuardArgs, nr_exempt_uids) as i64,
        ),
        (
            "offsetof(struct fan_guard_args, ids)",
            size_of::<FanGuardArgs>() as i64,
        ),
        (
            "sizeof(struct fan_kind_args)",
            size_of::<FanKindArgs>() as i64,
        ),
        (
            "offsetof(struct fan_kind_args, kind)",
            offset_of!(FanKindArgs, kind) as i64,
        ),
        (
            "sizeof(struct fan_name_args)",
            size_of::<FanNameArgs>() as i64,
        ),
        (
            "offsetof(struct fan_name_args, flags)",
            offset_of!(FanNameArgs, flags) as i64,
        ),
        (
            "offsetof(struct fan_name_args, nr_patterns)",
            offset_of!(FanNameArgs, nr_patterns) as i64,
        ),
        (
            "offsetof(struct fan_name_args, zero)",
            offset_of!(FanNameArgs, zero) as i64,
        ),
        (
            "sizeof(struct fan_name_pattern)",
            size_of::<FanNamePattern>() as i64,
        ),
        (
            "offsetof(struct fan_name_pattern, len)",
            offset_of!(FanNamePattern, len) as i64,
        ),
        (
            "offsetof(struct fan_name_pattern, name)",
            size_of::<FanNamePattern>() as i64,
        ),
        (
            "sizeof(struct fan_actor_args)",
            size_of::<FanActorArgs>() as i64,
        ),
        (
            "offsetof(struct fan_actor_args, flags)",
            offset_of!(FanActorArgs, flags) as i64,
        ),
        (
            "offsetof(struct fan_actor_args, nr_tgids)",
            offset_of!(FanActorArgs, nr_tgids) as i64,
        ),
        (
            "offsetof(struct fan_actor_args, nr_uids)",
            offset_of!(FanActorArgs, nr_uids) as i64,
        ),
        (
            "offsetof(struct fan_actor_args, ids)",
            size_of::<FanActorArgs>() as i64,
        ),
        (
            "sizeof(struct fan_policy_args)",
            size_of::<FanPolicyArgs>() as i64,
        ),
        (
            "offsetof(struct fan_policy_args, nr_sections)",
            offset_of!(FanPolicyArgs, nr_sections) as i64,
        ),
        (
            "sizeof(struct fan_policy_section)",
            size_of::<FanPolicySection>() as i64,
        ),
        (
            "offsetof(struct fan_policy_section, size)",
            offset_of!(FanPolicySection, size) as i64,
        ),
        ("FAN_SUBTREE_ARGS_VERSION", FAN_SUBTREE_ARGS_VERSION as i64),
        ("FAN_SUBTREE_MAX_ROOTS", FAN_SUBTREE_MAX_ROOTS as i64),
        ("FAN_GUARD_ARGS_VERSION", FAN_GUARD_ARGS_VERSION as i64),
        ("FAN_GUARD_MAX_EXEMPT", FAN_GUARD_MAX_EXEMPT as i64),
        ("FAN_KIND_ARGS_VERSION", FAN_KIND_ARGS_VERSION as i64),
        ("FAN_KIND_DIRECTORIES", FAN_KIND_DIRECTORIES as i64),
        ("FAN_KIND_NON_DIRECTORIES", FAN_KIND_NON_DIRECTORIES as i64),
        ("FAN_NAME_ARGS_VERSION", FAN_NAME_ARGS_VERSION as i64),
        ("FAN_NAME_MAX_PATTERNS", FAN_NAME_MAX_PATTERNS as i64),
        ("FAN_NAME_EXCLUDE", FAN_NAME_EXCLUDE as i64),
        ("FAN_NAME_EXACT", FAN_NAME_EXACT as i64),
        ("FAN_NAME_PREFIX", FAN_NAME_PREFIX as i64),
        ("FAN_NAME_SUFFIX", FAN_NAME_SUFFIX as i64),
        ("FAN_ACTOR_ARGS_VERSION", FAN_ACTOR_ARGS_VERSION as i64),
        ("FAN_ACTOR_MAX_IDS", FAN_ACTOR_MAX_IDS as i64),
        ("FAN_ACTOR_EXCLUDE", FAN_ACTOR_EXCLUDE as i64),
        ("FAN_ACTOR_NOT_SELF", FAN_ACTOR_NOT_SELF as i64),
        ("FAN_POLICY_ARGS_VERSION", FAN_POLICY_ARGS_VERSION as i64),
        ("FAN_POLICY_SUBTREE", FAN_POLICY_SUBTREE as i64),
        ("FAN_POLICY_KIND", FAN_POLICY_KIND as i64),
        ("FAN_POLICY_NAME", FAN_POLICY_NAME as i64),
        ("FAN_POLICY_ACTOR", FAN_POLICY_ACTOR as i64),
        ("FAN_POLICY_PRUNE", FAN_POLICY_PRUNE as i64),
    ];
    check(&["\"fanotify_filters.h\""], &[repo_uapi()], rust);
}

/// The patched kernel's uapi headers: FANFILTER_UAPI_INCLUDE, else the
/// newest test kernel that scripts/build-kernel.sh cached.
fn patched_headers() -> Option<std::ffi::OsString> {
    if let Some(dir) = std::env::var_os("FANFILTER_UAPI_INCLUDE") {
        return Some(dir);
    }
    let cache = std::env::var_os("FANFILTER_CACHE").unwrap_or("/var/cache/fanfilter".into());
    std::fs::read_dir(cache)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("kernel-test-"))
        .map(|e| e.path().join("usr-headers/include"))
        .filter(|inc| {
            std::fs::read_to_string(inc.join("linux/fanotify.h"))
                .is_ok_and(|h| h.contains("FAN_IOC_ADD_FILTER"))
        })
        .max_by_key(|inc| inc.metadata().and_then(|m| m.modified()).ok())
        .map(Into::into)
}

#[test]
fn ioctl_struct_matches_patched_linux_fanotify_h() {
    let Some(inc) = patched_headers() else {
        // Without the patched kernel there is no C definition to compare
        // with; scripts/test.sh always gives one.
        eprintln!(
            "ioctl_struct_matches_patched_linux_fanotify_h: skipped: no patched \
             <linux/fanotify.h> (set FANFILTER_UAPI_INCLUDE)"
        );
        return;
    };
    let rust: &[(&str, i64)] = &[
        (
            "sizeof(struct fanotify_filter_args)",
            size_of::<FanotifyFilterArgs>() as i64,
        ),
        (
            "offsetof(struct fanotify_filter_args, flags)",
            offset_of!(FanotifyFilterArgs, flags) as i64,
        ),
        (
            "offsetof(struct fanotify_filter_args, args_size)",
            offset_of!(FanotifyFilterArgs, args_size) as i64,
        ),
        (
            "offsetof(struct fanotify_filter_args, args)",
            offset_of!(FanotifyFilterArgs, args) as i64,
        ),
        (
            "_Alignof(struct fanotify_filter_args)",
            std::mem::align_of::<FanotifyFilterArgs>() as i64,
        ),
        ("FAN_FILTER_NAME_MAX", FAN_FILTER_NAME_MAX as i64),
        ("FAN_FILTER_ARGS_MAX", FAN_FILTER_ARGS_MAX as i64),
        (
            "FAN_FILTER_ARGS_SIZE_VER0",
            FAN_FILTER_ARGS_SIZE_VER0 as i64,
        ),
        ("FAN_IOC_ADD_FILTER", FAN_IOC_ADD_FILTER as i64),
        ("FAN_IOC_DEL_FILTER", FAN_IOC_DEL_FILTER as i64),
        ("FAN_IOC_RECONFIG_FILTER", FAN_IOC_RECONFIG_FILTER as i64),
        (
            "FAN_REPORT_DFID_NAME_TARGET",
            FAN_REPORT_DFID_NAME_TARGET as i64,
        ),
        ("FAN_EVENT_INFO_TYPE_FID", FAN_EVENT_INFO_TYPE_FID as i64),
        (
            "FAN_EVENT_INFO_TYPE_DFID_NAME",
            FAN_EVENT_INFO_TYPE_DFID_NAME as i64,
        ),
        ("FAN_EVENT_INFO_TYPE_DFID", FAN_EVENT_INFO_TYPE_DFID as i64),
        (
            "FAN_EVENT_INFO_TYPE_PIDFD",
            FAN_EVENT_INFO_TYPE_PIDFD as i64,
        ),
        (
            "FAN_EVENT_INFO_TYPE_ERROR",
            FAN_EVENT_INFO_TYPE_ERROR as i64,
        ),
        (
            "FAN_EVENT_INFO_TYPE_OLD_DFID_NAME",
            FAN_EVENT_INFO_TYPE_OLD_DFID_NAME as i64,
        ),
        (
            "FAN_EVENT_INFO_TYPE_NEW_DFID_NAME",
            FAN_EVENT_INFO_TYPE_NEW_DFID_NAME as i64,
        ),
        ("FAN_RENAME", FAN_RENAME as i64),
        ("FAN_FS_ERROR", FAN_FS_ERROR as i64),
        (
            "FANOTIFY_METADATA_VERSION",
            fanfilter::events::METADATA_VERSION as i64,
        ),
        (
            "sizeof(struct fanotify_event_metadata)",
            fanfilter::events::METADATA_LEN as i64,
        ),
        // A BPF filter's roots are encoded as "subtree"'s arguments.
        (
            "sizeof(struct fanotify_filter_roots)",
            size_of::<FanSubtreeArgs>() as i64,
        ),
        (
            "offsetof(struct fanotify_filter_roots, nr_roots)",
            offset_of!(FanSubtreeArgs, nr_roots) as i64,
        ),
        (
            "offsetof(struct fanotify_filter_roots, root_fds)",
            size_of::<FanSubtreeArgs>() as i64,
        ),
        ("FAN_FILTER_ROOTS_VERSION", FAN_SUBTREE_ARGS_VERSION as i64),
    ];
    check(
        &["<linux/fanotify.h>", "<sys/ioctl.h>"],
        &[PathBuf::from(inc)],
        rust,
    );
}

/// `src/uapi/bindings.rs` is exactly what `src/uapi/generate.sh` makes of
/// the headers today: a header changed without regenerating fails here.
/// Under the project's runner (FANFILTER_UAPI_INCLUDE set) it never skips:
/// generate.sh refuses another bindgen than the one that wrote the file.
#[test]
fn bindings_rs_is_what_bindgen_makes_of_the_headers() {
    let name = "bindings_rs_is_what_bindgen_makes_of_the_headers";
    let Some(inc) = patched_headers() else {
        eprintln!("{name}: skipped: no patched <linux/fanotify.h> (set FANFILTER_UAPI_INCLUDE)");
        return;
    };
    let required = std::env::var_os("FANFILTER_UAPI_INCLUDE").is_some();
    let uapi = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/uapi");
    let committed = std::fs::read_to_string(uapi.join("bindings.rs")).unwrap();
    // A directory of our own (mode 0700): nobody can plant the output.
    let dir = std::env::temp_dir().join(format!(
        "fanfilter-bindings-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .expect("a new private directory");
    let out = dir.join("bindings.rs");
    let run = Command::new(uapi.join("generate.sh"))
        .arg(&inc)
        .arg(&out)
        .output()
        .expect("running generate.sh");
    let fresh = std::fs::read_to_string(&out);
    std::fs::remove_dir_all(&dir).unwrap();
    if !run.status.success() {
        let why = String::from_utf8_lossy(&run.stderr);
        assert!(!required, "{name}: generate.sh failed: {why}");
        eprintln!("{name}: skipped: {why}");
        return;
    }
    assert!(
        fresh.unwrap() == committed,
        "src/uapi/bindings.rs is stale: run src/uapi/generate.sh {}",
        PathBuf::from(inc).display()
    );
}
