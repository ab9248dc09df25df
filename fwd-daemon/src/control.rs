//! The control thread: consumes the ring (commands -> [`Tables`] -> completions), owns the host
//! interfaces (punt: worker -> TAP; inject: TAP -> worker), watches link state (ring events and
//! TAP carrier), keeps the ring heartbeat, and answers the CLI.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use fwd_engine::buffer::PacketBuf;
use ring_proto::{Command, Completion, Event, Forwarder, FromLibrary, Status};
use serde_json::json;

use crate::cli::{CliCmd, CliRequest};
use crate::io::{LinkState, Mbuf, Mempool, Port, PortStats};
use crate::tables::Tables;
use crate::tap::{poll_readable, Tap};
use crate::worker::{Captured, WorkerCounters, WorkerRequest};

/// Control-thread counters (shown by `show errors` / `show hostif`).
#[derive(Debug, Default)]
pub struct ControlCounters {
    /// Commands applied.
    pub commands: AtomicU64,
    /// Commands that failed (non-Ok completion).
    pub command_errors: AtomicU64,
    /// Invalid records from the ring.
    pub invalid_records: AtomicU64,
    /// Punted frames written to TAPs.
    pub punt_to_tap: AtomicU64,
    /// Punted frames without a host interface (dropped).
    pub punt_no_hostif: AtomicU64,
    /// TAP write errors.
    pub tap_write_errors: AtomicU64,
    /// Frames read from TAPs.
    pub tap_rx: AtomicU64,
    /// Frames read from TAPs dropped (no mbuf / inject queue full / too long).
    pub tap_rx_drops: AtomicU64,
    /// Link events sent.
    pub link_events: AtomicU64,
}

struct Hostif {
    id: u32,
    port: u32,
    tap: Tap,
    oper_up: bool,
}

struct PcapJob {
    file: std::path::PathBuf,
    max: u64,
    written: Arc<AtomicU64>,
    handle: JoinHandle<Result<u64, String>>,
}

/// Everything the control thread owns.
pub struct Control {
    /// Object tables.
    pub tables: Tables,
    /// Ring endpoint (None: running without a ring, e.g. benchmarks).
    pub ring: Option<Forwarder>,
    /// Ports.
    pub ports: Arc<Vec<Port>>,
    /// Pool for injected frames.
    pub pool: Arc<Mempool>,
    /// Punt queues from the workers.
    pub punts: Vec<rtrb::Consumer<Mbuf>>,
    /// Inject queues to the workers.
    pub injects: Vec<rtrb::Producer<(u32, Mbuf)>>,
    /// Worker request channels.
    pub workers: Vec<Sender<WorkerRequest>>,
    /// Worker counters.
    pub worker_counters: Vec<Arc<WorkerCounters>>,
    /// CLI requests.
    pub cli: Receiver<CliRequest>,
    /// Stop flag.
    pub stop: Arc<AtomicBool>,
    /// Counters.
    pub counters: Arc<ControlCounters>,
    /// Port administrative state shared with the workers.
    pub admin: Arc<Vec<AtomicBool>>,
    /// sw_if_index -> RIF id, shared with the workers.
    pub rif_map: Arc<arc_swap::ArcSwap<Vec<u32>>>,
    hostifs: HashMap<u32, Hostif>,
    links: Vec<LinkState>,
    /// Port counters baseline for `clear counters` (DPDK stats are reset too when supported).
    base: Vec<PortStats>,
    pcap: Option<PcapJob>,
    /// Result of the last capture that ended by itself (max reached), for `pcap trace off`.
    pcap_done: Option<(std::path::PathBuf, Result<u64, String>)>,
    /// Ring receive and completion buffers, reused across polls.
    rx: Vec<FromLibrary>,
    done: Vec<Completion>,
}

const MAX_FRAME: usize = 9216 + 18;
/// Commands taken from the ring per poll.
const RX_BURST: usize = 1024;

impl Control {
    /// A control thread state.
    #[allow(
        clippy::too_many_arguments,
        reason = "plain constructor of the thread state"
    )]
    pub fn new(
        tables: Tables,
        ring: Option<Forwarder>,
        ports: Arc<Vec<Port>>,
        pool: Arc<Mempool>,
        punts: Vec<rtrb::Consumer<Mbuf>>,
        injects: Vec<rtrb::Producer<(u32, Mbuf)>>,
        workers: Vec<Sender<WorkerRequest>>,
        worker_counters: Vec<Arc<WorkerCounters>>,
        cli: Receiver<CliRequest>,
        stop: Arc<AtomicBool>,
        admin: Arc<Vec<AtomicBool>>,
        rif_map: Arc<arc_swap::ArcSwap<Vec<u32>>>,
    ) -> Control {
        let n = ports.len();
        Control {
            tables,
            ring,
            ports,
            pool,
            punts,
            injects,
            workers,
            worker_counters,
            cli,
            stop,
            counters: Arc::new(ControlCounters::default()),
            admin,
            rif_map,
            hostifs: HashMap::new(),
            links: vec![LinkState::default(); n],
            base: vec![PortStats::default(); n],
            pcap: None,
            pcap_done: None,
            rx: Vec::with_capacity(RX_BURST),
            done: Vec::with_capacity(RX_BURST),
        }
    }

    /// Run until the stop flag is set; then remove the TAPs and tell the library we stop.
    pub fn run(mut self) {
        let mut last_link = Instant::now() - Duration::from_secs(1);
        let mut last_beat = Instant::now();
        let mut fds = Vec::new();
        let mut readable = Vec::new();
        let mut buf = vec![0u8; MAX_FRAME];
        self.check_links();
        while !self.stop.load(Ordering::Relaxed) {
            let mut work = self.poll_ring();
            work += self.drain_punts();
            // TAP frames: wait up to 1 ms when nothing else is happening (this is the control
            // thread's idle back-off).
            fds.clear();
            let order: Vec<u32> = self.hostifs.keys().copied().collect();
            fds.extend(
                order
                    .iter()
                    .filter_map(|id| self.hostifs.get(id).map(|h| h.tap.raw_fd())),
            );
            let timeout = if work > 0 { 0 } else { 1 };
            if fds.is_empty() {
                if timeout > 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            } else if poll_readable(&fds, timeout, &mut readable).is_ok() {
                for &i in &readable {
                    if let Some(id) = order.get(i) {
                        self.read_tap(*id, &mut buf);
                    }
                }
            }
            if last_link.elapsed() >= Duration::from_millis(100) {
                last_link = Instant::now();
                self.check_links();
                self.tables.fib().reclaim();
            }
            if last_beat.elapsed() >= Duration::from_millis(100) {
                last_beat = Instant::now();
                if let Some(r) = &self.ring {
                    r.heartbeat();
                }
            }
            while let Ok(req) = self.cli.try_recv() {
                let ans = self.answer(&req.cmd, req.json);
                let _ = req.reply.send(ans);
            }
            self.reap_pcap();
        }
        self.stop_pcap();
        // Drain what workers punted last (they are stopping too) and remove the TAPs.
        self.drain_punts();
        self.hostifs.clear();
        if let Some(r) = self.ring.take() {
            r.stop(0);
        }
    }

    fn poll_ring(&mut self) -> usize {
        let Some(ring) = self.ring.as_mut() else {
            return 0;
        };
        let mut items = std::mem::take(&mut self.rx);
        items.clear();
        ring.recv(RX_BURST, |m| items.push(m));
        if items.is_empty() {
            self.rx = items;
            return 0;
        }
        let n = items.len();
        let mut done = std::mem::take(&mut self.done);
        done.clear();
        for it in items.drain(..) {
            match it {
                FromLibrary::NewLibrary { generation } => {
                    tracing::info!(generation, "new library generation: flushing all state");
                    self.hostifs.clear();
                    self.tables.flush();
                }
                FromLibrary::Invalid { seq, error } => {
                    tracing::warn!(seq, %error, "invalid command record");
                    self.counters
                        .invalid_records
                        .fetch_add(1, Ordering::Relaxed);
                    done.push(Completion {
                        seq,
                        status: Status::Invalid,
                        object_id: 0,
                    });
                }
                FromLibrary::Command { seq, cmd } => {
                    let (status, object_id) = self.apply(&cmd);
                    self.counters.commands.fetch_add(1, Ordering::Relaxed);
                    if status != Status::Ok {
                        self.counters.command_errors.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(seq, ?cmd, ?status, "command failed");
                    }
                    done.push(Completion {
                        seq,
                        status,
                        object_id,
                    });
                }
            }
        }
        if self.tables.publish() {
            let map = self.tables.rif_map();
            if **self.rif_map.load() != map {
                self.rif_map.store(Arc::new(map));
            }
        }
        if let Some(ring) = self.ring.as_mut() {
            if let Err(e) = ring.complete_all(&done, Duration::from_secs(1)) {
                tracing::error!("completion ring: {e:?}");
            }
        }
        self.rx = items;
        self.done = done;
        n
    }

    fn apply(&mut self, cmd: &Command) -> (Status, u64) {
        match *cmd {
            Command::HostifAdd {
                id,
                port,
                name,
                oper_up,
            } => {
                let oid = u64::from(id);
                if self.hostifs.contains_key(&id) {
                    return (Status::Exists, oid);
                }
                let Some(p) = usize::try_from(port).ok().and_then(|i| self.ports.get(i)) else {
                    return (Status::NotFound, oid);
                };
                let mac = self.tables.hostif_mac(port).unwrap_or(p.mac);
                let link_up = self
                    .links
                    .get(usize::try_from(port).unwrap_or(0))
                    .is_some_and(|l| l.up);
                let mtu = u32::from(p.info.mtu).max(576);
                match Tap::create(name.as_str(), mac, mtu, link_up && oper_up) {
                    Ok(tap) => {
                        tracing::info!(name = name.as_str(), port, "host interface created");
                        self.hostifs.insert(
                            id,
                            Hostif {
                                id,
                                port,
                                tap,
                                oper_up,
                            },
                        );
                        (Status::Ok, oid)
                    }
                    Err(e) => {
                        tracing::error!(name = name.as_str(), "host interface: {e}");
                        (Status::Invalid, oid)
                    }
                }
            }
            Command::Flush(_) => {
                // Everything the library programmed goes, its host interfaces (TAPs) too: a
                // replay after the flush must not find them "existing".
                self.hostifs.clear();
                let o = self.tables.apply(cmd);
                (o.status, o.object_id)
            }
            Command::HostifDel(id) => match self.hostifs.remove(&id) {
                Some(_) => (Status::Ok, u64::from(id)),
                None => (Status::NotFound, u64::from(id)),
            },
            Command::HostifOper { id, oper_up } => {
                let links = &self.links;
                match self.hostifs.get_mut(&id) {
                    Some(h) => {
                        h.oper_up = oper_up;
                        let up = links
                            .get(usize::try_from(h.port).unwrap_or(0))
                            .is_some_and(|l| l.up);
                        let _ = h.tap.set_carrier(up && oper_up);
                        (Status::Ok, u64::from(id))
                    }
                    None => (Status::NotFound, u64::from(id)),
                }
            }
            Command::PortSet(p) => {
                let o = self.tables.apply(cmd);
                if o.status != Status::Ok {
                    return (o.status, o.object_id);
                }
                let i = usize::try_from(p.port).unwrap_or(usize::MAX);
                if let (Some(a), Some(port)) = (self.admin.get(i), self.ports.get(i)) {
                    // Relaxed: a flag the workers poll; nothing else is published with it.
                    a.store(p.admin_up, Ordering::Relaxed);
                    // The device's own admin state / MTU when the PMD supports them (af_packet does
                    // not support link up/down; the workers enforce admin-down either way).
                    if let Err(e) = port.set_admin(p.admin_up) {
                        tracing::debug!("{e}");
                    }
                    if let Ok(mtu) = u16::try_from(p.mtu) {
                        if mtu != port.info.mtu {
                            if let Err(e) = port.set_mtu(mtu) {
                                tracing::warn!(
                                    "port {}: MTU {mtu} not applied to the device: {e}",
                                    port.name
                                );
                            }
                        }
                    }
                }
                self.check_links();
                (o.status, o.object_id)
            }
            _ => {
                let o = self.tables.apply(cmd);
                // A RIF MAC change shows on the port's host interface.
                if let Command::RifAdd(r) | Command::RifSet(r) = cmd {
                    if o.status == Status::Ok {
                        if let Some(mac) = self.tables.hostif_mac(r.port) {
                            for h in self.hostifs.values().filter(|h| h.port == r.port) {
                                let _ = h.tap.set_mac(mac);
                            }
                        }
                    }
                }
                (o.status, o.object_id)
            }
        }
    }

    fn drain_punts(&mut self) -> usize {
        let mut n = 0;
        for q in &mut self.punts {
            while let Ok(m) = q.pop() {
                n += 1;
                let host_if = m.meta().tx_sw_if_index;
                // host_if is the port index of the receive interface (see Tables::interface_for).
                match self.hostifs.values().find(|h| h.port == host_if) {
                    Some(h) => match h.tap.send(m.data()) {
                        Ok(()) => {
                            self.counters.punt_to_tap.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => {
                            self.counters
                                .tap_write_errors
                                .fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    None => {
                        self.counters.punt_no_hostif.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
        n
    }

    fn read_tap(&mut self, id: u32, buf: &mut [u8]) {
        let Some(h) = self.hostifs.get(&id) else {
            return;
        };
        let port = h.port;
        let nworkers = self.injects.len().max(1);
        // Inject through the worker chosen by port, so one port's host frames stay in order.
        let w = usize::try_from(port).unwrap_or(0) % nworkers;
        for _ in 0..64 {
            match h.tap.recv(buf) {
                Ok(Some(len)) if len > 0 => {
                    self.counters.tap_rx.fetch_add(1, Ordering::Relaxed);
                    let Some(m) = Mbuf::from_bytes(&self.pool, port, &buf[..len]) else {
                        self.counters.tap_rx_drops.fetch_add(1, Ordering::Relaxed);
                        continue;
                    };
                    let pushed = self
                        .injects
                        .get_mut(w)
                        .is_some_and(|q| q.push((port, m)).is_ok());
                    if !pushed {
                        self.counters.tap_rx_drops.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    tracing::debug!(id = h.id, "tap read: {e}");
                    break;
                }
            }
        }
    }

    fn check_links(&mut self) {
        for (i, p) in self.ports.iter().enumerate() {
            let mut l = p.link();
            // Oper state is down while the port is administratively down.
            l.up &= self.admin.get(i).is_some_and(|a| a.load(Ordering::Relaxed));
            if self.links[i] == l {
                continue;
            }
            let changed_up = self.links[i].up != l.up;
            self.links[i] = l;
            if !changed_up {
                continue;
            }
            tracing::info!(
                port = p.name.as_str(),
                up = l.up,
                speed = l.speed_mbps,
                "link state"
            );
            let port = u32::try_from(i).unwrap_or(u32::MAX);
            for h in self.hostifs.values().filter(|h| h.port == port) {
                let _ = h.tap.set_carrier(l.up && h.oper_up);
            }
            if let Some(r) = self.ring.as_mut() {
                let ev = Event::Link {
                    port,
                    up: l.up,
                    speed_mbps: l.speed_mbps,
                };
                if r.event(&ev).is_ok() {
                    self.counters.link_events.fetch_add(1, Ordering::Relaxed);
                } else {
                    tracing::warn!("event ring full: link event for {} lost", p.name);
                }
            }
        }
    }

    fn ask_workers<T>(&self, mk: impl Fn(Sender<T>) -> WorkerRequest) -> Vec<T> {
        let mut out = Vec::new();
        for w in &self.workers {
            let (tx, rx) = mpsc::channel();
            if w.send(mk(tx)).is_ok() {
                if let Ok(v) = rx.recv_timeout(Duration::from_secs(2)) {
                    out.push(v);
                }
            }
        }
        out
    }

    fn tell_workers(&self, mk: impl Fn() -> WorkerRequest) {
        for w in &self.workers {
            let _ = w.send(mk());
        }
    }

    fn port_counters(&self, i: usize) -> serde_json::Value {
        let p = &self.ports[i];
        let s = p.stats();
        let b = self.base[i];
        let mut sw = [0u64; 5];
        for wc in &self.worker_counters {
            if let Some(pc) = wc.port.get(i) {
                for (k, v) in sw.iter_mut().enumerate() {
                    *v += pc[k].load(Ordering::Relaxed);
                }
            }
        }
        json!({
            "name": p.name,
            "index": i,
            "link_up": self.links[i].up,
            "rx_packets": sw[0],
            "rx_bytes": sw[1],
            "tx_packets": sw[2],
            "tx_bytes": sw[3],
            "tx_drops": sw[4],
            "device": {
                "ipackets": s.ipackets.saturating_sub(b.ipackets),
                "opackets": s.opackets.saturating_sub(b.opackets),
                "ibytes": s.ibytes.saturating_sub(b.ibytes),
                "obytes": s.obytes.saturating_sub(b.obytes),
                "imissed": s.imissed.saturating_sub(b.imissed),
                "ierrors": s.ierrors.saturating_sub(b.ierrors),
                "oerrors": s.oerrors.saturating_sub(b.oerrors),
                "rx_nombuf": s.rx_nombuf.saturating_sub(b.rx_nombuf),
            }
        })
    }

    fn answer(&mut self, cmd: &CliCmd, json_out: bool) -> String {
        let v: serde_json::Value;
        let mut text = String::new();
        match cmd {
            CliCmd::ShowInterface(name) => {
                let mut rows = Vec::new();
                for i in 0..self.ports.len() {
                    if name.as_ref().is_some_and(|n| *n != self.ports[i].name) {
                        continue;
                    }
                    rows.push(self.port_counters(i));
                }
                if rows.is_empty() {
                    return format!("error: no interface {}\n", name.clone().unwrap_or_default());
                }
                let _ = writeln!(
                    text,
                    "{:<14}{:>4} {:<5}{:>14}{:>16}{:>14}{:>16}{:>10}",
                    "Name",
                    "Idx",
                    "State",
                    "rx packets",
                    "rx bytes",
                    "tx packets",
                    "tx bytes",
                    "drops"
                );
                for r in &rows {
                    let g = |k: &str| r[k].as_u64().unwrap_or(0);
                    let _ = writeln!(
                        text,
                        "{:<14}{:>4} {:<5}{:>14}{:>16}{:>14}{:>16}{:>10}",
                        r["name"].as_str().unwrap_or(""),
                        g("index"),
                        if r["link_up"].as_bool().unwrap_or(false) {
                            "up"
                        } else {
                            "down"
                        },
                        g("rx_packets"),
                        g("rx_bytes"),
                        g("tx_packets"),
                        g("tx_bytes"),
                        g("tx_drops") + r["device"]["imissed"].as_u64().unwrap_or(0)
                    );
                }
                v = json!({ "interfaces": rows });
            }
            CliCmd::ShowHardware => {
                let mut rows = Vec::new();
                for (i, p) in self.ports.iter().enumerate() {
                    let l = self.links[i];
                    let mac = p
                        .mac
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":");
                    let _ = writeln!(
                        text,
                        "{} (port {}) link {} {} Mb/s {}\n  driver {} device {}\n  mac {} mtu {} rx queues {}/{} tx queues {}/{} socket {}",
                        p.name,
                        p.id,
                        if l.up { "up" } else { "down" },
                        l.speed_mbps,
                        if l.full_duplex { "full-duplex" } else { "half-duplex" },
                        p.info.driver,
                        p.info.device,
                        mac,
                        p.info.mtu,
                        p.info.rx_queues,
                        p.info.max_rx_queues,
                        p.info.tx_queues,
                        p.info.max_tx_queues,
                        p.info.socket
                    );
                    rows.push(json!({ "name": p.name, "dpdk_port": p.id, "mac": mac, "link": l, "info": p.info }));
                }
                let (avail, used) = self.pool.usage();
                let _ = writeln!(text, "mbuf pool: {avail} available, {used} in use");
                v = json!({ "ports": rows, "mbufs_available": avail, "mbufs_in_use": used });
            }
            CliCmd::ShowIpFib(f) | CliCmd::ShowIp6Fib(f) => {
                let rows = self
                    .tables
                    .fib_rows(matches!(cmd, CliCmd::ShowIp6Fib(_)), *f);
                for r in &rows {
                    let _ = writeln!(text, "vrf {} {} lb {} [{}]", r.vrf, r.prefix, r.lb, r.kind);
                    for p in &r.paths {
                        if p.adj == u32::MAX {
                            let _ = writeln!(text, "    via {}", p.interface);
                        } else {
                            let _ = writeln!(
                                text,
                                "    adj {} via {} rewrite {}",
                                p.adj, p.interface, p.rewrite
                            );
                        }
                    }
                }
                v = json!({ "routes": rows });
            }
            CliCmd::ShowNeighbors => {
                let rows = self.tables.neighbor_rows();
                for r in &rows {
                    let _ = writeln!(
                        text,
                        "{:<40} {:<18} {:<14} adj {}",
                        r.ip, r.mac, r.interface, r.adj
                    );
                }
                v = json!({ "neighbors": rows });
            }
            CliCmd::ShowRuntime => {
                let res = self.ask_workers(WorkerRequest::ShowRuntime);
                let mut ws = Vec::new();
                for (i, (t, rows)) in res.into_iter().enumerate() {
                    let c = &self.worker_counters[i];
                    let loops = c.loops.load(Ordering::Relaxed);
                    let idle = c.idle_polls.load(Ordering::Relaxed);
                    let _ = writeln!(
                        text,
                        "Thread {} worker {i}: loops {loops}, idle polls {idle}\n{t}",
                        i + 1
                    );
                    let nodes: Vec<_> = rows
                        .into_iter()
                        .map(|(n, calls, pk, cl)| json!({"node": n, "calls": calls, "vectors": pk, "clocks": cl}))
                        .collect();
                    ws.push(
                        json!({"worker": i, "loops": loops, "idle_polls": idle, "nodes": nodes}),
                    );
                }
                v = json!({ "workers": ws });
            }
            CliCmd::ShowErrors => {
                let res = self.ask_workers(WorkerRequest::ShowErrors);
                let mut agg: Vec<(String, String, String, String, u64)> = Vec::new();
                for (_, rows) in res {
                    for r in rows {
                        match agg.iter_mut().find(|a| a.0 == r.0 && a.1 == r.1) {
                            Some(a) => a.4 += r.4,
                            None => agg.push(r),
                        }
                    }
                }
                let c = &self.counters;
                let mut daemon = vec![
                    (
                        "control",
                        "invalid-records",
                        "invalid command records on the ring",
                        c.invalid_records.load(Ordering::Relaxed),
                    ),
                    (
                        "control",
                        "command-errors",
                        "commands answered with an error status",
                        c.command_errors.load(Ordering::Relaxed),
                    ),
                    (
                        "punt",
                        "no-hostif",
                        "punted packets without a host interface",
                        c.punt_no_hostif.load(Ordering::Relaxed),
                    ),
                    (
                        "punt",
                        "tap-write-error",
                        "punted packets the TAP refused",
                        c.tap_write_errors.load(Ordering::Relaxed),
                    ),
                    (
                        "inject",
                        "tap-rx-drop",
                        "host frames dropped (no buffer or queue full)",
                        c.tap_rx_drops.load(Ordering::Relaxed),
                    ),
                ];
                let mut wsum = [0u64; 5];
                for w in &self.worker_counters {
                    wsum[4] += w.admin_down.load(Ordering::Relaxed);
                    wsum[0] += w.punt_queue_full.load(Ordering::Relaxed);
                    wsum[1] += w.bad_tx_port.load(Ordering::Relaxed);
                    wsum[2] += w.pcap_lost.load(Ordering::Relaxed);
                    wsum[3] += w
                        .port
                        .iter()
                        .map(|p| p[4].load(Ordering::Relaxed))
                        .sum::<u64>();
                }
                daemon.push((
                    "worker",
                    "admin-down",
                    "packets received on / sent to an admin-down port",
                    wsum[4],
                ));
                daemon.push((
                    "worker",
                    "punt-queue-full",
                    "punts dropped: queue to the control thread full",
                    wsum[0],
                ));
                daemon.push((
                    "worker",
                    "bad-tx-port",
                    "packets for a port that does not exist",
                    wsum[1],
                ));
                daemon.push((
                    "worker",
                    "pcap-lost",
                    "packets not captured (writer behind)",
                    wsum[2],
                ));
                daemon.push((
                    "worker",
                    "tx-full",
                    "packets the device did not accept",
                    wsum[3],
                ));
                let _ = writeln!(
                    text,
                    "{:>12}  {:<24} {:<40} {:<8}",
                    "Count", "Node", "Reason", "Severity"
                );
                for a in &agg {
                    let _ = writeln!(text, "{:>12}  {:<24} {:<40} {:<8}", a.4, a.0, a.2, a.3);
                }
                for d in daemon.iter().filter(|d| d.3 > 0) {
                    let _ = writeln!(text, "{:>12}  {:<24} {:<40} {:<8}", d.3, d.0, d.2, "error");
                }
                let mut rows: Vec<_> = agg
                    .iter()
                    .map(|a| json!({"node": a.0, "name": a.1, "description": a.2, "severity": a.3, "count": a.4}))
                    .collect();
                rows.extend(
                    daemon
                        .iter()
                        .filter(|d| d.3 > 0)
                        .map(|d| json!({"node": d.0, "name": d.1, "description": d.2, "severity": "error", "count": d.3})),
                );
                v = json!({ "errors": rows });
            }
            CliCmd::TraceAdd(n) => {
                let n = *n;
                self.tell_workers(|| WorkerRequest::TraceAdd(n));
                text = format!("tracing the next {n} packets per worker\n");
                v = json!({ "ok": true, "trace_add": n });
            }
            CliCmd::ClearTrace => {
                self.tell_workers(|| WorkerRequest::TraceClear);
                text = "trace cleared\n".into();
                v = json!({ "ok": true });
            }
            CliCmd::ShowTrace => {
                let res = self.ask_workers(WorkerRequest::ShowTrace);
                for (i, t) in res.iter().enumerate() {
                    let _ = writeln!(
                        text,
                        "------------------- worker {i} -------------------\n{t}"
                    );
                }
                v = json!({ "workers": res });
            }
            CliCmd::PcapTrace { rx, tx, max, file } => {
                if self.pcap.is_some() {
                    return "error: a pcap capture is running (pcap trace off first)\n".into();
                }
                self.pcap_done = None;
                match start_pcap(file, *max) {
                    Ok((sink, job)) => {
                        let (rx, tx) = (*rx, *tx);
                        self.tell_workers(|| WorkerRequest::PcapStart {
                            rx,
                            tx,
                            sink: sink.clone(),
                        });
                        drop(sink);
                        text = format!(
                            "capturing up to {max} packets (rx {rx} tx {tx}) to {}\n",
                            file.display()
                        );
                        v = json!({"ok": true, "file": file, "max": max});
                        self.pcap = Some(job);
                    }
                    Err(e) => return format!("error: {e}\n"),
                }
            }
            CliCmd::PcapOff => match self.stop_pcap().or_else(|| self.pcap_done.take()) {
                Some((file, r)) => match r {
                    Ok(n) => {
                        text = format!("wrote {n} packets to {}\n", file.display());
                        v = json!({"ok": true, "file": file, "packets": n});
                    }
                    Err(e) => return format!("error: pcap writer: {e}\n"),
                },
                None => return "error: no pcap capture running\n".into(),
            },
            CliCmd::PcapStatus => {
                let (running, n, file) = match &self.pcap {
                    Some(j) => (
                        true,
                        j.written.load(Ordering::Relaxed),
                        Some(j.file.clone()),
                    ),
                    None => (false, 0, None),
                };
                text = format!(
                    "pcap capture {}: {n} packets\n",
                    if running { "running" } else { "off" }
                );
                v = json!({"running": running, "packets": n, "file": file});
            }
            CliCmd::ClearCounters => {
                self.tell_workers(|| WorkerRequest::ClearCounters);
                for (i, p) in self.ports.iter().enumerate() {
                    p.clear_stats();
                    self.base[i] = p.stats();
                }
                let c = &self.counters;
                for a in [
                    &c.invalid_records,
                    &c.command_errors,
                    &c.punt_no_hostif,
                    &c.tap_write_errors,
                    &c.tap_rx_drops,
                    &c.punt_to_tap,
                    &c.tap_rx,
                ] {
                    a.store(0, Ordering::Relaxed);
                }
                // Let the workers handle the request before the caller reads counters again.
                let _ = self.ask_workers(WorkerRequest::ShowTrace);
                text = "counters cleared\n".into();
                v = json!({"ok": true});
            }
            CliCmd::ShowHostif => {
                let mut rows = Vec::new();
                let mut ids: Vec<&u32> = self.hostifs.keys().collect();
                ids.sort();
                for id in ids {
                    let h = &self.hostifs[id];
                    let _ = writeln!(
                        text,
                        "{} id {} port {} oper {}",
                        h.tap.name(),
                        h.id,
                        h.port,
                        if h.oper_up { "up" } else { "down" }
                    );
                    rows.push(json!({"name": h.tap.name(), "id": h.id, "port": h.port, "oper_up": h.oper_up}));
                }
                let c = &self.counters;
                let (pt, tr) = (
                    c.punt_to_tap.load(Ordering::Relaxed),
                    c.tap_rx.load(Ordering::Relaxed),
                );
                let _ = writeln!(text, "punted to host: {pt}, received from host: {tr}");
                v = json!({"hostifs": rows, "punt_to_tap": pt, "tap_rx": tr});
            }
            CliCmd::ShowRing => {
                let c = &self.counters;
                let [vrfs, rifs, nbs, nhs, groups, routes] = self.tables.counts();
                let (attached, gen, lgen, rx) = match &self.ring {
                    Some(r) => (
                        true,
                        r.generation(),
                        r.library_generation(),
                        format!("{:?}", r.counters()),
                    ),
                    None => (false, 0, 0, String::new()),
                };
                let cmds = c.commands.load(Ordering::Relaxed);
                text = format!(
                    "ring attached {attached} generation {gen} library generation {lgen}\ncommands {cmds} errors {}\n{rx}\nvrfs {vrfs} rifs {rifs} neighbors {nbs} next hops {nhs} groups {groups} routes {routes}\n",
                    c.command_errors.load(Ordering::Relaxed)
                );
                v = json!({"attached": attached, "generation": gen, "library_generation": lgen, "commands": cmds,
                    "command_errors": c.command_errors.load(Ordering::Relaxed),
                    "vrfs": vrfs, "rifs": rifs, "neighbors": nbs, "next_hops": nhs, "groups": groups, "routes": routes});
            }
        }
        if json_out {
            let mut s = v.to_string();
            s.push('\n');
            s
        } else {
            text
        }
    }

    fn reap_pcap(&mut self) {
        if self.pcap.as_ref().is_some_and(|j| j.handle.is_finished()) {
            if let Some((file, r)) = self.stop_pcap() {
                match &r {
                    Ok(n) => tracing::info!("pcap: wrote {n} packets to {}", file.display()),
                    Err(e) => tracing::error!("pcap: {e}"),
                }
                self.pcap_done = Some((file, r));
            }
        }
    }

    fn stop_pcap(&mut self) -> Option<(std::path::PathBuf, Result<u64, String>)> {
        let job = self.pcap.take()?;
        self.tell_workers(|| WorkerRequest::PcapStop);
        let r = job
            .handle
            .join()
            .unwrap_or_else(|_| Err("pcap writer panicked".to_string()));
        let _ = job.max;
        Some((job.file, r))
    }
}

fn start_pcap(
    file: &std::path::Path,
    max: u64,
) -> Result<(mpsc::SyncSender<Captured>, PcapJob), String> {
    use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
    use pcap_file::DataLink;
    let f = std::fs::File::create(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        snaplen: 65535,
        ..PcapHeader::default()
    };
    let mut w =
        PcapWriter::with_header(std::io::BufWriter::new(f), header).map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::sync_channel::<Captured>(4096);
    let written = Arc::new(AtomicU64::new(0));
    let wr = Arc::clone(&written);
    let handle = std::thread::Builder::new()
        .name("pcap".into())
        .spawn(move || {
            let mut n = 0u64;
            // Ends when `max` packets are written or every worker dropped its sender (pcap off).
            while n < max {
                let Ok(c) = rx.recv() else { break };
                let len = u32::try_from(c.data.len()).unwrap_or(u32::MAX);
                let pkt = PcapPacket::new(c.ts, len, &c.data);
                w.write_packet(&pkt).map_err(|e| e.to_string())?;
                n += 1;
                wr.store(n, Ordering::Relaxed);
            }
            drop(rx);
            let inner = w.into_writer();
            let mut inner = inner;
            std::io::Write::flush(&mut inner).map_err(|e| e.to_string())?;
            Ok(n)
        })
        .map_err(|e| e.to_string())?;
    Ok((
        tx,
        PcapJob {
            file: file.to_path_buf(),
            max,
            written,
            handle,
        },
    ))
}
