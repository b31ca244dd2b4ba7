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

use crate::uapi::FAN_FILTER_NAME_MAX;

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
    fn bpf_map__value_size(map: *const BpfMap) -> u32;
    fn bpf_map_lookup_elem(fd: c_int, key: *const c_void, value: *mut c_void) -> c_int;
    fn btf__load_vmlinux_btf() -> *mut Btf;
    fn btf__free(btf: *mut Btf);
    fn btf__find_by_name_kind(btf: *const Btf, name: *const c_char, kind: u32) -> i32;
    fn btf__type_by_id(btf: *const Btf, id: u32) -> *const BtfType;
    fn btf__name_by_offset(btf: *const Btf, offset: u32) -> *const c_char;
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

#[repr(C)]
struct Btf {
    _opaque: [u8; 0],
}

/// `struct btf_type` of `<linux/btf.h>`; `vlen` members follow a struct.
#[repr(C)]
struct BtfType {
    name_off: u32,
    info: u32,
    size_or_type: u32,
}

/// `struct btf_member` of `<linux/btf.h>`.
#[repr(C)]
struct BtfMember {
    name_off: u32,
    type_id: u32,
    offset: u32,
}

const BTF_KIND_STRUCT: u32 = 4;

/// The running kernel's BTF, freed on drop.
struct KernelBtf(*mut Btf);

impl KernelBtf {
    fn load() -> Result<Self, String> {
        // SAFETY: no arguments; returns a new object or NULL with errno.
        let btf = unsafe { btf__load_vmlinux_btf() };
        if btf.is_null() {
            return Err(format!("the kernel's BTF: {}", errno()));
        }
        Ok(KernelBtf(btf))
    }

    /// The byte offset of `member` in the kernel's `struct name`.
    fn member_offset(&self, name: &str, member: &str) -> Result<usize, String> {
        let c = CString::new(name).map_err(|e| e.to_string())?;
        // SAFETY: `self.0` is a loaded BTF and `c` is NUL-terminated.
        let id = unsafe { btf__find_by_name_kind(self.0, c.as_ptr(), BTF_KIND_STRUCT) };
        if id <= 0 {
            return Err(format!("no struct {name} in the kernel's BTF"));
        }
        // SAFETY: `id` is a type of this BTF, which outlives the pointer's
        // use here; a struct's `vlen` members follow its btf_type.
        let members = unsafe {
            let t = btf__type_by_id(self.0, id as u32);
            let vlen = ((*t).info & 0xffff) as usize;
            std::slice::from_raw_parts(t.add(1).cast::<BtfMember>(), vlen)
        };
        // SAFETY: as above; kind_flag is bit 31 of info.
        let kflag = unsafe { (*btf__type_by_id(self.0, id as u32)).info } >> 31 != 0;
        for m in members {
            // SAFETY: name offsets of this BTF give NUL-terminated strings
            // that live as long as it.
            let mname = unsafe { CStr::from_ptr(btf__name_by_offset(self.0, m.name_off)) };
            if mname.to_bytes() == member.as_bytes() {
                let bits = if kflag {
                    m.offset & 0xff_ffff
                } else {
                    m.offset
                };
                return Ok(bits as usize / 8);
            }
        }
        Err(format!("struct {name} has no member {member}"))
    }
}

impl Drop for KernelBtf {
    fn drop(&mut self) {
        // SAFETY: loaded by btf__load_vmlinux_btf(), freed once.
        unsafe { btf__free(self.0) };
    }
}

/// The `.name` of a filled struct_ops map of type `fanotify_bpf_filter`,
/// as the kernel holds it: the map's value is the kernel's `struct
/// bpf_struct_ops_fanotify_bpf_filter`, whose member `data` is the
/// kernel's `struct fanotify_bpf_filter`; both offsets from its BTF.
fn struct_ops_name(map: *const BpfMap, btf: &KernelBtf) -> Result<String, String> {
    let at = btf.member_offset("bpf_struct_ops_fanotify_bpf_filter", "data")?
        + btf.member_offset("fanotify_bpf_filter", "name")?;
    // SAFETY: `map` is a loaded map of the object.
    let size = unsafe { bpf_map__value_size(map) } as usize;
    if size < at + FAN_FILTER_NAME_MAX {
        return Err(format!("a value of {size} bytes has no name at {at}"));
    }
    let mut value = vec![0u8; size];
    let key = 0u32;
    // SAFETY: the map's fd is open; `key` is its 4-byte key and `value`
    // has room for its value size.
    let r = unsafe {
        bpf_map_lookup_elem(
            bpf_map__fd(map),
            (&key as *const u32).cast(),
            value.as_mut_ptr().cast(),
        )
    };
    if r != 0 {
        return Err(errno().to_string());
    }
    let tail = &value[at..at + FAN_FILTER_NAME_MAX];
    let name = CStr::from_bytes_until_nul(tail)
        .map_err(|_| "not NUL-terminated".to_string())?
        .to_str()
        .map_err(|e| e.to_string())?;
    // Every BPF filter's name has the prefix (the kernel refuses others).
    if !name.starts_with("bpf_") {
        return Err(format!("{name:?} does not start with bpf_"));
    }
    Ok(name.to_string())
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
        let mut btf = None;
        for map in struct_ops_maps(me.obj) {
            // SAFETY: `map` belongs to the loaded object; libbpf returns a
            // NUL-terminated name that lives as long as the object.
            let map_name = unsafe { CStr::from_ptr(bpf_map__name(map)) }
                .to_string_lossy()
                .into_owned();
            // SAFETY: `map` is loaded.  With BPF_F_LINK this fills the map,
            // and the link made below registers it.
            let link = unsafe { bpf_map__attach_struct_ops(map) };
            if link.is_null() {
                return Err(format!("{what}: cannot register {map_name}: {}", errno()));
            }
            me.links.push(link);
            // The filter's name is the struct's .name, which the kernel
            // registers, not the map's (the C variable's).
            let kernel_btf = match &btf {
                Some(b) => b,
                None => btf.insert(KernelBtf::load()?),
            };
            let name = struct_ops_name(map, kernel_btf)
                .map_err(|e| format!("{what}: map {map_name}: the filter's .name: {e}"))?;
            // SAFETY: `map` is loaded and filled; NULL options are allowed.
            let fd =
                unsafe { bpf_link_create(bpf_map__fd(map), 0, BPF_STRUCT_OPS, std::ptr::null()) };
            if fd < 0 {
                let e = errno();
                let hint = if e.raw_os_error() == Some(libc::EEXIST) {
                    " (a filter of that name is registered already: another \
                     fanfilter-bpf, or watch --bpf, has this object loaded)"
                } else {
                    ""
                };
                return Err(format!("{what}: cannot register {name}: {e}{hint}"));
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
