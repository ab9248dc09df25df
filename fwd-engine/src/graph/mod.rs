//! The node graph, declared as data, and its per-worker counters.
//!
//! Every node is registered in [`NODES`] with its name, the nodes it may send packets to (its
//! next nodes) and its error counters (name, description, severity). Nodes do not move packets:
//! a node writes one next node per packet of its frame into a `nexts[]` array and the dispatcher
//! (in [`crate::worker`]) enqueues each packet once. Frames hold at most [`FRAME_SIZE`] packet
//! handles (`u16` indices into the worker's packet vector).

pub mod show;
pub mod trace;

use core::fmt;

/// Maximum packets per frame.
pub const FRAME_SIZE: usize = 256;

/// The nodes of the graph (the discriminant is the index into [`NODES`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NodeId {
    /// Classify by ethertype, strip L2 (802.1Q: map to the sub-interface).
    EthernetInput,
    /// ARP: answer for our addresses, learn, punt.
    ArpInput,
    /// IPv4 header checks with checksum verification.
    Ip4Input,
    /// IPv4 header checks, checksum already verified by the NIC.
    Ip4InputNoChecksum,
    /// Batched IPv4 FIB lookup.
    Ip4Lookup,
    /// ECMP bucket choice by 5-tuple hash (IPv4).
    Ip4LoadBalance,
    /// TTL, checksum, MTU, L2 rewrite (IPv4).
    Ip4Rewrite,
    /// Packets for our IPv4 addresses.
    Ip4Local,
    /// ICMPv4 error generation.
    Ip4IcmpError,
    /// IPv6 header checks.
    Ip6Input,
    /// IPv6 FIB lookup.
    Ip6Lookup,
    /// ECMP bucket choice by 5-tuple hash (IPv6).
    Ip6LoadBalance,
    /// Hop limit, MTU, L2 rewrite (IPv6).
    Ip6Rewrite,
    /// Packets for our IPv6 addresses, link-local and multicast: ND, punt.
    Ip6Local,
    /// ICMPv6 error generation.
    Ip6IcmpError,
    /// ARP request / NS for unresolved connected destinations.
    Glean,
    /// To the host interface (TAP) of the receive interface.
    Punt,
    /// Counted drop.
    Drop,
    /// Per-port transmit queues.
    InterfaceOutput,
}

/// Number of nodes.
pub const N_NODES: usize = 19;

impl NodeId {
    /// All nodes in index order.
    pub const ALL: [NodeId; N_NODES] = [
        NodeId::EthernetInput,
        NodeId::ArpInput,
        NodeId::Ip4Input,
        NodeId::Ip4InputNoChecksum,
        NodeId::Ip4Lookup,
        NodeId::Ip4LoadBalance,
        NodeId::Ip4Rewrite,
        NodeId::Ip4Local,
        NodeId::Ip4IcmpError,
        NodeId::Ip6Input,
        NodeId::Ip6Lookup,
        NodeId::Ip6LoadBalance,
        NodeId::Ip6Rewrite,
        NodeId::Ip6Local,
        NodeId::Ip6IcmpError,
        NodeId::Glean,
        NodeId::Punt,
        NodeId::Drop,
        NodeId::InterfaceOutput,
    ];

    /// Index into [`NODES`].
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The registered name.
    pub const fn name(self) -> &'static str {
        NODES[self.index()].name
    }

    /// The registration.
    pub const fn reg(self) -> &'static NodeReg {
        &NODES[self.index()]
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Counter severity (as VPP's `vl_counter_severity_e`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Normal event (e.g. "ARP replies sent").
    Info,
    /// Packet dropped or punted for an expected reason.
    Warning,
    /// Packet dropped because it is malformed or something failed.
    Error,
}

impl Severity {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warn",
            Severity::Error => "error",
        }
    }
}

/// One error counter of a node.
#[derive(Clone, Copy, Debug)]
pub struct ErrorDesc {
    /// Short name (snake case).
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Severity.
    pub severity: Severity,
}

impl ErrorDesc {
    /// An informational counter.
    pub const fn info(name: &'static str, description: &'static str) -> Self {
        ErrorDesc {
            name,
            description,
            severity: Severity::Info,
        }
    }
    /// A warning counter.
    pub const fn warn(name: &'static str, description: &'static str) -> Self {
        ErrorDesc {
            name,
            description,
            severity: Severity::Warning,
        }
    }
    /// An error counter.
    pub const fn error(name: &'static str, description: &'static str) -> Self {
        ErrorDesc {
            name,
            description,
            severity: Severity::Error,
        }
    }
}

/// A node's registration.
#[derive(Debug)]
pub struct NodeReg {
    /// Node name (VPP style, `ip4-lookup`).
    pub name: &'static str,
    /// Nodes this node may send packets to.
    pub next_nodes: &'static [NodeId],
    /// Error counters, indexed by the node's local error code.
    pub errors: &'static [ErrorDesc],
}

/// The graph. Index = `NodeId as usize`.
pub const NODES: [NodeReg; N_NODES] = [
    crate::nodes::ethernet::REG,
    crate::nodes::arp::REG,
    crate::nodes::ip4::INPUT_REG,
    crate::nodes::ip4::INPUT_NO_CSUM_REG,
    crate::nodes::ip4::LOOKUP_REG,
    crate::nodes::ip4::LB_REG,
    crate::nodes::ip4::REWRITE_REG,
    crate::nodes::ip4::LOCAL_REG,
    crate::nodes::icmp::IP4_REG,
    crate::nodes::ip6::INPUT_REG,
    crate::nodes::ip6::LOOKUP_REG,
    crate::nodes::ip6::LB_REG,
    crate::nodes::ip6::REWRITE_REG,
    crate::nodes::ip6::LOCAL_REG,
    crate::nodes::icmp::IP6_REG,
    crate::nodes::glean::REG,
    crate::nodes::terminal::PUNT_REG,
    crate::nodes::terminal::DROP_REG,
    crate::nodes::terminal::OUTPUT_REG,
];

const fn error_bases() -> [u16; N_NODES + 1] {
    let mut b = [0u16; N_NODES + 1];
    let mut i = 0;
    while i < N_NODES {
        // Every node declares fewer than 64 counters; the sum fits in u16.
        #[allow(clippy::cast_possible_truncation, reason = "small const table")]
        let n = NODES[i].errors.len() as u16;
        b[i + 1] = b[i] + n;
        i += 1;
    }
    b
}

/// First global error-counter index of each node; the last entry is the total.
pub const ERROR_BASE: [u16; N_NODES + 1] = error_bases();
/// Total number of error counters.
pub const N_ERRORS: usize = ERROR_BASE[N_NODES] as usize;

/// Global error-counter index of `node`'s local error `local`.
#[inline]
pub const fn err(node: NodeId, local: u16) -> u16 {
    ERROR_BASE[node.index()] + local
}

/// The node and description of a global error-counter index.
pub fn error_desc(global: u16) -> Option<(NodeId, &'static ErrorDesc)> {
    let g = usize::from(global);
    for n in NodeId::ALL {
        let base = usize::from(ERROR_BASE[n.index()]);
        let errs = n.reg().errors;
        if g >= base && g < base + errs.len() {
            return Some((n, &errs[g - base]));
        }
    }
    None
}

/// `node/name` of a global error index (for tests and traces).
pub fn error_name(global: u16) -> String {
    match error_desc(global) {
        Some((n, d)) => format!("{}/{}", n.name(), d.name),
        None => format!("error-{global}"),
    }
}

/// Per-node runtime counters (VPP `show runtime`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeRuntime {
    /// Dispatches (frames run).
    pub calls: u64,
    /// Packets processed (VPP's "vectors").
    pub packets: u64,
    /// Clock units spent (ns with [`InstantClock`], cycles with a caller-supplied cycle clock).
    pub clocks: u64,
}

/// Source of time for runtime counters. The engine never reads a clock elsewhere: protocol time
/// (rate limiters) is the `now` argument of `Worker::process`.
pub trait Clock {
    /// A monotonically increasing count (ns, or CPU cycles if the caller has a cycle counter).
    fn now(&self) -> u64;
}

/// Nanoseconds since the clock was created (`std::time::Instant`, vDSO: no syscall).
#[derive(Clone, Copy, Debug)]
pub struct InstantClock {
    start: std::time::Instant,
}

impl InstantClock {
    /// Start now.
    pub fn new() -> Self {
        InstantClock {
            start: std::time::Instant::now(),
        }
    }
}

impl Default for InstantClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for InstantClock {
    #[inline]
    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A clock that always reads 0 (runtime clocks stay 0; for deterministic tests and when the
/// caller does not want the two clock reads per node dispatch).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoClock;

impl Clock for NoClock {
    #[inline]
    fn now(&self) -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        for (i, n) in NodeId::ALL.iter().enumerate() {
            assert_eq!(n.index(), i);
            let reg = n.reg();
            assert!(!reg.name.is_empty());
            assert!(reg.errors.len() < 64);
            for next in reg.next_nodes {
                assert_ne!(next, n, "{} lists itself", reg.name);
            }
            // Names are unique.
            for m in NodeId::ALL.iter().skip(i + 1) {
                assert_ne!(reg.name, m.name());
            }
            let mut names: Vec<_> = reg.errors.iter().map(|e| e.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names.len(),
                reg.errors.len(),
                "duplicate error in {}",
                reg.name
            );
        }
        assert_eq!(
            error_name(err(NodeId::Ip4Input, 0)),
            format!("ip4-input/{}", NodeId::Ip4Input.reg().errors[0].name)
        );
        assert!(error_desc(u16::try_from(N_ERRORS).unwrap()).is_none());
    }
}
