//! Worker threads: poll own rx queues -> fwd-engine graph -> buffered tx; punt / inject through
//! SPSC queues to and from the control thread; per-worker counters; no locks on the packet path.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

use fwd_engine::buffer::PacketBuf;
use fwd_engine::graph::Clock;
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
    pub engine: Worker<Mbuf, crate::io::TscClock>,
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
    /// Count TSC clocks per stage of the loop (`daemon.profile`), shown by `show runtime`.
    pub profile: bool,
}

/// Stages of the worker loop timed when profiling (`daemon.profile`).
const STAGES: [&str; 7] = [
    "rx-burst", // the PMD's rx burst
    "rx-meta",  // mbuf -> Mbuf (checks, metadata init), rx bytes
    "rx-count", // port counters, admin state, pcap
    "graph",    // Worker::process
    "tx-queue", // RIF counters, graph output -> tx buffers, punts, drops (minus tx bursts)
    "tx-burst", // the PMD's tx bursts (from TxQueue::clocks)
    "other",    // inject, CLI requests, error publication, loop
];
const ST_RX_BURST: usize = 0;
const ST_RX_META: usize = 1;
const ST_RX_COUNT: usize = 2;
const ST_GRAPH: usize = 3;
const ST_TX_QUEUE: usize = 4;
const ST_TX_BURST: usize = 5;
const ST_OTHER: usize = 6;

/// Histogram buckets of clocks per packet (1 clock wide; the last one collects the rest).
const HIST: usize = 512;

/// TSC clocks per stage of the worker loop; `mark(stage)` charges the time since the previous
/// mark to `stage`. Does nothing (no TSC read) when off. Besides the totals, every loop
/// iteration that received packets adds its clocks per packet, per stage, to a histogram: the
/// median iteration is not moved by the rare ones where the thread was preempted (a shared
/// machine), which inflate the totals.
struct StageClock {
    on: bool,
    last: u64,
    /// This iteration's clocks per stage.
    cur: [u64; STAGES.len()],
    /// Totals per stage.
    clocks: [u64; STAGES.len()],
    packets: u64,
    /// This iteration's packets.
    cur_packets: u64,
    /// Tx-burst clocks (sum over the tx queues) at the end of the previous iteration.
    tx_seen: u64,
    /// Per stage and for the whole iteration (last row): iterations by clocks per packet.
    hist: Vec<[u32; HIST]>,
}

impl StageClock {
    fn new(on: bool) -> Self {
        StageClock {
            on,
            last: if on { crate::io::rdtsc() } else { 0 },
            cur: [0; STAGES.len()],
            clocks: [0; STAGES.len()],
            packets: 0,
            cur_packets: 0,
            tx_seen: 0,
            hist: if on {
                vec![[0; HIST]; STAGES.len() + 1]
            } else {
                Vec::new()
            },
        }
    }

    #[inline]
    fn mark(&mut self, stage: usize) {
        if self.on {
            let now = crate::io::rdtsc();
            self.cur[stage] += now.wrapping_sub(self.last);
            self.last = now;
        }
    }

    /// Close the current loop iteration: `tx_clocks` is the tx queues' burst clock total now
    /// (the bursts run inside the tx-queue stage; their share is moved to tx-burst).
    fn end_iteration(&mut self, tx_clocks: u64) {
        if !self.on {
            return;
        }
        let tx = tx_clocks
            .wrapping_sub(self.tx_seen)
            .min(self.cur[ST_TX_QUEUE]);
        self.tx_seen = tx_clocks;
        self.cur[ST_TX_QUEUE] -= tx;
        self.cur[ST_TX_BURST] += tx;
        if self.cur_packets > 0 {
            let n = self.cur_packets;
            let bucket = |v: u64| usize::try_from(v / n).unwrap_or(HIST - 1).min(HIST - 1);
            let mut total = 0;
            for (i, &v) in self.cur.iter().enumerate() {
                self.clocks[i] += v;
                total += v;
                self.hist[i][bucket(v)] += 1;
            }
            self.hist[STAGES.len()][bucket(total)] += 1;
            self.packets += n;
        }
        self.cur = [0; STAGES.len()];
        self.cur_packets = 0;
    }

    fn clear(&mut self) {
        self.clocks = [0; STAGES.len()];
        self.packets = 0;
        for h in &mut self.hist {
            *h = [0; HIST];
        }
    }

    /// `show runtime` lines: clocks per packet per stage (mean over all packets; median and
    /// 10th percentile over loop iterations).
    fn show(&self, id: usize) -> String {
        if !self.on {
            return String::new();
        }
        let hz = crate::io::tsc_hz();
        let ns = |clocks: f64| {
            if hz > 0 {
                clocks * 1e9 / hz as f64
            } else {
                0.0
            }
        };
        // The q-th percentile (q in %) of a histogram: the first bucket reaching q % of the count.
        let pct = |h: &[u32; HIST], q: u64| {
            let n: u64 = h.iter().map(|&c| u64::from(c)).sum();
            let want = (n * q).div_ceil(100).max(1);
            let mut acc = 0u64;
            for (i, &c) in h.iter().enumerate() {
                acc += u64::from(c);
                if acc >= want {
                    return i as f64;
                }
            }
            0.0
        };
        let pk = self.packets.max(1) as f64;
        let total: u64 = self.clocks.iter().sum();
        let mut s = format!(
            "Worker {id} stages (daemon.profile): {} packets, TSC {:.2} GHz; clocks/packet: \
             mean over packets, median and p10 over loop iterations\n\
             {:<12}{:>10}{:>10}{:>10}{:>12}{:>12}\n",
            self.packets,
            hz as f64 / 1e9,
            "Stage",
            "Mean",
            "Median",
            "P10",
            "ns (mean)",
            "ns (median)"
        );
        for (i, (name, &v)) in STAGES
            .iter()
            .copied()
            .zip(self.clocks.iter())
            .chain([("total", &total)])
            .enumerate()
        {
            let mean = v as f64 / pk;
            let med = pct(&self.hist[i], 50);
            let p10 = pct(&self.hist[i], 10);
            s.push_str(&format!(
                "{name:<12}{mean:>10.1}{med:>10.0}{p10:>10.0}{:>12.2}{:>12.2}\n",
                ns(mean),
                ns(med)
            ));
        }
        s
    }
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

/// A frame's RIF counters, summed per RIF (a frame touches one or two) before they are added to
/// the ring's stats block, so each shared counter is written once per frame.
struct RifAcc<'a> {
    /// sw_if_index -> RIF id (u32::MAX: none).
    map: &'a [u32],
    stats: &'a StatsWriter,
    /// (rif, rx packets, rx bytes, tx packets, tx bytes).
    acc: [(u32, [u64; 4]); 4],
    len: usize,
}

impl<'a> RifAcc<'a> {
    fn new(map: &'a [u32], stats: &'a StatsWriter) -> Self {
        RifAcc {
            map,
            stats,
            acc: [(u32::MAX, [0; 4]); 4],
            len: 0,
        }
    }

    /// Count a run of `pkts` packets (`bytes` bytes) on interface `sw` as received (`tx` false)
    /// or sent on its RIF.
    #[inline]
    fn add_run(&mut self, sw: u32, tx: bool, pkts: usize, bytes: u64) {
        if pkts == 0 {
            return;
        }
        let Some(rif) = usize::try_from(sw)
            .ok()
            .and_then(|i| self.map.get(i))
            .copied()
            .filter(|&r| r != u32::MAX)
        else {
            return;
        };
        let pkts = pkts as u64;
        let k = if tx { 2 } else { 0 };
        if let Some((_, c)) = self.acc[..self.len].iter_mut().find(|(r, _)| *r == rif) {
            c[k] += pkts;
            c[k + 1] += bytes;
        } else if self.len < self.acc.len() {
            let mut c = [0; 4];
            c[k] = pkts;
            c[k + 1] = bytes;
            self.acc[self.len] = (rif, c);
            self.len += 1;
        } else {
            // More RIFs in one frame than slots: add this run directly.
            Self::write(self.stats, rif, k, pkts, bytes);
        }
    }

    fn write(s: &StatsWriter, rif: u32, k: usize, pkts: u64, bytes: u64) {
        let (p, b) = if k == 0 {
            (RifCounter::RxPackets, RifCounter::RxBytes)
        } else {
            (RifCounter::TxPackets, RifCounter::TxBytes)
        };
        s.add_rif(rif, p, pkts);
        s.add_rif(rif, b, bytes);
    }

    /// Add the sums to the stats block.
    fn publish(self) {
        for &(rif, c) in &self.acc[..self.len] {
            if c[0] > 0 {
                Self::write(self.stats, rif, 0, c[0], c[1]);
            }
            if c[2] > 0 {
                Self::write(self.stats, rif, 2, c[2], c[3]);
            }
        }
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
        let clock = crate::io::TscClock::new();
        let mut rx: Vec<Mbuf> = Vec::with_capacity(crate::io::RX_BURST);
        let mut out: Output<Mbuf> = Output::new();
        let mut pcap: Option<Pcap> = None;
        let mut idle: u32 = 0;
        let mut published_errors: Vec<u64> = Vec::new();
        let mut last_publish = 0u64;
        let n_ports = self.txqs.len();
        let c = Arc::clone(&self.counters);
        let mut rif_cache: RifCache = arc_swap::Cache::new(Arc::clone(&self.rif_map));
        let mut prof = StageClock::new(self.profile);
        for q in &mut self.txqs {
            q.profile = self.profile;
        }
        while !self.stop.load(Ordering::Relaxed) {
            if prof.on {
                prof.mark(ST_OTHER);
                prof.end_iteration(self.txqs.iter().map(|q| q.clocks).sum());
            }
            bump(&c.loops, 1);
            let mut work = 0usize;
            for qi in 0..self.rxqs.len() {
                prof.mark(ST_OTHER);
                let (n, bytes) = if prof.on {
                    self.rxqs[qi].rx_marked(&mut rx, || prof.mark(ST_RX_BURST))
                } else {
                    self.rxqs[qi].rx(&mut rx)
                };
                if n == 0 {
                    continue;
                }
                prof.mark(ST_RX_META);
                prof.cur_packets += n as u64;
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
                let now = clock.now();
                prof.mark(ST_RX_COUNT);
                self.engine.process(&mut rx, now, &mut out);
                prof.mark(ST_GRAPH);
                self.dispatch(&mut out, &mut pcap, &mut rif_cache);
                prof.mark(ST_TX_QUEUE);
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
            prof.mark(ST_TX_QUEUE);
            for (p, q) in self.txqs.iter().enumerate() {
                if let Some(pc) = c.port.get(p) {
                    if pc[4].load(Ordering::Relaxed) != q.dropped {
                        pc[4].store(q.dropped, Ordering::Relaxed);
                    }
                }
            }
            if let Ok(req) = self.requests.try_recv() {
                self.handle(req, &mut pcap, &mut prof);
            }
            let now = clock.now();
            if now.wrapping_sub(last_publish) >= 200_000_000 {
                last_publish = now;
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

    /// Send a graph output queue now: port and RIF counters in the same single pass over the
    /// packets (lengths, receive and transmit interfaces), then one tx burst straight from the
    /// vector (left empty, capacity kept).
    fn send_batch(
        &mut self,
        port: u32,
        pkts: &mut Vec<Mbuf>,
        pcap: &mut Option<Pcap>,
        rif: &mut Option<RifAcc<'_>>,
        stats: Option<&StatsWriter>,
    ) {
        let n = pkts.len() as u64;
        let mut bytes = 0u64;
        match rif {
            // Packets of a frame come in runs of the same interface: sum each run, then map it
            // to its RIF once (not once per packet).
            Some(acc) => {
                // A run is (interface, index and running byte total at its first packet); it
                // is counted when the interface changes, so the common packet costs two
                // compares and an add.
                let (mut rx_sw, mut rx_i, mut rx_b) = (u32::MAX, 0usize, 0u64);
                let (mut tx_sw, mut tx_i, mut tx_b) = (u32::MAX, 0usize, 0u64);
                for (i, m) in pkts.iter().enumerate() {
                    let meta = m.meta();
                    if meta.rx_sw_if_index != rx_sw {
                        acc.add_run(rx_sw, false, i - rx_i, bytes - rx_b);
                        (rx_sw, rx_i, rx_b) = (meta.rx_sw_if_index, i, bytes);
                    }
                    if meta.tx_sw_if_index != tx_sw {
                        acc.add_run(tx_sw, true, i - tx_i, bytes - tx_b);
                        (tx_sw, tx_i, tx_b) = (meta.tx_sw_if_index, i, bytes);
                    }
                    bytes += m.len() as u64;
                }
                let end = pkts.len();
                acc.add_run(rx_sw, false, end - rx_i, bytes - rx_b);
                acc.add_run(tx_sw, true, end - tx_i, bytes - tx_b);
            }
            None => bytes = pkts.iter().map(|m| m.len() as u64).sum(),
        }
        let c = &self.counters;
        if !self.admin_up(port) {
            bump(&c.admin_down, n);
            Mbuf::free_bulk(pkts);
            return;
        }
        let Some(q) = usize::try_from(port)
            .ok()
            .and_then(|p| self.txqs.get_mut(p))
        else {
            bump(&c.bad_tx_port, n);
            Mbuf::free_bulk(pkts);
            return;
        };
        if pcap.is_some() {
            for m in pkts.iter() {
                capture(pcap, true, m, &c.pcap_lost);
            }
        }
        q.send(pkts);
        if let Some(pc) = usize::try_from(port).ok().and_then(|p| c.port.get(p)) {
            bump(&pc[2], n);
            bump(&pc[3], bytes);
        }
        if let Some(s) = stats {
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

    fn dispatch(
        &mut self,
        out: &mut Output<Mbuf>,
        pcap: &mut Option<Pcap>,
        rif_cache: &mut RifCache,
    ) {
        // RIF counters (rx on the packet's receive interface, tx on its transmit interface) go
        // to the ring's stats block, aggregated per RIF over the frame. A cached load of the
        // sw_if_index -> RIF map: one pointer comparison per frame unless the map changed.
        // The stats writer is taken out of self for the frame (RifAcc borrows it while
        // send_batch borrows self mutably) and put back at the end.
        let stats = self.stats.take();
        let mut rif = match &stats {
            Some(s) => {
                let map: &[u32] = rif_cache.load();
                (!map.is_empty()).then(|| RifAcc::new(map, s))
            }
            None => None,
        };
        for port in 0..out.tx.len() {
            if out.tx[port].is_empty() {
                continue;
            }
            let mut pkts = std::mem::take(&mut out.tx[port]);
            let p = u32::try_from(port).unwrap_or(u32::MAX);
            self.send_batch(p, &mut pkts, pcap, &mut rif, stats.as_ref());
            // Give the (empty) vector back so its capacity is reused.
            out.tx[port] = pkts;
        }
        let c = &self.counters;
        if !out.punt.is_empty() {
            // Punted packets count as received on their RIF (they carry the host interface in
            // tx_sw_if_index: no RIF transmit).
            if let Some(acc) = &mut rif {
                let (mut sw, mut start) = (u32::MAX, 0usize);
                let (mut bytes, mut start_bytes) = (0u64, 0u64);
                for (i, m) in out.punt.iter().enumerate() {
                    let rx = m.meta().rx_sw_if_index;
                    if rx != sw {
                        acc.add_run(sw, false, i - start, bytes - start_bytes);
                        (sw, start, start_bytes) = (rx, i, bytes);
                    }
                    bytes += m.len() as u64;
                }
                acc.add_run(sw, false, out.punt.len() - start, bytes - start_bytes);
            }
            for m in out.punt.drain(..) {
                match self.punt.push(m) {
                    Ok(()) => bump(&c.punted, 1),
                    Err(_) => bump(&c.punt_queue_full, 1),
                }
            }
        }
        if let Some(acc) = rif {
            acc.publish();
        }
        let drops = out.drop.len() as u64;
        if drops > 0 {
            bump(&c.dropped, drops);
            if let Some(s) = &stats {
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
        self.stats = stats;
    }

    fn handle(&mut self, req: WorkerRequest, pcap: &mut Option<Pcap>, prof: &mut StageClock) {
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
                let mut text = self.engine.show_runtime();
                text.push_str(&prof.show(self.id));
                let _ = tx.send((text, rows));
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
                prof.clear();
            }
            WorkerRequest::PcapStart { rx, tx, sink } => *pcap = Some(Pcap { rx, tx, sink }),
            WorkerRequest::PcapStop => *pcap = None,
        }
    }
}
