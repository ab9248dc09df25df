//! The vector packet-processing graph and FIB of the ferrosai forwarder. No I/O, no unsafe.
//!
//! # Using it (the daemon's view)
//!
//! ```text
//! control thread                                   worker thread(s)
//! --------------                                   ----------------
//! let (mut fib_w, fib_r) = Fib::new(FibConfig::default());
//! let (mut if_w, if_r) = interface::interfaces();
//! if_w.upsert(Interface { .. })?; if_w.publish();  let mut w = Worker::new(WorkerConfig::default(),
//! fib_w.add_adjacency(..); fib_w.add_lb(..);                        fib_r.clone(), if_r.clone(),
//! fib_w.route4_add(vrf, prefix, len, lb)?;                          InstantClock::new());
//!                                                  let mut out = Output::new();
//!                                                  loop {
//!                                                      rx = rx_burst();     // Vec<B>, B: PacketBuf
//!                                                      w.process(&mut rx, now_ns, &mut out);
//!                                                      for (port, q) in out.tx_queues() { tx_burst(port, q) }
//!                                                      punt out.punt (meta.tx_sw_if_index = host_if)
//!                                                      free / recycle out.drop; handle out.events
//!                                                      out.clear();
//!                                                  }
//! ```
//!
//! - [`buffer::PacketBuf`] is the graph's view of a packet (implemented over DPDK mbufs by the
//!   daemon, by [`buffer::VecBuf`] in memory). The graph is generic over it and monomorphised.
//! - [`worker::Worker::process`] runs received packets through the graph in frames of up to 256
//!   ([`graph::FRAME_SIZE`]). Every packet ends in exactly one of `Output::tx[port]`,
//!   `Output::punt`, `Output::drop` (drop reason in `meta().error`, named by
//!   [`graph::error_name`]); engine-made punt copies (ARP request / NS for us) are added to
//!   `punt`. Control events (neighbours learned, resolution requests) go to `Output::events`.
//! - Tables are read RCU style: the FIB through [`fib::FibReader::view`] once per frame, the
//!   interface table ([`interface`]) through an `arc-swap` snapshot once per batch. The control
//!   side never blocks a worker.
//! - Time is an argument (`now_ns` for rate limiters); node runtime counters use a
//!   [`graph::Clock`] chosen by the caller ([`graph::InstantClock`] ns, or a cycle counter).
//! - Observability: [`worker::Worker::show_runtime`], [`worker::Worker::show_errors`],
//!   [`worker::Worker::trace_add`] / [`worker::Worker::show_trace`], structured forms for JSON
//!   in [`graph::show`].
//!
//! # The graph
//!
//! ```text
//! ethernet-input -> arp-input -----------------------------> interface-output | punt | drop
//!                -> ip4-input[-no-checksum] -> ip4-lookup -> ip4-rewrite -> interface-output
//!                                                  |-> ip4-load-balance -> ip4-rewrite
//!                                                  |-> ip4-local -> punt
//!                                                  |-> glean -> interface-output (ARP / NS)
//!                                   ip4-rewrite -> ip4-icmp-error -> ip4-lookup
//!                -> ip6-input -> ip6-lookup -> ... (same shape) ; ip6-input -> ip6-local (ND)
//! ```
//!
//! Fast path: a received frame whose packets would *all* go `ethernet-input -> ip4-input ->
//! ip4-lookup [-> ip4-load-balance] -> ip4-rewrite -> interface-output` (untagged IPv4 unicast,
//! valid header, TTL > 1, forward route, 14-byte rewrite, within MTU, interfaces up) and that is
//! not traced is forwarded by one fused function in three passes over the frame (check and
//! gather, batched LPM and resolution, rewrite) instead of five node dispatches; it checks
//! every packet before writing anything and otherwise leaves the frame to the graph. Buffers,
//! metadata, output queues and counters end exactly as through the nodes (runtime clocks are
//! charged per pass); see `nodes::fast` and `WorkerStats::fast_batches`.
//!
//! Deviations from VPP, on purpose: the TTL check is done in ip4-rewrite (not ip4-input), so
//! that packets for us with TTL 1 (eBGP, BFD) still reach ip4-local; the router never
//! fragments (larger than MTU without DF is dropped and counted).
#![forbid(unsafe_code)]

pub mod buffer;
pub mod fib;
pub mod graph;
pub mod interface;
pub mod nodes;
pub mod rate;
#[doc(hidden)]
pub mod testkit;
pub mod wire;
pub mod worker;

pub use buffer::{PacketBuf, PacketMeta, VecBuf};
pub use graph::{Clock, InstantClock, NoClock, NodeId};
pub use interface::{IfReader, IfTable, IfWriter, Interface};
pub use worker::{ControlEvent, Output, Worker, WorkerConfig};
