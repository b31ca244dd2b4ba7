// SPDX-License-Identifier: GPL-2.0

//! Safe abstraction of in-kernel fanotify filters.
//!
//! C header: `include/linux/fanotify_filter.h` (added by this project's
//! kernel patch series).
//!
//! A filter type implements [`Filter`]. [`Registration`] turns the impl into
//! a constant `struct fanotify_filter_ops` whose callbacks are the
//! trampolines of [`Adapter`], and registers it under [`Filter::NAME`]. User
//! space then attaches the filter to a fanotify group; each attachment gets
//! its own [`Filter::State`], built from the attach arguments (in place by
//! pin-init with [`new_state`], or a bare [`OwnedInodeSet`]) and dropped
//! after the kernel has detached it and waited for every concurrent
//! [`Filter::filter`] call to finish.
//!
//! The calling contract of the kernel is part of the types: an [`Event`]
//! lives only for one callback, runs the ancestor walk in C (no filter code
//! runs inside it), and a denial ([`Verdict::Deny`]) can only be made from
//! the [`Permission`] of the very event it answers.
//!
//! This module and its children are the only place of the crate that uses
//! `unsafe`.

mod event;
mod inode_set;
mod process;

pub use event::{Actor, Event, EventMask, Permission, Place};
pub use inode_set::{InodeSet, OwnedInodeSet};
pub use process::{Kuid, Process};

use core::marker::PhantomData;
use kernel::{
    bindings,
    error::{to_result, VTABLE_DEFAULT_ERROR},
    ffi::{c_int, c_void},
    prelude::*,
    types::ForeignOwnable,
    ThisModule,
};

/// What a filter decides for one event.
///
/// `'e` is the lifetime of the event the verdict answers: a verdict cannot
/// be kept and returned for another event.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'e> {
    /// Hand the event to the group, as if there were no filter.
    Send,
    /// Drop the event for this group before anything is allocated. For a
    /// permission event, the group allows the access without asking user
    /// space.
    Skip,
    /// Deny a permission event with `EPERM`, without asking user space.
    /// Only [`Permission::deny`] makes one.
    Deny(Denial<'e>),
}

impl Verdict<'_> {
    /// [`Verdict::Send`] if `send`, else [`Verdict::Skip`].
    pub fn send_if(send: bool) -> Self {
        if send {
            Verdict::Send
        } else {
            Verdict::Skip
        }
    }

    fn to_c(&self) -> c_int {
        match self {
            Verdict::Send => bindings::fanotify_filter_verdict_FAN_FILTER_SEND as c_int,
            Verdict::Skip => bindings::fanotify_filter_verdict_FAN_FILTER_SKIP as c_int,
            Verdict::Deny(_) => EPERM.to_errno(),
        }
    }
}

/// The denial of one permission event; see [`Permission::deny`].
///
/// Neither `Copy` nor `Clone`, and bound to the event's lifetime.
#[derive(Debug, PartialEq, Eq)]
pub struct Denial<'e> {
    _event: PhantomData<&'e ()>,
}

/// The owner of an attachment's state, which the C side holds as one
/// pointer between [`Filter::init`] and the drop after detaching.
///
/// [`Pin<KBox<T>>`] holds any state (build it with [`new_state`]);
/// [`OwnedInodeSet`] is a state of its own, so that a filter that only needs
/// a set (`subtree`) reaches it with no extra load per event.
///
/// # Safety
///
/// `into_foreign()` returns a pointer that is not null, not an `ERR_PTR`
/// value and not that of any other live owner (the kernel rejects a
/// reconfiguration that returns the state it replaces); the borrowed form
/// may be used from any CPU at once.
pub unsafe trait FilterState: ForeignOwnable + Send + Sync + 'static {}

// SAFETY: a box is a unique, non-null kernel allocation; `T: Sync` lets the
// borrowed `Pin<&T>` be shared across CPUs.
unsafe impl<T: Send + Sync + 'static> FilterState for Pin<KBox<T>> {}

// SAFETY: an owned set is a unique, non-null kernel allocation, and its
// borrowed `&InodeSet` is `Sync`.
unsafe impl FilterState for OwnedInodeSet {}

/// What [`Filter::filter`] and [`Filter::reconfigure`] see of the state:
/// `Pin<&T>` for a `Pin<KBox<T>>`, `&InodeSet` for an [`OwnedInodeSet`].
pub type StateRef<'a, F> = <<F as Filter>::State as ForeignOwnable>::Borrowed<'a>;

/// A fanotify filter type.
///
/// The kernel calls [`Filter::init`] when user space attaches the filter to
/// a group, [`Filter::filter`] for every event the group would receive, and
/// drops the state after the filter is detached or the group is closed.
#[vtable]
pub trait Filter {
    /// Name under which user space finds the filter: at most 31 printable
    /// ASCII bytes, no spaces, `/` or `:` (the kernel refuses others).
    const NAME: &'static CStr;

    /// One-line description, shown in sysfs.
    const DESCRIPTION: &'static CStr;

    /// Format of the attach arguments, shown in sysfs.
    const ARGS_DESCRIPTION: &'static CStr;

    /// Whether groups without `CAP_SYS_ADMIN` may attach the filter unless
    /// the administrator says otherwise (sysfs `unprivileged`).
    const UNPRIVILEGED: bool = false;

    /// The owner of the per-attachment state.
    ///
    /// `filter` runs on many CPUs at once, hence `Send + Sync`.
    type State: FilterState;

    /// Parses the attach arguments into the state.
    ///
    /// `args` is a kernel copy of the bytes user space passed (empty if it
    /// passed none). Runs in the context of the attaching task and may
    /// sleep; an error is returned to it and nothing is attached. Allocate
    /// with `GFP_KERNEL_ACCOUNT` ([`new_state`] does), so that memory is
    /// charged to the attaching task's cgroup.
    fn init(args: &[u8]) -> Result<Self::State>;

    /// Builds the state that replaces `old` when user space reconfigures an
    /// attachment with new arguments.
    ///
    /// `old` stays in use by concurrent [`Filter::filter`] calls until the
    /// new state is published; an error keeps `old`. Optional: without it,
    /// reconfiguration builds the new state with [`Filter::init`].
    fn reconfigure(old: StateRef<'_, Self>, args: &[u8]) -> Result<Self::State> {
        let _ = (old, args);
        kernel::build_error(VTABLE_DEFAULT_ERROR)
    }

    /// Decides about one event.
    ///
    /// Runs in atomic context (under `rcu_read_lock()`): it must not sleep,
    /// so it must not take a mutex or allocate with `GFP_KERNEL`. Runs in
    /// the context of the task that caused the event, or of a kernel thread
    /// (see [`Event::actor`]), possibly with filesystem locks held.
    fn filter<'e>(state: StateRef<'_, Self>, event: &'e Event<'_>) -> Verdict<'e>;
}

/// A state in a new box, built in place by `init` and charged to the
/// caller's memory cgroup. A plain value is an initializer of itself.
pub fn new_state<T>(init: impl PinInit<T, Error>) -> Result<Pin<KBox<T>>> {
    KBox::pin_init(init, GFP_KERNEL_ACCOUNT)
}

/// Turns a [`Filter`] impl into the C ops table.
///
/// # Invariants
///
/// `OPS` only contains trampolines of this type, which uphold the contract
/// of `struct fanotify_filter_ops`.
pub struct Adapter<T: Filter>(PhantomData<T>);

impl<T: Filter> Adapter<T> {
    const OPS: bindings::fanotify_filter_ops = bindings::fanotify_filter_ops {
        filter: Some(Self::filter_callback),
        init: Some(Self::init_callback),
        // Without it, the kernel builds the new state with `init`.
        reconfigure: if T::HAS_RECONFIGURE {
            Some(Self::reconfigure_callback)
        } else {
            None
        },
        free: Some(Self::free_callback),
        name: T::NAME.as_char_ptr(),
        desc: T::DESCRIPTION.as_char_ptr(),
        args_desc: T::ARGS_DESCRIPTION.as_char_ptr(),
        flags: if T::UNPRIVILEGED {
            bindings::FAN_FILTER_F_UNPRIV
        } else {
            0
        },
    };

    /// Returns the ops table; constant, so it lives as long as the module.
    const fn build() -> &'static bindings::fanotify_filter_ops {
        &Self::OPS
    }

    /// Builds the state of a new attachment. The kernel also passes the
    /// ops, for an `init` that serves several filter types; this one serves
    /// only `T`.
    ///
    /// # Safety
    ///
    /// `args` is null or valid for reads of `args_size` bytes for the
    /// duration of the call (the C side passes its kernel copy of the user
    /// arguments, or null when `args_size` is 0).
    unsafe extern "C" fn init_callback(
        _ops: *const bindings::fanotify_filter_ops,
        args: *const c_void,
        args_size: u32,
    ) -> *mut c_void {
        // SAFETY: `args` is null or `args_size` readable bytes that nobody
        // writes during this call (safety requirements).
        let args = unsafe { Self::args(args, args_size) };
        Self::into_c_state(T::init(args))
    }

    /// Builds the state that replaces `old` on reconfiguration. In the ops
    /// table only if `T` implements [`Filter::reconfigure`].
    ///
    /// # Safety
    ///
    /// - `old` was returned by `init_callback` or `reconfigure_callback` and
    ///   is not freed before this call returns (the C side frees a replaced
    ///   state only after publishing the new one and a grace period).
    /// - `args` is null or valid for reads of `args_size` bytes for the
    ///   duration of the call.
    unsafe extern "C" fn reconfigure_callback(
        old: *mut c_void,
        args: *const c_void,
        args_size: u32,
    ) -> *mut c_void {
        // SAFETY: `old` came from `into_foreign` of a `T::State` and is
        // alive during this call (safety requirements).
        let old = unsafe { T::State::borrow(old) };
        // SAFETY: as in `init_callback` (safety requirements).
        let args = unsafe { Self::args(args, args_size) };
        // A new owner: never `old` (`FilterState`), which the kernel would
        // reject.
        Self::into_c_state(T::reconfigure(old, args))
    }

    /// The attach arguments as a slice.
    ///
    /// # Safety
    ///
    /// `args` is null or valid for reads of `args_size` bytes, unchanged,
    /// for `'b`.
    unsafe fn args<'b>(args: *const c_void, args_size: u32) -> &'b [u8] {
        if args.is_null() || args_size == 0 {
            &[]
        } else {
            // SAFETY: `args` points to `args_size` readable bytes that nobody
            // writes during `'b` (safety requirements).
            unsafe { core::slice::from_raw_parts(args.cast::<u8>(), args_size as usize) }
        }
    }

    /// Hands a new state to the C side, or the error as an `ERR_PTR`.
    fn into_c_state(state: Result<T::State>) -> *mut c_void {
        match state {
            // The C side stores the pointer and hands it back to
            // `filter_callback`, to `reconfigure_callback` and, exactly once,
            // to `free_callback`.
            Ok(state) => state.into_foreign().cast_mut(),
            Err(e) => e.to_ptr(),
        }
    }

    /// Runs the filter for one event.
    ///
    /// # Safety
    ///
    /// - `state` was returned by `init_callback` or `reconfigure_callback`
    ///   and `free_callback` has not been called for it; the C side
    ///   guarantees this by calling the filter under the fsnotify mark SRCU
    ///   and freeing only after a grace period.
    /// - The call is made by `send_to_group()` as `struct
    ///   fanotify_filter_ops` documents: `mask`, `data`, `data_type`, `dir`
    ///   and `name` are valid for the duration of the call, under
    ///   `rcu_read_lock()`.
    unsafe extern "C" fn filter_callback(
        state: *mut c_void,
        mask: u32,
        data: *const c_void,
        data_type: c_int,
        dir: *mut bindings::inode,
        name: *const bindings::qstr,
    ) -> c_int {
        // SAFETY: `state` came from `into_foreign` of a `T::State` and has
        // not been taken back (safety requirements).
        let state = unsafe { T::State::borrow(state) };
        // SAFETY: the arguments are those of a filter call (safety
        // requirements), and the event does not outlive this call.
        let event = unsafe { Event::from_raw(mask, data, data_type, dir, name) };
        T::filter(state, &event).to_c()
    }

    /// Drops the state of an attachment.
    ///
    /// # Safety
    ///
    /// `state` was returned by `init_callback` or `reconfigure_callback`,
    /// this is the only call for it, and no `filter_callback` or
    /// `reconfigure_callback` for it is running or will run.
    unsafe extern "C" fn free_callback(state: *mut c_void) {
        // SAFETY: ownership of the `T::State` handed over by `init_callback`
        // or `reconfigure_callback` comes back here exactly once, with no
        // borrow left (safety requirements).
        drop(unsafe { T::State::from_foreign(state) });
    }
}

/// A registered filter type; dropping it unregisters the filter.
///
/// # Invariants
///
/// `ops` is registered with the kernel for as long as this object lives.
#[must_use = "the filter is unregistered when the registration is dropped"]
pub struct Registration<T: Filter> {
    ops: &'static bindings::fanotify_filter_ops,
    _filter: PhantomData<T>,
}

impl<T: Filter> Registration<T> {
    /// Registers `T` on behalf of `module`. Groups can attach it once the
    /// module's init has returned successfully.
    pub fn new(module: &'static ThisModule) -> Result<Self> {
        let ops = Adapter::<T>::build();
        // SAFETY: `ops` is a constant table that lives as long as the module,
        // and every attachment pins the module by the reference the C side
        // takes on `module`, so the table outlives every use.
        to_result(unsafe { bindings::__fanotify_filter_register(ops, module.as_ptr()) })?;
        // INVARIANT: registered just above.
        Ok(Self {
            ops,
            _filter: PhantomData,
        })
    }
}

impl<T: Filter> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: `self.ops` is registered (type invariant) and is the very
        // pointer that was passed to the register call.
        unsafe { bindings::fanotify_filter_unregister(self.ops) };
    }
}

// SAFETY: a registration is only a handle; the kernel serializes register
// and unregister internally, so it may be dropped from any thread.
unsafe impl<T: Filter> Send for Registration<T> {}
// SAFETY: a shared registration offers no operation at all.
unsafe impl<T: Filter> Sync for Registration<T> {}
