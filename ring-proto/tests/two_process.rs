//! Two processes over a real /dev/shm segment: this test binary re-runs itself as the forwarder
//! child. The parent (library) sends millions of route commands in bursts; the child checks that
//! every sequence number arrives in order with exactly the expected content, folds a checksum over
//! what it received, and answers the final barrier with that checksum.
//!
//! `RING_TWO_PROC_N` sets the number of messages (default 2,000,000 in debug, 20,000,000 in
//! release builds).

mod common;

use common::ShmPath;
use ring_proto::{
    Command, Completion, FromForwarder, FromLibrary, Prefix, RouteAction, Segment, SegmentConfig,
    Status,
};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "RING_TWO_PROC_CHILD";

fn count() -> u64 {
    std::env::var("RING_TWO_PROC_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if cfg!(debug_assertions) {
            2_000_000
        } else {
            20_000_000
        })
}

/// The command the library sends with sequence number `seq` (a mix of v4 and v6 routes).
#[allow(
    clippy::cast_possible_truncation,
    reason = "bits of a hash are picked on purpose"
)]
fn expected(seq: u64) -> Command {
    let x = seq.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let vrf = (x >> 60) as u32;
    let action = match x % 3 {
        0 => RouteAction::NextHop((x >> 8) as u32 & 0xffff),
        1 => RouteAction::Group((x >> 24) as u32 & 0xfff),
        _ => RouteAction::Drop,
    };
    let prefix = if seq.is_multiple_of(8) {
        Prefix::new(Ipv6Addr::from(u128::from(x) << 64).into(), 64).unwrap()
    } else {
        Prefix::new(Ipv4Addr::from((seq as u32) << 8).into(), 24).unwrap()
    };
    Command::RouteAdd {
        vrf,
        prefix,
        action,
    }
}

fn fold(sum: u64, seq: u64, cmd: &Command) -> u64 {
    let r = cmd.encode();
    let mut h = sum ^ seq;
    for chunk in ring_proto::shm::bytes_of(&r.payload).chunks_exact(8) {
        h = (h ^ u64::from_le_bytes(chunk.try_into().unwrap())).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn child(path: &str) {
    let seg = Segment::open(path.as_ref()).expect("child: open segment");
    let mut fwd = seg.forwarder().expect("child: attach as forwarder");
    let n = count();
    let mut next = 1u64;
    let mut sum = 0u64;
    let mut barrier = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    while barrier.is_none() {
        assert!(Instant::now() < deadline, "child: timed out at seq {next}");
        let got = fwd.recv(256, |m| match m {
            FromLibrary::Command {
                seq,
                cmd: Command::Barrier(token),
            } => {
                assert_eq!((seq, token), (n + 1, n), "child: barrier");
                barrier = Some(seq);
            }
            FromLibrary::Command { seq, cmd } => {
                assert_eq!(seq, next, "child: order");
                assert_eq!(cmd, expected(seq), "child: content of {seq}");
                sum = fold(sum, seq, &cmd);
                next += 1;
            }
            FromLibrary::NewLibrary { .. } => {}
            FromLibrary::Invalid { seq, error } => panic!("child: invalid record {seq}: {error}"),
        });
        if got == 0 {
            std::thread::yield_now();
        }
    }
    assert_eq!(next, n + 1, "child: count");
    let c = fwd.counters();
    assert_eq!(
        (
            c.bad_kind,
            c.bad_field,
            c.wrong_ring,
            c.bad_index,
            c.stale_generation
        ),
        (0, 0, 0, 0, 0)
    );
    let seq = barrier.unwrap();
    fwd.complete_all(
        &[Completion {
            seq,
            status: Status::Ok,
            object_id: sum,
        }],
        Duration::from_secs(10),
    )
    .unwrap();
}

#[test]
#[ignore = "child half of two_processes_transfer_millions_in_order"]
fn two_process_child() {
    let path = std::env::var(CHILD_ENV).expect("run by two_processes_transfer_millions_in_order");
    child(&path);
}

#[test]
fn two_processes_transfer_millions_in_order() {
    let path = ShmPath::new("2proc");
    let cfg = SegmentConfig {
        cmd_capacity: 1 << 14,
        ..SegmentConfig::with_path(&path.0)
    };
    let seg = Segment::create(&cfg).unwrap();
    let mut lib = seg.library().unwrap();
    let mut proc = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "two_process_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path.0)
        .spawn()
        .unwrap();
    // Wait for the forwarder to attach (its generation appears), as the real library does.
    let t0 = Instant::now();
    let mut restarted = false;
    while !restarted {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "child never attached"
        );
        if let Ok(Some(st)) = proc.try_wait() {
            panic!("child exited early: {st}");
        }
        lib.recv(1, |m| {
            restarted |= matches!(m, FromForwarder::Restarted { generation: 1 })
        });
        std::thread::sleep(Duration::from_millis(1));
    }
    let n = count();
    let start = Instant::now();
    let mut sum = 0u64;
    let mut burst = Vec::with_capacity(256);
    let mut seq = lib.next_seq();
    assert_eq!(seq, 1);
    while seq <= n {
        burst.clear();
        let end = (seq + 256).min(n + 1);
        for s in seq..end {
            let c = expected(s);
            sum = fold(sum, s, &c);
            burst.push(c);
        }
        lib.send_all(&burst, Duration::from_secs(60)).unwrap();
        seq = end;
    }
    lib.send_all(&[Command::Barrier(n)], Duration::from_secs(60))
        .unwrap();
    let elapsed = start.elapsed();
    let mut done = None;
    while done.is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "no barrier completion"
        );
        lib.recv(8, |m| {
            if let FromForwarder::Completion(c) = m {
                done = Some(c);
            }
        });
        std::thread::yield_now();
    }
    let st = proc.wait().unwrap();
    assert!(st.success(), "child failed: {st}");
    assert_eq!(
        done,
        Some(Completion {
            seq: n + 1,
            status: Status::Ok,
            object_id: sum
        }),
        "checksum"
    );
    eprintln!(
        "{n} route commands across processes in {elapsed:?} ({:.1} M/s)",
        n as f64 / elapsed.as_secs_f64() / 1e6
    );
}
