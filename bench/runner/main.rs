//! `bench-runner`: the Rust half of `bench/run.sh` (the side-by-side benchmark runner).
//!
//! Subcommands (all output on stdout as `key=value` lines, easy to read from bash):
//!
//! - `gen --routes N --packets P --dir D [--seed S]`: the route set of the run (BGP-like prefix
//!   length mix from `fwd_engine::fib::synth`) and its traffic: `D/pkts-N.pcap` (P real 64-byte
//!   IPv4/UDP frames, 60 bytes without FCS, destinations spread over the N routes, correct IPv4
//!   checksum, Ethernet destination = the forwarder's RIF MAC on port 0), and DPDK l3fwd's rule
//!   files `D/l3fwd-v4-N.cfg` (every route to port 1) and `D/l3fwd-v6-N.cfg`.
//! - `program --ring PATH --routes N [--seed S] [--withdraw]`: attaches to a running
//!   `ferrosai-fwd` as the library side of the ring, programs two RIFs, 64 resolved next hops
//!   and the same N routes, pipelined, waits for every completion (that is: the routes are in
//!   the forwarder's FIB), and reports the rate. `--withdraw` then deletes all N and adds them
//!   again, both timed. The routes stay programmed when the helper exits.
//! - `latency --tx IF --rx IF [--base-tx IF --base-rx IF] [--routes N] [--duration S]
//!   [--trial S] [--loads 0.1,0.5,0.9] [--loss F] [--steps K]`: per-packet latency through a
//!   forwarder between veths and over a direct veth pair (see `latency.rs`); JSON on stdout.
//! - `saimem --routes N`: resident memory of a process holding libsai's object store
//!   (`sai_store::Sai`, BCM56850 default switch) with N IPv4 routes (the run's BGP-like set,
//!   packet action DROP) created by bulk calls of 1000: bytes per stored route.
#![forbid(unsafe_code)]

mod latency;

use std::io::{BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use fwd_engine::fib::synth;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use ring_proto::{Command, FromForwarder, Prefix, Rif, RifType, RouteAction, Segment, Status};

/// MAC of the forwarder's RIF on port 0 (the ingress): the frames' Ethernet destination.
const RIF1_MAC: [u8; 6] = [0x02, 0xfe, 0x00, 0x00, 0x00, 0x01];
/// MAC of the forwarder's RIF on port 1 (the egress).
const RIF2_MAC: [u8; 6] = [0x02, 0xfe, 0x00, 0x00, 0x00, 0x02];
/// Source MAC of the generated frames.
const SRC_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x01, 0x02];
/// Next hops (neighbours on the egress RIF) the routes are spread over.
const NEXT_HOPS: u32 = 64;
/// VRF of the run.
const VRF: u32 = 7;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(String::as_str) {
        Some("gen") => Opts::parse(&args[1..]).and_then(|o| gen(&o)),
        Some("program") => Opts::parse(&args[1..]).and_then(|o| program(&o)),
        Some("saimem") => Opts::parse(&args[1..]).and_then(|o| saimem(&o)),
        Some("latency") => latency::LatOpts::parse(&args[1..]).and_then(|o| latency::latency(&o)),
        _ => Err(
            "usage: bench-runner gen --routes N --packets P --dir D [--seed S]\n       \
                  bench-runner program --ring PATH --routes N [--seed S] [--withdraw]\n       \
                  bench-runner saimem --routes N [--seed S]\n       \
                  bench-runner latency --tx IF --rx IF [--base-tx IF --base-rx IF] [--routes N] \
                  [--duration S] [--trial S] [--loads F,F,..] [--loss F] [--steps K]"
                .to_string(),
        ),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-runner: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(Default)]
struct Opts {
    routes: usize,
    packets: usize,
    seed: u64,
    dir: Option<PathBuf>,
    ring: Option<PathBuf>,
    withdraw: bool,
}

impl Opts {
    fn parse(a: &[String]) -> Result<Opts, String> {
        let mut o = Opts {
            seed: 1,
            packets: 16384,
            ..Opts::default()
        };
        let mut i = 0;
        while i < a.len() {
            let val = |i: usize| {
                a.get(i + 1)
                    .cloned()
                    .ok_or_else(|| format!("{}: missing value", a[i]))
            };
            let num = |i: usize| -> Result<u64, String> {
                let v = val(i)?;
                v.parse::<u64>()
                    .map_err(|e| format!("{}: {v:?}: {e}", a[i]))
            };
            let size = |i: usize| -> Result<usize, String> {
                usize::try_from(num(i)?).map_err(|e| format!("{}: {e}", a[i]))
            };
            match a[i].as_str() {
                "--routes" => o.routes = size(i)?,
                "--packets" => o.packets = size(i)?,
                "--seed" => o.seed = num(i)?,
                "--dir" => o.dir = Some(PathBuf::from(val(i)?)),
                "--ring" => o.ring = Some(PathBuf::from(val(i)?)),
                "--withdraw" => {
                    o.withdraw = true;
                    i += 1;
                    continue;
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
            i += 2;
        }
        if o.packets == 0 {
            return Err("--packets: must be at least 1".into());
        }
        Ok(o)
    }
}

/// The run's routes: BGP-like mix, seeded.
fn routes(o: &Opts) -> Vec<(u32, u8)> {
    synth::bgp_like_v4(o.routes, o.seed)
}

/// One 60-byte Ethernet/IPv4/UDP frame (64 bytes on the wire with the FCS).
fn frame(dst: u32, i: u32) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[0..6].copy_from_slice(&RIF1_MAC);
    f[6..12].copy_from_slice(&SRC_MAC);
    f[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes()); // 20 IP + 8 UDP + 18 payload
    ip[4..6].copy_from_slice(&(i & 0xffff).to_be_bytes()[2..4]);
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&Ipv4Addr::new(10, 0, 1, 2).octets());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    let mut sum = 0u32;
    for w in ip.chunks_exact(2) {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let csum = !u16::try_from(sum).unwrap_or(0xffff);
    ip[10..12].copy_from_slice(&csum.to_be_bytes());
    let udp = &mut f[34..42];
    // Source port varies (flows), destination port fixed; UDP checksum 0 (none).
    let sport = 1024 + u16::try_from(i % 50_000).unwrap_or(0);
    udp[0..2].copy_from_slice(&sport.to_be_bytes());
    udp[2..4].copy_from_slice(&9u16.to_be_bytes());
    udp[4..6].copy_from_slice(&26u16.to_be_bytes());
    f[42..46].copy_from_slice(&i.to_be_bytes());
    f
}

fn create(p: &Path) -> Result<BufWriter<std::fs::File>, String> {
    std::fs::File::create(p)
        .map(BufWriter::new)
        .map_err(|e| format!("{}: {e}", p.display()))
}

fn gen(o: &Opts) -> Result<(), String> {
    let dir = o.dir.as_deref().ok_or("gen: --dir is required")?;
    let rs = routes(o);
    // Destinations: a random address inside a random route (so with 1M routes, P distinct
    // routes are hit); with 0 routes, addresses in the egress subnet.
    let dsts = if rs.is_empty() {
        (0..o.packets)
            .map(|i| u32::from(Ipv4Addr::new(10, 0, 2, 10)) + u32::try_from(i % 64).unwrap_or(0))
            .collect()
    } else {
        synth::dsts_within_v4(&rs, o.packets, o.seed ^ 0x5eed)
    };
    let pcap = dir.join(format!("pkts-{}.pcap", o.routes));
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        snaplen: 65535,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(create(&pcap)?, header).map_err(|e| e.to_string())?;
    for (i, d) in dsts.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        let f = frame(*d, i);
        let ts = Duration::from_micros(u64::from(i));
        w.write_packet(&PcapPacket::new(ts, 60, &f))
            .map_err(|e| e.to_string())?;
    }
    w.into_writer().flush().map_err(|e| e.to_string())?;
    // l3fwd rule files: `R<addr>/<len> <port>`; every route out of port 1. l3fwd wants a v6
    // file too: one route.
    let v4 = dir.join(format!("l3fwd-v4-{}.cfg", o.routes));
    let mut f = create(&v4)?;
    for (p, l) in &rs {
        writeln!(f, "R{}/{} 1", Ipv4Addr::from(*p), l).map_err(|e| e.to_string())?;
    }
    if rs.is_empty() {
        writeln!(f, "R10.0.2.0/24 1").map_err(|e| e.to_string())?;
    }
    f.flush().map_err(|e| e.to_string())?;
    let v6 = dir.join(format!("l3fwd-v6-{}.cfg", o.routes));
    let mut f = create(&v6)?;
    writeln!(f, "R2001:db8::/32 1").map_err(|e| e.to_string())?;
    f.flush().map_err(|e| e.to_string())?;
    let mut lens = [0usize; 33];
    for (_, l) in &rs {
        lens[usize::from(*l)] += 1;
    }
    let mix: Vec<String> = lens
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(l, n)| format!("/{l}:{n}"))
        .collect();
    println!("routes={}", rs.len());
    println!("packets={}", dsts.len());
    println!("pcap={}", pcap.display());
    println!("l3fwd_v4={}", v4.display());
    println!("l3fwd_v6={}", v6.display());
    println!("length_mix={}", mix.join(","));
    Ok(())
}

fn neighbor_ip(i: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 0, 2, 10)) + i))
}

/// Sends `cmds` pipelined (as many as the ring takes, completions drained meanwhile) and waits
/// for every completion. Returns (elapsed, non-Ok completions).
fn run_cmds(
    lib: &mut ring_proto::Library,
    cmds: &[Command],
    timeout: Duration,
) -> Result<(Duration, u64), String> {
    let t0 = Instant::now();
    let mut sent = 0usize;
    let mut done = 0usize;
    let mut bad = 0u64;
    let mut first_bad: Option<String> = None;
    while done < cmds.len() {
        if sent < cmds.len() {
            let end = (sent + 4096).min(cmds.len());
            sent += lib
                .send(&cmds[sent..end])
                .map_err(|e| format!("ring send: {e:?}"))?;
        }
        let n = lib.recv(4096, |m| {
            if let FromForwarder::Completion(c) = m {
                done += 1;
                if c.status != Status::Ok {
                    bad += 1;
                    if first_bad.is_none() {
                        first_bad = Some(format!("{c:?}"));
                    }
                }
            }
        });
        if n == 0 {
            if t0.elapsed() > timeout {
                return Err(format!(
                    "timeout: {done} of {} completions after {:?}",
                    cmds.len(),
                    t0.elapsed()
                ));
            }
            std::thread::yield_now();
        }
    }
    if let Some(b) = first_bad {
        eprintln!("bench-runner: {bad} commands not Ok, first: {b}");
    }
    Ok((t0.elapsed(), bad))
}

fn rate(n: usize, d: Duration) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "a rate for display; n < 2^52 here"
    )]
    let n = n as f64;
    n / d.as_secs_f64().max(1e-9)
}

fn program(o: &Opts) -> Result<(), String> {
    let ring = o.ring.as_deref().ok_or("program: --ring is required")?;
    let seg = Segment::open(ring).map_err(|e| format!("{}: {e:?}", ring.display()))?;
    let mut lib = seg.library().map_err(|e| format!("library side: {e:?}"))?;
    lib.recv(64, |_| {});
    let rif = |id: u32, port: u32, mac: [u8; 6]| Rif {
        rif: id,
        rif_type: RifType::Port,
        port,
        vlan: 0,
        mac,
        mtu: 1500,
        vrf: VRF,
        v4_admin: true,
        v6_admin: true,
    };
    let p4 = |a: [u8; 4], l: u8| Prefix::new(IpAddr::V4(Ipv4Addr::from(a)), l);
    let mut setup = vec![
        Command::VrfAdd(VRF),
        Command::RifAdd(rif(1, 0, RIF1_MAC)),
        Command::RifAdd(rif(2, 1, RIF2_MAC)),
    ];
    for (a, r) in [([10, 0, 1, 0], 1), ([10, 0, 2, 0], 2)] {
        setup.push(Command::RouteAdd {
            vrf: VRF,
            prefix: p4(a, 24).ok_or("prefix")?,
            action: RouteAction::Connected(r),
        });
    }
    for i in 0..NEXT_HOPS {
        let last = u8::try_from(i).unwrap_or(0);
        setup.push(Command::NeighborAdd {
            rif: 2,
            ip: neighbor_ip(i),
            mac: [0x02, 0x00, 0x00, 0x00, 0x02, last],
        });
        setup.push(Command::NextHopAdd {
            id: i + 1,
            ip: neighbor_ip(i),
            rif: 2,
        });
    }
    setup.push(Command::Barrier(1));
    let (_, bad) = run_cmds(&mut lib, &setup, Duration::from_secs(10))?;
    if bad > 0 {
        return Err(format!("setup: {bad} commands failed"));
    }
    let rs = routes(o);
    let prefixes: Vec<Prefix> = rs.iter().filter_map(|&(p, l)| Prefix::v4(p, l)).collect();
    let adds: Vec<Command> = prefixes
        .iter()
        .enumerate()
        .map(|(i, p)| Command::RouteAdd {
            vrf: VRF,
            prefix: *p,
            action: RouteAction::NextHop(1 + u32::try_from(i).unwrap_or(0) % NEXT_HOPS),
        })
        .collect();
    let limit = Duration::from_secs(120);
    let (d, bad) = run_cmds(&mut lib, &adds, limit)?;
    println!("routes={}", adds.len());
    println!("add_s={:.4}", d.as_secs_f64());
    println!("add_rate={:.0}", rate(adds.len(), d));
    println!("add_not_ok={bad}");
    if o.withdraw {
        let dels: Vec<Command> = prefixes
            .iter()
            .map(|p| Command::RouteDel {
                vrf: VRF,
                prefix: *p,
            })
            .collect();
        let (d, bad) = run_cmds(&mut lib, &dels, limit)?;
        println!("del_s={:.4}", d.as_secs_f64());
        println!("del_rate={:.0}", rate(dels.len(), d));
        println!("del_not_ok={bad}");
        let (d, bad) = run_cmds(&mut lib, &adds, limit)?;
        println!("readd_s={:.4}", d.as_secs_f64());
        println!("readd_rate={:.0}", rate(adds.len(), d));
        println!("readd_not_ok={bad}");
    }
    Ok(())
}

/// VmRSS of this process, kB.
fn rss_kb() -> Result<u64, String> {
    let s = std::fs::read_to_string("/proc/self/status").map_err(|e| format!("/proc: {e}"))?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_string())
}

fn saimem(o: &Opts) -> Result<(), String> {
    use sai_store::{md, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};
    let id = |n: &str| md::attr_id(n).ok_or_else(|| format!("no attribute {n}"));
    let ot = |n: &str| md::ot_id(n).ok_or_else(|| format!("no object type {n}"));
    let sai = Sai::new(&Profile::new()).map_err(|e| format!("profile: {e:?}"))?;
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH")?,
            0,
            vec![Attr::new(
                id("SAI_SWITCH_ATTR_INIT_SWITCH")?,
                AttrValue::Bool(true),
            )],
        )
        .map_err(|e| format!("create switch: {e:?}"))?;
    let vr = sai
        .get(
            ot("SAI_OBJECT_TYPE_SWITCH")?,
            sw,
            &[id("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")?],
        )
        .map_err(|e| format!("get VR: {e:?}"))?
        .first()
        .and_then(AttrValue::as_oid)
        .ok_or("no default virtual router")?;
    let drop = md::enum_value(
        "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
        "SAI_PACKET_ACTION_DROP",
    )
    .ok_or("no SAI_PACKET_ACTION_DROP")?;
    let action = Attr::new(
        id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION")?,
        AttrValue::I32(drop),
    );
    let route_ot = ot("SAI_OBJECT_TYPE_ROUTE_ENTRY")?;
    let rs = routes(o);
    let rss0 = rss_kb()?;
    let t = Instant::now();
    for chunk in rs.chunks(1000) {
        let items: Vec<(EntryKey, Vec<Attr>)> = chunk
            .iter()
            .map(|&(p, l)| {
                let mask = u32::MAX.checked_shl(32 - u32::from(l)).unwrap_or(0);
                let key = EntryKey {
                    ot: route_ot,
                    members: vec![
                        AttrValue::Oid(sw),
                        AttrValue::Oid(vr),
                        AttrValue::IpPrefix(IpPrefix {
                            addr: IpAddr::V4(Ipv4Addr::from(p)),
                            mask: IpAddr::V4(Ipv4Addr::from(mask)),
                        }),
                    ],
                };
                (key, vec![action.clone()])
            })
            .collect();
        let st = sai.bulk_create_entries(items, BulkMode::StopOnError);
        if st.status != 0 {
            return Err(format!("bulk create: status {}", st.status));
        }
    }
    let d = t.elapsed();
    let rss1 = rss_kb()?;
    println!("routes={}", rs.len());
    println!("create_s={:.3}", d.as_secs_f64());
    println!("rss0_kb={rss0}");
    println!("rss1_kb={rss1}");
    // kB and route counts fit in u32 here (< 4 TB, < 4G routes): f64::from is exact.
    let delta_kb = u32::try_from(rss1.saturating_sub(rss0)).unwrap_or(u32::MAX);
    let n = u32::try_from(rs.len().max(1)).unwrap_or(u32::MAX);
    println!("delta_kb={delta_kb}");
    println!(
        "bytes_per_route={:.0}",
        f64::from(delta_kb) * 1024.0 / f64::from(n)
    );
    Ok(())
}
