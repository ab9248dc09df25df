//! Read-only attributes whose value follows from other objects: member lists, port lists, CRM
//! availability. Declared as data; names are resolved through the metadata.

use crate::change::ObjectKey;
use crate::md;
use crate::oid;
use crate::store::Store;
use crate::value::AttrValue;
use sai_headers::meta::AttrMeta;

/// (owner list attribute, optional count attribute, member object type, member's owner attribute):
/// the list holds every member object whose owner attribute names the owner.
pub(crate) const MEMBER_LISTS: &[(&str, Option<&str>, &str, &str)] = &[
    (
        "SAI_BRIDGE_ATTR_PORT_LIST",
        None,
        "SAI_OBJECT_TYPE_BRIDGE_PORT",
        "SAI_BRIDGE_PORT_ATTR_BRIDGE_ID",
    ),
    (
        "SAI_VLAN_ATTR_MEMBER_LIST",
        None,
        "SAI_OBJECT_TYPE_VLAN_MEMBER",
        "SAI_VLAN_MEMBER_ATTR_VLAN_ID",
    ),
    (
        "SAI_LAG_ATTR_PORT_LIST",
        None,
        "SAI_OBJECT_TYPE_LAG_MEMBER",
        "SAI_LAG_MEMBER_ATTR_LAG_ID",
    ),
    (
        "SAI_NEXT_HOP_GROUP_ATTR_NEXT_HOP_MEMBER_LIST",
        Some("SAI_NEXT_HOP_GROUP_ATTR_NEXT_HOP_COUNT"),
        "SAI_OBJECT_TYPE_NEXT_HOP_GROUP_MEMBER",
        "SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID",
    ),
    (
        "SAI_STP_ATTR_PORT_LIST",
        None,
        "SAI_OBJECT_TYPE_STP_PORT",
        "SAI_STP_PORT_ATTR_STP",
    ),
    (
        "SAI_ACL_TABLE_GROUP_ATTR_MEMBER_LIST",
        None,
        "SAI_OBJECT_TYPE_ACL_TABLE_GROUP_MEMBER",
        "SAI_ACL_TABLE_GROUP_MEMBER_ATTR_ACL_TABLE_GROUP_ID",
    ),
    (
        "SAI_ACL_TABLE_ATTR_ENTRY_LIST",
        None,
        "SAI_OBJECT_TYPE_ACL_ENTRY",
        "SAI_ACL_ENTRY_ATTR_TABLE_ID",
    ),
    (
        "SAI_L2MC_GROUP_ATTR_L2MC_MEMBER_LIST",
        Some("SAI_L2MC_GROUP_ATTR_L2MC_OUTPUT_COUNT"),
        "SAI_OBJECT_TYPE_L2MC_GROUP_MEMBER",
        "SAI_L2MC_GROUP_MEMBER_ATTR_L2MC_GROUP_ID",
    ),
    (
        "SAI_ISOLATION_GROUP_ATTR_ISOLATION_MEMBER_LIST",
        None,
        "SAI_OBJECT_TYPE_ISOLATION_GROUP_MEMBER",
        "SAI_ISOLATION_GROUP_MEMBER_ATTR_ISOLATION_GROUP_ID",
    ),
];

/// CRM: (switch attribute, table object type, family filter: 0 = all, 4, 6; divisor).
/// Available = table size - entries of the table (all families share one table).
pub(crate) const AVAILABLE: &[(&str, &str, u64)] = &[
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV4_ROUTE_ENTRY",
        "SAI_OBJECT_TYPE_ROUTE_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV6_ROUTE_ENTRY",
        "SAI_OBJECT_TYPE_ROUTE_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV4_NEXTHOP_ENTRY",
        "SAI_OBJECT_TYPE_NEXT_HOP",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV6_NEXTHOP_ENTRY",
        "SAI_OBJECT_TYPE_NEXT_HOP",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV4_NEIGHBOR_ENTRY",
        "SAI_OBJECT_TYPE_NEIGHBOR_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPV6_NEIGHBOR_ENTRY",
        "SAI_OBJECT_TYPE_NEIGHBOR_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_NEXT_HOP_GROUP_ENTRY",
        "SAI_OBJECT_TYPE_NEXT_HOP_GROUP",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_NEXT_HOP_GROUP_MEMBER_ENTRY",
        "SAI_OBJECT_TYPE_NEXT_HOP_GROUP_MEMBER",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_FDB_ENTRY",
        "SAI_OBJECT_TYPE_FDB_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_L2MC_ENTRY",
        "SAI_OBJECT_TYPE_L2MC_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_IPMC_ENTRY",
        "SAI_OBJECT_TYPE_IPMC_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_SNAT_ENTRY",
        "SAI_OBJECT_TYPE_NAT_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_DNAT_ENTRY",
        "SAI_OBJECT_TYPE_NAT_ENTRY",
        1,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_DOUBLE_NAT_ENTRY",
        "SAI_OBJECT_TYPE_NAT_ENTRY",
        2,
    ),
    (
        "SAI_SWITCH_ATTR_AVAILABLE_MY_SID_ENTRY",
        "SAI_OBJECT_TYPE_MY_SID_ENTRY",
        1,
    ),
];

/// Short name of an object type (`ROUTE_ENTRY`), the key of table sizes.
pub(crate) fn short_name(ot: u32) -> &'static str {
    md::ot_info(ot)
        .map(|i| i.name.strip_prefix("SAI_OBJECT_TYPE_").unwrap_or(i.name))
        .unwrap_or("")
}

/// Free capacity of object type `ot`'s table.
pub(crate) fn available(s: &Store, ot: u32) -> u64 {
    let size = match s.table_sizes.get(&ot) {
        Some(n) => *n,
        None => s.cfg.tables.size(short_name(ot)),
    };
    size.saturating_sub(s.count_of(ot))
}

fn sat_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

fn members_of(s: &Store, sw: u8, owner: u64, member_ot: u32, owner_attr: u32) -> Vec<u64> {
    s.oids_of_type(sw, member_ot)
        .filter(|m| s.objs.get(m).and_then(|o| o.get(owner_attr)) == Some(&AttrValue::Oid(owner)))
        .collect()
}

/// Front ports of a switch (every port except the CPU port), ascending.
pub(crate) fn front_ports(s: &Store, sw: u8) -> Vec<u64> {
    let port_ot = md::ot_id("SAI_OBJECT_TYPE_PORT").unwrap_or(0);
    let cpu = md::attr_id("SAI_SWITCH_ATTR_CPU_PORT")
        .and_then(|id| s.objs.get(&oid::switch_oid(sw))?.get(id)?.as_oid())
        .unwrap_or(0);
    s.oids_of_type(sw, port_ot).filter(|p| *p != cpu).collect()
}

/// The computed value of read-only attribute `m` of the object, if it is one of ours.
pub(crate) fn computed(s: &Store, ot: u32, key: &ObjectKey, m: &AttrMeta) -> Option<AttrValue> {
    if !m.is_read_only() {
        return None;
    }
    let o = key.oid()?;
    let sw = oid::switch_index(o);
    if ot == oid::OT_SWITCH {
        match m.name {
            "SAI_SWITCH_ATTR_PORT_LIST" => return Some(AttrValue::OidList(front_ports(s, sw))),
            "SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS" => {
                return Some(AttrValue::U32(sat_u32(front_ports(s, sw).len() as u64)))
            }
            _ => {}
        }
        if let Some((_, table, div)) = AVAILABLE.iter().find(|(n, _, _)| *n == m.name) {
            let t = md::ot_id(table)?;
            return Some(AttrValue::U32(sat_u32(available(s, t) / div)));
        }
        return None;
    }
    if m.name == "SAI_PORT_ATTR_OPER_SPEED" {
        // The forwarder does not negotiate: the operational speed is the configured one (what
        // vslib does with SAI_VS_USE_CONFIGURED_SPEED_AS_OPER_SPEED).
        let speed = md::attr_id("SAI_PORT_ATTR_SPEED")?;
        return s.objs.get(&o)?.get(speed).cloned();
    }
    for (list, count, member_ot, owner_attr) in MEMBER_LISTS {
        let is_list = *list == m.name;
        let is_count = *count == Some(m.name);
        if !(is_list || is_count) {
            continue;
        }
        let mot = md::ot_id(member_ot)?;
        let oa = md::attr_id(owner_attr)?;
        let members = members_of(s, sw, o, mot, oa);
        return Some(if is_list {
            AttrValue::OidList(members)
        } else {
            AttrValue::U32(sat_u32(members.len() as u64))
        });
    }
    None
}
