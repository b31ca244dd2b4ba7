// SPDX-License-Identifier: GPL-2.0

//! The filters of this module: safe code only, on top of
//! [`kernel::fs::fanotify`].
//! Their argument parsers ([`args`], and [`config`] for the kernel-resident
//! guard) use `core` only and are unit-tested on the host (`host-tests/`).
#![forbid(unsafe_code)]

pub(crate) mod actor;
mod args;
pub(crate) mod config;
pub(crate) mod guard;
pub(crate) mod kind;
pub(crate) mod name;
pub(crate) mod policy;
pub(crate) mod roots;
pub(crate) mod subtree;

use kernel::prelude::*;

impl From<args::ArgsError> for Error {
    fn from(e: args::ArgsError) -> Self {
        match e {
            args::ArgsError::Invalid => EINVAL,
        }
    }
}
