//! In-process tests of the ring core over a heap buffer: small and fast enough for Miri
//! (`ring-proto/miri.sh` runs this file under `cargo +nightly miri test`).

use ring_proto::{
    heap_channel, Command, Completion, FromForwarder, FromLibrary, PushError, Record, Segment,
    SegmentConfig, StatsShape, Status,
};
use std::time::Duration;

fn rec(i: u64) -> Record {
    let mut r = Record {
        seq: i,
        ..Record::default()
    };
    r.payload[..8].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
    r
}

#[test]
fn push_pop_wraps_u32_indices() {
    let (mut p, mut c) = heap_channel::<Record>(4, u32::MAX - 5).unwrap();
    let mut next = 0u64;
    for round in 0..6u64 {
        for i in 0..(round % 4 + 1) {
            p.try_push(&rec(round * 10 + i)).unwrap();
        }
        for i in 0..(round % 4 + 1) {
            let r = c.pop().unwrap().unwrap();
            assert_eq!(r, rec(round * 10 + i));
            next += 1;
        }
        assert_eq!(c.pop().unwrap(), None);
    }
    assert_eq!(
        c.index(),
        (u32::MAX - 5).wrapping_add(u32::try_from(next).unwrap())
    );
    assert!(c.index() < 100, "indices wrapped past u32::MAX");
}

#[test]
fn full_ring_is_back_pressure_not_loss() {
    let (mut p, mut c) = heap_channel::<u64>(4, 0).unwrap();
    assert_eq!(p.push_burst(&[1, 2, 3, 4, 5, 6]).unwrap(), 4);
    assert_eq!(p.try_push(&7), Err(PushError::Full));
    assert_eq!(
        p.push_all_blocking(&[7], Duration::from_millis(5)),
        Err(PushError::Timeout { written: 0 })
    );
    let mut out = [0u64; 8];
    assert_eq!(c.pop_burst(&mut out).unwrap(), 4);
    assert_eq!(&out[..4], &[1, 2, 3, 4]);
    p.try_push(&5).unwrap();
    assert_eq!(c.pop().unwrap(), Some(5));
}

#[test]
fn burst_publishes_once_and_reads_in_order() {
    let (mut p, mut c) = heap_channel::<u64>(8, u32::MAX - 2).unwrap();
    assert_eq!(p.write_burst(5, |i| i as u64 * 3).unwrap(), 5);
    let mut got = Vec::new();
    assert_eq!(c.read_burst(3, |v| got.push(v)).unwrap(), 3);
    assert_eq!(c.read_burst(10, |v| got.push(v)).unwrap(), 2);
    assert_eq!(got, vec![0, 3, 6, 9, 12]);
}

#[test]
fn two_threads_transfer_in_order() {
    let n: u64 = if cfg!(miri) { 300 } else { 200_000 };
    let (mut p, mut c) = heap_channel::<Record>(16, u32::MAX - 40).unwrap();
    let t = std::thread::spawn(move || {
        let mut i = 0;
        let mut batch = Vec::new();
        while i < n {
            batch.clear();
            batch.extend((i..(i + 7).min(n)).map(rec));
            p.push_all_blocking(&batch, Duration::from_secs(30))
                .unwrap();
            i += batch.len() as u64;
        }
    });
    let mut expect = 0;
    while expect < n {
        c.read_burst(5, |r| {
            assert_eq!(r, rec(expect));
            expect += 1;
        })
        .unwrap();
        std::thread::yield_now();
    }
    t.join().unwrap();
    assert_eq!(c.pop().unwrap(), None);
}

#[test]
fn endpoints_round_trip_in_memory() {
    let cfg = SegmentConfig {
        cmd_capacity: 8,
        cpl_capacity: 8,
        evt_capacity: 4,
        stats: StatsShape {
            workers: 1,
            ports: 2,
            rifs: 1,
            next_hops: 1,
            errors: 1,
        },
        initial_index: u32::MAX - 3,
        ..SegmentConfig::default()
    };
    let seg = Segment::in_memory(&cfg).unwrap();
    let mut fwd = seg.forwarder().unwrap();
    let mut lib = seg.library().unwrap();
    assert_eq!(lib.forwarder_generation(), 1);
    let mut seen = Vec::new();
    lib.recv(8, |m| seen.push(m));
    assert_eq!(seen, vec![]);
    let mut seen = Vec::new();
    fwd.recv(8, |m| seen.push(m));
    assert_eq!(seen, vec![FromLibrary::NewLibrary { generation: 1 }]);
    for round in 0..3u64 {
        let cmds = [Command::VrfAdd(1), Command::Barrier(round)];
        let first = lib.send_all(&cmds, Duration::from_secs(1)).unwrap();
        let mut cpl = Vec::new();
        fwd.recv(8, |m| match m {
            FromLibrary::Command { seq, cmd } => cpl.push((seq, cmd)),
            other => panic!("unexpected {other:?}"),
        });
        assert_eq!(cpl, vec![(first, cmds[0]), (first + 1, cmds[1])]);
        let done: Vec<_> = cpl
            .iter()
            .map(|(seq, _)| Completion {
                seq: *seq,
                status: Status::Ok,
                object_id: round,
            })
            .collect();
        assert_eq!(fwd.complete(&done).unwrap(), 2);
        let mut got = Vec::new();
        lib.recv(8, |m| got.push(m));
        assert_eq!(
            got,
            done.iter()
                .map(|c| FromForwarder::Completion(*c))
                .collect::<Vec<_>>()
        );
    }
}
