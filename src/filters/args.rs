// SPDX-License-Identifier: GPL-2.0

//! Validation of the binary args of the filters, against `core` only, so
//! that the same code runs in the module and in host unit tests
//! (`src/filters/host-tests/`, `cargo test`).
//!
//! Each `parse_*` function checks one args struct of
//! `src/uapi/fanotify_filters.h` completely (version, flags, counts, kinds,
//! reserved fields, padding, exact size) and returns a borrowed view of it:
//! nothing is allocated or copied. Args come from user space, so nothing
//! here may panic: every read goes through `get()` and every size is
//! computed with checked arithmetic (the lints below enforce both).
//! Whatever needs the kernel, such as resolving root fds, is the caller's.
//!
//! All native-endian 32-bit words are read without alignment requirements.

// In the module this is a private module, in the host test crate a public
// one; the items are `pub` for the tests.
#![allow(unreachable_pub)]
#![forbid(unsafe_code)]
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

/// Why args were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// Malformed args: wrong size, version, flag, count, kind, reserved
    /// field, padding or id. The module returns `EINVAL` for it.
    Invalid,
}

/// `FAN_SUBTREE_MAX_ROOTS`: most roots of a `subtree` or `guard` attachment.
pub const MAX_ROOTS: usize = 4096;
/// `FAN_GUARD_MAX_EXEMPT`: most exempt tgids, and most exempt uids, of a
/// `guard` attachment.
pub const MAX_EXEMPT: usize = 64;
/// `FAN_ACTOR_MAX_IDS`: most tgids, and most uids, of an `actor` attachment.
pub const MAX_IDS: usize = 64;
/// `FAN_NAME_MAX_PATTERNS`: most patterns of a `name` attachment.
pub const MAX_PATTERNS: usize = 128;
/// Most sections of a `policy` attachment: one of each type.
pub const MAX_SECTIONS: usize = 5;

/// The only version of every args struct so far.
const VERSION: u32 = 1;
/// Bytes of a native-endian word.
const WORD: usize = 4;
/// `struct fan_kind_args`.
const KIND_SIZE: usize = 8;
/// `version`, `nr_roots` of `struct fan_subtree_args`.
const SUBTREE_HEADER: usize = 8;
/// `version`, `nr_roots`, `nr_exempt`, `nr_exempt_uids` of `struct
/// fan_guard_args`.
const GUARD_HEADER: usize = 16;
/// `version`, `flags`, `nr_tgids`, `nr_uids` of `struct fan_actor_args`.
const ACTOR_HEADER: usize = 16;
/// `version`, `flags`, `nr_patterns`, `zero` of `struct fan_name_args`.
const NAME_HEADER: usize = 16;
/// `version`, `nr_sections` of `struct fan_policy_args`.
const POLICY_HEADER: usize = 8;
/// `type`, `size` of `struct fan_policy_section`.
const SECTION_HEADER: usize = 8;

/// `FAN_KIND_DIRECTORIES`.
const KIND_DIRECTORIES: u32 = 1;
/// `FAN_KIND_NON_DIRECTORIES`.
const KIND_NON_DIRECTORIES: u32 = 2;
/// `FAN_ACTOR_EXCLUDE`.
const ACTOR_EXCLUDE: u32 = 0x1;
/// `FAN_ACTOR_NOT_SELF`.
const ACTOR_NOT_SELF: u32 = 0x2;
/// `FAN_NAME_EXCLUDE`.
const NAME_EXCLUDE: u32 = 0x1;
/// `FAN_NAME_EXACT`.
const NAME_EXACT: u8 = 1;
/// `FAN_NAME_PREFIX`.
const NAME_PREFIX: u8 = 2;
/// `FAN_NAME_SUFFIX`.
const NAME_SUFFIX: u8 = 3;
/// `FAN_POLICY_SUBTREE`.
const POLICY_SUBTREE: u32 = 1;
/// `FAN_POLICY_KIND`.
const POLICY_KIND: u32 = 2;
/// `FAN_POLICY_NAME`.
const POLICY_NAME: u32 = 3;
/// `FAN_POLICY_ACTOR`.
const POLICY_ACTOR: u32 = 4;
/// `FAN_POLICY_PRUNE`.
const POLICY_PRUNE: u32 = 5;

/// Reads the native-endian word at byte `at` of `bytes`.
fn word(bytes: &[u8], at: usize) -> Result<u32, ArgsError> {
    let end = at.checked_add(WORD).ok_or(ArgsError::Invalid)?;
    let raw = bytes.get(at..end).ok_or(ArgsError::Invalid)?;
    <[u8; WORD]>::try_from(raw)
        .map(u32::from_ne_bytes)
        .map_err(|_| ArgsError::Invalid)
}

/// A count read from args, as an index type.
fn count(word: u32) -> Result<usize, ArgsError> {
    usize::try_from(word).map_err(|_| ArgsError::Invalid)
}

/// Checks the `version` word that starts every args struct.
fn check_version(args: &[u8]) -> Result<(), ArgsError> {
    if word(args, 0)? == VERSION {
        Ok(())
    } else {
        Err(ArgsError::Invalid)
    }
}

/// A validated run of native-endian 32-bit words borrowed from args.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words<'a> {
    /// Invariant: a multiple of [`WORD`] bytes long.
    bytes: &'a [u8],
}

impl<'a> Words<'a> {
    /// The `nr` words starting at byte `at` of `bytes`, which must hold them.
    fn at(bytes: &'a [u8], at: usize, nr: usize) -> Result<Self, ArgsError> {
        let len = nr.checked_mul(WORD).ok_or(ArgsError::Invalid)?;
        let end = at.checked_add(len).ok_or(ArgsError::Invalid)?;
        let bytes = bytes.get(at..end).ok_or(ArgsError::Invalid)?;
        Ok(Self { bytes })
    }

    /// Exactly `nr` words from byte `at` to the end of `bytes`: the sizes
    /// are exact, so nothing may follow the last array of a struct.
    fn exactly(bytes: &'a [u8], at: usize, nr: usize) -> Result<Self, ArgsError> {
        let words = Self::at(bytes, at, nr)?;
        if at.checked_add(words.bytes.len()) == Some(bytes.len()) {
            Ok(words)
        } else {
            Err(ArgsError::Invalid)
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.bytes.len() / WORD
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The words, in order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        // `chunks_exact` yields only whole words, so no word is dropped.
        self.bytes
            .chunks_exact(WORD)
            .filter_map(|raw| <[u8; WORD]>::try_from(raw).ok())
            .map(u32::from_ne_bytes)
    }

    /// The words as the `__s32` they are declared as (fds, tgids), in order.
    pub fn iter_i32(&self) -> impl Iterator<Item = i32> + 'a {
        self.bytes
            .chunks_exact(WORD)
            .filter_map(|raw| <[u8; WORD]>::try_from(raw).ok())
            .map(i32::from_ne_bytes)
    }
}

/// Decoded `struct fan_kind_args`: which objects the `kind` filter sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// `FAN_KIND_DIRECTORIES`: only events on directories.
    Directories,
    /// `FAN_KIND_NON_DIRECTORIES`: only events on non-directories.
    NonDirectories,
}

/// Parses `struct fan_kind_args`: exactly 8 bytes, version 1, kind 1 or 2.
pub fn parse_kind(args: &[u8]) -> Result<KindArg, ArgsError> {
    if args.len() != KIND_SIZE {
        return Err(ArgsError::Invalid);
    }
    check_version(args)?;
    match word(args, 4)? {
        KIND_DIRECTORIES => Ok(KindArg::Directories),
        KIND_NON_DIRECTORIES => Ok(KindArg::NonDirectories),
        _ => Err(ArgsError::Invalid),
    }
}

/// `nr` root fds from byte `at` to the end of `args`, which must hold
/// exactly those; shared by `subtree` and `guard`.
fn parse_roots(args: &[u8], at: usize, nr: usize) -> Result<Words<'_>, ArgsError> {
    if !(1..=MAX_ROOTS).contains(&nr) {
        return Err(ArgsError::Invalid);
    }
    Words::exactly(args, at, nr)
}

/// Parses `struct fan_subtree_args` and returns its root fds (as `__s32`,
/// see [`Words::iter_i32`]): version 1, 1 ..= [`MAX_ROOTS`] fds, nothing
/// after them. The fds are not checked: resolving them is the caller's.
pub fn parse_subtree(args: &[u8]) -> Result<Words<'_>, ArgsError> {
    check_version(args)?;
    let nr_roots = count(word(args, 4)?)?;
    parse_roots(args, SUBTREE_HEADER, nr_roots)
}

/// Decoded `struct fan_guard_args`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardArgs<'a> {
    /// The protected directories as fds (`__s32`), 1 ..= [`MAX_ROOTS`].
    pub roots: Words<'a>,
    /// The exempt tgids (`__s32`, each > 0), 0 ..= [`MAX_EXEMPT`].
    pub exempt: Words<'a>,
    /// The exempt effective uids (`__u32`; the filter maps them, refusing
    /// unmapped ones), 0 ..= [`MAX_EXEMPT`].
    pub exempt_uids: Words<'a>,
}

/// Parses `struct fan_guard_args`: version 1, 0 ..= [`MAX_EXEMPT`] exempt
/// tgids, each > 0, 0 ..= [`MAX_EXEMPT`] exempt uids (the word that was
/// reserved and zero: zero uids is the old layout), then 1 ..=
/// [`MAX_ROOTS`] root fds, and nothing after them.
pub fn parse_guard(args: &[u8]) -> Result<GuardArgs<'_>, ArgsError> {
    check_version(args)?;
    let nr_roots = count(word(args, 4)?)?;
    let nr_exempt = count(word(args, 8)?)?;
    let nr_exempt_uids = count(word(args, 12)?)?;
    if nr_exempt > MAX_EXEMPT || nr_exempt_uids > MAX_EXEMPT {
        return Err(ArgsError::Invalid);
    }
    let exempt = Words::at(args, GUARD_HEADER, nr_exempt)?;
    // No process has tgid 0 or below: such an id is a caller's bug, as in
    // `actor`.
    if exempt.iter_i32().any(|tgid| tgid <= 0) {
        return Err(ArgsError::Invalid);
    }
    let uids_at = GUARD_HEADER
        .checked_add(exempt.bytes.len())
        .ok_or(ArgsError::Invalid)?;
    let exempt_uids = Words::at(args, uids_at, nr_exempt_uids)?;
    let roots_at = uids_at
        .checked_add(exempt_uids.bytes.len())
        .ok_or(ArgsError::Invalid)?;
    let roots = parse_roots(args, roots_at, nr_roots)?;
    Ok(GuardArgs {
        roots,
        exempt,
        exempt_uids,
    })
}

/// Decoded `struct fan_actor_args`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActorArgs<'a> {
    /// `FAN_ACTOR_EXCLUDE`: skip the named actors' events instead of
    /// sending only theirs.
    pub exclude: bool,
    /// `FAN_ACTOR_NOT_SELF`: skip the events of the attaching process.
    pub not_self: bool,
    /// tgids (`__s32`, each > 0), 0 ..= [`MAX_IDS`].
    pub tgids: Words<'a>,
    /// Effective uids (`__u32`; the filter maps them, refusing unmapped
    /// ones such as `(uid_t)-1`), 0 ..= [`MAX_IDS`].
    pub uids: Words<'a>,
}

/// Parses `struct fan_actor_args`: version 1, flags within
/// `FAN_ACTOR_EXCLUDE | FAN_ACTOR_NOT_SELF`, 0 ..= [`MAX_IDS`] positive
/// tgids, then 0 ..= [`MAX_IDS`] uids, and nothing after them. Without any
/// id both flags are required: anything else would select nothing or let
/// everything through, a caller's bug.
pub fn parse_actor(args: &[u8]) -> Result<ActorArgs<'_>, ArgsError> {
    check_version(args)?;
    let flags = word(args, 4)?;
    let nr_tgids = count(word(args, 8)?)?;
    let nr_uids = count(word(args, 12)?)?;
    if flags & !(ACTOR_EXCLUDE | ACTOR_NOT_SELF) != 0 || nr_tgids > MAX_IDS || nr_uids > MAX_IDS {
        return Err(ArgsError::Invalid);
    }
    let tgids = Words::at(args, ACTOR_HEADER, nr_tgids)?;
    let uids_at = ACTOR_HEADER
        .checked_add(tgids.bytes.len())
        .ok_or(ArgsError::Invalid)?;
    let uids = Words::exactly(args, uids_at, nr_uids)?;
    let exclude = flags & ACTOR_EXCLUDE != 0;
    let not_self = flags & ACTOR_NOT_SELF != 0;
    if tgids.is_empty() && uids.is_empty() && !(exclude && not_self) {
        return Err(ArgsError::Invalid);
    }
    if tgids.iter_i32().any(|tgid| tgid <= 0) {
        return Err(ArgsError::Invalid);
    }
    Ok(ActorArgs {
        exclude,
        not_self,
        tgids,
        uids,
    })
}

/// How a `name` pattern is compared with a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameMatch {
    /// `FAN_NAME_EXACT`: the whole name.
    Exact,
    /// `FAN_NAME_PREFIX`: the start of the name.
    Prefix,
    /// `FAN_NAME_SUFFIX`: the end of the name (an extension, say).
    Suffix,
}

impl NameMatch {
    /// Whether `name` matches `pattern` compared this way, byte by byte.
    fn matches(self, pattern: &[u8], name: &[u8]) -> bool {
        match self {
            NameMatch::Exact => name == pattern,
            NameMatch::Prefix => name.starts_with(pattern),
            NameMatch::Suffix => name.ends_with(pattern),
        }
    }
}

/// Splits the first packed `{ u8 kind; u8 len; u8 name[len]; }` off
/// `bytes`: its match, its name and what follows. Checks the framing and the
/// kind only; [`parse_name`] also checks the name's bytes.
fn split_pattern(bytes: &[u8]) -> Result<(NameMatch, &[u8], &[u8]), ArgsError> {
    let (&kind, rest) = bytes.split_first().ok_or(ArgsError::Invalid)?;
    let (&len, rest) = rest.split_first().ok_or(ArgsError::Invalid)?;
    let how = match kind {
        NAME_EXACT => NameMatch::Exact,
        NAME_PREFIX => NameMatch::Prefix,
        NAME_SUFFIX => NameMatch::Suffix,
        _ => return Err(ArgsError::Invalid),
    };
    let len = usize::from(len);
    let name = rest.get(..len).ok_or(ArgsError::Invalid)?;
    let rest = rest.get(len..).ok_or(ArgsError::Invalid)?;
    Ok((how, name, rest))
}

/// Decoded `struct fan_name_args`: the patterns stay in the args' bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameArgs<'a> {
    /// `FAN_NAME_EXCLUDE`: skip matching names instead of sending only them.
    pub exclude: bool,
    /// The validated packed patterns: exactly `nr` of them, nothing after.
    patterns: &'a [u8],
    /// Number of patterns, 1 ..= [`MAX_PATTERNS`].
    nr: usize,
}

impl<'a> NameArgs<'a> {
    /// The patterns, in order: how each is compared and its bytes (1 to 255
    /// of them, none `/` or NUL).
    // The module keeps `packed()` and matches with `packed_patterns_match`;
    // this, `nr_patterns` and `matches` serve the host tests.
    #[allow(dead_code)]
    pub fn patterns(&self) -> NamePatternIter<'a> {
        NamePatternIter {
            rest: self.patterns,
            left: self.nr,
        }
    }

    /// Number of patterns, 1 ..= [`MAX_PATTERNS`].
    #[allow(dead_code)]
    pub fn nr_patterns(&self) -> usize {
        self.nr
    }

    /// The validated packed patterns (`{ u8 kind; u8 len; u8 name[len]; }`
    /// each), for a filter to copy into its state and match with
    /// [`packed_patterns_match`] once the args are gone.
    pub fn packed(&self) -> &'a [u8] {
        self.patterns
    }

    /// Whether `name` matches any of the patterns (exclusion not applied).
    #[allow(dead_code)]
    pub fn matches(&self, name: &[u8]) -> bool {
        packed_patterns_match(self.patterns, name)
    }
}

/// Whether `name` matches any pattern of `packed`, the bytes of
/// [`NameArgs::packed`] or a copy of them. Nothing is allocated; malformed
/// bytes, which a copy of validated patterns never holds, end the walk
/// instead of panicking.
pub fn packed_patterns_match(packed: &[u8], name: &[u8]) -> bool {
    let mut rest = packed;
    while let Ok((how, pattern, next)) = split_pattern(rest) {
        if how.matches(pattern, name) {
            return true;
        }
        rest = next;
    }
    false
}

/// Iterator over the patterns of a [`NameArgs`].
#[allow(dead_code)] // See `NameArgs::patterns`.
#[derive(Clone, Debug)]
pub struct NamePatternIter<'a> {
    /// Packed patterns not yet returned.
    rest: &'a [u8],
    /// How many of them.
    left: usize,
}

impl<'a> Iterator for NamePatternIter<'a> {
    type Item = (NameMatch, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        // Validated by `parse_name`: cannot fail, but stop rather than
        // panic if it did.
        let (how, name, rest) = split_pattern(self.rest).ok()?;
        self.rest = rest;
        Some((how, name))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// Parses `struct fan_name_args`: version 1, flags within
/// `FAN_NAME_EXCLUDE`, 1 ..= [`MAX_PATTERNS`] patterns, reserved word zero,
/// then exactly that many packed `{ u8 kind; u8 len; u8 name[len]; }` with
/// kind 1 to 3 and a name of at least one byte without `/` or NUL, and
/// nothing after them.
pub fn parse_name(args: &[u8]) -> Result<NameArgs<'_>, ArgsError> {
    check_version(args)?;
    let flags = word(args, 4)?;
    let nr = count(word(args, 8)?)?;
    if flags & !NAME_EXCLUDE != 0 || !(1..=MAX_PATTERNS).contains(&nr) || word(args, 12)? != 0 {
        return Err(ArgsError::Invalid);
    }
    let patterns = args.get(NAME_HEADER..).ok_or(ArgsError::Invalid)?;
    let mut rest = patterns;
    for _ in 0..nr {
        let (_, name, next) = split_pattern(rest)?;
        // No name is empty or contains '/' or NUL: such a pattern would
        // never match, a caller's bug.
        if name.is_empty() || name.iter().any(|&b| b == b'/' || b == 0) {
            return Err(ArgsError::Invalid);
        }
        rest = next;
    }
    if !rest.is_empty() {
        return Err(ArgsError::Invalid);
    }
    Ok(NameArgs {
        exclude: flags & NAME_EXCLUDE != 0,
        patterns,
        nr,
    })
}

/// One section of `struct fan_policy_args`: its type and its payload (the
/// args of that filter, without padding), not parsed yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySection<'a> {
    /// `FAN_POLICY_SUBTREE`: for [`parse_subtree`].
    Subtree(&'a [u8]),
    /// `FAN_POLICY_KIND`: for [`parse_kind`].
    Kind(&'a [u8]),
    /// `FAN_POLICY_NAME`: for [`parse_name`].
    Name(&'a [u8]),
    /// `FAN_POLICY_ACTOR`: for [`parse_actor`].
    Actor(&'a [u8]),
    /// `FAN_POLICY_PRUNE`: for [`parse_subtree`] (the pruned directories).
    Prune(&'a [u8]),
}

impl PolicySection<'_> {
    /// A distinct bit per type, to refuse a type given twice.
    fn type_bit(&self) -> u8 {
        match self {
            PolicySection::Subtree(_) => 0x1,
            PolicySection::Kind(_) => 0x2,
            PolicySection::Name(_) => 0x4,
            PolicySection::Actor(_) => 0x8,
            PolicySection::Prune(_) => 0x10,
        }
    }
}

/// Splits the first section, `{ u32 type; u32 size; u8 args[size]; }` and
/// zero padding to a multiple of 4 bytes, off `bytes`. Every section starts
/// at a multiple of 4 bytes from the start of the args (the headers are
/// words), so padding relative to the section is padding relative to the
/// args.
fn split_section(bytes: &[u8]) -> Result<(PolicySection<'_>, &[u8]), ArgsError> {
    let ty = word(bytes, 0)?;
    let size = count(word(bytes, 4)?)?;
    // `size` is up to u32::MAX: checked, also for 32-bit `usize`.
    let end = SECTION_HEADER.checked_add(size).ok_or(ArgsError::Invalid)?;
    let padded_end = end
        .checked_next_multiple_of(WORD)
        .ok_or(ArgsError::Invalid)?;
    let payload = bytes.get(SECTION_HEADER..end).ok_or(ArgsError::Invalid)?;
    let padding = bytes.get(end..padded_end).ok_or(ArgsError::Invalid)?;
    if padding.iter().any(|&b| b != 0) {
        return Err(ArgsError::Invalid);
    }
    let rest = bytes.get(padded_end..).ok_or(ArgsError::Invalid)?;
    let section = match ty {
        POLICY_SUBTREE => PolicySection::Subtree(payload),
        POLICY_KIND => PolicySection::Kind(payload),
        POLICY_NAME => PolicySection::Name(payload),
        POLICY_ACTOR => PolicySection::Actor(payload),
        POLICY_PRUNE => PolicySection::Prune(payload),
        _ => return Err(ArgsError::Invalid),
    };
    Ok((section, rest))
}

/// `struct fan_policy_args` whose framing is validated; the payloads are
/// not parsed (see [`parse_policy_full`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyArgs<'a> {
    /// The validated sections: exactly `nr` of them, nothing after.
    sections: &'a [u8],
    /// Number of sections, 1 ..= [`MAX_SECTIONS`].
    nr: usize,
}

impl<'a> PolicyArgs<'a> {
    /// The sections, in the order given.
    pub fn sections(&self) -> PolicySectionIter<'a> {
        PolicySectionIter {
            rest: self.sections,
            left: self.nr,
        }
    }

    /// Number of sections, 1 ..= [`MAX_SECTIONS`].
    // The module only walks `sections()`, through `parse_policy_full`.
    #[allow(dead_code)]
    pub fn nr_sections(&self) -> usize {
        self.nr
    }
}

/// Iterator over the sections of a [`PolicyArgs`].
#[derive(Clone, Debug)]
pub struct PolicySectionIter<'a> {
    /// Sections not yet returned.
    rest: &'a [u8],
    /// How many of them.
    left: usize,
}

impl<'a> Iterator for PolicySectionIter<'a> {
    type Item = PolicySection<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        // Validated by `parse_policy`: cannot fail, but stop rather than
        // panic if it did.
        let (section, rest) = split_section(self.rest).ok()?;
        self.rest = rest;
        Some(section)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left))
    }
}

/// Parses the framing of `struct fan_policy_args`: version 1,
/// 1 ..= [`MAX_SECTIONS`] sections of known types, each type at most once,
/// each payload within the args and followed by zero padding to 4 bytes,
/// nothing after the last section's padding. The caller must still parse
/// each payload with the parser of its type, or use [`parse_policy_full`].
pub fn parse_policy(args: &[u8]) -> Result<PolicyArgs<'_>, ArgsError> {
    check_version(args)?;
    let nr = count(word(args, 4)?)?;
    if !(1..=MAX_SECTIONS).contains(&nr) {
        return Err(ArgsError::Invalid);
    }
    let sections = args.get(POLICY_HEADER..).ok_or(ArgsError::Invalid)?;
    let mut rest = sections;
    let mut seen = 0u8;
    for _ in 0..nr {
        let (section, next) = split_section(rest)?;
        if seen & section.type_bit() != 0 {
            return Err(ArgsError::Invalid);
        }
        seen |= section.type_bit();
        rest = next;
    }
    if !rest.is_empty() {
        return Err(ArgsError::Invalid);
    }
    Ok(PolicyArgs { sections, nr })
}

/// The parts of a `policy` attachment, each payload parsed; a part not
/// given is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyParts<'a> {
    /// The `FAN_POLICY_SUBTREE` section's root fds, as [`parse_subtree`].
    pub subtree: Option<Words<'a>>,
    /// The `FAN_POLICY_KIND` section, as [`parse_kind`].
    pub kind: Option<KindArg>,
    /// The `FAN_POLICY_NAME` section, as [`parse_name`].
    pub name: Option<NameArgs<'a>>,
    /// The `FAN_POLICY_ACTOR` section, as [`parse_actor`].
    pub actor: Option<ActorArgs<'a>>,
    /// The `FAN_POLICY_PRUNE` section's directory fds, as [`parse_subtree`].
    pub prune: Option<Words<'a>>,
}

/// Parses `struct fan_policy_args` completely: [`parse_policy`], then each
/// payload with the parser of its type. Refused if any part is.
pub fn parse_policy_full(args: &[u8]) -> Result<PolicyParts<'_>, ArgsError> {
    let mut parts = PolicyParts::default();
    // `parse_policy` guarantees each type at most once.
    for section in parse_policy(args)?.sections() {
        match section {
            PolicySection::Subtree(payload) => parts.subtree = Some(parse_subtree(payload)?),
            PolicySection::Kind(payload) => parts.kind = Some(parse_kind(payload)?),
            PolicySection::Name(payload) => parts.name = Some(parse_name(payload)?),
            PolicySection::Actor(payload) => parts.actor = Some(parse_actor(payload)?),
            PolicySection::Prune(payload) => parts.prune = Some(parse_subtree(payload)?),
        }
    }
    Ok(parts)
}
