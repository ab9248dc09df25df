//! Whole IPv4 forwarding path through the fwd-engine graph (ethernet-input -> ip4-input ->
//! ip4-lookup [-> ip4-load-balance] -> ip4-rewrite -> interface-output) on 256-packet frames,
//! with 1k and 1M BGP-like routes and random destinations inside them.
//!
//! Run: `cargo bench -p bench --bench graph`. Criterion reports time per 256-packet frame;
//! the summary lines on stderr give ns/packet and cycles/packet (ns x the CPU clock from
//! /proc/cpuinfo: the bench crate is `forbid(unsafe_code)`, so no rdtsc) and a `show runtime`
//! per-node breakdown. Only `Worker::process` is timed; refilling the frame (fresh headers with
//! new destinations into recycled buffers) is not.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, Criterion, Throughput};
use fwd_engine::buffer::{PacketBuf, PacketMeta, VecBuf};
use fwd_engine::fib::{synth, Adjacency, Fib, FibConfig, FibWriter, LbIndex, LbKind};
use fwd_engine::graph::{Clock, InstantClock, NoClock};
use fwd_engine::interface::{interfaces, IfAddr4, IfWriter, Interface};
use fwd_engine::wire::{checksum, MacAddr};
use fwd_engine::worker::{Output, Worker, WorkerConfig};

const FRAME: usize = 256;
const DSTS: usize = 1 << 20;
const R1: MacAddr = MacAddr([2, 0, 0, 0, 1, 1]);
const H1: MacAddr = MacAddr([2, 0, 0, 0, 1, 0x99]);

/// A pointer-sized packet handle, like the daemon's DPDK `Mbuf` (metadata and data behind one
/// pointer): moving it between the frame and the tx queues copies 8 bytes, not a whole struct.
struct Handle(Box<VecBuf>);

impl PacketBuf for Handle {
    #[inline]
    fn data(&self) -> &[u8] {
        self.0.data()
    }
    #[inline]
    fn data_mut(&mut self) -> &mut [u8] {
        self.0.data_mut()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn adj_head(&mut self, n: usize) -> bool {
        self.0.adj_head(n)
    }
    #[inline]
    fn prepend(&mut self, n: usize) -> bool {
        self.0.prepend(n)
    }
    #[inline]
    fn trim_tail(&mut self, n: usize) -> bool {
        self.0.trim_tail(n)
    }
    #[inline]
    fn append(&mut self, n: usize) -> bool {
        self.0.append(n)
    }
    #[inline]
    fn meta(&self) -> &PacketMeta {
        self.0.meta()
    }
    #[inline]
    fn meta_mut(&mut self) -> &mut PacketMeta {
        self.0.meta_mut()
    }
    fn try_clone(&self) -> Option<Self> {
        Some(Handle(Box::new((*self.0).clone())))
    }
}

struct Setup {
    _fib: FibWriter,
    _ifs: IfWriter,
    fib_r: fwd_engine::fib::FibReader,
    if_r: fwd_engine::interface::IfReader,
    dsts: Vec<u32>,
}

/// `ecmp_every`: every n-th LB is a 2-way ECMP group (0: none).
fn setup(n_routes: usize, ecmp_every: u32) -> Setup {
    let (mut ifs, if_r) = interfaces();
    for (sw, last) in [(1u32, 1u8), (2, 2)] {
        let mut i = Interface::port(sw, MacAddr([2, 0, 0, 0, last, last]));
        i.mtu = 9000;
        i.ip4.push(IfAddr4 {
            addr: std::net::Ipv4Addr::new(10, 0, last, 1),
            prefix_len: 24,
        });
        ifs.upsert(i).expect("interface");
    }
    ifs.publish();
    let (mut fib, fib_r) = Fib::new(FibConfig::default());
    let lbs: Vec<LbIndex> = (0..64u8)
        .map(|i| {
            let hdr = |h: u8| {
                let mut v = vec![2, 0, 0, 0, 0x22, h, 2, 0, 0, 0, 2, 2];
                v.extend([0x08, 0x00]);
                v
            };
            let a = fib
                .add_adjacency(Adjacency::new(2, 9000, &hdr(i)).expect("adj"))
                .expect("add adj");
            if ecmp_every != 0 && u32::from(i) % ecmp_every == 0 {
                let b = fib
                    .add_adjacency(Adjacency::new(2, 9000, &hdr(i | 0x80)).expect("adj"))
                    .expect("add adj");
                fib.add_lb(LbKind::Forward, &[a, b], 2).expect("lb")
            } else {
                fib.add_lb(LbKind::Forward, &[a], 2).expect("lb")
            }
        })
        .collect();
    let routes = synth::bgp_like_v4(n_routes, 42);
    for (i, &(p, l)) in routes.iter().enumerate() {
        fib.route4_add(0, p, l, lbs[i % lbs.len()]).expect("route");
    }
    // `GRAPH_DSTS=<n>`: fewer distinct destinations (cache-resident trie paths), to separate
    // the table's memory misses from the rest.
    let n_dsts = std::env::var("GRAPH_DSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DSTS);
    let mut dsts = synth::dsts_within_v4(&routes, n_dsts, 7);
    // `GRAPH_NO_DEEP=1`: no destination inside a /24 holding a longer route (no lookup needs
    // the third trie level), to measure what the third level costs.
    if std::env::var("GRAPH_NO_DEEP").is_ok() {
        let deep: std::collections::HashSet<u32> = routes
            .iter()
            .filter(|r| r.1 > 24)
            .map(|r| r.0 >> 8)
            .collect();
        dsts.retain(|d| !deep.contains(&(d >> 8)));
    }
    Setup {
        _fib: fib,
        _ifs: ifs,
        fib_r,
        if_r,
        dsts,
    }
}

/// A 60-byte Ethernet + IPv4 + UDP frame to `dst`.
fn frame(dst: u32, sport: u16) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[0..6].copy_from_slice(&R1.0);
    f[6..12].copy_from_slice(&H1.0);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..];
    ip[..12].copy_from_slice(&[0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 17, 0, 0]);
    ip[12..16].copy_from_slice(&[10, 0, 1, 99]);
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = checksum::checksum(&ip[..20]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip[20..22].copy_from_slice(&sport.to_be_bytes());
    ip[22..24].copy_from_slice(&4789u16.to_be_bytes());
    ip[24..26].copy_from_slice(&26u16.to_be_bytes());
    f
}

struct Runner<C: Clock> {
    frame: usize,
    w: Worker<Handle, C>,
    out: Output<Handle>,
    rx: Vec<Handle>,
    pos: usize,
}

impl<C: Clock> Runner<C> {
    fn new(s: &Setup, clock: C, frame: usize) -> Self {
        let w = Worker::new(
            WorkerConfig::default(),
            s.fib_r.clone(),
            s.if_r.clone(),
            clock,
        );
        let rx = (0..frame)
            .map(|_| Handle(Box::new(VecBuf::from_frame(1, &[0u8; 60]))))
            .collect();
        Runner {
            frame,
            w,
            out: Output::new(),
            rx,
            pos: 0,
        }
    }

    /// Refill `rx` with the next 256 destinations, recycling the buffers of the last frame.
    fn refill(&mut self, dsts: &[u32]) {
        for q in &mut self.out.tx {
            self.rx.append(q);
        }
        self.rx.append(&mut self.out.punt);
        self.rx.append(&mut self.out.drop);
        self.out.clear();
        self.rx.truncate(self.frame);
        for (k, b) in self.rx.iter_mut().enumerate() {
            let d = dsts[(self.pos + k) % dsts.len()];
            b.0.reset(1, &frame(d, u16::try_from(k).unwrap_or(0)));
        }
        self.pos = (self.pos + self.frame) % dsts.len();
    }

    fn timed_frame(&mut self, dsts: &[u32]) -> Duration {
        self.refill(dsts);
        let t = Instant::now();
        self.w.process(black_box(&mut self.rx), 0, &mut self.out);
        t.elapsed()
    }
}

fn cpu_ghz() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let mhz = s
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse::<f64>()
        .ok()?;
    Some(mhz / 1000.0)
}

fn summary(label: &str, s: &Setup, frame: usize) {
    // Direct measurement outside criterion for the summary line: 8192 frames = 2M packets,
    // each frame timed alone. The machine is shared (2 cores, several builds running), so the
    // median and the 10th percentile are reported; the mean is in criterion's output.
    let mut r = Runner::new(s, NoClock, frame);
    for _ in 0..256 {
        r.timed_frame(&s.dsts);
    }
    let frames = 8192 * FRAME / frame;
    let mut t: Vec<f64> = (0..frames)
        .map(|_| r.timed_frame(&s.dsts).as_secs_f64() * 1e9 / frame as f64)
        .collect();
    let st = r.w.stats();
    assert_eq!(
        st.tx,
        st.rx,
        "every packet forwarded: {st:?}\n{}",
        r.w.show_errors()
    );
    t.sort_by(f64::total_cmp);
    let (p10, med) = (t[frames / 10], t[frames / 2]);
    let ghz = cpu_ghz().unwrap_or(0.0);
    eprintln!(
        "[graph] {label}: median {med:.1} ns/packet ({:.0} cycles at {ghz:.2} GHz, {:.1} Mpps), \
         p10 {p10:.1} ns/packet ({:.0} cycles)",
        med * ghz,
        1e3 / med,
        p10 * ghz
    );
    // Per-node breakdown with a real clock (adds two clock reads per node dispatch), and the
    // share of the frame time spent outside the nodes (dispatch setup, final distribution).
    // 16 rounds of 128 frames; the round with the least total time is shown (the others are
    // more likely to include preemption by other processes).
    let mut r = Runner::new(s, InstantClock::new(), frame);
    let n = 128 * FRAME / frame;
    let mut best: Option<(Duration, String, f64)> = None;
    for _ in 0..16 {
        r.w.clear_counters();
        let mut total = Duration::ZERO;
        for _ in 0..n {
            total += r.timed_frame(&s.dsts);
        }
        let in_nodes: u64 = r.w.runtime().iter().map(|n| n.clocks).sum();
        if best.as_ref().is_none_or(|b| total < b.0) {
            best = Some((total, r.w.show_runtime(), in_nodes as f64));
        }
    }
    if let Some((total, table, in_nodes)) = best {
        let pk = (n * frame) as f64;
        eprintln!(
            "[graph] {label} show runtime, best of 16 rounds (clocks = ns); frame {:.1} \
             ns/packet, in nodes {:.1}:\n{table}",
            total.as_secs_f64() * 1e9 / pk,
            in_nodes / pk,
        );
    }
}

fn bench_graph(c: &mut Criterion) {
    for (n, label) in [(1_000usize, "1k"), (1_000_000, "1M")] {
        for (ecmp, kind) in [(0u32, "single-nh"), (4, "ecmp-quarter")] {
            let s = setup(n, ecmp);
            // 256: the graph's frame size; 32: a typical DPDK rx burst handed over as is.
            let frames: &[usize] = if ecmp == 0 { &[FRAME, 32] } else { &[FRAME] };
            for &frame in frames {
                let name = format!("ip4_path/{label}/{kind}");
                summary(&format!("{name}/frame{frame}"), &s, frame);
                let mut g = c.benchmark_group(&name);
                g.throughput(Throughput::Elements(frame as u64));
                let mut r = Runner::new(&s, NoClock, frame);
                g.bench_function(format!("frame{frame}"), |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            total += r.timed_frame(&s.dsts);
                        }
                        total
                    })
                });
                g.finish();
            }
        }
    }
}

/// Deterministic mode for callgrind: `GRAPH_CALLGRIND=<routes>[,<frames>[,<ecmp>]]` sets up
/// the FIB (single next hops; with `<ecmp>` = n, every n-th LB a 2-way ECMP group), runs the given number of 256-packet frames (default 512) through
/// `Worker::process` and exits without criterion. Count only the forwarding with
/// `valgrind --tool=callgrind --toggle-collect='*Worker*process*' <bench binary>`.
fn callgrind_mode(spec: &str) {
    let mut it = spec.split(',');
    let routes = it.next().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let frames: usize = it.next().and_then(|v| v.parse().ok()).unwrap_or(512);
    let ecmp: u32 = it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let s = setup(routes, ecmp);
    let mut r = Runner::new(&s, NoClock, FRAME);
    for _ in 0..frames {
        r.timed_frame(&s.dsts);
    }
    let st = r.w.stats();
    assert_eq!(st.tx, st.rx, "every packet forwarded: {st:?}");
    eprintln!(
        "[graph] callgrind mode: {routes} routes, {frames} frames of {FRAME}, {} packets",
        st.rx
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench_graph
}

fn main() {
    if let Ok(spec) = std::env::var("GRAPH_CALLGRIND") {
        callgrind_mode(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
