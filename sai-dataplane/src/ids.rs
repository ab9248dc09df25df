//! SAI object type, attribute and enum values the programmer needs, resolved once from the
//! metadata by name (a name the metadata lacks resolves to a value no change carries).

use sai_store::md;
use std::sync::OnceLock;

/// Resolved ids.
#[derive(Debug)]
#[allow(
    missing_docs,
    reason = "each field is the SAI name it was resolved from"
)]
pub struct Ids {
    pub ot_switch: u32,
    pub ot_port: u32,
    pub ot_vr: u32,
    pub ot_rif: u32,
    pub ot_nh: u32,
    pub ot_nhg: u32,
    pub ot_nhgm: u32,
    pub ot_route: u32,
    pub ot_neighbor: u32,
    pub ot_hostif: u32,
    pub ot_trap: u32,
    pub ot_trap_group: u32,
    pub sw_src_mac: u32,
    pub sw_cpu_port: u32,
    pub port_admin: u32,
    pub port_mtu: u32,
    pub port_speed: u32,
    pub port_lanes: u32,
    pub port_oper: u32,
    pub vr_src_mac: u32,
    pub rif_type: u32,
    pub rif_port: u32,
    pub rif_vr: u32,
    pub rif_mac: u32,
    pub rif_mtu: u32,
    pub rif_v4: u32,
    pub rif_v6: u32,
    pub rif_outer_vlan: u32,
    pub rif_type_port: i32,
    pub rif_type_vlan: i32,
    pub rif_type_loopback: i32,
    pub rif_type_sub_port: i32,
    pub nh_ip: u32,
    pub nh_rif: u32,
    pub nhgm_group: u32,
    pub nhgm_nh: u32,
    pub nhgm_weight: u32,
    pub route_action: u32,
    pub route_nh: u32,
    pub neigh_mac: u32,
    pub hostif_type: u32,
    pub hostif_obj: u32,
    pub hostif_name: u32,
    pub hostif_oper: u32,
    pub trap_type: u32,
    pub trap_action: u32,
    pub trap_group: u32,
    pub tg_queue: u32,
    pub pa_drop: i32,
    pub pa_forward: i32,
    pub pa_trap: i32,
    pub pa_deny: i32,
    pub oper_up: i32,
    pub oper_down: i32,
}

const NONE_U: u32 = u32::MAX;
const NONE_I: i32 = i32::MIN;

fn ot(n: &str) -> u32 {
    md::ot_id(n).unwrap_or(NONE_U)
}
fn a(n: &str) -> u32 {
    md::attr_id(n).unwrap_or(NONE_U)
}
fn e(attr: &str, member: &str) -> i32 {
    md::enum_value(attr, member).unwrap_or(NONE_I)
}

impl Ids {
    /// The resolved ids (resolved on first use).
    pub fn get() -> &'static Ids {
        static IDS: OnceLock<Ids> = OnceLock::new();
        IDS.get_or_init(|| Ids {
            ot_switch: ot("SAI_OBJECT_TYPE_SWITCH"),
            ot_port: ot("SAI_OBJECT_TYPE_PORT"),
            ot_vr: ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER"),
            ot_rif: ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE"),
            ot_nh: ot("SAI_OBJECT_TYPE_NEXT_HOP"),
            ot_nhg: ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP"),
            ot_nhgm: ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP_MEMBER"),
            ot_route: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
            ot_neighbor: ot("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY"),
            ot_hostif: ot("SAI_OBJECT_TYPE_HOSTIF"),
            ot_trap: ot("SAI_OBJECT_TYPE_HOSTIF_TRAP"),
            ot_trap_group: ot("SAI_OBJECT_TYPE_HOSTIF_TRAP_GROUP"),
            sw_src_mac: a("SAI_SWITCH_ATTR_SRC_MAC_ADDRESS"),
            sw_cpu_port: a("SAI_SWITCH_ATTR_CPU_PORT"),
            port_admin: a("SAI_PORT_ATTR_ADMIN_STATE"),
            port_mtu: a("SAI_PORT_ATTR_MTU"),
            port_speed: a("SAI_PORT_ATTR_SPEED"),
            port_lanes: a("SAI_PORT_ATTR_HW_LANE_LIST"),
            port_oper: a("SAI_PORT_ATTR_OPER_STATUS"),
            vr_src_mac: a("SAI_VIRTUAL_ROUTER_ATTR_SRC_MAC_ADDRESS"),
            rif_type: a("SAI_ROUTER_INTERFACE_ATTR_TYPE"),
            rif_port: a("SAI_ROUTER_INTERFACE_ATTR_PORT_ID"),
            rif_vr: a("SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID"),
            rif_mac: a("SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS"),
            rif_mtu: a("SAI_ROUTER_INTERFACE_ATTR_MTU"),
            rif_v4: a("SAI_ROUTER_INTERFACE_ATTR_ADMIN_V4_STATE"),
            rif_v6: a("SAI_ROUTER_INTERFACE_ATTR_ADMIN_V6_STATE"),
            rif_outer_vlan: a("SAI_ROUTER_INTERFACE_ATTR_OUTER_VLAN_ID"),
            rif_type_port: e(
                "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                "SAI_ROUTER_INTERFACE_TYPE_PORT",
            ),
            rif_type_vlan: e(
                "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                "SAI_ROUTER_INTERFACE_TYPE_VLAN",
            ),
            rif_type_loopback: e(
                "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                "SAI_ROUTER_INTERFACE_TYPE_LOOPBACK",
            ),
            rif_type_sub_port: e(
                "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                "SAI_ROUTER_INTERFACE_TYPE_SUB_PORT",
            ),
            nh_ip: a("SAI_NEXT_HOP_ATTR_IP"),
            nh_rif: a("SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID"),
            nhgm_group: a("SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID"),
            nhgm_nh: a("SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID"),
            nhgm_weight: a("SAI_NEXT_HOP_GROUP_MEMBER_ATTR_WEIGHT"),
            route_action: a("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
            route_nh: a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
            neigh_mac: a("SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS"),
            hostif_type: a("SAI_HOSTIF_ATTR_TYPE"),
            hostif_obj: a("SAI_HOSTIF_ATTR_OBJ_ID"),
            hostif_name: a("SAI_HOSTIF_ATTR_NAME"),
            hostif_oper: a("SAI_HOSTIF_ATTR_OPER_STATUS"),
            trap_type: a("SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE"),
            trap_action: a("SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION"),
            trap_group: a("SAI_HOSTIF_TRAP_ATTR_TRAP_GROUP"),
            tg_queue: a("SAI_HOSTIF_TRAP_GROUP_ATTR_QUEUE"),
            pa_drop: e(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_DROP",
            ),
            pa_forward: e(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_FORWARD",
            ),
            pa_trap: e(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_TRAP",
            ),
            pa_deny: e(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_DENY",
            ),
            oper_up: e("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_UP"),
            oper_down: e("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_DOWN"),
        })
    }
}
