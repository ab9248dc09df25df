//! Namespace test: two hosts on veths, ferrosai-fwd between them on net_af_packet ports, routes
//! programmed through the ring; ping and a UDP stream pass, `show ip fib` / `show interface` /
//! `show errors` / pcap capture show what happened. Needs root.

mod common;

use common::{must, py, Lab};
use std::process::{Command as Proc, Stdio};
use std::time::Duration;

const UDP_RX: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.2.2", 5555))
s.settimeout(3.0)
n = 0
try:
    while n < 500:
        d, a = s.recvfrom(2048)
        if len(d) == 200 and d[:4] == b"ferr":
            n += 1
except socket.timeout:
    pass
print("received", n)
"#;

const UDP_TX: &str = r#"
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(500):
    s.sendto(b"ferr" + i.to_bytes(4, "big") + b"x" * 192, ("10.0.2.2", 5555))
    if i % 20 == 19:
        time.sleep(0.005)
print("sent 500")
"#;

// An IPv4 packet with a wrong header checksum, sent raw to the router MAC.
const MALFORMED: &str = r#"
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
eth = bytes.fromhex("02fe00000101" "020000000102" "0800")
ip = bytes.fromhex("4500001c00010000" "4011dead" "0a000102" "0a000202")
udp = bytes.fromhex("1f901f9000080000")
for _ in range(3):
    s.send(eth + ip + udp)
print("sent")
"#;

#[test]
fn forwards_between_namespaces() {
    let mut lab = Lab::new("f");
    lab.start();
    let mut lib = lab.program(false);

    // The route programmed through the ring is in the FIB.
    let fib = lab.cli("show ip fib 10.9.9.9");
    assert!(fib.contains("10.9.0.0/16"), "{fib}");
    let j = lab.cli_json("show ip fib");
    let routes = j["routes"].as_array().unwrap();
    let r = routes
        .iter()
        .find(|r| r["prefix"] == "10.9.0.0/16")
        .expect("route 10.9.0.0/16");
    assert_eq!(r["kind"], "forward");
    assert_eq!(r["paths"][0]["interface"], "Ethernet4");
    assert!(routes
        .iter()
        .any(|r| r["prefix"] == "10.0.1.0/24" && r["kind"] == "glean"));
    let nb = lab.cli("show ip neighbors");
    assert!(
        nb.contains("10.0.1.2") && nb.contains("02:00:00:00:02:02"),
        "{nb}"
    );

    let pcap = format!("/tmp/fwt-{}.pcap", lab.id);
    let ans = lab.cli(&format!("pcap trace rx tx max 5000 file {pcap}"));
    assert!(ans.contains("capturing"), "{ans}");
    lab.cli("trace add 10");

    // Ping through the forwarder: a connected host and a host behind a next-hop route.
    let (ok, out) = lab.ns(&lab.h1, "ping -c 3 -i 0.2 -W 2 10.0.2.2");
    assert!(
        ok,
        "ping 10.0.2.2 failed:\n{out}\n{}",
        lab.cli("show errors")
    );
    let (ok, out) = lab.ns(&lab.h1, "ping -c 2 -i 0.2 -W 2 10.9.9.9");
    assert!(ok, "ping 10.9.9.9 failed:\n{out}");

    // IPv6 through the ring too (the hosts know the router's MAC statically: this test has no
    // host interfaces to answer neighbor solicitations).
    let p6 = |a: &str, l: u8| ring_proto::Prefix::new(a.parse().unwrap(), l).unwrap();
    let mac = |s: &str| -> [u8; 6] {
        let v: Vec<u8> = s
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    };
    use ring_proto::{Command as C, RouteAction as A};
    lab.send(
        &mut lib,
        &[
            C::RouteAdd {
                vrf: 7,
                prefix: p6("2001:db8:1::", 64),
                action: A::Connected(1),
            },
            C::RouteAdd {
                vrf: 7,
                prefix: p6("2001:db8:2::", 64),
                action: A::Connected(2),
            },
            C::RouteAdd {
                vrf: 7,
                prefix: p6("2001:db8:1::1", 128),
                action: A::Local,
            },
            C::RouteAdd {
                vrf: 7,
                prefix: p6("2001:db8:2::1", 128),
                action: A::Local,
            },
            C::NeighborAdd {
                rif: 1,
                ip: "2001:db8:1::2".parse().unwrap(),
                mac: mac(common::H1_MAC),
            },
            C::NeighborAdd {
                rif: 2,
                ip: "2001:db8:2::2".parse().unwrap(),
                mac: mac(common::H2_MAC),
            },
        ],
    );
    for (ns, me, gw, rmac) in [
        (
            &lab.h1,
            "2001:db8:1::2",
            "2001:db8:1::1",
            "02:fe:00:00:01:01",
        ),
        (
            &lab.h2,
            "2001:db8:2::2",
            "2001:db8:2::1",
            "02:fe:00:00:02:01",
        ),
    ] {
        must(&format!("ip -n {ns} -6 addr add {me}/64 dev eth0 nodad"));
        must(&format!(
            "ip -n {ns} -6 neigh replace {gw} lladdr {rmac} dev eth0"
        ));
        must(&format!("ip -n {ns} -6 route add default via {gw}"));
    }
    let (ok, out) = lab.ns(&lab.h1, "ping -6 -c 2 -i 0.2 -W 2 2001:db8:2::2");
    assert!(ok, "ping6 failed:\n{out}\n{}", lab.cli("show errors"));
    // An 802.1Q sub-interface (sub-port RIF) on Ethernet4, VLAN 100. This kernel has no 8021q
    // module, so h2 cannot terminate the VLAN: tcpdump on h2 checks the tagged frames instead.
    let p4 = |a: &str, l: u8| ring_proto::Prefix::new(a.parse().unwrap(), l).unwrap();
    lab.send(
        &mut lib,
        &[
            C::RifAdd(ring_proto::Rif {
                rif: 3,
                rif_type: ring_proto::RifType::SubPort,
                port: 1,
                vlan: 100,
                mac: [0x02, 0xfe, 0, 0, 3, 1],
                mtu: 1500,
                vrf: 7,
                v4_admin: true,
                v6_admin: true,
            }),
            C::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.3.0", 24),
                action: A::Connected(3),
            },
            C::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.3.1", 32),
                action: A::Local,
            },
            C::NeighborAdd {
                rif: 3,
                ip: "10.0.3.2".parse().unwrap(),
                mac: mac(common::H2_MAC),
            },
        ],
    );
    let dump = Proc::new("ip")
        .args([
            "netns", "exec", &lab.h2, "timeout", "6", "tcpdump", "-i", "eth0", "-nn", "-e", "-c",
            "2",
        ])
        .args(["vlan 100 and icmp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    // No answer can come back (h2 has no VLAN interface): only the forwarded requests count.
    let _ = lab.ns(&lab.h1, "ping -c 2 -i 0.2 -W 1 10.0.3.2");
    let o = dump.wait_with_output().unwrap();
    let seen = String::from_utf8_lossy(&o.stdout);
    assert!(
        seen.contains("vlan 100")
            && seen.contains("> 10.0.3.2")
            && seen.contains("02:fe:00:00:03:01"),
        "tagged echo requests from the sub-interface MAC: {seen}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let fib = lab.cli_json("show ip fib 10.0.3.2");
    let host = fib["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["prefix"] == "10.0.3.2/32")
        .expect("host route");
    assert_eq!(host["paths"][0]["interface"], "Ethernet4.100");
    assert!(
        host["paths"][0]["rewrite"]
            .as_str()
            .unwrap()
            .contains("81000064"),
        "802.1Q tag in the rewrite: {host}"
    );

    let fib6 = lab.cli("show ip6 fib 2001:db8:2::2");
    assert!(
        fib6.contains("2001:db8:2::2/128") && fib6.contains("2001:db8:2::/64"),
        "{fib6}"
    );

    // A UDP stream of 500 packets.
    let rx_path = format!("/tmp/fwt-udp-rx-{}.py", lab.id);
    std::fs::write(&rx_path, UDP_RX).unwrap();
    let rx = Proc::new("ip")
        .args(["netns", "exec", &lab.h2, "python3", &rx_path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let (ok, out) = py(&lab.h1, UDP_TX);
    assert!(ok, "{out}");
    let o = rx.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&rx_path);
    let got = String::from_utf8_lossy(&o.stdout).to_string();
    let n: u32 = got
        .trim()
        .trim_start_matches("received ")
        .parse()
        .unwrap_or(0);
    assert!(
        n >= 490,
        "UDP stream: {got} {}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A malformed packet is counted by the graph.
    let (ok, out) = py(&lab.h1, MALFORMED);
    assert!(ok, "{out}");
    std::thread::sleep(Duration::from_millis(300));
    let errs = lab.cli_json("show errors");
    let bad = errs["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["node"].as_str().unwrap_or("").starts_with("ip4-input") && e["name"] == "checksum"
        })
        .unwrap_or_else(|| panic!("no checksum error counted: {errs}"));
    assert!(bad["count"].as_u64().unwrap() >= 3, "{errs}");
    assert!(lab.cli("show errors").contains("bad header checksum"));

    // The ring's stats region (what libsai reads for SAI port / RIF counters).
    let stats = lib.stats();
    let p0 = stats.port(0).unwrap();
    let p1 = stats.port(1).unwrap();
    assert!(
        p0[ring_proto::PortCounter::RxPackets as usize] >= 505,
        "{p0:?}"
    );
    assert!(
        p1[ring_proto::PortCounter::TxPackets as usize] >= 505,
        "{p1:?}"
    );
    let r1 = stats.rif(1).unwrap();
    let r2 = stats.rif(2).unwrap();
    assert!(
        r1[ring_proto::RifCounter::RxPackets as usize] >= 505,
        "{r1:?}"
    );
    assert!(
        r2[ring_proto::RifCounter::TxPackets as usize] >= 505,
        "{r2:?}"
    );

    // Graph error counters reach the stats region too (published every 200 ms).
    std::thread::sleep(Duration::from_millis(300));
    let total_errors: u64 = (0..256).filter_map(|e| stats.error(e)).sum();
    assert!(
        total_errors >= 3,
        "error counters in the stats region: {total_errors}"
    );

    // Counters.
    let j = lab.cli_json("show interface");
    for p in j["interfaces"].as_array().unwrap() {
        assert!(p["rx_packets"].as_u64().unwrap() >= 5, "{p}");
        assert!(p["tx_packets"].as_u64().unwrap() >= 5, "{p}");
        assert!(p["link_up"].as_bool().unwrap(), "{p}");
    }
    let e0 = &j["interfaces"][0];
    assert!(
        e0["rx_packets"].as_u64().unwrap() >= 505,
        "UDP + echo requests came in on Ethernet0: {e0}"
    );
    let e4 = &j["interfaces"][1];
    assert!(
        e4["tx_packets"].as_u64().unwrap() >= 505,
        "UDP + echo requests left Ethernet4: {e4}"
    );
    let text = lab.cli("show interface");
    assert!(
        text.contains("Ethernet0") && text.contains("Ethernet4"),
        "{text}"
    );
    let rt = lab.cli("show runtime");
    assert!(
        rt.contains("ip4-lookup") && rt.contains("ip4-rewrite"),
        "{rt}"
    );
    let tr = lab.cli("show trace");
    assert!(tr.contains("ip4-lookup"), "trace: {tr}");

    // The pcap file holds the echo requests (rx on Ethernet0 and tx on Ethernet4) and the stream.
    let ans = lab.cli("pcap trace off");
    assert!(ans.contains("wrote"), "{ans}");
    let data = std::fs::read(&pcap).unwrap();
    let _ = std::fs::remove_file(&pcap);
    let mut r = pcap_file::pcap::PcapReader::new(&data[..]).expect("valid pcap");
    let (mut echo, mut udp, mut total) = (0, 0, 0);
    while let Some(p) = r.next_packet() {
        let p = p.expect("pcap record");
        let d = &p.data;
        total += 1;
        if d.len() >= 34 && d[12..14] == [8, 0] && d[30..34] == [10, 0, 2, 2] {
            match d[23] {
                1 if d.len() > 34 && d[34] == 8 => echo += 1,
                17 => udp += 1,
                _ => {}
            }
        }
    }
    assert!(
        echo >= 6,
        "3 echo requests, captured at rx and tx: {echo} of {total}"
    );
    assert!(udp >= 980, "UDP stream at rx and tx: {udp} of {total}");

    // A capture that ends by itself at `max`.
    let ans = lab.cli(&format!("pcap trace rx max 2 file {pcap}"));
    assert!(ans.contains("capturing"), "{ans}");
    let _ = lab.ns(&lab.h1, "ping -c 3 -i 0.2 -W 2 10.0.2.2");
    std::thread::sleep(Duration::from_millis(300));
    assert!(lab.cli("pcap trace status").contains("off"));
    let ans = lab.cli("pcap trace off");
    assert!(ans.contains("wrote 2 packets"), "{ans}");
    let data = std::fs::read(&pcap).unwrap();
    let _ = std::fs::remove_file(&pcap);
    let mut r = pcap_file::pcap::PcapReader::new(&data[..]).expect("valid pcap");
    let mut n = 0;
    while let Some(p) = r.next_packet() {
        p.expect("pcap record");
        n += 1;
    }
    assert_eq!(n, 2);

    // Port admin down (SAI port attribute through the ring): traffic stops and is counted.
    let port = |up: bool| {
        ring_proto::Command::PortSet(ring_proto::Port {
            port: 1,
            admin_up: up,
            mtu: 1500,
            mac: common::R2_MAC,
            speed_mbps: 10_000,
        })
    };
    lab.send(&mut lib, &[port(false)]);
    std::thread::sleep(Duration::from_millis(200));
    let (ok, _) = lab.ns(&lab.h1, "ping -c 1 -W 1 10.0.2.2");
    assert!(
        !ok,
        "ping passed through an admin-down port: {} {}",
        lab.cli("show ring"),
        lab.cli("show errors")
    );
    let errs = lab.cli_json("show errors");
    assert!(
        errs["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "admin-down"),
        "{errs}"
    );
    lab.send(&mut lib, &[port(true)]);
    std::thread::sleep(Duration::from_millis(200));
    let (ok, out) = lab.ns(&lab.h1, "ping -c 1 -W 2 10.0.2.2");
    assert!(ok, "admin up again: {out}");

    // clear counters.
    lab.cli("clear counters");
    let j = lab.cli_json("show interface");
    assert!(
        j["interfaces"][0]["rx_packets"].as_u64().unwrap() < 50,
        "{j}"
    );

    // Clean shutdown on SIGTERM.
    assert!(
        lab.stop(),
        "daemon did not exit cleanly:\n{}",
        lab.log_text()
    );
    let left = must(&format!("ip -n {} link show", lab.fwd));
    assert!(
        left.contains(&lab.veth_a),
        "veths are untouched by the shutdown"
    );
}
