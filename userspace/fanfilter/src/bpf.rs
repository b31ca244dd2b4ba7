//! BPF filters: load an object whose struct_ops maps are of the kernel's
//! type `fanotify_bpf_filter` and register each as a filter type, with the
//! system's libbpf (Debian's libbpf1).  The registration lasts as long as
//! the [`BpfFilters`] value; groups attached meanwhile keep their filter.
//!
//! The kernel registers a filter type through a bpf_link only, so that the
//! process's exit, even by SIGKILL, unregisters it.  libbpf 1.1 predates
//! `SEC(".struct_ops.link")`, so the maps get `BPF_F_LINK` here and the
//! links are made with `bpf_link_create()`.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

#[repr(C)]
struct BpfObject {
    _opaque: [u8; 0],
}
#[repr(C)]
struct BpfMap {
    _opaque: [u8; 0],
}
#[repr(C)]
struct BpfLink {
    _opaque: [u8; 0],
}

#[link(name = "bpf")]
extern "C" {
    fn bpf_object__open_file(path: *const c_char, opts: *const c_void) -> *mut BpfObject;
    fn bpf_object__load(obj: *mut BpfObject) -> c_int;
    fn bpf_object__next_map(obj: *const BpfObject, map: *const BpfMap) -> *mut BpfMap;
    fn bpf_map__type(map: *const BpfMap) -> c_int;
    fn bpf_map__name(map: *const BpfMap) -> *const c_char;
    fn bpf_map__attach_struct_ops(map: *const BpfMap) -> *mut BpfLink;
    fn bpf_map__map_flags(map: *const BpfMap) -> u32;
    fn bpf_map__set_map_flags(map: *mut BpfMap, flags: u32) -> c_int;
    fn bpf_map__fd(map: *const BpfMap) -> c_int;
    fn bpf_link_create(
        prog_fd: c_int,
        target_fd: c_int,
        attach_type: c_int,
        opts: *const c_void,
    ) -> c_int;
    fn bpf_link__destroy(link: *mut BpfLink) -> c_int;
    fn bpf_object__close(obj: *mut BpfObject);
}

/// `BPF_MAP_TYPE_STRUCT_OPS` of `enum bpf_map_type`.
const BPF_MAP_TYPE_STRUCT_OPS: c_int = 26;
/// `BPF_F_LINK`: the map is registered by a link, not by its update.
const BPF_F_LINK: u32 = 1 << 13;
/// `BPF_STRUCT_OPS` of `enum bpf_attach_type`.
const BPF_STRUCT_OPS: c_int = 44;

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// A loaded BPF object and the filter types its struct_ops maps registered.
///
/// # Invariants
///
/// `obj` is a loaded libbpf object owned by this value; `links` are its
/// struct_ops maps' libbpf links and `registrations` the kernel links that
/// registered them, all released before the object is closed.
pub struct BpfFilters {
    obj: *mut BpfObject,
    links: Vec<*mut BpfLink>,
    registrations: Vec<OwnedFd>,
    names: Vec<String>,
}

/// The struct_ops maps of `obj`, in order.
fn struct_ops_maps(obj: *const BpfObject) -> Vec<*mut BpfMap> {
    let mut maps = Vec::new();
    let mut map: *mut BpfMap = std::ptr::null_mut();
    loop {
        // SAFETY: `obj` is an open libbpf object; `map` is NULL or one of
        // its maps.
        map = unsafe { bpf_object__next_map(obj, map) };
        if map.is_null() {
            return maps;
        }
        // SAFETY: `map` belongs to `obj`.
        if unsafe { bpf_map__type(map) } == BPF_MAP_TYPE_STRUCT_OPS {
            maps.push(map);
        }
    }
}

impl BpfFilters {
    /// Open and load `path` (the verifier's log goes to stderr through
    /// libbpf), and register every struct_ops map.  A filter's name is its
    /// map's, which by convention is the `.name` the program gives it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let what = path.display();
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: `c` is a NUL-terminated path; NULL options are allowed.
        let obj = unsafe { bpf_object__open_file(c.as_ptr(), std::ptr::null()) };
        if obj.is_null() {
            return Err(format!("{what}: {}", errno()));
        }
        let mut me = BpfFilters {
            obj,
            links: Vec::new(),
            registrations: Vec::new(),
            names: Vec::new(),
        };
        for map in struct_ops_maps(me.obj) {
            // SAFETY: `map` belongs to the object, which is not loaded yet.
            unsafe { bpf_map__set_map_flags(map, bpf_map__map_flags(map) | BPF_F_LINK) };
        }
        // SAFETY: `obj` is the object just opened.
        let err = unsafe { bpf_object__load(me.obj) };
        if err != 0 {
            return Err(format!(
                "{what} does not load: {} (the verifier's log is above)",
                std::io::Error::from_raw_os_error(-err)
            ));
        }
        for map in struct_ops_maps(me.obj) {
            // SAFETY: `map` belongs to the loaded object; libbpf returns a
            // NUL-terminated name that lives as long as the object.
            let name = unsafe { CStr::from_ptr(bpf_map__name(map)) }
                .to_string_lossy()
                .into_owned();
            // SAFETY: as above.  With BPF_F_LINK this fills the map, and
            // the link made below registers it.
            let link = unsafe { bpf_map__attach_struct_ops(map) };
            if link.is_null() {
                return Err(format!("{what}: cannot register {name}: {}", errno()));
            }
            me.links.push(link);
            // SAFETY: `map` is loaded and filled; NULL options are allowed.
            let fd =
                unsafe { bpf_link_create(bpf_map__fd(map), 0, BPF_STRUCT_OPS, std::ptr::null()) };
            if fd < 0 {
                return Err(format!("{what}: cannot register {name}: {}", errno()));
            }
            // SAFETY: `fd` is a new link fd that nothing else owns.
            me.registrations.push(unsafe { OwnedFd::from_raw_fd(fd) });
            me.names.push(name);
        }
        if me.names.is_empty() {
            return Err(format!(
                "{what} has no struct_ops map of type fanotify_bpf_filter"
            ));
        }
        Ok(me)
    }

    /// The names of the filter types registered.
    pub fn names(&self) -> &[String] {
        &self.names
    }
}

impl Drop for BpfFilters {
    fn drop(&mut self) {
        // Unregisters the filter types.
        self.registrations.clear();
        for &link in &self.links {
            // SAFETY: each link was returned by bpf_map__attach_struct_ops()
            // and is destroyed once.
            unsafe { bpf_link__destroy(link) };
        }
        // SAFETY: the object is ours; its links are gone.
        unsafe { bpf_object__close(self.obj) };
    }
}
