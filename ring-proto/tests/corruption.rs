//! A corrupted header is rejected with an error naming the field; corrupted records and indices
//! are counted and skipped, never followed.

mod common;

use common::ShmPath;
use ring_proto::msg::{RoutePayload, PAYLOAD_BYTES};
use ring_proto::shm::bytes_of;
use ring_proto::{
    Command, DecodeError, FromLibrary, Kind, Limits, Prefix, Record, RouteAction, SegHeader,
    Segment, SegmentConfig, SegmentError, StatsShape,
};
use std::mem::offset_of;
use std::os::unix::fs::FileExt;

fn small_cfg(path: &std::path::Path) -> SegmentConfig {
    SegmentConfig {
        cmd_capacity: 64,
        cpl_capacity: 64,
        evt_capacity: 16,
        stats: StatsShape {
            workers: 1,
            ports: 4,
            rifs: 4,
            next_hops: 4,
            errors: 4,
        },
        ..SegmentConfig::with_path(path)
    }
}

fn patch(path: &std::path::Path, off: usize, bytes: &[u8]) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(bytes, off as u64).unwrap();
}

#[test]
fn corrupted_header_fields_are_named() {
    let good = ShmPath::new("hdr-good");
    let seg = Segment::create(&small_cfg(&good.0)).unwrap();
    let total = seg.layout().total as u64;
    drop(seg);
    let image = std::fs::read(&good.0).unwrap();
    let cases: &[(&str, usize, &[u8])] = &[
        ("magic", offset_of!(SegHeader, magic), b"XXXXXXXX"),
        (
            "layout_version",
            offset_of!(SegHeader, layout_version),
            &99u32.to_ne_bytes(),
        ),
        (
            "layout_hash",
            offset_of!(SegHeader, layout_hash),
            &1u64.to_ne_bytes(),
        ),
        (
            "header_bytes",
            offset_of!(SegHeader, header_bytes),
            &128u32.to_ne_bytes(),
        ),
        (
            "record_bytes",
            offset_of!(SegHeader, record_bytes),
            &128u32.to_ne_bytes(),
        ),
        (
            "cmd_capacity",
            offset_of!(SegHeader, cmd_capacity),
            &63u32.to_ne_bytes(),
        ),
        (
            "cpl_capacity",
            offset_of!(SegHeader, cpl_capacity),
            &0u32.to_ne_bytes(),
        ),
        (
            "cmd_offset",
            offset_of!(SegHeader, cmd_offset),
            &(1u64 << 40).to_ne_bytes(),
        ),
        (
            "evt_offset",
            offset_of!(SegHeader, evt_offset),
            &320u64.to_ne_bytes(),
        ),
        (
            "stats_workers",
            offset_of!(SegHeader, stats_workers),
            &0u32.to_ne_bytes(),
        ),
        (
            "stats_bytes",
            offset_of!(SegHeader, stats_bytes),
            &8u64.to_ne_bytes(),
        ),
        (
            "total_bytes",
            offset_of!(SegHeader, total_bytes),
            &(total + 64).to_ne_bytes(),
        ),
        ("pad", offset_of!(SegHeader, pad), &1u32.to_ne_bytes()),
    ];
    for (field, off, bytes) in cases {
        let bad = ShmPath::new("hdr-bad");
        std::fs::write(&bad.0, &image).unwrap();
        patch(&bad.0, *off, bytes);
        match Segment::open(&bad.0) {
            Err(SegmentError::Header(e)) => assert_eq!(e.field, *field, "{e}"),
            other => panic!("{field}: expected a header error, got {other:?}"),
        }
    }
    // A truncated or extended file.
    for len in [100, total - 64, total + 4096] {
        let bad = ShmPath::new("hdr-len");
        std::fs::write(&bad.0, &image).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&bad.0)
            .unwrap()
            .set_len(len)
            .unwrap();
        match Segment::open(&bad.0) {
            Err(SegmentError::Header(e)) => assert_eq!(e.field, "file length", "{e}"),
            other => panic!("len {len}: expected a header error, got {other:?}"),
        }
    }
    // The untouched image still opens.
    let copy = ShmPath::new("hdr-copy");
    std::fs::write(&copy.0, &image).unwrap();
    Segment::open(&copy.0).unwrap();
}

fn route(i: u32) -> Command {
    Command::RouteAdd {
        vrf: 0,
        prefix: Prefix::new(std::net::Ipv4Addr::from(i << 8).into(), 24).unwrap(),
        action: RouteAction::NextHop(i),
    }
}

#[test]
fn corrupted_records_are_counted_and_skipped() {
    let seg = Segment::in_memory(&SegmentConfig {
        cmd_capacity: 64,
        ..SegmentConfig::default()
    })
    .unwrap();
    let mut fwd = seg.forwarder().unwrap();
    let mut lib = seg.library().unwrap();
    fwd.set_limits(Limits {
        next_hops: 1000,
        ..Limits::default()
    });
    let good = route(5).encode();
    let p: RoutePayload = ring_proto::shm::read_pod(&good.payload).unwrap();
    let with = |f: &dyn Fn(&mut RoutePayload)| {
        let mut q = p;
        f(&mut q);
        let mut r = good;
        r.payload = [0; PAYLOAD_BYTES];
        r.payload[..std::mem::size_of::<RoutePayload>()].copy_from_slice(bytes_of(&q));
        r
    };
    let mut bad_kind = good;
    bad_kind.kind = 0x7777;
    let mut wrong_ring = good;
    wrong_ring.kind = Kind::Completion as u16;
    let mut flags = good;
    flags.flags = 1;
    let mut tail = good;
    tail.payload[PAYLOAD_BYTES - 1] = 1;
    let cases: Vec<(Record, Option<&str>)> = vec![
        (good, None),
        (bad_kind, Some("kind")),
        (wrong_ring, Some("ring")),
        (flags, Some("flags")),
        (tail, Some("payload tail")),
        (with(&|q| q.action = 9), Some("action")),
        (with(&|q| q.len = 33), Some("len")),
        (with(&|q| q.prefix[3] = 1), Some("len")), // host bits set
        (with(&|q| q.prefix[9] = 1), Some("ip")),  // v4 with bytes past the address
        (with(&|q| q.target = 5000), Some("target")), // next hop beyond the limit
        (with(&|q| q.target_kind = 3), Some("target_kind")),
        (with(&|q| q.pad = 1), Some("pad")),
        (route(6).encode(), None),
    ];
    let recs: Vec<Record> = cases.iter().map(|c| c.0).collect();
    let first = lib.next_seq();
    assert_eq!(lib.send_records(&recs).unwrap(), recs.len());
    let mut got = Vec::new();
    fwd.recv(64, |m| got.push(m));
    assert_eq!(got[0], FromLibrary::NewLibrary { generation: 1 });
    assert_eq!(got.len(), cases.len() + 1);
    for (i, ((_, want), m)) in cases.iter().zip(&got[1..]).enumerate() {
        let seq = first + i as u64;
        match (want, m) {
            (None, FromLibrary::Command { seq: s, .. }) => assert_eq!(*s, seq),
            (
                Some("kind"),
                FromLibrary::Invalid {
                    seq: s,
                    error: DecodeError::UnknownKind(0x7777),
                },
            ) => {
                assert_eq!(*s, seq)
            }
            (
                Some("ring"),
                FromLibrary::Invalid {
                    error: DecodeError::WrongRing(Kind::Completion),
                    ..
                },
            ) => {}
            (
                Some(field),
                FromLibrary::Invalid {
                    seq: s,
                    error: DecodeError::Field { field: f, .. },
                },
            ) => {
                assert_eq!((*s, f), (seq, field), "case {i}")
            }
            (w, m) => panic!("case {i}: expected {w:?}, got {m:?}"),
        }
    }
    let c = fwd.counters();
    assert_eq!(
        (
            c.records,
            c.delivered,
            c.bad_kind,
            c.wrong_ring,
            c.bad_field
        ),
        (13, 2, 1, 1, 9)
    );
}

#[test]
fn corrupted_indices_are_rejected_not_followed() {
    let path = ShmPath::new("idx");
    let seg = Segment::create(&small_cfg(&path.0)).unwrap();
    let cmd_off = seg.layout().cmd.offset;
    let mut fwd = seg.forwarder().unwrap();
    let mut lib = seg.library().unwrap();
    fwd.recv(8, |_| {});
    assert_eq!(lib.send(&[route(1), route(2)]).unwrap(), 2);
    // The producer index claims far more than the ring holds: the forwarder reads nothing.
    patch(&path.0, cmd_off, &1000u32.to_ne_bytes());
    let mut n = 0;
    fwd.recv(64, |_| n += 1);
    assert_eq!(n, 0);
    assert_eq!(fwd.counters().bad_index, 1);
    // Restored: the two records arrive, nothing else.
    patch(&path.0, cmd_off, &2u32.to_ne_bytes());
    let mut got = Vec::new();
    fwd.recv(64, |m| got.push(m));
    assert_eq!(got.len(), 2, "{got:?}");
    // A consumer index ahead of the producer: the library's send fails with a typed error.
    patch(&path.0, cmd_off + 64, &7u32.to_ne_bytes());
    assert!(matches!(
        lib.free(),
        Err(ring_proto::RingError::ConsumerIndex { consumer: 7, .. })
    ));
    // A new library cannot take over a ring whose indices are inconsistent.
    drop(lib);
    assert!(matches!(seg.library(), Err(SegmentError::Ring(_))));
}
