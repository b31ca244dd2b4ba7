//! The event buffer parser on buffers built the way the kernel writes
//! them, and on every malformed shape.

use fanfilter::events::*;
use fanfilter::uapi::*;

mod common;
use common::metadata;

fn fid_record(t: u8, handle: &[u8], name: Option<&str>) -> Vec<u8> {
    let mut b = vec![t, 0, 0, 0];
    b.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    b.extend_from_slice(&(handle.len() as u32).to_ne_bytes());
    b.extend_from_slice(&0x81i32.to_ne_bytes());
    b.extend_from_slice(handle);
    if let Some(n) = name {
        b.extend_from_slice(n.as_bytes());
        b.push(0);
    }
    while b.len() % 4 != 0 {
        b.push(0);
    }
    let len = b.len() as u16;
    b[2..4].copy_from_slice(&len.to_ne_bytes());
    b
}

fn event(mask: u64, records: &[Vec<u8>]) -> Vec<u8> {
    let len = METADATA_LEN + records.iter().map(Vec::len).sum::<usize>();
    let mut b = metadata(len, mask, NOFD, 77);
    for r in records {
        b.extend_from_slice(r);
    }
    b
}

#[test]
fn create_with_dfid_name_and_fid() {
    let mut buf = event(
        libc::FAN_CREATE | libc::FAN_ONDIR,
        &[
            fid_record(FAN_EVENT_INFO_TYPE_DFID_NAME, &[9; 8], Some("newdir")),
            fid_record(FAN_EVENT_INFO_TYPE_FID, &[7; 12], None),
        ],
    );
    buf.extend(event(libc::FAN_Q_OVERFLOW, &[]));
    let ev = parse_events(&buf).unwrap();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].mask, libc::FAN_CREATE | libc::FAN_ONDIR);
    assert_eq!(ev[0].pid, 77);
    assert_eq!(ev[0].fd, NOFD);
    assert_eq!(
        ev[0].info[0],
        Info::Fid {
            kind: FidKind::DirName,
            fsid: [1, 2, 3, 4, 5, 6, 7, 8],
            handle_type: 0x81,
            handle: &[9; 8],
            name: Some(b"newdir"),
        }
    );
    assert!(
        matches!(ev[0].info[1], Info::Fid { kind: FidKind::Object, name: None, handle, .. } if handle == [7; 12])
    );
    assert_eq!(ev[1].mask, libc::FAN_Q_OVERFLOW);
    assert!(ev[1].info.is_empty());
    assert_eq!(mask_names(ev[0].mask), ["CREATE", "ISDIR"]);
}

#[test]
fn rename_has_old_and_new_places() {
    let buf = event(
        FAN_RENAME,
        &[
            fid_record(FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, &[1; 8], Some("a")),
            fid_record(FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, &[2; 8], Some("b")),
        ],
    );
    let ev = parse_events(&buf).unwrap();
    assert!(matches!(
        ev[0].info[0],
        Info::Fid {
            kind: FidKind::OldDirName,
            name: Some(b"a"),
            ..
        }
    ));
    assert!(matches!(
        ev[0].info[1],
        Info::Fid {
            kind: FidKind::NewDirName,
            name: Some(b"b"),
            ..
        }
    ));
}

#[test]
fn unknown_records_are_skipped_and_known_small_ones_read() {
    let mut pidfd = vec![FAN_EVENT_INFO_TYPE_PIDFD, 0, 8, 0];
    pidfd.extend_from_slice(&5i32.to_ne_bytes());
    let mut err = vec![FAN_EVENT_INFO_TYPE_ERROR, 0, 12, 0];
    err.extend_from_slice(&(-5i32).to_ne_bytes());
    err.extend_from_slice(&3u32.to_ne_bytes());
    let buf = event(FAN_FS_ERROR, &[vec![99, 0, 8, 0, 0, 0, 0, 0], pidfd, err]);
    let ev = parse_events(&buf).unwrap();
    assert_eq!(
        ev[0].info,
        [
            Info::Unknown(99),
            Info::Pidfd(5),
            Info::Error {
                error: -5,
                count: 3
            }
        ]
    );
}

#[test]
fn malformed_buffers_are_errors_not_panics() {
    let good = event(
        libc::FAN_CREATE,
        &[fid_record(
            FAN_EVENT_INFO_TYPE_DFID_NAME,
            &[9; 8],
            Some("n"),
        )],
    );
    // truncated anywhere
    for cut in 1..good.len() {
        assert!(
            parse_events(&good[..cut]).is_err(),
            "truncated at {cut} accepted"
        );
    }
    let mut bad_version = good.clone();
    bad_version[4] = 2;
    assert_eq!(
        parse_events(&bad_version).unwrap_err().what,
        "unknown metadata version"
    );
    let mut short_len = good.clone();
    short_len[0..4].copy_from_slice(&10u32.to_ne_bytes());
    assert!(parse_events(&short_len).is_err());
    let mut zero_rec = good.clone();
    zero_rec[METADATA_LEN + 2..METADATA_LEN + 4].copy_from_slice(&0u16.to_ne_bytes());
    assert!(parse_events(&zero_rec).is_err());
    let mut long_handle = good.clone();
    long_handle[METADATA_LEN + 12..METADATA_LEN + 16].copy_from_slice(&1000u32.to_ne_bytes());
    assert!(parse_events(&long_handle).is_err());
    let no_nul = {
        let mut r = fid_record(FAN_EVENT_INFO_TYPE_DFID_NAME, &[9; 8], None);
        r.extend_from_slice(b"abcd");
        let l = r.len() as u16;
        r[2..4].copy_from_slice(&l.to_ne_bytes());
        event(libc::FAN_CREATE, &[r])
    };
    assert_eq!(parse_events(&no_nul).unwrap_err().what, "name without NUL");
    let short_pidfd = event(0, &[vec![FAN_EVENT_INFO_TYPE_PIDFD, 0, 4, 0]]);
    assert!(parse_events(&short_pidfd).is_err());
}

#[test]
fn random_bytes_never_panic() {
    // xorshift: the same sequence on every run.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let good = event(
        libc::FAN_CREATE,
        &[fid_record(
            FAN_EVENT_INFO_TYPE_DFID_NAME,
            &[9; 8],
            Some("n"),
        )],
    );
    for _ in 0..20000 {
        let mut b = good.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % b.len();
            b[i] = (x >> 32) as u8;
        }
        let _ = parse_events(&b);
    }
}
