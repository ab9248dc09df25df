//! The functions `sai.h`, `saiobject.h`, `saiversion.h` and `saitam.h` declare. Each signature is
//! checked at compile time against the type generated from the ABI data (`<name>_sig`).

use crate::convert::{write_list, OutError};
use crate::guard::{run, run_or};
use crate::keys::key_to_c;
use crate::ops::{self, Keys};
use core::ffi::{c_char, c_void, CStr};
use sai_headers::ffi::*;
use sai_headers::meta;
use sai_store::{ObjectKey, Profile, Sai, StatsMode};
use std::collections::BTreeMap;
use std::sync::Arc;

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(st) => return st,
        }
    };
}

macro_rules! check_sig {
    ($($f:ident),* $(,)?) => {
        $( const _: () = { let _: concat_idents_sig::$f = $f; }; )*
    };
}

/// Aliases so that `check_sig!` can name `<fn>_sig` by the function's own name.
#[allow(non_camel_case_types, reason = "C names")]
mod concat_idents_sig {
    pub type sai_api_initialize = sai_headers::ffi::sai_api_initialize_sig;
    pub type sai_api_uninitialize = sai_headers::ffi::sai_api_uninitialize_sig;
    pub type sai_api_query = sai_headers::ffi::sai_api_query_sig;
    pub type sai_log_set = sai_headers::ffi::sai_log_set_sig;
    pub type sai_query_api_version = sai_headers::ffi::sai_query_api_version_sig;
    pub type sai_object_type_query = sai_headers::ffi::sai_object_type_query_sig;
    pub type sai_switch_id_query = sai_headers::ffi::sai_switch_id_query_sig;
    pub type sai_dbg_generate_dump = sai_headers::ffi::sai_dbg_generate_dump_sig;
    pub type sai_object_type_get_availability =
        sai_headers::ffi::sai_object_type_get_availability_sig;
    pub type sai_get_maximum_attribute_count =
        sai_headers::ffi::sai_get_maximum_attribute_count_sig;
    pub type sai_get_object_count = sai_headers::ffi::sai_get_object_count_sig;
    pub type sai_get_object_key = sai_headers::ffi::sai_get_object_key_sig;
    pub type sai_bulk_get_attribute = sai_headers::ffi::sai_bulk_get_attribute_sig;
    pub type sai_query_attribute_capability = sai_headers::ffi::sai_query_attribute_capability_sig;
    pub type sai_query_attribute_enum_values_capability =
        sai_headers::ffi::sai_query_attribute_enum_values_capability_sig;
    pub type sai_query_stats_capability = sai_headers::ffi::sai_query_stats_capability_sig;
    pub type sai_query_stats_st_capability = sai_headers::ffi::sai_query_stats_st_capability_sig;
    pub type sai_bulk_object_get_stats = sai_headers::ffi::sai_bulk_object_get_stats_sig;
    pub type sai_bulk_object_clear_stats = sai_headers::ffi::sai_bulk_object_clear_stats_sig;
    pub type sai_query_object_stage = sai_headers::ffi::sai_query_object_stage_sig;
    pub type sai_tam_telemetry_get_data = sai_headers::ffi::sai_tam_telemetry_get_data_sig;
}

check_sig!(
    sai_api_initialize,
    sai_api_uninitialize,
    sai_api_query,
    sai_log_set,
    sai_query_api_version,
    sai_object_type_query,
    sai_switch_id_query,
    sai_dbg_generate_dump,
    sai_object_type_get_availability,
    sai_get_maximum_attribute_count,
    sai_get_object_count,
    sai_get_object_key,
    sai_bulk_get_attribute,
    sai_query_attribute_capability,
    sai_query_attribute_enum_values_capability,
    sai_query_stats_capability,
    sai_query_stats_st_capability,
    sai_bulk_object_get_stats,
    sai_bulk_object_clear_stats,
    sai_query_object_stage,
    sai_tam_telemetry_get_data,
);

/// Profile keys asked one by one through `profile_get_value` when the service table has no
/// `profile_get_next_value` (with it, the whole profile is walked).
const PROFILE_KEYS: &[&str] = &[
    "SAI_VS_SWITCH_TYPE",
    "SAI_VS_SAI_SWITCH_TYPE",
    "SAI_VS_INTERFACE_LANE_MAP_FILE",
    "FERROSAI_LANE_MAP_FILE",
    "SAI_VS_HOSTIF_USE_TAP_DEVICE",
    "SAI_VS_USE_CONFIGURED_SPEED_AS_OPER_SPEED",
    SAI_KEY_BOOT_TYPE,
    SAI_KEY_WARM_BOOT_READ_FILE,
    SAI_KEY_WARM_BOOT_WRITE_FILE,
    SAI_KEY_FDB_TABLE_SIZE,
    SAI_KEY_L3_ROUTE_TABLE_SIZE,
    SAI_KEY_L3_NEIGHBOR_TABLE_SIZE,
    SAI_KEY_NUM_LAG_MEMBERS,
    SAI_KEY_NUM_LAGS,
    SAI_KEY_NUM_ECMP_MEMBERS,
    SAI_KEY_NUM_ECMP_GROUPS,
    "FERROSAI_PORT_SPEED",
    "FERROSAI_UNICAST_QUEUES",
    "FERROSAI_MULTICAST_QUEUES",
    "FERROSAI_CPU_QUEUES",
    "FERROSAI_INGRESS_PRIORITY_GROUPS",
    "FERROSAI_TABLE_SIZE_DEFAULT",
    "FERROSAI_TABLE_SIZE_ROUTE_ENTRY",
    "FERROSAI_TABLE_SIZE_NEIGHBOR_ENTRY",
    "FERROSAI_TABLE_SIZE_NEXT_HOP",
    "FERROSAI_TABLE_SIZE_NEXT_HOP_GROUP",
    "FERROSAI_TABLE_SIZE_FDB_ENTRY",
    sai_dataplane::PROFILE_RING,
    sai_dataplane::PROFILE_RING_PATH,
    sai_dataplane::PROFILE_FWD_PORTS,
    sai_dataplane::PROFILE_LOST_MS,
];

/// The keys of [`PROFILE_KEYS`] the profile does not set (their defaults apply), for the log.
/// The ring path has two names: either one set counts for both.
fn unset_keys(profile: &Profile) -> Vec<&'static str> {
    let set = |k: &str| profile.values.contains_key(k);
    let ring_set = set(sai_dataplane::PROFILE_RING) || set(sai_dataplane::PROFILE_RING_PATH);
    PROFILE_KEYS
        .iter()
        .copied()
        .filter(|&k| {
            let ring_alias =
                k == sai_dataplane::PROFILE_RING || k == sai_dataplane::PROFILE_RING_PATH;
            !(set(k) || (ring_alias && ring_set))
        })
        .collect()
}

/// Upper bound on profile entries walked (protects against a service that never ends).
const MAX_PROFILE_ENTRIES: usize = 100_000;

/// # Safety
/// `p` is null or a NUL-terminated string.
unsafe fn cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null and NUL-terminated (caller contract).
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// Reads the profile through the service method table.
///
/// # Safety
/// `smt` must be a valid service method table whose functions follow the SAI contract.
unsafe fn read_profile(smt: &sai_service_method_table_t) -> Profile {
    let mut values = BTreeMap::new();
    if let Some(next) = smt.profile_get_next_value {
        // SAFETY: SAI contract: a NULL value resets the iteration.
        unsafe { next(0, core::ptr::null_mut(), core::ptr::null_mut()) };
        for _ in 0..MAX_PROFILE_ENTRIES {
            let mut var: *const c_char = core::ptr::null();
            let mut val: *const c_char = core::ptr::null();
            // SAFETY: both out-pointers are valid; the service returns -1 at the end.
            if unsafe { next(0, &mut var, &mut val) } != 0 {
                break;
            }
            // SAFETY: the service hands NUL-terminated strings (or NULL).
            let (k, v) = unsafe { (cstr(var), cstr(val)) };
            match k {
                Some(k) => {
                    values.insert(k, v.unwrap_or_default());
                }
                None => break,
            }
        }
    }
    if let Some(get) = smt.profile_get_value {
        for key in PROFILE_KEYS {
            if values.contains_key(*key) {
                continue;
            }
            let Ok(ck) = std::ffi::CString::new(*key) else {
                continue;
            };
            // SAFETY: a valid NUL-terminated key; the service returns NULL or a string.
            if let Some(v) = unsafe { cstr(get(0, ck.as_ptr())) } {
                values.insert((*key).to_string(), v);
            }
        }
    }
    Profile { values }
}

/// `sai_api_initialize`: reads the profile and creates the store. A second call without
/// `sai_api_uninitialize` fails (`SAI_STATUS_FAILURE`), as in other SAI implementations.
///
/// # Safety
/// `services` must be null or a valid service method table.
#[no_mangle]
pub unsafe extern "C" fn sai_api_initialize(
    flags: u64,
    services: *const sai_service_method_table_t,
) -> sai_status_t {
    run("sai_api_initialize", || {
        if flags != 0 || services.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: non-null, and the caller passes a valid table.
        let profile = unsafe { read_profile(&*services) };
        let mut g = crate::SAI.write().unwrap_or_else(|e| e.into_inner());
        if g.is_some() {
            crate::log::error(format_args!("sai_api_initialize: already initialized"));
            return SAI_STATUS_FAILURE;
        }
        match Sai::new(&profile) {
            Ok(s) => {
                crate::log::notice(format_args!(
                    "sai_api_initialize: {} profile keys, SAI API version {}",
                    profile.values.len(),
                    meta::SAI_API_VERSION
                ));
                let unset = unset_keys(&profile);
                if !unset.is_empty() {
                    crate::log::notice(format_args!(
                        "sai_api_initialize: profile keys not set (defaults apply): {}",
                        unset.join(", ")
                    ));
                }
                let s = Arc::new(s);
                *g = Some(Arc::clone(&s));
                if let Err(e) = crate::notify::start_dataplane(&s, &profile) {
                    crate::log::error(format_args!("sai_api_initialize: dataplane: {e}"));
                }
                SAI_STATUS_SUCCESS
            }
            Err(e) => {
                crate::log::error(format_args!("sai_api_initialize: bad profile: {e}"));
                SAI_STATUS_INVALID_PARAMETER
            }
        }
    })
}

/// `sai_api_uninitialize`: drops the store (calls in flight keep their reference until done).
///
/// # Safety
/// No arguments.
#[no_mangle]
pub unsafe extern "C" fn sai_api_uninitialize() -> sai_status_t {
    run("sai_api_uninitialize", || {
        crate::notify::stop_dataplane();
        let mut g = crate::SAI.write().unwrap_or_else(|e| e.into_inner());
        match g.take() {
            Some(_) => SAI_STATUS_SUCCESS,
            None => SAI_STATUS_UNINITIALIZED,
        }
    })
}

/// `sai_api_query`: the method table of `api`; every slot is a function.
///
/// # Safety
/// `api_method_table` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_api_query(
    api: sai_api_t,
    api_method_table: *mut *mut c_void,
) -> sai_status_t {
    run("sai_api_query", || {
        if api_method_table.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        tri!(crate::sai());
        match crate::tables::api_table(api) {
            Some(t) => {
                // SAFETY: non-null, writable (caller contract). The table is a static.
                unsafe { api_method_table.write_unaligned(t.cast_mut()) };
                SAI_STATUS_SUCCESS
            }
            None => SAI_STATUS_INVALID_PARAMETER,
        }
    })
}

/// `sai_log_set`: log level of one API (or of all with `SAI_API_UNSPECIFIED`).
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn sai_log_set(api: sai_api_t, log_level: sai_log_level_t) -> sai_status_t {
    run("sai_log_set", || {
        if !crate::log::is_level(log_level) {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        if api == SAI_API_UNSPECIFIED {
            for (a, ..) in crate::API_TABLES {
                crate::log::set_level(*a, log_level);
            }
            return SAI_STATUS_SUCCESS;
        }
        if !crate::API_TABLES.iter().any(|t| t.0 == api) {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        crate::log::set_level(api, log_level);
        SAI_STATUS_SUCCESS
    })
}

/// `sai_query_api_version`: the `SAI_API_VERSION` of the ABI data we implement.
///
/// # Safety
/// `version` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_query_api_version(version: *mut sai_api_version_t) -> sai_status_t {
    run("sai_query_api_version", || {
        if version.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: non-null, writable (caller contract).
        unsafe { version.write_unaligned(meta::SAI_API_VERSION) };
        SAI_STATUS_SUCCESS
    })
}

/// `sai_object_type_query`: O(1) from the id's type bits; `SAI_OBJECT_TYPE_NULL` for garbage.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn sai_object_type_query(object_id: sai_object_id_t) -> sai_object_type_t {
    run_or("sai_object_type_query", SAI_OBJECT_TYPE_NULL, || {
        sai_store::object_type_query(object_id)
    })
}

/// `sai_switch_id_query`: O(1) from the id's switch bits; `SAI_NULL_OBJECT_ID` for garbage.
///
/// # Safety
/// No pointer arguments.
#[no_mangle]
pub unsafe extern "C" fn sai_switch_id_query(object_id: sai_object_id_t) -> sai_object_id_t {
    run_or("sai_switch_id_query", SAI_NULL_OBJECT_ID, || {
        sai_store::switch_id_query(object_id)
    })
}

/// `sai_dbg_generate_dump`: writes every stored object with its attributes to the file.
///
/// # Safety
/// `dump_file_name` must be null or a NUL-terminated path.
#[no_mangle]
pub unsafe extern "C" fn sai_dbg_generate_dump(dump_file_name: *const c_char) -> sai_status_t {
    run("sai_dbg_generate_dump", || {
        // SAFETY: null or NUL-terminated (caller contract).
        let Some(path) = (unsafe { cstr(dump_file_name) }) else {
            return SAI_STATUS_INVALID_PARAMETER;
        };
        let sai = tri!(crate::sai());
        match std::fs::write(&path, crate::dump::dump_text(&sai)) {
            Ok(()) => SAI_STATUS_SUCCESS,
            Err(e) => {
                crate::log::error(format_args!("sai_dbg_generate_dump: {path}: {e}"));
                SAI_STATUS_FAILURE
            }
        }
    })
}

/// `sai_object_type_get_availability`: how many more objects of the type can be created.
///
/// # Safety
/// `attr_list` holds `attr_count` attributes; `count` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_object_type_get_availability(
    switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    attr_count: u32,
    attr_list: *const sai_attribute_t,
    count: *mut u64,
) -> sai_status_t {
    run("sai_object_type_get_availability", || {
        if count.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        // The attributes (e.g. an ACL stage) are validated; availability does not depend on them.
        // SAFETY: forwarded caller contract.
        tri!(unsafe { crate::convert::attrs_from_c(object_type, attr_count, attr_list) });
        match sai.object_type_get_availability(switch_id, object_type) {
            Ok(n) => {
                // SAFETY: non-null, writable.
                unsafe { count.write_unaligned(n) };
                SAI_STATUS_SUCCESS
            }
            Err(e) => e,
        }
    })
}

/// `sai_get_maximum_attribute_count`: the number of attributes the type's metadata defines.
///
/// # Safety
/// `count` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_get_maximum_attribute_count(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    count: *mut u32,
) -> sai_status_t {
    run("sai_get_maximum_attribute_count", || {
        if count.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let n = tri!(sai.maximum_attribute_count(object_type));
        // SAFETY: non-null, writable.
        unsafe { count.write_unaligned(n) };
        SAI_STATUS_SUCCESS
    })
}

/// `sai_get_object_count`.
///
/// # Safety
/// `count` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_get_object_count(
    switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    count: *mut u32,
) -> sai_status_t {
    run("sai_get_object_count", || {
        if count.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let keys = tri!(sai.object_keys(switch_id, object_type));
        // SAFETY: non-null, writable.
        unsafe { count.write_unaligned(u32::try_from(keys.len()).unwrap_or(u32::MAX)) };
        SAI_STATUS_SUCCESS
    })
}

/// `sai_get_object_key`: the keys of every object of a type (`BUFFER_OVERFLOW` + count if short).
///
/// # Safety
/// `object_count` must be null or writable; `object_list` holds `*object_count` keys.
#[no_mangle]
pub unsafe extern "C" fn sai_get_object_key(
    switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    object_count: *mut u32,
    object_list: *mut sai_object_key_t,
) -> sai_status_t {
    run("sai_get_object_key", || {
        if object_count.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let Some(info) = meta::object_type(object_type) else {
            return SAI_STATUS_INVALID_PARAMETER;
        };
        let keys = tri!(sai.object_keys(switch_id, object_type));
        let need = u32::try_from(keys.len()).unwrap_or(u32::MAX);
        // SAFETY: non-null (checked), readable and writable (caller contract).
        let cap = unsafe { object_count.read_unaligned() };
        // SAFETY: as above.
        unsafe { object_count.write_unaligned(need) };
        if cap < need {
            return SAI_STATUS_BUFFER_OVERFLOW;
        }
        if need > 0 && object_list.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        for (i, k) in keys.iter().enumerate() {
            // SAFETY: zero is a valid sai_object_key_t (plain C data).
            let mut out: sai_object_key_t = unsafe { core::mem::zeroed() };
            match k {
                ObjectKey::Oid(o) => out.key.object_id = *o,
                ObjectKey::Entry(e) => {
                    // SAFETY: `out` is a zeroed key union large enough for every key struct.
                    tri!(unsafe { key_to_c(info, e, core::ptr::from_mut(&mut out).cast()) });
                }
                ObjectKey::Route(r) => {
                    let e = r.to_entry();
                    // SAFETY: as above.
                    tri!(unsafe { key_to_c(info, &e, core::ptr::from_mut(&mut out).cast()) });
                }
            }
            // SAFETY: i < need <= cap keys in the caller's array.
            unsafe { object_list.add(i).write_unaligned(out) };
        }
        SAI_STATUS_SUCCESS
    })
}

/// `sai_bulk_get_attribute`: get on many objects given by `sai_object_key_t`.
///
/// # Safety
/// Arrays hold `object_count` entries; each attribute list its count.
#[no_mangle]
pub unsafe extern "C" fn sai_bulk_get_attribute(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    object_count: u32,
    object_key: *const sai_object_key_t,
    attr_count: *mut u32,
    attr_list: *mut *mut sai_attribute_t,
    object_statuses: *mut sai_status_t,
) -> sai_status_t {
    run("sai_bulk_get_attribute", || {
        // SAFETY: forwarded caller contract.
        unsafe {
            ops::bulk_get(
                object_type,
                object_count,
                Keys::Generic(object_key),
                attr_count.cast_const(),
                attr_list,
                SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR,
                object_statuses,
            )
        }
    })
}

/// `sai_query_attribute_capability`.
///
/// # Safety
/// `attr_capability` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn sai_query_attribute_capability(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    attr_id: sai_attr_id_t,
    attr_capability: *mut sai_attr_capability_t,
) -> sai_status_t {
    run("sai_query_attribute_capability", || {
        if attr_capability.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let c = tri!(sai.query_attribute_capability(object_type, attr_id));
        let out = sai_attr_capability_t {
            create_implemented: c_bool::from(c.create_implemented),
            set_implemented: c_bool::from(c.set_implemented),
            get_implemented: c_bool::from(c.get_implemented),
        };
        // SAFETY: non-null, writable.
        unsafe { attr_capability.write_unaligned(out) };
        SAI_STATUS_SUCCESS
    })
}

/// `sai_query_attribute_enum_values_capability` (`BUFFER_OVERFLOW` + count if short).
///
/// # Safety
/// `enum_values_capability` must be null or a valid list.
#[no_mangle]
pub unsafe extern "C" fn sai_query_attribute_enum_values_capability(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    attr_id: sai_attr_id_t,
    enum_values_capability: *mut sai_s32_list_t,
) -> sai_status_t {
    run("sai_query_attribute_enum_values_capability", || {
        if enum_values_capability.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let vals = tri!(sai.query_enum_values_capability(object_type, attr_id));
        // SAFETY: non-null; the list buffer is valid for its count (caller contract).
        let l = unsafe { &mut *enum_values_capability };
        // SAFETY: as above.
        out_status(unsafe { write_list(&mut l.count, l.list, &vals) })
    })
}

fn out_status(r: Result<(), OutError>) -> sai_status_t {
    match r {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(OutError::Overflow) => SAI_STATUS_BUFFER_OVERFLOW,
        Err(OutError::InvalidParameter) => SAI_STATUS_INVALID_PARAMETER,
        Err(OutError::Mismatch) => SAI_STATUS_FAILURE,
    }
}

/// Stats modes we support for every counter a source answers.
const STAT_MODES: u32 = SAI_STATS_MODE_READ | SAI_STATS_MODE_READ_AND_CLEAR;
/// Minimal polling interval advertised for stats (ns).
const MIN_POLL_NS: u64 = 100_000_000;

/// `sai_query_stats_capability`: the counters the forwarder's stats source answers.
///
/// # Safety
/// `stats_capability` must be null or a valid list.
#[no_mangle]
pub unsafe extern "C" fn sai_query_stats_capability(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    stats_capability: *mut sai_stat_capability_list_t,
) -> sai_status_t {
    run("sai_query_stats_capability", || {
        if stats_capability.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let ids = tri!(sai.query_stats_capability(object_type));
        let items: Vec<sai_stat_capability_t> = ids
            .iter()
            .map(|id| sai_stat_capability_t {
                stat_enum: *id,
                stat_modes: STAT_MODES,
            })
            .collect();
        // SAFETY: non-null; the list buffer is valid for its count (caller contract).
        let l = unsafe { &mut *stats_capability };
        // SAFETY: as above.
        out_status(unsafe { write_list(&mut l.count, l.list, &items) })
    })
}

/// `sai_query_stats_st_capability`: as above, with the minimal polling interval.
///
/// # Safety
/// `stats_capability` must be null or a valid list.
#[no_mangle]
pub unsafe extern "C" fn sai_query_stats_st_capability(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    stats_capability: *mut sai_stat_st_capability_list_t,
) -> sai_status_t {
    run("sai_query_stats_st_capability", || {
        if stats_capability.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        let ids = tri!(sai.query_stats_capability(object_type));
        let items: Vec<sai_stat_st_capability_t> = ids
            .iter()
            .map(|id| sai_stat_st_capability_t {
                capability: sai_stat_capability_t {
                    stat_enum: *id,
                    stat_modes: STAT_MODES,
                },
                minimal_polling_interval: MIN_POLL_NS,
            })
            .collect();
        // SAFETY: non-null; the list buffer is valid for its count (caller contract).
        let l = unsafe { &mut *stats_capability };
        // SAFETY: as above.
        out_status(unsafe { write_list(&mut l.count, l.list, &items) })
    })
}

fn bulk_stats_mode(mode: sai_stats_mode_t) -> Result<StatsMode, sai_status_t> {
    match mode {
        SAI_STATS_MODE_READ | SAI_STATS_MODE_BULK_READ => Ok(StatsMode::Read),
        SAI_STATS_MODE_READ_AND_CLEAR | SAI_STATS_MODE_BULK_READ_AND_CLEAR => {
            Ok(StatsMode::ReadAndClear)
        }
        _ => Err(SAI_STATUS_INVALID_PARAMETER),
    }
}

/// Per-object keys (each converted separately) and counter ids of a bulk stats call.
type BulkStatsArgs = (Vec<Result<ObjectKey, sai_status_t>>, Vec<u32>);

/// Keys and counter ids of a bulk stats call.
///
/// # Safety
/// `object_key` holds `object_count` keys; `counter_ids` holds `n` ids.
unsafe fn bulk_stats_args(
    object_type: u32,
    object_count: u32,
    object_key: *const sai_object_key_t,
    n: u32,
    counter_ids: *const sai_stat_id_t,
) -> Result<BulkStatsArgs, sai_status_t> {
    if object_count == 0 || object_key.is_null() || n == 0 || counter_ids.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    // SAFETY: forwarded caller contract.
    let ids = unsafe { crate::convert::read_list(n, counter_ids) }
        .map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    let count = usize::try_from(object_count).map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    if object_count > crate::convert::MAX_LIST {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    // SAFETY: i < object_count keys (caller contract).
    let keys = (0..count)
        .map(|i| unsafe { ops::object_key_from_c(object_type, object_key.add(i)) })
        .collect();
    Ok((keys, ids))
}

/// `sai_bulk_object_get_stats`: counters of many objects; `counters` is object-major.
///
/// # Safety
/// Arrays hold `object_count` keys/statuses and `object_count * number_of_counters` counters.
#[no_mangle]
pub unsafe extern "C" fn sai_bulk_object_get_stats(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    object_count: u32,
    object_key: *const sai_object_key_t,
    number_of_counters: u32,
    counter_ids: *const sai_stat_id_t,
    mode: sai_stats_mode_t,
    object_statuses: *mut sai_status_t,
    counters: *mut u64,
) -> sai_status_t {
    run("sai_bulk_object_get_stats", || {
        if object_statuses.is_null() || counters.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let mode = tri!(bulk_stats_mode(mode));
        let sai = tri!(crate::sai());
        // SAFETY: forwarded caller contract.
        let (keys, ids) = tri!(unsafe {
            bulk_stats_args(
                object_type,
                object_count,
                object_key,
                number_of_counters,
                counter_ids,
            )
        });
        let mut all_ok = true;
        for (i, k) in keys.into_iter().enumerate() {
            let st = match k {
                Ok(ObjectKey::Oid(o)) => match sai.get_stats(object_type, o, &ids, mode) {
                    Ok(v) => {
                        for (j, x) in v.iter().enumerate().take(ids.len()) {
                            // SAFETY: i * n + j < object_count * n counters (caller contract).
                            unsafe { counters.add(i * ids.len() + j).write_unaligned(*x) };
                        }
                        SAI_STATUS_SUCCESS
                    }
                    Err(e) => e,
                },
                Ok(ObjectKey::Entry(_) | ObjectKey::Route(_)) => SAI_STATUS_NOT_IMPLEMENTED,
                Err(e) => e,
            };
            all_ok &= st == SAI_STATUS_SUCCESS;
            // SAFETY: i < object_count statuses.
            unsafe { object_statuses.add(i).write_unaligned(st) };
        }
        if all_ok {
            SAI_STATUS_SUCCESS
        } else {
            SAI_STATUS_FAILURE
        }
    })
}

/// `sai_bulk_object_clear_stats`.
///
/// # Safety
/// Arrays hold `object_count` keys/statuses and `number_of_counters` ids.
#[no_mangle]
pub unsafe extern "C" fn sai_bulk_object_clear_stats(
    _switch_id: sai_object_id_t,
    object_type: sai_object_type_t,
    object_count: u32,
    object_key: *const sai_object_key_t,
    number_of_counters: u32,
    counter_ids: *const sai_stat_id_t,
    mode: sai_stats_mode_t,
    object_statuses: *mut sai_status_t,
) -> sai_status_t {
    run("sai_bulk_object_clear_stats", || {
        if object_statuses.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        if mode != SAI_STATS_MODE_BULK_CLEAR && mode != SAI_STATS_MODE_READ_AND_CLEAR {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        let sai = tri!(crate::sai());
        // SAFETY: forwarded caller contract.
        let (keys, ids) = tri!(unsafe {
            bulk_stats_args(
                object_type,
                object_count,
                object_key,
                number_of_counters,
                counter_ids,
            )
        });
        let mut all_ok = true;
        for (i, k) in keys.into_iter().enumerate() {
            let st = match k {
                Ok(ObjectKey::Oid(o)) => ops::ok_or(sai.clear_stats(object_type, o, &ids)),
                Ok(ObjectKey::Entry(_) | ObjectKey::Route(_)) => SAI_STATUS_NOT_IMPLEMENTED,
                Err(e) => e,
            };
            all_ok &= st == SAI_STATUS_SUCCESS;
            // SAFETY: i < object_count statuses.
            unsafe { object_statuses.add(i).write_unaligned(st) };
        }
        if all_ok {
            SAI_STATUS_SUCCESS
        } else {
            SAI_STATUS_FAILURE
        }
    })
}

/// `sai_query_object_stage`: we do not model pipeline stages: `SAI_STATUS_NOT_IMPLEMENTED`.
///
/// # Safety
/// No argument is read.
#[no_mangle]
pub unsafe extern "C" fn sai_query_object_stage(
    _switch_id: sai_object_id_t,
    _object_type: sai_object_type_t,
    _attr_count: u32,
    _attr_list: *const sai_attribute_t,
    _stage: *mut sai_object_stage_t,
) -> sai_status_t {
    run("sai_query_object_stage", || {
        crate::guard::not_implemented("sai_query_object_stage")
    })
}

/// `sai_tam_telemetry_get_data`: no TAM telemetry: `SAI_STATUS_NOT_IMPLEMENTED`.
///
/// # Safety
/// No argument is read.
#[no_mangle]
pub unsafe extern "C" fn sai_tam_telemetry_get_data(
    _switch_id: sai_object_id_t,
    _obj_list: sai_object_list_t,
    _clear_on_read: c_bool,
    _buffer_size: *mut sai_size_t,
    _buffer: *mut c_void,
) -> sai_status_t {
    run("sai_tam_telemetry_get_data", || {
        crate::guard::not_implemented("sai_tam_telemetry_get_data")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service with only `profile_get_value` (no walk): answers two of our keys.
    unsafe extern "C" fn get_only(
        _id: sai_switch_profile_id_t,
        var: *const c_char,
    ) -> *const c_char {
        // SAFETY: read_profile passes a NUL-terminated key.
        let k = unsafe { CStr::from_ptr(var) };
        match k.to_bytes() {
            b"FERROSAI_RING" => c"/dev/shm/ferrosai-test-ring".as_ptr(),
            b"FERROSAI_FWD_PORTS" => c"2".as_ptr(),
            _ => core::ptr::null(),
        }
    }

    #[test]
    fn get_value_only_service_reaches_the_dataplane_keys() {
        let smt = sai_service_method_table_t {
            profile_get_value: Some(get_only),
            profile_get_next_value: None,
        };
        // SAFETY: a valid table whose function follows the SAI contract.
        let p = unsafe { read_profile(&smt) };
        assert_eq!(
            p.values
                .get(sai_dataplane::PROFILE_RING)
                .map(String::as_str),
            Some("/dev/shm/ferrosai-test-ring")
        );
        assert_eq!(
            p.values
                .get(sai_dataplane::PROFILE_FWD_PORTS)
                .map(String::as_str),
            Some("2")
        );
        let unset = unset_keys(&p);
        assert!(unset.contains(&sai_dataplane::PROFILE_LOST_MS));
        assert!(!unset.contains(&sai_dataplane::PROFILE_RING));
        // The ring's alias is not reported either when the ring is set.
        assert!(!unset.contains(&sai_dataplane::PROFILE_RING_PATH));
        assert_eq!(unset.len(), PROFILE_KEYS.len() - 3);
    }
}
