//! libsai + sai-dataplane against the real forwarder (`ferrosai-fwd`):
//! - a C program using only the SAI API programs a two-port router on veths; two hosts in their
//!   own namespaces ping each other through it; `get_port_stats` counts the packets; taking a
//!   host's link down raises the port oper-status notification;
//! - the forwarder is killed while 100k routes are being programmed and restarted: the library
//!   replays and the forwarder's FIB equals the library's state;
//! - a library restart (a new process) makes the forwarder flush the old generation.
//!
//! Needs root (namespaces, DPDK); everything is named per process and removed on drop.

mod common;
use common::*;
use sai_dataplane::{Dataplane, Options, RecordingNotifier};
use sai_store::{md, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn id() -> u32 {
    std::process::id() % 100_000
}

#[test]
fn c_program_two_hosts_ping_through_forwarder() {
    assert!(is_root(), "the namespace test needs root");
    let i = id();
    let (h1, h2, fw, host) = (
        format!("sdp-h1-{i}"),
        format!("sdp-h2-{i}"),
        format!("sdp-fw-{i}"),
        format!("sdp-host-{i}"),
    );
    let (va, vb) = (format!("sda{i}"), format!("sdb{i}"));
    let _ns = Netns::new(&[h1.clone(), h2.clone(), fw.clone(), host.clone()]);
    must(&format!(
        "ip link add {va} netns {fw} type veth peer name eth0 netns {h1}"
    ));
    must(&format!(
        "ip link add {vb} netns {fw} type veth peer name eth0 netns {h2}"
    ));
    must(&format!(
        "ip -n {h1} link set eth0 address 02:00:00:00:01:02"
    ));
    must(&format!(
        "ip -n {h2} link set eth0 address 02:00:00:00:02:02"
    ));
    for (ns, dev) in [
        (&h1, "eth0"),
        (&h2, "eth0"),
        (&fw, va.as_str()),
        (&fw, vb.as_str()),
    ] {
        let _ = sh(&format!(
            "ip netns exec {ns} ethtool -K {dev} tx off rx off tso off gso off gro off"
        ));
        must(&format!("ip -n {ns} link set {dev} up"));
    }
    must(&format!("ip -n {h1} addr add 10.0.1.2/24 dev eth0"));
    must(&format!("ip -n {h1} route add default via 10.0.1.1"));
    must(&format!("ip -n {h2} addr add 10.0.2.2/24 dev eth0"));
    must(&format!("ip -n {h2} addr add 10.9.9.9/32 dev lo"));
    must(&format!("ip -n {h2} route add default via 10.0.2.1"));
    // The hosts know the router's MAC (the switch MAC the C program sets).
    must(&format!(
        "ip -n {h1} neigh add 10.0.1.1 lladdr 02:fe:00:00:01:01 dev eth0"
    ));
    must(&format!(
        "ip -n {h2} neigh add 10.0.2.1 lladdr 02:fe:00:00:01:01 dev eth0"
    ));

    let scratch = Scratch::new("ping");
    let exe = compile_c("fwd_l3.c", &scratch.0);
    let lm = lanemap(&scratch.0, &["Ethernet0", "Ethernet4"]);
    let mut fwd = Fwd::new(
        "sdp",
        &[
            format!("Ethernet0=net_af_packet0,iface={va},framecnt=4096,qdisc_bypass=1"),
            format!("Ethernet4=net_af_packet1,iface={vb},framecnt=4096,qdisc_bypass=1"),
        ],
        Some(&fw),
        Some(&host),
    );
    fwd.start();

    let mut child = Command::new(&exe)
        .arg(&fwd.ring)
        .arg(&lm)
        .arg("l3")
        .env("FERROSAI_SAI_LOG", "notice")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = || {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        l.trim().to_string()
    };
    assert_eq!(line(), "ready");

    // The FIB gets the routes, the host namespace the host interfaces.
    wait_for("routes in the forwarder FIB", 20, || {
        let f = fwd.fib4();
        ["10.0.1.0/24", "10.0.2.0/24", "10.0.1.1/32", "10.9.9.0/24"]
            .iter()
            .all(|p| f.iter().any(|(x, _)| x == p))
    });
    let fib = fwd.fib4();
    let kind = |p: &str| fib.iter().find(|x| x.0 == p).map(|x| x.1.clone()).unwrap();
    assert_eq!(kind("10.0.1.1/32"), "local");
    assert_eq!(kind("10.0.1.0/24"), "glean");
    assert_eq!(kind("10.9.9.0/24"), "forward");
    wait_for("host interfaces", 10, || {
        sh(&format!("ip -n {host} link show Ethernet0")).0
            && sh(&format!("ip -n {host} link show Ethernet4")).0
    });

    // Two hosts ping each other (and the remote prefix) through the forwarder.
    must(&format!(
        "ip netns exec {h1} ping -c 3 -i 0.2 -W 2 10.0.2.2"
    ));
    must(&format!(
        "ip netns exec {h2} ping -c 3 -i 0.2 -W 2 10.0.1.2"
    ));
    must(&format!(
        "ip netns exec {h1} ping -c 3 -i 0.2 -W 2 10.9.9.9"
    ));

    // get_port_stats counts them (9 echo requests + 9 replies cross each port each way).
    writeln!(stdin, "stats").unwrap();
    let mut rx = [0u64; 2];
    let mut tx = [0u64; 2];
    for _ in 0..2 {
        let l = line();
        let v: Vec<u64> = l
            .split_whitespace()
            .skip(1)
            .map(|x| x.parse().unwrap())
            .collect();
        let p = usize::try_from(v[0]).unwrap();
        rx[p] = v[1];
        tx[p] = v[2];
        assert!(v[3] >= v[1] * 64, "octets {l}");
    }
    for p in 0..2 {
        assert!(
            rx[p] >= 9 && tx[p] >= 9,
            "port {p}: rx {} tx {}",
            rx[p],
            tx[p]
        );
    }
    // Router-interface counters: forwarded packets in and out of each RIF.
    for p in 0..2 {
        let l = line();
        let v: Vec<u64> = l
            .split_whitespace()
            .skip(2)
            .map(|x| x.parse().unwrap())
            .collect();
        assert!(l.starts_with(&format!("rifstats {p} ")), "{l}");
        assert!(v[0] >= 6 && v[1] >= 6, "RIF {p}: {l}");
    }
    let cap = line();
    assert!(cap.contains("found 3 ucast 0"), "{cap}");

    // Link down on host 2's side: the forwarder's port 1 loses carrier -> notification.
    must(&format!("ip -n {h2} link set eth0 down"));
    writeln!(stdin, "wait-oper 1 down").unwrap();
    assert_eq!(line(), "oper 1 down");
    must(&format!("ip -n {h2} link set eth0 up"));
    writeln!(stdin, "wait-oper 1 up").unwrap();
    assert_eq!(line(), "oper 1 up");

    writeln!(stdin, "quit").unwrap();
    assert_eq!(line(), "shutdowns 0");
    assert_eq!(line(), "bye");
    assert!(child.wait().unwrap().success());
}

fn ot(n: &str) -> u32 {
    md::ot_id(n).unwrap()
}
fn a(n: &str, v: AttrValue) -> Attr {
    Attr::new(md::attr_id(n).unwrap(), v)
}

fn route(sw: u64, vr: u64, addr: u32) -> EntryKey {
    EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(addr)),
                mask: IpAddr::V4(Ipv4Addr::BROADCAST),
            }),
        ],
    }
}

/// Prefixes of the FIB that the library did not program (the daemon's own entries).
fn fib_set(f: &Fwd) -> BTreeSet<String> {
    f.fib4().into_iter().map(|(p, _)| p).collect()
}

fn null_fwd(tag: &str) -> Fwd {
    Fwd::new(
        tag,
        &[
            "Ethernet0=net_null0,no-rx=1".into(),
            "Ethernet4=net_null1,no-rx=1".into(),
        ],
        None,
        None,
    )
}

#[test]
fn forwarder_killed_while_programming_100k_routes_gets_the_full_state() {
    assert!(is_root(), "needs root (DPDK)");
    let scratch = Scratch::new("restart");
    let lm = lanemap(&scratch.0, &["Ethernet0", "Ethernet4"]);
    let mut fwd = null_fwd("sdk");
    fwd.start();
    let base = fib_set(&fwd);

    let sai = Arc::new(
        Sai::new(&Profile::new().with("SAI_VS_INTERFACE_LANE_MAP_FILE", lm.to_str().unwrap()))
            .unwrap(),
    );
    let notes = Arc::new(RecordingNotifier::default());
    let dp =
        Dataplane::attach(&sai, Options::new(&fwd.ring), Box::new(Arc::clone(&notes))).unwrap();
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            0,
            vec![a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true))],
        )
        .unwrap();
    let get = |n: &str| {
        sai.get(ot("SAI_OBJECT_TYPE_SWITCH"), sw, &[md::attr_id(n).unwrap()])
            .unwrap()[0]
            .as_oid()
            .unwrap()
    };
    let vr = get("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    // Drop routes: the forwarder's cheapest kind (IP2ME routes make it recompute addresses).
    let drop_action = AttrValue::I32(
        md::enum_value(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_DROP",
        )
        .unwrap(),
    );
    dp.sync(Duration::from_secs(20)).unwrap();

    let n = 100_000u32;
    let sent0 = dp.counters().sent;
    let prog = {
        let sai = Arc::clone(&sai);
        let drop_action = drop_action.clone();
        std::thread::spawn(move || {
            for b in 0..n / 1000 {
                let items: Vec<_> = (0..1000)
                    .map(|i| {
                        (
                            route(sw, vr, 0x1400_0000 + b * 1000 + i),
                            vec![a("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION", drop_action.clone())],
                        )
                    })
                    .collect();
                let r = sai.bulk_create_entries(items, BulkMode::StopOnError);
                assert_eq!(r.status, 0);
            }
        })
    };
    // Kill the forwarder once some routes are out, while the rest are being programmed.
    let t = Instant::now();
    while dp.counters().sent < sent0 + 10_000 {
        assert!(t.elapsed() < Duration::from_secs(30), "no routes sent");
        std::thread::sleep(Duration::from_micros(200));
    }
    fwd.kill();
    let killed_at = dp.counters().sent - sent0;
    assert!(
        killed_at < u64::from(n),
        "the forwarder was killed only after all {n} routes were sent ({killed_at})"
    );
    std::thread::sleep(Duration::from_millis(300));
    fwd.start();
    prog.join().unwrap();
    wait_for("replay", 30, || dp.counters().replays >= 1);
    dp.sync(Duration::from_secs(60)).unwrap();
    eprintln!(
        "killed after {killed_at} route commands; counters {:?}",
        dp.counters()
    );

    let want: BTreeSet<String> = dp
        .desired_routes()
        .into_iter()
        .map(|(_, p, _)| format!("{}/{}", p.addr(), p.len()))
        .collect();
    assert_eq!(want.len(), n as usize);
    let got = fib_set(&fwd);
    let extra: Vec<_> = got
        .difference(&want)
        .filter(|p| !base.contains(*p))
        .collect();
    let missing: Vec<_> = want.difference(&got).take(5).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "FIB differs: extra {extra:?}, missing {missing:?}"
    );
    assert_eq!(dp.counters().failed(), 0, "{:?}", dp.counters());
    drop(dp);
}

#[test]
fn library_restart_new_process_flushes_the_old_generation() {
    assert!(is_root(), "needs root (DPDK)");
    let scratch = Scratch::new("librestart");
    let exe = compile_c("fwd_l3.c", &scratch.0);
    let lm = lanemap(&scratch.0, &["Ethernet0", "Ethernet4"]);
    let mut fwd = null_fwd("sdl");
    fwd.start();
    let base = fib_set(&fwd);
    let run = |n: &str, from: &str| {
        let o = Command::new(&exe)
            .arg(&fwd.ring)
            .arg(&lm)
            .args(["routes", n, from])
            .output()
            .unwrap();
        assert!(
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("done"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    // Generation 1: 100k routes, the process exits without uninitializing.
    run("100000", "20.0.0.0");
    let t = Instant::now();
    wait_for("100k routes in the FIB", 60, || {
        fib_set(&fwd)
            .iter()
            .filter(|p| p.starts_with("20."))
            .count()
            == 100_000
    });
    eprintln!("100k routes in the FIB after {:?}", t.elapsed());
    // Generation 2 (a new process): 1000 other routes; nothing of generation 1 may remain.
    run("1000", "30.0.0.0");
    let want: BTreeSet<String> = (0..1000u32)
        .map(|i| format!("{}/32", Ipv4Addr::from(0x1e00_0000 + i)))
        .collect();
    wait_for("generation 2 routes", 30, || {
        let f = fib_set(&fwd);
        want.iter().all(|p| f.contains(p))
    });
    let got = fib_set(&fwd);
    let stale: Vec<_> = got
        .iter()
        .filter(|p| !want.contains(*p) && !base.contains(*p))
        .take(5)
        .collect();
    assert!(
        stale.is_empty(),
        "stale entries after a library restart: {stale:?}"
    );
}

/// `Flush` removes the host interfaces too: the same `HostifAdd` after a flush is `Ok` (not
/// `Exists`) and the TAP is there again.
#[test]
fn flush_removes_host_interfaces() {
    use ring_proto::{Command as Cmd, FromForwarder, HostifName, Segment, SegmentConfig};
    assert!(is_root(), "needs root (DPDK, TAPs)");
    let host = format!("sdp-fl-{}", id());
    let _ns = Netns::new(std::slice::from_ref(&host));
    let mut fwd = Fwd::new(
        "sdf",
        &[
            "Ethernet0=net_null0,no-rx=1".into(),
            "Ethernet4=net_null1,no-rx=1".into(),
        ],
        None,
        Some(&host),
    );
    fwd.start();
    let seg = Segment::open_or_create(&SegmentConfig::with_path(&fwd.ring)).unwrap();
    let mut lib = seg.library().unwrap();
    let gen = lib.generation();
    let add = Cmd::HostifAdd {
        id: 1,
        port: 0,
        name: HostifName::new("Ethernet0").unwrap(),
        oper_up: true,
    };
    let mut round = |cmds: &[Cmd]| -> Vec<ring_proto::Status> {
        lib.send_all(cmds, Duration::from_secs(5)).unwrap();
        let mut got = Vec::new();
        let t0 = Instant::now();
        while got.len() < cmds.len() && t0.elapsed() < Duration::from_secs(10) {
            lib.recv(64, |m| {
                if let FromForwarder::Completion(c) = m {
                    got.push(c.status);
                }
            });
            std::thread::sleep(Duration::from_millis(5));
        }
        got
    };
    use ring_proto::Status as S;
    assert_eq!(round(&[add]), vec![S::Ok]);
    wait_for("TAP Ethernet0", 5, || {
        sh(&format!("ip -n {host} link show Ethernet0")).0
    });
    assert_eq!(round(&[Cmd::Flush(gen)]), vec![S::Ok]);
    wait_for("TAP removed by the flush", 5, || {
        !sh(&format!("ip -n {host} link show Ethernet0")).0
    });
    assert_eq!(round(&[add]), vec![S::Ok], "replay after a flush");
    must(&format!("ip -n {host} link show Ethernet0"));
    fwd.stop();
}
