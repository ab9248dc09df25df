//! ip4-icmp-error and ip6-icmp-error: turn the offending packet into the ICMP error in place
//! (new IP + ICMP header in front of the quoted original), rate-limited by a token bucket.

use super::ip4::rewrite_err as rw4;
use super::ip6::rewrite_err as rw6;
use crate::buffer::{PacketBuf, FLAG_LOCALLY_BUILT};
use crate::graph::{err, ErrorDesc, NodeId, NodeReg};
use crate::wire::icmpv4::{self, time_exceeded, unreachable};
use crate::wire::icmpv6;
use crate::wire::{ipv4, ipv6, IpProtocol};
use crate::worker::Ctx;

/// Total size limit of an ICMPv4 error (RFC 1812 section 4.3.2.3).
pub const ICMP4_MAX: usize = 576;
/// TTL / hop limit of generated errors.
pub const ERROR_TTL: u8 = 64;

/// Local error codes (both nodes).
pub mod e {
    /// Time exceeded sent (info).
    pub const SENT_TIME_EXCEEDED: u16 = 0;
    /// Destination unreachable / fragmentation needed (v4) or packet too big (v6) sent (info).
    pub const SENT_TOO_BIG: u16 = 1;
    /// Dropped by the rate limiter.
    pub const RATE_LIMITED: u16 = 2;
    /// No error for an ICMP error, a non-first fragment, or a multicast/broadcast packet.
    pub const NOT_ELIGIBLE: u16 = 3;
    /// Invalid source address to send the error to.
    pub const BAD_SOURCE: u16 = 4;
    /// The receive interface has no address to send from.
    pub const NO_SOURCE_ADDRESS: u16 = 5;
    /// No headroom for the new headers.
    pub const NO_HEADROOM: u16 = 6;
    /// The packet arrived without a known error reason.
    pub const UNKNOWN_REASON: u16 = 7;
}

const ERRORS: &[ErrorDesc] = &[
    ErrorDesc::info("sent_time_exceeded", "time exceeded sent"),
    ErrorDesc::info("sent_too_big", "frag needed / packet too big sent"),
    ErrorDesc::warn("rate_limited", "ICMP error rate-limited"),
    ErrorDesc::info(
        "not_eligible",
        "no ICMP error for ICMP errors, fragments, multicast",
    ),
    ErrorDesc::warn("bad_source", "invalid source address for an ICMP error"),
    ErrorDesc::warn("no_source_address", "receive interface has no address"),
    ErrorDesc::error("no_headroom", "no headroom for the ICMP error headers"),
    ErrorDesc::error(
        "unknown_reason",
        "no ICMP error type for the packet's error",
    ),
];

/// ip4-icmp-error registration.
pub const IP4_REG: NodeReg = NodeReg {
    name: "ip4-icmp-error",
    next_nodes: &[NodeId::Drop, NodeId::Ip4Lookup],
    errors: ERRORS,
};

/// ip6-icmp-error registration.
pub const IP6_REG: NodeReg = NodeReg {
    name: "ip6-icmp-error",
    next_nodes: &[NodeId::Drop, NodeId::Ip6Lookup],
    errors: ERRORS,
};

pub(crate) fn ip4_error<B: PacketBuf>(
    ctx: &mut Ctx<'_, '_, B>,
    frame: &[u16],
    nexts: &mut [NodeId],
) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match ip4_one(ctx, i) {
            Ok(sent) => {
                ctx.count(NodeId::Ip4IcmpError, sent);
                NodeId::Ip4Lookup
            }
            Err(code) => ctx.drop_with(i, NodeId::Ip4IcmpError, code),
        };
    }
}

fn ip4_one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> Result<u16, u16> {
    let (ifs, fib) = (ctx.ifs, ctx.fib);
    let b = &mut ctx.pkts[usize::from(i)];
    let m = *b.meta();
    let (typ, code, sent) = if m.error == err(NodeId::Ip4Rewrite, rw4::TIME_EXPIRED) {
        (
            icmpv4::Message::TimeExceeded,
            time_exceeded::TTL,
            e::SENT_TIME_EXCEEDED,
        )
    } else if m.error == err(NodeId::Ip4Rewrite, rw4::MTU_EXCEEDED_DF) {
        (
            icmpv4::Message::DstUnreachable,
            unreachable::FRAG_NEEDED,
            e::SENT_TOO_BIG,
        )
    } else {
        return Err(e::UNKNOWN_REASON);
    };
    let d = b.data();
    if d.len() < ipv4::HEADER_LEN || m.flags & FLAG_LOCALLY_BUILT != 0 {
        return Err(e::NOT_ELIGIBLE);
    }
    let orig = ipv4::Packet::new_unchecked(d);
    let hl = orig.header_len();
    // RFC 1812 section 4.3.2.7: not for ICMP errors, non-first fragments, multicast/broadcast.
    if orig.next_header() == IpProtocol::Icmp
        && d.get(hl)
            .is_none_or(|t| icmpv4::Message::from(*t).is_error())
    {
        return Err(e::NOT_ELIGIBLE);
    }
    let dst = orig.dst_addr();
    if orig.frag_offset() != 0 || dst.is_multicast() || dst.is_broadcast() {
        return Err(e::NOT_ELIGIBLE);
    }
    let src = orig.src_addr();
    if src.is_unspecified()
        || src.is_broadcast()
        || src.is_multicast()
        || src.is_loopback()
        || src.octets()[0] >= 240
    {
        return Err(e::BAD_SOURCE);
    }
    let our = ifs
        .get(m.rx_sw_if_index)
        .and_then(|x| x.src4_for(src))
        .ok_or(e::NO_SOURCE_ADDRESS)?;
    if !ctx.limits.icmp4.take(ctx.now) {
        return Err(e::RATE_LIMITED);
    }
    let mtu = if code == unreachable::FRAG_NEEDED {
        fib.adj(m.adj_index).mtu
    } else {
        0
    };
    let hdr = ipv4::HEADER_LEN + icmpv4::HEADER_LEN;
    let quote = d.len().min(ICMP4_MAX - hdr);
    let len = d.len();
    b.trim_tail(len - quote);
    if !b.prepend(hdr) {
        b.append(len - quote);
        return Err(e::NO_HEADROOM);
    }
    let d = b.data_mut();
    ipv4::Repr {
        src_addr: our,
        dst_addr: src,
        next_header: IpProtocol::Icmp,
        payload_len: icmpv4::HEADER_LEN + quote,
        ttl: ERROR_TTL,
    }
    .emit(&mut ipv4::Packet::new_unchecked(&mut d[..ipv4::HEADER_LEN]));
    let mut icmp = icmpv4::Packet::new_unchecked(&mut d[ipv4::HEADER_LEN..]);
    icmp.set_msg_type(typ);
    icmp.set_msg_code(code);
    icmp.set_rest(0, mtu);
    icmp.fill_checksum();
    let mm = b.meta_mut();
    mm.flags |= FLAG_LOCALLY_BUILT;
    mm.l2_len = 0;
    mm.error = 0;
    Ok(sent)
}

pub(crate) fn ip6_error<B: PacketBuf>(
    ctx: &mut Ctx<'_, '_, B>,
    frame: &[u16],
    nexts: &mut [NodeId],
) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match ip6_one(ctx, i) {
            Ok(sent) => {
                ctx.count(NodeId::Ip6IcmpError, sent);
                NodeId::Ip6Lookup
            }
            Err(code) => ctx.drop_with(i, NodeId::Ip6IcmpError, code),
        };
    }
}

fn ip6_one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> Result<u16, u16> {
    let (ifs, fib) = (ctx.ifs, ctx.fib);
    let b = &mut ctx.pkts[usize::from(i)];
    let m = *b.meta();
    let (typ, sent) = if m.error == err(NodeId::Ip6Rewrite, rw6::HOP_LIMIT) {
        (icmpv6::Message::TimeExceeded, e::SENT_TIME_EXCEEDED)
    } else if m.error == err(NodeId::Ip6Rewrite, rw6::PACKET_TOO_BIG) {
        (icmpv6::Message::PacketTooBig, e::SENT_TOO_BIG)
    } else {
        return Err(e::UNKNOWN_REASON);
    };
    let d = b.data();
    if d.len() < ipv6::HEADER_LEN || m.flags & FLAG_LOCALLY_BUILT != 0 {
        return Err(e::NOT_ELIGIBLE);
    }
    let orig = ipv6::Packet::new_unchecked(d);
    // RFC 4443 section 2.4 (e): not for ICMPv6 errors; not for multicast destinations except
    // packet too big.
    if orig.next_header() == IpProtocol::Icmpv6
        && d.get(ipv6::HEADER_LEN)
            .is_none_or(|t| icmpv6::Message::from(*t).is_error())
    {
        return Err(e::NOT_ELIGIBLE);
    }
    if orig.dst_addr().is_multicast() && typ != icmpv6::Message::PacketTooBig {
        return Err(e::NOT_ELIGIBLE);
    }
    let src = orig.src_addr();
    if src.is_unspecified() || src.is_multicast() || src.is_loopback() {
        return Err(e::BAD_SOURCE);
    }
    let our = ifs
        .get(m.rx_sw_if_index)
        .and_then(|x| x.src6_for(src))
        .ok_or(e::NO_SOURCE_ADDRESS)?;
    if !ctx.limits.icmp6.take(ctx.now) {
        return Err(e::RATE_LIMITED);
    }
    let rest = if typ == icmpv6::Message::PacketTooBig {
        u32::from(fib.adj(m.adj_index).mtu)
    } else {
        0
    };
    let hdr = ipv6::HEADER_LEN + icmpv6::HEADER_LEN;
    let quote = d.len().min(ipv6::MIN_MTU - hdr);
    let len = d.len();
    b.trim_tail(len - quote);
    if !b.prepend(hdr) {
        b.append(len - quote);
        return Err(e::NO_HEADROOM);
    }
    let d = b.data_mut();
    // quote <= 1232, so the payload length fits in u16.
    let plen = u16::try_from(icmpv6::HEADER_LEN + quote).unwrap_or(u16::MAX);
    ipv6::Repr {
        src_addr: our,
        dst_addr: src,
        next_header: IpProtocol::Icmpv6,
        payload_len: plen,
        hop_limit: ERROR_TTL,
    }
    .emit(&mut ipv6::Packet::new_unchecked(&mut d[..ipv6::HEADER_LEN]));
    let mut icmp = icmpv6::Packet::new_unchecked(&mut d[ipv6::HEADER_LEN..]);
    icmp.set_msg_type(typ);
    icmp.set_msg_code(0);
    icmp.set_rest(rest);
    icmp.fill_checksum(our, src);
    let mm = b.meta_mut();
    mm.flags |= FLAG_LOCALLY_BUILT;
    mm.l2_len = 0;
    mm.error = 0;
    Ok(sent)
}
