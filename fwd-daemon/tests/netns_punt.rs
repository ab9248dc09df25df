//! Punt / inject test: host interfaces (TAPs named Ethernet0 / Ethernet4) in their own namespace;
//! ARP and a TCP connection to the router's address reach the TAP, the kernel's answers go out of
//! the port; a port going down is reported on the ring and drops the TAP's carrier. Needs root.

mod common;

use common::{must, py, Lab};
use ring_proto::{Event, FromForwarder};
use std::process::{Command as Proc, Stdio};
use std::time::{Duration, Instant};

const TCP_SERVER: &str = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.1.1", 7777))
s.listen(1)
s.settimeout(15)
c, a = s.accept()
c.settimeout(5)
d = c.recv(100)
c.sendall(b"pong:" + d)
c.close()
print("served", a[0])
"#;

const TCP_CLIENT: &str = r#"
import socket
c = socket.create_connection(("10.0.1.1", 7777), timeout=5)
c.sendall(b"ping")
print(c.recv(100).decode())
"#;

// An ARP request from h1 for the router's address, sent raw.
const ARP_REQUEST: &str = r#"
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
eth = bytes.fromhex("ffffffffffff" "020000000102" "0806")
arp = bytes.fromhex("0001080006040001" "020000000102" "0a000102" "000000000000" "0a000101")
s.send(eth + arp + bytes(18))
print("sent")
"#;

#[test]
fn punt_and_inject_through_host_interfaces() {
    let mut lab = Lab::new("p");
    lab.start();
    let mut lib = lab.program(true);
    let host = lab.host.clone();

    // The TAPs exist in the host-interface namespace with the RIF MACs and carrier up.
    let link = must(&format!("ip -n {host} link show Ethernet0"));
    assert!(
        link.contains("02:fe:00:00:01:01"),
        "TAP MAC is the RIF MAC: {link}"
    );
    // The veth's carrier settles asynchronously (kernel linkwatch, up to ~1 s); the daemon polls
    // link state every 100 ms and sets the TAP carrier from it.
    let t0 = Instant::now();
    loop {
        let link = must(&format!("ip -n {host} link show Ethernet0"));
        if link.contains("LOWER_UP") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "carrier follows the port's link: {link}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    must(&format!("ip -n {host} link show Ethernet4"));
    must(&format!("ip -n {host} addr add 10.0.1.1/24 dev Ethernet0"));
    must(&format!("ip -n {host} addr add 10.0.2.1/24 dev Ethernet4"));

    // ARP for the router's address reaches the kernel through the TAP: it learns h1.
    let (ok, out) = py(&lab.h1, ARP_REQUEST);
    assert!(ok, "{out}");
    let t0 = Instant::now();
    loop {
        let n = must(&format!("ip -n {host} neigh show 10.0.1.2"));
        if n.contains("02:00:00:00:01:02") {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(3),
            "ARP did not reach the TAP: {n}\n{}",
            lab.cli("show errors")
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // A TCP connection to the router's address: SYN punted to the TAP, the kernel's SYN-ACK and
    // data injected out of Ethernet0.
    let srv_path = format!("/tmp/fwt-tcp-srv-{}.py", lab.id);
    std::fs::write(&srv_path, TCP_SERVER).unwrap();
    let srv = Proc::new("ip")
        .args(["netns", "exec", &host, "python3", &srv_path])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    must(&format!("ip -n {} neigh flush all", lab.h1));
    let (ok, out) = py(&lab.h1, TCP_CLIENT);
    let so = srv.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&srv_path);
    assert!(
        ok && out.contains("pong:ping"),
        "TCP to the router failed: {out}\nserver: {} {}\n{}",
        String::from_utf8_lossy(&so.stdout),
        String::from_utf8_lossy(&so.stderr),
        lab.cli("show errors")
    );
    assert!(String::from_utf8_lossy(&so.stdout).contains("served 10.0.1.2"));

    // Ping the router's address too (answered by the kernel behind the TAP or by the graph).
    let (ok, out) = lab.ns(&lab.h1, "ping -c 2 -i 0.2 -W 2 10.0.1.1");
    assert!(ok, "{out}");

    let j = lab.cli_json("show hostif");
    assert_eq!(j["hostifs"].as_array().unwrap().len(), 2, "{j}");
    assert!(j["punt_to_tap"].as_u64().unwrap() >= 3, "{j}");
    assert!(j["tap_rx"].as_u64().unwrap() >= 3, "{j}");

    // Port down: a link event on the ring and no carrier on the TAP.
    lib.recv(256, |_| {});
    must(&format!("ip -n {} link set eth0 down", lab.h1));
    let t0 = Instant::now();
    let mut down_event = false;
    while !down_event && t0.elapsed() < Duration::from_secs(5) {
        lib.recv(256, |m| {
            if let FromForwarder::Event(Event::Link {
                port: 0, up: false, ..
            }) = m
            {
                down_event = true;
            }
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(down_event, "no link-down event on the ring");
    let link = must(&format!("ip -n {host} link show Ethernet0"));
    assert!(link.contains("NO-CARRIER"), "{link}");
    must(&format!("ip -n {} link set eth0 up", lab.h1));

    // Clean shutdown removes the TAPs.
    assert!(
        lab.stop(),
        "daemon did not exit cleanly:\n{}",
        lab.log_text()
    );
    let (exists, _) = common::sh(&format!("ip -n {host} link show Ethernet0"));
    assert!(!exists, "TAP left behind after shutdown");
}
