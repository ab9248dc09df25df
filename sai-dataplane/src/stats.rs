//! SAI counters from the ring's statistics region ([`StatsSource`] for `get_port_stats`,
//! `get_port_stats_ext`, `clear_port_stats`, `get_router_interface_stats` and their clears).
//!
//! The region's counters only grow (workers own them); a clear is a per-counter baseline kept
//! here and subtracted on read. A forwarder restart zeroes the region (new forwarder
//! generation): the baselines are dropped then.
//!
//! Only counters the forwarder really counts are offered (`sai_query_stats_capability` lists
//! exactly these): the forwarder counts packets and bytes per direction, drops and errors, but
//! does not split unicast / non-unicast, so `IF_IN_UCAST_PKTS` and friends are not offered;
//! the packet totals are `ETHER_STATS_RX_NO_ERRORS` / `ETHER_STATS_TX_NO_ERRORS`.

use ring_proto::{PortCounter, RifCounter, Segment, Side, StatsReader};
use sai_store::{md, status, StatsMode, StatsSource, Status};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// SAI object id -> forwarder id for ports and RIFs (kept current by the programmer).
#[derive(Debug, Default)]
pub struct IdMaps {
    pub ports: HashMap<u64, u32>,
    pub rifs: HashMap<u64, u32>,
}

#[derive(Clone, Copy)]
enum Src {
    Port(PortCounter),
    Rif(RifCounter),
}

struct Table {
    ot_port: u32,
    ot_rif: u32,
    port: Vec<(u32, PortCounter)>,
    rif: Vec<(u32, RifCounter)>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let p = |n: &str| md::enum_member("sai_port_stat_t", n).and_then(|v| u32::try_from(v).ok());
        let r = |n: &str| {
            md::enum_member("sai_router_interface_stat_t", n).and_then(|v| u32::try_from(v).ok())
        };
        use PortCounter as P;
        use RifCounter as R;
        let port = [
            ("SAI_PORT_STAT_IF_IN_OCTETS", P::RxBytes),
            ("SAI_PORT_STAT_IF_OUT_OCTETS", P::TxBytes),
            ("SAI_PORT_STAT_ETHER_STATS_RX_NO_ERRORS", P::RxPackets),
            ("SAI_PORT_STAT_ETHER_STATS_TX_NO_ERRORS", P::TxPackets),
            ("SAI_PORT_STAT_IF_IN_DISCARDS", P::RxDrops),
            ("SAI_PORT_STAT_IF_OUT_DISCARDS", P::TxDrops),
            ("SAI_PORT_STAT_IF_IN_ERRORS", P::RxErrors),
            ("SAI_PORT_STAT_IF_OUT_ERRORS", P::TxErrors),
        ]
        .into_iter()
        .filter_map(|(n, c)| Some((p(n)?, c)))
        .collect();
        let rif = [
            ("SAI_ROUTER_INTERFACE_STAT_IN_OCTETS", R::RxBytes),
            ("SAI_ROUTER_INTERFACE_STAT_IN_PACKETS", R::RxPackets),
            ("SAI_ROUTER_INTERFACE_STAT_OUT_OCTETS", R::TxBytes),
            ("SAI_ROUTER_INTERFACE_STAT_OUT_PACKETS", R::TxPackets),
        ]
        .into_iter()
        .filter_map(|(n, c)| Some((r(n)?, c)))
        .collect();
        Table {
            ot_port: md::ot_id("SAI_OBJECT_TYPE_PORT").unwrap_or(u32::MAX),
            ot_rif: md::ot_id("SAI_OBJECT_TYPE_ROUTER_INTERFACE").unwrap_or(u32::MAX),
            port,
            rif,
        }
    })
}

/// (forwarder generation the baselines belong to, (oid, counter id) -> baseline).
type Baselines = (u32, HashMap<(u64, u32), u64>);

/// Counter source over the stats region.
pub struct RingStats {
    seg: Segment,
    reader: StatsReader,
    maps: Arc<RwLock<IdMaps>>,
    base: Mutex<Baselines>,
}

impl std::fmt::Debug for RingStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RingStats").finish_non_exhaustive()
    }
}

impl RingStats {
    /// A source reading `seg`'s stats region, mapping ids through `maps`.
    pub fn new(seg: Segment, maps: Arc<RwLock<IdMaps>>) -> RingStats {
        let reader = seg.stats_reader();
        RingStats {
            seg,
            reader,
            maps,
            base: Mutex::new((0, HashMap::new())),
        }
    }

    fn source(&self, ot: u32, id: u32) -> Option<Src> {
        let t = table();
        if ot == t.ot_port {
            t.port.iter().find(|x| x.0 == id).map(|x| Src::Port(x.1))
        } else if ot == t.ot_rif {
            t.rif.iter().find(|x| x.0 == id).map(|x| Src::Rif(x.1))
        } else {
            None
        }
    }

    /// Raw values (since the forwarder started) of `ids` for `oid`.
    fn raw(&self, ot: u32, oid: u64, ids: &[u32]) -> Result<Vec<u64>, Status> {
        let t = table();
        let maps = self.maps.read().unwrap_or_else(|e| e.into_inner());
        let (port, rif) = if ot == t.ot_port {
            let p = maps.ports.get(&oid).ok_or(status::NOT_SUPPORTED)?;
            (self.reader.port(*p), None)
        } else if ot == t.ot_rif {
            let r = maps.rifs.get(&oid).ok_or(status::NOT_SUPPORTED)?;
            (None, self.reader.rif(*r))
        } else {
            return Err(status::NOT_SUPPORTED);
        };
        ids.iter()
            .map(|&id| match self.source(ot, id) {
                Some(Src::Port(c)) => port
                    .map(|v| v[c as usize])
                    .ok_or(status::INSUFFICIENT_RESOURCES),
                Some(Src::Rif(c)) => rif
                    .map(|v| v[c as usize])
                    .ok_or(status::INSUFFICIENT_RESOURCES),
                None => Err(status::NOT_SUPPORTED),
            })
            .collect()
    }

    fn baselines(&self) -> std::sync::MutexGuard<'_, Baselines> {
        let mut b = self.base.lock().unwrap_or_else(|e| e.into_inner());
        let g = self.seg.generation(Side::Forwarder);
        if b.0 != g {
            // The forwarder restarted: its region starts from zero again.
            b.0 = g;
            b.1.clear();
        }
        b
    }
}

impl StatsSource for RingStats {
    fn supported(&self, ot: u32) -> Vec<u32> {
        let t = table();
        if ot == t.ot_port {
            t.port.iter().map(|x| x.0).collect()
        } else if ot == t.ot_rif {
            t.rif.iter().map(|x| x.0).collect()
        } else {
            Vec::new()
        }
    }

    fn get(
        &self,
        ot: u32,
        oid: u64,
        ids: &[u32],
        mode: StatsMode,
        out: &mut [u64],
    ) -> Result<(), Status> {
        if out.len() < ids.len() {
            return Err(status::INVALID_PARAMETER);
        }
        let raw = self.raw(ot, oid, ids)?;
        let mut b = self.baselines();
        for (i, (&id, v)) in ids.iter().zip(raw).enumerate() {
            let base = b.1.get(&(oid, id)).copied().unwrap_or(0);
            out[i] = v.saturating_sub(base);
            if mode == StatsMode::ReadAndClear {
                b.1.insert((oid, id), v);
            }
        }
        Ok(())
    }

    fn clear(&self, ot: u32, oid: u64, ids: &[u32]) -> Result<(), Status> {
        let raw = self.raw(ot, oid, ids)?;
        let mut b = self.baselines();
        for (&id, v) in ids.iter().zip(raw) {
            b.1.insert((oid, id), v);
        }
        Ok(())
    }
}
