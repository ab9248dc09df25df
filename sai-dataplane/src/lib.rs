//! `sai-dataplane`: the programmer between libsai's object store and the forwarder.
//!
//! - [`Translator`] (pure): committed store changes -> ring [`Command`]s, SAI object ids ->
//!   dense forwarder ids, ports mapped by name ([`PortMap`]), and a shadow of the desired
//!   forwarder objects other than routes (routes are read from the store when needed).
//! - [`Dataplane`]: the running programmer. It registers a [`ChangeSink`] and a [`StatsSource`]
//!   on the store, sends each committed batch as one burst on the command ring (a bulk call is one
//!   batch: one index publication while it fits in the ring, back-pressure beyond), matches
//!   completions by sequence number, and runs a background thread that polls completions,
//!   events and the forwarder's liveness.
//!
//! Failures the forwarder reports (table full, unsupported, ...) arrive after the SAI call has
//! returned: they are logged through the [`Notifier`] and counted in [`Counters`] (as sairedis
//! does in asynchronous mode). Synchronous resource errors come from the store's own table sizes
//! (`FERROSAI_TABLE_SIZE_*`), which should not exceed the forwarder's.
//!
//! Restarts: a new forwarder generation (`FromForwarder::Restarted`) makes the programmer drop
//! its in-flight bookkeeping and replay the whole state: the shadow (ports, VRFs, RIFs,
//! neighbors, next hops, groups, host interfaces, traps), then the store's routes, then a
//! barrier. A new library generation makes the forwarder flush (ring-proto + fwd-daemon). While
//! no live forwarder is attached, changes only update the shadow (nothing waits on a ring nobody
//! reads).
//!
//! Lock order: the store's lock, then the programmer's. The change sink runs under the store's
//! write lock and takes the programmer's lock, so it never replays (a replay reads the store);
//! while a replay is pending it sends nothing (the replay will read what it committed). The
//! replay runs from the background thread and [`Dataplane::sync`], which take the store's read
//! lock first ([`sai_store::Sai::read_routes`]).
#![forbid(unsafe_code)]

mod ids;
pub mod stats;
pub mod translate;

pub use stats::{IdMaps, RingStats};
pub use translate::{PortMap, Skipped, Translator};

use ring_proto::{
    Command, Event, FromForwarder, Library, Liveness, Segment, SegmentConfig, Status as RingStatus,
};
use sai_store::{Attr, AttrValue, Change, ChangeSink, Routes, Sai};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Profile key naming the ring segment (`/dev/shm/ferrosai-<name>`); absent: store-only mode.
pub const PROFILE_RING: &str = "FERROSAI_RING";
/// Alias of [`PROFILE_RING`].
pub const PROFILE_RING_PATH: &str = "FERROSAI_RING_PATH";
/// Profile key: the forwarder's port names in its port-id order, comma-separated.
pub const PROFILE_FWD_PORTS: &str = "FERROSAI_FWD_PORTS";
/// Profile key: milliseconds without a live forwarder before the switch shutdown request.
pub const PROFILE_LOST_MS: &str = "FERROSAI_FWD_LOST_MS";

/// Log severity for [`Notifier::log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warn,
    Notice,
}

/// What the programmer tells its host (libsai implements it with the C callbacks syncd gave).
/// Called from the background thread, outside every lock.
pub trait Notifier: Send + Sync {
    /// A port's operational status changed (forwarder link event).
    fn port_oper_status(&self, switch_id: u64, port: u64, up: bool);
    /// The forwarder is lost for good.
    fn switch_shutdown_request(&self, switch_id: u64);
    /// A log line.
    fn log(&self, level: Level, msg: &str);
}

/// A notifier that only records (tests, store users without callbacks).
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    /// (port, up) per oper-status notification.
    pub ports: Mutex<Vec<(u64, bool)>>,
    /// Shutdown requests.
    pub shutdowns: Mutex<Vec<u64>>,
    /// Log lines.
    pub logs: Mutex<Vec<String>>,
}

impl Notifier for RecordingNotifier {
    fn port_oper_status(&self, _switch_id: u64, port: u64, up: bool) {
        lock(&self.ports).push((port, up));
    }
    fn switch_shutdown_request(&self, switch_id: u64) {
        lock(&self.shutdowns).push(switch_id);
    }
    fn log(&self, level: Level, msg: &str) {
        lock(&self.logs).push(format!("{level:?}: {msg}"));
    }
}

impl<T: Notifier + ?Sized> Notifier for Arc<T> {
    fn port_oper_status(&self, switch_id: u64, port: u64, up: bool) {
        (**self).port_oper_status(switch_id, port, up);
    }
    fn switch_shutdown_request(&self, switch_id: u64) {
        (**self).switch_shutdown_request(switch_id);
    }
    fn log(&self, level: Level, msg: &str) {
        (**self).log(level, msg);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Options of a [`Dataplane`].
#[derive(Clone, Debug)]
pub struct Options {
    /// The segment path.
    pub ring: PathBuf,
    /// Forwarder port names in port-id order (`None`: lane-map order).
    pub fwd_ports: Option<Vec<String>>,
    /// Without a live forwarder this long, the switch shutdown request is sent (once).
    pub lost_after: Duration,
    /// A forwarder whose heartbeat does not move this long is considered stalled.
    pub stall_timeout: Duration,
    /// Background thread poll period.
    pub poll: Duration,
}

impl Options {
    /// Defaults for a ring path.
    pub fn new(ring: impl Into<PathBuf>) -> Options {
        Options {
            ring: ring.into(),
            fwd_ports: None,
            lost_after: Duration::from_secs(60),
            stall_timeout: Duration::from_secs(3),
            poll: Duration::from_millis(1),
        }
    }

    /// From profile keys (`get(key)`); `None` when the ring key is absent (store-only mode).
    pub fn from_profile(get: impl Fn(&str) -> Option<String>) -> Result<Option<Options>, String> {
        let Some(ring) = get(PROFILE_RING).or_else(|| get(PROFILE_RING_PATH)) else {
            return Ok(None);
        };
        if ring.is_empty() {
            return Err(format!("{PROFILE_RING}: empty path"));
        }
        let mut o = Options::new(ring);
        if let Some(p) = get(PROFILE_FWD_PORTS) {
            let names: Vec<String> = p
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            if names.is_empty() {
                return Err(format!("{PROFILE_FWD_PORTS}: {p:?}: no port names"));
            }
            o.fwd_ports = Some(names);
        }
        if let Some(ms) = get(PROFILE_LOST_MS) {
            let v: u64 = ms
                .parse()
                .map_err(|_| format!("{PROFILE_LOST_MS}: {ms:?}: expected milliseconds"))?;
            o.lost_after = Duration::from_millis(v);
        }
        Ok(Some(o))
    }
}

/// What the programmer did (cumulative).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Commands published on the ring.
    pub sent: u64,
    /// Bursts (index publications).
    pub bursts: u64,
    /// Completions matched to a command.
    pub completed: u64,
    /// Completions with a status other than `Ok`, by ring status (`TableFull`, `NotFound`,
    /// `Invalid`, `Unsupported`, `Exists`).
    pub table_full: u64,
    pub not_found: u64,
    pub invalid: u64,
    pub unsupported: u64,
    pub exists: u64,
    /// Completions for no command we have in flight.
    pub unmatched: u64,
    /// Commands not sent because no live forwarder was attached or a full replay was pending
    /// (the replay sends the state they belong to).
    pub deferred: u64,
    /// Full-state replays, and the commands they sent.
    pub replays: u64,
    pub replayed: u64,
    /// Ring errors (corrupt indices).
    pub ring_errors: u64,
    /// Link events received, and ones for ports we do not map.
    pub link_events: u64,
    pub unknown_port_events: u64,
    /// Switch shutdown requests sent.
    pub shutdown_requests: u64,
}

impl Counters {
    /// Failed completions of any status.
    pub fn failed(&self) -> u64 {
        self.table_full + self.not_found + self.invalid + self.unsupported + self.exists
    }
}

struct Inner {
    lib: Library,
    tr: Translator,
    inflight: VecDeque<(u64, Command)>,
    counters: Counters,
    /// Whether commands go out (a live forwarder is attached).
    connected: bool,
    needs_replay: bool,
    /// Send `Flush(our generation)` before the next replay (same forwarder generation).
    flush_first: bool,
    barrier_done: u64,
    next_token: u64,
    events: Vec<(u64, bool)>,
    last_alive: Instant,
    lost_reported: bool,
    buf: Vec<Command>,
    logged_failures: u32,
}

struct Shared {
    inner: Mutex<Inner>,
    stop: AtomicBool,
    notifier: Box<dyn Notifier>,
    maps: Arc<RwLock<IdMaps>>,
    opts: Options,
}

/// Failed-completion log lines before only counting.
const LOG_FAILURES: u32 = 100;

impl Inner {
    fn log(&mut self, n: &dyn Notifier, level: Level, msg: impl FnOnce() -> String) {
        if self.logged_failures < LOG_FAILURES {
            self.logged_failures += 1;
            n.log(level, &msg());
        }
    }

    /// Receive completions and events; a new forwarder generation sets `needs_replay`.
    fn pump(&mut self, n: &dyn Notifier) {
        loop {
            let mut cpls = Vec::new();
            let mut evs = Vec::new();
            let mut restarted = None;
            let got = self.lib.recv(4096, |m| match m {
                FromForwarder::Completion(c) => cpls.push(c),
                FromForwarder::Event(e) => evs.push(e),
                FromForwarder::Restarted { generation } => restarted = Some(generation),
            });
            if let Some(g) = restarted {
                n.log(
                    Level::Notice,
                    &format!("forwarder generation {g}: replaying the full state"),
                );
                self.inflight.clear();
                self.connected = true;
                self.needs_replay = true;
                self.flush_first = false;
                self.last_alive = Instant::now();
                self.lost_reported = false;
            }
            for c in cpls {
                self.complete(n, c);
            }
            for e in evs {
                if let Event::Link { port, up, .. } = e {
                    self.counters.link_events += 1;
                    match self.tr.sai_port(port) {
                        Some(p) => self.events.push((p, up)),
                        None => self.counters.unknown_port_events += 1,
                    }
                }
            }
            if got < 4096 {
                break;
            }
        }
    }

    fn complete(&mut self, n: &dyn Notifier, c: ring_proto::Completion) {
        while self.inflight.front().is_some_and(|f| f.0 < c.seq) {
            // Completed out of order or never: the forwarder answers every command, so this only
            // happens across a restart (cleared there).
            self.inflight.pop_front();
            self.counters.unmatched += 1;
        }
        let Some(&(seq, cmd)) = self.inflight.front() else {
            self.counters.unmatched += 1;
            return;
        };
        if seq != c.seq {
            self.counters.unmatched += 1;
            return;
        }
        self.inflight.pop_front();
        self.counters.completed += 1;
        if let Command::Barrier(t) = cmd {
            self.barrier_done = self.barrier_done.max(t);
        }
        let ctr = match c.status {
            RingStatus::Ok => return,
            RingStatus::TableFull => &mut self.counters.table_full,
            RingStatus::NotFound => &mut self.counters.not_found,
            RingStatus::Invalid => &mut self.counters.invalid,
            RingStatus::Unsupported => &mut self.counters.unsupported,
            RingStatus::Exists => &mut self.counters.exists,
        };
        *ctr += 1;
        let level = if c.status == RingStatus::TableFull {
            Level::Error
        } else {
            Level::Warn
        };
        self.log(n, level, || {
            format!("forwarder refused {cmd:?}: {:?} (seq {seq})", c.status)
        });
    }

    fn alive(&mut self, opts: &Options) -> bool {
        let now = Instant::now();
        let l = self.lib.forwarder_liveness(now, opts.stall_timeout);
        let alive = l == Liveness::Alive && self.lib.forwarder_generation() != 0;
        if alive {
            self.last_alive = now;
        }
        alive
    }

    /// Send `cmds` in bursts, draining completions while the ring is full. Returns false when
    /// the forwarder went away or restarted (the shadow is replayed later).
    fn send(&mut self, sh: &Shared, cmds: &[Command]) -> bool {
        if !self.connected {
            self.counters.deferred += cmds.len() as u64;
            return false;
        }
        let mut done = 0;
        let mut spins = 0u32;
        while done < cmds.len() {
            let seq = self.lib.next_seq();
            match self.lib.send(&cmds[done..]) {
                Ok(0) => {}
                Ok(k) => {
                    for (i, c) in cmds[done..done + k].iter().enumerate() {
                        self.inflight.push_back((seq + i as u64, *c));
                    }
                    done += k;
                    self.counters.sent += k as u64;
                    self.counters.bursts += 1;
                    spins = 0;
                    continue;
                }
                Err(e) => {
                    self.counters.ring_errors += 1;
                    sh.notifier.log(
                        Level::Error,
                        &format!("command ring: {e}; waiting for a restart"),
                    );
                    self.connected = false;
                    return false;
                }
            }
            // Ring full: take completions (the forwarder may be waiting for room on its side).
            self.pump(sh.notifier.as_ref());
            if self.needs_replay {
                return false;
            }
            spins += 1;
            if spins.is_multiple_of(64) && !self.alive(&sh.opts) {
                self.connected = false;
                self.counters.deferred += (cmds.len() - done) as u64;
                sh.notifier.log(
                    Level::Warn,
                    "forwarder not alive: changes are kept and replayed when it returns",
                );
                return false;
            }
            if spins > 16 {
                std::thread::sleep(Duration::from_micros(20));
            } else {
                std::thread::yield_now();
            }
        }
        true
    }

    /// Replay the whole state while one is needed: the translator's shadow and the store's
    /// `routes` (read under the store's read lock, taken by the caller before this lock: see
    /// [`replay_pending`]).
    fn replay(&mut self, sh: &Shared, routes: &Routes<'_>) {
        while self.needs_replay {
            self.needs_replay = false;
            let mut cmds = Vec::new();
            if std::mem::take(&mut self.flush_first) {
                cmds.push(Command::Flush(self.lib.generation()));
            }
            self.tr.replay(routes, &mut cmds);
            self.next_token += 1;
            cmds.push(Command::Barrier(self.next_token));
            self.counters.replays += 1;
            self.counters.replayed += cmds.len() as u64;
            self.send(sh, &cmds);
        }
    }

    fn refresh_maps(&self, maps: &RwLock<IdMaps>) {
        let mut m = maps.write().unwrap_or_else(|e| e.into_inner());
        self.tr.export_maps(&mut m);
    }
}

/// The change sink registered on the store.
struct Sink(Arc<Shared>);

impl ChangeSink for Sink {
    fn apply(&mut self, batch: &[Change]) {
        let sh = &*self.0;
        let mut g = lock(&sh.inner);
        let inner = &mut *g;
        let mut buf = std::mem::take(&mut inner.buf);
        buf.clear();
        inner.tr.apply(batch, &mut buf);
        let ids = translate_ids();
        if batch
            .iter()
            .any(|c| matches!(c, Change::Remove { ot, .. } if *ot == ids.0))
        {
            // remove_switch: the forwarder forgets everything this library programmed.
            buf.push(Command::Flush(inner.lib.generation()));
        }
        if batch
            .iter()
            .any(|c| c.ot() == ids.1 || c.ot() == ids.2 || c.ot() == ids.0)
        {
            inner.refresh_maps(&sh.maps);
        }
        if inner.needs_replay {
            // A replay is pending (a new forwarder generation, or the same forwarder alive
            // again): it reads the store, which already holds this batch, so nothing is sent
            // now (sending would duplicate it). The replay runs from the background thread or
            // `sync`, which take the store's lock before ours; here the store's write lock is
            // held and a replay could not read it.
            inner.counters.deferred += buf.len() as u64;
        } else if !buf.is_empty() {
            // If the forwarder restarts meanwhile, `send` stops and leaves the replay pending.
            inner.send(sh, &buf);
        }
        inner.buf = buf;
    }
}

/// Run a pending replay: the store's read lock first, then ours (the sink takes ours under the
/// store's write lock). Changes committed before the read lock are in the store and were not
/// sent (see [`Sink`]); changes after it wait for the lock and are sent after the replay.
fn replay_pending(sh: &Shared, sai: &Sai) {
    if !lock(&sh.inner).needs_replay {
        return;
    }
    sai.read_routes(|routes| {
        let mut g = lock(&sh.inner);
        g.replay(sh, routes);
    });
}

/// (switch, port, RIF) object types.
fn translate_ids() -> (u32, u32, u32) {
    let i = ids::Ids::get();
    (i.ot_switch, i.ot_port, i.ot_rif)
}

/// The running programmer (dropping it stops the thread and unregisters from the store).
pub struct Dataplane {
    shared: Arc<Shared>,
    sai: Weak<Sai>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Dataplane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataplane").finish_non_exhaustive()
    }
}

/// Why [`Dataplane::sync`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncError {
    /// No live forwarder.
    NotConnected,
    /// The barrier did not complete in time.
    Timeout,
}

impl Dataplane {
    /// Open (or create) the segment, attach as the library, register on `sai` and start the
    /// background thread.
    pub fn attach(
        sai: &Arc<Sai>,
        opts: Options,
        notifier: Box<dyn Notifier>,
    ) -> Result<Dataplane, ring_proto::SegmentError> {
        let seg = Segment::open_or_create(&SegmentConfig::with_path(&opts.ring))?;
        Self::attach_segment(sai, seg, opts, notifier)
    }

    /// As [`attach`](Self::attach) on an already open segment (tests: `Segment::in_memory`).
    pub fn attach_segment(
        sai: &Arc<Sai>,
        seg: Segment,
        opts: Options,
        notifier: Box<dyn Notifier>,
    ) -> Result<Dataplane, ring_proto::SegmentError> {
        let lib = seg.library()?;
        let lanemap: Vec<(String, Vec<u32>)> = sai
            .config()
            .ports
            .iter()
            .map(|p| (p.name.clone(), p.lanes.clone()))
            .collect();
        let tr = Translator::new(PortMap::new(&lanemap, opts.fwd_ports.as_deref()));
        let maps = Arc::new(RwLock::new(IdMaps::default()));
        let mut inner = Inner {
            lib,
            tr,
            inflight: VecDeque::new(),
            counters: Counters::default(),
            connected: false,
            needs_replay: false,
            flush_first: false,
            barrier_done: 0,
            next_token: 0,
            events: Vec::new(),
            last_alive: Instant::now(),
            lost_reported: false,
            buf: Vec::new(),
            logged_failures: 0,
        };
        inner.connected = inner.alive(&opts);
        // Whatever the store already holds (a late attach, a warm restart) is the first state.
        let mut cmds = Vec::new();
        inner.tr.apply(&sai.snapshot_for_replay(), &mut cmds);
        let shared = Arc::new(Shared {
            inner: Mutex::new(inner),
            stop: AtomicBool::new(false),
            notifier,
            maps: Arc::clone(&maps),
            opts,
        });
        {
            let mut g = lock(&shared.inner);
            g.refresh_maps(&maps);
            if !cmds.is_empty() {
                g.send(&shared, &cmds);
            }
        }
        sai.set_change_sink(Some(Box::new(Sink(Arc::clone(&shared)))));
        sai.set_stats_source(Some(Arc::new(RingStats::new(seg, maps))));
        let weak = Arc::downgrade(sai);
        let (sh, w) = (Arc::clone(&shared), weak.clone());
        let thread = std::thread::Builder::new()
            .name("sai-dataplane".into())
            .spawn(move || run(&sh, &w))
            .ok();
        Ok(Dataplane {
            shared,
            sai: weak,
            thread,
        })
    }

    /// Counters so far.
    pub fn counters(&self) -> Counters {
        lock(&self.shared.inner).counters
    }

    /// What the translator skipped so far.
    pub fn skipped(&self) -> Skipped {
        lock(&self.shared.inner).tr.skipped()
    }

    /// Whether a live forwarder is attached.
    pub fn connected(&self) -> bool {
        lock(&self.shared.inner).connected
    }

    /// The routes the forwarder must hold (VRF id, prefix, action), sorted: the store's routes
    /// as the translator programs them (empty once the store is gone).
    pub fn desired_routes(&self) -> Vec<(u32, ring_proto::Prefix, ring_proto::RouteAction)> {
        let Some(sai) = self.sai.upgrade() else {
            return Vec::new();
        };
        sai.read_routes(|routes| lock(&self.shared.inner).tr.routes(routes))
    }

    /// Send a barrier and wait until the forwarder completed it: everything programmed before
    /// this call is applied (or its failure counted).
    pub fn sync(&self, timeout: Duration) -> Result<(), SyncError> {
        let deadline = Instant::now() + timeout;
        let sh = &*self.shared;
        let sai = self.sai.upgrade();
        // The barrier goes out only when no replay is pending (a barrier sent to a new
        // forwarder before the replay would complete before the state is there).
        let token = loop {
            if let Some(sai) = &sai {
                replay_pending(sh, sai);
            }
            let mut g = lock(&sh.inner);
            if !g.connected {
                return Err(SyncError::NotConnected);
            }
            if g.needs_replay && sai.is_some() {
                drop(g);
                if Instant::now() > deadline {
                    return Err(SyncError::Timeout);
                }
                continue;
            }
            g.next_token += 1;
            let t = g.next_token;
            // A restart found while sending leaves a replay pending; its barrier has a larger
            // token and completes after the replayed state.
            g.send(sh, &[Command::Barrier(t)]);
            break t;
        };
        loop {
            {
                let mut g = lock(&sh.inner);
                g.pump(sh.notifier.as_ref());
                if g.barrier_done >= token {
                    return Ok(());
                }
            }
            if let Some(sai) = &sai {
                replay_pending(sh, sai);
            }
            if Instant::now() > deadline {
                return Err(SyncError::Timeout);
            }
            std::thread::sleep(Duration::from_micros(50));
        }
    }
}

impl Drop for Dataplane {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(sai) = self.sai.upgrade() {
            sai.set_change_sink(None);
            sai.set_stats_source(None);
        }
    }
}

/// The background thread: completions, events, replays, liveness.
fn run(sh: &Shared, sai: &Weak<Sai>) {
    let ids = ids::Ids::get();
    while !sh.stop.load(Ordering::Acquire) {
        let sai_now = sai.upgrade();
        if let Some(s) = &sai_now {
            replay_pending(sh, s);
        }
        let (events, switch, lost) = {
            let mut g = lock(&sh.inner);
            g.lib.heartbeat();
            g.pump(sh.notifier.as_ref());
            let alive = g.alive(&sh.opts);
            if !alive && g.connected {
                g.connected = false;
                sh.notifier.log(
                    Level::Warn,
                    "forwarder not alive: changes are kept and replayed when it returns",
                );
            } else if alive && !g.connected {
                // Alive again in the same generation (it was stalled, or not yet beating at
                // attach): what we kept back is unknown to it, and removals may be missing.
                // Flush our generation's objects, then replay the whole shadow.
                g.connected = true;
                g.flush_first = true;
                g.needs_replay = true;
                sh.notifier.log(
                    Level::Notice,
                    "forwarder alive again: flushing and replaying the full state",
                );
            }
            let lost = !alive && !g.lost_reported && g.last_alive.elapsed() >= sh.opts.lost_after;
            if lost {
                g.lost_reported = true;
                g.counters.shutdown_requests += 1;
            }
            (std::mem::take(&mut g.events), g.tr.switch_id(), lost)
        };
        if let Some(s) = &sai_now {
            // What this round found (a new generation, alive again): replayed at once.
            replay_pending(sh, s);
        }
        drop(sai_now);
        if !events.is_empty() {
            if let Some(sai) = sai.upgrade() {
                for (port, up) in events {
                    let v = if up { ids.oper_up } else { ids.oper_down };
                    let _ = sai.set_internal(
                        ids.ot_port,
                        port,
                        Attr {
                            id: ids.port_oper,
                            value: AttrValue::I32(v),
                        },
                    );
                    sh.notifier.port_oper_status(switch, port, up);
                }
            }
        }
        if lost && switch != 0 {
            sh.notifier
                .log(Level::Error, "forwarder lost: requesting switch shutdown");
            sh.notifier.switch_shutdown_request(switch);
        }
        std::thread::sleep(sh.opts.poll);
    }
}
