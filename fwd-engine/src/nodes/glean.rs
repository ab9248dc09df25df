//! glean: a packet for an unresolved connected destination. The packet is dropped (counted) and
//! its buffer is reused for an ARP request / neighbor solicitation out of the connected
//! interface, rate-limited; a `ResolveRequest` event tells the control plane.

use crate::buffer::{PacketBuf, FLAG_LOCALLY_BUILT};
use crate::graph::{ErrorDesc, NodeId, NodeReg};
use crate::interface::Interface;
use crate::wire::arp::{self, Operation};
use crate::wire::ethernet::{EtherType, HEADER_LEN as ETH_LEN, TAG_LEN};
use crate::wire::{icmpv6, ipv4, ipv6, IpProtocol, MacAddr};
use crate::worker::{ControlEvent, Ctx};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Local error codes.
pub mod e {
    /// Packet dropped, ARP request sent in its buffer (info).
    pub const ARP_SENT: u16 = 0;
    /// Packet dropped, NS sent in its buffer (info).
    pub const NS_SENT: u16 = 1;
    /// Packet dropped, resolution rate-limited.
    pub const RATE_LIMITED: u16 = 2;
    /// The glean interface has no address of the family.
    pub const NO_SOURCE_ADDRESS: u16 = 3;
    /// The glean interface is not configured.
    pub const NO_INTERFACE: u16 = 4;
    /// No room in the buffer for the request.
    pub const NO_ROOM: u16 = 5;
    /// Not an IP packet.
    pub const MALFORMED: u16 = 6;
}

/// Registration.
pub const REG: NodeReg = NodeReg {
    name: "glean",
    next_nodes: &[NodeId::Drop, NodeId::InterfaceOutput],
    errors: &[
        ErrorDesc::info("arp_sent", "packet dropped, ARP request sent"),
        ErrorDesc::info("ns_sent", "packet dropped, neighbor solicitation sent"),
        ErrorDesc::warn("rate_limited", "packet dropped, resolution rate-limited"),
        ErrorDesc::warn("no_source_address", "glean interface has no address"),
        ErrorDesc::warn("no_interface", "glean interface not configured"),
        ErrorDesc::error("no_room", "no room for the resolution request"),
        ErrorDesc::error("malformed", "not an IP packet"),
    ],
};

const NODE: NodeId = NodeId::Glean;

pub(crate) fn run<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match one(ctx, i) {
            Ok(sent) => {
                ctx.count(NODE, sent);
                NodeId::InterfaceOutput
            }
            Err(code) => ctx.drop_with(i, NODE, code),
        };
    }
}

fn one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> Result<u16, u16> {
    let ifs = ctx.ifs;
    let b = &ctx.pkts[usize::from(i)];
    let sw = b.meta().tx_sw_if_index;
    let intf = ifs.get(sw).ok_or(e::NO_INTERFACE)?;
    let d = b.data();
    let target = match d.first().map(|v| v >> 4) {
        Some(4) if d.len() >= ipv4::HEADER_LEN => {
            IpAddr::V4(ipv4::Packet::new_unchecked(d).dst_addr())
        }
        Some(6) if d.len() >= ipv6::HEADER_LEN => {
            IpAddr::V6(ipv6::Packet::new_unchecked(d).dst_addr())
        }
        _ => return Err(e::MALFORMED),
    };
    ctx.event(ControlEvent::ResolveRequest {
        sw_if_index: sw,
        ip: target,
    });
    if !ctx.limits.glean.take(ctx.now) {
        return Err(e::RATE_LIMITED);
    }
    let b = &mut ctx.pkts[usize::from(i)];
    let sent = match target {
        IpAddr::V4(t) => {
            let src = intf.src4_for(t).ok_or(e::NO_SOURCE_ADDRESS)?;
            build_arp(b, intf, src, t)?;
            e::ARP_SENT
        }
        IpAddr::V6(t) => {
            let src = intf.src6_for(t).ok_or(e::NO_SOURCE_ADDRESS)?;
            build_ns(b, intf, src, t)?;
            e::NS_SENT
        }
    };
    let m = b.meta_mut();
    m.flags |= FLAG_LOCALLY_BUILT;
    m.l2_len = 0;
    Ok(sent)
}

/// Resize the data window to `len` bytes.
fn resize<B: PacketBuf>(b: &mut B, len: usize) -> Result<(), u16> {
    let cur = b.len();
    let ok = if cur > len {
        b.trim_tail(cur - len)
    } else {
        b.append(len - cur)
    };
    if ok {
        Ok(())
    } else {
        Err(e::NO_ROOM)
    }
}

/// Write the Ethernet header (with the sub-interface's tag) at the front of `d`.
fn write_l2(d: &mut [u8], intf: &Interface, dst: MacAddr, et: EtherType) {
    d[0..6].copy_from_slice(&dst.0);
    d[6..12].copy_from_slice(&intf.mac.0);
    let mut at = 12;
    if let Some((_, vlan)) = intf.parent {
        d[12..14].copy_from_slice(&u16::from(EtherType::Vlan).to_be_bytes());
        d[14..16].copy_from_slice(&vlan.to_be_bytes());
        at = 16;
    }
    d[at..at + 2].copy_from_slice(&u16::from(et).to_be_bytes());
}

fn l2_len(intf: &Interface) -> usize {
    if intf.parent.is_some() {
        ETH_LEN + TAG_LEN
    } else {
        ETH_LEN
    }
}

fn build_arp<B: PacketBuf>(
    b: &mut B,
    intf: &Interface,
    src: Ipv4Addr,
    target: Ipv4Addr,
) -> Result<(), u16> {
    let l2 = l2_len(intf);
    resize(b, arp::PACKET_LEN)?;
    if !b.prepend(l2) {
        return Err(e::NO_ROOM);
    }
    let d = b.data_mut();
    write_l2(d, intf, MacAddr::BROADCAST, EtherType::Arp);
    arp::Repr {
        operation: Operation::Request,
        source_hardware_addr: intf.mac,
        source_protocol_addr: src,
        target_hardware_addr: MacAddr::default(),
        target_protocol_addr: target,
    }
    .emit(&mut arp::Packet::new_unchecked(&mut d[l2..]));
    Ok(())
}

fn build_ns<B: PacketBuf>(
    b: &mut B,
    intf: &Interface,
    src: Ipv6Addr,
    target: Ipv6Addr,
) -> Result<(), u16> {
    const NS_LEN: usize = icmpv6::ND_LEN + icmpv6::LLADDR_OPT_LEN;
    const NS_LEN_U16: u16 = 32;
    let l2 = l2_len(intf);
    resize(b, ipv6::HEADER_LEN + NS_LEN)?;
    if !b.prepend(l2) {
        return Err(e::NO_ROOM);
    }
    let dst = ipv6::solicited_node(target);
    let d = b.data_mut();
    write_l2(d, intf, MacAddr::ipv6_multicast(dst), EtherType::Ipv6);
    let l3 = &mut d[l2..];
    ipv6::Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: NS_LEN_U16,
        hop_limit: 255,
    }
    .emit(&mut ipv6::Packet::new_unchecked(
        &mut l3[..ipv6::HEADER_LEN],
    ));
    let body = &mut l3[ipv6::HEADER_LEN..];
    let mut icmp = icmpv6::Packet::new_unchecked(&mut body[..]);
    icmp.set_msg_type(icmpv6::Message::NeighborSolicit);
    icmp.set_msg_code(0);
    icmp.set_rest(0);
    icmp.set_nd_target(target);
    body[icmpv6::ND_LEN] = icmpv6::OPT_SOURCE_LLADDR;
    body[icmpv6::ND_LEN + 1] = 1;
    body[icmpv6::ND_LEN + 2..NS_LEN].copy_from_slice(&intf.mac.0);
    icmpv6::Packet::new_unchecked(&mut body[..]).fill_checksum(src, dst);
    Ok(())
}
