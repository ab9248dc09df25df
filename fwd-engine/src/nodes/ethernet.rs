//! ethernet-input: classify by ethertype, map 802.1Q tags to sub-interfaces, check the receive
//! interface and the destination MAC, strip the L2 header.

use crate::buffer::{PacketBuf, FLAG_IP4_CSUM_GOOD};
use crate::graph::{ErrorDesc, NodeId, NodeReg};
use crate::interface::{IfTable, Interface};
use crate::wire::ethernet::{EtherType, Frame, VlanTag, HEADER_LEN, TAG_LEN};
use crate::worker::Ctx;

/// Local error codes.
pub mod e {
    /// Shorter than an Ethernet header (or its tag).
    pub const TOO_SHORT: u16 = 0;
    /// Ethertype not handled.
    pub const UNKNOWN_ETHERTYPE: u16 = 1;
    /// No sub-interface for the VLAN on this port.
    pub const UNKNOWN_VLAN: u16 = 2;
    /// The receive port is not configured.
    pub const UNKNOWN_INTERFACE: u16 = 3;
    /// The interface is admin down.
    pub const INTERFACE_DOWN: u16 = 4;
    /// Unicast to another MAC.
    pub const NOT_FOR_US: u16 = 5;
    /// Two stacked tags.
    pub const DOUBLE_TAGGED: u16 = 6;
}

/// Registration.
pub const REG: NodeReg = NodeReg {
    name: "ethernet-input",
    next_nodes: &[
        NodeId::Drop,
        NodeId::Ip4Input,
        NodeId::Ip4InputNoChecksum,
        NodeId::Ip6Input,
        NodeId::ArpInput,
    ],
    errors: &[
        ErrorDesc::error("too_short", "frame shorter than its Ethernet header"),
        ErrorDesc::warn("unknown_ethertype", "ethertype not handled"),
        ErrorDesc::warn("unknown_vlan", "no sub-interface for the VLAN"),
        ErrorDesc::warn("unknown_interface", "receive interface not configured"),
        ErrorDesc::warn("interface_down", "receive interface admin down"),
        ErrorDesc::warn("l3_mac_mismatch", "unicast destination MAC is not ours"),
        ErrorDesc::warn("double_tagged", "stacked VLAN tags not supported"),
    ],
};

const NODE: NodeId = NodeId::EthernetInput;

// Not inlined: one call per frame, and profiles (callgrind) see the node as a function.
#[inline(never)]
pub(crate) fn run<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    // Frames usually come from one port: remember the last (port, vlan) -> interface mapping.
    let mut last: Option<(u32, u16, &Interface)> = None;
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match one(ctx, i, &mut last) {
            Ok(n) => n,
            Err(code) => ctx.drop_with(i, NODE, code),
        };
    }
}

#[inline(always)]
fn one<'a, B: PacketBuf>(
    ctx: &mut Ctx<'a, '_, B>,
    i: u16,
    last: &mut Option<(u32, u16, &'a Interface)>,
) -> Result<NodeId, u16> {
    let ifs: &'a IfTable = ctx.ifs;
    let b = &mut ctx.pkts[usize::from(i)];
    let f = Frame::new_checked(b.data()).map_err(|_| e::TOO_SHORT)?;
    let mut et = f.ethertype();
    let mut l2 = HEADER_LEN;
    let mut vlan = 0;
    if matches!(et, EtherType::Vlan | EtherType::QinQ) {
        let t = VlanTag::new_checked(f.payload()).map_err(|_| e::TOO_SHORT)?;
        vlan = t.vlan_id();
        et = t.ethertype();
        l2 += TAG_LEN;
        if matches!(et, EtherType::Vlan | EtherType::QinQ) {
            return Err(e::DOUBLE_TAGGED);
        }
    }
    let port = b.meta().rx_port;
    let intf = match *last {
        Some((p, v, intf)) if p == port && v == vlan => intf,
        _ => {
            let sw = if vlan == 0 {
                // Untagged, or priority-tagged (VLAN 0): the port itself.
                port
            } else {
                ifs.sub_if(port, vlan).ok_or(e::UNKNOWN_VLAN)?
            };
            let intf = ifs.get(sw).ok_or(e::UNKNOWN_INTERFACE)?;
            *last = Some((port, vlan, intf));
            intf
        }
    };
    let sw = intf.sw_if_index;
    if !intf.admin_up {
        return Err(e::INTERFACE_DOWN);
    }
    let dst = f.dst_addr();
    if dst != intf.mac && !dst.is_multicast() {
        return Err(e::NOT_FOR_US);
    }
    let next = match et {
        EtherType::Ipv4 => {
            if b.meta().flags & FLAG_IP4_CSUM_GOOD != 0 {
                NodeId::Ip4InputNoChecksum
            } else {
                NodeId::Ip4Input
            }
        }
        EtherType::Ipv6 => NodeId::Ip6Input,
        EtherType::Arp => NodeId::ArpInput,
        _ => return Err(e::UNKNOWN_ETHERTYPE),
    };
    let m = b.meta_mut();
    m.rx_sw_if_index = sw;
    m.vlan = vlan;
    // l2 is 14 or 18.
    m.l2_len = u8::try_from(l2).unwrap_or(0);
    m.vrf = intf.vrf;
    m.error = 0;
    if !b.adj_head(l2) {
        return Err(e::TOO_SHORT);
    }
    Ok(next)
}
