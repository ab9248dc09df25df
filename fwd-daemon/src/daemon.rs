//! Daemon start-up and shutdown: EAL, pool, ports, ring, tables, worker / control / CLI threads,
//! signals. Shutdown order: stop flag -> join workers (they flush tx) -> join control (removes the
//! TAPs, tells the library) -> join CLI -> close ports -> free the pool -> EAL cleanup.

use std::os::unix::net::UnixListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use fwd_engine::fib::{Fib, FibConfig};
use fwd_engine::interface::interfaces;
use fwd_engine::worker::{Worker, WorkerConfig};
use ring_proto::{Limits, Segment, SegmentConfig};

use crate::config::Config;
use crate::control::Control;
use crate::io::{self, Eal, Mempool, Port};
use crate::tables::Tables;
use crate::worker::{WorkerCounters, WorkerCtx};

/// Run the daemon until SIGTERM / SIGINT (or `stop` is set). Errors are start-up failures.
pub fn run(cfg: &Config, stop: Arc<AtomicBool>) -> Result<(), String> {
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| format!("signal handler: {e}"))?;
    }
    let use_huge = cfg.hugepages.unwrap_or_else(io::hugepages_available);
    let args = io::eal_args(cfg, use_huge, std::process::id());
    tracing::info!(args = args.join(" "), "starting EAL");
    let eal = Eal::init(&args).map_err(|e| e.to_string())?;

    let max_mtu = cfg.ports.iter().filter_map(|p| p.mtu).max().unwrap_or(1500);
    let room = 128 + usize::from(max_mtu).max(2048 - 18) + 18 + 4;
    let data_room = u16::try_from(room).map_err(|_| "mtu too large".to_string())?;
    // Without hugepages and with vdevs only, the pool goes to memory of its own on transparent
    // huge pages (see io::Mempool::new_thp); PCI devices need EAL's memory (IOVAs for DMA).
    let pool_name = format!("pkt_{}", cfg.name);
    let pool = if !use_huge && cfg.pool_thp && !cfg.ports.iter().any(|p| p.is_pci()) {
        Mempool::new_thp(&eal, &pool_name, cfg.mbufs, data_room)
    } else {
        Mempool::new(&eal, &pool_name, cfg.mbufs, data_room)
    };
    let pool = Arc::new(pool.map_err(|e| e.to_string())?);
    tracing::info!(
        mbufs = cfg.mbufs,
        thp = pool.on_thp(),
        "packet pool created"
    );

    let workers = usize::from(cfg.workers);
    let mut ports = Vec::new();
    for (i, pc) in cfg.ports.iter().enumerate() {
        let idx = u32::try_from(i).map_err(|_| "too many ports".to_string())?;
        let p = Port::open(&eal, idx, pc, &pool, cfg.workers).map_err(|e| e.to_string())?;
        tracing::info!(
            port = p.name.as_str(),
            dpdk_port = p.id,
            driver = p.info.driver.as_str(),
            "port started"
        );
        ports.push(p);
    }

    // The ring: libsai normally creates it; the forwarder attaches (or creates it when first).
    let seg = Segment::open_or_create(&SegmentConfig::with_path(&cfg.ring))
        .map_err(|e| format!("ring {}: {e}", cfg.ring.display()))?;
    let mut fwd = seg
        .forwarder()
        .map_err(|e| format!("ring {}: {e}", cfg.ring.display()))?;
    let n_ports = u32::try_from(ports.len()).unwrap_or(u32::MAX);
    fwd.set_limits(Limits {
        ports: n_ports,
        ..Limits::default()
    });
    let mut stats_writers = fwd.take_stats_writers().into_iter();

    let (fib_w, fib_r) = Fib::new(FibConfig::default());
    let (if_w, if_r) = interfaces();
    let names: Vec<(String, [u8; 6])> = ports.iter().map(|p| (p.name.clone(), p.mac)).collect();

    // Rx queues shared out round-robin; every worker gets one tx queue on every port.
    let mut rxqs: Vec<Vec<io::RxQueue>> = (0..workers).map(|_| Vec::new()).collect();
    let mut k = 0;
    for p in &ports {
        for q in 0..p.info.rx_queues {
            rxqs[k % workers].push(p.rx_queue(q));
            k += 1;
        }
    }
    let ports = Arc::new(ports);
    let rif_map = Arc::new(arc_swap::ArcSwap::from_pointee(Vec::<u32>::new()));
    let admin: Arc<Vec<AtomicBool>> =
        Arc::new(ports.iter().map(|_| AtomicBool::new(true)).collect());
    let mut punts = Vec::new();
    let mut injects = Vec::new();
    let mut wreqs = Vec::new();
    let mut wcounters = Vec::new();
    let mut handles = Vec::new();
    for (w, qs) in rxqs.into_iter().enumerate() {
        let (punt_p, punt_c) = rtrb::RingBuffer::new(4096);
        let (inj_p, inj_c) = rtrb::RingBuffer::new(4096);
        let (req_tx, req_rx) = mpsc::channel();
        let counters = Arc::new(WorkerCounters::new(ports.len()));
        let wq = u16::try_from(w).unwrap_or(0);
        let wstop = Arc::clone(&stop);
        let ctx = WorkerCtx {
            id: w,
            rxqs: qs,
            txqs: ports.iter().map(|p| p.tx_queue(wq)).collect(),
            engine: Worker::new(
                WorkerConfig::default(),
                fib_r.clone(),
                if_r.clone(),
                io::TscClock::new(),
            ),
            punt: punt_p,
            inject: inj_c,
            requests: req_rx,
            stop: Arc::clone(&stop),
            poll: cfg.poll,
            counters: Arc::clone(&counters),
            stats: stats_writers.next(),
            cpu: cfg.worker_cpus.get(w).copied(),
            admin: Arc::clone(&admin),
            rif_map: Arc::clone(&rif_map),
            profile: cfg.profile,
        };
        let h = std::thread::Builder::new()
            .name(format!("fwd-worker-{w}"))
            .spawn(move || guarded("worker", &wstop, || ctx.run()))
            .map_err(|e| format!("spawn worker: {e}"))?;
        handles.push(h);
        punts.push(punt_c);
        injects.push(inj_p);
        wreqs.push(req_tx);
        wcounters.push(counters);
    }
    drop(fib_r);
    drop(if_r);

    // CLI socket.
    if let Some(dir) = cfg.cli_socket.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let _ = std::fs::remove_file(&cfg.cli_socket);
    let listener = UnixListener::bind(&cfg.cli_socket)
        .map_err(|e| format!("cli socket {}: {e}", cfg.cli_socket.display()))?;
    let (cli_tx, cli_rx) = mpsc::channel();
    let cli_stop = Arc::clone(&stop);
    let cli = std::thread::Builder::new()
        .name("fwd-cli".into())
        .spawn(move || crate::cli::serve(listener, cli_tx, cli_stop))
        .map_err(|e| format!("spawn cli: {e}"))?;

    let tables = Tables::new(fib_w, if_w, &names);
    let control = Control::new(
        tables,
        Some(fwd),
        Arc::clone(&ports),
        Arc::clone(&pool),
        punts,
        injects,
        wreqs,
        wcounters,
        cli_rx,
        Arc::clone(&stop),
        admin,
        rif_map,
    );
    let netns = cfg.netns.clone();
    let cstop = Arc::clone(&stop);
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let ctl = std::thread::Builder::new()
        .name("fwd-control".into())
        .spawn(move || {
            // Host interfaces are created by this thread, in the configured namespace.
            if let Some(ns) = &netns {
                if let Err(e) = crate::tap::enter_netns(ns) {
                    let _ = ready_tx.send(Err(format!("host interface namespace: {e}")));
                    return;
                }
            }
            let _ = ready_tx.send(Ok(()));
            guarded("control", &cstop, || control.run());
        })
        .map_err(|e| format!("spawn control: {e}"))?;
    let startup = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| Err("control thread did not start".into()));
    if let Err(e) = &startup {
        stop.store(true, Ordering::Relaxed);
        tracing::error!("{e}");
    } else {
        tracing::info!(socket = %cfg.cli_socket.display(), ring = %cfg.ring.display(), "forwarder running");
        println!(
            "ferrosai-fwd {} ready: cli {}",
            cfg.name,
            cfg.cli_socket.display()
        );
    }

    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::info!("stopping");
    for h in handles {
        let _ = h.join();
    }
    let _ = ctl.join();
    let _ = cli.join();
    let _ = std::fs::remove_file(&cfg.cli_socket);
    match Arc::try_unwrap(ports) {
        Ok(ports) => drop(ports),
        Err(_) => tracing::warn!("ports still referenced at shutdown"),
    }
    drop(pool);
    drop(eal);
    drop(seg);
    if FAILED.load(Ordering::Relaxed) {
        return Err("a forwarder thread panicked (see the log)".into());
    }
    startup
}

/// Run a thread body; a panic is logged and stops the whole daemon (a supervisor restarts it and
/// the library replays its state) instead of leaving a half-working forwarder.
fn guarded(what: &str, stop: &AtomicBool, f: impl FnOnce()) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).is_err() {
        tracing::error!("{what} thread panicked: stopping the forwarder");
        stop.store(true, Ordering::Relaxed);
        FAILED.store(true, Ordering::Relaxed);
    }
}

static FAILED: AtomicBool = AtomicBool::new(false);
