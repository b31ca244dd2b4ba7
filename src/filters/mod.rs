// SPDX-License-Identifier: GPL-2.0

//! The filters of this module: safe code only, on top of [`crate::fanotify`].
#![forbid(unsafe_code)]

pub(crate) mod guard;
pub(crate) mod kind;
mod roots;
pub(crate) mod subtree;
