//! arp-input: answer requests for our interface addresses (in place), learn the sender, punt a
//! copy of the request and every reply for us to the host.

use crate::buffer::PacketBuf;
use crate::graph::{ErrorDesc, NodeId, NodeReg};
use crate::wire::arp::{Operation, Packet, Repr};
use crate::wire::ethernet::Frame;
use crate::worker::{ControlEvent, Ctx};
use core::net::IpAddr;

/// Local error codes.
pub mod e {
    /// Not Ethernet/IPv4 ARP or too short.
    pub const MALFORMED: u16 = 0;
    /// Target address is not one of the interface's.
    pub const NOT_FOR_US: u16 = 1;
    /// Replies sent (info).
    pub const REPLY_SENT: u16 = 2;
    /// Reply for us punted (punt reason).
    pub const PUNT_REPLY: u16 = 3;
    /// Copy of a request for us punted (punt reason).
    pub const PUNT_REQUEST_COPY: u16 = 4;
    /// No buffer for the punt copy.
    pub const NO_BUFFER: u16 = 5;
    /// Operation other than request / reply.
    pub const UNSUPPORTED_OP: u16 = 6;
    /// No headroom to restore the Ethernet header.
    pub const NO_HEADROOM: u16 = 7;
}

/// Registration.
pub const REG: NodeReg = NodeReg {
    name: "arp-input",
    next_nodes: &[NodeId::Drop, NodeId::Punt, NodeId::InterfaceOutput],
    errors: &[
        ErrorDesc::error("malformed", "not an Ethernet/IPv4 ARP packet"),
        ErrorDesc::info("not_for_us", "ARP target is not an interface address"),
        ErrorDesc::info("reply_sent", "ARP replies sent"),
        ErrorDesc::info("punt_reply", "ARP reply for us punted to the host"),
        ErrorDesc::info("punt_request_copy", "copy of an ARP request for us punted"),
        ErrorDesc::warn("no_buffer", "no buffer for the punt copy"),
        ErrorDesc::warn("unsupported_op", "ARP operation not handled"),
        ErrorDesc::error("no_headroom", "no headroom for the Ethernet header"),
    ],
};

const NODE: NodeId = NodeId::ArpInput;

pub(crate) fn run<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, frame: &[u16], nexts: &mut [NodeId]) {
    for (nx, &i) in nexts.iter_mut().zip(frame) {
        *nx = one(ctx, i);
    }
}

fn one<B: PacketBuf>(ctx: &mut Ctx<'_, '_, B>, i: u16) -> NodeId {
    let ifs = ctx.ifs;
    let b = &ctx.pkts[usize::from(i)];
    let sw = b.meta().rx_sw_if_index;
    let Some(intf) = ifs.get(sw) else {
        return ctx.drop_with(i, NODE, e::NOT_FOR_US);
    };
    let Ok(req) = Packet::new_checked(b.data()).and_then(|p| Repr::parse(&p)) else {
        return ctx.drop_with(i, NODE, e::MALFORMED);
    };
    if !intf.has_ip4(req.target_protocol_addr) {
        return ctx.drop_with(i, NODE, e::NOT_FOR_US);
    }
    let sender_ok =
        !req.source_protocol_addr.is_unspecified() && !req.source_hardware_addr.is_multicast();
    if sender_ok {
        ctx.event(ControlEvent::NeighborLearned {
            sw_if_index: sw,
            ip: IpAddr::V4(req.source_protocol_addr),
            mac: req.source_hardware_addr,
        });
    }
    match req.operation {
        Operation::Request => {
            if !ctx.punt_copy(i, NODE, e::PUNT_REQUEST_COPY) {
                ctx.count(NODE, e::NO_BUFFER);
            }
            let reply = Repr {
                operation: Operation::Reply,
                source_hardware_addr: intf.mac,
                source_protocol_addr: req.target_protocol_addr,
                target_hardware_addr: req.source_hardware_addr,
                target_protocol_addr: req.source_protocol_addr,
            };
            let b = &mut ctx.pkts[usize::from(i)];
            reply.emit(&mut Packet::new_unchecked(b.data_mut()));
            let l2 = usize::from(b.meta().l2_len);
            if l2 < crate::wire::ethernet::HEADER_LEN || !b.prepend(l2) {
                return ctx.drop_with(i, NODE, e::NO_HEADROOM);
            }
            // The received header (and its 802.1Q tag) is still there: only the MACs change.
            let mut f = Frame::new_unchecked(b.data_mut());
            f.set_dst_addr(req.source_hardware_addr);
            f.set_src_addr(intf.mac);
            let m = b.meta_mut();
            m.tx_sw_if_index = sw;
            m.l2_len = 0;
            ctx.count(NODE, e::REPLY_SENT);
            NodeId::InterfaceOutput
        }
        Operation::Reply => ctx.punt_with(i, NODE, e::PUNT_REPLY),
        Operation::Unknown(_) => ctx.drop_with(i, NODE, e::UNSUPPORTED_OP),
    }
}
