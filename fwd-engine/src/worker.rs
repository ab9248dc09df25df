//! The per-worker packet processor: the frame dispatcher, counters, tracing, and the outputs
//! handed back to the caller.

use crate::buffer::{PacketBuf, FLAG_ENGINE_COPY};
use crate::fib::{FibReader, FibView};
use crate::graph::trace::TraceBuffer;
use crate::graph::{err, Clock, NodeId, NodeRuntime, FRAME_SIZE, N_ERRORS, N_NODES};
use crate::interface::{IfReader, IfTable};
use crate::nodes;
use crate::rate::TokenBucket;
use crate::wire::MacAddr;
use core::net::IpAddr;

/// Most packets one batch holds: a frame of received packets plus as many engine-made copies.
pub const MAX_BATCH_PKTS: usize = 2 * FRAME_SIZE;
/// Most node dispatches per batch before the remaining packets are dropped as a graph loop.
const MAX_DISPATCHES: usize = 64;

/// Something the control plane should know, emitted by the graph (bounded queue per batch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlEvent {
    /// A neighbour announced itself to us (ARP request/reply for our address, NS with a source
    /// link-layer option, NA with a target link-layer option).
    NeighborLearned {
        /// Interface it was heard on.
        sw_if_index: u32,
        /// Its address.
        ip: IpAddr,
        /// Its MAC.
        mac: MacAddr,
    },
    /// A packet hit a glean (unresolved connected destination); an ARP request / NS was sent
    /// (or rate-limited). The control plane may resolve and program an adjacency.
    ResolveRequest {
        /// Interface of the connected subnet.
        sw_if_index: u32,
        /// The destination to resolve.
        ip: IpAddr,
    },
}

/// Worker tunables.
#[derive(Clone, Copy, Debug)]
pub struct WorkerConfig {
    /// ICMPv4 errors per second (token bucket rate) and burst.
    pub icmp4_rate: u64,
    /// ICMPv4 burst.
    pub icmp4_burst: u64,
    /// ICMPv6 errors per second.
    pub icmp6_rate: u64,
    /// ICMPv6 burst.
    pub icmp6_burst: u64,
    /// ARP requests / NS sent by glean per second.
    pub glean_rate: u64,
    /// Glean burst.
    pub glean_burst: u64,
    /// Packets per second punted to the host (all reasons, engine copies included): protects
    /// the host CPU from floods, like CoPP. Beyond it punts are dropped (`punt/rate_limited`).
    pub punt_rate: u64,
    /// Punt burst.
    pub punt_burst: u64,
    /// Most control events per `process` call (more are counted and discarded).
    pub max_events: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            icmp4_rate: 1000,
            icmp4_burst: 100,
            icmp6_rate: 1000,
            icmp6_burst: 100,
            glean_rate: 1000,
            glean_burst: 100,
            punt_rate: 100_000,
            punt_burst: 10_000,
            max_events: 256,
        }
    }
}

/// Where each packet of a batch ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dest {
    /// Still in the graph (at the end of a batch: dropped as a graph loop).
    InGraph,
    /// Transmit queue of this port.
    Tx(u32),
    /// To the host interface.
    Punt,
    /// Dropped (reason in `meta.error`).
    Drop,
}

/// What one `process` call produced. Reuse one `Output` across calls (its vectors keep their
/// capacity, so steady state does not allocate); consume and [`clear`](Output::clear) it.
#[derive(Debug)]
pub struct Output<B> {
    /// Transmit queues indexed by port sw_if_index (empty vectors for idle ports).
    pub tx: Vec<Vec<B>>,
    /// Packets for the host: `meta().tx_sw_if_index` is the host interface id
    /// ([`Interface::host_if`](crate::interface::Interface::host_if)), data starts at the
    /// Ethernet header as received.
    pub punt: Vec<B>,
    /// Dropped packets (reason: `meta().error`, see [`crate::graph::error_name`]); returned so that
    /// the caller can recycle the buffers.
    pub drop: Vec<B>,
    /// Control events.
    pub events: Vec<ControlEvent>,
}

impl<B> Default for Output<B> {
    fn default() -> Self {
        Output {
            tx: Vec::new(),
            punt: Vec::with_capacity(MAX_BATCH_PKTS),
            drop: Vec::with_capacity(MAX_BATCH_PKTS),
            events: Vec::with_capacity(256),
        }
    }
}

impl<B> Output<B> {
    /// Empty outputs.
    pub fn new() -> Self {
        Self::default()
    }
    /// Empty every queue (keeping capacity).
    pub fn clear(&mut self) {
        self.tx.iter_mut().for_each(Vec::clear);
        self.punt.clear();
        self.drop.clear();
        self.events.clear();
    }
    /// Packets in all transmit queues.
    pub fn tx_count(&self) -> usize {
        self.tx.iter().map(Vec::len).sum()
    }
    /// Non-empty transmit queues as (port, packets).
    pub fn tx_queues(&mut self) -> impl Iterator<Item = (u32, &mut Vec<B>)> {
        self.tx
            .iter_mut()
            .enumerate()
            .filter(|(_, q)| !q.is_empty())
            .map(|(i, q)| (u32::try_from(i).unwrap_or(u32::MAX), q))
    }
}

/// Rate limiters of one worker.
#[derive(Debug)]
pub(crate) struct Limits {
    pub icmp4: TokenBucket,
    pub icmp6: TokenBucket,
    pub glean: TokenBucket,
    pub punt: TokenBucket,
}

/// What a node function gets: the packets, the tables, counters, time.
pub(crate) struct Ctx<'a, 'f, B> {
    pub pkts: &'a mut Vec<B>,
    pub dest: &'a mut Vec<Dest>,
    pub fib: &'a FibView<'f>,
    pub ifs: &'a IfTable,
    pub errors: &'a mut [u64],
    pub events: &'a mut Vec<ControlEvent>,
    pub max_events: usize,
    /// Packets created during the current dispatch (index, first node).
    pub spawned: &'a mut Vec<(u16, NodeId)>,
    pub limits: &'a mut Limits,
    pub now: u64,
}

impl<B: PacketBuf> Ctx<'_, '_, B> {
    /// Count `node`'s local error `local` once.
    #[inline]
    pub fn count(&mut self, node: NodeId, local: u16) {
        if let Some(c) = self.errors.get_mut(usize::from(err(node, local))) {
            *c += 1;
        }
    }
    /// Mark packet `i` with `node`'s local error and return the drop node.
    #[inline]
    pub fn drop_with(&mut self, i: u16, node: NodeId, local: u16) -> NodeId {
        self.pkts[usize::from(i)].meta_mut().error = err(node, local);
        NodeId::Drop
    }
    /// Mark packet `i` with `node`'s local punt reason and return the punt node.
    #[inline]
    pub fn punt_with(&mut self, i: u16, node: NodeId, local: u16) -> NodeId {
        self.pkts[usize::from(i)].meta_mut().error = err(node, local);
        NodeId::Punt
    }
    /// Queue a control event; false (counted as `error-drop/events_lost`) when the queue is full.
    pub fn event(&mut self, ev: ControlEvent) -> bool {
        if self.events.len() >= self.max_events {
            self.count(NodeId::Drop, nodes::terminal::drop_err::EVENTS_LOST);
            return false;
        }
        self.events.push(ev);
        true
    }
    /// Add a copy of packet `i` (punt reason `node`/`local`) to the batch, going to the punt
    /// node; false when the batch is full or no buffer is available.
    pub fn punt_copy(&mut self, i: u16, node: NodeId, local: u16) -> bool {
        if self.pkts.len() >= MAX_BATCH_PKTS {
            return false;
        }
        let Some(mut c) = self.pkts[usize::from(i)].try_clone() else {
            return false;
        };
        let Ok(ci) = u16::try_from(self.pkts.len()) else {
            return false;
        };
        let m = c.meta_mut();
        m.error = err(node, local);
        m.flags |= FLAG_ENGINE_COPY;
        m.trace = 0;
        self.pkts.push(c);
        self.dest.push(Dest::InGraph);
        self.spawned.push((ci, NodeId::Punt));
        true
    }
}

/// Counters of the dispatcher itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// Packets handed to `process`.
    pub rx: u64,
    /// Packets put on transmit queues.
    pub tx: u64,
    /// Packets punted.
    pub punt: u64,
    /// Packets dropped (all reasons).
    pub drop: u64,
    /// Copies made by the engine (ARP / NS punt copies).
    pub copies: u64,
    /// Batches processed.
    pub batches: u64,
    /// Batches forwarded whole by the IPv4 fast path (`nodes::fast`; counted in `batches` too).
    pub fast_batches: u64,
}

/// One forwarding worker: owns its counters, trace buffer and rate limiters; reads the FIB and
/// interface table through RCU readers.
pub struct Worker<B, C: Clock> {
    fib: FibReader,
    ifs: IfReader,
    clock: C,
    cfg: WorkerConfig,
    pkts: Vec<B>,
    dest: Vec<Dest>,
    pending: [Vec<u16>; N_NODES],
    pending_mask: u32,
    frame: Vec<u16>,
    nexts: Vec<NodeId>,
    spawned: Vec<(u16, NodeId)>,
    errors: Vec<u64>,
    runtime: [NodeRuntime; N_NODES],
    limits: Limits,
    trace: TraceBuffer,
    stats: WorkerStats,
    /// Per-frame arrays of the IPv4 fast path, kept across frames.
    fast: Box<nodes::fast::Scratch>,
}

impl<B: PacketBuf, C: Clock> Worker<B, C> {
    /// A worker reading `fib` and `ifs`, timing nodes with `clock`.
    pub fn new(cfg: WorkerConfig, fib: FibReader, ifs: IfReader, clock: C) -> Self {
        Worker {
            fib,
            ifs,
            clock,
            cfg,
            pkts: Vec::with_capacity(MAX_BATCH_PKTS),
            dest: Vec::with_capacity(MAX_BATCH_PKTS),
            pending: core::array::from_fn(|_| Vec::with_capacity(MAX_BATCH_PKTS)),
            pending_mask: 0,
            frame: Vec::with_capacity(MAX_BATCH_PKTS),
            nexts: vec![NodeId::Drop; FRAME_SIZE],
            spawned: Vec::with_capacity(MAX_BATCH_PKTS),
            errors: vec![0; N_ERRORS],
            runtime: [NodeRuntime::default(); N_NODES],
            limits: Limits {
                icmp4: TokenBucket::new(cfg.icmp4_rate, cfg.icmp4_burst),
                icmp6: TokenBucket::new(cfg.icmp6_rate, cfg.icmp6_burst),
                glean: TokenBucket::new(cfg.glean_rate, cfg.glean_burst),
                punt: TokenBucket::new(cfg.punt_rate, cfg.punt_burst),
            },
            trace: TraceBuffer::default(),
            stats: WorkerStats::default(),
            fast: nodes::fast::Scratch::new(),
        }
    }

    /// Process the received packets `rx` (any number; handled in frames of up to
    /// [`FRAME_SIZE`]); `rx` is left empty. `now_ns` is protocol time for the rate limiters.
    /// Every packet ends in exactly one of `out.tx[..]`, `out.punt`, `out.drop`; engine-made
    /// copies (punt copies of ARP / NS) are added to `out.punt`.
    #[inline(never)]
    pub fn process(&mut self, rx: &mut Vec<B>, now_ns: u64, out: &mut Output<B>) {
        let ifs = self.ifs.load();
        let slots = ifs.port_slots();
        if out.tx.len() < slots {
            out.tx.resize_with(slots, Vec::new);
        }
        if rx.len() <= FRAME_SIZE {
            core::mem::swap(&mut self.pkts, rx);
            // Room for engine-made copies without reallocating mid-batch (a no-op once both
            // vectors have grown; the caller's vector and ours trade places every call).
            self.pkts.reserve(MAX_BATCH_PKTS - self.pkts.len());
            self.run_batch(&ifs, now_ns, out);
            // Hand the (now empty) vector back, keeping capacity on both sides.
            core::mem::swap(&mut self.pkts, rx);
            rx.clear();
        } else {
            let mut rest = core::mem::take(rx);
            let mut it = rest.drain(..);
            loop {
                self.pkts.clear();
                self.pkts.extend(it.by_ref().take(FRAME_SIZE));
                if self.pkts.is_empty() {
                    break;
                }
                self.run_batch(&ifs, now_ns, out);
            }
            drop(it);
            // Give the caller its (now empty) vector back with its capacity.
            *rx = rest;
        }
    }

    fn run_batch(&mut self, ifs: &IfTable, now: u64, out: &mut Output<B>) {
        let n = self.pkts.len();
        if n == 0 {
            return;
        }
        self.stats.rx += n as u64;
        self.stats.batches += 1;
        let traced = self.trace.mark(&mut self.pkts);
        // The fused IPv4 fast path takes whole frames that would only visit ethernet-input ->
        // ip4-input -> ip4-lookup -> ip4-rewrite -> interface-output (same end state and
        // counters; see `nodes::fast`); any other frame goes through the graph.
        // The graph takes its own FIB view when the fast path declines (it changed nothing).
        let fast = if traced {
            nodes::fast::Fast::Declined
        } else {
            nodes::fast::ip4_frame(
                &mut self.pkts,
                &mut self.dest,
                &mut self.fast,
                &self.fib.view(),
                ifs,
                &self.clock,
                &mut self.runtime,
            )
        };
        match fast {
            nodes::fast::Fast::Declined => {
                self.dest.clear();
                self.dest.resize(n, Dest::InGraph);
                self.dispatch(ifs, traced, now, out);
            }
            nodes::fast::Fast::Forwarded => self.stats.fast_batches += 1,
            nodes::fast::Fast::AllTo(port) => {
                self.stats.fast_batches += 1;
                // The whole frame goes to one port: one bulk move.
                if let Some(q) = out.tx.get_mut(usize::try_from(port).unwrap_or(usize::MAX)) {
                    self.stats.tx += n as u64;
                    q.append(&mut self.pkts);
                    return;
                }
                self.dest.clear();
                self.dest.resize(n, Dest::Tx(port));
            }
        }
        self.distribute(out);
    }

    /// Run the frame (all packets pending at ethernet-input) through the graph.
    fn dispatch(&mut self, ifs: &IfTable, traced: bool, now: u64, out: &mut Output<B>) {
        let n = self.pkts.len();

        let eth = &mut self.pending[NodeId::EthernetInput.index()];
        eth.clear();
        // n <= FRAME_SIZE, so the indices fit in u16.
        eth.extend((0..n).filter_map(|i| u16::try_from(i).ok()));
        self.pending_mask = 1 << NodeId::EthernetInput.index();

        let view = self.fib.view();
        let mut dispatches = 0;
        while self.pending_mask != 0 && dispatches < MAX_DISPATCHES {
            dispatches += 1;
            let node = NodeId::ALL[self.pending_mask.trailing_zeros() as usize];
            self.pending_mask &= !(1 << node.index());
            core::mem::swap(&mut self.frame, &mut self.pending[node.index()]);
            let mut start = 0;
            while start < self.frame.len() {
                let end = (start + FRAME_SIZE).min(self.frame.len());
                let t0 = self.clock.now();
                let chunk = &self.frame[start..end];
                let nexts = &mut self.nexts[..end - start];
                if traced {
                    self.trace.enter(node, chunk, &self.pkts);
                }
                self.spawned.clear();
                let mut ctx = Ctx {
                    pkts: &mut self.pkts,
                    dest: &mut self.dest,
                    fib: &view,
                    ifs,
                    errors: &mut self.errors,
                    events: &mut out.events,
                    max_events: self.cfg.max_events,
                    spawned: &mut self.spawned,
                    limits: &mut self.limits,
                    now,
                };
                let terminal = nodes::run(node, &mut ctx, chunk, nexts);
                if traced {
                    self.trace
                        .leave(if terminal { None } else { Some(&*nexts) });
                }
                if !terminal {
                    debug_assert!(
                        nexts.iter().all(|n| node.reg().next_nodes.contains(n)),
                        "{} used an undeclared next node",
                        node.name()
                    );
                    // Common case: the whole frame goes to one next node (one copy).
                    let first = nexts[0];
                    if nexts.iter().all(|&n| n == first) {
                        self.pending[first.index()].extend_from_slice(chunk);
                        self.pending_mask |= 1 << first.index();
                    } else {
                        for (&pi, &nx) in chunk.iter().zip(nexts.iter()) {
                            self.pending[nx.index()].push(pi);
                            self.pending_mask |= 1 << nx.index();
                        }
                    }
                }
                for &(pi, nx) in &self.spawned {
                    self.pending[nx.index()].push(pi);
                    self.pending_mask |= 1 << nx.index();
                    self.stats.copies += 1;
                }
                let t1 = self.clock.now();
                let rt = &mut self.runtime[node.index()];
                rt.calls += 1;
                rt.packets += (end - start) as u64;
                rt.clocks += t1.wrapping_sub(t0);
                start = end;
            }
            self.frame.clear();
        }
        // Anything still pending went round the graph too often.
        for p in &mut self.pending {
            p.clear();
        }
        self.pending_mask = 0;
    }

    /// Move every packet of the batch to its output queue (still in the graph: dropped as a
    /// graph loop).
    fn distribute(&mut self, out: &mut Output<B>) {
        // Common case: the whole batch goes to one configured port (one bulk move).
        if let Some(&Dest::Tx(port)) = self.dest.first() {
            if self.dest.len() == self.pkts.len() && self.dest.iter().all(|&d| d == Dest::Tx(port))
            {
                if let Some(q) = out.tx.get_mut(usize::try_from(port).unwrap_or(usize::MAX)) {
                    self.stats.tx += self.pkts.len() as u64;
                    q.append(&mut self.pkts);
                    return;
                }
            }
        }
        let loop_err = err(NodeId::Drop, nodes::terminal::drop_err::GRAPH_LOOP);
        for (b, d) in self.pkts.drain(..).zip(self.dest.iter()) {
            match *d {
                Dest::Tx(port) => {
                    self.stats.tx += 1;
                    match out.tx.get_mut(usize::try_from(port).unwrap_or(usize::MAX)) {
                        Some(q) => q.push(b),
                        None => {
                            out.tx
                                .resize_with(usize::try_from(port).unwrap_or(0) + 1, Vec::new);
                            if let Some(q) = out.tx.last_mut() {
                                q.push(b);
                            }
                        }
                    }
                }
                Dest::Punt => {
                    self.stats.punt += 1;
                    out.punt.push(b);
                }
                Dest::Drop => {
                    self.stats.drop += 1;
                    out.drop.push(b);
                }
                Dest::InGraph => {
                    let mut b = b;
                    b.meta_mut().error = loop_err;
                    self.errors[usize::from(loop_err)] += 1;
                    self.stats.drop += 1;
                    out.drop.push(b);
                }
            }
        }
    }

    /// Trace the next `n` received packets through every node they visit (`trace add N`).
    pub fn trace_add(&mut self, n: u32) {
        self.trace.add(n);
    }
    /// Forget traced packets.
    pub fn trace_clear(&mut self) {
        self.trace.clear();
    }
    /// `show trace` text.
    pub fn show_trace(&self) -> String {
        self.trace.render()
    }
    /// Error counters indexed by global error id (see [`crate::graph::error_desc`]).
    pub fn error_counters(&self) -> &[u64] {
        &self.errors
    }
    /// Count of one error (by node and local code).
    pub fn error_count(&self, node: NodeId, local: u16) -> u64 {
        self.errors[usize::from(err(node, local))]
    }
    /// Per-node runtime counters indexed by `NodeId::index()`.
    pub fn runtime(&self) -> &[NodeRuntime; N_NODES] {
        &self.runtime
    }
    /// Dispatcher counters.
    pub fn stats(&self) -> WorkerStats {
        self.stats
    }
    /// Zero all counters (`clear runtime`, `clear errors`).
    pub fn clear_counters(&mut self) {
        self.errors.iter_mut().for_each(|c| *c = 0);
        self.runtime = [NodeRuntime::default(); N_NODES];
        self.stats = WorkerStats::default();
    }
    /// `show runtime` text.
    pub fn show_runtime(&self) -> String {
        crate::graph::show::runtime_text(&self.runtime)
    }
    /// `show errors` text (non-zero counters).
    pub fn show_errors(&self) -> String {
        crate::graph::show::errors_text(&self.errors)
    }
    /// Structured runtime counters (for JSON).
    pub fn runtime_stats(&self) -> Vec<crate::graph::show::RuntimeStat> {
        crate::graph::show::runtime_stats(&self.runtime)
    }
    /// Structured non-zero error counters (for JSON).
    pub fn error_stats(&self) -> Vec<crate::graph::show::ErrorStat> {
        crate::graph::show::error_stats(&self.errors)
    }
}
