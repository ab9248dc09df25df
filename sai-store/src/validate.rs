//! Validation like SAI meta, with the failing attribute's index. Nothing here mutates the store.

use crate::md;
use crate::oid;
use crate::store::{Obj, Store};
use crate::value::{status, vt, Attr, AttrValue, EntryKey, IpPrefix, Status};
use sai_headers::meta::AttrMeta;
use std::collections::HashSet;

/// Why a value was refused (all map to `INVALID_ATTR_VALUE_0 - i`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadValue;

impl Store {
    /// Object `o` exists and its type is one of `allowed` (any type when `allowed` is empty).
    pub fn oid_ok(&self, o: u64, allowed: &[u32]) -> bool {
        match self.live_type(o) {
            Some(t) => allowed.is_empty() || allowed.contains(&t),
            None => false,
        }
    }

    fn oid_list_ok(&self, m: &AttrMeta, list: &[u64]) -> Result<(), BadValue> {
        if list.is_empty() && !m.allow_empty_list && md::vt_of(m) == vt::OBJECT_LIST {
            return Err(BadValue);
        }
        let mut first_type = None;
        for o in list {
            if *o == 0 {
                if !m.allow_null_oid {
                    return Err(BadValue);
                }
                continue;
            }
            if !self.oid_ok(*o, m.allowed_object_types) {
                return Err(BadValue);
            }
            let t = oid::raw_type(*o);
            if !m.allow_mixed_object_types && *first_type.get_or_insert(t) != t {
                return Err(BadValue);
            }
        }
        if !m.allow_repetition_on_list {
            let mut seen = HashSet::with_capacity(list.len());
            if !list.iter().filter(|o| **o != 0).all(|o| seen.insert(*o)) {
                return Err(BadValue);
            }
        }
        Ok(())
    }

    /// Check a value against attribute metadata (type, enum range, object ids, lists).
    pub fn check_value(&self, m: &AttrMeta, v: &AttrValue) -> Result<(), BadValue> {
        if !v.matches_value_type(md::vt_of(m)) {
            return Err(BadValue);
        }
        if let Some(e) = m.enum_info.filter(|e| !e.is_flags) {
            match v {
                AttrValue::I32(x) if !m.is_enum_list && !e.contains(*x) => return Err(BadValue),
                AttrValue::I32List(xs) if m.is_enum_list && !xs.iter().all(|x| e.contains(*x)) => {
                    return Err(BadValue)
                }
                _ => {}
            }
        }
        match v {
            AttrValue::Oid(o) => {
                if *o == 0 {
                    if !m.allow_null_oid {
                        return Err(BadValue);
                    }
                } else if !self.oid_ok(*o, m.allowed_object_types) {
                    return Err(BadValue);
                }
            }
            AttrValue::OidList(l) => self.oid_list_ok(m, l)?,
            AttrValue::AclField { enable: true, .. }
            | AttrValue::AclAction { enable: true, .. } => {
                for o in v.oids() {
                    if o != 0 && !self.oid_ok(o, m.allowed_object_types) {
                        return Err(BadValue);
                    }
                }
            }
            AttrValue::IpPrefix(p) if p.addr.is_ipv4() != p.mask.is_ipv4() => return Err(BadValue),
            _ => {}
        }
        Ok(())
    }

    /// Validate the attribute list of a create of type `ot`.
    pub fn validate_create(&self, ot: u32, attrs: &[Attr]) -> Result<(), Status> {
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        let lookup = |id: u32| attrs.iter().find(|a| a.id == id).map(|a| a.value.clone());
        for (i, a) in attrs.iter().enumerate() {
            let m = md::attr(ot, a.id).ok_or_else(|| status::unknown_attribute(i))?;
            if attrs[..i].iter().any(|b| b.id == a.id) || m.is_read_only() {
                return Err(status::invalid_attribute(i));
            }
            self.check_value(m, &a.value)
                .map_err(|_| status::invalid_attr_value(i))?;
            if m.is_conditional()
                && !m.is_condition_relaxed
                && !md::conditions_hold(m.condition_type, m.conditions, ot, &lookup)
            {
                return Err(status::invalid_attribute(i));
            }
        }
        for m in info.attrs.iter().filter(|m| m.is_mandatory_on_create()) {
            if attrs.iter().any(|a| a.id == m.id) {
                continue;
            }
            if !m.is_conditional()
                || md::conditions_hold(m.condition_type, m.conditions, ot, &lookup)
            {
                return Err(status::MANDATORY_ATTRIBUTE_MISSING);
            }
        }
        Ok(())
    }

    /// Objects whose type has KEY attributes (VLAN id, port lanes, trap type, ...) are unique by
    /// those values on a switch: `ITEM_ALREADY_EXISTS` when one with the same keys exists.
    pub fn check_unique_keys(&self, ot: u32, sw: u8, attrs: &[Attr]) -> Result<(), Status> {
        let info = md::ot_info(ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        let keys: Vec<(u32, &AttrValue)> = info
            .attrs
            .iter()
            .filter(|m| m.is_key())
            .filter_map(|m| {
                attrs
                    .iter()
                    .find(|a| a.id == m.id)
                    .map(|a| (m.id, &a.value))
            })
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        let clash = self.oids_of_type(sw, ot).any(|o| {
            self.objs
                .get(&o)
                .is_some_and(|obj| keys.iter().all(|(id, v)| obj.get(*id) == Some(*v)))
        });
        if clash {
            return Err(status::ITEM_ALREADY_EXISTS);
        }
        Ok(())
    }

    /// Validate a set of one attribute on an existing object.
    pub fn validate_set(&self, ot: u32, obj: &Obj, a: &Attr) -> Result<&'static AttrMeta, Status> {
        let m = md::attr(ot, a.id).ok_or_else(|| status::unknown_attribute(0))?;
        if m.is_read_only() || m.is_create_only() || m.is_key() {
            return Err(status::invalid_attribute(0));
        }
        self.check_value(m, &a.value)
            .map_err(|_| status::invalid_attr_value(0))?;
        if m.is_conditional() && !m.is_condition_relaxed {
            let lookup = |id: u32| obj.get(id).cloned();
            if !md::conditions_hold(m.condition_type, m.conditions, ot, &lookup) {
                return Err(status::invalid_attribute(0));
            }
        }
        Ok(m)
    }

    /// Validate an entry key: shape, member types, object ids. Errors are `INVALID_PARAMETER`.
    pub fn validate_key(&self, key: &EntryKey) -> Result<(), Status> {
        let info = md::ot_info(key.ot).ok_or(status::INVALID_OBJECT_TYPE)?;
        if !info.is_non_object_id {
            return Err(status::INVALID_OBJECT_TYPE);
        }
        if key.members.len() != info.key_members.len() {
            return Err(status::INVALID_PARAMETER);
        }
        for (km, v) in info.key_members.iter().zip(&key.members) {
            let t = km.value_type as u32;
            if !v.matches_value_type(t) {
                return Err(status::INVALID_PARAMETER);
            }
            match v {
                AttrValue::Oid(o) => {
                    let ok = if km.allowed_object_types == [oid::OT_SWITCH] {
                        oid::raw_type(*o) == oid::OT_SWITCH
                            && self.switches.contains(&oid::switch_index(*o))
                    } else {
                        *o != 0 && self.oid_ok(*o, km.allowed_object_types)
                    };
                    if !ok {
                        return Err(status::INVALID_PARAMETER);
                    }
                }
                AttrValue::IpPrefix(p) if !prefix_ok(p) => return Err(status::INVALID_PARAMETER),
                AttrValue::I32(x) => {
                    if let Some(e) = km.enum_info.filter(|e| !e.is_flags) {
                        if !e.contains(*x) {
                            return Err(status::INVALID_PARAMETER);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Same family for address and mask, and a contiguous mask.
fn prefix_ok(p: &IpPrefix) -> bool {
    p.prefix_len().is_some()
}
