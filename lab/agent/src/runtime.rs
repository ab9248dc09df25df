//! The agent's event loop: one thread owns the [`Agent`]; the FPM server, the neighbor subscription
//! and the control socket feed it through a channel.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddrV4, SocketAddrV6, TcpListener, TcpStream, UdpSocket};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

use crate::config_db::Mac;
use crate::fpm::{decode_frame, frame_len, FpmError, FpmMsg, FPM_HDR_LEN};
use crate::neigh::{self, NeighEvent};
use crate::prefix::IfAddr;
use crate::state::{Agent, Dataplane};

/// How often unresolved next hops are probed.
pub const RESOLVE_INTERVAL: Duration = Duration::from_millis(500);

/// Most FPM frames taken into one batch of bulk route calls.
pub const FPM_BATCH_FRAMES: usize = 4096;

/// Quiet time after which a replay from a fresh FPM connection is taken as complete.
pub const RESYNC_QUIET: Duration = Duration::from_millis(1500);

enum Event {
    FpmConnected(u64),
    FpmFrame(Result<Vec<FpmMsg>, FpmError>),
    FpmClosed(u64, String),
    Neigh(NeighEvent),
    Ctl(String, Sender<String>),
}

/// Runtime options.
#[derive(Debug, Clone)]
pub struct Options {
    /// FPM listen address (zebra connects to it).
    pub fpm: String,
    /// Control socket path.
    pub ctl: PathBuf,
    /// Apply addresses / link state to the kernel host interfaces (`ip` commands, as intfmgrd).
    pub kernel: bool,
    /// Subscribe to kernel neighbors.
    pub neighbors: bool,
    /// Append every FPM frame received, as one hex line, to this file (golden-test capture).
    pub dump_fpm: Option<PathBuf>,
}

fn read_ifindex(port: &str) -> Option<u32> {
    std::fs::read_to_string(format!("/sys/class/net/{port}/ifindex"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

fn dump_frame(path: &Path, frame: &[u8]) {
    use std::fmt::Write as _;
    let mut line = String::with_capacity(frame.len() * 2 + 1);
    for b in frame {
        let _ = write!(line, "{b:02x}");
    }
    line.push('\n');
    let res = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = res {
        tracing::warn!("FPM dump {}: {e}", path.display());
    }
}

fn fpm_conn(mut s: TcpStream, id: u64, tx: &Sender<Event>, dump: Option<&Path>) -> String {
    let _ = tx.send(Event::FpmConnected(id));
    loop {
        let mut hdr = [0u8; FPM_HDR_LEN];
        if let Err(e) = s.read_exact(&mut hdr) {
            return format!("read: {e}");
        }
        let len = match frame_len(hdr) {
            Ok(l) => l,
            Err(e) => {
                // the stream cannot be re-synchronised: count, drop the connection, zebra reconnects
                let _ = tx.send(Event::FpmFrame(Err(e.clone())));
                return format!("bad FPM header: {e}");
            }
        };
        let mut frame = vec![0u8; len];
        frame[..FPM_HDR_LEN].copy_from_slice(&hdr);
        if let Err(e) = s.read_exact(&mut frame[FPM_HDR_LEN..]) {
            return format!("read: {e}");
        }
        if let Some(p) = dump {
            dump_frame(p, &frame);
        }
        if tx.send(Event::FpmFrame(decode_frame(&frame))).is_err() {
            return "agent gone".into();
        }
    }
}

fn fpm_server(l: TcpListener, tx: Sender<Event>, dump: Option<PathBuf>) {
    let mut id = 0u64;
    for s in l.incoming() {
        match s {
            Ok(s) => {
                id += 1;
                let peer = s.peer_addr().map(|a| a.to_string()).unwrap_or_default();
                tracing::info!("FPM connection {id} from {peer}");
                let tx = tx.clone();
                let cid = id;
                let dump = dump.clone();
                // one zebra at a time in practice; a thread per connection keeps it simple
                thread::spawn(move || {
                    let why = fpm_conn(s, cid, &tx, dump.as_deref());
                    let _ = tx.send(Event::FpmClosed(cid, why));
                });
            }
            Err(e) => tracing::warn!("FPM accept: {e}"),
        }
    }
}

fn ctl_conn(s: UnixStream, tx: &Sender<Event>) -> std::io::Result<()> {
    let mut w = s.try_clone()?;
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line)?;
    let (rtx, rrx) = mpsc::channel();
    if tx.send(Event::Ctl(line.trim().to_string(), rtx)).is_err() {
        return Ok(());
    }
    let reply = rrx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| "ERR agent did not answer\n".into());
    w.write_all(reply.as_bytes())
}

fn ctl_server(l: UnixListener, tx: Sender<Event>) {
    for s in l.incoming().flatten() {
        let tx = tx.clone();
        thread::spawn(move || {
            if let Err(e) = ctl_conn(s, &tx) {
                tracing::warn!("control connection: {e}");
            }
        });
    }
}

fn sh(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

struct Rt<D: Dataplane> {
    agent: Agent<D>,
    opts: Options,
    kernel_neigh: HashMap<(IpAddr, u32), Mac>,
    resync_since: Option<Instant>,
    last_fpm: Instant,
    last_resolve: Instant,
}

impl<D: Dataplane> Rt<D> {
    fn rescan_ifindex(&mut self) {
        let ports: Vec<String> = self.agent.ports().map(str::to_string).collect();
        for p in ports {
            if let Some(i) = read_ifindex(&p) {
                self.agent.set_ifindex(i, &p);
            }
        }
    }

    fn reapply_neighbors(&mut self) {
        let all: Vec<_> = self.kernel_neigh.iter().map(|(k, m)| (*k, *m)).collect();
        for ((ip, ifi), mac) in all {
            let _ = self.agent.neighbor_set(ip, ifi, mac);
        }
    }

    fn ctl(&mut self, cmd: &str) -> Result<String, String> {
        let w: Vec<&str> = cmd.split_whitespace().collect();
        let out = match w.as_slice() {
            ["interface", "ip", op @ ("add" | "remove"), port, addr] => {
                let a: IfAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
                if *op == "add" {
                    self.agent.add_address(port, a).map_err(|e| e.to_string())?;
                    if self.opts.kernel {
                        // as intfmgrd: the host interface carries the router MAC, then the address
                        let mac = self.agent.router_mac().to_string();
                        sh(&["link", "set", "dev", port, "address", &mac])
                            .and_then(|()| sh(&["addr", "replace", addr, "dev", port]))
                            .map_err(|e| format!("SAI done, kernel failed: {e}"))?;
                    }
                } else {
                    self.agent
                        .remove_address(port, a)
                        .map_err(|e| e.to_string())?;
                    if self.opts.kernel {
                        sh(&["addr", "del", addr, "dev", port])?;
                    }
                }
                self.rescan_ifindex();
                self.reapply_neighbors();
                String::new()
            }
            ["interface", op @ ("startup" | "shutdown"), port] => {
                let up = *op == "startup";
                self.agent.port_admin(port, up).map_err(|e| e.to_string())?;
                if self.opts.kernel {
                    sh(&["link", "set", "dev", port, if up { "up" } else { "down" }])?;
                }
                String::new()
            }
            ["show", "routes"] => self.agent.show_routes(),
            ["show", "neighbors"] => self.agent.show_neighbors(),
            ["show", "interfaces"] => self.agent.show_interfaces(),
            ["show", "counters"] => self.agent.show_counters(),
            ["show", "sai", "neighbor", ip, port] => {
                let ip: IpAddr = ip.parse().map_err(|e| format!("{ip}: {e}"))?;
                let mac = self
                    .agent
                    .query_neighbor(ip, port)
                    .map_err(|e| e.to_string())?;
                format!("{ip} {mac} {port}\n")
            }
            ["show", "sai", "route", p] => {
                let p: crate::prefix::IpPrefix = p.parse().map_err(|e| format!("{p}: {e}"))?;
                let mut out = self.agent.dp.query_route(p).map_err(|e| e.to_string())?;
                out.push('\n');
                out
            }
            _ => return Err(format!("unknown command {cmd:?}")),
        };
        Ok(out)
    }

    fn handle(&mut self, ev: Event) {
        match ev {
            Event::FpmConnected(id) => {
                tracing::info!("FPM {id}: connected, resync (mark)");
                self.agent.begin_resync();
                self.resync_since = Some(Instant::now());
                self.last_fpm = Instant::now();
            }
            Event::FpmClosed(id, why) => {
                tracing::warn!("FPM {id}: closed ({why}); routes kept until the replay");
            }
            Event::FpmFrame(Ok(msgs)) => {
                self.last_fpm = Instant::now();
                self.rescan_ifindex();
                for m in &msgs {
                    tracing::info!(target: "fpm", "{m:?}");
                }
                self.agent.apply_fpm(msgs);
            }
            Event::FpmFrame(Err(e)) => {
                self.agent.stats.fpm_bad_frames += 1;
                tracing::warn!("FPM frame rejected: {e}");
            }
            Event::Neigh(n) => {
                if !self.agent.knows_ifindex(n.ifindex) {
                    self.rescan_ifindex();
                }
                match n.mac {
                    Some(mac) => {
                        self.kernel_neigh.insert((n.ip, n.ifindex), mac);
                        if let Err(e) = self.agent.neighbor_set(n.ip, n.ifindex, mac) {
                            tracing::warn!("neighbor {}: {e}", n.ip);
                        }
                    }
                    None => {
                        self.kernel_neigh.remove(&(n.ip, n.ifindex));
                        self.agent.neighbor_del(n.ip, n.ifindex);
                    }
                }
            }
            Event::Ctl(cmd, reply) => {
                let r = match self.ctl(&cmd) {
                    Ok(out) => format!("{out}OK\n"),
                    Err(e) => format!("ERR {e}\n"),
                };
                tracing::info!("control: {cmd} -> {}", r.lines().last().unwrap_or(""));
                let _ = reply.send(r);
            }
        }
    }

    /// As SONiC's nbrmgrd on a NEIGH_RESOLVE request: make the kernel resolve the neighbor of a
    /// next hop in use (a datagram to the discard port makes it send ARP / ND; the answer, copied
    /// to the host interface, then completes the kernel's entry and comes back as RTM_NEWNEIGH).
    fn resolve_next_hops(&mut self) {
        if self.last_resolve.elapsed() < RESOLVE_INTERVAL {
            return;
        }
        self.last_resolve = Instant::now();
        for (ip, port) in self.agent.unresolved_next_hops() {
            let Some(ifindex) = read_ifindex(&port) else {
                continue;
            };
            let res = match ip {
                IpAddr::V4(a) => UdpSocket::bind("0.0.0.0:0")
                    .and_then(|s| s.send_to(b"ferrosai-resolve", SocketAddrV4::new(a, 9))),
                IpAddr::V6(a) => {
                    let scope = if (a.segments()[0] & 0xffc0) == 0xfe80 {
                        ifindex
                    } else {
                        0
                    };
                    UdpSocket::bind("[::]:0").and_then(|s| {
                        s.send_to(b"ferrosai-resolve", SocketAddrV6::new(a, 9, 0, scope))
                    })
                }
            };
            self.agent.stats.resolve_probes += 1;
            if let Err(e) = res {
                tracing::debug!("resolve {ip} on {port}: {e}");
            }
        }
    }

    fn tick(&mut self) {
        if self.opts.kernel {
            self.resolve_next_hops();
        }
        for ev in self.agent.dp.poll_events() {
            tracing::info!(target: "sai_notification", "{ev}");
        }
        if let Some(since) = self.resync_since {
            if since.elapsed() >= RESYNC_QUIET && self.last_fpm.elapsed() >= RESYNC_QUIET {
                let n = self.agent.end_resync();
                tracing::info!("FPM resync complete: {n} stale routes swept");
                self.resync_since = None;
            }
        }
    }
}

/// Runs the agent until the process is killed.
pub fn run<D: Dataplane>(agent: Agent<D>, opts: Options) -> std::io::Result<()> {
    let (tx, rx): (Sender<Event>, Receiver<Event>) = mpsc::channel();
    let fpm = TcpListener::bind(&opts.fpm)?;
    tracing::info!("FPM server on {}", opts.fpm);
    let _ = std::fs::remove_file(&opts.ctl);
    let ctl = UnixListener::bind(&opts.ctl)?;
    {
        let tx = tx.clone();
        let dump = opts.dump_fpm.clone();
        thread::spawn(move || fpm_server(fpm, tx, dump));
    }
    {
        let tx = tx.clone();
        thread::spawn(move || ctl_server(ctl, tx));
    }
    if opts.neighbors {
        let (ntx, nrx) = mpsc::channel();
        thread::spawn(move || {
            if let Err(e) = neigh::run(ntx) {
                tracing::error!("neighbor subscription failed: {e}");
            }
        });
        let tx = tx.clone();
        thread::spawn(move || {
            for n in nrx {
                if tx.send(Event::Neigh(n)).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut rt = Rt {
        agent,
        opts,
        kernel_neigh: HashMap::new(),
        resync_since: None,
        last_fpm: Instant::now(),
        last_resolve: Instant::now(),
    };
    rt.rescan_ifindex();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(ev @ Event::FpmFrame(Ok(_))) => {
                // a burst of FPM frames (a replay is the whole table) becomes bulk route calls
                rt.agent.begin_batch();
                rt.handle(ev);
                let mut other = None;
                for _ in 0..FPM_BATCH_FRAMES {
                    match rx.try_recv() {
                        Ok(ev @ Event::FpmFrame(_)) => rt.handle(ev),
                        Ok(ev) => {
                            other = Some(ev);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                rt.agent.flush();
                if let Some(ev) = other {
                    rt.handle(ev);
                }
            }
            Ok(ev) => rt.handle(ev),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        rt.tick();
    }
}

/// The `config` client: sends one command line to the agent's control socket, prints the answer.
pub fn client(ctl: &Path, words: &[String]) -> Result<String, String> {
    let mut s = UnixStream::connect(ctl).map_err(|e| format!("connect {}: {e}", ctl.display()))?;
    s.write_all(format!("{}\n", words.join(" ")).as_bytes())
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    match out.lines().last() {
        Some("OK") => Ok(out[..out.len() - 3].to_string()),
        Some(l) if l.starts_with("ERR") => Err(l.to_string()),
        _ => Err(format!("bad answer {out:?}")),
    }
}
