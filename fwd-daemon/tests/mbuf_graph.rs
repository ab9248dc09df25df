//! DPDK without root or namespaces: the mbuf `PacketBuf` implementation, and packets received on a
//! `net_ring` port going through the fwd-engine graph and out again without being copied.
//! EAL can be initialised once per process, so this binary has a single test.

use std::net::Ipv4Addr;

use fwd_daemon::config::{Config, Overrides};
use fwd_daemon::io::{self, Eal, Mbuf, Mempool, Port};
use fwd_daemon::tables::Tables;
use fwd_engine::buffer::PacketBuf;
use fwd_engine::fib::{Fib, FibConfig};
use fwd_engine::interface::interfaces;
use fwd_engine::{InstantClock, Output, Worker, WorkerConfig};
use ring_proto::{Command, Prefix, Rif, RifType, RouteAction, Status};

const ROUTER_MAC: [u8; 6] = [2, 0xfe, 0, 0, 0, 1];
const NEIGH_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x22];

fn ipv4_udp(dst: Ipv4Addr, ttl: u8) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&ROUTER_MAC);
    f.extend_from_slice(&[2, 0, 0, 0, 0, 0x11]);
    f.extend_from_slice(&[0x08, 0x00]);
    let total: u16 = 20 + 8 + 18;
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0, 0, ttl, 17, 0, 0, 10, 0, 1, 2];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&dst.octets());
    let mut sum: u32 = ip
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let csum = !u16::try_from(sum).unwrap();
    ip[10..12].copy_from_slice(&csum.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(&[0x30, 0x39, 0x30, 0x39, 0, 26, 0, 0]);
    f.extend_from_slice(b"ferrosai-zero-copy");
    f
}

#[test]
fn mbufs_through_the_graph_without_copies() {
    let ov = Overrides {
        name: Some(format!("mbuftest{}", std::process::id() % 100_000)),
        ports: vec!["Ethernet0=net_ring0".into()],
        log_level: Some("error".into()),
        ..Overrides::default()
    };
    let cfg = Config::parse("", &ov).unwrap();
    let eal = Eal::init(&io::eal_args(&cfg, false, std::process::id())).expect("EAL");
    assert!(Eal::init(&[]).is_err(), "a second EAL init is refused");
    let pool = Mempool::new(&eal, "mbuftest", 1023, 2048 + 128).expect("pool");

    // PacketBuf over an mbuf: window moves, bounds, metadata in the private area, clone.
    let frame = ipv4_udp(Ipv4Addr::new(10, 9, 0, 1), 64);
    let mut m = Mbuf::from_bytes(&pool, 3, &frame).expect("mbuf");
    assert_eq!(m.data(), &frame[..]);
    assert_eq!(m.meta().rx_port, 3);
    assert!(m.adj_head(14));
    assert_eq!(m.len(), frame.len() - 14);
    assert!(m.prepend(14));
    assert!(!m.prepend(4096), "beyond the headroom");
    assert!(!m.adj_head(10_000));
    assert!(m.append(10));
    assert!(m.trim_tail(10));
    assert!(!m.append(100_000));
    m.meta_mut().vrf = 7;
    let c = m.try_clone().expect("clone");
    assert_eq!(c.data(), m.data());
    assert_eq!(c.meta().vrf, 7);
    assert_ne!(c.data().as_ptr(), m.data().as_ptr(), "a clone is a copy");
    drop(c);
    drop(m);

    let port = Port::open(&eal, 0, &cfg.ports[0], &pool, 1).expect("port");
    assert!(port.link().up);
    let mut rxq = port.rx_queue(0);
    let mut txq = port.tx_queue(0);

    // Program a route: 10.9.0.0/16 via 10.0.2.2 on the port's RIF (the ring port loops back).
    let (fw, fr) = Fib::new(FibConfig {
        max_vrfs: 2,
        tbl8_groups: 64,
        tbl8_groups6: 64,
        max_routes4: 64,
        max_routes6: 64,
        max_adjacencies: 64,
        max_lbs: 64,
        max_readers: 2,
        ..FibConfig::default()
    });
    let (iw, ir) = interfaces();
    let mut t = Tables::new(fw, iw, &[("Ethernet0".into(), port.mac)]);
    let p4 = |a: &str, l: u8| Prefix::new(a.parse().unwrap(), l).unwrap();
    for cmd in [
        Command::VrfAdd(1),
        Command::RifAdd(Rif {
            rif: 1,
            rif_type: RifType::Port,
            port: 0,
            vlan: 0,
            mac: ROUTER_MAC,
            mtu: 1500,
            vrf: 1,
            v4_admin: true,
            v6_admin: true,
        }),
        Command::RouteAdd {
            vrf: 1,
            prefix: p4("10.0.2.0", 24),
            action: RouteAction::Connected(1),
        },
        Command::NeighborAdd {
            rif: 1,
            ip: "10.0.2.2".parse().unwrap(),
            mac: NEIGH_MAC,
        },
        Command::NextHopAdd {
            id: 1,
            ip: "10.0.2.2".parse().unwrap(),
            rif: 1,
        },
        Command::RouteAdd {
            vrf: 1,
            prefix: p4("10.9.0.0", 16),
            action: RouteAction::NextHop(1),
        },
    ] {
        assert_eq!(t.apply(&cmd).status, Status::Ok, "{cmd:?}");
    }
    t.publish();
    let mut w: Worker<Mbuf, InstantClock> =
        Worker::new(WorkerConfig::default(), fr, ir, InstantClock::new());

    // 40 packets out of the ring port and back in.
    for i in 0..40u8 {
        let ttl = if i == 39 { 1 } else { 64 };
        txq.push(Mbuf::from_bytes(&pool, 0, &ipv4_udp(Ipv4Addr::new(10, 9, 1, i), ttl)).unwrap());
    }
    assert_eq!(txq.flush(), 40);
    let mut rx = Vec::new();
    let flen = ipv4_udp(Ipv4Addr::new(10, 9, 1, 0), 64).len() as u64;
    assert_eq!(
        rxq.rx(&mut rx),
        (40, 40 * flen),
        "(packets, bytes) received"
    );
    let before: Vec<*const u8> = rx.iter().map(|m| m.data().as_ptr()).collect();
    let mut out = Output::new();
    w.process(&mut rx, 0, &mut out);
    let sent: Vec<&Mbuf> = out
        .tx
        .first()
        .map(|q| q.iter().collect())
        .unwrap_or_default();
    // The TTL-1 packet is dropped (no ICMP error: the interface has no address).
    assert_eq!(sent.len(), 39, "{}", w.show_errors());
    assert!(w.show_errors().contains("TTL expired"));
    let mut forwarded = 0;
    for m in sent {
        let d = m.data();
        if d[..6] == NEIGH_MAC {
            forwarded += 1;
            assert_eq!(&d[6..12], &ROUTER_MAC, "rewritten source MAC");
            assert_eq!(d[22], 63, "TTL decremented");
            // Zero copy: the rewritten packet starts exactly where the received one did (same
            // 14-byte L2 header length), inside the same mbuf.
            assert!(before.contains(&d.as_ptr()), "forwarded packet was copied");
        }
    }
    assert_eq!(forwarded, 39);
    let mut queued = 0;
    for (_, q) in out.tx_queues() {
        queued += txq.push_batch(q);
        assert!(q.is_empty());
    }
    assert_eq!(queued, 39 * flen, "bytes queued for tx");
    assert_eq!(txq.flush(), 39);
    let mut back = Vec::new();
    assert_eq!(rxq.rx(&mut back), (39, 39 * flen));
    // Bulk free: the pool usage check below sees every mbuf back.
    Mbuf::free_bulk(&mut back);
    assert!(back.is_empty());
    out.clear();
    let (avail, used) = pool.usage();
    assert_eq!(
        used, 0,
        "every mbuf returned to the pool ({avail} available)"
    );
    drop(txq);
    drop(port);
    drop(pool);
    drop(eal);
}
