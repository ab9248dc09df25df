//! IPv6 nodes: ip6-input, ip6-lookup, ip6-load-balance, ip6-rewrite, ip6-local (with Neighbor
//! Discovery: NS for our addresses answered in place, NA learned, the rest punted).

use super::ip4::{lb_err, LB_ERRORS};
use super::{mix, rd32, resolve_lb, LOOKUP_ERRORS};
use crate::buffer::{PacketBuf, FLAG_LOCALLY_BUILT};
use crate::fib::{LbIndex, LbKind};
use crate::graph::{err, ErrorDesc, NodeId, NodeReg, FRAME_SIZE};
use crate::wire::ethernet::Frame;
use crate::wire::icmpv6::{self, Message};
use crate::wire::ipv6::{Packet, HEADER_LEN};
use crate::wire::{IpProtocol, MacAddr};
use crate::worker::{ControlEvent, Ctx};
use core::net::{IpAddr, Ipv6Addr};

/// ip6-input local error codes.
pub mod input_err {
    /// Shorter than 40 bytes.
    pub const TOO_SHORT: u16 = 0;
    /// Version is not 6.
    pub const VERSION: u16 = 1;
    /// Payload length above bytes received.
    pub const TRUNCATED: u16 = 2;
    /// Multicast source address.
    pub const SRC_MULTICAST: u16 = 3;
}

/// ip6-input registration.
pub const INPUT_REG: NodeReg = NodeReg {
    name: "ip6-input",
    next_nodes: &[NodeId::Drop, NodeId::Ip6Lookup, NodeId::Ip6Local],
    errors: &[
        ErrorDesc::error("too_short", "shorter than the IPv6 header"),
        ErrorDesc::error("version", "IP version is not 6"),
        ErrorDesc::error("truncated", "payload length above bytes received"),
        ErrorDesc::error("src_multicast", "multicast source address"),
    ],
};

/// ip6-lookup registration.
pub const LOOKUP_REG: NodeReg = NodeReg {
    name: "ip6-lookup",
    next_nodes: &[
        NodeId::Drop,
        NodeId::Punt,
        NodeId::Ip6Rewrite,
        NodeId::Ip6LoadBalance,
        NodeId::Ip6Local,
        NodeId::Glean,
    ],
    errors: LOOKUP_ERRORS,
};

/// ip6-load-balance registration.
pub const LB_REG: NodeReg = NodeReg {
    name: "ip6-load-balance",
    next_nodes: &[NodeId::Drop, NodeId::Ip6Rewrite],
    errors: LB_ERRORS,
};

/// ip6-rewrite local error codes.
pub mod rewrite_err {
    /// Hop limit <= 1: to ip6-icmp-error (time exceeded).
    pub const HOP_LIMIT: u16 = 0;
    /// Larger than the MTU: to ip6-icmp-error (packet too big).
    pub const PACKET_TOO_BIG: u16 = 1;
    /// No headroom for the L2 header.
    pub const NO_HEADROOM: u16 = 2;
    /// Adjacency index unknown.
    pub const BAD_ADJACENCY: u16 = 3;
    /// Engine-built packet larger than the MTU.
    pub const LOCAL_TOO_BIG: u16 = 4;
    /// Header too short (never after ip6-input).
    pub const TOO_SHORT: u16 = 5;
}

/// ip6-rewrite registration.
pub const REWRITE_REG: NodeReg = NodeReg {
    name: "ip6-rewrite",
    next_nodes: &[NodeId::Drop, NodeId::Ip6IcmpError, NodeId::InterfaceOutput],
    errors: &[
        ErrorDesc::warn("hop_limit", "hop limit expired (ICMPv6 time exceeded)"),
        ErrorDesc::warn("packet_too_big", "larger than MTU (ICMPv6 packet too big)"),
        ErrorDesc::error("no_headroom", "no headroom for the L2 rewrite"),
        ErrorDesc::error("bad_adjacency", "unknown adjacency"),
        ErrorDesc::warn("local_too_big", "engine-built packet larger than MTU"),
        ErrorDesc::error("too_short", "header too short to rewrite"),
    ],
};

/// ip6-local local error codes.
pub mod local_err {
    /// Punted to the host (punt reason).
    pub const LOCAL: u16 = 0;
    /// NS target is not one of the configured addresses: punted (punt reason).
    pub const NS_NOT_FOR_US: u16 = 1;
    /// ND message with bad hop limit, code, checksum, length or options.
    pub const ND_MALFORMED: u16 = 2;
    /// NA sent in answer to an NS (info).
    pub const NA_SENT: u16 = 3;
    /// Copy of an NS for us punted (punt reason).
    pub const NS_PUNT_COPY: u16 = 4;
    /// NA / RS / RA / redirect punted (punt reason).
    pub const ND_PUNT: u16 = 5;
    /// No buffer for the punt copy.
    pub const NO_BUFFER: u16 = 6;
    /// No room to build the NA.
    pub const NO_ROOM: u16 = 7;
}

/// ip6-local registration.
pub const LOCAL_REG: NodeReg = NodeReg {
    name: "ip6-local",
    next_nodes: &[NodeId::Drop, NodeId::Punt, NodeId::InterfaceOutput],
    errors: &[
        ErrorDesc::info(
            "local",
            "packet for us / link-local / multicast, to the host",
        ),
        ErrorDesc::info(
            "ns_other_target",
            "NS for an address not configured here, punted (the host may own it)",
        ),
        ErrorDesc::error("nd_malformed", "invalid neighbor discovery message"),
        ErrorDesc::info("na_sent", "neighbor advertisements sent"),
        ErrorDesc::info("ns_punt_copy", "copy of an NS for us punted"),
        ErrorDesc::info("nd_punt", "neighbor discovery message punted"),
        ErrorDesc::warn("no_buffer", "no buffer for the punt copy"),
        ErrorDesc::error("no_room", "no room to build the neighbor advertisement"),
    ],
};

#[inline(always)]
fn rd128(d: &[u8], at: usize) -> u128 {
    match d.get(at..at + 16) {
        Some(s) => {
            let mut o = [0u8; 16];
            o.copy_from_slice(s);
            u128::from_be_bytes(o)
        }
        None => 0,
    }
}

// --- ip6-input ------------------------------------------------------------------------------

/// ip6-input: version, payload length against the buffer, multicast source; trims padding.
/// Multicast and link-local destinations go to ip6-local (ND and the host), others to lookup.
pub(crate) fn input<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        let b = &mut ctx.pkts[usize::from(i)];
        *nx = match check(b) {
            Ok(n) => n,
            Err(code) => {
                b.meta_mut().error = err(NodeId::Ip6Input, code);
                NodeId::Drop
            }
        };
    }
}

#[inline(always)]
fn check<B: PacketBuf>(b: &mut B) -> Result<NodeId, u16> {
    let d = b.data();
    let len = d.len();
    if len < HEADER_LEN {
        return Err(input_err::TOO_SHORT);
    }
    let p = Packet::new_unchecked(d);
    if p.version() != 6 {
        return Err(input_err::VERSION);
    }
    let tl = HEADER_LEN + usize::from(p.payload_len());
    if tl > len {
        return Err(input_err::TRUNCATED);
    }
    if d[8] == 0xff {
        return Err(input_err::SRC_MULTICAST);
    }
    let dst0 = d[24];
    let dst1 = d[25];
    let next = if dst0 == 0xff || (dst0 == 0xfe && dst1 & 0xc0 == 0x80) {
        NodeId::Ip6Local
    } else {
        NodeId::Ip6Lookup
    };
    if tl < len {
        b.trim_tail(len - tl);
    }
    Ok(next)
}

// --- ip6-lookup -----------------------------------------------------------------------------

/// ip6-lookup: batched LPM, then resolve each LB.
pub(crate) fn lookup<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    let n = frame.len().min(FRAME_SIZE);
    let mut dst = [0u128; FRAME_SIZE];
    let mut lbs: [LbIndex; FRAME_SIZE] = [0; FRAME_SIZE];
    let vrf0 = frame
        .first()
        .map_or(0, |&i| ctx.pkts[usize::from(i)].meta().vrf);
    let mut same_vrf = true;
    for (d, &i) in dst[..n].iter_mut().zip(frame) {
        let b = &ctx.pkts[usize::from(i)];
        *d = rd128(b.data(), 24);
        same_vrf &= b.meta().vrf == vrf0;
    }
    if same_vrf {
        ctx.fib.lookup6_batch(vrf0, &dst[..n], &mut lbs[..n]);
    } else {
        for ((l, d), &i) in lbs[..n].iter_mut().zip(&dst[..n]).zip(frame) {
            *l = ctx.fib.lookup6(ctx.pkts[usize::from(i)].meta().vrf, *d);
        }
    }
    for ((nx, &i), &lbi) in nexts.iter_mut().zip(frame).zip(&lbs[..n]) {
        *nx = if ctx.pkts[usize::from(i)].len() < HEADER_LEN {
            ctx.drop_with(i, NodeId::Ip6Lookup, super::lookup_err::TOO_SHORT)
        } else {
            resolve_lb(ctx, NodeId::Ip6Lookup, i, lbi, true)
        };
    }
}

// --- ip6-load-balance -----------------------------------------------------------------------

/// The 5-tuple flow hash of an IPv6 packet (ports when the next header is TCP/UDP directly).
#[inline]
pub fn flow_hash(d: &[u8]) -> u32 {
    let src = rd128(d, 8);
    let dst = rd128(d, 24);
    let nh = d.get(6).copied().unwrap_or(0);
    let ports = if nh == 6 || nh == 17 {
        rd32(d, HEADER_LEN)
    } else {
        0
    };
    #[allow(clippy::cast_possible_truncation, reason = "folding 128-bit addresses")]
    let (s, t) = ((src ^ (src >> 64)) as u64, (dst ^ (dst >> 64)) as u64);
    mix(
        s ^ t.rotate_left(32),
        (u64::from(ports) << 8) | u64::from(nh),
    )
}

/// ip6-load-balance: pick the bucket by flow hash.
pub(crate) fn load_balance<B: PacketBuf>(
    ctx: &mut Ctx<'_, '_, B>,
    frame: &[u16],
    nexts: &mut [NodeId],
) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        let b = &ctx.pkts[usize::from(i)];
        let lb = ctx.fib.lb(b.meta().lb_index);
        let h = flow_hash(b.data());
        *nx = match (lb.kind, lb.bucket(h)) {
            (LbKind::Forward, Some(adj)) => {
                let m = ctx.pkts[usize::from(i)].meta_mut();
                m.flow_hash = h;
                m.adj_index = adj;
                NodeId::Ip6Rewrite
            }
            _ => ctx.drop_with(i, NodeId::Ip6LoadBalance, lb_err::LB_CHANGED),
        };
    }
}

// --- ip6-rewrite ----------------------------------------------------------------------------

/// ip6-rewrite: hop-limit check and decrement, MTU check (routers never fragment IPv6), L2
/// header from the adjacency.
pub(crate) fn rewrite<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match rewrite_one(ctx, i) {
            Ok(NodeId::Ip6IcmpError) => {
                let g = ctx.pkts[usize::from(i)].meta().error;
                if let Some(c) = ctx.errors.get_mut(usize::from(g)) {
                    *c += 1;
                }
                NodeId::Ip6IcmpError
            }
            Ok(n) => n,
            Err(code) => ctx.drop_with(i, NodeId::Ip6Rewrite, code),
        };
    }
}

#[inline(always)]
fn rewrite_one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> Result<NodeId, u16> {
    let fib = ctx.fib;
    let b = &mut ctx.pkts[usize::from(i)];
    let adj = match fib.adj_ref(b.meta().adj_index) {
        Some(a) if a.sw_if_index != u32::MAX => a,
        _ => return Err(rewrite_err::BAD_ADJACENCY),
    };
    let local = b.meta().flags & FLAG_LOCALLY_BUILT != 0;
    let d = b.data_mut();
    if d.len() < HEADER_LEN {
        return Err(rewrite_err::TOO_SHORT);
    }
    let mut p = Packet::new_unchecked(d);
    let hl = p.hop_limit();
    if hl <= 1 && !local {
        b.meta_mut().error = err(NodeId::Ip6Rewrite, rewrite_err::HOP_LIMIT);
        return Ok(NodeId::Ip6IcmpError);
    }
    if adj.mtu != 0 && HEADER_LEN + usize::from(p.payload_len()) > usize::from(adj.mtu) {
        if local {
            return Err(rewrite_err::LOCAL_TOO_BIG);
        }
        b.meta_mut().error = err(NodeId::Ip6Rewrite, rewrite_err::PACKET_TOO_BIG);
        return Ok(NodeId::Ip6IcmpError);
    }
    if !local {
        p.set_hop_limit(hl - 1);
    }
    let rl = usize::from(adj.rewrite_len.min(22));
    if !b.prepend(rl) {
        return Err(rewrite_err::NO_HEADROOM);
    }
    let d = b.data_mut();
    // Fixed-size copies for the usual header lengths (no memcpy call).
    match rl {
        14 => d[..14].copy_from_slice(&adj.rewrite[..14]),
        18 => d[..18].copy_from_slice(&adj.rewrite[..18]),
        _ => d[..rl].copy_from_slice(&adj.rewrite[..rl]),
    }
    b.meta_mut().tx_sw_if_index = adj.sw_if_index;
    Ok(NodeId::InterfaceOutput)
}

// --- ip6-local ------------------------------------------------------------------------------

const NODE_LOCAL: NodeId = NodeId::Ip6Local;

/// ip6-local: NS for our addresses answered with an NA (and a copy punted); NS for other
/// targets, NA (learned) and everything else punted to the host; invalid ND dropped.
pub(crate) fn local<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = local_one(ctx, i);
    }
}

fn local_one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> NodeId {
    let ifs = ctx.ifs;
    let b = &ctx.pkts[usize::from(i)];
    let d = b.data();
    let ip = Packet::new_unchecked(d);
    if d.len() < HEADER_LEN + icmpv6::HEADER_LEN || ip.next_header() != IpProtocol::Icmpv6 {
        return ctx.punt_with(i, NODE_LOCAL, local_err::LOCAL);
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let hop = ip.hop_limit();
    let body = &d[HEADER_LEN..];
    let kind = Message::from(body[0]);
    if !matches!(kind, Message::NeighborSolicit | Message::NeighborAdvert) {
        let reason = if matches!(
            kind,
            Message::RouterSolicit | Message::RouterAdvert | Message::Redirect
        ) {
            local_err::ND_PUNT
        } else {
            local_err::LOCAL
        };
        return ctx.punt_with(i, NODE_LOCAL, reason);
    }
    // RFC 4861 sections 7.1.1 / 7.1.2 validity checks.
    let Ok(icmp) = icmpv6::Packet::new_checked(body) else {
        return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
    };
    if hop != 255 || icmp.msg_code() != 0 || !icmp.verify_checksum(src, dst) {
        return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
    }
    let target = icmp.nd_target();
    if target.is_multicast() {
        return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
    }
    let sw = b.meta().rx_sw_if_index;
    let Some(intf) = ifs.get(sw) else {
        return ctx.punt_with(i, NODE_LOCAL, local_err::LOCAL);
    };
    if kind == Message::NeighborAdvert {
        let Ok(tlla) = icmpv6::find_lladdr(&icmp, icmpv6::OPT_TARGET_LLADDR) else {
            return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
        };
        if let Some(mac) = tlla {
            ctx.event(ControlEvent::NeighborLearned {
                sw_if_index: sw,
                ip: IpAddr::V6(target),
                mac,
            });
        }
        return ctx.punt_with(i, NODE_LOCAL, local_err::ND_PUNT);
    }
    // Neighbor solicitation.
    let Ok(slla) = icmpv6::find_lladdr(&icmp, icmpv6::OPT_SOURCE_LLADDR) else {
        return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
    };
    if src.is_unspecified() && (slla.is_some() || !is_solicited_node(dst)) {
        return ctx.drop_with(i, NODE_LOCAL, local_err::ND_MALFORMED);
    }
    if !intf.has_ip6(target) {
        // The host's own addresses (e.g. the kernel's link-local address on the host
        // interface) are not in the table: let the host answer or ignore it.
        return ctx.punt_with(i, NODE_LOCAL, local_err::NS_NOT_FOR_US);
    }
    let our_mac = intf.mac;
    if let (false, Some(mac)) = (src.is_unspecified(), slla) {
        ctx.event(ControlEvent::NeighborLearned {
            sw_if_index: sw,
            ip: IpAddr::V6(src),
            mac,
        });
    }
    if !ctx.punt_copy(i, NODE_LOCAL, local_err::NS_PUNT_COPY) {
        ctx.count(NODE_LOCAL, local_err::NO_BUFFER);
    }
    let b = &mut ctx.pkts[usize::from(i)];
    // Answer: to the soliciting unicast address, or all-nodes for DAD (RFC 4861 7.2.4).
    let (na_dst, eth_dst, flags) = if src.is_unspecified() {
        (
            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1),
            MacAddr::ipv6_multicast(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)),
            icmpv6::NA_ROUTER | icmpv6::NA_OVERRIDE,
        )
    } else {
        let l2_src = l2_source(b);
        (
            src,
            slla.unwrap_or(l2_src),
            icmpv6::NA_ROUTER | icmpv6::NA_SOLICITED | icmpv6::NA_OVERRIDE,
        )
    };
    if !build_na(b, target, na_dst, our_mac, flags) {
        return ctx.drop_with(i, NODE_LOCAL, local_err::NO_ROOM);
    }
    let b = &mut ctx.pkts[usize::from(i)];
    let l2 = usize::from(b.meta().l2_len);
    if l2 < crate::wire::ethernet::HEADER_LEN || !b.prepend(l2) {
        return ctx.drop_with(i, NODE_LOCAL, local_err::NO_ROOM);
    }
    let mut f = Frame::new_unchecked(b.data_mut());
    f.set_dst_addr(eth_dst);
    f.set_src_addr(our_mac);
    let m = b.meta_mut();
    m.tx_sw_if_index = sw;
    m.l2_len = 0;
    m.flags |= FLAG_LOCALLY_BUILT;
    ctx.count(NODE_LOCAL, local_err::NA_SENT);
    NodeId::InterfaceOutput
}

fn is_solicited_node(a: Ipv6Addr) -> bool {
    let o = a.octets();
    o[..13] == [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff]
}

/// The Ethernet source of the received frame (still in the headroom).
fn l2_source<B: PacketBuf>(b: &mut B) -> MacAddr {
    let l2 = usize::from(b.meta().l2_len);
    let mut m = MacAddr::default();
    if l2 >= crate::wire::ethernet::HEADER_LEN && b.prepend(l2) {
        m = Frame::new_unchecked(b.data()).src_addr();
        b.adj_head(l2);
    }
    m
}

/// Rewrite the L3 part of `b` (an NS) into an NA for `target` with a target link-layer option.
fn build_na<B: PacketBuf>(
    b: &mut B,
    target: Ipv6Addr,
    dst: Ipv6Addr,
    mac: MacAddr,
    flags: u8,
) -> bool {
    const NA_LEN: usize = icmpv6::ND_LEN + icmpv6::LLADDR_OPT_LEN;
    let want = HEADER_LEN + NA_LEN;
    let len = b.len();
    let ok = if len > want {
        b.trim_tail(len - want)
    } else {
        b.append(want - len)
    };
    if !ok {
        return false;
    }
    let d = b.data_mut();
    let mut ip = Packet::new_unchecked(&mut d[..]);
    // Keep version / traffic class / flow label as received? RFC 4861 does not constrain them;
    // reset to zero for a deterministic answer.
    ip.set_version_clear();
    ip.set_payload_len(32);
    ip.set_next_header(IpProtocol::Icmpv6);
    ip.set_hop_limit(255);
    ip.set_src_addr(target);
    ip.set_dst_addr(dst);
    let body = &mut d[HEADER_LEN..];
    let mut icmp = icmpv6::Packet::new_unchecked(&mut body[..]);
    icmp.set_msg_type(Message::NeighborAdvert);
    icmp.set_msg_code(0);
    icmp.set_na_flags(flags);
    icmp.set_nd_target(target);
    body[icmpv6::ND_LEN] = icmpv6::OPT_TARGET_LLADDR;
    body[icmpv6::ND_LEN + 1] = 1;
    body[icmpv6::ND_LEN + 2..NA_LEN].copy_from_slice(&mac.0);
    icmpv6::Packet::new_unchecked(&mut body[..]).fill_checksum(target, dst);
    true
}
