//! The segment (file, header, create/open) and the two endpoints with the restart protocol.

use crate::layout::{
    read_header, HeaderError, SegHeader, SegLayout, FWD_SIDE_OFFSET, HEADER_BYTES, LIB_SIDE_OFFSET,
    MAX_SEGMENT_BYTES, SIDE_GENERATION, SIDE_HEARTBEAT, SIDE_PID, SIDE_PIDNS, SIDE_STATE,
};
use crate::msg::{Command, Completion, DecodeError, Event, Limits, Record};
use crate::shm::ring::{Backoff, Consumer, Producer, PushError, RingError};
use crate::shm::Region;
use crate::stats::{self, StatsReader, StatsShape, StatsWriter};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default segment path for a switch name: `/dev/shm/ferrosai-<name>`.
pub fn default_path(name: &str) -> PathBuf {
    PathBuf::from(format!("/dev/shm/ferrosai-{name}"))
}

/// How to create a segment.
#[derive(Clone, Debug)]
pub struct SegmentConfig {
    /// File path (default [`default_path`]`("0")`).
    pub path: PathBuf,
    /// File mode (default 0o600).
    pub mode: u32,
    /// Command ring capacity (power of two).
    pub cmd_capacity: u32,
    /// Completion ring capacity (power of two).
    pub cpl_capacity: u32,
    /// Event ring capacity (power of two).
    pub evt_capacity: u32,
    /// Stats region shape.
    pub stats: StatsShape,
    /// Initial value of every ring index (tests use values near `u32::MAX` for wrap-around).
    pub initial_index: u32,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            path: default_path("0"),
            mode: 0o600,
            cmd_capacity: 1 << 16,
            cpl_capacity: 1 << 16,
            evt_capacity: 1 << 12,
            stats: StatsShape::default(),
            initial_index: 0,
        }
    }
}

impl SegmentConfig {
    /// Defaults with this path.
    pub fn with_path(path: impl Into<PathBuf>) -> Self {
        SegmentConfig {
            path: path.into(),
            ..SegmentConfig::default()
        }
    }
}

/// Which side of the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// libsai: produces commands, consumes completions and events, reads stats.
    Library,
    /// The forwarder: consumes commands, produces completions and events, writes stats.
    Forwarder,
}

impl Side {
    fn offset(self) -> usize {
        match self {
            Side::Library => LIB_SIDE_OFFSET,
            Side::Forwarder => FWD_SIDE_OFFSET,
        }
    }
}

/// Errors creating, opening or attaching to a segment.
#[derive(Debug)]
pub enum SegmentError {
    /// A file operation failed.
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: PathBuf,
        /// The error.
        err: std::io::Error,
    },
    /// The header (or the configuration) is invalid; names the field.
    Header(HeaderError),
    /// A ring's shared indices are inconsistent.
    Ring(RingError),
    /// Another live process holds this side, or this process already has an endpoint of that
    /// side on this segment (two producers of one ring would race).
    SideTaken {
        /// The side.
        side: Side,
        /// Its pid.
        pid: u32,
    },
}

impl std::fmt::Display for SegmentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SegmentError::Io { op, path, err } => write!(f, "{op} {}: {err}", path.display()),
            SegmentError::Header(e) => e.fmt(f),
            SegmentError::Ring(e) => e.fmt(f),
            SegmentError::SideTaken { side, pid } => {
                write!(f, "{side:?} side is held by live process {pid}")
            }
        }
    }
}

impl std::error::Error for SegmentError {}

impl From<HeaderError> for SegmentError {
    fn from(e: HeaderError) -> Self {
        SegmentError::Header(e)
    }
}

impl From<RingError> for SegmentError {
    fn from(e: RingError) -> Self {
        SegmentError::Ring(e)
    }
}

fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> SegmentError + 'a {
    move |err| SegmentError::Io {
        op,
        path: path.to_path_buf(),
        err,
    }
}

/// State of one side as seen in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SideInfo {
    /// Generation (0: never attached).
    pub generation: u32,
    /// Pid of the last process that attached.
    pub pid: u32,
    /// Heartbeat counter.
    pub heartbeat: u64,
    /// 0 never attached, 1 attached, 2 detached.
    pub state: u32,
}

const STATE_ATTACHED: u32 = 1;
const STATE_DETACHED: u32 = 2;

/// A mapped, validated segment. Cheap to clone (the mapping is shared).
#[derive(Clone, Debug)]
pub struct Segment {
    region: Arc<Region>,
    layout: SegLayout,
    key: SegKey,
}

/// Identity of a segment within this process: the file (device, inode) or the heap region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SegKey {
    File(u64, u64),
    Heap(usize),
}

/// Sides attached in this process. Two endpoints of the same side on one segment in one process
/// (even through two mappings of the same file) would be two producers or two consumers of the
/// same ring: a data race. `attach` refuses that; the claim is released when the endpoint drops.
static CLAIMS: std::sync::Mutex<Vec<(SegKey, Side)>> = std::sync::Mutex::new(Vec::new());

#[derive(Debug)]
struct Claim(SegKey, Side);

impl Claim {
    fn take(key: SegKey, side: Side) -> Option<Claim> {
        let mut v = CLAIMS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if v.contains(&(key, side)) {
            return None;
        }
        v.push((key, side));
        Some(Claim(key, side))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut v = CLAIMS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        v.retain(|c| *c != (self.0, self.1));
    }
}

fn file_key(file: &File, path: &Path) -> Result<SegKey, SegmentError> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata().map_err(io("stat", path))?;
    Ok(SegKey::File(m.dev(), m.ino()))
}

fn own_pidns() -> u64 {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .and_then(|p| {
            let s = p.to_string_lossy().into_owned();
            s.strip_prefix("pid:[")?.strip_suffix(']')?.parse().ok()
        })
        .unwrap_or(0)
}

/// Is `pid` (recorded in pid namespace `ns`) known to be gone? Unknown (other namespace) = false.
fn pid_gone(pid: u32, ns: u64) -> bool {
    if pid == 0 || ns == 0 || ns != own_pidns() {
        return false;
    }
    !Path::new(&format!("/proc/{pid}")).exists()
}

impl Segment {
    fn init(region: &mut Region, layout: &SegLayout, initial: u32) -> Result<(), SegmentError> {
        let ok = region.write(0, &layout.header());
        debug_assert!(ok);
        for r in [layout.cmd, layout.cpl, layout.evt] {
            for off in [r.offset, r.offset + 64] {
                let a = region.atomic_u32(off).ok_or(RingError::Layout("offset"))?;
                // Relaxed: the region is not shared yet; publication (link into place or Arc hand-off)
                // orders it before any peer access.
                a.store(initial, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// A segment in a heap buffer (both endpoints in one process: tests, Miri, benches).
    pub fn in_memory(cfg: &SegmentConfig) -> Result<Segment, SegmentError> {
        let layout = SegLayout::compute(
            cfg.cmd_capacity,
            cfg.cpl_capacity,
            cfg.evt_capacity,
            cfg.stats,
        )?;
        let mut region = Region::heap(layout.total);
        Self::init(&mut region, &layout, cfg.initial_index)?;
        let region = Arc::new(region);
        let key = SegKey::Heap(Arc::as_ptr(&region).addr());
        Ok(Segment {
            region,
            layout,
            key,
        })
    }

    /// Creates the segment file at `cfg.path` (error `AlreadyExists` if present). The file is built
    /// under a temporary name and linked into place complete, so no one ever opens a half-written
    /// header.
    pub fn create(cfg: &SegmentConfig) -> Result<Segment, SegmentError> {
        Self::create_inner(cfg, false)
    }

    fn create_inner(cfg: &SegmentConfig, replace: bool) -> Result<Segment, SegmentError> {
        let layout = SegLayout::compute(
            cfg.cmd_capacity,
            cfg.cpl_capacity,
            cfg.evt_capacity,
            cfg.stats,
        )?;
        let mut tmp = cfg.path.clone().into_os_string();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        tmp.push(format!(".tmp.{}.{nanos}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let result = (|| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(cfg.mode)
                .open(&tmp)
                .map_err(io("create", &tmp))?;
            // The umask may have cleared bits of `mode`: set it explicitly.
            file.set_permissions(std::fs::Permissions::from_mode(cfg.mode))
                .map_err(io("chmod", &tmp))?;
            file.set_len(layout.total as u64)
                .map_err(io("resize", &tmp))?;
            let mut region = Region::map(&file, layout.total).map_err(io("mmap", &tmp))?;
            Self::init(&mut region, &layout, cfg.initial_index)?;
            if replace {
                std::fs::rename(&tmp, &cfg.path).map_err(io("rename", &cfg.path))?;
            } else {
                std::fs::hard_link(&tmp, &cfg.path).map_err(io("link", &cfg.path))?;
            }
            let key = file_key(&file, &tmp)?;
            Ok(Segment {
                region: Arc::new(region),
                layout,
                key,
            })
        })();
        let _ = std::fs::remove_file(&tmp);
        result
    }

    /// Creates a fresh segment and atomically replaces whatever is at `cfg.path` (e.g. a segment
    /// of another layout version). Processes still mapping the old file keep it until they
    /// notice their peer is gone (see [`Liveness`]) and reopen the path.
    pub fn create_replacing(cfg: &SegmentConfig) -> Result<Segment, SegmentError> {
        Self::create_inner(cfg, true)
    }

    /// Opens and validates an existing segment.
    pub fn open(path: &Path) -> Result<Segment, SegmentError> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(io("open", path))?;
        let len = file.metadata().map_err(io("stat", path))?.len();
        if len < HEADER_BYTES as u64 || len > MAX_SEGMENT_BYTES {
            return Err(HeaderError {
                field: "file length",
                found: len,
                expected: "256 bytes .. 4 GiB",
            }
            .into());
        }
        let region = Region::map(&file, usize::try_from(len).unwrap_or(usize::MAX))
            .map_err(io("mmap", path))?;
        let hdr = read_header(&region).ok_or(HeaderError {
            field: "file length",
            found: len,
            expected: "at least a header",
        })?;
        let layout = SegLayout::validate(&hdr, len)?;
        let key = file_key(&file, path)?;
        Ok(Segment {
            region: Arc::new(region),
            layout,
            key,
        })
    }

    /// Opens the segment, or creates it if absent (racing creators: one wins, the other opens).
    pub fn open_or_create(cfg: &SegmentConfig) -> Result<Segment, SegmentError> {
        match Self::open(&cfg.path) {
            Err(SegmentError::Io { err, .. }) if err.kind() == std::io::ErrorKind::NotFound => {
                match Self::create(cfg) {
                    Err(SegmentError::Io { err, .. })
                        if err.kind() == std::io::ErrorKind::AlreadyExists =>
                    {
                        Self::open(&cfg.path)
                    }
                    r => r,
                }
            }
            r => r,
        }
    }

    /// Validates a header copy as `open` would, for a file of `file_len` bytes.
    pub fn validate_header(h: &SegHeader, file_len: u64) -> Result<SegLayout, HeaderError> {
        SegLayout::validate(h, file_len)
    }

    /// The validated layout.
    pub fn layout(&self) -> SegLayout {
        self.layout
    }

    fn side_u32(&self, side: Side, field: usize) -> &AtomicU32 {
        self.region
            .atomic_u32(side.offset() + field)
            .expect("side line is inside the validated header")
    }

    fn side_u64(&self, side: Side, field: usize) -> &AtomicU64 {
        self.region
            .atomic_u64(side.offset() + field)
            .expect("side line is inside the validated header")
    }

    /// Current generation of a side. Acquire: pairs with the Release store in `attach_side`, so
    /// the attach-time resets (ring takeover, stats zeroing) are visible once the generation is.
    pub fn generation(&self, side: Side) -> u32 {
        self.side_u32(side, SIDE_GENERATION).load(Ordering::Acquire)
    }

    /// What the header says about a side.
    pub fn side_info(&self, side: Side) -> SideInfo {
        SideInfo {
            generation: self.generation(side),
            // Relaxed: diagnostics; pairs with the relaxed stores in `attach_side` / `heartbeat`.
            pid: self.side_u32(side, SIDE_PID).load(Ordering::Relaxed),
            heartbeat: self.side_u64(side, SIDE_HEARTBEAT).load(Ordering::Relaxed),
            state: self.side_u32(side, SIDE_STATE).load(Ordering::Relaxed),
        }
    }

    fn claim(&self, side: Side) -> Result<Claim, SegmentError> {
        Claim::take(self.key, side).ok_or(SegmentError::SideTaken {
            side,
            pid: std::process::id(),
        })
    }

    fn check_side_free(&self, side: Side) -> Result<(), SegmentError> {
        let info = self.side_info(side);
        // Relaxed: diagnostics only.
        let ns = self.side_u64(side, SIDE_PIDNS).load(Ordering::Relaxed);
        let me = std::process::id();
        let other_ns = ns != 0 && ns != own_pidns();
        if info.state == STATE_ATTACHED
            && info.pid != me
            && info.pid != 0
            && !pid_gone(info.pid, ns)
            && !other_ns
        {
            return Err(SegmentError::SideTaken {
                side,
                pid: info.pid,
            });
        }
        Ok(())
    }

    /// Final step of an attach: bumps the side's generation (never to 0), records pid and state.
    fn attach_side(&self, side: Side) -> u32 {
        // Relaxed for pid/pidns/heartbeat/state: diagnostics, read with relaxed loads.
        self.side_u32(side, SIDE_PID)
            .store(std::process::id(), Ordering::Relaxed);
        self.side_u64(side, SIDE_PIDNS)
            .store(own_pidns(), Ordering::Relaxed);
        self.side_u32(side, SIDE_STATE)
            .store(STATE_ATTACHED, Ordering::Relaxed);
        let g = self.side_u32(side, SIDE_GENERATION);
        // Relaxed load: only this side writes its generation.
        let mut new = g.load(Ordering::Relaxed).wrapping_add(1);
        if new == 0 {
            new = 1;
        }
        // Release: pairs with the peer's Acquire load in `Segment::generation`; the ring takeover
        // and stats reset done before this store are visible to a peer that sees the new value.
        g.store(new, Ordering::Release);
        new
    }

    fn detach_side(&self, side: Side) {
        // Relaxed: diagnostics, see `side_info`.
        self.side_u32(side, SIDE_STATE)
            .store(STATE_DETACHED, Ordering::Relaxed);
    }

    /// Attaches as the library (see the crate docs for what this resets).
    pub fn library(&self) -> Result<Library, SegmentError> {
        Library::attach(self.clone())
    }

    /// Attaches as the forwarder (see the crate docs for what this resets).
    pub fn forwarder(&self) -> Result<Forwarder, SegmentError> {
        Forwarder::attach(self.clone())
    }

    /// A stats reader (any process).
    pub fn stats_reader(&self) -> StatsReader {
        StatsReader::new(
            Arc::clone(&self.region),
            self.layout.stats_offset,
            self.layout.stats,
        )
    }
}

/// Counters of what a receiving endpoint rejected or skipped. Nothing is dropped uncounted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RxCounters {
    /// Records read from rings.
    pub records: u64,
    /// Records decoded and delivered.
    pub delivered: u64,
    /// Unknown kind tag.
    pub bad_kind: u64,
    /// A known kind on the wrong ring.
    pub wrong_ring: u64,
    /// A field failed validation.
    pub bad_field: u64,
    /// Record from an older generation of the peer, or addressed to an older generation of us.
    pub stale_generation: u64,
    /// A shared ring index was inconsistent (nothing was read from that ring in that call).
    pub bad_index: u64,
    /// Records left from a previous generation, skipped at attach.
    pub skipped_on_attach: u64,
}

impl RxCounters {
    fn decode_error(&mut self, e: &DecodeError) {
        match e {
            DecodeError::UnknownKind(_) => self.bad_kind += 1,
            DecodeError::WrongRing(_) => self.wrong_ring += 1,
            DecodeError::Field { .. } => self.bad_field += 1,
        }
    }
}

/// How the peer looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// Never attached.
    NotStarted,
    /// Attached and its heartbeat moved within the timeout (or the timeout has not run out since
    /// we started watching).
    Alive,
    /// Detached cleanly.
    Detached,
    /// Its process is gone (same pid namespace only).
    Exited,
    /// Attached but its heartbeat has not moved for longer than the timeout.
    Stalled,
}

#[derive(Debug)]
struct PeerWatch {
    heartbeat: u64,
    generation: u32,
    since: Instant,
}

fn liveness(
    seg: &Segment,
    side: Side,
    w: &mut PeerWatch,
    now: Instant,
    timeout: Duration,
) -> Liveness {
    let info = seg.side_info(side);
    // Relaxed: diagnostics only.
    let ns = seg.side_u64(side, SIDE_PIDNS).load(Ordering::Relaxed);
    if info.heartbeat != w.heartbeat || info.generation != w.generation {
        w.heartbeat = info.heartbeat;
        w.generation = info.generation;
        w.since = now;
    }
    match info.state {
        0 => Liveness::NotStarted,
        STATE_DETACHED => Liveness::Detached,
        _ if pid_gone(info.pid, ns) => Liveness::Exited,
        _ if now.saturating_duration_since(w.since) > timeout => Liveness::Stalled,
        _ => Liveness::Alive,
    }
}

/// What the library receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromForwarder {
    /// The forwarder has a new generation (it restarted, or started for the first time): its
    /// state is empty; replay the full desired state, then a barrier. Commands sent from now on
    /// are tagged with the new generation; earlier ones are discarded by the forwarder.
    Restarted {
        /// New forwarder generation.
        generation: u32,
    },
    /// A completion.
    Completion(Completion),
    /// An event.
    Event(Event),
}

/// The library's endpoint: command producer, completion and event consumer, stats reader.
#[derive(Debug)]
pub struct Library {
    seg: Segment,
    _claim: Claim,
    generation: u32,
    fwd_gen: u32,
    next_seq: u64,
    cmd: Producer<Record>,
    cpl: Consumer<Record>,
    evt: Consumer<Record>,
    limits: Limits,
    counters: RxCounters,
    watch: PeerWatch,
}

/// A shared index broke the ring invariant: count it and read nothing. The consumer keeps its
/// own index, so a transient corruption heals once the producer publishes a consistent index
/// again; a persistent one keeps counting (and the peer's liveness/generation decides).
fn bad_index(counters: &mut RxCounters) {
    counters.bad_index += 1;
}

impl Library {
    fn attach(seg: Segment) -> Result<Library, SegmentError> {
        let claim = seg.claim(Side::Library)?;
        seg.check_side_free(Side::Library)?;
        let l = seg.layout;
        let mut counters = RxCounters::default();
        let (cpl, s1) = Consumer::attach_skipping(Arc::clone(&seg.region), l.cpl)?;
        let (evt, s2) = Consumer::attach_skipping(Arc::clone(&seg.region), l.evt)?;
        counters.skipped_on_attach =
            u64::from(s1.min(l.cpl.capacity)) + u64::from(s2.min(l.evt.capacity));
        let cmd = Producer::attach(Arc::clone(&seg.region), l.cmd)?;
        let generation = seg.attach_side(Side::Library);
        let fwd_gen = seg.generation(Side::Forwarder);
        let watch = PeerWatch {
            heartbeat: 0,
            generation: fwd_gen,
            since: Instant::now(),
        };
        Ok(Library {
            seg,
            _claim: claim,
            generation,
            fwd_gen,
            next_seq: 1,
            cmd,
            cpl,
            evt,
            limits: Limits::default(),
            counters,
            watch,
        })
    }

    /// Our generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The forwarder generation our commands are tagged with (0: no forwarder seen yet).
    pub fn forwarder_generation(&self) -> u32 {
        self.fwd_gen
    }

    /// Sets the id limits used to validate events.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// The sequence number the next command will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// What was rejected or skipped so far.
    pub fn counters(&self) -> RxCounters {
        self.counters
    }

    /// The stats region.
    pub fn stats(&self) -> StatsReader {
        self.seg.stats_reader()
    }

    /// The segment.
    pub fn segment(&self) -> &Segment {
        &self.seg
    }

    /// Free command slots (reloads the forwarder's index).
    pub fn free(&mut self) -> Result<u32, RingError> {
        self.cmd.free()
    }

    /// Sends as many of `cmds` as fit as one burst (one index publication). Returns how many were
    /// sent; they got sequence numbers `next_seq()..next_seq() + n` (read `next_seq` before).
    /// Commands are tagged with the forwarder generation last seen by [`recv`](Self::recv): call
    /// `recv` regularly, or commands sent after a forwarder restart are discarded (counted) by the
    /// new forwarder until the library notices and replays.
    pub fn send(&mut self, cmds: &[Command]) -> Result<usize, RingError> {
        let seq = self.next_seq;
        let (gen, fwd) = (self.generation, self.fwd_gen);
        let n = self.cmd.write_burst_in_place(cmds.len(), |i, r| {
            cmds[i].encode_into(r);
            r.seq = seq + i as u64;
            r.lib_gen = gen;
            r.fwd_gen = fwd;
        })?;
        self.next_seq += n as u64;
        Ok(n)
    }

    /// Sends all of `cmds`, waiting while the ring is full (back-pressure) up to `timeout`.
    /// Returns the first sequence number. On timeout, `PushError::Timeout { written }` says how
    /// many went out.
    pub fn send_all(&mut self, cmds: &[Command], timeout: Duration) -> Result<u64, PushError> {
        let first = self.next_seq;
        let deadline = Instant::now() + timeout;
        let mut done = 0;
        let mut backoff = Backoff::new();
        while done < cmds.len() {
            let n = self.send(&cmds[done..])?;
            if n > 0 {
                done += n;
                backoff = Backoff::new();
            } else if !backoff.wait(deadline) {
                return Err(PushError::Timeout { written: done });
            }
        }
        Ok(first)
    }

    /// Sends pre-encoded records (tagged here with seq and generations) as one burst.
    pub fn send_records(&mut self, recs: &[Record]) -> Result<usize, RingError> {
        let seq = self.next_seq;
        let (gen, fwd) = (self.generation, self.fwd_gen);
        let n = self.cmd.write_burst(recs.len(), |i| {
            let mut r = recs[i];
            r.seq = seq + i as u64;
            r.lib_gen = gen;
            r.fwd_gen = fwd;
            r
        })?;
        self.next_seq += n as u64;
        Ok(n)
    }

    /// Checks the forwarder's generation; on a change reports `Restarted` through `f` and retags.
    fn check_forwarder(&mut self, f: &mut impl FnMut(FromForwarder)) {
        let g = self.seg.generation(Side::Forwarder);
        if g != self.fwd_gen {
            self.fwd_gen = g;
            f(FromForwarder::Restarted { generation: g });
        }
    }

    /// Receives up to `max` completions and `max` events (each ring one burst), after reporting
    /// a forwarder generation change if there was one. Records of other generations and invalid
    /// records are counted (see [`counters`](Self::counters)) and skipped. Returns how many
    /// items were delivered.
    pub fn recv(&mut self, max: usize, mut f: impl FnMut(FromForwarder)) -> usize {
        let mut delivered = 0;
        let mut out = |x| {
            delivered += 1;
            f(x)
        };
        self.check_forwarder(&mut out);
        let (gen, fwd) = (self.generation, self.fwd_gen);
        let c = &mut self.counters;
        let r = self.cpl.read_burst(max, |r| {
            c.records += 1;
            if r.lib_gen != gen || r.fwd_gen != fwd {
                c.stale_generation += 1;
                return;
            }
            match Completion::decode(&r) {
                Ok(x) => {
                    c.delivered += 1;
                    out(FromForwarder::Completion(x));
                }
                Err(e) => c.decode_error(&e),
            }
        });
        if r.is_err() {
            bad_index(c);
        }
        let limits = self.limits;
        let r = self.evt.read_burst(max, |r| {
            c.records += 1;
            if r.fwd_gen != fwd {
                c.stale_generation += 1;
                return;
            }
            match Event::decode(&r, &limits) {
                Ok(x) => {
                    c.delivered += 1;
                    out(FromForwarder::Event(x));
                }
                Err(e) => c.decode_error(&e),
            }
        });
        if r.is_err() {
            bad_index(c);
        }
        delivered
    }

    /// Liveness of the forwarder: its heartbeat must move within `timeout` (measured from calls to
    /// this function with `now`).
    pub fn forwarder_liveness(&mut self, now: Instant, timeout: Duration) -> Liveness {
        liveness(&self.seg, Side::Forwarder, &mut self.watch, now, timeout)
    }
}

impl Drop for Library {
    fn drop(&mut self) {
        self.seg.detach_side(Side::Library);
    }
}

/// What the forwarder receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FromLibrary {
    /// A new library generation attached: flush everything the previous one programmed before
    /// applying the commands that follow, and re-announce current state as events (link status
    /// of every port): events sent before the library attached were skipped by it.
    NewLibrary {
        /// New library generation.
        generation: u32,
    },
    /// A valid command.
    Command {
        /// Its sequence number (answer with a completion carrying it).
        seq: u64,
        /// The command.
        cmd: Command,
    },
    /// A record of the current generations that failed validation (counted, not applied):
    /// answer it with `Status::Invalid` so the library does not wait for it.
    Invalid {
        /// Its sequence number.
        seq: u64,
        /// Why.
        error: DecodeError,
    },
}

/// The forwarder's endpoint: command consumer, completion and event producer, stats writers.
#[derive(Debug)]
pub struct Forwarder {
    seg: Segment,
    _claim: Claim,
    generation: u32,
    lib_gen: u32,
    cmd: Consumer<Record>,
    cpl: Producer<Record>,
    evt: Producer<Record>,
    next_event_seq: u64,
    limits: Limits,
    counters: RxCounters,
    writers: Vec<StatsWriter>,
    watch: PeerWatch,
}

impl Forwarder {
    fn attach(seg: Segment) -> Result<Forwarder, SegmentError> {
        let claim = seg.claim(Side::Forwarder)?;
        seg.check_side_free(Side::Forwarder)?;
        let l = seg.layout;
        let mut counters = RxCounters::default();
        let (cmd, skipped) = Consumer::attach_skipping(Arc::clone(&seg.region), l.cmd)?;
        counters.skipped_on_attach = u64::from(skipped.min(l.cmd.capacity));
        let cpl = Producer::attach(Arc::clone(&seg.region), l.cpl)?;
        let evt = Producer::attach(Arc::clone(&seg.region), l.evt)?;
        stats::zero(&seg.region, l.stats_offset, &l.stats);
        let generation = seg.attach_side(Side::Forwarder);
        let lib_gen = seg.generation(Side::Library);
        let block = l.stats.block_bytes()?;
        let writers = (0..l.stats.workers as usize)
            .map(|w| StatsWriter::new(Arc::clone(&seg.region), l.stats_offset + w * block, l.stats))
            .collect();
        let watch = PeerWatch {
            heartbeat: 0,
            generation: lib_gen,
            since: Instant::now(),
        };
        Ok(Forwarder {
            seg,
            _claim: claim,
            generation,
            lib_gen,
            cmd,
            cpl,
            evt,
            next_event_seq: 1,
            limits: Limits::default(),
            counters,
            writers,
            watch,
        })
    }

    /// Our generation.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The library generation whose commands we accept.
    pub fn library_generation(&self) -> u32 {
        self.lib_gen
    }

    /// Sets the id limits used to validate commands (the forwarder's table sizes).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// What was rejected or skipped so far.
    pub fn counters(&self) -> RxCounters {
        self.counters
    }

    /// The segment.
    pub fn segment(&self) -> &Segment {
        &self.seg
    }

    /// Takes the per-worker stats writers (one per worker block; the second call returns none).
    pub fn take_stats_writers(&mut self) -> Vec<StatsWriter> {
        std::mem::take(&mut self.writers)
    }

    /// Bumps our heartbeat (call from the control loop, e.g. every 10 ms).
    pub fn heartbeat(&self) {
        // Relaxed: the library only compares successive values (liveness), pairs with the relaxed
        // load in `Segment::side_info`.
        self.seg
            .side_u64(Side::Forwarder, SIDE_HEARTBEAT)
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Receives up to `max` commands as one burst. A library generation change is reported first
    /// (`NewLibrary`); records of another library generation, or addressed to an older forwarder
    /// generation, are counted and skipped; invalid records are counted and reported as `Invalid`.
    /// Returns how many items were delivered.
    pub fn recv(&mut self, max: usize, mut f: impl FnMut(FromLibrary)) -> usize {
        let mut delivered = 0;
        let g = self.seg.generation(Side::Library);
        if g != self.lib_gen {
            self.lib_gen = g;
            delivered += 1;
            f(FromLibrary::NewLibrary { generation: g });
        }
        let (lib, own, limits) = (self.lib_gen, self.generation, self.limits);
        let c = &mut self.counters;
        let r = self.cmd.read_burst(max, |r| {
            c.records += 1;
            if r.lib_gen != lib || r.fwd_gen != own {
                c.stale_generation += 1;
                return;
            }
            delivered += 1;
            match Command::decode(&r, &limits) {
                Ok(cmd) => {
                    c.delivered += 1;
                    f(FromLibrary::Command { seq: r.seq, cmd });
                }
                Err(error) => {
                    c.decode_error(&error);
                    f(FromLibrary::Invalid { seq: r.seq, error });
                }
            }
        });
        if r.is_err() {
            bad_index(c);
        }
        delivered
    }

    /// Receives up to `max` command records without decoding them (one burst): records of other
    /// generations are counted and skipped as in [`recv`](Self::recv), the rest are passed as
    /// copies, still untrusted: decode them with [`Command::decode`]. For dump tools and for
    /// measuring the transport alone. A library generation change is *not* reported here.
    pub fn recv_raw(&mut self, max: usize, mut f: impl FnMut(&Record)) -> usize {
        let (lib, own) = (self.lib_gen, self.generation);
        let c = &mut self.counters;
        let mut n = 0;
        let r = self.cmd.read_burst(max, |r| {
            c.records += 1;
            if r.lib_gen != lib || r.fwd_gen != own {
                c.stale_generation += 1;
                return;
            }
            n += 1;
            f(&r);
        });
        if r.is_err() {
            bad_index(c);
        }
        n
    }

    fn tag(&self, mut r: Record) -> Record {
        r.lib_gen = self.lib_gen;
        r.fwd_gen = self.generation;
        r
    }

    /// Sends completions as one burst; returns how many fit.
    pub fn complete(&mut self, cs: &[Completion]) -> Result<usize, RingError> {
        let (lib, own) = (self.lib_gen, self.generation);
        self.cpl.write_burst_in_place(cs.len(), |i, r| {
            cs[i].encode_into(r);
            r.lib_gen = lib;
            r.fwd_gen = own;
        })
    }

    /// Sends all completions, waiting while the completion ring is full, up to `timeout`.
    pub fn complete_all(&mut self, cs: &[Completion], timeout: Duration) -> Result<(), PushError> {
        let recs: Vec<Record> = cs.iter().map(|c| self.tag(c.encode())).collect();
        self.cpl.push_all_blocking(&recs, timeout)
    }

    /// Sends one event; `Err(Full)` is back-pressure (nothing sent).
    pub fn event(&mut self, e: &Event) -> Result<(), PushError> {
        let mut r = self.tag(e.encode());
        r.seq = self.next_event_seq;
        self.evt.try_push(&r)?;
        self.next_event_seq += 1;
        Ok(())
    }

    /// Liveness of the library (its heartbeat is bumped by [`Library::heartbeat`]).
    pub fn library_liveness(&mut self, now: Instant, timeout: Duration) -> Liveness {
        liveness(&self.seg, Side::Library, &mut self.watch, now, timeout)
    }

    /// Tells the library we are stopping (best effort: an event if there is room), then detaches.
    pub fn stop(mut self, reason: u32) {
        let _ = self.event(&Event::ForwarderStopping(reason));
    }
}

impl Library {
    /// Bumps our heartbeat (optional: the forwarder only uses it for diagnostics).
    pub fn heartbeat(&self) {
        // Relaxed: compared only, see `Forwarder::heartbeat`.
        self.seg
            .side_u64(Side::Library, SIDE_HEARTBEAT)
            .fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.seg.detach_side(Side::Forwarder);
    }
}
