// SPDX-License-Identifier: GPL-2.0

//! Host unit tests of the filters' args parsers, `src/filters/args.rs`, and
//! of the kernel-resident guard's text configuration,
//! `src/filters/config.rs`, which the module builds too: `cargo test` in this directory, no kernel
//! needed.
//!
//! Outside tests the crate is `no_std`, so that `cargo build` and `cargo
//! clippy` also check that `args.rs` needs nothing but `core`.
//!
//! - `support`: encoders of every args struct, owned copies of the decoded
//!   views, and a reference implementation of every parser (an oracle
//!   written independently, with 64-bit arithmetic and plain indexing).
//! - `unit`: valid inputs with their decoded values, every malformed case,
//!   and every limit at and above its bound.
//! - `random`: a seeded xorshift generator feeds each parser 300,000
//!   random, odd (well framed, one rule broken) and mutated valid inputs;
//!   no input may panic, each verdict and decoded value must equal the
//!   oracle's, and every accepted input must re-encode to itself (its size
//!   is the one its header declares). `FANOTIFY_ARGS_SEED` and
//!   `FANOTIFY_ARGS_ITERATIONS` change the seed and the inputs per parser.

#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

#[path = "../../args.rs"]
pub mod args;
#[path = "../../config.rs"]
pub mod config;

#[cfg(test)]
mod support {
    use crate::args::{ActorArgs, GuardArgs, KindArg, NameArgs, NameMatch, PolicyParts, Words};

    /// Native-endian bytes of `words`.
    pub fn ne(words: &[u32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    /// Native-endian bytes of `words`.
    pub fn ne_i32(words: &[i32]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    /// A count as the `u32` of a header.
    pub fn nr(n: usize) -> u32 {
        u32::try_from(n).unwrap()
    }

    pub fn kind_args(kind: u32) -> Vec<u8> {
        ne(&[1, kind])
    }

    pub fn subtree_raw(version: u32, nr_roots: u32, fds: &[i32]) -> Vec<u8> {
        let mut v = ne(&[version, nr_roots]);
        v.extend(ne_i32(fds));
        v
    }

    pub fn subtree_args(fds: &[i32]) -> Vec<u8> {
        subtree_raw(1, nr(fds.len()), fds)
    }

    pub fn guard_raw(
        version: u32,
        nr_roots: u32,
        nr_exempt: u32,
        nr_uids: u32,
        exempt: &[i32],
        uids: &[u32],
        roots: &[i32],
    ) -> Vec<u8> {
        let mut v = ne(&[version, nr_roots, nr_exempt, nr_uids]);
        v.extend(ne_i32(exempt));
        v.extend(ne(uids));
        v.extend(ne_i32(roots));
        v
    }

    pub fn guard_uid_args(exempt: &[i32], uids: &[u32], roots: &[i32]) -> Vec<u8> {
        guard_raw(
            1,
            nr(roots.len()),
            nr(exempt.len()),
            nr(uids.len()),
            exempt,
            uids,
            roots,
        )
    }

    pub fn guard_args(exempt: &[i32], roots: &[i32]) -> Vec<u8> {
        guard_uid_args(exempt, &[], roots)
    }

    pub fn actor_raw(
        version: u32,
        flags: u32,
        nr_tgids: u32,
        nr_uids: u32,
        tgids: &[i32],
        uids: &[u32],
    ) -> Vec<u8> {
        let mut v = ne(&[version, flags, nr_tgids, nr_uids]);
        v.extend(ne_i32(tgids));
        v.extend(ne(uids));
        v
    }

    pub fn actor_args(flags: u32, tgids: &[i32], uids: &[u32]) -> Vec<u8> {
        actor_raw(1, flags, nr(tgids.len()), nr(uids.len()), tgids, uids)
    }

    /// One packed `{ u8 kind; u8 len; u8 name[len]; }`.
    pub fn pattern(kind: u8, name: &[u8]) -> Vec<u8> {
        let mut v = vec![kind, u8::try_from(name.len()).unwrap()];
        v.extend_from_slice(name);
        v
    }

    pub fn name_raw(version: u32, flags: u32, nr_patterns: u32, zero: u32, body: &[u8]) -> Vec<u8> {
        let mut v = ne(&[version, flags, nr_patterns, zero]);
        v.extend_from_slice(body);
        v
    }

    pub fn name_args(flags: u32, patterns: &[(u8, &[u8])]) -> Vec<u8> {
        let body: Vec<u8> = patterns
            .iter()
            .flat_map(|&(kind, name)| pattern(kind, name))
            .collect();
        name_raw(1, flags, nr(patterns.len()), 0, &body)
    }

    /// A policy section: header, payload, zero padding to 4 bytes.
    pub fn section(ty: u32, payload: &[u8]) -> Vec<u8> {
        let mut v = ne(&[ty, nr(payload.len())]);
        v.extend_from_slice(payload);
        v.resize(v.len().next_multiple_of(4), 0);
        v
    }

    pub fn policy_raw(version: u32, nr_sections: u32, body: &[u8]) -> Vec<u8> {
        let mut v = ne(&[version, nr_sections]);
        v.extend_from_slice(body);
        v
    }

    pub fn policy_args(sections: &[(u32, &[u8])]) -> Vec<u8> {
        let body: Vec<u8> = sections
            .iter()
            .flat_map(|&(ty, payload)| section(ty, payload))
            .collect();
        policy_raw(1, nr(sections.len()), &body)
    }

    /// The uapi code of a match kind.
    pub fn match_code(how: NameMatch) -> u8 {
        match how {
            NameMatch::Exact => 1,
            NameMatch::Prefix => 2,
            NameMatch::Suffix => 3,
        }
    }

    pub fn kind_code(kind: KindArg) -> u32 {
        match kind {
            KindArg::Directories => 1,
            KindArg::NonDirectories => 2,
        }
    }

    pub fn i32s(words: &Words<'_>) -> Vec<i32> {
        let v: Vec<i32> = words.iter_i32().collect();
        assert_eq!(v.len(), words.len());
        assert_eq!(v.is_empty(), words.is_empty());
        let u: Vec<u32> = words.iter().collect();
        assert_eq!(u, v.iter().map(|&w| w as u32).collect::<Vec<_>>());
        v
    }

    pub fn u32s(words: &Words<'_>) -> Vec<u32> {
        let v: Vec<u32> = words.iter().collect();
        assert_eq!(v.len(), words.len());
        v
    }

    /// Owned copy of [`GuardArgs`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Guard {
        pub exempt: Vec<i32>,
        pub exempt_uids: Vec<u32>,
        pub roots: Vec<i32>,
    }

    impl Guard {
        pub fn of(args: &GuardArgs<'_>) -> Self {
            Self {
                exempt: i32s(&args.exempt),
                exempt_uids: u32s(&args.exempt_uids),
                roots: i32s(&args.roots),
            }
        }

        pub fn encode(&self) -> Vec<u8> {
            guard_uid_args(&self.exempt, &self.exempt_uids, &self.roots)
        }
    }

    /// Owned copy of [`ActorArgs`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Actor {
        pub exclude: bool,
        pub not_self: bool,
        pub tgids: Vec<i32>,
        pub uids: Vec<u32>,
    }

    impl Actor {
        pub fn of(args: &ActorArgs<'_>) -> Self {
            Self {
                exclude: args.exclude,
                not_self: args.not_self,
                tgids: i32s(&args.tgids),
                uids: u32s(&args.uids),
            }
        }

        pub fn flags(&self) -> u32 {
            u32::from(self.exclude) | u32::from(self.not_self) << 1
        }

        pub fn encode(&self) -> Vec<u8> {
            actor_args(self.flags(), &self.tgids, &self.uids)
        }
    }

    /// Owned copy of [`NameArgs`].
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Name {
        pub exclude: bool,
        pub patterns: Vec<(NameMatch, Vec<u8>)>,
    }

    impl Name {
        pub fn of(args: &NameArgs<'_>) -> Self {
            let patterns: Vec<_> = args.patterns().map(|(h, p)| (h, p.to_vec())).collect();
            assert_eq!(patterns.len(), args.nr_patterns());
            Self {
                exclude: args.exclude,
                patterns,
            }
        }

        pub fn encode(&self) -> Vec<u8> {
            let patterns: Vec<(u8, &[u8])> = self
                .patterns
                .iter()
                .map(|(how, p)| (match_code(*how), p.as_slice()))
                .collect();
            name_args(u32::from(self.exclude), &patterns)
        }

        /// Reference matching: a plain loop.
        pub fn matches(&self, name: &[u8]) -> bool {
            for (how, p) in &self.patterns {
                let hit = match how {
                    NameMatch::Exact => name == p.as_slice(),
                    NameMatch::Prefix => name.len() >= p.len() && name[..p.len()] == p[..],
                    NameMatch::Suffix => {
                        name.len() >= p.len() && name[name.len() - p.len()..] == p[..]
                    }
                };
                if hit {
                    return true;
                }
            }
            false
        }
    }

    /// Owned copy of a policy's framing: (type, payload) per section.
    pub type Sections = Vec<(u32, Vec<u8>)>;

    pub fn sections_of(args: &crate::args::PolicyArgs<'_>) -> Sections {
        use crate::args::PolicySection::*;
        let v: Sections = args
            .sections()
            .map(|s| match s {
                Subtree(p) => (1, p.to_vec()),
                Kind(p) => (2, p.to_vec()),
                Name(p) => (3, p.to_vec()),
                Actor(p) => (4, p.to_vec()),
                Prune(p) => (5, p.to_vec()),
            })
            .collect();
        assert_eq!(v.len(), args.nr_sections());
        v
    }

    pub fn encode_sections(sections: &Sections) -> Vec<u8> {
        let s: Vec<(u32, &[u8])> = sections.iter().map(|(t, p)| (*t, p.as_slice())).collect();
        policy_args(&s)
    }

    /// Owned copy of [`PolicyParts`].
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct Parts {
        pub subtree: Option<Vec<i32>>,
        pub kind: Option<KindArg>,
        pub name: Option<Name>,
        pub actor: Option<Actor>,
        pub prune: Option<Vec<i32>>,
    }

    impl Parts {
        pub fn of(parts: &PolicyParts<'_>) -> Self {
            Self {
                subtree: parts.subtree.as_ref().map(i32s),
                kind: parts.kind,
                name: parts.name.as_ref().map(Name::of),
                actor: parts.actor.as_ref().map(Actor::of),
                prune: parts.prune.as_ref().map(i32s),
            }
        }
    }

    // The oracle: the rules of src/uapi/fanotify_filters.h and of the
    // module's parsers, written as plainly as possible.

    fn rd(b: &[u8], at: u64) -> Option<u32> {
        if at + 4 > b.len() as u64 {
            return None;
        }
        let at = at as usize;
        Some(u32::from_ne_bytes(b[at..at + 4].try_into().unwrap()))
    }

    fn rd_all(b: &[u8], at: u64, n: u64) -> Vec<u32> {
        (0..n).map(|i| rd(b, at + 4 * i).unwrap()).collect()
    }

    pub fn ref_kind(b: &[u8]) -> Option<KindArg> {
        if b.len() != 8 || rd(b, 0)? != 1 {
            return None;
        }
        match rd(b, 4)? {
            1 => Some(KindArg::Directories),
            2 => Some(KindArg::NonDirectories),
            _ => None,
        }
    }

    pub fn ref_subtree(b: &[u8]) -> Option<Vec<i32>> {
        let (version, n) = (rd(b, 0)?, u64::from(rd(b, 4)?));
        if version != 1 || n == 0 || n > 4096 || b.len() as u64 != 8 + 4 * n {
            return None;
        }
        Some(rd_all(b, 8, n).into_iter().map(|w| w as i32).collect())
    }

    pub fn ref_guard(b: &[u8]) -> Option<Guard> {
        let version = rd(b, 0)?;
        let n_roots = u64::from(rd(b, 4)?);
        let n_exempt = u64::from(rd(b, 8)?);
        let n_uids = u64::from(rd(b, 12)?);
        if version != 1
            || n_exempt > 64
            || n_uids > 64
            || n_roots == 0
            || n_roots > 4096
            || b.len() as u64 != 16 + 4 * (n_exempt + n_uids + n_roots)
        {
            return None;
        }
        let exempt: Vec<i32> = rd_all(b, 16, n_exempt)
            .into_iter()
            .map(|w| w as i32)
            .collect();
        if exempt.iter().any(|&t| t <= 0) {
            return None;
        }
        let exempt_uids = rd_all(b, 16 + 4 * n_exempt, n_uids);
        let roots = rd_all(b, 16 + 4 * (n_exempt + n_uids), n_roots)
            .into_iter()
            .map(|w| w as i32)
            .collect();
        Some(Guard {
            exempt,
            exempt_uids,
            roots,
        })
    }

    pub fn ref_actor(b: &[u8]) -> Option<Actor> {
        let version = rd(b, 0)?;
        let flags = rd(b, 4)?;
        let n_tgids = u64::from(rd(b, 8)?);
        let n_uids = u64::from(rd(b, 12)?);
        if version != 1
            || flags > 3
            || n_tgids > 64
            || n_uids > 64
            || b.len() as u64 != 16 + 4 * (n_tgids + n_uids)
            || (n_tgids + n_uids == 0 && flags != 3)
        {
            return None;
        }
        let tgids: Vec<i32> = rd_all(b, 16, n_tgids)
            .into_iter()
            .map(|w| w as i32)
            .collect();
        if tgids.iter().any(|&t| t <= 0) {
            return None;
        }
        Some(Actor {
            exclude: flags & 1 != 0,
            not_self: flags & 2 != 0,
            tgids,
            uids: rd_all(b, 16 + 4 * n_tgids, n_uids),
        })
    }

    pub fn ref_name(b: &[u8]) -> Option<Name> {
        let version = rd(b, 0)?;
        let flags = rd(b, 4)?;
        let n = rd(b, 8)?;
        let zero = rd(b, 12)?;
        if version != 1 || flags > 1 || n == 0 || n > 128 || zero != 0 {
            return None;
        }
        let mut at = 16;
        let mut patterns = Vec::new();
        for _ in 0..n {
            if at + 2 > b.len() {
                return None;
            }
            let how = match b[at] {
                1 => NameMatch::Exact,
                2 => NameMatch::Prefix,
                3 => NameMatch::Suffix,
                _ => return None,
            };
            let len = usize::from(b[at + 1]);
            if len == 0 || at + 2 + len > b.len() {
                return None;
            }
            let name = &b[at + 2..at + 2 + len];
            if name.contains(&b'/') || name.contains(&0) {
                return None;
            }
            patterns.push((how, name.to_vec()));
            at += 2 + len;
        }
        if at != b.len() {
            return None;
        }
        Some(Name {
            exclude: flags == 1,
            patterns,
        })
    }

    pub fn ref_policy(b: &[u8]) -> Option<Sections> {
        let version = rd(b, 0)?;
        let n = rd(b, 4)?;
        if version != 1 || n == 0 || n > 5 {
            return None;
        }
        let mut at: u64 = 8;
        let mut sections = Sections::new();
        for _ in 0..n {
            let ty = rd(b, at)?;
            let size = u64::from(rd(b, at + 4)?);
            let end = at + 8 + size;
            let padded = end.div_ceil(4) * 4;
            if padded > b.len() as u64 {
                return None;
            }
            if b[end as usize..padded as usize].iter().any(|&x| x != 0) {
                return None;
            }
            if !(1..=5).contains(&ty) || sections.iter().any(|(t, _)| *t == ty) {
                return None;
            }
            sections.push((ty, b[(at + 8) as usize..end as usize].to_vec()));
            at = padded;
        }
        if at != b.len() as u64 {
            return None;
        }
        Some(sections)
    }

    pub fn ref_policy_full(b: &[u8]) -> Option<Parts> {
        let mut parts = Parts::default();
        for (ty, payload) in ref_policy(b)? {
            match ty {
                1 => parts.subtree = Some(ref_subtree(&payload)?),
                2 => parts.kind = Some(ref_kind(&payload)?),
                3 => parts.name = Some(ref_name(&payload)?),
                4 => parts.actor = Some(ref_actor(&payload)?),
                5 => parts.prune = Some(ref_subtree(&payload)?),
                _ => unreachable!(),
            }
        }
        Some(parts)
    }
}

#[cfg(test)]
mod unit {
    use crate::args::*;
    use crate::support::*;

    const E: Result<(), ArgsError> = Err(ArgsError::Invalid);

    /// `r` refused as `Invalid`.
    fn refused<T: core::fmt::Debug>(r: Result<T, ArgsError>, what: &str) {
        assert_eq!(r.map(|_| ()), E, "{what}: accepted");
    }

    // The parsers with the decoded view dropped, for the helpers below.
    fn unit_kind(b: &[u8]) -> Result<(), ArgsError> {
        parse_kind(b).map(drop)
    }
    fn unit_subtree(b: &[u8]) -> Result<(), ArgsError> {
        parse_subtree(b).map(drop)
    }
    fn unit_guard(b: &[u8]) -> Result<(), ArgsError> {
        parse_guard(b).map(drop)
    }
    fn unit_actor(b: &[u8]) -> Result<(), ArgsError> {
        parse_actor(b).map(drop)
    }
    fn unit_name(b: &[u8]) -> Result<(), ArgsError> {
        parse_name(b).map(drop)
    }
    fn unit_policy(b: &[u8]) -> Result<(), ArgsError> {
        parse_policy(b).map(drop)
    }

    /// Every proper prefix of `args` refused: a short header, or a cut
    /// array or pattern.
    fn every_prefix_refused(args: &[u8], parse: fn(&[u8]) -> Result<(), ArgsError>) {
        for len in 0..args.len() {
            refused(parse(&args[..len]), &format!("prefix of {len} bytes"));
        }
    }

    /// `args` with 1 to 8 trailing bytes (zeros and not) refused.
    fn trailing_refused(args: &[u8], parse: fn(&[u8]) -> Result<(), ArgsError>) {
        for extra in 1..=8 {
            for byte in [0u8, 0xff] {
                let mut v = args.to_vec();
                v.resize(args.len() + extra, byte);
                refused(parse(&v), &format!("{extra} trailing bytes {byte:#x}"));
            }
        }
    }

    /// `args` with its first word (the version) set to each wrong value refused.
    fn bad_version_refused(args: &[u8], parse: fn(&[u8]) -> Result<(), ArgsError>) {
        for version in [0u32, 2, 0x100, 0x101, 0x0100_0001, 0x8000_0001, u32::MAX] {
            let mut v = args.to_vec();
            v[..4].copy_from_slice(&version.to_ne_bytes());
            refused(parse(&v), &format!("version {version:#x}"));
        }
    }

    /// The counts that overflow a size computed in 32 bits, or are absurd.
    const HUGE: [u32; 7] = [
        0x4000_0000,
        0x4000_0001,
        0x7fff_ffff,
        0x8000_0000,
        0xc000_0000,
        0xffff_fffe,
        u32::MAX,
    ];

    // kind

    #[test]
    fn kind_valid() {
        assert_eq!(parse_kind(&kind_args(1)), Ok(KindArg::Directories));
        assert_eq!(parse_kind(&kind_args(2)), Ok(KindArg::NonDirectories));
    }

    #[test]
    fn kind_bad_kind() {
        for kind in [0, 3, 4, 0x101, 0x8000_0001, u32::MAX] {
            refused(parse_kind(&kind_args(kind)), &format!("kind {kind}"));
        }
    }

    #[test]
    fn kind_bad_version_and_size() {
        let args = kind_args(1);
        bad_version_refused(&args, unit_kind);
        every_prefix_refused(&args, unit_kind);
        trailing_refused(&args, unit_kind);
        refused(parse_kind(&[]), "empty");
    }

    // subtree

    #[test]
    fn subtree_valid() {
        let roots_args = subtree_args(&[3]);
        let roots = parse_subtree(&roots_args).unwrap();
        assert_eq!(roots.len(), 1);
        assert!(!roots.is_empty());
        assert_eq!(i32s(&roots), [3]);

        // fds are not checked here: resolving them is the module's.
        let fds = [0, -1, 7, i32::MAX, i32::MIN, 3];
        let roots_args = subtree_args(&fds);
        let roots = parse_subtree(&roots_args).unwrap();
        assert_eq!(i32s(&roots), fds);
        assert_eq!(u32s(&roots), [0, u32::MAX, 7, 0x7fff_ffff, 0x8000_0000, 3]);
    }

    #[test]
    fn subtree_roots_limit() {
        let fds: Vec<i32> = (0..4096).collect();
        let roots_args = subtree_args(&fds);
        let roots = parse_subtree(&roots_args).unwrap();
        assert_eq!(roots.len(), MAX_ROOTS);
        assert_eq!(i32s(&roots), fds);

        let fds: Vec<i32> = (0..4097).collect();
        refused(parse_subtree(&subtree_args(&fds)), "4097 roots");
        refused(parse_subtree(&subtree_args(&[])), "no root");
        refused(parse_subtree(&subtree_raw(1, 0, &[3])), "nr 0, one fd");
    }

    #[test]
    fn subtree_malformed() {
        let args = subtree_args(&[3, 4]);
        bad_version_refused(&args, unit_subtree);
        every_prefix_refused(&args, unit_subtree);
        trailing_refused(&args, unit_subtree);
        refused(parse_subtree(&subtree_raw(1, 2, &[3])), "nr 2, one fd");
        refused(parse_subtree(&subtree_raw(1, 1, &[3, 4])), "nr 1, two fds");
        for n in HUGE {
            refused(
                parse_subtree(&subtree_raw(1, n, &[])),
                &format!("nr {n:#x}"),
            );
            refused(
                parse_subtree(&subtree_raw(1, n, &[3])),
                &format!("nr {n:#x}, one fd"),
            );
        }
    }

    // guard

    #[test]
    fn guard_valid() {
        let g_args = guard_args(&[], &[5]);
        let g = parse_guard(&g_args).unwrap();
        assert_eq!(
            Guard::of(&g),
            Guard {
                exempt: vec![],
                exempt_uids: vec![],
                roots: vec![5]
            }
        );
        assert!(g.exempt.is_empty());
        // Uids between the tgids and the roots; any u32 (the filter maps
        // them, refusing unmapped ones).
        let g_args = guard_uid_args(&[9], &[0, 1000, u32::MAX], &[5, 6]);
        let g = parse_guard(&g_args).unwrap();
        assert_eq!(
            Guard::of(&g),
            Guard {
                exempt: vec![9],
                exempt_uids: vec![0, 1000, u32::MAX],
                roots: vec![5, 6]
            }
        );

        let g_args = guard_args(&[1, 42, i32::MAX], &[3, -1]);

        let g = parse_guard(&g_args).unwrap();
        assert_eq!(
            Guard::of(&g),
            Guard {
                exempt: vec![1, 42, i32::MAX],
                exempt_uids: vec![],
                roots: vec![3, -1],
            }
        );
    }

    #[test]
    fn guard_limits() {
        let exempt: Vec<i32> = (1..=64).collect();
        let roots: Vec<i32> = (0..4096).collect();
        let g_args = guard_args(&exempt, &roots);
        let g = parse_guard(&g_args).unwrap();
        assert_eq!(g.exempt.len(), MAX_EXEMPT);
        assert_eq!(g.roots.len(), MAX_ROOTS);
        assert_eq!(
            Guard::of(&g),
            Guard {
                exempt: exempt.clone(),
                exempt_uids: vec![],
                roots
            }
        );
        let uids: Vec<u32> = (0..64).collect();
        let g_args = guard_uid_args(&exempt, &uids, &[3]);
        assert_eq!(parse_guard(&g_args).unwrap().exempt_uids.len(), MAX_EXEMPT);

        let exempt: Vec<i32> = (1..=65).collect();
        refused(parse_guard(&guard_args(&exempt, &[3])), "65 exempt");
        let uids: Vec<u32> = (0..65).collect();
        refused(parse_guard(&guard_uid_args(&[], &uids, &[3])), "65 uids");
        let roots: Vec<i32> = (0..4097).collect();
        refused(parse_guard(&guard_args(&[], &roots)), "4097 roots");
        refused(parse_guard(&guard_args(&[1], &[])), "no root");
    }

    #[test]
    fn guard_exempt_tgids_positive() {
        // The one rule the module's guard did not have: as in actor.
        for tgid in [0, -1, -42, i32::MIN] {
            refused(
                parse_guard(&guard_args(&[tgid], &[3])),
                &format!("tgid {tgid}"),
            );
            refused(
                parse_guard(&guard_args(&[1, 2, tgid], &[3])),
                &format!("tgid {tgid} last"),
            );
        }
        assert!(parse_guard(&guard_args(&[1, i32::MAX], &[3])).is_ok());
    }

    #[test]
    fn guard_malformed() {
        let args = guard_args(&[7], &[3, 4]);
        bad_version_refused(&args, unit_guard);
        every_prefix_refused(&args, unit_guard);
        trailing_refused(&args, unit_guard);
        // Counts that do not add up to the size.
        for n in [1, 0x100, 0x8000_0000, u32::MAX] {
            refused(
                parse_guard(&guard_raw(1, 1, 0, n, &[], &[], &[3])),
                &format!("uids {n:#x} missing"),
            );
        }
        refused(
            parse_guard(&guard_raw(1, 1, 1, 0, &[], &[], &[3])),
            "exempt missing",
        );
        refused(
            parse_guard(&guard_raw(1, 1, 0, 0, &[7], &[], &[3])),
            "exempt not counted",
        );
        refused(
            parse_guard(&guard_raw(1, 1, 0, 0, &[], &[7], &[3])),
            "uid not counted",
        );
        refused(
            parse_guard(&guard_raw(1, 2, 1, 0, &[7], &[], &[3])),
            "root missing",
        );
        // The counts, not the caller's intent, split the ids.
        let args = guard_raw(1, 1, 2, 0, &[7], &[], &[3, 4]);
        let g = parse_guard(&args).unwrap();
        assert_eq!((i32s(&g.exempt), i32s(&g.roots)), (vec![7, 3], vec![4]));
        let args = guard_raw(1, 1, 1, 1, &[7], &[], &[3, 4]);
        let g = parse_guard(&args).unwrap();
        assert_eq!(
            (i32s(&g.exempt), u32s(&g.exempt_uids), i32s(&g.roots)),
            (vec![7], vec![3], vec![4])
        );
        for n in HUGE {
            refused(
                parse_guard(&guard_raw(1, n, 0, 0, &[], &[], &[3])),
                &format!("nr_roots {n:#x}"),
            );
            refused(
                parse_guard(&guard_raw(1, 1, n, 0, &[], &[], &[3])),
                &format!("nr_exempt {n:#x}"),
            );
            refused(
                parse_guard(&guard_raw(1, 1, 0, n, &[], &[], &[3])),
                &format!("nr_exempt_uids {n:#x}"),
            );
            refused(
                parse_guard(&guard_raw(1, n, n, n, &[], &[], &[])),
                &format!("all {n:#x}"),
            );
        }
    }

    // actor

    #[test]
    fn actor_valid() {
        let a_args = actor_args(0, &[1, 100, i32::MAX], &[]);
        let a = parse_actor(&a_args).unwrap();
        assert_eq!(
            Actor::of(&a),
            Actor {
                exclude: false,
                not_self: false,
                tgids: vec![1, 100, i32::MAX],
                uids: vec![],
            }
        );
        // The parser takes any uid, root's included; the filter maps them.
        let a_args = actor_args(1, &[], &[0, 1000, u32::MAX]);
        let a = parse_actor(&a_args).unwrap();
        assert_eq!(
            Actor::of(&a),
            Actor {
                exclude: true,
                not_self: false,
                tgids: vec![],
                uids: vec![0, 1000, u32::MAX],
            }
        );
        let a_args = actor_args(2, &[5], &[6]);
        let a = parse_actor(&a_args).unwrap();
        assert!(!a.exclude && a.not_self);
        assert_eq!((i32s(&a.tgids), u32s(&a.uids)), (vec![5], vec![6]));
        let a_args = actor_args(3, &[5], &[6, 7]);
        let a = parse_actor(&a_args).unwrap();
        assert!(a.exclude && a.not_self);
    }

    #[test]
    fn actor_no_ids() {
        // "Everyone but me" is the only filter without ids.
        let a_args = actor_args(3, &[], &[]);
        let a = parse_actor(&a_args).unwrap();
        assert!(a.exclude && a.not_self && a.tgids.is_empty() && a.uids.is_empty());
        for flags in [0, 1, 2] {
            refused(
                parse_actor(&actor_args(flags, &[], &[])),
                &format!("flags {flags}, no id"),
            );
        }
    }

    #[test]
    fn actor_bad_flags() {
        for flags in [4, 5, 7, 8, 0x100, 0x8000_0000, u32::MAX] {
            refused(
                parse_actor(&actor_args(flags, &[1], &[])),
                &format!("flags {flags:#x}"),
            );
        }
    }

    #[test]
    fn actor_tgids_positive() {
        for tgid in [0, -1, i32::MIN] {
            refused(
                parse_actor(&actor_args(0, &[tgid], &[])),
                &format!("tgid {tgid}"),
            );
            refused(
                parse_actor(&actor_args(3, &[1, tgid], &[0])),
                &format!("tgid {tgid} second"),
            );
        }
    }

    #[test]
    fn actor_limits() {
        let tgids: Vec<i32> = (1..=64).collect();
        let uids: Vec<u32> = (0..64).collect();
        let a_args = actor_args(0, &tgids, &uids);
        let a = parse_actor(&a_args).unwrap();
        assert_eq!(a.tgids.len(), MAX_IDS);
        assert_eq!(a.uids.len(), MAX_IDS);
        assert_eq!(
            (i32s(&a.tgids), u32s(&a.uids)),
            (tgids.clone(), uids.clone())
        );

        let many_tgids: Vec<i32> = (1..=65).collect();
        let many_uids: Vec<u32> = (0..65).collect();
        refused(parse_actor(&actor_args(0, &many_tgids, &[])), "65 tgids");
        refused(parse_actor(&actor_args(0, &[], &many_uids)), "65 uids");
        refused(
            parse_actor(&actor_args(0, &many_tgids, &uids)),
            "65 tgids, 64 uids",
        );
    }

    #[test]
    fn actor_malformed() {
        let args = actor_args(1, &[7], &[8, 9]);
        bad_version_refused(&args, unit_actor);
        every_prefix_refused(&args, unit_actor);
        trailing_refused(&args, unit_actor);
        refused(
            parse_actor(&actor_raw(1, 0, 2, 0, &[7], &[])),
            "tgid missing",
        );
        refused(
            parse_actor(&actor_raw(1, 0, 1, 1, &[7], &[])),
            "uid missing",
        );
        refused(
            parse_actor(&actor_raw(1, 0, 0, 1, &[7], &[8])),
            "id not counted",
        );
        for n in HUGE {
            refused(
                parse_actor(&actor_raw(1, 0, n, 0, &[7], &[])),
                &format!("nr_tgids {n:#x}"),
            );
            refused(
                parse_actor(&actor_raw(1, 0, 0, n, &[], &[7])),
                &format!("nr_uids {n:#x}"),
            );
            refused(
                parse_actor(&actor_raw(1, 0, n, n, &[], &[])),
                &format!("both {n:#x}"),
            );
        }
    }

    // name

    #[test]
    fn name_valid() {
        let args = name_args(0, &[(1, b"foo"), (2, b"tmp"), (3, b".so")]);
        let n = parse_name(&args).unwrap();
        assert_eq!(n.nr_patterns(), 3);
        assert_eq!(
            Name::of(&n),
            Name {
                exclude: false,
                patterns: vec![
                    (NameMatch::Exact, b"foo".to_vec()),
                    (NameMatch::Prefix, b"tmp".to_vec()),
                    (NameMatch::Suffix, b".so".to_vec()),
                ],
            }
        );
        assert_eq!(n.packed(), &args[16..]);
        let n_args = name_args(1, &[(3, b"~")]);
        let n = parse_name(&n_args).unwrap();
        assert!(n.exclude);
        assert_eq!(
            n.patterns().collect::<Vec<_>>(),
            [(NameMatch::Suffix, &b"~"[..])]
        );
    }

    #[test]
    fn name_any_byte_but_slash_and_nul() {
        // 254 bytes: every byte value but '/' and NUL, not UTF-8.
        let name: Vec<u8> = (1..=255u8).filter(|&b| b != b'/').collect();
        let n_args = name_args(0, &[(1, &name)]);
        let n = parse_name(&n_args).unwrap();
        assert_eq!(n.patterns().next(), Some((NameMatch::Exact, &name[..])));
        let long = [b'x'; 255];
        let n_args = name_args(0, &[(2, &long)]);
        let n = parse_name(&n_args).unwrap();
        assert_eq!(n.patterns().next(), Some((NameMatch::Prefix, &long[..])));
    }

    #[test]
    fn name_limits() {
        let names: Vec<Vec<u8>> = (0..129).map(|i| format!("n{i}").into_bytes()).collect();
        let patterns: Vec<(u8, &[u8])> = names.iter().map(|n| (1, n.as_slice())).collect();
        let n_args = name_args(0, &patterns[..128]);
        let n = parse_name(&n_args).unwrap();
        assert_eq!(n.nr_patterns(), MAX_PATTERNS);
        assert_eq!(n.patterns().count(), MAX_PATTERNS);
        refused(parse_name(&name_args(0, &patterns)), "129 patterns");
        refused(parse_name(&name_args(0, &[])), "no pattern");
        refused(
            parse_name(&name_raw(1, 0, 0, 0, &pattern(1, b"a"))),
            "nr 0, one pattern",
        );

        // The largest args: 128 patterns of 255 bytes.
        let long = [b'y'; 255];
        let patterns = vec![(3u8, &long[..]); 128];
        let args = name_args(0, &patterns);
        assert_eq!(args.len(), 16 + 128 * 257);
        assert_eq!(parse_name(&args).unwrap().patterns().count(), 128);
    }

    #[test]
    fn name_bad_patterns() {
        for kind in [0, 4, 0x80, 0xff] {
            refused(
                parse_name(&name_args(0, &[(kind, b"a")])),
                &format!("kind {kind}"),
            );
            refused(
                parse_name(&name_args(0, &[(1, b"a"), (kind, b"b")])),
                &format!("second kind {kind}"),
            );
        }
        for bad in [
            &b""[..],
            b"/",
            b"a/b",
            b"ab/",
            b"/ab",
            b"\0",
            b"a\0",
            b"\0a",
            b"a\0b",
        ] {
            for kind in 1..=3 {
                refused(
                    parse_name(&name_args(0, &[(kind, bad)])),
                    &format!("name {bad:?}"),
                );
                refused(
                    parse_name(&name_args(0, &[(kind, b"ok"), (kind, bad)])),
                    &format!("second name {bad:?}"),
                );
            }
        }
    }

    #[test]
    fn name_malformed() {
        let args = name_args(1, &[(1, b"abc"), (3, b".c")]);
        bad_version_refused(&args, unit_name);
        // Cuts the header, a pattern's kind, len or name.
        every_prefix_refused(&args, unit_name);
        trailing_refused(&args, unit_name);
        let body = [pattern(1, b"abc"), pattern(3, b".c")].concat();
        for flags in [2, 3, 0x100, 0x8000_0000, u32::MAX] {
            refused(
                parse_name(&name_raw(1, flags, 2, 0, &body)),
                &format!("flags {flags:#x}"),
            );
        }
        for zero in [1, 0x100, u32::MAX] {
            refused(
                parse_name(&name_raw(1, 0, 2, zero, &body)),
                &format!("zero {zero:#x}"),
            );
        }
        refused(
            parse_name(&name_raw(1, 0, 1, 0, &body)),
            "a pattern not counted",
        );
        refused(
            parse_name(&name_raw(1, 0, 3, 0, &body)),
            "a pattern missing",
        );
        // len larger than what follows.
        refused(
            parse_name(&name_raw(1, 0, 1, 0, &[1, 5, b'a', b'b'])),
            "name cut",
        );
        refused(
            parse_name(&name_raw(1, 0, 1, 0, &[1, 255, b'a'])),
            "len 255, one byte",
        );
        for n in HUGE {
            refused(
                parse_name(&name_raw(1, 0, n, 0, &body)),
                &format!("nr {n:#x}"),
            );
        }
    }

    #[test]
    fn name_matches() {
        let n_args = name_args(0, &[(1, b"foo"), (2, b"tmp"), (3, b".so")]);
        let n = parse_name(&n_args).unwrap();
        for (name, want) in [
            (&b"foo"[..], true),
            (b"foo.c", false),
            (b"fo", false),
            (b"afoo", false),
            (b"FOO", false),
            (b"", false),
            (b"tmp", true),
            (b"tmpfile", true),
            (b"atmp", false),
            (b"tm", false),
            (b"libc.so", true),
            (b".so", true),
            (b"so", false),
            (b"libc.so.6", false),
            (b".sox", false),
            (b"foo.so", true),
            (b"tmp.so", true),
        ] {
            assert_eq!(n.matches(name), want, "{:?}", String::from_utf8_lossy(name));
            // A copy of the packed patterns matches the same.
            let copy = n.packed().to_vec();
            assert_eq!(packed_patterns_match(&copy, name), want);
        }
        // Exclusion is the caller's: matches() does not apply it.
        let n_args = name_args(1, &[(1, b"foo")]);
        let n = parse_name(&n_args).unwrap();
        assert!(n.exclude && n.matches(b"foo") && !n.matches(b"bar"));
        // Non-UTF-8 bytes compare as bytes.
        let n_args = name_args(0, &[(3, b"\xff\xfe")]);
        let n = parse_name(&n_args).unwrap();
        assert!(n.matches(b"a\xff\xfe") && !n.matches(b"a\xfe\xff"));
    }

    #[test]
    fn packed_patterns_match_garbage() {
        assert!(!packed_patterns_match(&[], b"a"));
        assert!(!packed_patterns_match(&[1], b"a"));
        assert!(!packed_patterns_match(&[1, 5, b'a'], b"a"));
        assert!(!packed_patterns_match(&[9, 1, b'a'], b"a"));
        // The walk stops at the malformed pattern, after the good one.
        assert!(packed_patterns_match(&[1, 1, b'a', 9], b"a"));
        assert!(!packed_patterns_match(&[1, 1, b'a', 9, 1, b'b'], b"b"));
    }

    // policy

    #[test]
    fn policy_each_type() {
        let subtree = subtree_args(&[3, 4]);
        let kind = kind_args(2);
        let name = name_args(0, &[(3, b".so")]);
        let actor = actor_args(3, &[], &[]);
        for (ty, payload) in [
            (1, &subtree),
            (2, &kind),
            (3, &name),
            (4, &actor),
            (5, &subtree),
        ] {
            let args = policy_args(&[(ty, payload)]);
            let p = parse_policy(&args).unwrap();
            assert_eq!(p.nr_sections(), 1);
            let want = match ty {
                1 => PolicySection::Subtree(payload),
                2 => PolicySection::Kind(payload),
                3 => PolicySection::Name(payload),
                4 => PolicySection::Actor(payload),
                _ => PolicySection::Prune(payload),
            };
            assert_eq!(p.sections().collect::<Vec<_>>(), [want]);
            let parts = Parts::of(&parse_policy_full(&args).unwrap());
            let mut want = Parts::default();
            match ty {
                1 => want.subtree = Some(vec![3, 4]),
                2 => want.kind = Some(KindArg::NonDirectories),
                3 => want.name = Some(Name::of(&parse_name(&name).unwrap())),
                4 => want.actor = Some(Actor::of(&parse_actor(&actor).unwrap())),
                _ => want.prune = Some(vec![3, 4]),
            }
            assert_eq!(parts, want);
        }
    }

    #[test]
    fn policy_all_five() {
        let subtree = subtree_args(&[9]);
        let prune = subtree_args(&[10, 11]);
        let kind = kind_args(1);
        let name = name_args(1, &[(1, b"core"), (2, b".#")]);
        let actor = actor_args(0, &[42], &[1000]);
        let args = policy_args(&[
            (4, &actor),
            (5, &prune),
            (3, &name),
            (2, &kind),
            (1, &subtree),
        ]);
        let p = parse_policy(&args).unwrap();
        assert_eq!(p.nr_sections(), 5);
        assert_eq!(
            p.sections().collect::<Vec<_>>(),
            [
                PolicySection::Actor(&actor),
                PolicySection::Prune(&prune),
                PolicySection::Name(&name),
                PolicySection::Kind(&kind),
                PolicySection::Subtree(&subtree),
            ]
        );
        let parts = Parts::of(&parse_policy_full(&args).unwrap());
        assert_eq!(
            parts,
            Parts {
                subtree: Some(vec![9]),
                kind: Some(KindArg::Directories),
                name: Some(Name {
                    exclude: true,
                    patterns: vec![
                        (NameMatch::Exact, b"core".to_vec()),
                        (NameMatch::Prefix, b".#".to_vec()),
                    ],
                }),
                actor: Some(Actor {
                    exclude: false,
                    not_self: false,
                    tgids: vec![42],
                    uids: vec![1000],
                }),
                prune: Some(vec![10, 11]),
            }
        );
    }

    #[test]
    fn policy_largest() {
        let fds: Vec<i32> = (0..4096).collect();
        let subtree = subtree_args(&fds);
        let long = [b'z'; 255];
        let name = name_args(0, &vec![(3u8, &long[..]); 128]);
        let tgids: Vec<i32> = (1..=64).collect();
        let uids: Vec<u32> = (0..64).collect();
        let actor = actor_args(1, &tgids, &uids);
        let kind = kind_args(2);
        let args = policy_args(&[(1, &subtree), (3, &name), (4, &actor), (2, &kind)]);
        // Four parts at their largest: still below FAN_FILTER_ARGS_MAX.
        assert!(args.len() < 65536);
        let parts = parse_policy_full(&args).unwrap();
        assert_eq!(parts.subtree.map(|w| w.len()), Some(4096));
        assert_eq!(parts.name.map(|n| n.nr_patterns()), Some(128));
        assert_eq!(parts.actor.map(|a| a.tgids.len() + a.uids.len()), Some(128));
        assert_eq!(parts.kind, Some(KindArg::NonDirectories));
        // All five at their largest are not: the kernel refuses them with
        // E2BIG before the parser sees them (the uapi says so); the parser
        // itself has no such limit.
        let five = policy_args(&[
            (1, &subtree),
            (3, &name),
            (4, &actor),
            (2, &kind),
            (5, &subtree),
        ]);
        assert!(five.len() > 65536, "{}", five.len());
        let parts = parse_policy_full(&five).unwrap();
        assert_eq!(parts.prune.map(|w| w.len()), Some(4096));
    }

    #[test]
    fn policy_padding() {
        // 16 + 2 + 3 = 21 bytes of name args: 3 bytes of padding.
        let name = name_args(0, &[(3, b".so")]);
        assert_eq!(name.len(), 21);
        let args = policy_args(&[(3, &name)]);
        assert_eq!(args.len(), 8 + 8 + 24);
        assert!(parse_policy_full(&args).is_ok());
        for at in args.len() - 3..args.len() {
            let mut v = args.clone();
            v[at] = 1;
            refused(parse_policy(&v), &format!("padding byte {at} not zero"));
        }
        for cut in 1..=3 {
            refused(
                parse_policy(&args[..args.len() - cut]),
                &format!("padding cut by {cut}"),
            );
        }
        trailing_refused(&args, unit_policy);

        // Padding between sections: the second starts after it.
        let kind = kind_args(1);
        let args = policy_args(&[(3, &name), (2, &kind)]);
        assert!(parse_policy_full(&args).is_ok());
        let mut v = args.clone();
        v[8 + 8 + 21] = 0xff;
        refused(parse_policy(&v), "padding between sections");
        // The same sections without the padding.
        let mut v = policy_raw(1, 2, &ne(&[3, 21]));
        v.extend_from_slice(&name);
        v.extend(section(2, &kind));
        refused(parse_policy(&v), "padding missing between sections");

        // No padding after a payload of whole words.
        let args = policy_args(&[(2, &kind)]);
        assert_eq!(args.len(), 8 + 8 + 8);
        let mut v = args.clone();
        v.extend([0; 4]);
        refused(parse_policy(&v), "a word of padding too many");
    }

    #[test]
    fn policy_sections() {
        let kind = kind_args(1);
        let subtree = subtree_args(&[3]);
        refused(parse_policy(&policy_args(&[])), "no section");
        refused(
            parse_policy(&policy_raw(1, 0, &section(2, &kind))),
            "nr 0, one section",
        );
        refused(
            parse_policy(&policy_args(&[(2, &kind), (2, &kind)])),
            "kind twice",
        );
        refused(
            parse_policy(&policy_args(&[(1, &subtree), (2, &kind), (1, &subtree)])),
            "subtree twice",
        );
        // Each type twice, next to each other or not.
        let name = name_args(0, &[(1, b"a")]);
        let actor = actor_args(3, &[], &[]);
        let each: [(u32, &[u8]); 5] = [
            (1, &subtree),
            (2, &kind),
            (3, &name),
            (4, &actor),
            (5, &subtree),
        ];
        for (ty, payload) in each {
            refused(
                parse_policy(&policy_args(&[(ty, payload), (ty, payload)])),
                &format!("type {ty} twice"),
            );
            let other = if ty == 2 { each[0] } else { each[1] };
            refused(
                parse_policy(&policy_args(&[(ty, payload), other, (ty, payload)])),
                &format!("type {ty} twice, apart"),
            );
        }
        refused(
            parse_policy(&policy_args(&[(2, &kind), (2, &kind_args(2))])),
            "kind twice, differing",
        );
        // Six sections: one is a duplicate whatever they are.
        let six: [(u32, &[u8]); 6] = [
            (1, &subtree),
            (2, &kind),
            (3, &kind),
            (4, &kind),
            (5, &subtree),
            (2, &kind),
        ];
        refused(parse_policy(&policy_args(&six)), "six sections");
        let five: Vec<u8> = six[..5].iter().flat_map(|(t, p)| section(*t, p)).collect();
        refused(
            parse_policy(&policy_raw(1, 6, &five)),
            "nr 6, five sections",
        );
        refused(
            parse_policy(&policy_raw(1, 2, &section(2, &kind))),
            "a section missing",
        );
        let two = [section(2, &kind), section(1, &subtree)].concat();
        refused(
            parse_policy(&policy_raw(1, 1, &two)),
            "a section not counted",
        );
        for ty in [0, 6, 7, 0x100, 0x8000_0001, u32::MAX] {
            refused(
                parse_policy(&policy_args(&[(ty, &kind)])),
                &format!("type {ty:#x}"),
            );
        }
        for n in HUGE {
            refused(
                parse_policy(&policy_raw(1, n, &section(2, &kind))),
                &format!("nr {n:#x}"),
            );
        }
    }

    #[test]
    fn policy_sizes() {
        let kind = kind_args(1);
        let args = policy_args(&[(2, &kind)]);
        bad_version_refused(&args, unit_policy);
        every_prefix_refused(&args, unit_policy);
        let tail = section(1, &subtree_args(&[3]));
        for size in [
            9,
            12,
            16,
            0x1000,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fff8,
            0xffff_fffb,
            0xffff_fffc,
            0xffff_fffd,
            0xffff_fffe,
            u32::MAX,
        ] {
            let mut body = ne(&[2, size]);
            body.extend_from_slice(&kind);
            refused(
                parse_policy(&policy_raw(1, 1, &body)),
                &format!("size {size:#x}"),
            );
            // With a section after: framed differently, but refused.
            body.extend_from_slice(&tail);
            let args = policy_raw(1, 2, &body);
            refused(
                parse_policy_full(&args),
                &format!("size {size:#x}, then more"),
            );
            if size >= 0x1000 {
                refused(parse_policy(&args), &format!("size {size:#x}, then more"));
            }
        }
        // Smaller than the payload: the rest is not zero padding.
        let mut body = ne(&[2, 4]);
        body.extend_from_slice(&kind);
        refused(parse_policy(&policy_raw(1, 1, &body)), "size 4 of 8");
    }

    #[test]
    fn policy_framing_then_payloads() {
        // Well framed, bad payloads: parse_policy accepts, the full parse
        // does not.
        let bad_payloads: [(u32, Vec<u8>); 9] = [
            (1, Vec::new()),
            (1, subtree_args(&[])),
            (2, Vec::new()),
            (2, kind_args(3)),
            (2, kind_args(1)[..7].to_vec()),
            (3, name_args(0, &[(1, b"a/b")])),
            (3, name_args(2, &[(1, b"ab")])),
            (4, actor_args(0, &[0], &[])),
            (4, actor_args(1, &[], &[])),
        ];
        for (ty, payload) in &bad_payloads {
            let args = policy_args(&[(2 + (*ty == 2) as u32 * 2, &kind_args(1)), (*ty, payload)]);
            let p = parse_policy(&args);
            assert!(
                p.is_ok(),
                "type {ty}, payload {payload:02x?}: framing refused"
            );
            refused(
                parse_policy_full(&args),
                &format!("type {ty}, payload {payload:02x?}"),
            );
        }
        // A guard's args are no policy section.
        let guard = guard_args(&[], &[3]);
        refused(
            parse_policy_full(&policy_args(&[(1, &guard)])),
            "guard args as subtree",
        );
    }
}

#[cfg(test)]
mod random {
    use crate::args::*;
    use crate::support::*;
    use std::fmt::Debug;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// Inputs per parser (300,000 unless the environment says otherwise).
    fn iterations() -> usize {
        std::env::var("FANOTIFY_ARGS_ITERATIONS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300_000)
    }

    /// The seed of a run: the base seed mixed with a hash of its name.
    fn seed(what: &str) -> u64 {
        let salt = what.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let base = std::env::var("FANOTIFY_ARGS_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0x5eed_fa90_7f11_7e55);
        base ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    /// xorshift64, seeded through splitmix64: deterministic, no crate.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            Rng((z ^ (z >> 31)) | 1)
        }

        pub fn next_u64(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        pub fn u32(&mut self) -> u32 {
            (self.next_u64() >> 32) as u32
        }

        pub fn u8(&mut self) -> u8 {
            (self.next_u64() >> 56) as u8
        }

        /// Uniform in `0..n`, `n > 0`.
        pub fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n as u64) as usize
        }

        pub fn one_in(&mut self, n: usize) -> bool {
            self.below(n) == 0
        }

        pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
            from[self.below(from.len())]
        }

        pub fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.u8()).collect()
        }
    }

    /// Words that hit the parsers' edges: versions, limits, kinds, flags,
    /// and counts whose size overflows 32 bits.
    const INTERESTING: [u32; 30] = [
        0,
        1,
        2,
        3,
        4,
        5,
        7,
        8,
        16,
        21,
        63,
        64,
        65,
        127,
        128,
        129,
        255,
        256,
        4095,
        4096,
        4097,
        0x3fff_ffff,
        0x4000_0000,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_fff8,
        0xffff_fffc,
        0xffff_fffd,
        0xffff_fffe,
        u32::MAX,
    ];

    /// Bytes that hit the name rules and kinds.
    const INTERESTING_BYTES: [u8; 10] = [0, 1, 2, 3, 4, b'/', b'.', 0x7f, 0x80, 0xff];

    fn put_word(v: &mut [u8], at: usize, w: u32) {
        if let Some(field) = v.get_mut(at..at + 4) {
            field.copy_from_slice(&w.to_ne_bytes());
        }
    }

    /// One to three random edits of `v`.
    fn mutate(rng: &mut Rng, v: &mut Vec<u8>) {
        for _ in 0..1 + rng.below(3) {
            let len = v.len();
            match rng.below(10) {
                0 if len > 0 => {
                    let at = rng.below(len);
                    v[at] ^= 1 << rng.below(8);
                }
                1 if len > 0 => {
                    let at = rng.below(len);
                    v[at] = if rng.one_in(2) {
                        rng.pick(&INTERESTING_BYTES)
                    } else {
                        rng.u8()
                    };
                }
                // Header words most of the time, any aligned word else.
                2 | 3 if len >= 4 => {
                    let words = len / 4;
                    let k = if rng.one_in(2) {
                        rng.below(words.min(4))
                    } else {
                        rng.below(words)
                    };
                    let w = if rng.one_in(4) {
                        rng.u32()
                    } else {
                        rng.pick(&INTERESTING)
                    };
                    put_word(v, 4 * k, w);
                }
                4 if len >= 4 => {
                    let at = rng.below(len - 3);
                    let w = rng.pick(&INTERESTING);
                    put_word(v, at, w);
                }
                5 => v.truncate(rng.below(len + 1)),
                6 => v.truncate(len.saturating_sub(1 + rng.below(4))),
                7 => {
                    let n = 1 + rng.below(8);
                    let zeros = rng.one_in(2);
                    for _ in 0..n {
                        let b = if zeros { 0 } else { rng.u8() };
                        v.push(b);
                    }
                }
                8 => {
                    let at = rng.below(len + 1);
                    let b = rng.pick(&INTERESTING_BYTES);
                    v.insert(at, b);
                }
                9 if len > 0 => {
                    let at = rng.below(len);
                    v.remove(at);
                }
                _ => {}
            }
        }
    }

    /// Random bytes, half the time with version 1 and small header words,
    /// so that the random inputs get past the first checks.
    fn random_input(rng: &mut Rng) -> Vec<u8> {
        let len = rng.below(72);
        let mut v = rng.bytes(len);
        if rng.one_in(2) {
            put_word(&mut v, 0, 1);
            for k in 1..4 {
                if rng.one_in(2) {
                    let w = rng.below(6) as u32;
                    put_word(&mut v, 4 * k, w);
                }
            }
        }
        v
    }

    fn gen_fd(rng: &mut Rng) -> i32 {
        if rng.one_in(4) {
            rng.u32() as i32
        } else {
            rng.below(1024) as i32
        }
    }

    fn gen_tgid(rng: &mut Rng) -> i32 {
        if rng.one_in(4) {
            1 + (rng.u32() >> 1) as i32 % i32::MAX
        } else {
            1 + rng.below(100_000) as i32
        }
    }

    /// A count in `lo..=hi`, usually small, sometimes at the limit; when
    /// `odd`, sometimes one beyond either bound instead.
    fn gen_count(rng: &mut Rng, lo: usize, hi: usize, rare: usize, odd: bool) -> usize {
        if odd && rng.one_in(rare.min(8)) {
            if lo > 0 && rng.one_in(2) {
                lo - 1
            } else {
                hi + 1
            }
        } else if rng.one_in(rare) {
            hi - rng.below(2).min(hi - lo)
        } else {
            lo + rng.below(6.min(hi - lo + 1))
        }
    }

    /// Well-formed args, or, when `odd`, args framed right (the sizes
    /// agree with the counts) that break a rule the framing does not show:
    /// a count one beyond its limit, a bad kind, flag, tgid or name.
    type Gen = fn(&mut Rng, bool) -> Vec<u8>;

    fn gen_kind(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let kind = if odd {
            rng.pick(&[0, 3, 4, 0x101, u32::MAX])
        } else {
            1 + rng.below(2) as u32
        };
        kind_args(kind)
    }

    fn gen_subtree(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let n = gen_count(rng, 1, MAX_ROOTS, 2000, odd);
        let fds: Vec<i32> = (0..n).map(|_| gen_fd(rng)).collect();
        subtree_args(&fds)
    }

    /// tgids, one of them possibly not positive when `odd`.
    fn gen_tgids(rng: &mut Rng, n: usize, odd: bool) -> Vec<i32> {
        let mut tgids: Vec<i32> = (0..n).map(|_| gen_tgid(rng)).collect();
        if odd && n > 0 && rng.one_in(2) {
            let i = rng.below(n);
            let negative = -gen_tgid(rng);
            tgids[i] = rng.pick(&[0, -1, i32::MIN, negative]);
        }
        tgids
    }

    fn gen_guard(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let n_exempt = gen_count(rng, 0, MAX_EXEMPT, 50, odd);
        let n_roots = gen_count(rng, 1, MAX_ROOTS, 2000, odd);
        let exempt = gen_tgids(rng, n_exempt, odd);
        let roots: Vec<i32> = (0..n_roots).map(|_| gen_fd(rng)).collect();
        guard_args(&exempt, &roots)
    }

    fn gen_actor(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let n_tgids = gen_count(rng, 0, MAX_IDS, 50, odd);
        let n_uids = gen_count(rng, 0, MAX_IDS, 50, odd);
        let tgids = gen_tgids(rng, n_tgids, odd);
        let uids: Vec<u32> = (0..n_uids)
            .map(|_| {
                if rng.one_in(3) {
                    rng.u32()
                } else {
                    rng.below(2000) as u32
                }
            })
            .collect();
        let flags = if odd && rng.one_in(4) {
            rng.pick(&[4, 5, 7, 8, 0x8000_0000])
        } else if tgids.is_empty() && uids.is_empty() && !odd {
            3
        } else {
            rng.below(4) as u32
        };
        actor_args(flags, &tgids, &uids)
    }

    /// Pattern bytes: a small alphabet, so that names match, and now and
    /// then any byte but '/' and NUL.
    fn gen_pattern_name(rng: &mut Rng) -> Vec<u8> {
        let len = if rng.one_in(200) {
            255 - rng.below(2)
        } else {
            1 + rng.below(6)
        };
        (0..len)
            .map(|_| {
                if rng.one_in(8) {
                    loop {
                        let b = rng.u8();
                        if b != 0 && b != b'/' {
                            break b;
                        }
                    }
                } else {
                    rng.pick(b"ab.c")
                }
            })
            .collect()
    }

    fn gen_name(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let n = gen_count(rng, 1, MAX_PATTERNS, 500, odd);
        let mut names: Vec<Vec<u8>> = (0..n).map(|_| gen_pattern_name(rng)).collect();
        let mut kinds: Vec<u8> = (0..n).map(|_| 1 + rng.below(3) as u8).collect();
        let mut flags = rng.below(2) as u32;
        if odd && n > 0 {
            let i = rng.below(n);
            match rng.below(4) {
                0 => names[i].clear(),
                1 => {
                    let at = rng.below(names[i].len() + 1);
                    let b = rng.pick(b"/\0");
                    names[i].insert(at, b);
                    names[i].truncate(255);
                }
                2 => kinds[i] = rng.pick(&[0, 4, 0xff]),
                _ => flags = rng.pick(&[2, 3, 0x8000_0000]),
            }
        }
        let patterns: Vec<(u8, &[u8])> = kinds
            .iter()
            .zip(&names)
            .map(|(&kind, name)| (kind, name.as_slice()))
            .collect();
        name_args(flags, &patterns)
    }

    /// 1 to 5 sections of distinct types in random order; when `odd`, one
    /// payload is odd or mutated (well framed, maybe invalid).
    fn gen_policy(rng: &mut Rng, odd: bool) -> Vec<u8> {
        let mut types = vec![1u32, 2, 3, 4, 5];
        for i in (1..types.len()).rev() {
            types.swap(i, rng.below(i + 1));
        }
        types.truncate(1 + rng.below(5));
        let odd_one = if odd {
            rng.below(types.len())
        } else {
            usize::MAX
        };
        let mut payloads: Vec<Vec<u8>> = types
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let odd = i == odd_one && rng.one_in(2);
                match ty {
                    1 | 5 => gen_subtree(rng, odd),
                    2 => gen_kind(rng, odd),
                    3 => gen_name(rng, odd),
                    _ => gen_actor(rng, odd),
                }
            })
            .collect();
        if odd && rng.one_in(2) {
            mutate(rng, &mut payloads[odd_one]);
        }
        let sections: Vec<(u32, &[u8])> = types
            .iter()
            .zip(&payloads)
            .map(|(ty, p)| (*ty, p.as_slice()))
            .collect();
        policy_args(&sections)
    }

    /// Counts of one run.
    #[derive(Debug, Default)]
    struct Stats {
        accepted: usize,
        refused: usize,
    }

    /// Feeds `parse` random inputs, valid and odd inputs of `gen`, and
    /// mutations of them. `parse` must not panic, must agree with `oracle` on the
    /// verdict and the decoded value, and must accept only inputs that
    /// `encode` rebuilds byte for byte from the decoded value. `check` runs
    /// on every accepted input.
    fn run<T: PartialEq + Debug>(
        what: &str,
        gen: Gen,
        parse: impl Fn(&[u8]) -> Option<T>,
        oracle: fn(&[u8]) -> Option<T>,
        encode: impl Fn(&T) -> Option<Vec<u8>>,
        mut check: impl FnMut(&mut Rng, &[u8], &T),
    ) -> Stats {
        let mut rng = Rng::new(seed(what));
        let mut stats = Stats::default();
        let n = iterations();
        for i in 0..n {
            let (input, valid) = match rng.below(8) {
                0 => (random_input(&mut rng), false),
                1 => (gen(&mut rng, false), true),
                2 => (gen(&mut rng, true), false),
                _ => {
                    let odd = rng.one_in(4);
                    let mut v = gen(&mut rng, odd);
                    mutate(&mut rng, &mut v);
                    (v, false)
                }
            };
            let got = catch_unwind(AssertUnwindSafe(|| parse(&input)))
                .unwrap_or_else(|_| panic!("{what}: panicked on input {i}: {input:02x?}"));
            let want = oracle(&input);
            assert_eq!(
                got, want,
                "{what}: input {i} differs from the oracle: {input:02x?}"
            );
            match got {
                Some(decoded) => {
                    stats.accepted += 1;
                    if let Some(rebuilt) = encode(&decoded) {
                        assert_eq!(
                            rebuilt, input,
                            "{what}: input {i} accepted with a size other than declared"
                        );
                    }
                    check(&mut rng, &input, &decoded);
                }
                None => {
                    assert!(!valid, "{what}: valid input {i} refused: {input:02x?}");
                    stats.refused += 1;
                }
            }
        }
        // Both verdicts must be common, or the inputs test little.
        assert!(
            stats.accepted >= n / 20 && stats.refused >= n / 20,
            "{what}: {stats:?}"
        );
        eprintln!("{what}: {n} inputs, {stats:?}");
        stats
    }

    #[test]
    fn random_kind() {
        run(
            "kind",
            gen_kind,
            |b| parse_kind(b).ok(),
            ref_kind,
            |k| Some(kind_args(kind_code(*k))),
            |_, _, _| {},
        );
    }

    #[test]
    fn random_subtree() {
        run(
            "subtree",
            gen_subtree,
            |b| parse_subtree(b).ok().map(|w| i32s(&w)),
            ref_subtree,
            |fds| Some(subtree_args(fds)),
            |_, _, fds| assert!((1..=MAX_ROOTS).contains(&fds.len())),
        );
    }

    #[test]
    fn random_guard() {
        run(
            "guard",
            gen_guard,
            |b| parse_guard(b).ok().map(|g| Guard::of(&g)),
            ref_guard,
            |g| Some(g.encode()),
            |_, _, g| {
                assert!(g.exempt.len() <= MAX_EXEMPT && g.exempt.iter().all(|&t| t > 0));
                assert!((1..=MAX_ROOTS).contains(&g.roots.len()));
            },
        );
    }

    #[test]
    fn random_actor() {
        run(
            "actor",
            gen_actor,
            |b| parse_actor(b).ok().map(|a| Actor::of(&a)),
            ref_actor,
            |a| Some(a.encode()),
            |_, _, a| {
                assert!(a.tgids.len() <= MAX_IDS && a.uids.len() <= MAX_IDS);
                assert!(a.tgids.iter().all(|&t| t > 0));
                assert!(!a.tgids.is_empty() || !a.uids.is_empty() || (a.exclude && a.not_self));
            },
        );
    }

    /// Names to match against `n`'s patterns: the patterns themselves,
    /// extended on either side, cut, and random.
    fn candidate_names(rng: &mut Rng, n: &Name) -> Vec<Vec<u8>> {
        let mut names = vec![Vec::new()];
        for _ in 0..4 {
            let (_, p) = &n.patterns[rng.below(n.patterns.len())];
            let mut name = p.clone();
            match rng.below(5) {
                0 => {}
                1 => {
                    let n = 1 + rng.below(3);
                    name.extend(rng.bytes(n));
                }
                2 => {
                    let n = 1 + rng.below(3);
                    let mut v = rng.bytes(n);
                    v.extend(name);
                    name = v;
                }
                3 => name.truncate(rng.below(name.len())),
                _ => name = (0..rng.below(8)).map(|_| rng.pick(b"ab.c")).collect(),
            }
            names.push(name);
        }
        names
    }

    #[test]
    fn random_name() {
        run(
            "name",
            gen_name,
            |b| parse_name(b).ok().map(|n| Name::of(&n)),
            ref_name,
            |n| Some(n.encode()),
            |rng, input, n| {
                assert!((1..=MAX_PATTERNS).contains(&n.patterns.len()));
                let args = parse_name(input).unwrap();
                let copy = args.packed().to_vec();
                for name in candidate_names(rng, n) {
                    let want = n.matches(&name);
                    assert_eq!(args.matches(&name), want, "{name:02x?} against {n:?}");
                    assert_eq!(packed_patterns_match(&copy, &name), want);
                }
            },
        );
    }

    #[test]
    fn random_packed_patterns_match() {
        // Arbitrary bytes, not validated: no panic, and a match only where
        // the walk can find one.
        let mut rng = Rng::new(seed("packed"));
        for _ in 0..iterations() {
            let packed = if rng.one_in(2) {
                let n = rng.below(24);
                rng.bytes(n)
            } else {
                let mut v = gen_name(&mut rng, false)[16..].to_vec();
                mutate(&mut rng, &mut v);
                v
            };
            let n = rng.below(6);
            let name = rng.bytes(n);
            let got = catch_unwind(|| packed_patterns_match(&packed, &name))
                .unwrap_or_else(|_| panic!("panicked on {packed:02x?}, {name:02x?}"));
            if got {
                assert!(!packed.is_empty());
            }
        }
    }

    #[test]
    fn random_policy() {
        let mut full_accepted = 0;
        let stats = run(
            "policy",
            gen_policy,
            |b| parse_policy(b).ok().map(|p| sections_of(&p)),
            ref_policy,
            |s| Some(encode_sections(s)),
            |_, input, sections| {
                assert!((1..=MAX_SECTIONS).contains(&sections.len()));
                // The full parse accepts exactly the inputs whose every
                // payload its own parser accepts.
                let full = parse_policy_full(input).ok().map(|p| Parts::of(&p));
                assert_eq!(full, ref_policy_full(input), "{input:02x?}");
                let each = sections.iter().all(|(ty, p)| match ty {
                    1 | 5 => parse_subtree(p).is_ok(),
                    2 => parse_kind(p).is_ok(),
                    3 => parse_name(p).is_ok(),
                    _ => parse_actor(p).is_ok(),
                });
                assert_eq!(full.is_some(), each);
                full_accepted += usize::from(each);
            },
        );
        assert!(
            full_accepted >= stats.accepted / 4,
            "{full_accepted} of {stats:?}"
        );
    }

    #[test]
    fn random_policy_full() {
        // Also on the inputs that parse_policy refuses: no panic, same
        // verdict as the oracle.
        run(
            "policy full",
            gen_policy,
            |b| parse_policy_full(b).ok().map(|p| Parts::of(&p)),
            ref_policy_full,
            |_| None,
            |_, input, _| assert!(parse_policy(input).is_ok()),
        );
    }
}

/// The kernel-resident guard's configuration text.
#[cfg(test)]
mod config_tests {
    use crate::args::ArgsError;
    use crate::config::{parse_guard_config, GuardConfig, PATH_MAX};

    fn on(text: &str) -> (Vec<Vec<u8>>, Vec<u32>) {
        match parse_guard_config(text.as_bytes()) {
            Ok(GuardConfig::On(s)) => (
                s.roots().map(<[u8]>::to_vec).collect(),
                s.exempt_uids().collect(),
            ),
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn invalid(text: &[u8]) {
        assert_eq!(
            parse_guard_config(text),
            Err(ArgsError::Invalid),
            "{:?}",
            String::from_utf8_lossy(text)
        );
    }

    #[test]
    fn off() {
        for text in ["off", "off\n", "  off  ", "\toff"] {
            assert_eq!(
                parse_guard_config(text.as_bytes()),
                Ok(GuardConfig::Off),
                "{text:?}"
            );
        }
        // An empty text (an unset variable) turns nothing off.
        for text in [&b""[..], b"\n", b"\t", b"  \n"] {
            invalid(text);
        }
        invalid(b"off roots=/a");
        invalid(b"off off");
    }

    #[test]
    fn roots_and_uids() {
        assert_eq!(
            on("roots=/srv/secrets\n"),
            (vec![b"/srv/secrets".to_vec()], vec![])
        );
        assert_eq!(
            on("exempt_uids=0,992 roots=/a,/b/c"),
            (vec![b"/a".to_vec(), b"/b/c".to_vec()], vec![0, 992])
        );
        assert_eq!(
            on("roots=/ exempt_uids=4294967294"),
            (vec![b"/".to_vec()], vec![4294967294])
        );
        assert_eq!(
            on("roots=/a\texempt_uids=7"),
            (vec![b"/a".to_vec()], vec![7])
        );
    }

    #[test]
    fn malformed() {
        for text in [
            &b"roots="[..],
            b"roots=a",
            b"roots=/a,",
            b"roots=,/a",
            b"roots=/a,,/b",
            b"roots=/a roots=/b",
            b"exempt_uids=1",
            b"roots=/a exempt_uids=1 exempt_uids=2",
            b"roots=/a exempt_uids=-1",
            b"roots=/a exempt_uids=+1",
            b"roots=/a exempt_uids=1,",
            b"roots=/a exempt_uids=4294967295",
            b"roots=/a exempt_uids=4294967296",
            b"roots=/a exempt_uids=99999999999",
            b"roots=/a exempt_uids=0x10",
            b"roots=/a other=1",
            b"roots=/a off",
            b"Roots=/a",
            b"roots=/a\0b",
            b"roots=/a\n\n",
            b"roots=/a exempt_uids=",
            b"roots=/a exempt_uids=,",
        ] {
            invalid(text);
        }
    }

    #[test]
    fn limits() {
        let long = format!("/{}", "x".repeat(PATH_MAX - 2));
        assert_eq!(on(&format!("roots={long}")).0[0].len(), PATH_MAX - 1);
        invalid(format!("roots={long}x").as_bytes());

        let roots = vec!["/r"; crate::args::MAX_ROOTS].join(",");
        assert_eq!(
            on(&format!("roots={roots}")).0.len(),
            crate::args::MAX_ROOTS
        );
        invalid(format!("roots={roots},/r").as_bytes());

        let uids: Vec<String> = (0..crate::args::MAX_EXEMPT)
            .map(|u| u.to_string())
            .collect();
        assert_eq!(
            on(&format!("roots=/a exempt_uids={}", uids.join(",")))
                .1
                .len(),
            crate::args::MAX_EXEMPT
        );
        invalid(format!("roots=/a exempt_uids={},7", uids.join(",")).as_bytes());
    }
}
