//! The segment header, its validation, and the compile-time hash of every shared layout.

use crate::msg::{self, Kind, Record};
use crate::shm::{ring::RingLayout, ring::MAX_CAPACITY, Pod};
use crate::stats::{StatsShape, NH_COUNTERS, PORT_COUNTERS, RIF_COUNTERS};
use std::mem::{offset_of, size_of};

/// `b"FSAIRING"` read as a little-endian u64.
pub const MAGIC: u64 = u64::from_le_bytes(*b"FSAIRING");
/// Bumped by hand on any semantic change that the layout hash cannot see.
pub const LAYOUT_VERSION: u32 = 1;
/// Bytes of header before the first ring (static part, then one line per side).
pub const HEADER_BYTES: usize = 256;
/// Offset of the library's side line.
pub const LIB_SIDE_OFFSET: usize = 128;
/// Offset of the forwarder's side line.
pub const FWD_SIDE_OFFSET: usize = 192;
/// Within a side line: generation (AtomicU32).
pub const SIDE_GENERATION: usize = 0;
/// Within a side line: pid (AtomicU32).
pub const SIDE_PID: usize = 4;
/// Within a side line: heartbeat counter (AtomicU64).
pub const SIDE_HEARTBEAT: usize = 8;
/// Within a side line: state (AtomicU32: 0 never attached, 1 attached, 2 detached).
pub const SIDE_STATE: usize = 16;
/// Within a side line: pid namespace inode (AtomicU64), 0 if unknown.
pub const SIDE_PIDNS: usize = 24;
/// Largest segment accepted by `open` (bytes).
pub const MAX_SEGMENT_BYTES: u64 = 1 << 32;

/// The static part of the segment header (offset 0), written once by the creator.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SegHeader {
    /// [`MAGIC`].
    pub magic: u64,
    /// [`LAYOUT_HASH`].
    pub layout_hash: u64,
    /// Size of the whole segment file.
    pub total_bytes: u64,
    /// Command ring offset.
    pub cmd_offset: u64,
    /// Completion ring offset.
    pub cpl_offset: u64,
    /// Event ring offset.
    pub evt_offset: u64,
    /// Stats region offset.
    pub stats_offset: u64,
    /// Stats region size.
    pub stats_bytes: u64,
    /// [`LAYOUT_VERSION`].
    pub layout_version: u32,
    /// [`HEADER_BYTES`].
    pub header_bytes: u32,
    /// `size_of::<Record>()`.
    pub record_bytes: u32,
    /// Command ring capacity.
    pub cmd_capacity: u32,
    /// Completion ring capacity.
    pub cpl_capacity: u32,
    /// Event ring capacity.
    pub evt_capacity: u32,
    /// Stats: worker blocks.
    pub stats_workers: u32,
    /// Stats: ports per block.
    pub stats_ports: u32,
    /// Stats: RIFs per block.
    pub stats_rifs: u32,
    /// Stats: next hops per block.
    pub stats_next_hops: u32,
    /// Stats: error counters per block.
    pub stats_errors: u32,
    /// Zero.
    pub pad: u32,
}

const fn fnv1a(words: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < words.len() {
        let mut b = 0;
        while b < 8 {
            h ^= (words[i] >> (b * 8)) & 0xff;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
            b += 1;
        }
        i += 1;
    }
    h
}

macro_rules! shape {
    ($t:ty { $($f:ident),* }) => { [size_of::<$t>() as u64, $(offset_of!($t, $f) as u64),*] };
}

/// Hash of the sizes and field offsets of every shared type, the kind numbering, the side-line
/// layout and the counter counts. Computed at compile time; a peer built with a different layout
/// has a different hash and is rejected at attach.
pub const LAYOUT_HASH: u64 = {
    let parts: [&[u64]; 20] = [
        &[
            LAYOUT_VERSION as u64,
            HEADER_BYTES as u64,
            LIB_SIDE_OFFSET as u64,
            FWD_SIDE_OFFSET as u64,
        ],
        &[
            SIDE_GENERATION as u64,
            SIDE_PID as u64,
            SIDE_HEARTBEAT as u64,
            SIDE_STATE as u64,
            SIDE_PIDNS as u64,
        ],
        &[
            RingLayout::CONTROL_BYTES as u64,
            PORT_COUNTERS as u64,
            RIF_COUNTERS as u64,
            NH_COUNTERS as u64,
        ],
        &shape!(Record {
            seq,
            lib_gen,
            fwd_gen,
            kind,
            flags,
            reserved,
            payload
        }),
        &shape!(SegHeader {
            magic,
            layout_hash,
            total_bytes,
            cmd_offset,
            stats_bytes,
            layout_version,
            pad
        }),
        &shape!(msg::IdPayload { id }),
        &shape!(msg::TokenPayload { token }),
        &shape!(msg::PortPayload {
            port,
            speed_mbps,
            mtu,
            admin_up,
            pad,
            mac
        }),
        &shape!(msg::RifPayload {
            rif,
            port,
            vrf,
            mtu,
            vlan,
            mac,
            rif_type,
            v4_admin,
            v6_admin,
            pad
        }),
        &shape!(msg::NeighborPayload {
            rif,
            ip,
            mac,
            family,
            pad
        }),
        &shape!(msg::NextHopPayload {
            id,
            rif,
            ip,
            family,
            pad
        }),
        &shape!(msg::NhGroupMemberPayload { group, nh, weight }),
        &shape!(msg::RoutePayload {
            vrf,
            target,
            prefix,
            len,
            action,
            target_kind,
            pad
        }),
        &shape!(msg::HostifPayload {
            id,
            port,
            name,
            oper_up,
            pad
        }),
        &shape!(msg::TrapPayload {
            trap_type,
            group,
            action,
            queue,
            pad
        }),
        &shape!(msg::VlanMemberPayload {
            bport,
            vlan,
            tagged,
            pad
        }),
        &shape!(msg::BridgePortPayload {
            bport,
            port,
            vlan,
            pad
        }),
        &shape!(msg::FdbPayload {
            vlan,
            bport,
            mac,
            is_static,
            pad
        }),
        &shape!(msg::CompletionPayload {
            status,
            pad,
            object_id
        }),
        &shape!(msg::LinkPayload {
            port,
            speed_mbps,
            up,
            pad
        }),
    ];
    let mut kinds = [0u64; Kind::ALL.len()];
    let mut i = 0;
    while i < Kind::ALL.len() {
        kinds[i] = Kind::ALL[i] as u64;
        i += 1;
    }
    let mut h = fnv1a(&kinds);
    let mut p = 0;
    let mut rot = 1u32;
    while p < parts.len() {
        h ^= fnv1a(parts[p]).rotate_left(rot);
        p += 1;
        rot += 1;
    }
    h
};

/// A header field that failed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// Field name (as in [`SegHeader`], or `file length`).
    pub field: &'static str,
    /// Value found.
    pub found: u64,
    /// What was expected.
    pub expected: &'static str,
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "segment header field `{}` = {:#x}, expected {}",
            self.field, self.found, self.expected
        )
    }
}

impl std::error::Error for HeaderError {}

/// Validated offsets of everything in a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegLayout {
    /// Command ring.
    pub cmd: RingLayout,
    /// Completion ring.
    pub cpl: RingLayout,
    /// Event ring.
    pub evt: RingLayout,
    /// Stats region offset.
    pub stats_offset: usize,
    /// Stats shape.
    pub stats: StatsShape,
    /// Total bytes.
    pub total: usize,
}

fn round64(v: usize) -> Option<usize> {
    v.checked_add(63).map(|x| x & !63)
}

impl SegLayout {
    /// Computes the layout for the given capacities and stats shape.
    pub fn compute(
        cmd: u32,
        cpl: u32,
        evt: u32,
        stats: StatsShape,
    ) -> Result<SegLayout, HeaderError> {
        let mut off = HEADER_BYTES;
        let mut ring = |cap: u32, field: &'static str| -> Result<RingLayout, HeaderError> {
            let bad = HeaderError {
                field,
                found: u64::from(cap),
                expected: "a power of two in 2..=2^24",
            };
            if !cap.is_power_of_two() || !(2..=MAX_CAPACITY).contains(&cap) {
                return Err(bad);
            }
            let l = RingLayout {
                offset: off,
                capacity: cap,
            };
            off = RingLayout::bytes::<Record>(cap)
                .and_then(|b| round64(off + b))
                .ok_or(bad)?;
            Ok(l)
        };
        let cmd = ring(cmd, "cmd_capacity")?;
        let cpl = ring(cpl, "cpl_capacity")?;
        let evt = ring(evt, "evt_capacity")?;
        let stats_bytes = stats.bytes()?;
        let total = off.checked_add(stats_bytes).ok_or(HeaderError {
            field: "stats_bytes",
            found: stats_bytes as u64,
            expected: "a segment under 4 GiB",
        })?;
        if total as u64 > MAX_SEGMENT_BYTES {
            return Err(HeaderError {
                field: "total_bytes",
                found: total as u64,
                expected: "at most 4 GiB",
            });
        }
        Ok(SegLayout {
            cmd,
            cpl,
            evt,
            stats_offset: off,
            stats,
            total,
        })
    }

    /// The header describing this layout.
    #[allow(
        clippy::cast_possible_truncation,
        reason = "HEADER_BYTES and the record size are small constants"
    )]
    pub fn header(&self) -> SegHeader {
        SegHeader {
            magic: MAGIC,
            layout_hash: LAYOUT_HASH,
            total_bytes: self.total as u64,
            cmd_offset: self.cmd.offset as u64,
            cpl_offset: self.cpl.offset as u64,
            evt_offset: self.evt.offset as u64,
            stats_offset: self.stats_offset as u64,
            stats_bytes: self.stats.bytes().map_or(0, |b| b as u64),
            layout_version: LAYOUT_VERSION,
            header_bytes: HEADER_BYTES as u32,
            record_bytes: size_of::<Record>() as u32,
            cmd_capacity: self.cmd.capacity,
            cpl_capacity: self.cpl.capacity,
            evt_capacity: self.evt.capacity,
            stats_workers: self.stats.workers,
            stats_ports: self.stats.ports,
            stats_rifs: self.stats.rifs,
            stats_next_hops: self.stats.next_hops,
            stats_errors: self.stats.errors,
            pad: 0,
        }
    }

    /// Validates a header read from a file of `file_len` bytes: identity fields first, then every
    /// size and offset is recomputed from the capacities and compared.
    pub fn validate(h: &SegHeader, file_len: u64) -> Result<SegLayout, HeaderError> {
        let eq = |field, found: u64, want: u64, expected| {
            if found == want {
                Ok(())
            } else {
                Err(HeaderError {
                    field,
                    found,
                    expected,
                })
            }
        };
        eq("magic", h.magic, MAGIC, "\"FSAIRING\"")?;
        eq(
            "layout_version",
            u64::from(h.layout_version),
            u64::from(LAYOUT_VERSION),
            "this build's LAYOUT_VERSION",
        )?;
        eq(
            "layout_hash",
            h.layout_hash,
            LAYOUT_HASH,
            "this build's LAYOUT_HASH",
        )?;
        eq(
            "header_bytes",
            u64::from(h.header_bytes),
            HEADER_BYTES as u64,
            "HEADER_BYTES",
        )?;
        eq(
            "record_bytes",
            u64::from(h.record_bytes),
            size_of::<Record>() as u64,
            "64",
        )?;
        eq("pad", u64::from(h.pad), 0, "0")?;
        let shape = StatsShape {
            workers: h.stats_workers,
            ports: h.stats_ports,
            rifs: h.stats_rifs,
            next_hops: h.stats_next_hops,
            errors: h.stats_errors,
        };
        let l = SegLayout::compute(h.cmd_capacity, h.cpl_capacity, h.evt_capacity, shape)?;
        eq(
            "cmd_offset",
            h.cmd_offset,
            l.cmd.offset as u64,
            "the offset implied by the capacities",
        )?;
        eq(
            "cpl_offset",
            h.cpl_offset,
            l.cpl.offset as u64,
            "the offset implied by the capacities",
        )?;
        eq(
            "evt_offset",
            h.evt_offset,
            l.evt.offset as u64,
            "the offset implied by the capacities",
        )?;
        eq(
            "stats_offset",
            h.stats_offset,
            l.stats_offset as u64,
            "the offset implied by the capacities",
        )?;
        eq(
            "stats_bytes",
            h.stats_bytes,
            l.stats.bytes()? as u64,
            "the size implied by the stats shape",
        )?;
        eq(
            "total_bytes",
            h.total_bytes,
            l.total as u64,
            "the size implied by the capacities",
        )?;
        eq("file length", file_len, l.total as u64, "total_bytes")?;
        Ok(l)
    }
}

const _: () = assert!(size_of::<SegHeader>() <= LIB_SIDE_OFFSET);
const _: () = assert!(size_of::<Record>() == 64);
const _: () = assert!(FWD_SIDE_OFFSET + 64 <= HEADER_BYTES);

/// Reads the static header out of a region (a copy).
pub(crate) fn read_header(region: &crate::shm::Region) -> Option<SegHeader> {
    region.read::<SegHeader>(0)
}

/// The all-zero header (for tests that build corrupt headers).
pub fn zero_header() -> SegHeader {
    SegHeader::zeroed()
}
