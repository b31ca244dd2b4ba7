//! Event buffers built the way the kernel writes them, for the tests of
//! the parser and of fd ownership.

use fanfilter::events::{METADATA_LEN, METADATA_VERSION};

/// `struct fanotify_event_metadata` of an event of `event_len` bytes.
pub fn metadata(event_len: usize, mask: u64, fd: i32, pid: i32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(event_len as u32).to_ne_bytes());
    b.push(METADATA_VERSION);
    b.push(0);
    b.extend_from_slice(&(METADATA_LEN as u16).to_ne_bytes());
    b.extend_from_slice(&mask.to_ne_bytes());
    b.extend_from_slice(&fd.to_ne_bytes());
    b.extend_from_slice(&pid.to_ne_bytes());
    b
}
