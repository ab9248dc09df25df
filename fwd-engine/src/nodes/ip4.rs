//! IPv4 nodes: ip4-input (two variants), ip4-lookup, ip4-load-balance, ip4-rewrite, ip4-local.

use super::{mix, rd16, rd32, resolve_lb, LOOKUP_ERRORS};
use crate::buffer::{PacketBuf, FLAG_LOCALLY_BUILT};
use crate::fib::{LbIndex, LbKind};
use crate::graph::{err, ErrorDesc, NodeId, NodeReg, FRAME_SIZE};
use crate::wire::ipv4::{Packet, HEADER_LEN};
use crate::worker::Ctx;

/// ip4-input local error codes.
pub mod input_err {
    /// Shorter than 20 bytes or than the header length.
    pub const TOO_SHORT: u16 = 0;
    /// Version is not 4.
    pub const VERSION: u16 = 1;
    /// IHL < 5.
    pub const HEADER_LENGTH: u16 = 2;
    /// Total length < header length.
    pub const BAD_LENGTH: u16 = 3;
    /// Total length > bytes received.
    pub const TRUNCATED: u16 = 4;
    /// Header checksum does not verify.
    pub const CHECKSUM: u16 = 5;
    /// Multicast beyond 224.0.0.0/24 (no multicast routing).
    pub const MULTICAST: u16 = 6;
}

const INPUT_ERRORS: &[ErrorDesc] = &[
    ErrorDesc::error("too_short", "shorter than the IPv4 header"),
    ErrorDesc::error("version", "IP version is not 4"),
    ErrorDesc::error("header_length", "IHL below 5"),
    ErrorDesc::error("bad_length", "total length below header length"),
    ErrorDesc::error("truncated", "total length above bytes received"),
    ErrorDesc::error("checksum", "bad header checksum"),
    ErrorDesc::warn("multicast", "multicast destination not routed"),
];

/// ip4-input registration.
pub const INPUT_REG: NodeReg = NodeReg {
    name: "ip4-input",
    next_nodes: &[NodeId::Drop, NodeId::Ip4Lookup, NodeId::Ip4Local],
    errors: INPUT_ERRORS,
};

/// ip4-input-no-checksum registration (checksum verified by the NIC).
pub const INPUT_NO_CSUM_REG: NodeReg = NodeReg {
    name: "ip4-input-no-checksum",
    next_nodes: &[NodeId::Drop, NodeId::Ip4Lookup, NodeId::Ip4Local],
    errors: INPUT_ERRORS,
};

/// ip4-lookup registration.
pub const LOOKUP_REG: NodeReg = NodeReg {
    name: "ip4-lookup",
    next_nodes: &[
        NodeId::Drop,
        NodeId::Punt,
        NodeId::Ip4Rewrite,
        NodeId::Ip4LoadBalance,
        NodeId::Ip4Local,
        NodeId::Glean,
    ],
    errors: LOOKUP_ERRORS,
};

/// Load-balance local error codes (ip4 and ip6).
pub mod lb_err {
    /// The LB is no longer a forward LB with buckets.
    pub const LB_CHANGED: u16 = 0;
}

pub(crate) const LB_ERRORS: &[ErrorDesc] = &[ErrorDesc::warn(
    "lb_changed",
    "load balance changed between lookup and bucket choice",
)];

/// ip4-load-balance registration.
pub const LB_REG: NodeReg = NodeReg {
    name: "ip4-load-balance",
    next_nodes: &[NodeId::Drop, NodeId::Ip4Rewrite],
    errors: LB_ERRORS,
};

/// ip4-rewrite local error codes.
pub mod rewrite_err {
    /// TTL <= 1: to ip4-icmp-error (time exceeded).
    pub const TIME_EXPIRED: u16 = 0;
    /// Larger than the MTU with DF: to ip4-icmp-error (fragmentation needed).
    pub const MTU_EXCEEDED_DF: u16 = 1;
    /// Larger than the MTU without DF: dropped (the router does not fragment).
    pub const MTU_EXCEEDED_NO_FRAG: u16 = 2;
    /// No headroom for the L2 header.
    pub const NO_HEADROOM: u16 = 3;
    /// Adjacency index unknown.
    pub const BAD_ADJACENCY: u16 = 4;
    /// Header too short (never after ip4-input).
    pub const TOO_SHORT: u16 = 5;
}

/// ip4-rewrite registration.
pub const REWRITE_REG: NodeReg = NodeReg {
    name: "ip4-rewrite",
    next_nodes: &[NodeId::Drop, NodeId::Ip4IcmpError, NodeId::InterfaceOutput],
    errors: &[
        ErrorDesc::warn("time_expired", "TTL expired (ICMP time exceeded)"),
        ErrorDesc::warn(
            "mtu_exceeded_df",
            "larger than MTU with DF (ICMP frag needed)",
        ),
        ErrorDesc::warn(
            "mtu_exceeded",
            "larger than MTU, fragmentation not supported",
        ),
        ErrorDesc::error("no_headroom", "no headroom for the L2 rewrite"),
        ErrorDesc::error("bad_adjacency", "unknown adjacency"),
        ErrorDesc::error("too_short", "header too short to rewrite"),
    ],
};

/// ip4-local local error codes.
pub mod local_err {
    /// Punted to the host (punt reason).
    pub const LOCAL: u16 = 0;
}

/// ip4-local registration.
pub const LOCAL_REG: NodeReg = NodeReg {
    name: "ip4-local",
    next_nodes: &[NodeId::Punt],
    errors: &[ErrorDesc::info(
        "local",
        "packet for one of our addresses, to the host",
    )],
};

// --- ip4-input ------------------------------------------------------------------------------

/// ip4-input: version, IHL, total length against the buffer, checksum when `VERIFY_CSUM`;
/// trims Ethernet padding; limited broadcast and 224.0.0.0/24 to ip4-local, other multicast
/// dropped. TTL is checked in ip4-rewrite so that packets for us with TTL 1
/// (eBGP, BFD) still reach ip4-local, as VPP does.
#[inline(never)]
pub(crate) fn input<B: PacketBuf, const VERIFY_CSUM: bool>(
    ctx: &mut Ctx<'_, '_, B>,
    frame: &[u16],
    nexts: &mut [NodeId],
) {
    let node = if VERIFY_CSUM {
        NodeId::Ip4Input
    } else {
        NodeId::Ip4InputNoChecksum
    };
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        let b = &mut ctx.pkts[usize::from(i)];
        *nx = match check::<B, VERIFY_CSUM>(b) {
            Ok(next) => next,
            Err(code) => {
                b.meta_mut().error = err(node, code);
                NodeId::Drop
            }
        };
    }
}

#[inline(always)]
fn check<B: PacketBuf, const VERIFY_CSUM: bool>(b: &mut B) -> Result<NodeId, u16> {
    let d = b.data();
    let len = d.len();
    if len < HEADER_LEN {
        return Err(input_err::TOO_SHORT);
    }
    let p = Packet::new_unchecked(d);
    let hl = p.header_len();
    let tl = usize::from(p.total_len());
    // One well-predicted test for the common case, then the precise reason.
    if p.version() != 4 || hl < HEADER_LEN || hl > len || tl < hl || tl > len {
        return Err(if p.version() != 4 {
            input_err::VERSION
        } else if hl < HEADER_LEN {
            input_err::HEADER_LENGTH
        } else if hl > len {
            input_err::TOO_SHORT
        } else if tl < hl {
            input_err::BAD_LENGTH
        } else {
            input_err::TRUNCATED
        });
    }
    if VERIFY_CSUM && !p.verify_checksum() {
        return Err(input_err::CHECKSUM);
    }
    // Limited broadcast and link-local multicast (224.0.0.0/24: OSPF, VRRP, ...) go to the
    // host; other multicast is not routed.
    let dst = u32::from(p.dst_addr());
    let next = if dst & 0xf000_0000 != 0xe000_0000 && dst != u32::MAX {
        NodeId::Ip4Lookup
    } else if dst == u32::MAX || dst & 0xffff_ff00 == 0xe000_0000 {
        NodeId::Ip4Local
    } else {
        return Err(input_err::MULTICAST);
    };
    if tl < len {
        b.trim_tail(len - tl);
    }
    Ok(next)
}

// --- ip4-lookup -----------------------------------------------------------------------------

/// ip4-lookup: gather the destinations of the frame, one batched FIB lookup, then resolve each
/// LB (single-bucket forward LBs go straight to ip4-rewrite).
#[inline(never)]
pub(crate) fn lookup<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    let n = frame.len().min(FRAME_SIZE);
    let mut dst = [0u32; FRAME_SIZE];
    let mut lbs: [LbIndex; FRAME_SIZE] = [0; FRAME_SIZE];
    let vrf0 = frame
        .first()
        .map_or(0, |&i| ctx.pkts[usize::from(i)].meta().vrf);
    let mut same_vrf = true;
    for (d, &i) in dst[..n].iter_mut().zip(frame) {
        let b = &ctx.pkts[usize::from(i)];
        *d = rd32(b.data(), 16);
        same_vrf &= b.meta().vrf == vrf0;
    }
    if same_vrf {
        ctx.fib.lookup4_batch(vrf0, &dst[..n], &mut lbs[..n]);
    } else {
        let mut vrfs = [0u16; FRAME_SIZE];
        for (v, &i) in vrfs[..n].iter_mut().zip(frame) {
            *v = ctx.pkts[usize::from(i)].meta().vrf;
        }
        ctx.fib
            .lookup4_batch_vrfs(&vrfs[..n], &dst[..n], &mut lbs[..n]);
    }
    for ((nx, &i), &lbi) in nexts.iter_mut().zip(frame).zip(&lbs[..n]) {
        *nx = if ctx.pkts[usize::from(i)].len() < HEADER_LEN {
            ctx.drop_with(i, NodeId::Ip4Lookup, super::lookup_err::TOO_SHORT)
        } else {
            resolve_lb(ctx, NodeId::Ip4Lookup, i, lbi, false)
        };
    }
}

// --- ip4-load-balance -----------------------------------------------------------------------

/// The 5-tuple flow hash of an IPv4 packet (ports only for unfragmented TCP/UDP).
#[inline]
pub fn flow_hash(d: &[u8]) -> u32 {
    let src = rd32(d, 12);
    let dst = rd32(d, 16);
    let proto = d.get(9).copied().unwrap_or(0);
    let hl = usize::from(d.first().copied().unwrap_or(0) & 0x0f) * 4;
    let first_frag = rd16(d, 6) & 0x1fff == 0;
    let ports = if first_frag && (proto == 6 || proto == 17) {
        rd32(d, hl)
    } else {
        0
    };
    mix(
        (u64::from(src) << 32) | u64::from(dst),
        (u64::from(ports) << 8) | u64::from(proto),
    )
}

/// ip4-load-balance: pick the bucket by flow hash (stable per flow).
#[inline(never)]
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
                NodeId::Ip4Rewrite
            }
            _ => ctx.drop_with(i, NodeId::Ip4LoadBalance, lb_err::LB_CHANGED),
        };
    }
}

// --- ip4-rewrite ----------------------------------------------------------------------------

/// ip4-rewrite: TTL check and decrement with an incremental checksum update, MTU check, L2
/// header from the adjacency.
#[inline(never)]
pub(crate) fn rewrite<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = match rewrite_one(ctx, i) {
            Ok(NodeId::Ip4IcmpError) => {
                let g = ctx.pkts[usize::from(i)].meta().error;
                if let Some(c) = ctx.errors.get_mut(usize::from(g)) {
                    *c += 1;
                }
                NodeId::Ip4IcmpError
            }
            Ok(n) => n,
            Err(code) => ctx.drop_with(i, NodeId::Ip4Rewrite, code),
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
    if p.ttl() <= 1 && !local {
        b.meta_mut().error = err(NodeId::Ip4Rewrite, rewrite_err::TIME_EXPIRED);
        return Ok(NodeId::Ip4IcmpError);
    }
    if adj.mtu != 0 && p.total_len() > adj.mtu {
        if p.dont_frag() && !local {
            b.meta_mut().error = err(NodeId::Ip4Rewrite, rewrite_err::MTU_EXCEEDED_DF);
            return Ok(NodeId::Ip4IcmpError);
        }
        return Err(rewrite_err::MTU_EXCEEDED_NO_FRAG);
    }
    if !local {
        p.decrement_ttl();
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

// --- ip4-local ------------------------------------------------------------------------------

/// ip4-local: our own addresses go to the host.
pub(crate) fn local<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = ctx.punt_with(i, NodeId::Ip4Local, local_err::LOCAL);
    }
}
