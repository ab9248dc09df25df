//! Table slots that are not plain object methods and that we implement: FDB flush, removing all
//! neighbors, clearing all port counters. (mdio access and host-interface packet I/O through the
//! API answer `SAI_STATUS_NOT_IMPLEMENTED`: packets go through the TAP host interfaces.)

use crate::convert::attrs_from_c;
use sai_headers::ffi::*;
use sai_headers::meta;
use sai_store::{AttrValue, ObjectKey};

fn ot_of(name: &str) -> Result<u32, sai_status_t> {
    meta::object_type_by_name(name)
        .map(|i| i.ot)
        .ok_or(SAI_STATUS_FAILURE)
}
fn attr_id(name: &str) -> Result<u32, sai_status_t> {
    meta::attr_by_name(name)
        .map(|a| a.id)
        .ok_or(SAI_STATUS_FAILURE)
}
fn enum_val(enum_name: &str, member: &str) -> Result<i32, sai_status_t> {
    meta::enum_by_name(enum_name)
        .and_then(|e| e.value_of(member))
        .ok_or(SAI_STATUS_FAILURE)
}

fn flush(switch_id: sai_object_id_t, attrs: &[sai_store::Attr]) -> Result<(), sai_status_t> {
    let sai = crate::sai()?;
    let fdb = ot_of("SAI_OBJECT_TYPE_FDB_ENTRY")?;
    let a_port = attr_id("SAI_FDB_FLUSH_ATTR_BRIDGE_PORT_ID")?;
    let a_bv = attr_id("SAI_FDB_FLUSH_ATTR_BV_ID")?;
    let a_type = attr_id("SAI_FDB_FLUSH_ATTR_ENTRY_TYPE")?;
    let e_port = attr_id("SAI_FDB_ENTRY_ATTR_BRIDGE_PORT_ID")?;
    let e_type = attr_id("SAI_FDB_ENTRY_ATTR_TYPE")?;
    let dynamic = enum_val("sai_fdb_entry_type_t", "SAI_FDB_ENTRY_TYPE_DYNAMIC")?;
    let stat = enum_val("sai_fdb_entry_type_t", "SAI_FDB_ENTRY_TYPE_STATIC")?;
    let f_all = enum_val("sai_fdb_flush_entry_type_t", "SAI_FDB_FLUSH_ENTRY_TYPE_ALL")?;
    let f_dyn = enum_val(
        "sai_fdb_flush_entry_type_t",
        "SAI_FDB_FLUSH_ENTRY_TYPE_DYNAMIC",
    )?;
    let mut port = None;
    let mut bv = None;
    let mut which = f_dyn;
    for a in attrs {
        match (&a.value, a.id) {
            (AttrValue::Oid(o), id) if id == a_port => port = Some(*o),
            (AttrValue::Oid(o), id) if id == a_bv => bv = Some(*o),
            (AttrValue::I32(t), id) if id == a_type => which = *t,
            _ => {}
        }
    }
    let bv_index = meta::object_type(fdb)
        .and_then(|i| i.key_members.iter().position(|k| k.name == "bv_id"))
        .ok_or(SAI_STATUS_FAILURE)?;
    for key in sai.object_keys(switch_id, fdb)? {
        let ObjectKey::Entry(k) = &key else { continue };
        if let Some(b) = bv {
            if b != SAI_NULL_OBJECT_ID
                && k.members.get(bv_index).and_then(AttrValue::as_oid) != Some(b)
            {
                continue;
            }
        }
        let vals = sai.get_each(fdb, &key, &[e_port, e_type])?;
        if let Some(p) = port {
            let have = vals
                .first()
                .and_then(|v| v.as_ref().ok())
                .and_then(AttrValue::as_oid);
            if p != SAI_NULL_OBJECT_ID && have != Some(p) {
                continue;
            }
        }
        let t = vals
            .get(1)
            .and_then(|v| v.as_ref().ok())
            .and_then(AttrValue::as_i32)
            .unwrap_or(dynamic);
        let wanted =
            which == f_all || (which == f_dyn && t == dynamic) || (which != f_dyn && t == stat);
        if wanted {
            sai.remove_entry(k)?;
        }
    }
    Ok(())
}

/// `flush_fdb_entries`: removes the FDB entries matching the flush attributes (bridge port, bridge
/// or VLAN, entry type; default: dynamic entries).
///
/// # Safety
/// `attr_list` points to `attr_count` attributes.
pub(crate) unsafe fn flush_fdb_entries(
    switch_id: sai_object_id_t,
    attr_count: u32,
    attr_list: *const sai_attribute_t,
) -> sai_status_t {
    let ot = match ot_of("SAI_OBJECT_TYPE_FDB_FLUSH") {
        Ok(o) => o,
        Err(e) => return e,
    };
    // SAFETY: forwarded caller contract.
    let attrs = match unsafe { attrs_from_c(ot, attr_count, attr_list) } {
        Ok(a) => a,
        Err(e) => return e,
    };
    crate::ops::ok_or(flush(switch_id, &attrs))
}

/// `remove_all_neighbor_entries`.
///
/// # Safety
/// No pointer arguments.
pub(crate) unsafe fn remove_all_neighbor_entries(switch_id: sai_object_id_t) -> sai_status_t {
    let r = (|| {
        let sai = crate::sai()?;
        let ot = ot_of("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY")?;
        for key in sai.object_keys(switch_id, ot)? {
            if let ObjectKey::Entry(k) = key {
                sai.remove_entry(&k)?;
            }
        }
        Ok(())
    })();
    crate::ops::ok_or(r)
}

/// `clear_port_all_stats`: clears every counter of the port's stats enum.
///
/// # Safety
/// No pointer arguments.
pub(crate) unsafe fn clear_port_all_stats(port_id: sai_object_id_t) -> sai_status_t {
    let r = (|| {
        let sai = crate::sai()?;
        let info = meta::object_type_by_name("SAI_OBJECT_TYPE_PORT").ok_or(SAI_STATUS_FAILURE)?;
        let ids = sai.query_stats_capability(info.ot)?;
        if ids.is_empty() {
            return Err(SAI_STATUS_NOT_IMPLEMENTED);
        }
        sai.clear_stats(info.ot, port_id, &ids)
    })();
    crate::ops::ok_or(r)
}
