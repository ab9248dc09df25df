//! The nodes. Each node function gets a frame (packet indices) and writes one next node per
//! packet into `nexts`; terminal nodes (punt, drop, interface-output) record the packet's
//! destination instead.

pub mod arp;
pub mod ethernet;
pub(crate) mod fast;
pub mod glean;
pub mod icmp;
pub mod ip4;
pub mod ip6;
pub mod terminal;

use crate::buffer::PacketBuf;
use crate::fib::{LbIndex, LbKind};
use crate::graph::NodeId;
use crate::worker::Ctx;

/// Run `node` on `frame`; returns true for terminal nodes (no `nexts` written).
#[inline]
pub(crate) fn run<B: PacketBuf>(
    node: NodeId,
    ctx: &mut Ctx<'_, '_, B>,
    frame: &[u16],
    nexts: &mut [NodeId],
) -> bool {
    match node {
        NodeId::EthernetInput => ethernet::run(ctx, frame, nexts),
        NodeId::ArpInput => arp::run(ctx, frame, nexts),
        NodeId::Ip4Input => ip4::input::<B, true>(ctx, frame, nexts),
        NodeId::Ip4InputNoChecksum => ip4::input::<B, false>(ctx, frame, nexts),
        NodeId::Ip4Lookup => ip4::lookup(ctx, frame, nexts),
        NodeId::Ip4LoadBalance => ip4::load_balance(ctx, frame, nexts),
        NodeId::Ip4Rewrite => ip4::rewrite(ctx, frame, nexts),
        NodeId::Ip4Local => ip4::local(ctx, frame, nexts),
        NodeId::Ip4IcmpError => icmp::ip4_error(ctx, frame, nexts),
        NodeId::Ip6Input => ip6::input(ctx, frame, nexts),
        NodeId::Ip6Lookup => ip6::lookup(ctx, frame, nexts),
        NodeId::Ip6LoadBalance => ip6::load_balance(ctx, frame, nexts),
        NodeId::Ip6Rewrite => ip6::rewrite(ctx, frame, nexts),
        NodeId::Ip6Local => ip6::local(ctx, frame, nexts),
        NodeId::Ip6IcmpError => icmp::ip6_error(ctx, frame, nexts),
        NodeId::Glean => glean::run(ctx, frame, nexts),
        NodeId::Punt => {
            terminal::punt(ctx, frame);
            return true;
        }
        NodeId::Drop => {
            terminal::drop(ctx, frame);
            return true;
        }
        NodeId::InterfaceOutput => {
            terminal::output(ctx, frame);
            return true;
        }
    }
    false
}

/// Local error codes shared by ip4-lookup and ip6-lookup.
pub mod lookup_err {
    /// No route (the VRF's default drop) or a drop route.
    pub const DROP_ROUTE: u16 = 0;
    /// Punt route (punt reason).
    pub const PUNT_ROUTE: u16 = 1;
    /// Forward LB without buckets.
    pub const NO_BUCKETS: u16 = 2;
    /// Header too short to read the destination.
    pub const TOO_SHORT: u16 = 3;
}

pub(crate) const LOOKUP_ERRORS: &[crate::graph::ErrorDesc] = &[
    crate::graph::ErrorDesc::warn("no_route", "no route or drop route"),
    crate::graph::ErrorDesc::info("punt_route", "punted by route"),
    crate::graph::ErrorDesc::error("no_buckets", "forward load balance without buckets"),
    crate::graph::ErrorDesc::error("too_short", "header too short for lookup"),
];

/// Resolve the LB a lookup returned into the next node (shared by ip4/ip6-lookup).
#[inline(always)]
pub(crate) fn resolve_lb<B: PacketBuf>(
    ctx: &mut Ctx<'_, '_, B>,
    node: NodeId,
    i: u16,
    lbi: LbIndex,
    v6: bool,
) -> NodeId {
    let lb = ctx.fib.lb(lbi);
    match lb.kind {
        LbKind::Forward => match lb.buckets {
            [adj] => {
                ctx.pkts[usize::from(i)].meta_mut().adj_index = *adj;
                if v6 {
                    NodeId::Ip6Rewrite
                } else {
                    NodeId::Ip4Rewrite
                }
            }
            [] => ctx.drop_with(i, node, lookup_err::NO_BUCKETS),
            _ => {
                ctx.pkts[usize::from(i)].meta_mut().lb_index = lbi;
                if v6 {
                    NodeId::Ip6LoadBalance
                } else {
                    NodeId::Ip4LoadBalance
                }
            }
        },
        LbKind::Drop => ctx.drop_with(i, node, lookup_err::DROP_ROUTE),
        LbKind::Punt => ctx.punt_with(i, node, lookup_err::PUNT_ROUTE),
        LbKind::Local => {
            if v6 {
                NodeId::Ip6Local
            } else {
                NodeId::Ip4Local
            }
        }
        LbKind::Glean => {
            ctx.pkts[usize::from(i)].meta_mut().tx_sw_if_index = lb.sw_if_index;
            NodeId::Glean
        }
    }
}

/// Mix a flow key into a 32-bit hash (stable for a flow, well spread over buckets).
#[inline(always)]
pub(crate) fn mix(a: u64, b: u64) -> u32 {
    let mut h = a.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ b.wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    h ^= h >> 29;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 32;
    #[allow(clippy::cast_possible_truncation, reason = "hash folded to 32 bits")]
    let r = h as u32;
    r
}

#[inline(always)]
pub(crate) fn rd16(d: &[u8], at: usize) -> u16 {
    match d.get(at..at + 2) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

#[inline(always)]
pub(crate) fn rd32(d: &[u8], at: usize) -> u32 {
    match d.get(at..at + 4) {
        Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}
