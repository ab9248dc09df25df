//! The terminal nodes: punt, error-drop, interface-output. They record where each packet goes;
//! the worker moves the buffers to the caller's queues at the end of the batch.

use crate::buffer::{PacketBuf, SW_IF_NONE};
use crate::graph::{err, ErrorDesc, NodeId, NodeReg};
use crate::worker::{Ctx, Dest};

/// punt local error codes.
pub mod punt_err {
    /// A packet without L2 header (built by the engine) cannot be punted.
    pub const NO_L2_HEADER: u16 = 0;
    /// No headroom to restore the Ethernet header.
    pub const NO_HEADROOM: u16 = 1;
    /// Dropped by the punt policer.
    pub const RATE_LIMITED: u16 = 2;
}

/// error-drop local error codes.
pub mod drop_err {
    /// Packets still in the graph after the dispatch limit.
    pub const GRAPH_LOOP: u16 = 0;
    /// Control events discarded (queue full).
    pub const EVENTS_LOST: u16 = 1;
}

/// interface-output local error codes.
pub mod output_err {
    /// Transmit interface not configured.
    pub const NO_INTERFACE: u16 = 0;
    /// Transmit interface admin down.
    pub const INTERFACE_DOWN: u16 = 1;
}

/// punt registration.
pub const PUNT_REG: NodeReg = NodeReg {
    name: "punt",
    next_nodes: &[],
    errors: &[
        ErrorDesc::error("no_l2_header", "engine-built packet cannot be punted"),
        ErrorDesc::error("no_headroom", "no headroom to restore the Ethernet header"),
        ErrorDesc::warn("rate_limited", "punt dropped by the punt policer"),
    ],
};

/// error-drop registration.
pub const DROP_REG: NodeReg = NodeReg {
    name: "error-drop",
    next_nodes: &[],
    errors: &[
        ErrorDesc::error("graph_loop", "packet exceeded the node dispatch limit"),
        ErrorDesc::warn("events_lost", "control events discarded: queue full"),
    ],
};

/// interface-output registration.
pub const OUTPUT_REG: NodeReg = NodeReg {
    name: "interface-output",
    next_nodes: &[],
    errors: &[
        ErrorDesc::warn("no_interface", "transmit interface not configured"),
        ErrorDesc::warn("interface_down", "transmit interface admin down"),
    ],
};

#[inline]
fn set_dest<B>(ctx: &mut Ctx<'_, '_, B>, i: u16, d: Dest) {
    if let Some(x) = ctx.dest.get_mut(usize::from(i)) {
        *x = d;
    }
}

fn count_global<B>(ctx: &mut Ctx<'_, '_, B>, global: u16) {
    if let Some(c) = ctx.errors.get_mut(usize::from(global)) {
        *c += 1;
    }
}

/// Restore the L2 header and hand to the host interface of the receive interface.
pub(crate) fn punt<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16]) {
    for &i in frame {
        let ifs = ctx.ifs;
        let b = &mut ctx.pkts[usize::from(i)];
        let l2 = usize::from(b.meta().l2_len);
        let fail = if l2 == 0 {
            Some(punt_err::NO_L2_HEADER)
        } else if !ctx.limits.punt.take(ctx.now) {
            Some(punt_err::RATE_LIMITED)
        } else if !b.prepend(l2) {
            Some(punt_err::NO_HEADROOM)
        } else {
            None
        };
        if let Some(code) = fail {
            let g = err(NodeId::Punt, code);
            b.meta_mut().error = g;
            count_global(ctx, g);
            set_dest(ctx, i, Dest::Drop);
            continue;
        }
        let m = b.meta_mut();
        m.l2_len = 0;
        m.tx_sw_if_index = ifs.get(m.rx_sw_if_index).map_or(SW_IF_NONE, |x| x.host_if);
        let reason = m.error;
        count_global(ctx, reason);
        set_dest(ctx, i, Dest::Punt);
    }
}

/// Count by reason (`meta.error`) and drop.
pub(crate) fn drop<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16]) {
    for &i in frame {
        let reason = ctx.pkts[usize::from(i)].meta().error;
        count_global(ctx, reason);
        set_dest(ctx, i, Dest::Drop);
    }
}

/// Queue on the transmit port of `meta.tx_sw_if_index` (a sub-interface transmits on its port).
#[inline(never)]
pub(crate) fn output<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16]) {
    let ifs = ctx.ifs;
    for &i in frame {
        let b = &mut ctx.pkts[usize::from(i)];
        let d = match ifs.get(b.meta().tx_sw_if_index) {
            Some(intf) if intf.admin_up => Ok(intf.port_index()),
            Some(_) => Err(output_err::INTERFACE_DOWN),
            None => Err(output_err::NO_INTERFACE),
        };
        match d {
            Ok(port) => set_dest(ctx, i, Dest::Tx(port)),
            Err(code) => {
                let g = err(NodeId::InterfaceOutput, code);
                b.meta_mut().error = g;
                count_global(ctx, g);
                set_dest(ctx, i, Dest::Drop);
            }
        }
    }
}
