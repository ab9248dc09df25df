//! Kernel neighbor table subscription (what SONiC's neighsyncd does): one RTM_GETNEIGH dump, then
//! RTM_NEWNEIGH / RTM_DELNEIGH notifications of the namespace the agent runs in.

use std::net::IpAddr;
use std::sync::mpsc::Sender;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::config_db::Mac;

/// A neighbor change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeighEvent {
    /// Neighbor address.
    pub ip: IpAddr,
    /// Kernel ifindex.
    pub ifindex: u32,
    /// Resolved MAC, or `None` when the entry is gone / unresolved.
    pub mac: Option<Mac>,
}

const RTNLGRP_NEIGH: u32 = 3;

/// Converts one neighbor message; `None` for entries that are not IP neighbors.
pub fn neigh_event(m: &NeighbourMessage, deleted: bool) -> Option<NeighEvent> {
    let mut ip = None;
    let mut mac = None;
    for a in &m.attributes {
        match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => {
                ip = Some(IpAddr::V4(*v4))
            }
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => {
                ip = Some(IpAddr::V6(*v6))
            }
            NeighbourAttribute::LinkLocalAddress(l) if l.len() == 6 => {
                let mut b = [0u8; 6];
                b.copy_from_slice(l);
                mac = Some(Mac(b));
            }
            _ => {}
        }
    }
    let ip = ip?;
    if ip.is_multicast() {
        return None;
    }
    let usable = matches!(
        m.header.state,
        NeighbourState::Reachable
            | NeighbourState::Stale
            | NeighbourState::Delay
            | NeighbourState::Probe
            | NeighbourState::Permanent
    );
    let mac = if deleted || !usable { None } else { mac };
    Some(NeighEvent {
        ip,
        ifindex: m.header.ifindex,
        mac,
    })
}

fn parse_all(buf: &[u8], out: &mut Vec<NeighEvent>) -> bool {
    let mut off = 0;
    let mut done = false;
    while off + 16 <= buf.len() {
        let len = u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]);
        let Ok(len) = usize::try_from(len) else { break };
        if len < 16 || off + len > buf.len() {
            break;
        }
        match NetlinkMessage::<RouteNetlinkMessage>::deserialize(&buf[off..off + len]) {
            Ok(msg) => match msg.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) => {
                    out.extend(neigh_event(&n, false))
                }
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelNeighbour(n)) => {
                    out.extend(neigh_event(&n, true))
                }
                NetlinkPayload::Done(_) => done = true,
                _ => {}
            },
            Err(e) => tracing::warn!("neighbor netlink message: {e}"),
        }
        off += (len + 3) & !3;
    }
    done
}

/// Subscribes, dumps, then forwards every change to `tx` until the receiver is gone.
pub fn run(tx: Sender<NeighEvent>) -> std::io::Result<()> {
    let mut sock = Socket::new(NETLINK_ROUTE)?;
    sock.bind(&SocketAddr::new(0, 0))?;
    sock.add_membership(RTNLGRP_NEIGH)?;
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNeighbour(
        NeighbourMessage::default(),
    ));
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.finalize();
    let mut buf = vec![0u8; req.buffer_len()];
    req.serialize(&mut buf);
    sock.send_to(&buf, &SocketAddr::new(0, 0), 0)?;
    loop {
        let (data, _) = sock.recv_from_full()?;
        let mut evs = Vec::new();
        parse_all(&data, &mut evs);
        for e in evs {
            if tx.send(e).is_err() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_utils::Emitable;

    #[test]
    fn new_and_failed_neighbors() {
        let mut m = NeighbourMessage::default();
        m.header.family = netlink_packet_route::AddressFamily::Inet;
        m.header.ifindex = 2;
        m.header.state = NeighbourState::Reachable;
        m.attributes = vec![
            NeighbourAttribute::Destination(NeighbourAddress::Inet("10.0.1.2".parse().unwrap())),
            NeighbourAttribute::LinkLocalAddress(vec![2, 0xfe, 0, 0, 2, 0]),
        ];
        let mut nl = NetlinkMessage::from(RouteNetlinkMessage::NewNeighbour(m.clone()));
        nl.finalize();
        let mut buf = vec![0u8; nl.buffer_len()];
        nl.serialize(&mut buf);
        let mut out = Vec::new();
        parse_all(&buf, &mut out);
        assert_eq!(
            out,
            vec![NeighEvent {
                ip: "10.0.1.2".parse().unwrap(),
                ifindex: 2,
                mac: Some("02:fe:00:00:02:00".parse().unwrap())
            }]
        );
        m.header.state = NeighbourState::Failed;
        assert_eq!(neigh_event(&m, false).unwrap().mac, None);
        m.header.state = NeighbourState::Reachable;
        assert_eq!(neigh_event(&m, true).unwrap().mac, None);
        assert!(m.buffer_len() > 0);
        // garbage never panics
        parse_all(&[0xff; 40], &mut out);
        parse_all(&[20, 0, 0, 0, 28, 0], &mut out);
    }
}
