//! Helpers over the generated SAI metadata (`sai_headers::meta`): defaults as values, condition
//! evaluation, enum checks.

use crate::value::{AclData, AttrValue};
use sai_headers::meta::{
    self, AttrMeta, CondOp, Condition, ConditionType, ConstValue, DefaultValue,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use sai_headers::meta::{ObjectTypeInfo, OBJECT_TYPES};

/// Numeric value type of an attribute (a `SAI_ATTR_VALUE_TYPE_*` value, see [`crate::value::vt`]).
pub fn vt_of(a: &AttrMeta) -> u32 {
    a.value_type as u32
}

/// Metadata of an object type.
pub fn ot_info(ot: u32) -> Option<&'static ObjectTypeInfo> {
    meta::object_type(ot)
}

/// Attribute metadata.
pub fn attr(ot: u32, id: u32) -> Option<&'static AttrMeta> {
    meta::attr(ot, id)
}

/// Attribute id by name; `None` when the data does not know it.
pub fn attr_id(name: &str) -> Option<u32> {
    meta::attr_by_name(name).map(|a| a.id)
}

/// Object type by name.
pub fn ot_id(name: &str) -> Option<u32> {
    meta::object_type_by_name(name).map(|o| o.ot)
}

/// Value of enum member `name` (searching the enum of attribute `attr_name`).
pub fn enum_value(attr_name: &str, member: &str) -> Option<i32> {
    meta::attr_by_name(attr_name)?.enum_info?.value_of(member)
}

/// Value of a member of the enum typedef `enum_name`.
pub fn enum_member(enum_name: &str, member: &str) -> Option<i32> {
    meta::enum_by_name(enum_name)?.value_of(member)
}

/// A constant as an attribute value of value type `vt`.
pub fn const_value(c: &ConstValue, vt: u32) -> Option<AttrValue> {
    use crate::value::vt as t;
    Some(match *c {
        ConstValue::Bool(b) => match vt {
            t::ACL_FIELD_DATA_BOOL => AttrValue::AclField {
                enable: true,
                data: AclData::Bool(b),
                mask: AclData::None,
            },
            t::ACL_ACTION_DATA_BOOL => AttrValue::AclAction {
                enable: true,
                param: AclData::Bool(b),
            },
            _ => AttrValue::Bool(b),
        },
        ConstValue::U8(v) => AttrValue::U8(v),
        ConstValue::I8(v) => AttrValue::I8(v),
        ConstValue::U16(v) => AttrValue::U16(v),
        ConstValue::I16(v) => AttrValue::I16(v),
        ConstValue::U32(v) => AttrValue::U32(v),
        ConstValue::I32(v) => AttrValue::I32(v),
        ConstValue::U64(v) => AttrValue::U64(v),
        ConstValue::I64(v) => AttrValue::I64(v),
        ConstValue::Mac(m) => AttrValue::Mac(m),
        ConstValue::Ipv4(a) => {
            if vt == t::IP_ADDRESS {
                AttrValue::IpAddr(IpAddr::V4(Ipv4Addr::from(a)))
            } else {
                AttrValue::Ipv4(a)
            }
        }
        ConstValue::Ipv6(a) => {
            if vt == t::IP_ADDRESS {
                AttrValue::IpAddr(IpAddr::V6(Ipv6Addr::from(a)))
            } else {
                AttrValue::Ipv6(a)
            }
        }
        ConstValue::IpAddressV4(a) => AttrValue::IpAddr(IpAddr::V4(Ipv4Addr::from(a))),
        ConstValue::IpAddressV6(a) => AttrValue::IpAddr(IpAddr::V6(Ipv6Addr::from(a))),
        ConstValue::Chardata(s) => AttrValue::chardata(s),
        ConstValue::NullOid => AttrValue::Oid(0),
        ConstValue::Pointer => AttrValue::Pointer(0),
        ConstValue::U32Range(a, b) => AttrValue::U32Range(a, b),
        ConstValue::I32Range(a, b) => AttrValue::I32Range(a, b),
        ConstValue::AclFieldDisabled => AttrValue::AclField {
            enable: false,
            data: AclData::None,
            mask: AclData::None,
        },
        ConstValue::AclActionDisabled => AttrValue::AclAction {
            enable: false,
            param: AclData::None,
        },
        ConstValue::Other(_) => return None,
    })
}

/// An empty list of value type `vt` (for `EmptyList` defaults).
pub fn empty_list(vt: u32) -> Option<AttrValue> {
    use crate::value::vt as t;
    Some(match vt {
        t::OBJECT_LIST => AttrValue::OidList(Vec::new()),
        t::UINT8_LIST => AttrValue::U8List(Vec::new()),
        t::INT8_LIST => AttrValue::I8List(Vec::new()),
        t::UINT16_LIST => AttrValue::U16List(Vec::new()),
        t::INT16_LIST => AttrValue::I16List(Vec::new()),
        t::UINT32_LIST => AttrValue::U32List(Vec::new()),
        t::INT32_LIST => AttrValue::I32List(Vec::new()),
        t::UINT16_RANGE_LIST => AttrValue::U16RangeList(Vec::new()),
        t::VLAN_LIST => AttrValue::VlanList(Vec::new()),
        t::ACL_FIELD_DATA_OBJECT_LIST => AttrValue::AclField {
            enable: false,
            data: AclData::OidList(Vec::new()),
            mask: AclData::None,
        },
        t::ACL_ACTION_DATA_OBJECT_LIST => AttrValue::AclAction {
            enable: false,
            param: AclData::OidList(Vec::new()),
        },
        other => AttrValue::Other {
            value_type: other,
            flat: Vec::new(),
            list: Some(Vec::new()),
            count: 0,
        },
    })
}

/// The default of an attribute that does not depend on other objects (`Const`, `EmptyList`).
pub fn static_default(a: &AttrMeta) -> Option<AttrValue> {
    match &a.default {
        DefaultValue::Const(c) => const_value(c, vt_of(a)),
        DefaultValue::EmptyList => empty_list(vt_of(a)),
        _ => None,
    }
}

/// Numeric view of a value for ordered comparisons.
fn as_i128(v: &AttrValue) -> Option<i128> {
    Some(match v {
        AttrValue::Bool(b) => i128::from(*b),
        AttrValue::U8(x) => i128::from(*x),
        AttrValue::I8(x) => i128::from(*x),
        AttrValue::U16(x) => i128::from(*x),
        AttrValue::I16(x) => i128::from(*x),
        AttrValue::U32(x) => i128::from(*x),
        AttrValue::I32(x) => i128::from(*x),
        AttrValue::U64(x) => i128::from(*x),
        AttrValue::I64(x) => i128::from(*x),
        AttrValue::Oid(x) => i128::from(*x),
        _ => return None,
    })
}

fn cond_holds(c: &Condition, ot: u32, lookup: &dyn Fn(u32) -> Option<AttrValue>) -> bool {
    let Some(cm) = attr(ot, c.attr) else {
        return false;
    };
    let Some(actual) = lookup(c.attr).or_else(|| static_default(cm)) else {
        return false;
    };
    let Some(want) = const_value(&c.value, vt_of(cm)) else {
        return false;
    };
    match c.op {
        CondOp::Eq => actual == want,
        CondOp::Ne => actual != want,
        op => match (as_i128(&actual), as_i128(&want)) {
            (Some(x), Some(y)) => match op {
                CondOp::Lt => x < y,
                CondOp::Gt => x > y,
                CondOp::Le => x <= y,
                CondOp::Ge => x >= y,
                _ => false,
            },
            _ => false,
        },
    }
}

/// Evaluate a condition list of attribute object type `ot`. `lookup(attr)` gives the value the
/// object has (or will have) for an attribute; missing attributes take their static default.
/// An empty/`None` list holds.
pub fn conditions_hold(
    ctype: ConditionType,
    conds: &[Condition],
    ot: u32,
    lookup: &dyn Fn(u32) -> Option<AttrValue>,
) -> bool {
    match ctype {
        ConditionType::None => true,
        ConditionType::Or => conds.iter().any(|c| cond_holds(c, ot, lookup)),
        ConditionType::And => conds.iter().all(|c| cond_holds(c, ot, lookup)),
        ConditionType::Mixed => {
            // Postfix form: operands, then group markers that combine the top two results.
            let mut stack: Vec<bool> = Vec::new();
            for c in conds {
                match c.group {
                    ConditionType::None => stack.push(cond_holds(c, ot, lookup)),
                    g => {
                        let (Some(b), Some(a)) = (stack.pop(), stack.pop()) else {
                            return true;
                        };
                        stack.push(if g == ConditionType::Or {
                            a || b
                        } else {
                            a && b
                        });
                    }
                }
            }
            stack.iter().all(|x| *x)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_conditions_in_postfix_form() {
        // validonly: TYPE == 1D and (FLOOD_CONTROL_TYPE == L2MC_GROUP or == COMBINED)
        let a = meta::attr_by_name("SAI_BRIDGE_ATTR_UNKNOWN_UNICAST_FLOOD_GROUP").unwrap();
        assert_eq!(a.validonly_type, ConditionType::Mixed);
        let ty = attr_id("SAI_BRIDGE_ATTR_TYPE").unwrap();
        let ctl = attr_id("SAI_BRIDGE_ATTR_UNKNOWN_UNICAST_FLOOD_CONTROL_TYPE").unwrap();
        let d1 = enum_value("SAI_BRIDGE_ATTR_TYPE", "SAI_BRIDGE_TYPE_1D").unwrap();
        let q1 = enum_value("SAI_BRIDGE_ATTR_TYPE", "SAI_BRIDGE_TYPE_1Q").unwrap();
        let l2mc = enum_value(
            "SAI_BRIDGE_ATTR_UNKNOWN_UNICAST_FLOOD_CONTROL_TYPE",
            "SAI_BRIDGE_FLOOD_CONTROL_TYPE_L2MC_GROUP",
        )
        .unwrap();
        let sub = enum_value(
            "SAI_BRIDGE_ATTR_UNKNOWN_UNICAST_FLOOD_CONTROL_TYPE",
            "SAI_BRIDGE_FLOOD_CONTROL_TYPE_SUB_PORTS",
        )
        .unwrap();
        let eval = |t: i32, c: i32| {
            let lookup = move |id: u32| {
                if id == ty {
                    Some(AttrValue::I32(t))
                } else if id == ctl {
                    Some(AttrValue::I32(c))
                } else {
                    None
                }
            };
            conditions_hold(a.validonly_type, a.validonly, a.ot, &lookup)
        };
        assert!(eval(d1, l2mc));
        assert!(!eval(q1, l2mc));
        assert!(!eval(d1, sub));
    }

    #[test]
    fn or_conditions_use_defaults() {
        // RIF PORT_ID: TYPE == PORT or TYPE == SUB_PORT; TYPE has no default -> not met.
        let a = meta::attr_by_name("SAI_ROUTER_INTERFACE_ATTR_PORT_ID").unwrap();
        let none = |_: u32| None;
        assert!(!conditions_hold(
            a.condition_type,
            a.conditions,
            a.ot,
            &none
        ));
        let ty = attr_id("SAI_ROUTER_INTERFACE_ATTR_TYPE").unwrap();
        let sub = enum_value(
            "SAI_ROUTER_INTERFACE_ATTR_TYPE",
            "SAI_ROUTER_INTERFACE_TYPE_SUB_PORT",
        )
        .unwrap();
        let l = move |id: u32| (id == ty).then_some(AttrValue::I32(sub));
        assert!(conditions_hold(a.condition_type, a.conditions, a.ot, &l));
    }
}
