//! `bench-runner latency`: per-packet latency through a forwarder between veths, against a
//! baseline path without the forwarder, measured by the same loop in the same invocation.
//!
//! Two paths, each an AF_PACKET socket to send on and one to receive on (`pnet_datalink`,
//! Layer 2):
//! - `fwd`: `--tx` (a veth whose peer is the forwarder's ingress port) -> forwarder ->
//!   `--rx` (a veth whose peer is the forwarder's egress port);
//! - `base`: `--base-tx` -> its veth peer `--base-rx`, directly (the kernel's veth and socket
//!   cost alone).
//!
//! One thread does everything (run it pinned, e.g. `taskset -c 0`, with the forwarder's worker on
//! another CPU): it sends a frame when its slot on the pacing schedule has come (busy-wait on
//! `Instant`, i.e. CLOCK_MONOTONIC; one frame per slot; after a stall of more than 50 us, e.g.
//! preemption, the missed slots are skipped and counted rather than sent back to back), and
//! between sends drains the receive socket without blocking. Each trial also reports how often
//! the thread was preempted (`nonvoluntary_ctxt_switches` of /proc/thread-self/status) and the
//! VM's steal time (/proc/stat): what the measurement owes to the rest of the machine.
//!
//! Each frame is one of the run's 64-byte IPv4/UDP frames (destinations spread over the route
//! set, as `gen` writes them) carrying in its UDP payload a sequence number, the send time (ns on the process's monotonic clock, read just before the send call) and a tag of
//! the trial; latency = receive time (read right after the receive call returns) - send time.
//! Sharing one thread keeps the receiver from waiting for a CPU the sender holds (2 vCPUs: one
//! for this loop, one for the forwarder's worker); the cost is that a frame arriving while the
//! loop is in a send call waits for that call (about a microsecond), on both paths alike.
//!
//! Maximum rate of a path: an unpaced trial gives the sender's ceiling; if that loses less
//! than the loss limit (0.1 %) the path's maximum is the sender's ceiling ("sender-bound"),
//! otherwise a bisection over paced trials finds the highest rate losing less than the limit.
//! Then, for each load (default 10 %, 50 %, 90 %) of the forwarder path's maximum, a paced
//! phase on the forwarder path and one at the same rate on the baseline path: p50 / p90 / p99 /
//! p99.9 / max from every received frame (exact, sorted), losses by sequence number.
//! Output: one JSON object on stdout.

use std::fmt::Write as _;
use std::io;
use std::time::{Duration, Instant};

use fwd_engine::fib::synth;
use pnet_datalink::{Channel, Config, DataLinkReceiver, DataLinkSender};

/// Marks the bench's frames (UDP payload bytes 12..14).
const MAGIC: u16 = 0x4653;
/// Offsets in the 60-byte frame: sequence number, send time, magic, trial tag.
const OFF_SEQ: usize = 42;
const OFF_TS: usize = 46;
const OFF_MAGIC: usize = 54;
const OFF_TAG: usize = 56;
/// How far a paced sender may fall behind its schedule and still catch up (by sending in
/// consecutive loop iterations); beyond that the missed slots are skipped.
const CATCH_UP: Duration = Duration::from_micros(50);
/// How long a trial waits for stragglers after its last send.
const DRAIN: Duration = Duration::from_millis(50);

pub(crate) struct LatOpts {
    tx: String,
    rx: String,
    base_tx: Option<String>,
    base_rx: Option<String>,
    routes: usize,
    seed: u64,
    duration: Duration,
    trial: Duration,
    loads: Vec<f64>,
    loss_limit: f64,
    steps: u32,
}

impl LatOpts {
    pub(crate) fn parse(a: &[String]) -> Result<LatOpts, String> {
        let mut o = LatOpts {
            tx: String::new(),
            rx: String::new(),
            base_tx: None,
            base_rx: None,
            routes: 1000,
            seed: 1,
            duration: Duration::from_secs(3),
            trial: Duration::from_millis(500),
            loads: vec![0.1, 0.5, 0.9],
            loss_limit: 0.001,
            steps: 7,
        };
        let mut i = 0;
        while i < a.len() {
            let v = a
                .get(i + 1)
                .cloned()
                .ok_or_else(|| format!("{}: missing value", a[i]))?;
            let f = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("{}: {v:?}: not a non-negative number", a[i]))
            };
            let secs = |v: &str| -> Result<Duration, String> {
                let s = f(v)?;
                if s <= 0.0 || s > 3600.0 {
                    return Err(format!("{}: {v:?}: seconds in (0, 3600]", a[i]));
                }
                Ok(Duration::from_secs_f64(s))
            };
            match a[i].as_str() {
                "--tx" => o.tx = v,
                "--rx" => o.rx = v,
                "--base-tx" => o.base_tx = Some(v),
                "--base-rx" => o.base_rx = Some(v),
                "--routes" => o.routes = v.parse().map_err(|e| format!("--routes: {e}"))?,
                "--seed" => o.seed = v.parse().map_err(|e| format!("--seed: {e}"))?,
                "--duration" => o.duration = secs(&v)?,
                "--trial" => o.trial = secs(&v)?,
                "--loss" => o.loss_limit = f(&v)?,
                "--steps" => o.steps = v.parse().map_err(|e| format!("--steps: {e}"))?,
                "--loads" => {
                    o.loads = v.split(',').map(f).collect::<Result<_, _>>()?;
                    if o.loads.iter().any(|l| *l <= 0.0 || *l > 1.0) {
                        return Err("--loads: fractions in (0, 1]".into());
                    }
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
            i += 2;
        }
        if o.tx.is_empty() || o.rx.is_empty() {
            return Err("latency: --tx and --rx are required".into());
        }
        if o.base_tx.is_some() != o.base_rx.is_some() {
            return Err("latency: --base-tx and --base-rx go together".into());
        }
        Ok(o)
    }
}

/// A path: a sending socket on one interface, a receiving socket on another.
struct Path {
    name: &'static str,
    tx: Box<dyn DataLinkSender>,
    rx: Box<dyn DataLinkReceiver>,
}

/// The two halves of an AF_PACKET socket bound to one interface.
type Halves = (Box<dyn DataLinkSender>, Box<dyn DataLinkReceiver>);

fn channel(ifname: &str) -> Result<Halves, String> {
    let ni = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == ifname)
        .ok_or_else(|| format!("no interface {ifname:?} in this network namespace"))?;
    let cfg = Config {
        read_buffer_size: 2048,
        write_buffer_size: 2048,
        // Zero: the receive call polls once and returns at once (busy polling by the caller).
        read_timeout: Some(Duration::ZERO),
        ..Config::default()
    };
    match pnet_datalink::channel(&ni, cfg) {
        Ok(Channel::Ethernet(tx, rx)) => Ok((tx, rx)),
        Ok(_) => Err(format!("{ifname}: not an Ethernet channel")),
        Err(e) => Err(format!("{ifname}: AF_PACKET socket: {e}")),
    }
}

impl Path {
    fn open(name: &'static str, tx_if: &str, rx_if: &str) -> Result<Path, String> {
        let (tx, _) = channel(tx_if)?;
        let (_, rx) = channel(rx_if)?;
        Ok(Path { name, tx, rx })
    }
}

/// What one trial saw.
struct Trial {
    target_pps: Option<f64>,
    sent: u64,
    received: u64,
    dup: u64,
    foreign: u64,
    send_errors: u64,
    elapsed: Duration,
    /// Largest lag of a send behind its slot on the schedule.
    max_lag: Duration,
    /// When (from the trial's start) the slot of that largest lag was due.
    max_lag_at: Duration,
    /// Slots of the schedule skipped after the sender fell behind by more than `CATCH_UP`.
    skipped: u64,
    /// Involuntary context switches of this thread during the trial (None: not readable).
    preempted: Option<u64>,
    /// Time the hypervisor ran something else on this VM's CPUs during the trial, summed over
    /// the CPUs (`steal` of /proc/stat, in clock ticks of 10 ms; None: not readable).
    steal_ticks: Option<u64>,
    lat_ns: Vec<u64>,
}

impl Trial {
    fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.received)
    }
    fn loss(&self) -> f64 {
        ratio(self.lost(), self.sent.max(1))
    }
    fn pps(&self) -> f64 {
        ratio(self.sent, 1) / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "packet counts < 2^52")]
    let r = a as f64 / b as f64;
    r
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

struct Rx<'a> {
    tag: u16,
    base: Instant,
    seen: &'a mut Vec<bool>,
    lat: &'a mut Vec<u64>,
    received: u64,
    dup: u64,
    foreign: u64,
}

impl Rx<'_> {
    /// Receives everything queued on the socket, without blocking.
    fn drain(&mut self, rx: &mut dyn DataLinkReceiver) -> Result<(), String> {
        loop {
            let p = match rx.next() {
                Ok(p) => p,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    ) =>
                {
                    return Ok(())
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("receive: {e}")),
            };
            let now = nanos(self.base.elapsed());
            if p.len() < OFF_TAG + 2
                || p[OFF_MAGIC..OFF_MAGIC + 2] != MAGIC.to_be_bytes()
                || p[OFF_TAG..OFF_TAG + 2] != self.tag.to_be_bytes()
            {
                self.foreign += 1;
                continue;
            }
            let seq =
                u32::from_be_bytes([p[OFF_SEQ], p[OFF_SEQ + 1], p[OFF_SEQ + 2], p[OFF_SEQ + 3]]);
            let mut ts = [0u8; 8];
            ts.copy_from_slice(&p[OFF_TS..OFF_TS + 8]);
            let ts = u64::from_be_bytes(ts);
            let Some(slot) = usize::try_from(seq).ok().and_then(|s| self.seen.get_mut(s)) else {
                self.foreign += 1;
                continue;
            };
            if *slot {
                self.dup += 1;
                continue;
            }
            *slot = true;
            self.received += 1;
            self.lat.push(now.saturating_sub(ts));
        }
    }
}

/// One trial: `pps` paced (None: as fast as the loop goes) for `dur`, then a drain.
fn trial(
    path: &mut Path,
    frames: &[[u8; 60]],
    pps: Option<f64>,
    dur: Duration,
    tag: u16,
    base: Instant,
) -> Result<Trial, String> {
    let gap = pps.map(|r| Duration::from_secs_f64(1.0 / r.max(1.0)));
    let mut seen: Vec<bool> = Vec::new();
    let mut lat: Vec<u64> = Vec::new();
    let mut sent = 0u64;
    let mut send_errors = 0u64;
    let mut max_lag = Duration::ZERO;
    let mut max_lag_at = Duration::ZERO;
    let mut skipped = 0u64;
    let mut rx = Rx {
        tag,
        base,
        seen: &mut seen,
        lat: &mut lat,
        received: 0,
        dup: 0,
        foreign: 0,
    };
    let nv0 = nonvoluntary_switches();
    let st0 = steal_ticks();
    let start = Instant::now();
    let end = start + dur;
    let mut next = start;
    let mut buf = [0u8; 60];
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if gap.is_none() || now >= next {
            if gap.is_some() && now - next > max_lag {
                max_lag = now - next;
                max_lag_at = next - start;
            }
            let Ok(seq) = u32::try_from(sent) else { break };
            let f = &frames[usize::try_from(sent).unwrap_or(0) % frames.len()];
            buf.copy_from_slice(f);
            buf[OFF_SEQ..OFF_SEQ + 4].copy_from_slice(&seq.to_be_bytes());
            buf[OFF_MAGIC..OFF_MAGIC + 2].copy_from_slice(&MAGIC.to_be_bytes());
            buf[OFF_TAG..OFF_TAG + 2].copy_from_slice(&tag.to_be_bytes());
            rx.seen.push(false);
            let t = nanos(base.elapsed());
            buf[OFF_TS..OFF_TS + 8].copy_from_slice(&t.to_be_bytes());
            match path.tx.send_to(&buf, None) {
                Some(Ok(())) => sent += 1,
                // ENOBUFS and the like: the frame did not leave; it is not counted as sent.
                Some(Err(_)) => {
                    rx.seen.pop();
                    send_errors += 1;
                }
                None => return Err(format!("{}: send: frame larger than the buffer", path.name)),
            }
            if let Some(g) = gap {
                next += g;
                // Preempted for longer than the catch-up limit: the missed slots are skipped
                // (counted), not sent back to back (a burst would measure queueing behind it).
                if now > next + CATCH_UP {
                    skipped += u64::try_from((now - next).as_nanos() / g.as_nanos().max(1))
                        .unwrap_or(u64::MAX);
                    next = now;
                }
            }
        }
        rx.drain(path.rx.as_mut())?;
    }
    let elapsed = start.elapsed();
    let stop = Instant::now() + DRAIN;
    while Instant::now() < stop && rx.received < sent {
        rx.drain(path.rx.as_mut())?;
    }
    let (received, dup, foreign) = (rx.received, rx.dup, rx.foreign);
    let preempted = nonvoluntary_switches()
        .zip(nv0)
        .map(|(b, a)| b.saturating_sub(a));
    let steal = steal_ticks().zip(st0).map(|(b, a)| b.saturating_sub(a));
    Ok(Trial {
        target_pps: pps,
        sent,
        received,
        dup,
        foreign,
        send_errors,
        elapsed,
        max_lag,
        max_lag_at,
        skipped,
        preempted,
        steal_ticks: steal,
        lat_ns: lat,
    })
}

/// Steal time of all CPUs (the `cpu` line of /proc/stat, 8th value), in clock ticks.
fn steal_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().find(|l| l.starts_with("cpu "))?;
    line.split_whitespace().nth(8)?.parse().ok()
}

/// `nonvoluntary_ctxt_switches` of the calling thread.
fn nonvoluntary_switches() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("nonvoluntary_ctxt_switches:"))?
        .trim()
        .parse()
        .ok()
}

/// Nearest-rank percentile of sorted values, in microseconds.
fn pct_us(sorted: &[u64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a vector of < 2^32 samples, q in [0, 1]"
    )]
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    Some(ratio(sorted[i], 1) / 1000.0)
}

fn num(x: Option<f64>, nd: usize) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v:.nd$}"),
        _ => "null".into(),
    }
}

fn trial_json(t: &mut Trial) -> String {
    t.lat_ns.sort_unstable();
    let l = &t.lat_ns;
    let mut s = String::new();
    let _ = write!(
        s,
        "{{\"target_pps\": {}, \"pps\": {:.0}, \"sent\": {}, \"received\": {}, \"lost\": {}, \
         \"dup\": {}, \"foreign\": {}, \"send_errors\": {}, \"elapsed_s\": {:.3}, \
         \"max_lag_us\": {:.1}, \"max_lag_at_s\": {:.3}, \"skipped\": {}, \"preempted\": {}, \"steal_ms\": {}",
        num(t.target_pps, 0),
        t.pps(),
        t.sent,
        t.received,
        t.lost(),
        t.dup,
        t.foreign,
        t.send_errors,
        t.elapsed.as_secs_f64(),
        t.max_lag.as_secs_f64() * 1e6,
        t.max_lag_at.as_secs_f64(),
        t.skipped,
        t.preempted
            .map_or_else(|| "null".to_string(), |p| p.to_string()),
        // USER_HZ is 100 on Linux: a tick is 10 ms.
        t.steal_ticks
            .map_or_else(|| "null".to_string(), |p| (p * 10).to_string()),
    );
    if !l.is_empty() {
        let _ = write!(
            s,
            ", \"min_us\": {}, \"p50_us\": {}, \"p90_us\": {}, \"p99_us\": {}, \"p999_us\": {}, \
             \"max_us\": {}",
            num(pct_us(l, 0.0), 2),
            num(pct_us(l, 0.5), 2),
            num(pct_us(l, 0.9), 2),
            num(pct_us(l, 0.99), 2),
            num(pct_us(l, 0.999), 2),
            num(l.last().map(|x| ratio(*x, 1) / 1000.0), 2),
        );
    }
    s.push('}');
    s
}

/// The highest rate at which `path` loses less than the limit: (rate, bound, trials as JSON).
fn max_rate(
    path: &mut Path,
    frames: &[[u8; 60]],
    o: &LatOpts,
    tag: &mut u16,
    base: Instant,
) -> Result<(f64, &'static str, Vec<String>), String> {
    let mut log = Vec::new();
    *tag = tag.wrapping_add(1);
    let mut t = trial(path, frames, None, o.trial, *tag, base)?;
    let ceiling = t.pps();
    let ok = t.loss() < o.loss_limit;
    log.push(trial_json(&mut t));
    if ok {
        return Ok((ceiling, "sender", log));
    }
    let (mut lo, mut hi) = (0.0f64, ceiling);
    let mut best: Option<f64> = None;
    for _ in 0..o.steps {
        let mid = (lo + hi) / 2.0;
        *tag = tag.wrapping_add(1);
        let mut t = trial(path, frames, Some(mid), o.trial, *tag, base)?;
        let ok = t.loss() < o.loss_limit;
        log.push(trial_json(&mut t));
        if ok {
            lo = mid;
            best = Some(best.map_or(t.pps(), |b: f64| b.max(t.pps())));
        } else {
            hi = mid;
        }
    }
    let best = best.ok_or_else(|| {
        format!(
            "{}: no rate down to {lo:.0} pps loses less than {:.2} %",
            path.name,
            o.loss_limit * 100.0
        )
    })?;
    Ok((best, "loss", log))
}

fn frames(o: &LatOpts) -> Vec<[u8; 60]> {
    let rs = synth::bgp_like_v4(o.routes, o.seed);
    let n = 4096;
    let dsts: Vec<u32> = if rs.is_empty() {
        (0..n)
            .map(|i| {
                u32::from(std::net::Ipv4Addr::new(10, 0, 2, 10))
                    + u32::try_from(i % 64).unwrap_or(0)
            })
            .collect()
    } else {
        synth::dsts_within_v4(&rs, n, o.seed ^ 0x5eed)
    };
    dsts.iter()
        .enumerate()
        .map(|(i, d)| super::frame(*d, u32::try_from(i).unwrap_or(0)))
        .collect()
}

pub(crate) fn latency(o: &LatOpts) -> Result<(), String> {
    let frames = frames(o);
    let base = Instant::now();
    let mut tag = 0u16;
    let mut fwd = Path::open("fwd", &o.tx, &o.rx)?;
    let mut bpath = match (&o.base_tx, &o.base_rx) {
        (Some(t), Some(r)) => Some(Path::open("base", t, r)?),
        _ => None,
    };
    // Warm-up: caches, the forwarder's first frames, page faults of the vectors.
    tag = tag.wrapping_add(1);
    trial(
        &mut fwd,
        &frames,
        Some(10_000.0),
        Duration::from_millis(200),
        tag,
        base,
    )?;
    let (fmax, fbound, flog) = max_rate(&mut fwd, &frames, o, &mut tag, base)?;
    eprintln!("latency: fwd path max {fmax:.0} pps ({fbound}-bound)");
    let mut out = String::new();
    let _ = write!(
        out,
        "{{\"routes\": {}, \"loss_limit\": {}, \"trial_s\": {:.2}, \"duration_s\": {:.2}, \
         \"fwd\": {{\"max_pps\": {fmax:.0}, \"bound\": \"{fbound}\", \"search\": [{}]}}",
        o.routes,
        o.loss_limit,
        o.trial.as_secs_f64(),
        o.duration.as_secs_f64(),
        flog.join(", ")
    );
    if let Some(b) = bpath.as_mut() {
        tag = tag.wrapping_add(1);
        trial(
            b,
            &frames,
            Some(10_000.0),
            Duration::from_millis(200),
            tag,
            base,
        )?;
        let (bmax, bbound, blog) = max_rate(b, &frames, o, &mut tag, base)?;
        eprintln!("latency: base path max {bmax:.0} pps ({bbound}-bound)");
        let _ = write!(
            out,
            ", \"base\": {{\"max_pps\": {bmax:.0}, \"bound\": \"{bbound}\", \"search\": [{}]}}",
            blog.join(", ")
        );
    }
    out.push_str(", \"phases\": [");
    for (k, load) in o.loads.iter().enumerate() {
        let pps = fmax * load;
        tag = tag.wrapping_add(1);
        let mut t = trial(&mut fwd, &frames, Some(pps), o.duration, tag, base)?;
        let fj = trial_json(&mut t);
        eprintln!("latency: {:.0}% fwd {fj}", load * 100.0);
        if k > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{{\"load\": {load}, \"pps\": {pps:.0}, \"fwd\": {fj}");
        if let Some(b) = bpath.as_mut() {
            tag = tag.wrapping_add(1);
            let mut t = trial(b, &frames, Some(pps), o.duration, tag, base)?;
            let bj = trial_json(&mut t);
            eprintln!("latency: {:.0}% base {bj}", load * 100.0);
            let _ = write!(out, ", \"base\": {bj}");
        }
        out.push('}');
    }
    out.push_str("]}");
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parse_options() {
        let o = LatOpts::parse(&args(
            "--tx a --rx b --base-tx c --base-rx d --duration 2 --trial 0.25 --loads 0.2,0.8",
        ))
        .expect("valid");
        assert_eq!((o.tx.as_str(), o.rx.as_str()), ("a", "b"));
        assert_eq!(o.base_tx.as_deref(), Some("c"));
        assert_eq!(o.duration, Duration::from_secs(2));
        assert_eq!(o.trial, Duration::from_millis(250));
        assert_eq!(o.loads, vec![0.2, 0.8]);
        for bad in [
            "--rx b",
            "--tx a",
            "--tx a --rx b --base-tx c",
            "--tx a --rx b --loads 0,0.5",
            "--tx a --rx b --loads 1.5",
            "--tx a --rx b --duration -1",
            "--tx a --rx b --duration nan",
            "--tx a --rx b --trial 0",
            "--tx a --rx b --bogus 1",
            "--tx a --rx",
        ] {
            assert!(LatOpts::parse(&args(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn percentiles_nearest_rank() {
        let v: Vec<u64> = (1..=1000).map(|i| i * 1000).collect(); // 1..1000 us
        assert_eq!(pct_us(&v, 0.0), Some(1.0));
        assert_eq!(pct_us(&v, 0.5), Some(500.0));
        assert_eq!(pct_us(&v, 0.99), Some(990.0));
        assert_eq!(pct_us(&v, 0.999), Some(999.0));
        assert_eq!(pct_us(&v, 1.0), Some(1000.0));
        assert_eq!(pct_us(&[], 0.5), None);
        assert_eq!(pct_us(&[7000], 0.999), Some(7.0));
    }

    #[test]
    fn receiver_counts_and_filters() {
        let base = Instant::now();
        let mut seen = vec![false; 3];
        let mut lat = Vec::new();
        let mut rx = Rx {
            tag: 9,
            base,
            seen: &mut seen,
            lat: &mut lat,
            received: 0,
            dup: 0,
            foreign: 0,
        };
        let mk = |seq: u32, tag: u16| {
            let mut f = super::super::frame(0x0a00_0001, 0);
            f[OFF_SEQ..OFF_SEQ + 4].copy_from_slice(&seq.to_be_bytes());
            f[OFF_TS..OFF_TS + 8].copy_from_slice(&0u64.to_be_bytes());
            f[OFF_MAGIC..OFF_MAGIC + 2].copy_from_slice(&MAGIC.to_be_bytes());
            f[OFF_TAG..OFF_TAG + 2].copy_from_slice(&tag.to_be_bytes());
            f
        };
        // A scripted receiver: three frames of the trial, a duplicate, one of another trial,
        // a sequence number never sent, a short frame; then "nothing pending".
        struct Script(Vec<Vec<u8>>, Vec<u8>);
        impl DataLinkReceiver for Script {
            fn next(&mut self) -> io::Result<&[u8]> {
                if self.0.is_empty() {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "empty"));
                }
                self.1 = self.0.remove(0);
                Ok(&self.1)
            }
        }
        let mut s = Script(
            vec![
                mk(0, 9).to_vec(),
                mk(2, 9).to_vec(),
                mk(2, 9).to_vec(),
                mk(1, 8).to_vec(),
                mk(5, 9).to_vec(),
                vec![0; 20],
                mk(1, 9).to_vec(),
            ],
            Vec::new(),
        );
        rx.drain(&mut s).expect("drain");
        assert_eq!((rx.received, rx.dup, rx.foreign), (3, 1, 3));
        assert_eq!(seen, vec![true, true, true]);
        assert_eq!(lat.len(), 3);
    }

    #[test]
    fn trial_json_fields() {
        let mut t = Trial {
            target_pps: Some(1000.0),
            sent: 4,
            received: 3,
            dup: 0,
            foreign: 0,
            send_errors: 0,
            elapsed: Duration::from_secs(2),
            max_lag: Duration::from_micros(3),
            max_lag_at: Duration::ZERO,
            skipped: 0,
            preempted: Some(1),
            steal_ticks: Some(2),
            lat_ns: vec![4000, 2000, 3000],
        };
        let j = trial_json(&mut t);
        for want in [
            "\"target_pps\": 1000",
            "\"pps\": 2,",
            "\"lost\": 1,",
            "\"preempted\": 1",
            "\"steal_ms\": 20",
            "\"p50_us\": 3.00",
            "\"max_us\": 4.00",
        ] {
            assert!(j.contains(want), "{want} not in {j}");
        }
        assert!((t.loss() - 0.25).abs() < 1e-12);
    }
}
