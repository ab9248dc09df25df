//! A segment file corrupted anywhere (header, ring indices, slots, side info, stats) is either
//! rejected by `Segment::open` / attach, or read by both endpoints without panicking, and every
//! record an endpoint reads is accounted for (delivered, rejected by kind / ring / field, or
//! stale), a bad index counted as such.
//!
//! The pristine image: a small segment (file under /dev/shm, unique per process) to which a
//! library sent a few commands and a forwarder answered some. Input: patches, each
//! `{offset u16 LE (modulo the image length), len u8, len bytes}`, applied to a copy of the image,
//! written to the file, opened and unlinked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ring_proto::{
    Command, Completion, Limits, RxCounters, Segment, SegmentConfig, StatsShape, Status,
};
use std::path::PathBuf;
use std::sync::OnceLock;

struct Fixture {
    path: PathBuf,
    image: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let path = PathBuf::from(format!(
            "/dev/shm/ferrosai-fuzz-segment-rx-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        let cfg = SegmentConfig {
            cmd_capacity: 16,
            cpl_capacity: 16,
            evt_capacity: 8,
            stats: StatsShape {
                workers: 1,
                ports: 2,
                rifs: 2,
                next_hops: 2,
                errors: 2,
            },
            ..SegmentConfig::with_path(&path)
        };
        let seg = Segment::create(&cfg).expect("create fuzz segment");
        {
            let mut fwd = seg.forwarder().expect("forwarder");
            let mut lib = seg.library().expect("library");
            let cmds: Vec<Command> = (0..6).map(Command::VrfAdd).collect();
            lib.send(&cmds).expect("send");
            let mut seqs = Vec::new();
            fwd.recv(3, |m| {
                if let ring_proto::FromLibrary::Command { seq, .. } = m {
                    seqs.push(seq);
                }
            });
            let cpl: Vec<Completion> = seqs
                .iter()
                .map(|&seq| Completion {
                    seq,
                    status: Status::Ok,
                    object_id: seq,
                })
                .collect();
            fwd.complete(&cpl).expect("complete");
        }
        drop(seg);
        let image = std::fs::read(&path).expect("read image");
        let _ = std::fs::remove_file(&path);
        Fixture { path, image }
    })
}

fn accounted(c: &RxCounters, what: &str) {
    let sum = c.delivered + c.bad_kind + c.wrong_ring + c.bad_field + c.stale_generation;
    assert_eq!(
        c.records, sum,
        "{what}: records not all accounted for: {c:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut img = f.image.clone();
    let mut rest = data;
    while rest.len() >= 3 {
        let off = usize::from(u16::from_le_bytes([rest[0], rest[1]])) % img.len();
        let len = usize::from(rest[2]);
        rest = &rest[3..];
        let n = len.min(rest.len()).min(img.len() - off);
        img[off..off + n].copy_from_slice(&rest[..n]);
        rest = &rest[len.min(rest.len())..];
    }
    std::fs::write(&f.path, &img).expect("write image");
    let opened = Segment::open(&f.path);
    // unlinked at once (the mapping stays): nothing is left under /dev/shm between inputs
    let _ = std::fs::remove_file(&f.path);
    let Ok(seg) = opened else {
        return;
    };
    let _ = seg.side_info(ring_proto::Side::Library);
    let _ = seg.side_info(ring_proto::Side::Forwarder);
    if let Ok(mut fwd) = seg.forwarder() {
        fwd.set_limits(Limits::default());
        fwd.recv(64, |_| {});
        accounted(&fwd.counters(), "forwarder");
        let _ = fwd.complete(&[Completion {
            seq: 0,
            status: Status::Ok,
            object_id: 0,
        }]);
    }
    if let Ok(mut lib) = seg.library() {
        lib.recv(64, |_| {});
        accounted(&lib.counters(), "library");
        let _ = lib.send(&[Command::VrfDel(0)]);
    }
});
