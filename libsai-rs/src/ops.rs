//! The generic operations every API table slot forwards to, with the object type of the slot.
//!
//! Each function takes the C caller's raw arguments, checks pointers and counts
//! (`SAI_STATUS_INVALID_PARAMETER`), converts to owned values, calls the store and copies results
//! back. A failed call writes nothing but its outputs' documented error fields (needed counts on
//! `SAI_STATUS_BUFFER_OVERFLOW`, per-object statuses in bulk calls).

use crate::convert::{
    attrs_from_c, attrs_from_c_into, max_attr_count, same_scalar_attrs, value_to_c, OutError,
};
use crate::keys::{key_from_c, route_key_from_c};
use sai_headers::ffi::*;
use sai_headers::meta::{self, ObjectTypeInfo};
use sai_store::{Attr, AttrValue, BulkMode, BulkStatus, EntryKey, ObjectKey, RouteKey, StatsMode};

/// The object a non-bulk call is about.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
    Oid(sai_object_id_t),
    /// Pointer to the C key struct of an entry type.
    Entry(*const u8),
}

/// The objects of a bulk call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Keys {
    Oids(*const sai_object_id_t),
    /// Pointer to an array of C key structs and the struct size.
    Entries(*const u8, usize),
    /// Pointer to an array of `sai_object_key_t` (the generic bulk functions of saiobject.h).
    Generic(*const sai_object_key_t),
}

macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(st) => return st,
        }
    };
}

fn info(ot: u32) -> Result<&'static ObjectTypeInfo, sai_status_t> {
    meta::object_type(ot).ok_or(SAI_STATUS_INVALID_OBJECT_TYPE)
}

fn status_of(r: Result<(), sai_status_t>) -> sai_status_t {
    match r {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(e) => e,
    }
}

pub(crate) fn bulk_mode(mode: sai_bulk_op_error_mode_t) -> Result<BulkMode, sai_status_t> {
    match mode {
        SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR => Ok(BulkMode::StopOnError),
        SAI_BULK_OP_ERROR_MODE_IGNORE_ERROR => Ok(BulkMode::IgnoreError),
        _ => Err(SAI_STATUS_INVALID_PARAMETER),
    }
}

/// Resolves a target to the store's key.
///
/// # Safety
/// An entry target must point to a readable key struct of `ot`'s type.
unsafe fn resolve(ot: u32, t: Target) -> Result<ObjectKey, sai_status_t> {
    match t {
        Target::Oid(o) => Ok(ObjectKey::Oid(o)),
        // SAFETY: forwarded caller contract.
        Target::Entry(p) => Ok(ObjectKey::Entry(unsafe { key_from_c(info(ot)?, p) }?)),
    }
}

/// `create_<ot>` for object-id types (`switch_id` is None for `create_switch`).
///
/// # Safety
/// `out` writable when not null; `list` points to `count` attributes.
pub(crate) unsafe fn create_oid(
    ot: u32,
    out: *mut sai_object_id_t,
    switch_id: Option<sai_object_id_t>,
    count: u32,
    list: *const sai_attribute_t,
) -> sai_status_t {
    if out.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let attrs = tri!(unsafe { attrs_from_c(ot, count, list) });
    match sai.create(ot, switch_id.unwrap_or(SAI_NULL_OBJECT_ID), attrs) {
        Ok(o) => {
            // SAFETY: checked non-null; the caller provides a writable object id.
            unsafe { out.write_unaligned(o) };
            SAI_STATUS_SUCCESS
        }
        Err(e) => failed(ot, "create", e),
    }
}

fn failed(ot: u32, what: &str, e: sai_status_t) -> sai_status_t {
    let api = meta::object_type(ot).map(|i| i.api);
    if crate::log::level(api) <= SAI_LOG_LEVEL_INFO {
        let name = meta::object_type(ot).map_or("?", |i| i.name);
        crate::log::log(
            api,
            SAI_LOG_LEVEL_INFO,
            format_args!("{what} {name}: {}", meta::status_name(e)),
        );
    }
    e
}

/// `create_<entry>`.
///
/// # Safety
/// `key` points to a key struct of `ot`'s type; `list` to `count` attributes.
pub(crate) unsafe fn create_entry(
    ot: u32,
    key: *const u8,
    count: u32,
    list: *const sai_attribute_t,
) -> sai_status_t {
    let sai = tri!(crate::sai());
    let info = tri!(info(ot));
    let r = if ot == SAI_OBJECT_TYPE_ROUTE_ENTRY {
        // Routes: the allocation-free key (same checks and statuses).
        // SAFETY: forwarded caller contract.
        let key = tri!(unsafe { route_key_from_c(key) });
        // SAFETY: forwarded caller contract.
        let attrs = tri!(unsafe { attrs_from_c(ot, count, list) });
        sai.create_route(key, attrs)
    } else {
        // SAFETY: forwarded caller contract.
        let key = tri!(unsafe { key_from_c(info, key) });
        // SAFETY: forwarded caller contract.
        let attrs = tri!(unsafe { attrs_from_c(ot, count, list) });
        sai.create_entry(key, attrs)
    };
    match r {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(e) => failed(ot, "create", e),
    }
}

/// `remove_<ot>`.
///
/// # Safety
/// See [`resolve`].
pub(crate) unsafe fn remove(ot: u32, t: Target) -> sai_status_t {
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let r = match tri!(unsafe { resolve(ot, t) }) {
        ObjectKey::Oid(o) => sai.remove(ot, o),
        ObjectKey::Entry(k) => sai.remove_entry(&k),
        ObjectKey::Route(r) => sai.remove_entry(&r.to_entry()),
    };
    match r {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(e) => failed(ot, "remove", e),
    }
}

/// `set_<ot>_attribute`.
///
/// # Safety
/// See [`resolve`]; `attr` points to one attribute.
pub(crate) unsafe fn set(ot: u32, t: Target, attr: *const sai_attribute_t) -> sai_status_t {
    if attr.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let key = tri!(unsafe { resolve(ot, t) });
    // SAFETY: one attribute at `attr`.
    let mut a = tri!(unsafe { attrs_from_c(ot, 1, attr) });
    let Some(a) = a.pop() else {
        return SAI_STATUS_FAILURE;
    };
    let r = match key {
        ObjectKey::Oid(o) => sai.set(ot, o, a),
        ObjectKey::Entry(k) => sai.set_entry(&k, a),
        ObjectKey::Route(r) => sai.set_entry(&r.to_entry(), a),
    };
    match r {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(e) => failed(ot, "set", e),
    }
}

/// Attribute ids of a get list; an unknown id gives `SAI_STATUS_UNKNOWN_ATTRIBUTE_0 - index`.
///
/// # Safety
/// `list` points to `count` attributes.
unsafe fn get_ids(
    info: &ObjectTypeInfo,
    count: u32,
    list: *const sai_attribute_t,
) -> Result<Vec<u32>, sai_status_t> {
    if count == 0 || list.is_null() || count > max_attr_count(info) {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    let n = usize::try_from(count).map_err(|_| SAI_STATUS_INVALID_PARAMETER)?;
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        // SAFETY: i < count; the caller guarantees `count` attributes.
        let id = unsafe { (*list.add(i)).id };
        if info.attr(id).is_none() {
            return Err(crate::convert::ranged(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, i));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// Copies get results into the caller's attributes. Every attribute is attempted; the result is
/// the first hard error, else `BUFFER_OVERFLOW` if some list was short, else success.
///
/// # Safety
/// `list` points to `values.len()` writable attributes whose list buffers are valid for their
/// counts.
unsafe fn write_values(
    info: &ObjectTypeInfo,
    list: *mut sai_attribute_t,
    values: &[Result<AttrValue, sai_status_t>],
) -> sai_status_t {
    let mut overflow = false;
    for (i, v) in values.iter().enumerate() {
        // SAFETY: i < count; the caller's attribute array.
        let a = unsafe { &mut *list.add(i) };
        let Some(m) = info.attr(a.id) else {
            return crate::convert::ranged(SAI_STATUS_UNKNOWN_ATTRIBUTE_0, i);
        };
        match v {
            Ok(v) => {
                // SAFETY: the caller's list buffers, valid for their counts.
                match unsafe { value_to_c(m, v, &mut a.value) } {
                    Ok(()) => {}
                    Err(OutError::Overflow) => overflow = true,
                    Err(OutError::InvalidParameter) => return SAI_STATUS_INVALID_PARAMETER,
                    Err(OutError::Mismatch) => {
                        crate::log::error(format_args!(
                            "get {}: stored value has the wrong shape: {v:?}",
                            m.name
                        ));
                        return SAI_STATUS_FAILURE;
                    }
                }
            }
            Err(e) => return *e,
        }
    }
    if overflow {
        SAI_STATUS_BUFFER_OVERFLOW
    } else {
        SAI_STATUS_SUCCESS
    }
}

/// `get_<ot>_attribute`.
///
/// # Safety
/// See [`resolve`]; `list` points to `count` writable attributes.
pub(crate) unsafe fn get(
    ot: u32,
    t: Target,
    count: u32,
    list: *mut sai_attribute_t,
) -> sai_status_t {
    let sai = tri!(crate::sai());
    let info = tri!(info(ot));
    // SAFETY: forwarded caller contract.
    let ids = tri!(unsafe { get_ids(info, count, list) });
    // SAFETY: forwarded caller contract.
    let key = tri!(unsafe { resolve(ot, t) });
    let values = match sai.get_each(ot, &key, &ids) {
        Ok(v) => v,
        Err(e) => return failed(ot, "get", e),
    };
    // SAFETY: forwarded caller contract.
    unsafe { write_values(info, list, &values) }
}

fn stats_mode(mode: Option<sai_stats_mode_t>) -> Result<StatsMode, sai_status_t> {
    match mode {
        None | Some(SAI_STATS_MODE_READ) => Ok(StatsMode::Read),
        Some(SAI_STATS_MODE_READ_AND_CLEAR) => Ok(StatsMode::ReadAndClear),
        Some(_) => Err(SAI_STATUS_INVALID_PARAMETER),
    }
}

/// Reads `n` counter ids.
///
/// # Safety
/// `ids` points to `n` ids.
unsafe fn counter_ids(n: u32, ids: *const sai_stat_id_t) -> Result<Vec<u32>, sai_status_t> {
    if n == 0 || ids.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    // SAFETY: forwarded caller contract.
    unsafe { crate::convert::read_list(n, ids) }.map_err(|_| SAI_STATUS_INVALID_PARAMETER)
}

/// `get_<ot>_stats` / `get_<ot>_stats_ext`.
///
/// # Safety
/// See [`resolve`]; `ids` has `n` ids and `counters` room for `n` values.
pub(crate) unsafe fn get_stats(
    ot: u32,
    t: Target,
    n: u32,
    ids: *const sai_stat_id_t,
    mode: Option<sai_stats_mode_t>,
    counters: *mut u64,
) -> sai_status_t {
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let ids = tri!(unsafe { counter_ids(n, ids) });
    if counters.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(stats_mode(mode));
    let Target::Oid(o) = t else {
        // Entry counters (DASH meter buckets) have no source.
        return SAI_STATUS_NOT_IMPLEMENTED;
    };
    match sai.get_stats(ot, o, &ids, mode) {
        Ok(v) => {
            for (i, x) in v.iter().enumerate().take(ids.len()) {
                // SAFETY: i < n; the caller provides `n` counters.
                unsafe { counters.add(i).write_unaligned(*x) };
            }
            SAI_STATUS_SUCCESS
        }
        Err(e) => failed(ot, "get_stats", e),
    }
}

/// `clear_<ot>_stats`.
///
/// # Safety
/// See [`resolve`]; `ids` has `n` ids.
pub(crate) unsafe fn clear_stats(
    ot: u32,
    t: Target,
    n: u32,
    ids: *const sai_stat_id_t,
) -> sai_status_t {
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let ids = tri!(unsafe { counter_ids(n, ids) });
    let Target::Oid(o) = t else {
        return SAI_STATUS_NOT_IMPLEMENTED;
    };
    match sai.clear_stats(ot, o, &ids) {
        Ok(()) => SAI_STATUS_SUCCESS,
        Err(e) => failed(ot, "clear_stats", e),
    }
}

// ---------------------------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------------------------

/// Runs a bulk call whose items were converted first: items that failed conversion get their
/// status without reaching the store; with STOP_ON_ERROR the store sees only the items before the
/// first conversion failure. Returns per-object statuses, the indices the store saw, and `exec`'s
/// extra result.
fn bulk_prepared<T, R>(
    mode: BulkMode,
    prepared: Vec<Result<T, sai_status_t>>,
    exec: impl FnOnce(Vec<T>) -> (BulkStatus, R),
) -> (Vec<sai_status_t>, Vec<usize>, R) {
    let n = prepared.len();
    let mut statuses = vec![SAI_STATUS_NOT_EXECUTED; n];
    let cut = match mode {
        BulkMode::StopOnError => prepared.iter().position(Result::is_err).unwrap_or(n),
        BulkMode::IgnoreError => n,
    };
    let mut items = Vec::with_capacity(cut);
    let mut idx = Vec::with_capacity(cut);
    let mut first_err = None;
    for (i, p) in prepared.into_iter().enumerate() {
        match p {
            Ok(t) if i < cut => {
                items.push(t);
                idx.push(i);
            }
            Ok(_) => {}
            Err(e) => {
                if mode == BulkMode::IgnoreError {
                    statuses[i] = e;
                } else if first_err.is_none() {
                    first_err = Some((i, e));
                }
            }
        }
    }
    let (bs, r) = exec(items);
    for (j, st) in bs.statuses.iter().enumerate() {
        if let Some(&i) = idx.get(j) {
            statuses[i] = *st;
        }
    }
    if let Some((i, e)) = first_err {
        // The store ran every item before the failed conversion; if all succeeded, the stop
        // happens at the conversion failure.
        if bs.statuses.iter().all(|s| *s == SAI_STATUS_SUCCESS) {
            statuses[i] = e;
        }
    }
    (statuses, idx, r)
}

fn overall(statuses: &[sai_status_t]) -> sai_status_t {
    if statuses.iter().all(|s| *s == SAI_STATUS_SUCCESS) {
        SAI_STATUS_SUCCESS
    } else {
        SAI_STATUS_FAILURE
    }
}

/// Writes per-object statuses.
///
/// # Safety
/// `out` points to `statuses.len()` writable statuses.
unsafe fn write_statuses(out: *mut sai_status_t, statuses: &[sai_status_t]) {
    for (i, s) in statuses.iter().enumerate() {
        // SAFETY: the caller provides one status per object.
        unsafe { out.add(i).write_unaligned(*s) };
    }
}

fn count_usize(n: u32) -> Result<usize, sai_status_t> {
    if n == 0 || n > crate::convert::MAX_LIST {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    usize::try_from(n).map_err(|_| SAI_STATUS_INVALID_PARAMETER)
}

/// Entry keys (or object ids) of a bulk call, each converted separately.
///
/// # Safety
/// `keys` points to `n` ids or key structs.
unsafe fn bulk_keys(
    ot: u32,
    n: usize,
    keys: Keys,
) -> Result<Vec<Result<ObjectKey, sai_status_t>>, sai_status_t> {
    let info = info(ot)?;
    Ok(match keys {
        Keys::Oids(p) => {
            if p.is_null() {
                return Err(SAI_STATUS_INVALID_PARAMETER);
            }
            // SAFETY: i < n ids at p (caller contract).
            (0..n)
                .map(|i| Ok(ObjectKey::Oid(unsafe { p.add(i).read_unaligned() })))
                .collect()
        }
        Keys::Entries(p, stride) => {
            if p.is_null() {
                return Err(SAI_STATUS_INVALID_PARAMETER);
            }
            // SAFETY: i < n key structs of `stride` bytes at p (caller contract).
            (0..n)
                .map(|i| unsafe { key_from_c(info, p.add(i * stride)) }.map(ObjectKey::Entry))
                .collect()
        }
        Keys::Generic(p) => {
            if p.is_null() {
                return Err(SAI_STATUS_INVALID_PARAMETER);
            }
            // SAFETY: i < n keys at p (caller contract).
            (0..n)
                .map(|i| unsafe { object_key_from_c(ot, p.add(i)) })
                .collect()
        }
    })
}

/// Attribute lists of a bulk create.
///
/// # Safety
/// `attr_count` and `attr_list` point to `n` entries each.
unsafe fn bulk_attr_lists(
    ot: u32,
    n: usize,
    attr_count: *const u32,
    attr_list: *mut *const sai_attribute_t,
) -> Result<Vec<Result<Vec<Attr>, sai_status_t>>, sai_status_t> {
    if attr_count.is_null() || attr_list.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    Ok((0..n)
        .map(|i| {
            // SAFETY: i < n; the caller provides n counts and n list pointers, each list valid for
            // its count.
            unsafe {
                let c = attr_count.add(i).read_unaligned();
                let l = attr_list.add(i).read_unaligned();
                attrs_from_c(ot, c, l)
            }
        })
        .collect())
}

/// One entry of a bulk create: key and attributes.
type EntryItem = (EntryKey, Vec<Attr>);

/// Entry keys and attribute lists of a bulk entry create, converted in one pass (one vector,
/// no intermediate per-item copies). An item whose key fails conversion gets the key's status,
/// else the attribute list's.
///
/// # Safety
/// `keys` points to `n` key structs; `attr_count` and `attr_list` to `n` entries each.
unsafe fn bulk_entries(
    ot: u32,
    n: usize,
    keys: Keys,
    attr_count: *const u32,
    attr_list: *mut *const sai_attribute_t,
) -> Result<Vec<Result<EntryItem, sai_status_t>>, sai_status_t> {
    let info = info(ot)?;
    let Keys::Entries(p, stride) = keys else {
        // SAFETY: forwarded caller contract.
        let ks = unsafe { bulk_keys(ot, n, keys) }?;
        // SAFETY: forwarded caller contract.
        let lists = unsafe { bulk_attr_lists(ot, n, attr_count, attr_list) }?;
        return Ok(ks
            .into_iter()
            .zip(lists)
            .map(|(k, l)| match (k?, l?) {
                (ObjectKey::Entry(k), l) => Ok((k, l)),
                (ObjectKey::Route(r), l) => Ok((r.to_entry(), l)),
                (ObjectKey::Oid(_), _) => Err(SAI_STATUS_INVALID_PARAMETER),
            })
            .collect());
    };
    if p.is_null() || attr_count.is_null() || attr_list.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    Ok((0..n)
        .map(|i| {
            // SAFETY: i < n key structs of `stride` bytes at p, n counts and n list pointers,
            // each list valid for its count (caller contract).
            unsafe {
                let k = key_from_c(info, p.add(i * stride))?;
                let c = attr_count.add(i).read_unaligned();
                let l = attr_list.add(i).read_unaligned();
                Ok((k, attrs_from_c(ot, c, l)?))
            }
        })
        .collect())
}

/// One route of a bulk create: key and attributes (equal consecutive lists share one copy).
type RouteItem = (RouteKey, std::sync::Arc<[Attr]>);

/// Converted routes of a bulk create: all of them, or each item's result when one failed.
type RouteItems = Result<Vec<RouteItem>, Vec<Result<RouteItem, sai_status_t>>>;

/// [`bulk_entries`] for routes: `sai_route_entry_t`s as [`RouteKey`]s. `Ok` when every item
/// converted (no per-item results to carry), else every item's conversion result.
///
/// # Safety
/// `p` points to `n` route entries of `stride` bytes; `attr_count` and `attr_list` to `n`
/// entries each.
unsafe fn bulk_routes(
    n: usize,
    p: *const u8,
    stride: usize,
    attr_count: *const u32,
    attr_list: *mut *const sai_attribute_t,
) -> Result<RouteItems, sai_status_t> {
    if p.is_null() || attr_count.is_null() || attr_list.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    // Each list is converted into `scratch`; one equal to the previous item's shares its copy
    // (syncd passes one array per route, usually all alike): no allocation per route.
    let mut scratch: Vec<Attr> = Vec::new();
    let mut last: Option<std::sync::Arc<[Attr]>> = None;
    let mut item = |i: usize| -> Result<RouteItem, sai_status_t> {
        // SAFETY: i < n route entries of `stride` bytes at p, n counts and n list pointers,
        // each list valid for its count (caller contract).
        let k = unsafe {
            let k = route_key_from_c(p.add(i * stride))?;
            let c = attr_count.add(i).read_unaligned();
            let l = attr_list.add(i).read_unaligned();
            if let Some(a) = last.as_ref().filter(|a| same_scalar_attrs(c, l, a)) {
                // The previous item's list again (ids and scalar values): no conversion.
                return Ok((k, a.clone()));
            }
            attrs_from_c_into(SAI_OBJECT_TYPE_ROUTE_ENTRY, c, l, &mut scratch)?;
            k
        };
        let a = match &last {
            Some(a) if **a == *scratch => a.clone(),
            _ => {
                let a: std::sync::Arc<[Attr]> = std::mem::take(&mut scratch).into();
                last = Some(a.clone());
                a
            }
        };
        Ok((k, a))
    };
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        match item(i) {
            Ok(it) => items.push(it),
            Err(e) => {
                let mut all: Vec<Result<RouteItem, sai_status_t>> = Vec::with_capacity(n);
                all.extend(items.into_iter().map(Ok));
                all.push(Err(e));
                all.extend((i + 1..n).map(item));
                return Ok(Err(all));
            }
        }
    }
    Ok(Ok(items))
}

/// `create_<ot>s` for object-id types (`sai_bulk_object_create_fn`).
///
/// # Safety
/// All arrays hold `object_count` entries.
#[allow(clippy::too_many_arguments, reason = "mirrors the C signature")]
pub(crate) unsafe fn bulk_create_oid(
    ot: u32,
    switch_id: sai_object_id_t,
    object_count: u32,
    attr_count: *const u32,
    attr_list: *mut *const sai_attribute_t,
    mode: sai_bulk_op_error_mode_t,
    object_id: *mut sai_object_id_t,
    statuses: *mut sai_status_t,
) -> sai_status_t {
    let n = tri!(count_usize(object_count));
    if object_id.is_null() || statuses.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(bulk_mode(mode));
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let prepared = tri!(unsafe { bulk_attr_lists(ot, n, attr_count, attr_list) });
    let (st, idx, oids) = bulk_prepared(mode, prepared, |items| {
        sai.bulk_create(ot, switch_id, items, mode)
    });
    for i in 0..n {
        // SAFETY: the caller provides n object ids.
        unsafe { object_id.add(i).write_unaligned(SAI_NULL_OBJECT_ID) };
    }
    for (j, &i) in idx.iter().enumerate() {
        if st[i] == SAI_STATUS_SUCCESS {
            // SAFETY: i < n.
            unsafe {
                object_id
                    .add(i)
                    .write_unaligned(oids.get(j).copied().unwrap_or(0))
            };
        }
    }
    // SAFETY: n statuses.
    unsafe { write_statuses(statuses, &st) };
    overall(&st)
}

/// `create_<entry>s`.
///
/// # Safety
/// All arrays hold `object_count` entries.
pub(crate) unsafe fn bulk_create_entry(
    ot: u32,
    object_count: u32,
    keys: Keys,
    attr_count: *const u32,
    attr_list: *mut *const sai_attribute_t,
    mode: sai_bulk_op_error_mode_t,
    statuses: *mut sai_status_t,
) -> sai_status_t {
    let n = tri!(count_usize(object_count));
    if statuses.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(bulk_mode(mode));
    let sai = tri!(crate::sai());
    if let (SAI_OBJECT_TYPE_ROUTE_ENTRY, Keys::Entries(p, stride)) = (ot, keys) {
        // Routes: allocation-free keys (same checks and statuses).
        // SAFETY: forwarded caller contract.
        let st = match tri!(unsafe { bulk_routes(n, p, stride, attr_count, attr_list) }) {
            // Every item converted: straight to the store (its statuses are the call's).
            Ok(items) => sai.bulk_create_routes(items, mode).statuses,
            Err(prepared) => {
                bulk_prepared(mode, prepared, |items| {
                    (sai.bulk_create_routes(items, mode), ())
                })
                .0
            }
        };
        // SAFETY: n statuses.
        unsafe { write_statuses(statuses, &st) };
        return overall(&st);
    }
    // SAFETY: forwarded caller contract.
    let prepared = tri!(unsafe { bulk_entries(ot, n, keys, attr_count, attr_list) });
    let (st, _, ()) = bulk_prepared(mode, prepared, |items| {
        (sai.bulk_create_entries(items, mode), ())
    });
    // SAFETY: n statuses.
    unsafe { write_statuses(statuses, &st) };
    overall(&st)
}

/// `remove_<ot>s`.
///
/// # Safety
/// All arrays hold `object_count` entries.
pub(crate) unsafe fn bulk_remove(
    ot: u32,
    object_count: u32,
    keys: Keys,
    mode: sai_bulk_op_error_mode_t,
    statuses: *mut sai_status_t,
) -> sai_status_t {
    let n = tri!(count_usize(object_count));
    if statuses.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(bulk_mode(mode));
    let sai = tri!(crate::sai());
    if let (SAI_OBJECT_TYPE_ROUTE_ENTRY, Keys::Entries(p, stride)) = (ot, keys) {
        // Routes: allocation-free keys (same checks and statuses).
        if p.is_null() {
            return SAI_STATUS_INVALID_PARAMETER;
        }
        // SAFETY: i < n route entries of `stride` bytes at p (caller contract).
        let ks: Vec<Result<RouteKey, sai_status_t>> = (0..n)
            .map(|i| unsafe { route_key_from_c(p.add(i * stride)) })
            .collect();
        let (st, _, ()) =
            bulk_prepared(mode, ks, |items| (sai.bulk_remove_routes(&items, mode), ()));
        // SAFETY: n statuses.
        unsafe { write_statuses(statuses, &st) };
        return overall(&st);
    }
    // SAFETY: forwarded caller contract.
    let ks = tri!(unsafe { bulk_keys(ot, n, keys) });
    let (st, _, ()) = match keys {
        Keys::Oids(_) | Keys::Generic(_) => bulk_prepared(mode, ks, |items| {
            let oids: Vec<u64> = items.iter().filter_map(ObjectKey::oid).collect();
            (sai.bulk_remove(ot, &oids, mode), ())
        }),
        Keys::Entries(..) => bulk_prepared(mode, ks, |items| {
            let ek: Vec<EntryKey> = items
                .into_iter()
                .filter_map(|k| match k {
                    ObjectKey::Entry(e) => Some(e),
                    ObjectKey::Route(r) => Some(r.to_entry()),
                    ObjectKey::Oid(_) => None,
                })
                .collect();
            (sai.bulk_remove_entries_owned(ek, mode), ())
        }),
    };
    // SAFETY: n statuses.
    unsafe { write_statuses(statuses, &st) };
    overall(&st)
}

/// `set_<ot>s_attribute`: one attribute per object.
///
/// # Safety
/// All arrays hold `object_count` entries.
pub(crate) unsafe fn bulk_set(
    ot: u32,
    object_count: u32,
    keys: Keys,
    attr_list: *const sai_attribute_t,
    mode: sai_bulk_op_error_mode_t,
    statuses: *mut sai_status_t,
) -> sai_status_t {
    let n = tri!(count_usize(object_count));
    if statuses.is_null() || attr_list.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(bulk_mode(mode));
    let sai = tri!(crate::sai());
    // SAFETY: forwarded caller contract.
    let ks = tri!(unsafe { bulk_keys(ot, n, keys) });
    let prepared: Vec<Result<(ObjectKey, Attr), sai_status_t>> = ks
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let k = k?;
            // SAFETY: i < n attributes at attr_list (caller contract). A conversion error is
            // reported for this object with index 0 (its one attribute).
            let mut a = unsafe { attrs_from_c(ot, 1, attr_list.add(i)) }?;
            Ok((k, a.pop().ok_or(SAI_STATUS_FAILURE)?))
        })
        .collect();
    let (st, _, ()) = match keys {
        Keys::Oids(_) | Keys::Generic(_) => bulk_prepared(mode, prepared, |items| {
            let items: Vec<(u64, Attr)> = items
                .into_iter()
                .filter_map(|(k, a)| Some((k.oid()?, a)))
                .collect();
            (sai.bulk_set(ot, items, mode), ())
        }),
        Keys::Entries(..) => bulk_prepared(mode, prepared, |items| {
            let items: Vec<(EntryKey, Attr)> = items
                .into_iter()
                .filter_map(|(k, a)| match k {
                    ObjectKey::Entry(e) => Some((e, a)),
                    ObjectKey::Route(r) => Some((r.to_entry(), a)),
                    ObjectKey::Oid(_) => None,
                })
                .collect();
            (sai.bulk_set_entries(items, mode), ())
        }),
    };
    // SAFETY: n statuses.
    unsafe { write_statuses(statuses, &st) };
    overall(&st)
}

/// `get_<ot>s_attribute`.
///
/// # Safety
/// All arrays hold `object_count` entries; each attribute list holds its count.
#[allow(clippy::too_many_arguments, reason = "mirrors the C signature")]
pub(crate) unsafe fn bulk_get(
    ot: u32,
    object_count: u32,
    keys: Keys,
    attr_count: *const u32,
    attr_list: *mut *mut sai_attribute_t,
    mode: sai_bulk_op_error_mode_t,
    statuses: *mut sai_status_t,
) -> sai_status_t {
    let n = tri!(count_usize(object_count));
    if statuses.is_null() || attr_count.is_null() || attr_list.is_null() {
        return SAI_STATUS_INVALID_PARAMETER;
    }
    let mode = tri!(bulk_mode(mode));
    let sai = tri!(crate::sai());
    let info = tri!(info(ot));
    // SAFETY: forwarded caller contract.
    let ks = tri!(unsafe { bulk_keys(ot, n, keys) });
    let mut lists = Vec::with_capacity(n);
    let prepared: Vec<Result<(ObjectKey, Vec<u32>), sai_status_t>> = ks
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            // SAFETY: i < n counts and list pointers (caller contract).
            let (c, l) = unsafe {
                (
                    attr_count.add(i).read_unaligned(),
                    attr_list.add(i).read_unaligned(),
                )
            };
            lists.push(l);
            let k = k?;
            // SAFETY: `l` holds `c` attributes (caller contract).
            let ids = unsafe { get_ids(info, c, l) }?;
            Ok((k, ids))
        })
        .collect();
    let (mut st, idx, values) = bulk_prepared(mode, prepared, |items| {
        let (keys, ids): (Vec<ObjectKey>, Vec<Vec<u32>>) = items.into_iter().unzip();
        sai.bulk_get(ot, &keys, &ids, mode)
    });
    for (j, &i) in idx.iter().enumerate() {
        if st[i] != SAI_STATUS_SUCCESS {
            continue;
        }
        let vals: Vec<Result<AttrValue, sai_status_t>> = values
            .get(j)
            .map(|v| v.iter().cloned().map(Ok).collect())
            .unwrap_or_default();
        // SAFETY: the caller's list for object i holds one attribute per value.
        st[i] = unsafe { write_values(info, lists[i], &vals) };
    }
    // SAFETY: n statuses.
    unsafe { write_statuses(statuses, &st) };
    overall(&st)
}

/// The canonical ObjectKey of a `sai_object_key_t` of type `ot`.
///
/// # Safety
/// `k` points to a readable `sai_object_key_t`.
pub(crate) unsafe fn object_key_from_c(
    ot: u32,
    k: *const sai_object_key_t,
) -> Result<ObjectKey, sai_status_t> {
    let info = info(ot)?;
    if k.is_null() {
        return Err(SAI_STATUS_INVALID_PARAMETER);
    }
    if info.is_non_object_id {
        // SAFETY: the key union starts at offset 0 of sai_object_key_t (caller contract).
        unsafe { key_from_c(info, k.cast()) }.map(ObjectKey::Entry)
    } else {
        // SAFETY: reading the object_id member of the caller's key.
        Ok(ObjectKey::Oid(unsafe { (*k).key.object_id }))
    }
}

/// Status helper used by exports.
pub(crate) fn ok_or(r: Result<(), sai_status_t>) -> sai_status_t {
    status_of(r)
}

#[cfg(test)]
mod route_tests {
    use super::*;

    fn entry(family: sai_ip_addr_family_t, a: u32) -> sai_route_entry_t {
        sai_route_entry_t {
            switch_id: 1,
            vr_id: 2,
            destination: sai_ip_prefix_t {
                addr_family: family,
                addr: sai_ip_addr_t {
                    ip4: u32::from_ne_bytes(a.to_be_bytes()),
                },
                mask: sai_ip_addr_t {
                    ip4: u32::from_ne_bytes(0xffff_ff00u32.to_be_bytes()),
                },
            },
        }
    }

    /// All items convert: one vector of items. A bad key in the middle: every item's own
    /// result, in order (the generic per-item path then gives the statuses).
    #[test]
    fn bulk_routes_converts_or_reports_each_item() {
        let attr = sai_attribute_t {
            id: SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
            value: sai_attribute_value_t {
                s32: i32::try_from(SAI_PACKET_ACTION_DROP).unwrap(),
            },
        };
        let counts = [1u32; 3];
        let mut lists = [std::ptr::from_ref(&attr); 3];
        let good = [
            entry(SAI_IP_ADDR_FAMILY_IPV4, 0x0a00_0100),
            entry(SAI_IP_ADDR_FAMILY_IPV4, 0x0a00_0200),
            entry(SAI_IP_ADDR_FAMILY_IPV4, 0x0a00_0300),
        ];
        let stride = std::mem::size_of::<sai_route_entry_t>();
        // SAFETY: three entries, counts and list pointers.
        let r = unsafe {
            bulk_routes(
                3,
                good.as_ptr().cast(),
                stride,
                counts.as_ptr(),
                lists.as_mut_ptr(),
            )
        };
        let items = r.unwrap().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].0.vr_id, 2);
        assert_eq!(items[2].1.len(), 1);
        // Equal lists share one copy; a different one gets its own, with its own values.
        assert!(std::sync::Arc::ptr_eq(&items[0].1, &items[2].1));
        let other = sai_attribute_t {
            id: SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
            value: sai_attribute_value_t {
                s32: i32::try_from(SAI_PACKET_ACTION_TRAP).unwrap(),
            },
        };
        let mut mixed = [
            std::ptr::from_ref(&attr),
            std::ptr::from_ref(&other),
            std::ptr::from_ref(&attr),
        ];
        // SAFETY: as above.
        let r = unsafe {
            bulk_routes(
                3,
                good.as_ptr().cast(),
                stride,
                counts.as_ptr(),
                mixed.as_mut_ptr(),
            )
        };
        let items = r.unwrap().unwrap();
        assert!(!std::sync::Arc::ptr_eq(&items[0].1, &items[1].1));
        assert_eq!(
            items[1].1[0].value,
            sai_store::AttrValue::I32(i32::try_from(SAI_PACKET_ACTION_TRAP).unwrap())
        );
        assert_eq!(items[0].1, items[2].1);
        let mut bad = good;
        bad[1].destination.addr_family = 7;
        // SAFETY: as above.
        let r = unsafe {
            bulk_routes(
                3,
                bad.as_ptr().cast(),
                stride,
                counts.as_ptr(),
                lists.as_mut_ptr(),
            )
        };
        let all = r.unwrap().unwrap_err();
        assert_eq!(all.len(), 3);
        assert!(all[0].is_ok() && all[2].is_ok());
        assert_eq!(all[1].as_ref().err(), Some(&SAI_STATUS_INVALID_PARAMETER));
        // SAFETY: null keys are refused before any read.
        let r = unsafe {
            bulk_routes(
                3,
                std::ptr::null(),
                stride,
                counts.as_ptr(),
                lists.as_mut_ptr(),
            )
        };
        assert_eq!(r.err(), Some(SAI_STATUS_INVALID_PARAMETER));
    }
}
