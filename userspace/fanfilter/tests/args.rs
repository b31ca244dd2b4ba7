//! Every filter's argument builder: the bytes it encodes, and every
//! malformed case refused by its constructor.

use fanfilter::args::*;
use fanfilter::uapi::*;
use fanfilter::Errno;
use std::os::fd::{AsRawFd, OwnedFd};

fn words(b: &[u8]) -> Vec<u32> {
    assert_eq!(b.len() % 4, 0, "not a whole number of words: {b:?}");
    b.chunks(4)
        .map(|c| u32::from_ne_bytes(c.try_into().unwrap()))
        .collect()
}

/// 4096 roots need 4096 fds: lift the soft limit (1024 on many machines).
fn enough_fds() {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid rlimit for both calls.
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_cur = r.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &r);
    }
}

fn dirs(n: usize) -> Vec<OwnedFd> {
    (0..n)
        .map(|_| open_dir(std::path::Path::new("/")).unwrap())
        .collect()
}

#[test]
fn subtree_encodes_version_count_and_fds() {
    let s = Subtree::new(dirs(2)).unwrap();
    let w = words(&s.encode());
    assert_eq!(w.len(), 4);
    assert_eq!(&w[..2], &[FAN_SUBTREE_ARGS_VERSION, 2]);
    assert!(w[2] as i32 >= 0 && w[3] as i32 >= 0 && w[2] != w[3]);
    assert_eq!(s.name(), "subtree");
}

#[test]
fn subtree_refuses_no_roots_too_many_roots_and_non_directories() {
    assert!(matches!(
        Subtree::new(vec![]),
        Err(ArgsError::Count { got: 0, .. })
    ));
    enough_fds();
    let too_many = FAN_SUBTREE_MAX_ROOTS + 1;
    let paths = vec!["/"; too_many];
    assert!(matches!(Subtree::open(&paths), Err(ArgsError::Count { got, .. }) if got == too_many));
    assert!(Subtree::open(&vec!["/"; FAN_SUBTREE_MAX_ROOTS]).is_ok());
    assert!(matches!(
        Subtree::open(&["/proc/self/status"]),
        Err(ArgsError::Open {
            errno: Errno::ENOTDIR,
            ..
        })
    ));
    let e = Subtree::open(&["/no/such/dir"]).unwrap_err();
    assert!(matches!(
        e,
        ArgsError::Open {
            errno: Errno::ENOENT,
            ..
        }
    ));
    // The errno is the error's source, for error reporters that walk
    // the chain.
    use std::error::Error;
    let source = e.source().expect("an errno source");
    assert_eq!(source.downcast_ref::<Errno>(), Some(&Errno::ENOENT));
    assert!(ArgsError::BadTgid(0).source().is_none());
}

#[test]
fn kind_encodes_both_kinds() {
    assert_eq!(
        words(&Kind::Directories.encode()),
        [FAN_KIND_ARGS_VERSION, FAN_KIND_DIRECTORIES]
    );
    assert_eq!(
        words(&Kind::NonDirectories.encode()),
        [FAN_KIND_ARGS_VERSION, FAN_KIND_NON_DIRECTORIES]
    );
}

#[test]
fn name_patterns_parse_and_pack_without_padding() {
    let pats = [
        "exact:a",
        "prefix:core.",
        "suffix:.c",
        "*.o",
        "tmp*",
        "plain",
    ]
    .iter()
    .map(|s| NamePattern::parse(s).unwrap())
    .collect();
    let n = Name::new(pats, true).unwrap();
    let b = n.encode();
    assert_eq!(
        words(&b[..16]),
        [FAN_NAME_ARGS_VERSION, FAN_NAME_EXCLUDE, 6, 0]
    );
    let mut want = Vec::new();
    for (k, s) in [
        (FAN_NAME_EXACT, "a"),
        (FAN_NAME_PREFIX, "core."),
        (FAN_NAME_SUFFIX, ".c"),
        (FAN_NAME_SUFFIX, ".o"),
        (FAN_NAME_PREFIX, "tmp"),
        (FAN_NAME_EXACT, "plain"),
    ] {
        want.push(k);
        want.push(s.len() as u8);
        want.extend_from_slice(s.as_bytes());
    }
    assert_eq!(&b[16..], &want[..], "patterns packed, nothing after them");
}

#[test]
fn name_refuses_bad_patterns_and_counts() {
    for bad in ["", "exact:", "a/b", "a\0b", "*a*", "a*b", "prefix:"] {
        assert!(NamePattern::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert!(NamePattern::new(Match::Exact, &[b'x'; 255]).is_ok());
    assert!(NamePattern::new(Match::Exact, &[b'x'; 256]).is_err());
    assert!(Name::new(vec![], false).is_err());
    let p = NamePattern::parse("x").unwrap();
    assert!(Name::new(vec![p.clone(); FAN_NAME_MAX_PATTERNS], false).is_ok());
    assert!(Name::new(vec![p; FAN_NAME_MAX_PATTERNS + 1], false).is_err());
}

#[test]
fn actor_encodes_flags_tgids_then_uids() {
    let a = Actor::new(vec![7, 9], vec![1000], true, true).unwrap();
    assert_eq!(
        words(&a.encode()),
        [
            FAN_ACTOR_ARGS_VERSION,
            FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF,
            2,
            1,
            7,
            9,
            1000
        ]
    );
}

#[test]
fn actor_refuses_what_the_kernel_refuses() {
    assert_eq!(
        Actor::new(vec![0], vec![], false, false).unwrap_err(),
        ArgsError::BadTgid(0)
    );
    assert_eq!(
        Actor::new(vec![-3], vec![], false, false).unwrap_err(),
        ArgsError::BadTgid(-3)
    );
    assert!(Actor::new(vec![], vec![], false, false).is_err());
    assert_eq!(
        Actor::new(vec![], vec![], false, true).unwrap_err(),
        ArgsError::NotSelfNeedsExclude
    );
    assert!(Actor::new(vec![], vec![], true, true).is_ok());
    assert!(Actor::new(vec![1; FAN_ACTOR_MAX_IDS + 1], vec![], false, false).is_err());
    assert!(Actor::new(vec![], vec![0; FAN_ACTOR_MAX_IDS + 1], false, false).is_err());
}

#[test]
fn guard_encodes_exempt_before_roots() {
    let roots = dirs(1);
    let fd = roots[0].as_raw_fd() as u32;
    let g = Guard::new(roots, vec![42]).unwrap();
    assert_eq!(
        words(&g.encode()),
        [FAN_GUARD_ARGS_VERSION, 1, 1, 0, 42, fd]
    );
    assert_eq!(
        Guard::new(dirs(1), vec![0]).unwrap_err(),
        ArgsError::BadTgid(0)
    );
    assert!(Guard::new(dirs(1), vec![1; FAN_GUARD_MAX_EXEMPT + 1]).is_err());
    assert!(Guard::new(vec![], vec![]).is_err());
    // Uids between the tgids and the roots.
    let roots = dirs(1);
    let fd = roots[0].as_raw_fd() as u32;
    let g = Guard::new(roots, vec![42])
        .unwrap()
        .with_exempt_uids(vec![1000, 0])
        .unwrap();
    assert_eq!(
        words(&g.encode()),
        [FAN_GUARD_ARGS_VERSION, 1, 1, 2, 42, 1000, 0, fd]
    );
    assert!(Guard::new(dirs(1), vec![])
        .unwrap()
        .with_exempt_uids(vec![1; FAN_GUARD_MAX_EXEMPT + 1])
        .is_err());
}

#[test]
fn policy_sections_are_padded_to_words() {
    let name = Name::new(vec![NamePattern::parse("abc").unwrap()], false).unwrap();
    let p = Policy::new(None, Some(Kind::Directories), Some(name), None).unwrap();
    let b = p.encode();
    let w = words(&b);
    assert_eq!(&w[..2], &[FAN_POLICY_ARGS_VERSION, 2]);
    assert_eq!(
        &w[2..6],
        &[
            FAN_POLICY_KIND,
            8,
            FAN_KIND_ARGS_VERSION,
            FAN_KIND_DIRECTORIES
        ]
    );
    // name section: 16 header bytes + 2 + 3 pattern bytes = 21, padded to 24
    assert_eq!(&w[6..8], &[FAN_POLICY_NAME, 21]);
    assert_eq!(b.len(), 8 + 16 + 8 + 24);
    assert_eq!(&b[b.len() - 3..], &[0, 0, 0]);
    assert!(Policy::new(None, None, None, None).is_err());
}

#[test]
fn largest_arguments_fit_the_kernel_limit() {
    let name = Name::new(
        vec![NamePattern::new(Match::Suffix, &[b'y'; 255]).unwrap(); FAN_NAME_MAX_PATTERNS],
        false,
    )
    .unwrap();
    let actor = Actor::new(
        vec![1; FAN_ACTOR_MAX_IDS],
        vec![0; FAN_ACTOR_MAX_IDS],
        false,
        false,
    )
    .unwrap();
    enough_fds();
    let sub = Subtree::open(&vec!["/"; FAN_SUBTREE_MAX_ROOTS]).unwrap();
    let p = Policy::new(
        Some(sub),
        Some(Kind::NonDirectories),
        Some(name),
        Some(actor),
    )
    .unwrap();
    assert!(p.encode().len() <= FAN_FILTER_ARGS_MAX);
}

#[test]
fn bpf_filter_takes_no_args_or_subtree_shaped_roots() {
    let none = BpfFilter::new("bpf_subtree", None).unwrap();
    assert_eq!(none.name(), "bpf_subtree");
    assert!(none.encode().is_empty());
    let roots = dirs(1);
    let fd = roots[0].as_raw_fd() as u32;
    let with = BpfFilter::new("bpf_subtree", Some(Subtree::new(roots).unwrap())).unwrap();
    assert_eq!(words(&with.encode()), [FAN_SUBTREE_ARGS_VERSION, 1, fd]);
    assert!(BpfFilter::new("", None).is_err());
    assert!(BpfFilter::new(&"x".repeat(FAN_FILTER_NAME_MAX), None).is_err());
    assert!(BpfFilter::new(&"x".repeat(FAN_FILTER_NAME_MAX - 1), None).is_ok());
}

#[test]
fn policy_prune_section_carries_the_pruned_directories() {
    let pruned = dirs(2);
    let fds: Vec<u32> = pruned.iter().map(|f| f.as_raw_fd() as u32).collect();
    let only = Policy::pruning(Subtree::new(pruned).unwrap());
    assert_eq!(
        words(&only.encode()),
        [
            FAN_POLICY_ARGS_VERSION,
            1,
            FAN_POLICY_PRUNE,
            16,
            FAN_SUBTREE_ARGS_VERSION,
            2,
            fds[0],
            fds[1]
        ]
    );
    // After the other parts, so the kernel walks for it last.
    let root = dirs(1);
    let root_fd = root[0].as_raw_fd() as u32;
    let both = Policy::new(Some(Subtree::new(root).unwrap()), None, None, None)
        .unwrap()
        .prune(Subtree::new(dirs(1)).unwrap());
    let w = words(&both.encode());
    assert_eq!(&w[..2], &[FAN_POLICY_ARGS_VERSION, 2]);
    assert_eq!(
        &w[2..7],
        &[FAN_POLICY_SUBTREE, 12, FAN_SUBTREE_ARGS_VERSION, 1, root_fd]
    );
    assert_eq!(&w[7..10], &[FAN_POLICY_PRUNE, 12, FAN_SUBTREE_ARGS_VERSION]);
}
