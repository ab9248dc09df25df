//! Packet tracing: the first N received packets are followed through every node they visit.
//!
//! Recording copies a short snapshot of the packet at node entry into a preallocated buffer
//! (no allocation while tracing, none at all when not tracing); `show trace` decodes the
//! snapshots into text.

use super::NodeId;
use crate::buffer::PacketBuf;
use crate::wire::{arp, ethernet, icmpv4, icmpv6, ipv4, ipv6, IpProtocol};
use core::fmt::Write;

/// Bytes of packet kept per record.
pub const SNAP_LEN: usize = 64;
/// Most records kept (further visits are not recorded).
pub const MAX_RECORDS: usize = 4096;

/// One node visit of a traced packet.
#[derive(Clone, Copy, Debug)]
pub struct TraceRecord {
    /// Trace sequence number of the packet (0-based).
    pub seq: u16,
    /// Node visited.
    pub node: NodeId,
    /// Next node chosen (`None` for terminal nodes).
    pub next: Option<NodeId>,
    /// Packet length at entry.
    pub len: u32,
    /// `meta.error` at entry.
    pub error: u16,
    /// Receive and transmit interfaces at entry.
    pub rx: u32,
    /// Transmit interface at entry.
    pub tx: u32,
    snap_len: u8,
    snap: [u8; SNAP_LEN],
}

impl TraceRecord {
    /// The snapshot bytes.
    pub fn snapshot(&self) -> &[u8] {
        &self.snap[..usize::from(self.snap_len)]
    }
}

/// Trace state of one worker.
#[derive(Debug, Default)]
pub struct TraceBuffer {
    remaining: u32,
    next_seq: u16,
    records: Vec<TraceRecord>,
    /// Start of the records written by the current `enter` (patched by `leave`).
    open_from: usize,
    /// Frame positions of those records.
    open_positions: Vec<u16>,
}

impl TraceBuffer {
    /// Trace `n` more packets.
    pub fn add(&mut self, n: u32) {
        self.remaining = self.remaining.saturating_add(n);
        let want = MAX_RECORDS.min(self.records.len() + usize::try_from(n).unwrap_or(0) * 8);
        if self.records.capacity() < want {
            self.records.reserve(want - self.records.len());
        }
        if self.open_positions.capacity() < super::FRAME_SIZE {
            self.open_positions.reserve(super::FRAME_SIZE);
        }
    }

    /// Forget all records (pending `add` budget is kept).
    pub fn clear(&mut self) {
        self.records.clear();
        self.next_seq = 0;
        self.remaining = 0;
    }

    /// The records.
    pub fn records(&self) -> &[TraceRecord] {
        &self.records
    }

    /// Mark the packets to trace at the start of a batch; true when any packet is traced.
    pub(crate) fn mark<B: PacketBuf>(&mut self, pkts: &mut [B]) -> bool {
        if self.remaining == 0 {
            // Trace ids are only read when this returns true, and then every packet of the
            // batch has been (re)marked below: stale ids in recycled buffers are harmless.
            return false;
        }
        for p in pkts.iter_mut() {
            if self.remaining > 0 && self.next_seq < u16::MAX {
                self.remaining -= 1;
                self.next_seq += 1;
                p.meta_mut().trace = self.next_seq;
            } else {
                p.meta_mut().trace = 0;
            }
        }
        true
    }

    /// Record the traced packets of `frame` entering `node`.
    pub(crate) fn enter<B: PacketBuf>(&mut self, node: NodeId, frame: &[u16], pkts: &[B]) {
        self.open_from = self.records.len();
        self.open_positions.clear();
        for (pos, &i) in frame.iter().enumerate() {
            let Some(p) = pkts.get(usize::from(i)) else {
                continue;
            };
            let m = p.meta();
            if m.trace == 0 || self.records.len() >= MAX_RECORDS.min(self.records.capacity()) {
                continue;
            }
            let d = p.data();
            let n = d.len().min(SNAP_LEN);
            let mut snap = [0u8; SNAP_LEN];
            snap[..n].copy_from_slice(&d[..n]);
            self.records.push(TraceRecord {
                seq: m.trace - 1,
                node,
                next: None,
                len: u32::try_from(d.len()).unwrap_or(u32::MAX),
                error: m.error,
                rx: m.rx_sw_if_index,
                tx: m.tx_sw_if_index,
                snap_len: u8::try_from(n).unwrap_or(0),
                snap,
            });
            // Frame positions are < FRAME_SIZE (256).
            self.open_positions
                .push(u16::try_from(pos).unwrap_or(u16::MAX));
        }
    }

    /// Fill in the next nodes chosen for the records opened by `enter`.
    pub(crate) fn leave(&mut self, nexts: Option<&[NodeId]>) {
        let Some(nexts) = nexts else {
            return;
        };
        let from = self.open_from.min(self.records.len());
        for (rec, &pos) in self.records[from..].iter_mut().zip(&self.open_positions) {
            rec.next = nexts.get(usize::from(pos)).copied();
        }
    }

    /// `show trace` text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut seqs: Vec<u16> = self.records.iter().map(|r| r.seq).collect();
        seqs.sort_unstable();
        seqs.dedup();
        for s in seqs {
            let _ = writeln!(out, "Packet {}", u32::from(s) + 1);
            for r in self.records.iter().filter(|r| r.seq == s) {
                let _ = write!(
                    out,
                    "  {}: len {} rx {} ",
                    r.node.name(),
                    r.len,
                    fmt_if(r.rx)
                );
                if r.tx != crate::buffer::SW_IF_NONE {
                    let _ = write!(out, "tx {} ", r.tx);
                }
                match r.next {
                    Some(n) => {
                        let _ = writeln!(out, "-> {}", n.name());
                    }
                    None => {
                        let _ = writeln!(out, "({})", super::error_name(r.error));
                    }
                }
                let _ = writeln!(out, "    {}", describe(r.node, r.snapshot()));
            }
        }
        out
    }
}

fn fmt_if(i: u32) -> String {
    if i == crate::buffer::SW_IF_NONE {
        "-".to_string()
    } else {
        i.to_string()
    }
}

/// One-line decode of a snapshot as seen at `node`'s entry.
fn describe(node: NodeId, b: &[u8]) -> String {
    match node {
        NodeId::EthernetInput | NodeId::InterfaceOutput | NodeId::Punt => describe_l2(b),
        NodeId::ArpInput => describe_arp(b),
        _ => describe_l3(b),
    }
}

fn describe_l2(b: &[u8]) -> String {
    let Ok(f) = ethernet::Frame::new_checked(b) else {
        return format!("ethernet: truncated ({} bytes)", b.len());
    };
    let mut s = format!("{} -> {} {}", f.src_addr(), f.dst_addr(), f.ethertype());
    let mut rest = f.payload();
    let mut et = f.ethertype();
    if matches!(et, ethernet::EtherType::Vlan | ethernet::EtherType::QinQ) {
        if let Ok(t) = ethernet::VlanTag::new_checked(rest) {
            let _ = write!(s, " vlan {} {}", t.vlan_id(), t.ethertype());
            et = t.ethertype();
            rest = rest.get(4..).unwrap_or(&[]);
        }
    }
    match et {
        ethernet::EtherType::Arp => format!("{s}; {}", describe_arp(rest)),
        ethernet::EtherType::Ipv4 | ethernet::EtherType::Ipv6 => {
            format!("{s}; {}", describe_l3(rest))
        }
        _ => s,
    }
}

fn describe_arp(b: &[u8]) -> String {
    match arp::Packet::new_checked(b) {
        Ok(p) => format!(
            "ARP {:?} {} ({}) -> {} ({})",
            p.operation(),
            p.source_protocol_addr(),
            p.source_hardware_addr(),
            p.target_protocol_addr(),
            p.target_hardware_addr()
        ),
        Err(e) => format!("ARP: {e}"),
    }
}

fn describe_l3(b: &[u8]) -> String {
    match b.first().map(|v| v >> 4) {
        Some(4) => {
            if b.len() < ipv4::HEADER_LEN {
                return format!("IPv4: truncated ({} bytes)", b.len());
            }
            let p = ipv4::Packet::new_unchecked(b);
            let mut s = format!(
                "IPv4 {} -> {} {} ttl {} len {}",
                p.src_addr(),
                p.dst_addr(),
                p.next_header(),
                p.ttl(),
                p.total_len()
            );
            if p.next_header() == IpProtocol::Icmp {
                if let Some(icmp) = b.get(p.header_len()..) {
                    if let Ok(i) = icmpv4::Packet::new_checked(icmp) {
                        let _ = write!(s, " {:?} code {}", i.msg_type(), i.msg_code());
                    }
                }
            }
            s
        }
        Some(6) => {
            if b.len() < ipv6::HEADER_LEN {
                return format!("IPv6: truncated ({} bytes)", b.len());
            }
            let p = ipv6::Packet::new_unchecked(b);
            let mut s = format!(
                "IPv6 {} -> {} {} hop-limit {} payload {}",
                p.src_addr(),
                p.dst_addr(),
                p.next_header(),
                p.hop_limit(),
                p.payload_len()
            );
            if p.next_header() == IpProtocol::Icmpv6 {
                if let Some(icmp) = b.get(ipv6::HEADER_LEN..) {
                    if icmp.len() >= icmpv6::HEADER_LEN {
                        let i = icmpv6::Packet::new_unchecked(icmp);
                        let _ = write!(s, " {:?} code {}", i.msg_type(), i.msg_code());
                    }
                }
            }
            s
        }
        Some(v) => format!("L3 version {v} ({} bytes)", b.len()),
        None => "empty".to_string(),
    }
}
