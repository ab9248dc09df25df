//! Worker threads: poll own rx queues -> fwd-engine graph -> buffered tx; punt / inject through
//! SPSC queues to and from the control thread; per-worker counters; no locks on the packet path.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fwd_engine::buffer::PacketBuf;
use fwd_engine::graph::InstantClock;
use fwd_engine::worker::{Output, Worker};
use ring_proto::{PortCounter, RifCounter, StatsWriter};

use crate::config::PollMode;
use crate::io::{Mbuf, RxQueue, TxQueue};

/// Counters of one worker, readable by the CLI at any time. Each is written only by its worker
/// (relaxed load + store: single writer) and read with relaxed loads (monotonic values, no
/// ordering with other memory needed).
#[derive(Debug)]
pub struct WorkerCounters {
    /// Per port: rx packets, rx bytes, tx packets, tx bytes, tx drops (PMD refused).
    pub port: Vec<[AtomicU64; 5]>,
    /// Punted packets handed to the control thread.
    pub punted: AtomicU64,
    /// Punts dropped because the punt queue was full.
    pub punt_queue_full: AtomicU64,
    /// Packets injected from host interfaces.
    pub injected: AtomicU64,
    /// Packets the graph dropped.
    pub dropped: AtomicU64,
    /// Control events from the graph (counted; SONiC learns neighbors through the kernel).
    pub events: AtomicU64,
    /// Polls that returned nothing.
    pub idle_polls: AtomicU64,
    /// Loop iterations.
    pub loops: AtomicU64,
    /// Packets for an unknown tx port (dropped).
    pub bad_tx_port: AtomicU64,
    /// Pcap packets not captured because the writer was behind.
    pub pcap_lost: AtomicU64,
    /// Packets received on or sent to an administratively down port (dropped).
    pub admin_down: AtomicU64,
}

impl WorkerCounters {
    /// Zeroed counters for `ports` ports.
    pub fn new(ports: usize) -> Self {
        WorkerCounters {
            port: (0..ports).map(|_| Default::default()).collect(),
            punted: AtomicU64::new(0),
            punt_queue_full: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            events: AtomicU64::new(0),
            idle_polls: AtomicU64::new(0),
            loops: AtomicU64::new(0),
            bad_tx_port: AtomicU64::new(0),
            pcap_lost: AtomicU64::new(0),
            admin_down: AtomicU64::new(0),
        }
    }

    fn all(&self) -> impl Iterator<Item = &AtomicU64> {
        self.port.iter().flat_map(|p| p.iter()).chain([
            &self.punted,
            &self.punt_queue_full,
            &self.injected,
            &self.dropped,
            &self.events,
            &self.idle_polls,
            &self.loops,
            &self.bad_tx_port,
            &self.pcap_lost,
            &self.admin_down,
        ])
    }
}

#[inline]
fn bump(a: &AtomicU64, n: u64) {
    // Single writer (the owning worker): relaxed load + store, no read-modify-write needed.
    // Readers (CLI) only need each value atomically.
    a.store(a.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

/// A captured packet for the pcap writer: (direction is tx, port, time, bytes).
pub struct Captured {
    /// True for transmitted packets.
    pub tx: bool,
    /// Port index.
    pub port: u32,
    /// Capture time since the Unix epoch.
    pub ts: Duration,
    /// Frame bytes.
    pub data: Vec<u8>,
}

/// `show runtime` rows: (node, calls, packets, clocks).
pub type RuntimeRows = Vec<(String, u64, u64, u64)>;
/// `show errors` rows: (node, name, description, severity, count).
pub type ErrorRows = Vec<(String, String, String, String, u64)>;

/// Requests the CLI sends to a worker (handled between two polls).
pub enum WorkerRequest {
    /// `trace add N`.
    TraceAdd(u32),
    /// `clear trace`.
    TraceClear,
    /// `show trace`.
    ShowTrace(Sender<String>),
    /// `show runtime`: text and (node, calls, packets, clocks) rows.
    ShowRuntime(Sender<(String, RuntimeRows)>),
    /// `show errors`: text and (node, name, description, severity, count) rows.
    ShowErrors(Sender<(String, ErrorRows)>),
    /// `clear counters`.
    ClearCounters,
    /// Start a pcap capture of rx and/or tx packets.
    PcapStart {
        /// Capture received packets.
        rx: bool,
        /// Capture transmitted packets.
        tx: bool,
        /// Where to send them.
        sink: SyncSender<Captured>,
    },
    /// Stop capturing.
    PcapStop,
}

/// Everything a worker thread owns.
pub struct WorkerCtx {
    /// Worker number.
    pub id: usize,
    /// Rx queues it polls.
    pub rxqs: Vec<RxQueue>,
    /// One tx queue per port (indexed by port index).
    pub txqs: Vec<TxQueue>,
    /// The graph.
    pub engine: Worker<Mbuf, InstantClock>,
    /// Punted packets to the control thread.
    pub punt: rtrb::Producer<Mbuf>,
    /// Packets from host interfaces to send: (port, packet).
    pub inject: rtrb::Consumer<(u32, Mbuf)>,
    /// CLI requests.
    pub requests: Receiver<WorkerRequest>,
    /// Set to stop.
    pub stop: Arc<AtomicBool>,
    /// Polling mode.
    pub poll: PollMode,
    /// Counters.
    pub counters: Arc<WorkerCounters>,
    /// Ring statistics block (None when the segment has fewer worker blocks).
    pub stats: Option<StatsWriter>,
    /// sw_if_index -> RIF id, published by the control thread (RIF counters in the ring's stats).
    pub rif_map: Arc<arc_swap::ArcSwap<Vec<u32>>>,
    /// Administrative state per port (set by the control thread from SAI port attributes).
    pub admin: Arc<Vec<AtomicBool>>,
    /// CPU to pin to.
    pub cpu: Option<usize>,
}

/// The worker's cached view of the sw_if_index -> RIF map.
type RifCache = arc_swap::Cache<Arc<arc_swap::ArcSwap<Vec<u32>>>, Arc<Vec<u32>>>;

struct Pcap {
    rx: bool,
    tx: bool,
    sink: SyncSender<Captured>,
}

fn capture(p: &mut Option<Pcap>, tx: bool, m: &Mbuf, lost: &AtomicU64) {
    let Some(c) = p else { return };
    if (tx && !c.tx) || (!tx && !c.rx) {
        return;
    }
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let item = Captured {
        tx,
        port: m.meta().rx_port,
        ts,
        data: m.data().to_vec(),
    };
    match c.sink.try_send(item) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => bump(lost, 1),
        Err(TrySendError::Disconnected(_)) => *p = None,
    }
}

impl WorkerCtx {
    /// The worker loop; returns when `stop` is set.
    pub fn run(mut self) {
        if let Some(cpu) = self.cpu {
            if !crate::io::pin_current_thread(cpu) {
                tracing::warn!(worker = self.id, cpu, "could not pin worker to CPU");
            }
        }
        // An lcore id gives this thread the mempools' per-lcore caches (rx allocation and tx
        // free without touching the shared ring per packet).
        let _lcore = crate::io::register_thread();
        if _lcore.lcore().is_none() {
            tracing::warn!(
                worker = self.id,
                "EAL thread registration failed: no mempool cache"
            );
        }
        let start = Instant::now();
        let mut rx: Vec<Mbuf> = Vec::with_capacity(crate::io::RX_BURST);
        let mut out: Output<Mbuf> = Output::new();
        let mut pcap: Option<Pcap> = None;
        let mut idle: u32 = 0;
        let mut published_errors: Vec<u64> = Vec::new();
        let mut last_publish = Instant::now();
        let n_ports = self.txqs.len();
        let c = Arc::clone(&self.counters);
        let mut rif_cache: RifCache = arc_swap::Cache::new(Arc::clone(&self.rif_map));
        while !self.stop.load(Ordering::Relaxed) {
            bump(&c.loops, 1);
            let mut work = 0usize;
            for qi in 0..self.rxqs.len() {
                let (n, bytes) = self.rxqs[qi].rx(&mut rx);
                if n == 0 {
                    continue;
                }
                work += n;
                let port = self.rxqs[qi].port_index;
                let count = rx.len() as u64;
                if let Some(pc) = usize::try_from(port).ok().and_then(|p| c.port.get(p)) {
                    bump(&pc[0], count);
                    bump(&pc[1], bytes);
                }
                if let Some(s) = &self.stats {
                    s.add_port(port, PortCounter::RxPackets, count);
                    s.add_port(port, PortCounter::RxBytes, bytes);
                }
                if !self.admin_up(port) {
                    bump(&c.admin_down, count);
                    rx.clear();
                    continue;
                }
                if pcap.is_some() {
                    for m in &rx {
                        capture(&mut pcap, false, m, &c.pcap_lost);
                    }
                }
                let now = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                self.engine.process(&mut rx, now, &mut out);
                self.dispatch(&mut out, &mut pcap, &mut rif_cache);
            }
            // Frames the kernel sent on host interfaces go straight out of their port.
            while let Ok((port, m)) = self.inject.pop() {
                work += 1;
                bump(&c.injected, 1);
                self.send(port, m, &mut pcap);
            }
            for q in &mut self.txqs {
                q.flush();
            }
            for (p, q) in self.txqs.iter().enumerate() {
                if let Some(pc) = c.port.get(p) {
                    if pc[4].load(Ordering::Relaxed) != q.dropped {
                        pc[4].store(q.dropped, Ordering::Relaxed);
                    }
                }
            }
            if let Ok(req) = self.requests.try_recv() {
                self.handle(req, &mut pcap);
            }
            if last_publish.elapsed() >= Duration::from_millis(200) {
                last_publish = Instant::now();
                self.publish_errors(&mut published_errors);
            }
            if work == 0 {
                bump(&c.idle_polls, 1);
                if let PollMode::Adaptive {
                    idle_polls,
                    sleep_us,
                } = self.poll
                {
                    idle = idle.saturating_add(1);
                    if idle >= idle_polls {
                        std::thread::sleep(Duration::from_micros(u64::from(sleep_us)));
                    }
                }
            } else {
                idle = 0;
            }
        }
        let _ = n_ports;
        for q in &mut self.txqs {
            q.flush();
        }
    }

    fn admin_up(&self, port: u32) -> bool {
        // Relaxed: see `send`.
        self.admin
            .get(usize::try_from(port).unwrap_or(usize::MAX))
            .is_some_and(|a| a.load(Ordering::Relaxed))
    }

    fn send(&mut self, port: u32, m: Mbuf, pcap: &mut Option<Pcap>) {
        let c = &self.counters;
        let Some(q) = usize::try_from(port)
            .ok()
            .and_then(|p| self.txqs.get_mut(p))
        else {
            bump(&c.bad_tx_port, 1);
            return;
        };
        // Relaxed: a flag read; pairs with the control thread's relaxed store, no other data
        // depends on it.
        if !self
            .admin
            .get(usize::try_from(port).unwrap_or(usize::MAX))
            .is_some_and(|a| a.load(Ordering::Relaxed))
        {
            bump(&c.admin_down, 1);
            return;
        }
        let len = m.len() as u64;
        if pcap.is_some() {
            capture(pcap, true, &m, &c.pcap_lost);
        }
        if let Some(pc) = usize::try_from(port).ok().and_then(|p| c.port.get(p)) {
            bump(&pc[2], 1);
            bump(&pc[3], len);
        }
        if let Some(s) = &self.stats {
            s.add_port(port, PortCounter::TxPackets, 1);
            s.add_port(port, PortCounter::TxBytes, len);
        }
        q.push(m);
    }

    /// Send a graph output queue: counters once per batch, packets into the tx buffer.
    fn send_batch(&mut self, port: u32, pkts: &mut Vec<Mbuf>, pcap: &mut Option<Pcap>) {
        let c = &self.counters;
        let n = pkts.len() as u64;
        if !self.admin_up(port) {
            bump(&c.admin_down, n);
            pkts.clear();
            return;
        }
        let Some(q) = usize::try_from(port)
            .ok()
            .and_then(|p| self.txqs.get_mut(p))
        else {
            bump(&c.bad_tx_port, n);
            pkts.clear();
            return;
        };
        if pcap.is_some() {
            for m in pkts.iter() {
                capture(pcap, true, m, &c.pcap_lost);
            }
        }
        let bytes = q.push_batch(pkts);
        if let Some(pc) = usize::try_from(port).ok().and_then(|p| c.port.get(p)) {
            bump(&pc[2], n);
            bump(&pc[3], bytes);
        }
        if let Some(s) = &self.stats {
            s.add_port(port, PortCounter::TxPackets, n);
            s.add_port(port, PortCounter::TxBytes, bytes);
        }
    }

    /// Add the growth of the graph's error counters since the last call to the ring's stats block
    /// (error index = the graph's global error id). Counters cleared by `clear counters` restart
    /// from zero here too.
    fn publish_errors(&self, last: &mut Vec<u64>) {
        let Some(s) = &self.stats else { return };
        let now = self.engine.error_counters();
        last.resize(now.len(), 0);
        for (i, (&n, l)) in now.iter().zip(last.iter_mut()).enumerate() {
            let delta = if n >= *l { n - *l } else { n };
            if delta > 0 {
                s.add_error(u32::try_from(i).unwrap_or(u32::MAX), delta);
            }
            *l = n;
        }
    }

    /// Add the frame's RIF counters to the ring's stats block: rx on the packet's receive
    /// interface, tx on its transmit interface; aggregated per RIF first (a frame usually touches
    /// one or two), so each counter is written once per frame.
    fn rif_counters(&self, out: &Output<Mbuf>, rif_cache: &mut RifCache) {
        let Some(s) = &self.stats else { return };
        // A cached load: one pointer comparison per frame unless the map changed.
        let map = rif_cache.load();
        if map.is_empty() {
            return;
        }
        let rif_of = |sw: u32| {
            usize::try_from(sw)
                .ok()
                .and_then(|i| map.get(i))
                .copied()
                .filter(|&r| r != u32::MAX)
        };
        // (rif, rx packets, rx bytes, tx packets, tx bytes)
        let mut acc: Vec<(u32, u64, u64, u64, u64)> = Vec::new();
        let mut add = |rif: u32, tx: bool, pkts: u64, bytes: u64| {
            let i = match acc.iter().position(|a| a.0 == rif) {
                Some(i) => i,
                None => {
                    acc.push((rif, 0, 0, 0, 0));
                    acc.len() - 1
                }
            };
            let a = &mut acc[i];
            if tx {
                a.3 += pkts;
                a.4 += bytes;
            } else {
                a.1 += pkts;
                a.2 += bytes;
            }
        };
        // Packets of a frame come in runs of the same interface: sum each run, then map it to
        // its RIF once (not once per packet).
        let mut run = |pkts: &mut dyn Iterator<Item = (u32, u64)>, tx: bool| {
            let mut cur: Option<(u32, u64, u64)> = None;
            for (sw, len) in pkts {
                match &mut cur {
                    Some((s, p, b)) if *s == sw => {
                        *p += 1;
                        *b += len;
                    }
                    _ => {
                        if let Some((s, p, b)) = cur.take() {
                            if let Some(r) = rif_of(s) {
                                add(r, tx, p, b);
                            }
                        }
                        cur = Some((sw, 1, len));
                    }
                }
            }
            if let Some((s, p, b)) = cur {
                if let Some(r) = rif_of(s) {
                    add(r, tx, p, b);
                }
            }
        };
        run(
            &mut out
                .tx
                .iter()
                .flatten()
                .chain(out.punt.iter())
                .map(|m| (m.meta().rx_sw_if_index, m.len() as u64)),
            false,
        );
        // Punted packets carry the host interface in tx_sw_if_index: only forwarded ones count as
        // RIF transmits.
        run(
            &mut out
                .tx
                .iter()
                .flatten()
                .map(|m| (m.meta().tx_sw_if_index, m.len() as u64)),
            true,
        );
        for (rif, rp, rb, tp, tb) in acc {
            if rp > 0 {
                s.add_rif(rif, RifCounter::RxPackets, rp);
                s.add_rif(rif, RifCounter::RxBytes, rb);
            }
            if tp > 0 {
                s.add_rif(rif, RifCounter::TxPackets, tp);
                s.add_rif(rif, RifCounter::TxBytes, tb);
            }
        }
    }

    fn dispatch(
        &mut self,
        out: &mut Output<Mbuf>,
        pcap: &mut Option<Pcap>,
        rif_cache: &mut RifCache,
    ) {
        self.rif_counters(out, rif_cache);
        for port in 0..out.tx.len() {
            if out.tx[port].is_empty() {
                continue;
            }
            let mut pkts = std::mem::take(&mut out.tx[port]);
            let p = u32::try_from(port).unwrap_or(u32::MAX);
            self.send_batch(p, &mut pkts, pcap);
            // Give the (empty) vector back so its capacity is reused.
            out.tx[port] = pkts;
        }
        let c = &self.counters;
        for m in out.punt.drain(..) {
            match self.punt.push(m) {
                Ok(()) => bump(&c.punted, 1),
                Err(_) => bump(&c.punt_queue_full, 1),
            }
        }
        let drops = out.drop.len() as u64;
        if drops > 0 {
            bump(&c.dropped, drops);
            if let Some(s) = &self.stats {
                // One shared-memory add per run of same-port drops, not per packet.
                let mut cur: Option<(u32, u64)> = None;
                for m in &out.drop {
                    let p = m.meta().rx_port;
                    match &mut cur {
                        Some((q, n)) if *q == p => *n += 1,
                        _ => {
                            if let Some((q, n)) = cur.take() {
                                s.add_port(q, PortCounter::RxDrops, n);
                            }
                            cur = Some((p, 1));
                        }
                    }
                }
                if let Some((q, n)) = cur {
                    s.add_port(q, PortCounter::RxDrops, n);
                }
            }
            Mbuf::free_bulk(&mut out.drop);
        }
        bump(&c.events, out.events.len() as u64);
        out.clear();
    }

    fn handle(&mut self, req: WorkerRequest, pcap: &mut Option<Pcap>) {
        match req {
            WorkerRequest::TraceAdd(n) => self.engine.trace_add(n),
            WorkerRequest::TraceClear => self.engine.trace_clear(),
            WorkerRequest::ShowTrace(tx) => {
                let _ = tx.send(self.engine.show_trace());
            }
            WorkerRequest::ShowRuntime(tx) => {
                let rows = self
                    .engine
                    .runtime_stats()
                    .into_iter()
                    .map(|r| (r.node.to_string(), r.calls, r.packets, r.clocks))
                    .collect();
                let _ = tx.send((self.engine.show_runtime(), rows));
            }
            WorkerRequest::ShowErrors(tx) => {
                let rows = self
                    .engine
                    .error_stats()
                    .into_iter()
                    .map(|e| {
                        (
                            e.node.to_string(),
                            e.name.to_string(),
                            e.description.to_string(),
                            e.severity.to_string(),
                            e.count,
                        )
                    })
                    .collect();
                let _ = tx.send((self.engine.show_errors(), rows));
            }
            WorkerRequest::ClearCounters => {
                self.engine.clear_counters();
                for a in self.counters.all() {
                    a.store(0, Ordering::Relaxed);
                }
                for q in &mut self.txqs {
                    q.dropped = 0;
                }
            }
            WorkerRequest::PcapStart { rx, tx, sink } => *pcap = Some(Pcap { rx, tx, sink }),
            WorkerRequest::PcapStop => *pcap = None,
        }
    }
}
