//! The restart protocol: generations, what each side resets at attach, in-flight records.

mod common;

use common::ShmPath;
use ring_proto::{
    Command, Completion, Event, FromForwarder, FromLibrary, Liveness, PortCounter, Segment,
    SegmentConfig, SegmentError, Side, Status,
};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::time::{Duration, Instant};

fn cmds(base: u32, n: u32) -> Vec<Command> {
    (base..base + n).map(Command::VrfAdd).collect()
}

fn drain(fwd: &mut ring_proto::Forwarder) -> Vec<FromLibrary> {
    let mut v = Vec::new();
    fwd.recv(1024, |m| v.push(m));
    v
}

fn vrfs(v: &[FromLibrary]) -> Vec<u32> {
    v.iter()
        .filter_map(|m| match m {
            FromLibrary::Command {
                cmd: Command::VrfAdd(x),
                ..
            } => Some(*x),
            _ => None,
        })
        .collect()
}

#[test]
fn create_open_mode_and_generations() {
    let path = ShmPath::new("create");
    let cfg = SegmentConfig::with_path(&path.0);
    let a = Segment::open_or_create(&cfg).unwrap();
    let mode = std::fs::metadata(&path.0).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(matches!(
        Segment::create(&cfg),
        Err(SegmentError::Io { .. })
    ));
    let b = Segment::open_or_create(&cfg).unwrap();
    assert_eq!(a.layout(), b.layout());
    let lib = a.library().unwrap();
    assert_eq!(b.side_info(Side::Library).generation, 1);
    assert_eq!(b.side_info(Side::Library).pid, std::process::id());
    drop(lib);
    let lib = b.library().unwrap();
    assert_eq!(lib.generation(), 2);
    assert_eq!(a.generation(Side::Forwarder), 0);
    // A segment of another layout is replaced atomically; the old mapping stays valid.
    let stale = ShmPath::new("stale");
    std::fs::write(&stale.0, b"not a segment").unwrap();
    assert!(matches!(
        Segment::open(&stale.0),
        Err(SegmentError::Header(_))
    ));
    let fresh = Segment::create_replacing(&SegmentConfig::with_path(&stale.0)).unwrap();
    assert_eq!(Segment::open(&stale.0).unwrap().layout(), fresh.layout());
    // One endpoint per side per process, even through a second mapping of the same file.
    let path2 = ShmPath::new("claim");
    let s1 = Segment::create(&SegmentConfig::with_path(&path2.0)).unwrap();
    let s2 = Segment::open(&path2.0).unwrap();
    let l1 = s1.library().unwrap();
    assert!(matches!(
        s2.library(),
        Err(SegmentError::SideTaken {
            side: Side::Library,
            ..
        })
    ));
    let f2 = s2.forwarder().unwrap();
    drop(l1);
    let _l2 = s2.library().unwrap();
    drop(f2);
    let custom = ShmPath::new("mode");
    Segment::create(&SegmentConfig {
        mode: 0o640,
        ..SegmentConfig::with_path(&custom.0)
    })
    .unwrap();
    assert_eq!(
        std::fs::metadata(&custom.0).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn forwarder_restart_discards_in_flight_and_library_replays() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut lib = seg.library().unwrap();
    let mut fwd1 = seg.forwarder().unwrap();
    lib.recv(8, |m| {
        assert_eq!(m, FromForwarder::Restarted { generation: 1 })
    });
    lib.send(&cmds(0, 3)).unwrap();
    assert_eq!(vrfs(&drain(&mut fwd1)), vec![0, 1, 2]);
    // Completion produced by the old forwarder, never read by the library.
    fwd1.complete(&[Completion {
        seq: 1,
        status: Status::Ok,
        object_id: 0,
    }])
    .unwrap();
    // Commands in flight when the forwarder dies.
    lib.send(&cmds(10, 4)).unwrap();
    drop(fwd1);
    let mut fwd2 = seg.forwarder().unwrap();
    assert_eq!(fwd2.generation(), 2);
    assert_eq!(fwd2.counters().skipped_on_attach, 4);
    // The library has not noticed yet: its commands still carry generation 1 and are discarded.
    lib.send(&cmds(20, 2)).unwrap();
    assert_eq!(vrfs(&drain(&mut fwd2)), Vec::<u32>::new());
    assert_eq!(fwd2.counters().stale_generation, 2);
    // The library notices, the old completion is counted stale, it replays.
    let mut got = Vec::new();
    lib.recv(8, |m| got.push(m));
    assert_eq!(got, vec![FromForwarder::Restarted { generation: 2 }]);
    assert_eq!(lib.counters().stale_generation, 1);
    lib.send(&cmds(0, 3)).unwrap();
    lib.send(&[Command::Barrier(99)]).unwrap();
    let got = drain(&mut fwd2);
    assert_eq!(vrfs(&got), vec![0, 1, 2]);
    assert!(matches!(
        got.last(),
        Some(FromLibrary::Command {
            cmd: Command::Barrier(99),
            ..
        })
    ));
}

#[test]
fn library_restart_makes_forwarder_flush_first() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut fwd = seg.forwarder().unwrap();
    let mut lib1 = seg.library().unwrap();
    assert_eq!(
        drain(&mut fwd),
        vec![FromLibrary::NewLibrary { generation: 1 }]
    );
    lib1.send(&cmds(0, 2)).unwrap();
    assert_eq!(vrfs(&drain(&mut fwd)), vec![0, 1]);
    fwd.complete(&[Completion {
        seq: 2,
        status: Status::Ok,
        object_id: 0,
    }])
    .unwrap();
    fwd.event(&Event::Link {
        port: 1,
        up: true,
        speed_mbps: 100_000,
    })
    .unwrap();
    lib1.send(&cmds(5, 3)).unwrap(); // in flight when the library dies
    drop(lib1);
    let mut lib2 = seg.library().unwrap();
    assert_eq!(lib2.generation(), 2);
    // The completion and the event addressed to the old library were skipped at attach.
    assert_eq!(lib2.counters().skipped_on_attach, 2);
    let mut n = 0;
    lib2.recv(8, |_| n += 1);
    assert_eq!(n, 0);
    lib2.send(&cmds(100, 2)).unwrap();
    let got = drain(&mut fwd);
    // NewLibrary comes before anything else; the old library's in-flight commands are stale.
    assert_eq!(got[0], FromLibrary::NewLibrary { generation: 2 });
    assert_eq!(vrfs(&got), vec![100, 101]);
    assert_eq!(fwd.counters().stale_generation, 3);
    // Completions now go to the new library.
    let seq = match got[1] {
        FromLibrary::Command { seq, .. } => seq,
        ref m => panic!("{m:?}"),
    };
    fwd.complete(&[Completion {
        seq,
        status: Status::TableFull,
        object_id: 9,
    }])
    .unwrap();
    let mut got = Vec::new();
    lib2.recv(8, |m| got.push(m));
    assert_eq!(
        got,
        vec![FromForwarder::Completion(Completion {
            seq,
            status: Status::TableFull,
            object_id: 9
        })]
    );
}

#[test]
fn liveness_from_heartbeat_and_state() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut lib = seg.library().unwrap();
    let t0 = Instant::now();
    let timeout = Duration::from_millis(100);
    assert_eq!(lib.forwarder_liveness(t0, timeout), Liveness::NotStarted);
    let fwd = seg.forwarder().unwrap();
    assert_eq!(lib.forwarder_liveness(t0, timeout), Liveness::Alive);
    assert_eq!(
        lib.forwarder_liveness(t0 + 2 * timeout, timeout),
        Liveness::Stalled
    );
    fwd.heartbeat();
    assert_eq!(
        lib.forwarder_liveness(t0 + 2 * timeout, timeout),
        Liveness::Alive
    );
    assert_eq!(
        lib.forwarder_liveness(t0 + 3 * timeout + Duration::from_millis(1), timeout),
        Liveness::Stalled
    );
    drop(fwd);
    assert_eq!(
        lib.forwarder_liveness(t0 + 4 * timeout, timeout),
        Liveness::Detached
    );
}

#[test]
fn side_held_by_live_process_is_refused_and_dead_one_is_taken_over() {
    let path = ShmPath::new("side");
    let seg = Segment::create(&SegmentConfig::with_path(&path.0)).unwrap();
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let ns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let ns: u64 = ns
        .to_string_lossy()
        .trim_start_matches("pid:[")
        .trim_end_matches(']')
        .parse()
        .unwrap();
    // Pretend the child attached as the forwarder: pid, state attached, our pid namespace.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path.0)
        .unwrap();
    let line = ring_proto::layout::FWD_SIDE_OFFSET as u64;
    f.write_all_at(
        &child.id().to_ne_bytes(),
        line + ring_proto::layout::SIDE_PID as u64,
    )
    .unwrap();
    f.write_all_at(
        &1u32.to_ne_bytes(),
        line + ring_proto::layout::SIDE_STATE as u64,
    )
    .unwrap();
    f.write_all_at(
        &ns.to_ne_bytes(),
        line + ring_proto::layout::SIDE_PIDNS as u64,
    )
    .unwrap();
    match seg.forwarder() {
        Err(SegmentError::SideTaken {
            side: Side::Forwarder,
            pid,
        }) => assert_eq!(pid, child.id()),
        other => panic!("expected SideTaken, got {other:?}"),
    }
    let mut lib = seg.library().unwrap();
    assert_eq!(
        lib.forwarder_liveness(Instant::now(), Duration::from_secs(10)),
        Liveness::Alive
    );
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        lib.forwarder_liveness(Instant::now(), Duration::from_secs(10)),
        Liveness::Exited
    );
    let fwd = seg.forwarder().unwrap();
    assert_eq!(fwd.generation(), 1);
}

#[test]
fn stats_written_by_workers_read_by_library_and_reset_on_forwarder_restart() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut fwd = seg.forwarder().unwrap();
    let lib = seg.library().unwrap();
    let writers = fwd.take_stats_writers();
    assert_eq!(writers.len(), 4);
    assert!(fwd.take_stats_writers().is_empty());
    std::thread::scope(|s| {
        for w in &writers {
            s.spawn(move || {
                for _ in 0..1000 {
                    assert!(w.add_port(3, PortCounter::RxPackets, 1));
                    assert!(w.add_port(3, PortCounter::RxBytes, 64));
                }
                assert!(w.add_rif(2, ring_proto::RifCounter::TxBytes, 5));
                assert!(w.add_next_hop(7, ring_proto::NhCounter::Packets, 2));
                assert!(w.add_error(1, 1));
                assert!(!w.add_port(100_000, PortCounter::RxPackets, 1));
            });
        }
    });
    let r = lib.stats();
    let p = r.port(3).unwrap();
    assert_eq!(
        (
            p[PortCounter::RxPackets as usize],
            p[PortCounter::RxBytes as usize]
        ),
        (4000, 256_000)
    );
    assert_eq!(r.rif(2).unwrap()[3], 20);
    assert_eq!(r.next_hop(7).unwrap(), [8, 0]);
    assert_eq!(r.error(1), Some(4));
    assert_eq!(r.port(100_000), None);
    drop(writers);
    drop(fwd);
    let _fwd2 = seg.forwarder().unwrap();
    assert_eq!(r.port(3).unwrap(), [0; 8]);
}

#[test]
fn recv_raw_filters_generations_and_passes_copies() {
    let seg = Segment::in_memory(&SegmentConfig::default()).unwrap();
    let mut fwd = seg.forwarder().unwrap();
    let mut lib = seg.library().unwrap();
    drain(&mut fwd);
    lib.send(&cmds(7, 2)).unwrap();
    let mut got = Vec::new();
    assert_eq!(fwd.recv_raw(16, |r| got.push(*r)), 2);
    assert_eq!(
        got.iter()
            .map(|r| Command::decode(r, &Default::default()).unwrap())
            .collect::<Vec<_>>(),
        cmds(7, 2)
    );
    drop(lib);
    let mut lib2 = seg.library().unwrap();
    lib2.send(&cmds(1, 1)).unwrap();
    // The forwarder has not seen the new library generation through recv(): recv_raw filters
    // on the generation it accepts, so the new library's record is counted stale, not passed.
    let before = fwd.counters().stale_generation;
    assert_eq!(fwd.recv_raw(16, |_| {}), 0);
    assert_eq!(fwd.counters().stale_generation, before + 1);
}
