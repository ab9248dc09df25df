//! The programmer against an in-process ring and a fake forwarder (no daemon): SAI calls through
//! the store produce exactly the expected ring commands; a bulk call is one burst sequence; a
//! forwarder restart replays the full state; link events become notifications; counters come
//! from the stats region.

use ring_proto::{
    Command, Completion, Forwarder, FromLibrary, PortCounter, Prefix, Rif, RifType, RouteAction,
    Segment, SegmentConfig, Status,
};
use sai_dataplane::{Dataplane, Options, RecordingNotifier, SyncError};
use sai_store::{md, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai, StatsMode};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn ot(n: &str) -> u32 {
    md::ot_id(n).unwrap()
}
fn a(n: &str, v: AttrValue) -> Attr {
    Attr::new(md::attr_id(n).unwrap(), v)
}
fn ev(attr: &str, m: &str) -> AttrValue {
    AttrValue::I32(md::enum_value(attr, m).unwrap())
}
fn get_oid(sai: &Sai, o: u64, attr: &str) -> u64 {
    let t = sai.object_type_query(o);
    sai.get(t, o, &[md::attr_id(attr).unwrap()]).unwrap()[0]
        .as_oid()
        .unwrap()
}

/// The switch's port list.
fn port_list(sai: &Sai, sw: u64) -> Vec<u64> {
    sai.get(
        sai.object_type_query(sw),
        sw,
        &[md::attr_id("SAI_SWITCH_ATTR_PORT_LIST").unwrap()],
    )
    .unwrap()[0]
        .as_oid_list()
        .unwrap()
        .to_vec()
}

/// A fake forwarder on its own thread: records commands, answers Ok (or `TableFull` for routes
/// beyond `route_limit`), bumps its heartbeat.
struct Fake {
    /// While set, the fake neither reads commands nor beats (a stalled forwarder).
    pause: Arc<AtomicBool>,
    cmds: Arc<Mutex<Vec<Command>>>,
    new_libs: Arc<Mutex<u32>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Forwarder>>,
}

impl Fake {
    fn start(seg: &Segment, route_limit: usize) -> Fake {
        let fwd = seg.forwarder().unwrap();
        Self::run(fwd, route_limit)
    }

    fn run(mut fwd: Forwarder, route_limit: usize) -> Fake {
        let cmds = Arc::new(Mutex::new(Vec::new()));
        let new_libs = Arc::new(Mutex::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let pause = Arc::new(AtomicBool::new(false));
        let (c, n, s) = (Arc::clone(&cmds), Arc::clone(&new_libs), Arc::clone(&stop));
        let pz = Arc::clone(&pause);
        let thread = std::thread::spawn(move || {
            let mut routes = 0usize;
            while !s.load(Ordering::Acquire) {
                if pz.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let mut done = Vec::new();
                let got = fwd.recv(4096, |m| match m {
                    FromLibrary::Command { seq, cmd } => {
                        let mut status = Status::Ok;
                        if let Command::RouteAdd { .. } = cmd {
                            routes += 1;
                            if routes > route_limit {
                                status = Status::TableFull;
                            }
                        }
                        c.lock().unwrap().push(cmd);
                        done.push(Completion {
                            seq,
                            status,
                            object_id: 0,
                        });
                    }
                    FromLibrary::NewLibrary { .. } => *n.lock().unwrap() += 1,
                    FromLibrary::Invalid { seq, .. } => done.push(Completion {
                        seq,
                        status: Status::Invalid,
                        object_id: 0,
                    }),
                });
                fwd.complete_all(&done, Duration::from_secs(5)).unwrap();
                fwd.heartbeat();
                if got == 0 {
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
            fwd
        });
        Fake {
            pause,
            cmds,
            new_libs,
            stop,
            thread: Some(thread),
        }
    }

    fn take(&self) -> Vec<Command> {
        std::mem::take(&mut *self.cmds.lock().unwrap())
    }

    fn stop(mut self) -> Forwarder {
        self.stop.store(true, Ordering::Release);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Env {
    sai: Arc<Sai>,
    sw: u64,
    dp: Dataplane,
    notes: Arc<RecordingNotifier>,
    _lanemap: tempfile_path::TempPath,
}

mod tempfile_path {
    /// A file removed on drop.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn setup(seg: &Segment) -> Env {
    setup_with(seg, Duration::from_secs(3))
}

fn setup_with(seg: &Segment, stall: Duration) -> Env {
    let path = std::env::temp_dir().join(format!(
        "sai-dataplane-lanemap-{}-{:?}.ini",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, "Ethernet0:25,26,27,28\nEthernet4:29,30,31,32\n").unwrap();
    let profile = Profile::new().with("SAI_VS_INTERFACE_LANE_MAP_FILE", path.to_str().unwrap());
    let sai = Arc::new(Sai::new(&profile).unwrap());
    let notes = Arc::new(RecordingNotifier::default());
    let mut opts = Options::new("/unused");
    // The forwarder names its ports in another order than the lane map: mapping is by name.
    opts.fwd_ports = Some(vec!["Ethernet4".into(), "Ethernet0".into()]);
    opts.lost_after = Duration::from_millis(300);
    opts.stall_timeout = stall;
    let dp =
        Dataplane::attach_segment(&sai, seg.clone(), opts, Box::new(Arc::clone(&notes))).unwrap();
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            0,
            vec![
                a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true)),
                a(
                    "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS",
                    AttrValue::Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]),
                ),
            ],
        )
        .unwrap();
    Env {
        sai,
        sw,
        dp,
        notes,
        _lanemap: tempfile_path::TempPath(path),
    }
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(20), "timeout: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn route_key(sw: u64, vr: u64, addr: u32, len: u8) -> EntryKey {
    EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(addr)),
                mask: IpAddr::V4(Ipv4Addr::from(if len == 0 {
                    0
                } else {
                    u32::MAX << (32 - len)
                })),
            }),
        ],
    }
}

/// Ports, RIF, neighbor, next hop, routes: the exact commands.
#[test]
fn sai_calls_become_exact_commands() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let fake = Fake::start(&seg, usize::MAX);
    let e = setup(&seg);
    e.dp.sync(Duration::from_secs(10)).unwrap();
    let first = fake.take();
    // Switch creation: the two lane-map ports (forwarder ids by name) and the default VRF.
    let ports: Vec<_> = first
        .iter()
        .filter_map(|c| match c {
            Command::PortSet(p) => Some((p.port, p.admin_up, p.mtu)),
            _ => None,
        })
        .collect();
    assert_eq!(ports, vec![(1, false, 1514), (0, false, 1514)]);
    assert!(first.contains(&Command::VrfAdd(0)));

    let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    let sai = &e.sai;
    let sw = e.sw;
    let vr = get_oid(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    let cpu = get_oid(sai, sw, "SAI_SWITCH_ATTR_CPU_PORT");
    let plist = port_list(sai, sw);
    let port_t = ot("SAI_OBJECT_TYPE_PORT");
    // Ethernet0 (lanes 25..) is forwarder port 1.
    let eth0 = plist[0];
    sai.set(
        port_t,
        eth0,
        a("SAI_PORT_ATTR_ADMIN_STATE", AttrValue::Bool(true)),
    )
    .unwrap();
    sai.set(port_t, eth0, a("SAI_PORT_ATTR_MTU", AttrValue::U32(9100)))
        .unwrap();
    let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let rif = sai
        .create(
            rif_t,
            sw,
            vec![
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                    AttrValue::Oid(vr),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                    ev(
                        "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                        "SAI_ROUTER_INTERFACE_TYPE_PORT",
                    ),
                ),
                a("SAI_ROUTER_INTERFACE_ATTR_PORT_ID", AttrValue::Oid(eth0)),
                a("SAI_ROUTER_INTERFACE_ATTR_MTU", AttrValue::U32(9100)),
            ],
        )
        .unwrap();
    let nb_ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
    let nmac = [2, 0, 0, 0, 0, 2];
    sai.create_entry(
        EntryKey {
            ot: ot("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY"),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(rif),
                AttrValue::IpAddr(nb_ip),
            ],
        },
        vec![a(
            "SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS",
            AttrValue::Mac(nmac),
        )],
    )
    .unwrap();
    let nh = sai
        .create(
            ot("SAI_OBJECT_TYPE_NEXT_HOP"),
            sw,
            vec![
                a(
                    "SAI_NEXT_HOP_ATTR_TYPE",
                    ev("SAI_NEXT_HOP_ATTR_TYPE", "SAI_NEXT_HOP_TYPE_IP"),
                ),
                a("SAI_NEXT_HOP_ATTR_IP", AttrValue::IpAddr(nb_ip)),
                a("SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID", AttrValue::Oid(rif)),
            ],
        )
        .unwrap();
    let nh_attr = |o| vec![a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(o))];
    // Connected subnet, IP2ME, a remote route, a drop route and a trap route.
    sai.create_entry(route_key(sw, vr, 0x0a00_0000, 24), nh_attr(rif))
        .unwrap();
    sai.create_entry(route_key(sw, vr, 0x0a00_0001, 32), nh_attr(cpu))
        .unwrap();
    sai.create_entry(route_key(sw, vr, 0x0b00_0000, 16), nh_attr(nh))
        .unwrap();
    let pa = |m| {
        vec![a(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            ev("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION", m),
        )]
    };
    sai.create_entry(
        route_key(sw, vr, 0x0c00_0000, 8),
        pa("SAI_PACKET_ACTION_DROP"),
    )
    .unwrap();
    sai.create_entry(
        route_key(sw, vr, 0x0d00_0000, 8),
        pa("SAI_PACKET_ACTION_TRAP"),
    )
    .unwrap();
    // A set changes the route in place; a remove deletes it.
    sai.set_entry(
        &route_key(sw, vr, 0x0c00_0000, 8),
        a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(nh)),
    )
    .unwrap();
    sai.set_entry(
        &route_key(sw, vr, 0x0c00_0000, 8),
        pa("SAI_PACKET_ACTION_FORWARD").remove(0),
    )
    .unwrap();
    sai.remove_entry(&route_key(sw, vr, 0x0d00_0000, 8))
        .unwrap();
    e.dp.sync(Duration::from_secs(10)).unwrap();

    let p4 = |a: u32, l| Prefix::new(IpAddr::V4(Ipv4Addr::from(a)), l).unwrap();
    let expect = vec![
        Command::PortSet(ring_proto::Port {
            port: 1,
            admin_up: true,
            mtu: 1514,
            mac,
            speed_mbps: 40000,
        }),
        Command::PortSet(ring_proto::Port {
            port: 1,
            admin_up: true,
            mtu: 9100,
            mac,
            speed_mbps: 40000,
        }),
        Command::RifAdd(Rif {
            rif: 1,
            rif_type: RifType::Port,
            port: 1,
            vlan: 0,
            mac,
            mtu: 9100,
            vrf: 0,
            v4_admin: true,
            v6_admin: true,
        }),
        Command::NeighborAdd {
            rif: 1,
            ip: nb_ip,
            mac: nmac,
        },
        Command::NextHopAdd {
            id: 1,
            ip: nb_ip,
            rif: 1,
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0a00_0000, 24),
            action: RouteAction::Connected(1),
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0a00_0001, 32),
            action: RouteAction::Local,
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0b00_0000, 16),
            action: RouteAction::NextHop(1),
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0c00_0000, 8),
            action: RouteAction::Drop,
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0d00_0000, 8),
            action: RouteAction::Trap,
        },
        // NEXT_HOP_ID set while the action is DROP: still a drop.
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0c00_0000, 8),
            action: RouteAction::Drop,
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: p4(0x0c00_0000, 8),
            action: RouteAction::NextHop(1),
        },
        Command::RouteDel {
            vrf: 0,
            prefix: p4(0x0d00_0000, 8),
        },
    ];
    let got: Vec<Command> = fake
        .take()
        .into_iter()
        .filter(|c| !matches!(c, Command::Barrier(_)))
        .collect();
    assert_eq!(got, expect);
    let c = e.dp.counters();
    assert_eq!(c.failed(), 0, "{c:?}");

    // Counters: from the stats region, mapped by name (Ethernet0 = forwarder port 1).
    let fwd = fake.stop();
    let w = &fwd_writers(fwd)[0];
    w.add_port(1, PortCounter::RxPackets, 7);
    w.add_port(1, PortCounter::RxBytes, 700);
    let st = |n| u32::try_from(md::enum_member("sai_port_stat_t", n).unwrap()).unwrap();
    let ids = [
        st("SAI_PORT_STAT_ETHER_STATS_RX_NO_ERRORS"),
        st("SAI_PORT_STAT_IF_IN_OCTETS"),
    ];
    assert_eq!(
        sai.get_stats(port_t, eth0, &ids, StatsMode::Read).unwrap(),
        vec![7, 700]
    );
    sai.clear_stats(port_t, eth0, &ids[..1]).unwrap();
    w.add_port(1, PortCounter::RxPackets, 3);
    assert_eq!(
        sai.get_stats(port_t, eth0, &ids, StatsMode::ReadAndClear)
            .unwrap(),
        vec![3, 700]
    );
    assert_eq!(
        sai.get_stats(port_t, eth0, &ids, StatsMode::Read).unwrap(),
        vec![0, 0]
    );
    // Capability lists exactly what is answered; unicast split is not claimed.
    let cap = sai.query_stats_capability(port_t).unwrap();
    assert!(cap.contains(&ids[0]) && cap.contains(&ids[1]));
    let ucast = st("SAI_PORT_STAT_IF_IN_UCAST_PKTS");
    assert!(!cap.contains(&ucast));
    assert!(sai
        .get_stats(port_t, eth0, &[ucast], StatsMode::Read)
        .is_err());
    drop(e);
}

fn fwd_writers(mut f: Forwarder) -> Vec<ring_proto::StatsWriter> {
    let w = f.take_stats_writers();
    std::mem::forget(f); // keep the forwarder side attached for the rest of the test
    w
}

/// Forwarders replaced while bulk calls are being programmed: none receives a route twice (the
/// replay reads the store; the calls committed while a replay was pending send nothing
/// themselves), and the last one holds exactly the store's routes.
#[test]
fn restarts_during_bulk_calls_lose_and_repeat_nothing() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut fake = Fake::start(&seg, usize::MAX);
    let e = setup(&seg);
    let sai = Arc::clone(&e.sai);
    let sw = e.sw;
    let vr = get_oid(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    let cpu = get_oid(&sai, sw, "SAI_SWITCH_ATTR_CPU_PORT");
    e.dp.sync(Duration::from_secs(10)).unwrap();
    let (batches, per) = (60u32, 1000u32);
    let prog = {
        let sai = Arc::clone(&sai);
        std::thread::spawn(move || {
            let nh = [a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(cpu))];
            for b in 0..batches {
                let items: Vec<_> = (0..per)
                    .map(|i| {
                        let addr = 0x3000_0000 + ((b * per + i) << 8);
                        (route_key(sw, vr, addr, 24), nh.to_vec())
                    })
                    .collect();
                let r = sai.bulk_create_entries(items, BulkMode::StopOnError);
                assert_eq!(r.status, 0);
                // One route of each batch is removed again: removals are replayed too.
                sai.remove_entry(&route_key(sw, vr, 0x3000_0000 + ((b * per) << 8), 24))
                    .unwrap();
            }
        })
    };
    // Every route is created once in the store: a forwarder that gets one twice (with no flush
    // in between) got it from a call and from a replay.
    let check = |cmds: Vec<Command>| {
        let mut seen = std::collections::HashMap::new();
        for c in cmds {
            match c {
                Command::RouteAdd { prefix, .. } => *seen.entry(prefix).or_insert(0) += 1,
                Command::RouteDel { prefix, .. } => *seen.entry(prefix).or_insert(0) -= 1,
                Command::Flush(_) => seen.clear(),
                _ => {}
            }
        }
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).take(5).collect();
        assert!(twice.is_empty(), "sent twice: {twice:?}");
        seen
    };
    let mut restarts = 0;
    while !prog.is_finished() || restarts == 0 {
        std::thread::sleep(Duration::from_millis(15));
        let cmds = Arc::clone(&fake.cmds);
        drop(fake.stop());
        check(std::mem::take(&mut *cmds.lock().unwrap()));
        fake = Fake::start(&seg, usize::MAX);
        restarts += 1;
    }
    prog.join().unwrap();
    wait_for("replay", || e.dp.counters().replays >= 1);
    // The background thread may not have seen the last forwarder attach yet (it saw the
    // previous one leave): `NotConnected` until it does, then the replay and the barrier.
    wait_for("in sync with the last forwarder", || {
        match e.dp.sync(Duration::from_secs(30)) {
            Ok(()) => true,
            Err(SyncError::NotConnected) => false,
            Err(err) => panic!("sync: {err:?}"),
        }
    });
    let seen = check(fake.take());
    let want = e.dp.desired_routes();
    assert_eq!(want.len(), (batches * (per - 1)) as usize);
    let held: std::collections::HashSet<_> = seen
        .iter()
        .filter(|(p, n)| **n == 1 && !p.is_v6() && p.len() == 24)
        .map(|(p, _)| *p)
        .collect();
    let want_set: std::collections::HashSet<_> = want
        .iter()
        .filter(|(_, p, _)| p.len() == 24)
        .map(|(_, p, _)| *p)
        .collect();
    assert!(
        held == want_set,
        "{} held, {} wanted, {} in common ({restarts} restarts)",
        held.len(),
        want_set.len(),
        held.intersection(&want_set).count()
    );
    eprintln!(
        "{restarts} forwarder restarts; counters {:?}",
        e.dp.counters()
    );
}

/// Bulk calls are bursts; 100k routes arrive in order; a restart replays everything; link events
/// become oper-status notifications; forwarder failures are counted.
#[test]
fn bulk_burst_restart_replay_and_events() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let fake = Fake::start(&seg, usize::MAX);
    let e = setup(&seg);
    let sai = &e.sai;
    let sw = e.sw;
    let vr = get_oid(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    let cpu = get_oid(sai, sw, "SAI_SWITCH_ATTR_CPU_PORT");
    e.dp.sync(Duration::from_secs(10)).unwrap();
    fake.take();
    let nh = [a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(cpu))];
    // 1000 routes (as syncd batches them): exactly one burst.
    let b0 = e.dp.counters().bursts;
    let items: Vec<_> = (0..1000u32)
        .map(|i| (route_key(sw, vr, 0x1400_0000 + (i << 8), 24), nh.to_vec()))
        .collect();
    let r = sai.bulk_create_entries(items, BulkMode::StopOnError);
    assert_eq!(r.status, 0);
    assert_eq!(e.dp.counters().bursts - b0, 1);
    // 100k routes in one call: a burst sequence (the ring holds 64k), far fewer than 100k.
    let n = 100_000u32;
    let b1 = e.dp.counters().bursts;
    let items: Vec<_> = (0..n)
        .map(|i| (route_key(sw, vr, 0x2000_0000 + (i << 8), 24), nh.to_vec()))
        .collect();
    let t = Instant::now();
    let r = sai.bulk_create_entries(items, BulkMode::StopOnError);
    assert_eq!(r.status, 0);
    let bursts = e.dp.counters().bursts - b1;
    let call = t.elapsed();
    e.dp.sync(Duration::from_secs(30)).unwrap();
    eprintln!(
        "100k routes bulk -> fake forwarder: call {call:?}, completed {:?} ({bursts} bursts)",
        t.elapsed()
    );
    assert!(bursts <= 64, "{bursts} bursts for 100k routes");
    e.dp.sync(Duration::from_secs(30)).unwrap();
    let got = fake.take();
    let routes: Vec<u32> = got
        .iter()
        .filter_map(|c| match c {
            Command::RouteAdd { prefix, action, .. } => {
                assert_eq!(*action, RouteAction::Local);
                match prefix.addr() {
                    IpAddr::V4(a) => Some(u32::from(a)),
                    IpAddr::V6(_) => None,
                }
            }
            _ => None,
        })
        .collect();
    let want: Vec<u32> = (0..1000u32)
        .map(|i| 0x1400_0000 + (i << 8))
        .chain((0..n).map(|i| 0x2000_0000 + (i << 8)))
        .collect();
    assert_eq!(routes, want);

    // Forwarder restart: a new forwarder generation gets the whole state again.
    let fwd = fake.stop();
    drop(fwd);
    let fake2 = Fake::start(&seg, usize::MAX);
    wait_for("replay", || e.dp.counters().replays >= 1);
    e.dp.sync(Duration::from_secs(30)).unwrap();
    let replayed = fake2.take();
    let mut rr: Vec<u32> = replayed
        .iter()
        .filter_map(|c| match c {
            Command::RouteAdd { prefix, .. } => match prefix.addr() {
                IpAddr::V4(a) => Some(u32::from(a)),
                IpAddr::V6(_) => None,
            },
            _ => None,
        })
        .collect();
    rr.sort_unstable();
    let mut w2 = want.clone();
    w2.sort_unstable();
    assert_eq!(rr, w2);
    // Dependencies first: ports and the VRF before any route.
    let first_route = replayed
        .iter()
        .position(|c| matches!(c, Command::RouteAdd { .. }))
        .unwrap();
    assert!(replayed[..first_route].contains(&Command::VrfAdd(0)));
    assert_eq!(
        replayed[..first_route]
            .iter()
            .filter(|c| matches!(c, Command::PortSet(_)))
            .count(),
        2
    );
    assert_eq!(e.dp.desired_routes().len(), want.len());

    // Link event: set_internal (OPER_STATUS) + the notification, for the SAI port by name.
    let mut fwd = fake2.stop();
    fwd.event(&ring_proto::Event::Link {
        port: 0,
        up: true,
        speed_mbps: 10000,
    })
    .unwrap();
    let eth4 = sai
        .get(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            sw,
            &[md::attr_id("SAI_SWITCH_ATTR_PORT_LIST").unwrap()],
        )
        .unwrap()[0]
        .as_oid_list()
        .unwrap()[1];
    wait_for("port notification", || {
        !e.notes.ports.lock().unwrap().is_empty()
    });
    assert_eq!(e.notes.ports.lock().unwrap()[0], (eth4, true));
    let oper = sai
        .get(
            ot("SAI_OBJECT_TYPE_PORT"),
            eth4,
            &[md::attr_id("SAI_PORT_ATTR_OPER_STATUS").unwrap()],
        )
        .unwrap();
    assert_eq!(
        oper[0],
        ev("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_UP")
    );

    // A forwarder that refuses (table full) is counted and logged, the SAI call already returned.
    let fake3 = Fake::run(fwd, 0);
    sai.create_entry(route_key(sw, vr, 0x3000_0000, 8), nh.to_vec())
        .unwrap();
    e.dp.sync(Duration::from_secs(10)).unwrap();
    assert_eq!(e.dp.counters().table_full, 1);
    assert!(e
        .notes
        .logs
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("TableFull")));

    // The forwarder goes away for good: one switch shutdown request.
    drop(fake3.stop());
    wait_for("shutdown request", || {
        !e.notes.shutdowns.lock().unwrap().is_empty()
    });
    assert_eq!(*e.notes.shutdowns.lock().unwrap(), vec![sw]);
    // Changes meanwhile only update the shadow.
    sai.remove_entry(&route_key(sw, vr, 0x3000_0000, 8))
        .unwrap();
    assert!(!e.dp.connected());
}

/// A library restart: the new library generation makes the forwarder flush before new commands.
#[test]
fn library_restart_is_a_new_generation() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let fake = Fake::start(&seg, usize::MAX);
    let e = setup(&seg);
    e.dp.sync(Duration::from_secs(10)).unwrap();
    let n0 = *fake.new_libs.lock().unwrap();
    drop(e);
    let e2 = setup(&seg);
    e2.dp.sync(Duration::from_secs(10)).unwrap();
    assert_eq!(*fake.new_libs.lock().unwrap(), n0 + 1);
}

/// ECMP groups, sub-port and loopback RIFs, IPv6, host interfaces and traps: exact commands.
#[test]
fn groups_subports_v6_hostifs_traps() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let fake = Fake::start(&seg, usize::MAX);
    let e = setup(&seg);
    let (sai, sw) = (&e.sai, e.sw);
    e.dp.sync(Duration::from_secs(10)).unwrap();
    fake.take();
    let vr = get_oid(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    let plist = port_list(sai, sw);
    let rif_type = |m| ev("SAI_ROUTER_INTERFACE_ATTR_TYPE", m);
    let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let sub = sai
        .create(
            rif_t,
            sw,
            vec![
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                    AttrValue::Oid(vr),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                    rif_type("SAI_ROUTER_INTERFACE_TYPE_SUB_PORT"),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_PORT_ID",
                    AttrValue::Oid(plist[1]),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_OUTER_VLAN_ID",
                    AttrValue::U16(100),
                ),
            ],
        )
        .unwrap();
    let lo = sai
        .create(
            rif_t,
            sw,
            vec![
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                    AttrValue::Oid(vr),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                    rif_type("SAI_ROUTER_INTERFACE_TYPE_LOOPBACK"),
                ),
            ],
        )
        .unwrap();
    sai.set(
        rif_t,
        sub,
        a(
            "SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS",
            AttrValue::Mac([2, 1, 1, 1, 1, 1]),
        ),
    )
    .unwrap();
    let ip6: IpAddr = "fc00::2".parse().unwrap();
    let nh_t = ot("SAI_OBJECT_TYPE_NEXT_HOP");
    let mk_nh = |ip: IpAddr| {
        sai.create(
            nh_t,
            sw,
            vec![
                a(
                    "SAI_NEXT_HOP_ATTR_TYPE",
                    ev("SAI_NEXT_HOP_ATTR_TYPE", "SAI_NEXT_HOP_TYPE_IP"),
                ),
                a("SAI_NEXT_HOP_ATTR_IP", AttrValue::IpAddr(ip)),
                a("SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID", AttrValue::Oid(sub)),
            ],
        )
        .unwrap()
    };
    let nh1 = mk_nh(ip6);
    let nh2 = mk_nh("fc00::3".parse().unwrap());
    let g = sai
        .create(
            ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP"),
            sw,
            vec![a(
                "SAI_NEXT_HOP_GROUP_ATTR_TYPE",
                ev(
                    "SAI_NEXT_HOP_GROUP_ATTR_TYPE",
                    "SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP",
                ),
            )],
        )
        .unwrap();
    let gm_t = ot("SAI_OBJECT_TYPE_NEXT_HOP_GROUP_MEMBER");
    let mut members = Vec::new();
    for (nh, w) in [(nh1, 1u32), (nh2, 3)] {
        members.push(
            sai.create(
                gm_t,
                sw,
                vec![
                    a(
                        "SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID",
                        AttrValue::Oid(g),
                    ),
                    a(
                        "SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID",
                        AttrValue::Oid(nh),
                    ),
                    a("SAI_NEXT_HOP_GROUP_MEMBER_ATTR_WEIGHT", AttrValue::U32(w)),
                ],
            )
            .unwrap(),
        );
    }
    let p6 = |s: &str, l: u8| IpPrefix {
        addr: s.parse().unwrap(),
        mask: IpAddr::V6(std::net::Ipv6Addr::from(u128::MAX << (128 - u32::from(l)))),
    };
    let rk = |p: IpPrefix| EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(p),
        ],
    };
    sai.create_entry(
        rk(p6("2001:db8::", 32)),
        vec![a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(g))],
    )
    .unwrap();
    sai.create_entry(
        rk(p6("fc00:1::1", 128)),
        vec![a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(lo))],
    )
    .unwrap();
    sai.remove(gm_t, members[0]).unwrap();
    // Host interface on Ethernet4 (forwarder port 0), its oper status, a trap.
    let hif = sai
        .create(
            ot("SAI_OBJECT_TYPE_HOSTIF"),
            sw,
            vec![
                a(
                    "SAI_HOSTIF_ATTR_TYPE",
                    ev("SAI_HOSTIF_ATTR_TYPE", "SAI_HOSTIF_TYPE_NETDEV"),
                ),
                a("SAI_HOSTIF_ATTR_OBJ_ID", AttrValue::Oid(plist[1])),
                a("SAI_HOSTIF_ATTR_NAME", AttrValue::chardata("Ethernet4")),
            ],
        )
        .unwrap();
    sai.set(
        ot("SAI_OBJECT_TYPE_HOSTIF"),
        hif,
        a("SAI_HOSTIF_ATTR_OPER_STATUS", AttrValue::Bool(true)),
    )
    .unwrap();
    let tg = get_oid(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_TRAP_GROUP");
    sai.create(
        ot("SAI_OBJECT_TYPE_HOSTIF_TRAP"),
        sw,
        vec![
            a(
                "SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE",
                ev("SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE", "SAI_HOSTIF_TRAP_TYPE_BGP"),
            ),
            a(
                "SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION",
                ev(
                    "SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION",
                    "SAI_PACKET_ACTION_TRAP",
                ),
            ),
            a("SAI_HOSTIF_TRAP_ATTR_TRAP_GROUP", AttrValue::Oid(tg)),
        ],
    )
    .unwrap();
    e.dp.sync(Duration::from_secs(10)).unwrap();
    let mac = [0x52, 0x54, 0, 0x12, 0x34, 0x56];
    let bgp = u32::try_from(
        md::enum_value("SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE", "SAI_HOSTIF_TRAP_TYPE_BGP").unwrap(),
    )
    .unwrap();
    let rif = |id, rif_type, port, vlan, mac| Rif {
        rif: id,
        rif_type,
        port,
        vlan,
        mac,
        mtu: 1514,
        vrf: 0,
        v4_admin: true,
        v6_admin: true,
    };
    let pfx = |p: IpPrefix| Prefix::new(p.addr, p.prefix_len().unwrap()).unwrap();
    let got: Vec<Command> = fake
        .take()
        .into_iter()
        .filter(|c| !matches!(c, Command::Barrier(_)))
        .collect();
    let expect = vec![
        Command::RifAdd(rif(1, RifType::SubPort, 0, 100, mac)),
        Command::RifAdd(rif(2, RifType::Loopback, 0, 0, mac)),
        Command::RifSet(rif(1, RifType::SubPort, 0, 100, [2, 1, 1, 1, 1, 1])),
        Command::NextHopAdd {
            id: 1,
            ip: ip6,
            rif: 1,
        },
        Command::NextHopAdd {
            id: 2,
            ip: "fc00::3".parse().unwrap(),
            rif: 1,
        },
        Command::NhGroupAdd(1),
        Command::NhGroupMemberAdd {
            group: 1,
            nh: 1,
            weight: 1,
        },
        Command::NhGroupMemberAdd {
            group: 1,
            nh: 2,
            weight: 3,
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: pfx(p6("2001:db8::", 32)),
            action: RouteAction::Group(1),
        },
        Command::RouteAdd {
            vrf: 0,
            prefix: pfx(p6("fc00:1::1", 128)),
            action: RouteAction::Local,
        },
        Command::NhGroupMemberDel { group: 1, nh: 1 },
        Command::HostifAdd {
            id: 1,
            port: 0,
            name: ring_proto::HostifName::new("Ethernet4").unwrap(),
            oper_up: false,
        },
        Command::HostifOper {
            id: 1,
            oper_up: true,
        },
        Command::TrapSet {
            trap_type: bgp,
            action: ring_proto::PacketAction::Trap,
            // The switch's default trap group, forwarder id 1.
            group: 1,
            queue: 0,
        },
    ];
    assert_eq!(got, expect);
    assert_eq!(e.dp.counters().failed(), 0);
}

/// A stalled forwarder (heartbeat stops, same generation) that comes back gets a flush of our
/// generation and the full state: changes made meanwhile, removals included, are not lost.
#[test]
fn stalled_forwarder_gets_flush_and_replay() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let fake = Fake::start(&seg, usize::MAX);
    let e = setup_with(&seg, Duration::from_millis(200));
    let (sai, sw) = (&e.sai, e.sw);
    let vr = get_oid(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID");
    let cpu = get_oid(sai, sw, "SAI_SWITCH_ATTR_CPU_PORT");
    let nh = || vec![a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(cpu))];
    sai.create_entry(route_key(sw, vr, 0x0a00_0000, 8), nh())
        .unwrap();
    e.dp.sync(Duration::from_secs(10)).unwrap();
    fake.take();
    fake.pause.store(true, Ordering::Release);
    wait_for("stall noticed", || !e.dp.connected());
    sai.remove_entry(&route_key(sw, vr, 0x0a00_0000, 8))
        .unwrap();
    sai.create_entry(route_key(sw, vr, 0x0b00_0000, 8), nh())
        .unwrap();
    fake.pause.store(false, Ordering::Release);
    wait_for("reconnected", || e.dp.connected());
    e.dp.sync(Duration::from_secs(10)).unwrap();
    let got = fake.take();
    let flush = got
        .iter()
        .position(|c| matches!(c, Command::Flush(_)))
        .expect("a flush before the replay");
    let routes: Vec<u32> = got[flush..]
        .iter()
        .filter_map(|c| match c {
            Command::RouteAdd { prefix, .. } => match prefix.addr() {
                IpAddr::V4(a) => Some(u32::from(a)),
                IpAddr::V6(_) => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(routes, vec![0x0b00_0000]);
    assert!(got[flush..].contains(&Command::VrfAdd(0)));
}
