//! The unsafe half of the C boundary: dlopen, symbol lookup, the profile service table and
//! notification callbacks handed to the library, and the calls through the library's function
//! pointers. Everything else in the crate is safe code over these helpers.
#![allow(unsafe_code, reason = "the FFI boundary of this crate lives here")]

use std::ffi::{c_char, c_void, CStr, CString};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use libloading::Library;
use sai_headers::ffi::{
    sai_api_initialize_sig, sai_api_query_sig, sai_api_t, sai_api_uninitialize_sig,
    sai_attribute_t, sai_bulk_op_error_mode_t, sai_neighbor_entry_t, sai_object_id_t,
    sai_object_type_query_sig, sai_object_type_t, sai_port_oper_status_notification_t,
    sai_route_entry_t, sai_service_method_table_t, sai_status_t, sai_switch_profile_id_t,
};

/// `create_<ot>(oid*, switch_id, count, attrs)`.
pub(crate) type CreateFn = unsafe extern "C" fn(
    *mut sai_object_id_t,
    sai_object_id_t,
    u32,
    *const sai_attribute_t,
) -> sai_status_t;
/// `remove_<ot>(oid)`.
pub(crate) type RemoveFn = unsafe extern "C" fn(sai_object_id_t) -> sai_status_t;
/// `set_<ot>_attribute(oid, attr)`.
pub(crate) type SetFn =
    unsafe extern "C" fn(sai_object_id_t, *const sai_attribute_t) -> sai_status_t;
/// `get_<ot>_attribute(oid, count, attrs)`.
pub(crate) type GetFn =
    unsafe extern "C" fn(sai_object_id_t, u32, *mut sai_attribute_t) -> sai_status_t;
/// `create_switch(oid*, count, attrs)`.
pub(crate) type CreateSwitchFn =
    unsafe extern "C" fn(*mut sai_object_id_t, u32, *const sai_attribute_t) -> sai_status_t;
/// Entry create: `create_<entry>(entry*, count, attrs)`.
pub(crate) type EntryCreateFn<E> =
    unsafe extern "C" fn(*const E, u32, *const sai_attribute_t) -> sai_status_t;
/// Entry remove.
pub(crate) type EntryRemoveFn<E> = unsafe extern "C" fn(*const E) -> sai_status_t;
/// Entry set.
pub(crate) type EntrySetFn<E> =
    unsafe extern "C" fn(*const E, *const sai_attribute_t) -> sai_status_t;
/// Entry get.
pub(crate) type EntryGetFn<E> =
    unsafe extern "C" fn(*const E, u32, *mut sai_attribute_t) -> sai_status_t;
/// Bulk route create.
pub(crate) type BulkRouteCreateFn = unsafe extern "C" fn(
    u32,
    *const sai_route_entry_t,
    *const u32,
    *mut *const sai_attribute_t,
    sai_bulk_op_error_mode_t,
    *mut sai_status_t,
) -> sai_status_t;
/// Bulk route remove.
pub(crate) type BulkRouteRemoveFn = unsafe extern "C" fn(
    u32,
    *const sai_route_entry_t,
    sai_bulk_op_error_mode_t,
    *mut sai_status_t,
) -> sai_status_t;

/// The library's global entry points.
pub(crate) struct Core {
    pub(crate) initialize: sai_api_initialize_sig,
    pub(crate) query: sai_api_query_sig,
    pub(crate) uninitialize: sai_api_uninitialize_sig,
    pub(crate) object_type_query: Option<sai_object_type_query_sig>,
}

/// Loads the library and its global entry points.
pub(crate) fn load(path: &Path) -> Result<(Library, Core), String> {
    // SAFETY: loading runs its initialisers; the caller names a SAI implementation (libsai.so)
    // whose constructors need only a normal process; caller keeps Library alive while symbols used.
    let lib = unsafe { Library::new(path) }.map_err(|e| e.to_string())?;
    // SAFETY: symbol types are the sai.h prototypes (sai-headers made them from the library's ABI
    // data); values are copied out as plain fn pointers, valid while `lib` is loaded.
    let core = unsafe {
        let initialize = *lib
            .get::<sai_api_initialize_sig>(b"sai_api_initialize\0")
            .map_err(|e| e.to_string())?;
        let query = *lib
            .get::<sai_api_query_sig>(b"sai_api_query\0")
            .map_err(|e| e.to_string())?;
        let uninitialize = *lib
            .get::<sai_api_uninitialize_sig>(b"sai_api_uninitialize\0")
            .map_err(|e| e.to_string())?;
        let object_type_query = lib
            .get::<sai_object_type_query_sig>(b"sai_object_type_query\0")
            .ok()
            .map(|s| *s);
        Core {
            initialize,
            query,
            uninitialize,
            object_type_query,
        }
    };
    Ok((lib, core))
}

// ------------------------------------------------------------------ profile service table

struct Profile {
    entries: &'static [(CString, CString)],
    cursor: usize,
}

static PROFILE: Mutex<Profile> = Mutex::new(Profile {
    entries: &[],
    cursor: 0,
});

/// Installs the key/value profile the library reads through the service table. The strings are
/// leaked on purpose: the library may keep the returned `const char*` for its lifetime.
pub(crate) fn set_profile(kv: &[(String, String)]) -> Result<(), String> {
    let mut v = Vec::with_capacity(kv.len());
    for (k, val) in kv {
        v.push((
            CString::new(k.as_str()).map_err(|_| format!("profile key {k:?} has a NUL"))?,
            CString::new(val.as_str()).map_err(|_| format!("profile value {val:?} has a NUL"))?,
        ));
    }
    let mut p = PROFILE.lock().unwrap_or_else(PoisonError::into_inner);
    p.entries = Vec::leak(v);
    p.cursor = 0;
    Ok(())
}

unsafe extern "C" fn profile_get_value(
    _profile_id: sai_switch_profile_id_t,
    variable: *const c_char,
) -> *const c_char {
    if variable.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the library passes a NUL-terminated string (SAI service table contract), valid
    // for the duration of this call; checked non-NULL above.
    let key = unsafe { CStr::from_ptr(variable) };
    let p = PROFILE.lock().unwrap_or_else(PoisonError::into_inner);
    p.entries
        .iter()
        .find(|(k, _)| k.as_c_str() == key)
        .map_or(std::ptr::null(), |(_, v)| v.as_ptr())
}

unsafe extern "C" fn profile_get_next_value(
    _profile_id: sai_switch_profile_id_t,
    variable: *mut *const c_char,
    value: *mut *const c_char,
) -> i32 {
    let mut p = PROFILE.lock().unwrap_or_else(PoisonError::into_inner);
    if value.is_null() {
        // SAI: a NULL value restarts the enumeration
        p.cursor = 0;
        return 0;
    }
    if variable.is_null() {
        return -1;
    }
    let Some((k, v)) = p.entries.get(p.cursor) else {
        return -1;
    };
    p.cursor += 1;
    // SAFETY: both out-pointers were checked non-NULL and point to caller-owned `const char*`
    // slots (service table contract); the strings we store there are 'static (leaked).
    unsafe {
        *variable = k.as_ptr();
        *value = v.as_ptr();
    }
    0
}

pub(crate) static SERVICES: sai_service_method_table_t = sai_service_method_table_t {
    profile_get_value: Some(profile_get_value),
    profile_get_next_value: Some(profile_get_next_value),
};

// ------------------------------------------------------------------ notifications

pub(crate) static PORT_EVENTS: Mutex<Vec<(sai_object_id_t, i32)>> = Mutex::new(Vec::new());
pub(crate) static SHUTDOWN_REQUESTS: Mutex<Vec<sai_object_id_t>> = Mutex::new(Vec::new());

/// SAI_SWITCH_ATTR_PORT_STATE_CHANGE_NOTIFY callback: queues the events.
pub(crate) unsafe extern "C" fn on_port_state_change(
    count: u32,
    data: *const sai_port_oper_status_notification_t,
) {
    if data.is_null() || count == 0 {
        return;
    }
    let Ok(n) = usize::try_from(count) else {
        return;
    };
    // SAFETY: the library passes `count` consecutive notification records at `data`, valid for
    // the call (SAI notification contract); non-NULL checked above.
    let recs = unsafe { std::slice::from_raw_parts(data, n) };
    let mut q = PORT_EVENTS.lock().unwrap_or_else(PoisonError::into_inner);
    q.extend(
        recs.iter()
            .map(|r| (r.port_id, i32::try_from(r.port_state).unwrap_or(-1))),
    );
}

/// SAI_SWITCH_ATTR_SWITCH_SHUTDOWN_REQUEST_NOTIFY callback.
pub(crate) unsafe extern "C" fn on_shutdown_request(switch_id: sai_object_id_t) {
    SHUTDOWN_REQUESTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(switch_id);
}

// ------------------------------------------------------------------ calls

pub(crate) fn initialize(core: &Core) -> sai_status_t {
    // SAFETY: `initialize` is the library's sai_api_initialize (library alive, held by the
    // caller); SERVICES is a 'static table of valid callbacks.
    unsafe { (core.initialize)(0, &SERVICES) }
}

pub(crate) fn uninitialize(core: &Core) -> sai_status_t {
    // SAFETY: the library's sai_api_uninitialize; library alive.
    unsafe { (core.uninitialize)() }
}

/// sai_api_query: copies the API table of type `T` out of the library.
pub(crate) fn query_api<T: Copy>(core: &Core, api: sai_api_t) -> Result<T, sai_status_t> {
    let mut table: *mut c_void = std::ptr::null_mut();
    // SAFETY: sai_api_query writes one pointer into `table`; library alive.
    let st = unsafe { (core.query)(api, &mut table) };
    if st != 0 {
        return Err(st);
    }
    if table.is_null() {
        return Err(-1);
    }
    // SAFETY: SAI defines table layout `T` for `api` (caller pairs them, e.g. SAI_API_PORT with
    // sai_port_api_t); the library returned a non-NULL such table alive as long as it; Copy read.
    Ok(unsafe { *table.cast::<T>() })
}

pub(crate) fn object_type_query(core: &Core, oid: sai_object_id_t) -> Option<sai_object_type_t> {
    let f = core.object_type_query?;
    // SAFETY: the library's sai_object_type_query, takes a value, library alive.
    Some(unsafe { f(oid) })
}

pub(crate) fn create_switch(f: CreateSwitchFn, attrs: &[sai_attribute_t]) -> (sai_status_t, u64) {
    let mut oid = 0;
    let n = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
    // SAFETY: f is the library's create_switch; `attrs` is a valid array of `n` attributes whose
    // list/pointer members point into buffers the caller keeps alive across this call.
    let st = unsafe { f(&mut oid, n, attrs.as_ptr()) };
    (st, oid)
}

pub(crate) fn create(f: CreateFn, switch: u64, attrs: &[sai_attribute_t]) -> (sai_status_t, u64) {
    let mut oid = 0;
    let n = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
    // SAFETY: f is a create_<ot> entry of a table copied from the loaded library; `attrs` is a
    // valid array of `n` attributes with buffers alive across the call.
    let st = unsafe { f(&mut oid, switch, n, attrs.as_ptr()) };
    (st, oid)
}

pub(crate) fn remove(f: RemoveFn, oid: u64) -> sai_status_t {
    // SAFETY: remove_<ot> of the loaded library; takes a value.
    unsafe { f(oid) }
}

pub(crate) fn set(f: SetFn, oid: u64, attr: &sai_attribute_t) -> sai_status_t {
    // SAFETY: set_<ot>_attribute of the loaded library; `attr` is valid for the call.
    unsafe { f(oid, attr) }
}

pub(crate) fn get(f: GetFn, oid: u64, attrs: &mut [sai_attribute_t]) -> sai_status_t {
    let n = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
    // SAFETY: get_<ot>_attribute of the loaded library; `attrs` is a valid mutable array of `n`
    // attributes whose list members point to caller buffers of the advertised counts.
    unsafe { f(oid, n, attrs.as_mut_ptr()) }
}

pub(crate) fn entry_create<E>(
    f: EntryCreateFn<E>,
    e: &E,
    attrs: &[sai_attribute_t],
) -> sai_status_t {
    let n = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
    // SAFETY: entry create of the loaded library; `e` and `attrs` are valid for the call.
    unsafe { f(e, n, attrs.as_ptr()) }
}

pub(crate) fn entry_remove<E>(f: EntryRemoveFn<E>, e: &E) -> sai_status_t {
    // SAFETY: entry remove of the loaded library; `e` valid for the call.
    unsafe { f(e) }
}

pub(crate) fn entry_set<E>(f: EntrySetFn<E>, e: &E, attr: &sai_attribute_t) -> sai_status_t {
    // SAFETY: entry set of the loaded library; `e` and `attr` valid for the call.
    unsafe { f(e, attr) }
}

pub(crate) fn entry_get<E>(f: EntryGetFn<E>, e: &E, attrs: &mut [sai_attribute_t]) -> sai_status_t {
    let n = u32::try_from(attrs.len()).unwrap_or(u32::MAX);
    // SAFETY: entry get of the loaded library; `e` valid, `attrs` a valid mutable array.
    unsafe { f(e, n, attrs.as_mut_ptr()) }
}

pub(crate) fn bulk_route_create(
    f: BulkRouteCreateFn,
    entries: &[sai_route_entry_t],
    counts: &[u32],
    lists: &mut [*const sai_attribute_t],
    statuses: &mut [sai_status_t],
    mode: sai_bulk_op_error_mode_t,
) -> sai_status_t {
    let n = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    debug_assert!(counts.len() == entries.len() && lists.len() == entries.len());
    debug_assert!(statuses.len() == entries.len());
    // SAFETY: bulk create of the loaded library; `entries`, `counts`, `lists`, `statuses` all have
    // `n` elements; each `lists[i]` points to `counts[i]` valid attributes kept alive by the caller.
    unsafe {
        f(
            n,
            entries.as_ptr(),
            counts.as_ptr(),
            lists.as_mut_ptr(),
            mode,
            statuses.as_mut_ptr(),
        )
    }
}

pub(crate) fn bulk_route_remove(
    f: BulkRouteRemoveFn,
    entries: &[sai_route_entry_t],
    statuses: &mut [sai_status_t],
    mode: sai_bulk_op_error_mode_t,
) -> sai_status_t {
    let n = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    debug_assert!(statuses.len() == entries.len());
    // SAFETY: bulk remove of the loaded library; both arrays have `n` elements.
    unsafe { f(n, entries.as_ptr(), mode, statuses.as_mut_ptr()) }
}

/// The neighbor entry type, re-exported for the entry helpers.
pub(crate) type NeighborEntry = sai_neighbor_entry_t;

// ------------------------------------------------------------------ reading C values

/// The `count` member of a list value (what the library wrote back).
pub(crate) fn list_count(v: &sai_headers::ffi::sai_attribute_value_t, objlist: bool) -> u32 {
    // SAFETY: the caller initialised this union as objlist (objlist = true) or u32list before
    // the call; both are {u32 count, pointer} and the library only updates them in place.
    unsafe {
        if objlist {
            v.objlist.count
        } else {
            v.u32list.count
        }
    }
}

/// Reads the member of `v` selected by `kind`. List values come from the caller's buffers
/// (`oids` / `u32s`, which the union's list pointer referred to), truncated to the count the
/// library reported.
pub(crate) fn read_value(
    v: &sai_headers::ffi::sai_attribute_value_t,
    kind: crate::Kind,
    mut oids: Vec<u64>,
    mut u32s: Vec<u32>,
) -> crate::Value {
    use crate::{Kind, Value};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    // Every member of sai_attribute_value_t is POD (integers, arrays, {count, pointer} pairs).
    // SAFETY: no member has invalid bit patterns; the union was zero-/caller-initialised to >= 8
    // bytes before the library wrote the member `kind` names; inner pointers are not deref'd.
    unsafe {
        match kind {
            Kind::Bool => Value::Bool(v.booldata != 0),
            Kind::U32 => Value::U32(v.u32),
            Kind::S32 => Value::S32(v.s32),
            Kind::U64 => Value::U64(v.u64),
            Kind::Oid => Value::Oid(v.oid),
            Kind::Mac => Value::Mac(v.mac),
            Kind::Chars => {
                let bytes: Vec<u8> = v
                    .chardata
                    .iter()
                    .map(|c| c.to_ne_bytes()[0])
                    .take_while(|b| *b != 0)
                    .collect();
                Value::Chars(String::from_utf8_lossy(&bytes).into_owned())
            }
            Kind::Ip => {
                let a = v.ipaddr;
                if a.addr_family == sai_headers::ffi::SAI_IP_ADDR_FAMILY_IPV4 {
                    Value::Ip(IpAddr::V4(Ipv4Addr::from(a.addr.ip4.to_ne_bytes())))
                } else {
                    Value::Ip(IpAddr::V6(Ipv6Addr::from(a.addr.ip6)))
                }
            }
            Kind::OidList => {
                let n = usize::try_from(v.objlist.count).unwrap_or(usize::MAX);
                oids.truncate(n);
                Value::OidList(oids)
            }
            Kind::U32List => {
                let n = usize::try_from(v.u32list.count).unwrap_or(usize::MAX);
                u32s.truncate(n);
                Value::U32List(u32s)
            }
        }
    }
}
