//! ring-proto throughput: messages per second in one process and across two processes, for single
//! records and bursts of 32 and 256.
//!
//! `cargo bench -p bench --bench ring` (add `-- --measurement-time 3` for a short run). The
//! two-process benchmarks re-run this binary as the forwarder (consumer) child over a segment in
//! /dev/shm; the parent is the library and times sending N route commands until the child has
//! consumed (decoded and validated) all of them.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use ring_proto::{
    heap_channel, Command, FromLibrary, Prefix, Record, RouteAction, Segment, SegmentConfig,
};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "RING_BENCH_CHILD";
const RAW_ENV: &str = "RING_BENCH_RAW";
const STOP: u64 = u64::MAX;
const BURSTS: [usize; 3] = [1, 32, 256];

fn routes(n: usize) -> Vec<Command> {
    (0..n)
        .map(|i| {
            let i = u32::try_from(i).unwrap_or(0);
            Command::RouteAdd {
                vrf: 0,
                prefix: Prefix::new(Ipv4Addr::from(0x0a00_0000 | (i << 8)).into(), 24).unwrap(),
                action: RouteAction::NextHop(i % 64),
            }
        })
        .collect()
}

/// Child: the forwarder's command loop without the FIB: receive, validate, count. In raw mode
/// (`RING_BENCH_RAW`) records are only copied out and checked for order (transport alone).
fn child(path: &str) {
    let seg = Segment::open(path.as_ref()).expect("child: open");
    let mut fwd = seg.forwarder().expect("child: attach");
    if std::env::var_os(RAW_ENV).is_some() {
        let mut next_seq = None::<u64>;
        let mut idle = 0;
        loop {
            let mut stop = false;
            let n = fwd.recv_raw(256, |r| {
                if r.kind == ring_proto::Kind::Barrier as u16 {
                    stop = true;
                    return;
                }
                if let Some(s) = next_seq {
                    assert_eq!(r.seq, s, "child: out of order");
                }
                next_seq = Some(r.seq + 1);
                black_box(r);
            });
            if stop {
                return;
            }
            idle = if n == 0 { pause(idle) } else { 0 };
        }
    }
    let mut next_seq = None::<u64>;
    let mut idle = 0;
    let mut used = 0u64;
    loop {
        let mut stop = false;
        let n = fwd.recv(256, |m| match m {
            FromLibrary::Command {
                cmd: Command::Barrier(STOP),
                ..
            } => stop = true,
            FromLibrary::Command { seq, cmd } => {
                if let Some(s) = next_seq {
                    assert_eq!(seq, s, "child: out of order");
                }
                next_seq = Some(seq + 1);
                // Use the fields as a FIB writer would (black_box on the whole enum would force a
                // store/reload of it per message, which no real consumer does).
                if let Command::RouteAdd {
                    vrf,
                    prefix,
                    action: RouteAction::NextHop(nh),
                } = cmd
                {
                    used = used.wrapping_add(u64::from(vrf ^ nh ^ u32::from(prefix.len())));
                }
            }
            FromLibrary::NewLibrary { .. } => {}
            FromLibrary::Invalid { seq, error } => panic!("child: invalid {seq}: {error}"),
        });
        if stop {
            black_box(used);
            return;
        }
        idle = if n == 0 { pause(idle) } else { 0 };
    }
}

/// Spin briefly, then yield the CPU (the machine has two cores shared with other work: a
/// descheduled peer must get to run).
fn pause(idle: u32) -> u32 {
    if idle < 100 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
    idle.saturating_add(1)
}

fn codec(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring/codec_routes");
    let cmds = routes(256);
    let recs: Vec<Record> = cmds.iter().map(Command::encode).collect();
    let limits = ring_proto::Limits::default();
    g.throughput(Throughput::Elements(256));
    g.bench_function("encode", |b| {
        b.iter(|| {
            for c in &cmds {
                black_box(c.encode());
            }
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            for r in &recs {
                let _ = black_box(Command::decode(black_box(r), &limits));
            }
        })
    });
    g.finish();
}

fn in_process(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring/in_process_records");
    for b in BURSTS {
        g.throughput(Throughput::Elements(b as u64));
        let (mut p, mut q) = heap_channel::<Record>(1 << 12, u32::MAX - 1000).unwrap();
        let recs: Vec<Record> = routes(b).iter().map(Command::encode).collect();
        let mut out = vec![Record::default(); b];
        g.bench_function(BenchmarkId::from_parameter(b), |bch| {
            bch.iter(|| {
                let n = p.push_burst(&recs).unwrap();
                let m = q.pop_burst(&mut out[..n]).unwrap();
                black_box(&out[..m]);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("ring/in_process_routes");
    for b in BURSTS {
        g.throughput(Throughput::Elements(b as u64));
        let seg = Segment::in_memory(&SegmentConfig {
            cmd_capacity: 1 << 12,
            ..SegmentConfig::default()
        })
        .unwrap();
        let mut fwd = seg.forwarder().unwrap();
        let mut lib = seg.library().unwrap();
        let cmds = routes(b);
        g.bench_function(BenchmarkId::from_parameter(b), |bch| {
            bch.iter(|| {
                let n = lib.send(&cmds).unwrap();
                let mut used = 0u32;
                let m = fwd.recv(n, |x| {
                    if let FromLibrary::Command {
                        cmd:
                            Command::RouteAdd {
                                vrf,
                                prefix,
                                action: RouteAction::NextHop(nh),
                            },
                        ..
                    } = x
                    {
                        used = used.wrapping_add(vrf ^ nh ^ u32::from(prefix.len()));
                    }
                });
                black_box((m, used));
            })
        });
    }
    g.finish();
}

fn two_process(c: &mut Criterion) {
    two_process_mode(c, false);
    two_process_mode(c, true);
}

/// `raw`: pre-encoded records sent with `send_records` and consumed with `recv_raw` (transport
/// only); otherwise typed routes encoded by `send` and decoded + validated by `recv`.
fn two_process_mode(c: &mut Criterion, raw: bool) {
    let name = if raw {
        "ring/two_process_records"
    } else {
        "ring/two_process_routes"
    };
    let mut g = c.benchmark_group(name);
    for b in BURSTS {
        let path = format!("/dev/shm/ferrosai-bench-ring-{}-{b}", std::process::id());
        let _ = std::fs::remove_file(&path);
        let cfg = SegmentConfig {
            cmd_capacity: 1 << 14,
            ..SegmentConfig::with_path(&path)
        };
        let seg = Segment::create(&cfg).unwrap();
        let mut lib = seg.library().unwrap();
        let mut child_cmd = std::process::Command::new(std::env::current_exe().unwrap());
        child_cmd.env(CHILD_ENV, &path);
        if raw {
            child_cmd.env(RAW_ENV, "1");
        }
        let mut proc = child_cmd.spawn().unwrap();
        let t0 = Instant::now();
        while seg.generation(ring_proto::Side::Forwarder) == 0 {
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "child did not attach"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        lib.recv(1, |_| {}); // learn the forwarder generation
        let cap = lib.free().unwrap();
        let cmds = routes(b);
        let recs: Vec<Record> = cmds.iter().map(Command::encode).collect();
        g.throughput(Throughput::Elements(1));
        g.bench_function(BenchmarkId::from_parameter(b), |bch| {
            bch.iter_custom(|iters| {
                let start = Instant::now();
                let mut sent = 0u64;
                let mut idle = 0;
                while sent < iters {
                    let k = usize::try_from(iters - sent).unwrap_or(usize::MAX).min(b);
                    let n = if raw {
                        lib.send_records(&recs[..k])
                    } else {
                        lib.send(&cmds[..k])
                    }
                    .unwrap();
                    idle = if n == 0 { pause(idle) } else { 0 };
                    sent += n as u64;
                }
                while lib.free().unwrap() != cap {
                    idle = pause(idle);
                }
                start.elapsed()
            })
        });
        lib.send_all(&[Command::Barrier(STOP)], Duration::from_secs(10))
            .unwrap();
        let st = proc.wait().unwrap();
        assert!(st.success(), "child failed: {st}");
        drop(lib);
        drop(seg);
        let _ = std::fs::remove_file(&path);
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .configure_from_args()
}

criterion_group! { name = benches; config = config(); targets = codec, in_process, two_process }

fn main() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
