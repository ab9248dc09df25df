//! Shared harness of the namespace tests: two hosts on veths, the forwarder in its own namespace on
//! `net_af_packet` ports, host interfaces in a third namespace, and a small ring client.
//!
//! Everything is named with a per-process id and removed by [`Lab`]'s `Drop`, which also runs when
//! an assertion fails (unwinding), so a failed test leaves no namespace, veth, socket or segment.

#![allow(dead_code)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command as Proc, Stdio};
use std::time::{Duration, Instant};

use ring_proto::{
    Command, FromForwarder, HostifName, Prefix, Rif, RifType, RouteAction, Segment, Status,
};

pub const H1_MAC: &str = "02:00:00:00:01:02";
pub const H2_MAC: &str = "02:00:00:00:02:02";
pub const R1_MAC: [u8; 6] = [0x02, 0xfe, 0, 0, 1, 1];
pub const R2_MAC: [u8; 6] = [0x02, 0xfe, 0, 0, 2, 1];

/// Run a shell command; returns (success, stdout+stderr).
pub fn sh(cmd: &str) -> (bool, String) {
    let o = Proc::new("bash").arg("-c").arg(cmd).output().expect("bash");
    let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&o.stderr));
    (o.status.success(), s)
}

/// Run a shell command that must succeed.
pub fn must(cmd: &str) -> String {
    let (ok, out) = sh(cmd);
    assert!(ok, "command failed: {cmd}\n{out}");
    out
}

fn mac_bytes(s: &str) -> [u8; 6] {
    let v: Vec<u8> = s
        .split(':')
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
    v.try_into().unwrap()
}

/// The topology and the daemon; torn down on drop.
pub struct Lab {
    pub id: String,
    pub h1: String,
    pub h2: String,
    pub fwd: String,
    pub host: String,
    pub veth_a: String,
    pub veth_b: String,
    pub ring: PathBuf,
    pub socket: PathBuf,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Lab {
    /// Build namespaces and veths (`tag` keeps the names of two test binaries apart).
    pub fn new(tag: &str) -> Lab {
        if not_root() {
            panic!("the namespace tests need root (they create network namespaces)");
        }
        let id = format!("{tag}{}", std::process::id() % 100_000);
        let lab = Lab {
            h1: format!("fwt-h1-{id}"),
            h2: format!("fwt-h2-{id}"),
            fwd: format!("fwt-fwd-{id}"),
            host: format!("fwt-host-{id}"),
            veth_a: format!("fa{id}"),
            veth_b: format!("fb{id}"),
            ring: PathBuf::from(format!("/dev/shm/ferrosai-test-{id}")),
            socket: PathBuf::from(format!("/tmp/ferrosai-test-{id}.sock")),
            log: PathBuf::from(format!("/tmp/ferrosai-test-{id}.log")),
            id,
            child: None,
        };
        lab.cleanup_net();
        let (h1, h2, fwd, host, a, b) = (
            &lab.h1,
            &lab.h2,
            &lab.fwd,
            &lab.host,
            &lab.veth_a,
            &lab.veth_b,
        );
        for ns in [h1, h2, fwd, host] {
            must(&format!("ip netns add {ns}"));
            must(&format!("ip -n {ns} link set lo up"));
        }
        must(&format!(
            "ip link add {a} netns {fwd} type veth peer name eth0 netns {h1}"
        ));
        must(&format!(
            "ip link add {b} netns {fwd} type veth peer name eth0 netns {h2}"
        ));
        must(&format!("ip -n {h1} link set eth0 address {H1_MAC}"));
        must(&format!("ip -n {h2} link set eth0 address {H2_MAC}"));
        for (ns, dev) in [
            (h1, "eth0"),
            (h2, "eth0"),
            (fwd, a.as_str()),
            (fwd, b.as_str()),
        ] {
            // Offloads off: otherwise the kernel hands af_packet UDP/TCP packets with unfinished
            // checksums (see ../shared/dpdk-notes.md).
            must(&format!(
                "ip netns exec {ns} ethtool -K {dev} tx off rx off tso off gso off gro off >/dev/null 2>&1 || true"
            ));
            must(&format!("ip -n {ns} link set {dev} up"));
        }
        must(&format!("ip -n {h1} addr add 10.0.1.2/24 dev eth0"));
        must(&format!("ip -n {h1} route add default via 10.0.1.1"));
        must(&format!("ip -n {h2} addr add 10.0.2.2/24 dev eth0"));
        must(&format!("ip -n {h2} addr add 10.9.9.9/32 dev lo"));
        must(&format!("ip -n {h2} route add default via 10.0.2.1"));
        lab
    }

    fn cleanup_net(&self) {
        for ns in [&self.h1, &self.h2, &self.fwd, &self.host] {
            let _ = sh(&format!("ip netns del {ns} 2>/dev/null"));
        }
        let _ = std::fs::remove_file(&self.ring);
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(format!("/tmp/fwt-{}.pcap", self.id));
    }

    /// Start the daemon in the forwarder namespace, host interfaces in `self.host`.
    pub fn start(&mut self) {
        let bin = env!("CARGO_BIN_EXE_ferrosai-fwd");
        let log = std::fs::File::create(&self.log).unwrap();
        let child = Proc::new("ip")
            .args(["netns", "exec", &self.fwd, bin])
            .args(["--name", &self.id])
            .args(["--ring", self.ring.to_str().unwrap()])
            .args(["--cli-socket", self.socket.to_str().unwrap()])
            .args(["--netns", &self.host])
            .args(["--polling", "adaptive", "--log-level", "info"])
            .arg("--port")
            .arg(format!(
                "Ethernet0=net_af_packet0,iface={},framecnt=4096,qdisc_bypass=1",
                self.veth_a
            ))
            .arg("--port")
            .arg(format!(
                "Ethernet4=net_af_packet1,iface={},framecnt=4096,qdisc_bypass=1",
                self.veth_b
            ))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn ferrosai-fwd");
        self.child = Some(child);
        let t0 = Instant::now();
        loop {
            if self.socket.exists()
                && fwd_daemon::cli::request(&self.socket, "show hardware").is_ok()
            {
                break;
            }
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(st)) = c.try_wait() {
                    panic!("ferrosai-fwd exited at start ({st}):\n{}", self.log_text());
                }
            }
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "daemon did not come up:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// A CLI command (text).
    pub fn cli(&self, line: &str) -> String {
        fwd_daemon::cli::request(&self.socket, line).expect("cli request")
    }

    /// A CLI command with `--json`.
    pub fn cli_json(&self, line: &str) -> serde_json::Value {
        let s = self.cli(&format!("--json {line}"));
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{line}: bad JSON ({e}): {s}"))
    }

    /// Stop the daemon with SIGTERM and return its exit status success.
    pub fn stop(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return false;
        };
        // `ip netns exec` execs the daemon, so the child pid is the daemon.
        let _ = sh(&format!("kill -TERM {}", c.id()));
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(st)) = c.try_wait() {
                return st.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        false
    }

    /// Program the standard L3 setup through the ring (optionally with host interfaces) and
    /// check every completion is Ok.
    pub fn program(&self, hostifs: bool) -> ring_proto::Library {
        let seg = Segment::open(&self.ring).expect("open ring segment");
        let mut lib = seg.library().expect("library side");
        // First contact: the forwarder generation.
        lib.recv(64, |_| {});
        let p4 = |a: &str, l: u8| Prefix::new(a.parse::<IpAddr>().unwrap(), l).unwrap();
        let rif = |id: u32, port: u32, mac: [u8; 6]| Rif {
            rif: id,
            rif_type: RifType::Port,
            port,
            vlan: 0,
            mac,
            mtu: 1500,
            vrf: 7,
            v4_admin: true,
            v6_admin: true,
        };
        let mut cmds = vec![
            Command::VrfAdd(7),
            Command::RifAdd(rif(1, 0, R1_MAC)),
            Command::RifAdd(rif(2, 1, R2_MAC)),
            Command::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.1.0", 24),
                action: RouteAction::Connected(1),
            },
            Command::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.2.0", 24),
                action: RouteAction::Connected(2),
            },
            Command::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.1.1", 32),
                action: RouteAction::Local,
            },
            Command::RouteAdd {
                vrf: 7,
                prefix: p4("10.0.2.1", 32),
                action: RouteAction::Local,
            },
            Command::NeighborAdd {
                rif: 1,
                ip: "10.0.1.2".parse().unwrap(),
                mac: mac_bytes(H1_MAC),
            },
            Command::NeighborAdd {
                rif: 2,
                ip: "10.0.2.2".parse().unwrap(),
                mac: mac_bytes(H2_MAC),
            },
            Command::NextHopAdd {
                id: 1,
                ip: "10.0.2.2".parse().unwrap(),
                rif: 2,
            },
            Command::RouteAdd {
                vrf: 7,
                prefix: p4("10.9.0.0", 16),
                action: RouteAction::NextHop(1),
            },
        ];
        if hostifs {
            cmds.push(Command::HostifAdd {
                id: 1,
                port: 0,
                name: HostifName::new("Ethernet0").unwrap(),
                oper_up: true,
            });
            cmds.push(Command::HostifAdd {
                id: 2,
                port: 1,
                name: HostifName::new("Ethernet4").unwrap(),
                oper_up: true,
            });
        }
        cmds.push(Command::Barrier(42));
        let got = self.send(&mut lib, &cmds);
        assert_eq!(got.last().unwrap().object_id, 42, "barrier token");
        lib
    }

    /// Send commands and check that every completion is Ok; returns the completions.
    pub fn send(
        &self,
        lib: &mut ring_proto::Library,
        cmds: &[Command],
    ) -> Vec<ring_proto::Completion> {
        let first = lib
            .send_all(cmds, Duration::from_secs(5))
            .expect("send commands");
        let mut got = Vec::new();
        let t0 = Instant::now();
        while got.len() < cmds.len() && t0.elapsed() < Duration::from_secs(10) {
            lib.recv(256, |m| {
                if let FromForwarder::Completion(c) = m {
                    got.push(c);
                }
            });
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            got.len(),
            cmds.len(),
            "completions: {got:?}\n{}",
            self.log_text()
        );
        for (i, c) in got.iter().enumerate() {
            assert_eq!(c.seq, first + i as u64, "completions {got:?} for {cmds:?}");
            assert_eq!(c.status, Status::Ok, "command {:?} -> {:?}", cmds[i], c);
        }
        got
    }

    /// Run a command in namespace `ns`.
    pub fn ns(&self, ns: &str, cmd: &str) -> (bool, String) {
        sh(&format!("ip netns exec {ns} {cmd}"))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if self.child.is_some() {
            self.stop();
        }
        self.cleanup_net();
        if std::thread::panicking() {
            eprintln!("---- ferrosai-fwd log ----\n{}", self.log_text());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn not_root() -> bool {
    // Read the effective uid from /proc (no libc call needed).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u != "0"))
        })
        .unwrap_or(true)
}

/// Python one-liner runner (python3 is in scripts/install-deps.sh).
pub fn py(ns: &str, code: &str) -> (bool, String) {
    let path = format!("/tmp/fwt-{}-{}.py", std::process::id(), code.len());
    std::fs::write(&path, code).unwrap();
    let r = sh(&format!("ip netns exec {ns} python3 {path}"));
    let _ = std::fs::remove_file(&path);
    r
}
