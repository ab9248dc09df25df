//! Arbitrary bytes as a ring slot: `Command::decode`, `Completion::decode` and `Event::decode`
//! never panic, and whatever decodes re-encodes to a record that decodes to the same value; the
//! encoding is canonical too: the re-encoded record equals the accepted one byte for byte (the
//! fields the sender fills, `seq` and the generations, aside where `encode` leaves them zero).
//!
//! Input: the first 64 bytes are the `Record` (its in-memory layout, read with
//! `ring_proto::shm::read_pod`, as a ring slot copy would); the next 24 bytes, when present, are
//! six little-endian u32 `Limits` (ports, rifs, vrfs, next_hops, groups, hostifs), otherwise the
//! default limits. Seeds (`seed.sh`): one zero-payload record per kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ring_proto::{Command, Completion, Event, Limits, Record};

fn limits(b: &[u8]) -> Limits {
    let mut v = [0u32; 6];
    if b.len() < 24 {
        return Limits::default();
    }
    for (i, x) in v.iter_mut().enumerate() {
        *x = u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    }
    Limits {
        ports: v[0],
        rifs: v[1],
        vrfs: v[2],
        next_hops: v[3],
        groups: v[4],
        hostifs: v[5],
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(rec) = ring_proto::shm::read_pod::<Record>(data) else {
        return;
    };
    let l = limits(&data[std::mem::size_of::<Record>()..]);

    if let Ok(c) = Command::decode(&rec, &l) {
        // through encode (fresh record) and encode_into (over the fuzzed slot)
        let fresh = c.encode();
        assert_eq!(
            Command::decode(&fresh, &l),
            Ok(c),
            "Command::encode round trip: {rec:?}"
        );
        let mut slot = rec;
        c.encode_into(&mut slot);
        assert_eq!(slot, rec, "Command {c:?}: accepted record is not canonical");
        assert_eq!(
            Command::decode(&slot, &l),
            Ok(c),
            "Command::encode_into round trip"
        );
        assert_eq!(
            (slot.seq, slot.lib_gen, slot.fwd_gen),
            (rec.seq, rec.lib_gen, rec.fwd_gen)
        );
    }
    if let Ok(c) = Completion::decode(&rec) {
        let again = c.encode();
        assert_eq!(
            Completion::decode(&again),
            Ok(c),
            "Completion round trip: {rec:?}"
        );
        let mut tagged = again;
        (tagged.lib_gen, tagged.fwd_gen) = (rec.lib_gen, rec.fwd_gen);
        assert_eq!(
            tagged, rec,
            "Completion {c:?}: accepted record is not canonical"
        );
    }
    if let Ok(e) = Event::decode(&rec, &l) {
        let again = e.encode();
        let mut tagged = again;
        (tagged.seq, tagged.lib_gen, tagged.fwd_gen) = (rec.seq, rec.lib_gen, rec.fwd_gen);
        assert_eq!(tagged, rec, "Event {e:?}: accepted record is not canonical");
        assert_eq!(
            Event::decode(&again, &l),
            Ok(e),
            "Event round trip: {rec:?}"
        );
    }
});
