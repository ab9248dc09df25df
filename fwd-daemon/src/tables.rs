//! The forwarder's object model: ring commands applied to the FIB ([`FibWriter`]) and the
//! interface table ([`IfWriter`]).
//!
//! Object mapping (SAI ids are the ring's u32 ids):
//! - port id `p` (< number of configured ports) is our port index; a port router interface gives
//!   the engine interface `sw_if_index = p`; a sub-port RIF gets a fresh `sw_if_index >= ports`
//!   with parent `(p, vlan)`. Loopback RIFs exist without an engine interface. VLAN RIFs (L2) are
//!   `Unsupported`.
//! - VRF ids map to dense FIB VRF ids (`u16`), allocated in creation order.
//! - A neighbor `(rif, ip, mac)` becomes an adjacency (full L2 rewrite: dst, RIF MAC, [802.1Q],
//!   ethertype) and a host route (/32 or /128) through a one-bucket load balance.
//! - A next hop `(ip, rif)` owns a load balance: `Forward` to the neighbor's adjacency when the
//!   neighbor is known, else `Glean` on the RIF's interface; neighbor changes update it in place.
//! - A group owns a weighted load balance over its resolved members (`Drop` when none is).
//! - Routes point at those LBs, at the VRF's drop LB, or at shared punt / local / per-RIF glean
//!   LBs. Interface addresses (used by the engine to answer ARP/ND and source ICMP) are derived
//!   from the IP2ME (`Local`) routes covered by the RIF's connected routes.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use fwd_engine::fib::{AdjIndex, Adjacency, FibError, FibWriter, LbIndex, LbKind};
use fwd_engine::interface::{IfAddr4, IfAddr6, IfWriter, Interface, VrfId};
use fwd_engine::wire::MacAddr;
use ring_proto::{Command, Prefix, Rif, RifType, RouteAction, Status};

/// Hasher of the control-plane maps (keys are ring ids and prefixes, validated by the decoder):
/// every written word is mixed by a folded 64x64->128 multiply, so sequential prefixes (low bits
/// zero) still spread over the low bits the map indexes with. std's SipHash cost more than the
/// map work itself at 1M routes.
#[derive(Clone, Copy, Debug, Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for c in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(b) ^ ((c.len() as u64) << 59));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        let p = u128::from(self.0 ^ i) * 0x9e37_79b9_7f4a_7c15u128;
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the two halves of the product"
        )]
        {
            self.0 = (p as u64) ^ ((p >> 64) as u64);
        }
    }
    fn write_u128(&mut self, i: u128) {
        #[allow(clippy::cast_possible_truncation, reason = "the two halves")]
        {
            self.write_u64(i as u64);
            self.write_u64((i >> 64) as u64);
        }
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type Map<K, V> = HashMap<K, V, BuildHasherDefault<FoldHasher>>;

/// Hasher of the IPv4 route map's packed keys ([`route_key4`]): keeps runs of 16 consecutive
/// prefixes of one length and VRF together (the low 4 bits of the hash are the low 4 bits of
/// the prefix's index, the rest a folded multiply of the other bits). The map indexes its
/// buckets with the low bits, so routes programmed in address order (a table dump, the bench's
/// /24s) share control groups and slot lines: about one cache miss per run of 16 instead of
/// two per route. Keys that are not neighbours hash as with [`FoldHasher`]. Correctness does
/// not depend on the hash (only probe lengths do).
#[derive(Clone, Copy, Debug, Default)]
struct RouteKeyHasher(u64);

impl Hasher for RouteKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed with this hasher; any other input is folded word-wise.
        let mut f = FoldHasher(self.0);
        f.write(bytes);
        self.0 = f.0;
    }
    fn write_u64(&mut self, k: u64) {
        let len = (k >> 32) & 63;
        let addr = k & 0xffff_ffff;
        // The prefix's index among the prefixes of its length (0 for /0).
        let n = if len == 0 || len > 32 {
            addr
        } else {
            addr >> (32 - len)
        };
        let mut f = FoldHasher(0);
        f.write_u64((n >> 4) ^ (k & !0xffff_ffff));
        // The map's 7-bit tags are the top bits: the run position goes there too, so the 16
        // keys of a run have distinct tags (a lookup compares one slot, not up to 16).
        self.0 = ((f.0 << 4) | (n & 15)) ^ ((n & 15) << 57);
    }
}

/// The programmed routes: IPv4 routes keyed by one word (VRF, length, address: 16-byte map
/// slots instead of 64, for the table that holds most routes), IPv6 routes by (VRF, prefix).
#[derive(Debug, Default)]
struct RouteMap {
    v4: HashMap<u64, RouteAction, BuildHasherDefault<RouteKeyHasher>>,
    v6: Map<(u32, Prefix), RouteAction>,
}

/// Key of an IPv4 route in a VRF below 2^26: VRF, length (6 bits), address. Other routes
/// (IPv6, larger VRF ids) are keyed by (VRF, prefix).
fn route_key4(vrf: u32, p: &Prefix) -> Option<u64> {
    if p.is_v6() || p.len() > 32 || vrf >= 1 << 26 {
        return None;
    }
    let a = u32::try_from(p.bits()).ok()?;
    Some((u64::from(vrf) << 38) | (u64::from(p.len()) << 32) | u64::from(a))
}

impl RouteMap {
    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }
    fn contains(&self, vrf: u32, p: &Prefix) -> bool {
        match route_key4(vrf, p) {
            Some(k) => self.v4.contains_key(&k),
            None => self.v6.contains_key(&(vrf, *p)),
        }
    }
    fn insert(&mut self, vrf: u32, p: Prefix, a: RouteAction) -> Option<RouteAction> {
        match route_key4(vrf, &p) {
            Some(k) => self.v4.insert(k, a),
            None => self.v6.insert((vrf, p), a),
        }
    }
    fn remove(&mut self, vrf: u32, p: &Prefix) -> Option<RouteAction> {
        match route_key4(vrf, p) {
            Some(k) => self.v4.remove(&k),
            None => self.v6.remove(&(vrf, *p)),
        }
    }
    /// Every route's (VRF, prefix).
    fn keys(&self) -> Vec<(u32, Prefix)> {
        self.v4
            .keys()
            .filter_map(|k| {
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "fields of the key packed by route_key4"
                )]
                let (vrf, len, a) = ((k >> 38) as u32, ((k >> 32) & 63) as u8, *k as u32);
                Some((vrf, Prefix::v4(a, len)?))
            })
            .chain(self.v6.keys().copied())
            .collect()
    }
}

/// First sw_if_index handed to sub-interfaces (ports use 0..ports).
const SUBIF_BASE: u32 = 1024;

#[derive(Clone, Debug)]
struct RifState {
    rif: Rif,
    /// Engine interface (None for loopback).
    sw_if_index: Option<u32>,
    vrf: VrfId,
    glean_lb: Option<LbIndex>,
}

#[derive(Clone, Debug)]
struct NeighborState {
    mac: [u8; 6],
    adj: AdjIndex,
    host_lb: LbIndex,
}

#[derive(Clone, Debug)]
struct NextHopState {
    ip: IpAddr,
    rif: u32,
    lb: LbIndex,
}

#[derive(Clone, Debug, Default)]
struct GroupState {
    members: BTreeMap<u32, u32>,
    lb: Option<LbIndex>,
}

/// What a route points at (reference counts let deletions check "in use" without scanning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Target {
    Vrf(u32),
    Nh(u32),
    Group(u32),
    Rif(u32),
}

/// A port as the control plane sees it.
#[derive(Clone, Debug)]
pub struct PortState {
    /// Name (Ethernet0).
    pub name: String,
    /// Device MAC.
    pub dev_mac: [u8; 6],
    /// MAC set by SAI (PortSet), else the device MAC.
    pub mac: [u8; 6],
    /// Admin state from SAI.
    pub admin_up: bool,
    /// L2 MTU from SAI.
    pub mtu: u32,
}

/// Result of applying one command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Status for the completion.
    pub status: Status,
    /// Object id for the completion.
    pub object_id: u64,
}

fn ok(id: u64) -> Outcome {
    Outcome {
        status: Status::Ok,
        object_id: id,
    }
}

fn st(status: Status, id: u64) -> Outcome {
    Outcome {
        status,
        object_id: id,
    }
}

fn fib_status(e: &FibError) -> Status {
    match e {
        FibError::TableFull(_) => Status::TableFull,
        FibError::NotFound
        | FibError::NoSuchVrf
        | FibError::NoSuchLb
        | FibError::NoSuchAdjacency => Status::NotFound,
        FibError::VrfExists => Status::Exists,
        _ => Status::Invalid,
    }
}

/// A route row for `show ip fib`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FibRow {
    /// VRF (SAI id).
    pub vrf: u32,
    /// Prefix text.
    pub prefix: String,
    /// LB index.
    pub lb: u32,
    /// LB kind.
    pub kind: String,
    /// Interface of the LB (glean) or of each bucket's adjacency.
    pub paths: Vec<FibPath>,
}

/// One path of a route.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FibPath {
    /// Adjacency index.
    pub adj: u32,
    /// Interface name.
    pub interface: String,
    /// Rewrite (L2 header) hex.
    pub rewrite: String,
}

/// A neighbor row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NeighborRow {
    /// RIF id.
    pub rif: u32,
    /// Interface name.
    pub interface: String,
    /// Address.
    pub ip: String,
    /// MAC.
    pub mac: String,
    /// Adjacency index.
    pub adj: u32,
}

/// All control-plane state.
pub struct Tables {
    fib: FibWriter,
    ifs: IfWriter,
    /// Ports by index.
    pub ports: Vec<PortState>,
    vrfs: Map<u32, VrfId>,
    next_vrf: VrfId,
    rifs: Map<u32, RifState>,
    next_subif: u32,
    neighbors: Map<(u32, IpAddr), NeighborState>,
    next_hops: Map<u32, NextHopState>,
    groups: Map<u32, GroupState>,
    /// (vrf, prefix) -> action.
    routes: RouteMap,
    /// The IP2ME (Local) and Connected routes only (interface addresses derive from them).
    special: Map<(u32, Prefix), RouteAction>,
    /// Routes per target.
    refs: Map<Target, u64>,
    punt_lb: Option<LbIndex>,
    local_lb: Option<LbIndex>,
    /// Trap settings recorded (trap type -> action code).
    pub traps: BTreeMap<u32, u8>,
    /// Interface table changed since the last publication.
    ifs_dirty: bool,
}

fn mac_str(m: &[u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl Tables {
    /// Tables for `ports` (name, device MAC).
    pub fn new(fib: FibWriter, ifs: IfWriter, ports: &[(String, [u8; 6])]) -> Tables {
        Tables {
            fib,
            ifs,
            ports: ports
                .iter()
                .map(|(n, m)| PortState {
                    name: n.clone(),
                    dev_mac: *m,
                    mac: *m,
                    admin_up: true,
                    mtu: 1514,
                })
                .collect(),
            vrfs: Map::default(),
            next_vrf: 0,
            rifs: Map::default(),
            next_subif: SUBIF_BASE,
            neighbors: Map::default(),
            next_hops: Map::default(),
            groups: Map::default(),
            routes: RouteMap::default(),
            special: Map::default(),
            refs: Map::default(),
            punt_lb: None,
            local_lb: None,
            traps: BTreeMap::new(),
            ifs_dirty: false,
        }
    }

    /// The FIB writer (for reclaim and statistics).
    pub fn fib(&mut self) -> &mut FibWriter {
        &mut self.fib
    }

    /// The MAC a host interface on `port` should carry: the port RIF's MAC, else the port's.
    pub fn hostif_mac(&self, port: u32) -> Option<[u8; 6]> {
        let p = self.ports.get(usize::try_from(port).ok()?)?;
        let rif_mac = self
            .rifs
            .values()
            .find(|r| r.rif.rif_type == RifType::Port && r.rif.port == port)
            .map(|r| r.rif.mac);
        Some(rif_mac.unwrap_or(p.mac))
    }

    /// Name of an engine interface.
    pub fn if_name(&self, sw_if_index: u32) -> String {
        if let Some(p) = usize::try_from(sw_if_index)
            .ok()
            .and_then(|i| self.ports.get(i))
        {
            return p.name.clone();
        }
        for r in self.rifs.values() {
            if r.sw_if_index == Some(sw_if_index) {
                let parent = self
                    .ports
                    .get(usize::try_from(r.rif.port).unwrap_or(usize::MAX))
                    .map_or("?", |p| p.name.as_str());
                return format!("{parent}.{}", r.rif.vlan);
            }
        }
        format!("if{sw_if_index}")
    }

    /// Apply one command (everything except host interfaces, handled by the caller).
    pub fn apply(&mut self, cmd: &Command) -> Outcome {
        // Commands that only touch the FIB leave the interface table alone (routes that change
        // interface addresses mark it in `recompute_addresses`).
        let fib_only = matches!(
            cmd,
            Command::RouteAdd { .. }
                | Command::RouteDel { .. }
                | Command::NeighborAdd { .. }
                | Command::NeighborDel { .. }
                | Command::NextHopAdd { .. }
                | Command::NextHopDel(_)
                | Command::NhGroupAdd(_)
                | Command::NhGroupDel(_)
                | Command::NhGroupMemberAdd { .. }
                | Command::NhGroupMemberDel { .. }
                | Command::TrapSet { .. }
                | Command::Barrier(_)
        );
        if !fib_only {
            self.ifs_dirty = true;
        }
        match *cmd {
            Command::PortSet(p) => self.port_set(p),
            Command::PortDel(p) => st(Status::Unsupported, u64::from(p)),
            Command::VrfAdd(v) => self.vrf_add(v),
            Command::VrfDel(v) => self.vrf_del(v),
            Command::RifAdd(r) => self.rif_add(r),
            Command::RifSet(r) => self.rif_set(r),
            Command::RifDel(r) => self.rif_del(r),
            Command::NeighborAdd { rif, ip, mac } => self.neighbor_add(rif, ip, mac),
            Command::NeighborDel { rif, ip } => self.neighbor_del(rif, ip),
            Command::NextHopAdd { id, ip, rif } => self.nh_add(id, ip, rif),
            Command::NextHopDel(id) => self.nh_del(id),
            Command::NhGroupAdd(g) => self.group_add(g),
            Command::NhGroupDel(g) => self.group_del(g),
            Command::NhGroupMemberAdd { group, nh, weight } => self.member_add(group, nh, weight),
            Command::NhGroupMemberDel { group, nh } => self.member_del(group, nh),
            Command::RouteAdd {
                vrf,
                prefix,
                action,
            } => self.route_add(vrf, prefix, action),
            Command::RouteDel { vrf, prefix } => self.route_del(vrf, prefix),
            Command::TrapSet {
                trap_type, action, ..
            } => {
                // The graph punts ARP, ND and packets for our addresses (and so BGP, ...) to the
                // host interface itself; trap entries with those actions are recorded. Actions
                // that would change that behaviour (drop / forward a trapped class) are refused.
                use ring_proto::PacketAction as A;
                match action {
                    A::Trap | A::Copy | A::Log => {
                        self.traps.insert(trap_type, action as u8);
                        ok(u64::from(trap_type))
                    }
                    _ => st(Status::Unsupported, u64::from(trap_type)),
                }
            }
            Command::VlanAdd(v) | Command::VlanDel(v) => st(Status::Unsupported, u64::from(v)),
            Command::VlanMemberAdd { bport, .. } | Command::VlanMemberDel { bport, .. } => {
                st(Status::Unsupported, u64::from(bport))
            }
            Command::BridgePortAdd { bport, .. } => st(Status::Unsupported, u64::from(bport)),
            Command::BridgePortDel(b) => st(Status::Unsupported, u64::from(b)),
            Command::FdbAdd(_) | Command::FdbDel(_) => st(Status::Unsupported, 0),
            Command::Flush(g) => {
                self.flush();
                ok(u64::from(g))
            }
            Command::Barrier(t) => ok(t),
            Command::HostifAdd { id, .. }
            | Command::HostifDel(id)
            | Command::HostifOper { id, .. } => st(Status::Invalid, u64::from(id)),
        }
    }

    /// Publish staged interface changes to the workers (a copy of the whole table: only when
    /// something changed since the last publication). Returns whether it published.
    pub fn publish(&mut self) -> bool {
        if std::mem::take(&mut self.ifs_dirty) {
            self.ifs.publish();
            true
        } else {
            false
        }
    }

    fn port_set(&mut self, p: ring_proto::Port) -> Outcome {
        let Some(ps) = usize::try_from(p.port)
            .ok()
            .and_then(|i| self.ports.get_mut(i))
        else {
            return st(Status::NotFound, u64::from(p.port));
        };
        ps.admin_up = p.admin_up;
        ps.mtu = p.mtu;
        if p.mac != [0; 6] {
            ps.mac = p.mac;
        }
        ok(u64::from(p.port))
    }

    fn vrf_add(&mut self, v: u32) -> Outcome {
        if self.vrfs.contains_key(&v) {
            return st(Status::Exists, u64::from(v));
        }
        // FIB VRF ids are allocated round-robin: an id freed by a flush may still be held by
        // readers' grace period, so the next free one is taken.
        let max = self.fib.config().max_vrfs;
        for _ in 0..max {
            let id = self.next_vrf;
            self.next_vrf = if u32::from(id) + 1 >= max { 0 } else { id + 1 };
            if self.vrfs.values().any(|&x| x == id) {
                continue;
            }
            match self.fib.add_vrf(id) {
                Ok(()) => {
                    self.vrfs.insert(v, id);
                    return ok(u64::from(v));
                }
                Err(FibError::VrfExists) => continue,
                Err(e) => return st(fib_status(&e), u64::from(v)),
            }
        }
        st(Status::TableFull, u64::from(v))
    }

    fn vrf_del(&mut self, v: u32) -> Outcome {
        let Some(&id) = self.vrfs.get(&v) else {
            return st(Status::NotFound, u64::from(v));
        };
        if self.rifs.values().any(|r| r.rif.vrf == v) || self.in_use(Target::Vrf(v)) {
            return st(Status::Invalid, u64::from(v));
        }
        match self.fib.remove_vrf(id) {
            Ok(()) => {
                self.vrfs.remove(&v);
                ok(u64::from(v))
            }
            Err(e) => st(fib_status(&e), u64::from(v)),
        }
    }

    fn interface_for(&self, r: &Rif, sw: u32, vrf: VrfId) -> Interface {
        let mut i = Interface::port(sw, MacAddr(r.mac));
        if r.rif_type == RifType::SubPort {
            i.parent = Some((r.port, r.vlan));
        }
        i.mtu = u16::try_from(r.mtu).unwrap_or(u16::MAX);
        i.vrf = vrf;
        i.admin_up = r.v4_admin || r.v6_admin;
        i.host_if = r.port;
        i
    }

    fn rif_add(&mut self, r: Rif) -> Outcome {
        let id = u64::from(r.rif);
        if self.rifs.contains_key(&r.rif) {
            return st(Status::Exists, id);
        }
        let Some(&vrf) = self.vrfs.get(&r.vrf) else {
            return st(Status::NotFound, id);
        };
        let port_ok = usize::try_from(r.port).is_ok_and(|p| p < self.ports.len());
        let sw = match r.rif_type {
            RifType::Loopback => None,
            RifType::Vlan => return st(Status::Unsupported, id),
            RifType::Port => {
                if !port_ok {
                    return st(Status::NotFound, id);
                }
                if self
                    .rifs
                    .values()
                    .any(|o| o.rif.rif_type == RifType::Port && o.rif.port == r.port)
                {
                    return st(Status::Exists, id);
                }
                Some(r.port)
            }
            RifType::SubPort => {
                if !port_ok {
                    return st(Status::NotFound, id);
                }
                if r.vlan == 0 || r.vlan > 4094 {
                    return st(Status::Invalid, id);
                }
                // The engine resolves a tag through the port's interface: a port without a port
                // RIF gets a placeholder interface, admin down (untagged traffic is not routed).
                if self.ifs.staged().get(r.port).is_none() {
                    let mut p = Interface::port(r.port, MacAddr(r.mac));
                    p.admin_up = false;
                    if self.ifs.upsert(p).is_err() {
                        return st(Status::Invalid, id);
                    }
                }
                let sw = self.next_subif;
                self.next_subif += 1;
                Some(sw)
            }
        };
        if let Some(sw) = sw {
            let intf = self.interface_for(&r, sw, vrf);
            if self.ifs.upsert(intf).is_err() {
                return st(Status::Invalid, id);
            }
        }
        self.rifs.insert(
            r.rif,
            RifState {
                rif: r,
                sw_if_index: sw,
                vrf,
                glean_lb: None,
            },
        );
        self.recompute_addresses();
        ok(id)
    }

    fn rif_set(&mut self, r: Rif) -> Outcome {
        let id = u64::from(r.rif);
        let Some(old) = self.rifs.get(&r.rif).cloned() else {
            return st(Status::NotFound, id);
        };
        if old.rif.rif_type != r.rif_type
            || old.rif.port != r.port
            || old.rif.vlan != r.vlan
            || old.rif.vrf != r.vrf
        {
            return st(Status::Invalid, id);
        }
        if let Some(sw) = old.sw_if_index {
            let (mac, mtu, admin) = (
                MacAddr(r.mac),
                u16::try_from(r.mtu).unwrap_or(u16::MAX),
                r.v4_admin || r.v6_admin,
            );
            if self
                .ifs
                .modify(sw, |i| {
                    i.mac = mac;
                    i.mtu = mtu;
                    i.admin_up = admin;
                })
                .is_err()
            {
                return st(Status::Invalid, id);
            }
        }
        if let Some(s) = self.rifs.get_mut(&r.rif) {
            s.rif = r;
        }
        // The source MAC is part of every neighbor rewrite on this RIF.
        if old.rif.mac != r.mac || old.rif.mtu != r.mtu {
            let keys: Vec<(u32, IpAddr)> = self
                .neighbors
                .keys()
                .filter(|(ri, _)| *ri == r.rif)
                .copied()
                .collect();
            for k in keys {
                if let Some(n) = self.neighbors.get(&k).cloned() {
                    if let Some(a) = self.build_adj(r.rif, k.1, n.mac) {
                        let _ = self.fib.update_adjacency(n.adj, a);
                    }
                }
            }
        }
        ok(id)
    }

    fn rif_del(&mut self, rif: u32) -> Outcome {
        let id = u64::from(rif);
        let Some(s) = self.rifs.get(&rif).cloned() else {
            return st(Status::NotFound, id);
        };
        let used = self.neighbors.keys().any(|(r, _)| *r == rif)
            || self.next_hops.values().any(|n| n.rif == rif)
            || self.in_use(Target::Rif(rif));
        if used {
            return st(Status::Invalid, id);
        }
        if let Some(lb) = s.glean_lb {
            if self.fib.remove_lb(lb).is_err() {
                return st(Status::Invalid, id);
            }
        }
        self.rifs.remove(&rif);
        let port = s.rif.port;
        let subifs_left = self
            .rifs
            .values()
            .any(|o| o.rif.rif_type == RifType::SubPort && o.rif.port == port);
        match (s.rif.rif_type, s.sw_if_index) {
            // Sub-interfaces still hang off this port: keep a placeholder parent.
            (RifType::Port, Some(sw)) if subifs_left => {
                let mut p = Interface::port(sw, MacAddr(s.rif.mac));
                p.admin_up = false;
                let _ = self.ifs.upsert(p);
            }
            (RifType::SubPort, Some(sw)) => {
                let _ = self.ifs.remove(sw);
                let port_rif = self
                    .rifs
                    .values()
                    .any(|o| o.rif.rif_type == RifType::Port && o.rif.port == port);
                if !subifs_left && !port_rif {
                    let _ = self.ifs.remove(port);
                }
            }
            (_, Some(sw)) => {
                let _ = self.ifs.remove(sw);
            }
            (_, None) => {}
        }
        ok(id)
    }

    fn build_adj(&self, rif: u32, ip: IpAddr, mac: [u8; 6]) -> Option<Adjacency> {
        let r = self.rifs.get(&rif)?;
        let sw = r.sw_if_index?;
        let mut h = Vec::with_capacity(18);
        h.extend_from_slice(&mac);
        h.extend_from_slice(&r.rif.mac);
        if r.rif.rif_type == RifType::SubPort {
            h.extend_from_slice(&[0x81, 0x00]);
            h.extend_from_slice(&(r.rif.vlan & 0x0fff).to_be_bytes());
        }
        let et: u16 = if ip.is_ipv4() { 0x0800 } else { 0x86dd };
        h.extend_from_slice(&et.to_be_bytes());
        Adjacency::new(sw, u16::try_from(r.rif.mtu).unwrap_or(u16::MAX), &h).ok()
    }

    fn host_prefix(ip: IpAddr) -> (u32, u128, u8, bool) {
        match ip {
            IpAddr::V4(a) => (u32::from(a), 0, 32, true),
            IpAddr::V6(a) => (0, u128::from(a), 128, false),
        }
    }

    fn neighbor_add(&mut self, rif: u32, ip: IpAddr, mac: [u8; 6]) -> Outcome {
        let Some(vrf) = self.rifs.get(&rif).map(|r| r.vrf) else {
            return st(Status::NotFound, u64::from(rif));
        };
        let Some(adj) = self.build_adj(rif, ip, mac) else {
            return st(Status::Invalid, u64::from(rif));
        };
        if let Some(n) = self.neighbors.get(&(rif, ip)).cloned() {
            if let Err(e) = self.fib.update_adjacency(n.adj, adj) {
                return st(fib_status(&e), u64::from(n.adj));
            }
            if let Some(n) = self.neighbors.get_mut(&(rif, ip)) {
                n.mac = mac;
            }
            return ok(u64::from(n.adj));
        }
        let ai = match self.fib.add_adjacency(adj) {
            Ok(a) => a,
            Err(e) => return st(fib_status(&e), 0),
        };
        let lb = match self.fib.add_lb(LbKind::Forward, &[ai], adj.sw_if_index) {
            Ok(l) => l,
            Err(e) => {
                let _ = self.fib.remove_adjacency(ai);
                return st(fib_status(&e), 0);
            }
        };
        let (p4, p6, len, v4) = Self::host_prefix(ip);
        // A host route the user programmed explicitly wins over the neighbor's.
        let vrf_sai = self.rifs.get(&rif).map_or(0, |r| r.rif.vrf);
        let explicit = Prefix::new(ip, len).is_some_and(|p| self.routes.contains(vrf_sai, &p));
        if !explicit {
            let r = if v4 {
                self.fib.route4_add(vrf, p4, len, lb)
            } else {
                self.fib.route6_add(vrf, p6, len, lb)
            };
            if let Err(e) = r {
                let _ = self.fib.remove_lb(lb);
                let _ = self.fib.remove_adjacency(ai);
                return st(fib_status(&e), 0);
            }
        }
        self.neighbors.insert(
            (rif, ip),
            NeighborState {
                mac,
                adj: ai,
                host_lb: lb,
            },
        );
        self.refresh_next_hops(rif, ip);
        ok(u64::from(ai))
    }

    fn neighbor_del(&mut self, rif: u32, ip: IpAddr) -> Outcome {
        let Some(n) = self.neighbors.remove(&(rif, ip)) else {
            return st(Status::NotFound, u64::from(rif));
        };
        // Next hops fall back to glean first so that nothing points at the adjacency.
        self.refresh_next_hops(rif, ip);
        let vrf = self.rifs.get(&rif).map_or(0, |r| r.vrf);
        let (p4, p6, len, v4) = Self::host_prefix(ip);
        if self.fib.lb_route_refs(n.host_lb) > 0 {
            let _ = if v4 {
                self.fib.route4_del(vrf, p4, len)
            } else {
                self.fib.route6_del(vrf, p6, len)
            };
        }
        let _ = self.fib.remove_lb(n.host_lb);
        let _ = self.fib.remove_adjacency(n.adj);
        ok(u64::from(n.adj))
    }

    /// (kind, buckets, sw_if_index) of a next hop's LB given the current neighbors.
    fn nh_target(&mut self, ip: IpAddr, rif: u32) -> Result<(LbKind, Vec<AdjIndex>, u32), Status> {
        let r = self.rifs.get(&rif).ok_or(Status::NotFound)?;
        let sw = r.sw_if_index.ok_or(Status::Invalid)?;
        Ok(match self.neighbors.get(&(rif, ip)) {
            Some(n) => (LbKind::Forward, vec![n.adj], sw),
            None => (LbKind::Glean, Vec::new(), sw),
        })
    }

    fn nh_add(&mut self, id: u32, ip: IpAddr, rif: u32) -> Outcome {
        let oid = u64::from(id);
        if self.next_hops.contains_key(&id) {
            return st(Status::Exists, oid);
        }
        let (k, b, sw) = match self.nh_target(ip, rif) {
            Ok(t) => t,
            Err(s) => return st(s, oid),
        };
        match self.fib.add_lb(k, &b, sw) {
            Ok(lb) => {
                self.next_hops.insert(id, NextHopState { ip, rif, lb });
                ok(oid)
            }
            Err(e) => st(fib_status(&e), oid),
        }
    }

    fn nh_del(&mut self, id: u32) -> Outcome {
        let oid = u64::from(id);
        let Some(n) = self.next_hops.get(&id).cloned() else {
            return st(Status::NotFound, oid);
        };
        if self.groups.values().any(|g| g.members.contains_key(&id)) || self.in_use(Target::Nh(id))
        {
            return st(Status::Invalid, oid);
        }
        match self.fib.remove_lb(n.lb) {
            Ok(()) => {
                self.next_hops.remove(&id);
                ok(oid)
            }
            Err(e) => st(fib_status(&e), oid),
        }
    }

    fn refresh_next_hops(&mut self, rif: u32, ip: IpAddr) {
        let ids: Vec<u32> = self
            .next_hops
            .iter()
            .filter(|(_, n)| n.rif == rif && n.ip == ip)
            .map(|(i, _)| *i)
            .collect();
        for id in &ids {
            if let Some(n) = self.next_hops.get(id).cloned() {
                if let Ok((k, b, sw)) = self.nh_target(n.ip, n.rif) {
                    let _ = self.fib.update_lb(n.lb, k, &b, sw);
                }
            }
        }
        let groups: Vec<u32> = self
            .groups
            .iter()
            .filter(|(_, g)| g.members.keys().any(|m| ids.contains(m)))
            .map(|(g, _)| *g)
            .collect();
        for g in groups {
            let _ = self.refresh_group(g);
        }
    }

    fn group_add(&mut self, g: u32) -> Outcome {
        if self.groups.contains_key(&g) {
            return st(Status::Exists, u64::from(g));
        }
        match self.fib.add_lb(LbKind::Drop, &[], u32::MAX) {
            Ok(lb) => {
                self.groups.insert(
                    g,
                    GroupState {
                        members: BTreeMap::new(),
                        lb: Some(lb),
                    },
                );
                ok(u64::from(g))
            }
            Err(e) => st(fib_status(&e), u64::from(g)),
        }
    }

    fn group_del(&mut self, g: u32) -> Outcome {
        let Some(gs) = self.groups.get(&g) else {
            return st(Status::NotFound, u64::from(g));
        };
        if !gs.members.is_empty() || self.in_use(Target::Group(g)) {
            return st(Status::Invalid, u64::from(g));
        }
        if let Some(lb) = gs.lb {
            if let Err(e) = self.fib.remove_lb(lb) {
                return st(fib_status(&e), u64::from(g));
            }
        }
        self.groups.remove(&g);
        ok(u64::from(g))
    }

    fn refresh_group(&mut self, g: u32) -> Result<(), FibError> {
        let Some(gs) = self.groups.get(&g) else {
            return Ok(());
        };
        let mut nhs = Vec::new();
        let mut sw = u32::MAX;
        for (&m, &w) in &gs.members {
            if let Some(n) = self.next_hops.get(&m) {
                if let Some(nb) = self.neighbors.get(&(n.rif, n.ip)) {
                    nhs.push((nb.adj, w));
                    sw = self
                        .rifs
                        .get(&n.rif)
                        .and_then(|r| r.sw_if_index)
                        .unwrap_or(u32::MAX);
                }
            }
        }
        let Some(lb) = gs.lb else { return Ok(()) };
        if nhs.is_empty() {
            self.fib.update_lb(lb, LbKind::Drop, &[], u32::MAX)
        } else {
            self.fib.update_lb_weighted(lb, LbKind::Forward, &nhs, sw)
        }
    }

    fn member_add(&mut self, g: u32, nh: u32, weight: u32) -> Outcome {
        if !self.next_hops.contains_key(&nh) {
            return st(Status::NotFound, u64::from(nh));
        }
        let Some(gs) = self.groups.get_mut(&g) else {
            return st(Status::NotFound, u64::from(g));
        };
        if gs.members.contains_key(&nh) {
            return st(Status::Exists, u64::from(nh));
        }
        gs.members.insert(nh, weight.max(1));
        match self.refresh_group(g) {
            Ok(()) => ok(u64::from(nh)),
            Err(e) => {
                if let Some(gs) = self.groups.get_mut(&g) {
                    gs.members.remove(&nh);
                }
                st(fib_status(&e), u64::from(nh))
            }
        }
    }

    fn member_del(&mut self, g: u32, nh: u32) -> Outcome {
        let Some(gs) = self.groups.get_mut(&g) else {
            return st(Status::NotFound, u64::from(g));
        };
        if gs.members.remove(&nh).is_none() {
            return st(Status::NotFound, u64::from(nh));
        }
        match self.refresh_group(g) {
            Ok(()) => ok(u64::from(nh)),
            Err(e) => st(fib_status(&e), u64::from(nh)),
        }
    }

    fn shared_lb(&mut self, kind: LbKind) -> Result<LbIndex, FibError> {
        let slot = if kind == LbKind::Punt {
            &mut self.punt_lb
        } else {
            &mut self.local_lb
        };
        if let Some(l) = *slot {
            return Ok(l);
        }
        let l = self.fib.add_lb(kind, &[], u32::MAX)?;
        if kind == LbKind::Punt {
            self.punt_lb = Some(l);
        } else {
            self.local_lb = Some(l);
        }
        Ok(l)
    }

    fn glean_lb(&mut self, rif: u32) -> Result<LbIndex, Status> {
        let r = self.rifs.get(&rif).ok_or(Status::NotFound)?;
        if let Some(l) = r.glean_lb {
            return Ok(l);
        }
        let sw = r.sw_if_index.ok_or(Status::Invalid)?;
        let l = self
            .fib
            .add_lb(LbKind::Glean, &[], sw)
            .map_err(|e| fib_status(&e))?;
        if let Some(r) = self.rifs.get_mut(&rif) {
            r.glean_lb = Some(l);
        }
        Ok(l)
    }

    fn route_add(&mut self, vrf: u32, prefix: Prefix, action: RouteAction) -> Outcome {
        let Some(&v) = self.vrfs.get(&vrf) else {
            return st(Status::NotFound, u64::from(vrf));
        };
        let lb = match action {
            RouteAction::NextHop(n) => match self.next_hops.get(&n) {
                Some(s) => Ok(s.lb),
                None => Err(Status::NotFound),
            },
            RouteAction::Group(g) => match self.groups.get(&g).and_then(|g| g.lb) {
                Some(l) => Ok(l),
                None => Err(Status::NotFound),
            },
            RouteAction::Drop => self.fib.drop_lb(v).map_err(|e| fib_status(&e)),
            RouteAction::Trap => self.shared_lb(LbKind::Punt).map_err(|e| fib_status(&e)),
            RouteAction::Local => self.shared_lb(LbKind::Local).map_err(|e| fib_status(&e)),
            RouteAction::Connected(r) => self.glean_lb(r),
        };
        let lb = match lb {
            Ok(l) => l,
            Err(s) => return st(s, 0),
        };
        let r = match prefix.addr() {
            IpAddr::V4(a) => self.fib.route4_add(v, u32::from(a), prefix.len(), lb),
            IpAddr::V6(a) => self.fib.route6_add(v, u128::from(a), prefix.len(), lb),
        };
        if let Err(e) = r {
            return st(fib_status(&e), 0);
        }
        let addr_change = matches!(action, RouteAction::Local | RouteAction::Connected(_));
        let old = self.routes.insert(vrf, prefix, action);
        self.track(vrf, prefix, old, Some(action));
        if addr_change || matches!(old, Some(RouteAction::Local | RouteAction::Connected(_))) {
            self.recompute_addresses();
        }
        ok(u64::from(lb))
    }

    fn route_del(&mut self, vrf: u32, prefix: Prefix) -> Outcome {
        let Some(&v) = self.vrfs.get(&vrf) else {
            return st(Status::NotFound, u64::from(vrf));
        };
        if !self.routes.contains(vrf, &prefix) {
            return st(Status::NotFound, 0);
        }
        let r = match prefix.addr() {
            IpAddr::V4(a) => self.fib.route4_del(v, u32::from(a), prefix.len()),
            IpAddr::V6(a) => self.fib.route6_del(v, u128::from(a), prefix.len()),
        };
        match r {
            Ok(lb) => {
                let old = self.routes.remove(vrf, &prefix);
                self.track(vrf, prefix, old, None);
                if matches!(old, Some(RouteAction::Local | RouteAction::Connected(_))) {
                    self.recompute_addresses();
                }
                // A neighbor's host route that this route shadowed comes back.
                if prefix.len() == 32 || prefix.len() == 128 {
                    let nb = self
                        .neighbors
                        .iter()
                        .find(|((rif, ip), _)| {
                            *ip == prefix.addr()
                                && self.rifs.get(rif).is_some_and(|r| r.rif.vrf == vrf)
                        })
                        .map(|(_, n)| n.host_lb);
                    if let Some(hl) = nb {
                        let _ = match prefix.addr() {
                            IpAddr::V4(a) => self.fib.route4_add(v, u32::from(a), 32, hl),
                            IpAddr::V6(a) => self.fib.route6_add(v, u128::from(a), 128, hl),
                        };
                    }
                }
                ok(u64::from(lb))
            }
            Err(e) => st(fib_status(&e), 0),
        }
    }

    fn in_use(&self, t: Target) -> bool {
        self.refs.get(&t).is_some_and(|&n| n > 0)
    }

    /// Keep `refs` and `special` in step with `routes` (one route replaced `old` by `new`).
    fn track(
        &mut self,
        vrf: u32,
        prefix: Prefix,
        old: Option<RouteAction>,
        new: Option<RouteAction>,
    ) {
        fn target(a: RouteAction) -> Option<Target> {
            match a {
                RouteAction::NextHop(n) => Some(Target::Nh(n)),
                RouteAction::Group(g) => Some(Target::Group(g)),
                RouteAction::Connected(r) => Some(Target::Rif(r)),
                _ => None,
            }
        }
        let special = |a: RouteAction| matches!(a, RouteAction::Local | RouteAction::Connected(_));
        // A replaced route keeps its VRF reference: only a change of presence moves that count.
        match (old, new) {
            (Some(_), None) => {
                if let Some(c) = self.refs.get_mut(&Target::Vrf(vrf)) {
                    *c = c.saturating_sub(1);
                }
            }
            (None, Some(_)) => *self.refs.entry(Target::Vrf(vrf)).or_insert(0) += 1,
            _ => {}
        }
        let (ot, nt) = (old.and_then(target), new.and_then(target));
        if ot != nt {
            if let Some(c) = ot.and_then(|t| self.refs.get_mut(&t)) {
                *c = c.saturating_sub(1);
            }
            if let Some(t) = nt {
                *self.refs.entry(t).or_insert(0) += 1;
            }
        }
        if old.is_some_and(special) {
            self.special.remove(&(vrf, prefix));
        }
        if let Some(n) = new.filter(|n| special(*n)) {
            self.special.insert((vrf, prefix), n);
        }
    }

    /// Interface addresses = IP2ME (Local) routes covered by a connected route of the RIF.
    fn recompute_addresses(&mut self) {
        self.ifs_dirty = true;
        let locals: Vec<(u32, IpAddr)> = self
            .special
            .iter()
            .filter(|(_, a)| **a == RouteAction::Local)
            .map(|((v, p), _)| (*v, p.addr()))
            .collect();
        let connected: Vec<(u32, Prefix, u32)> = self
            .special
            .iter()
            .filter_map(|((v, p), a)| match a {
                RouteAction::Connected(r) => Some((*v, *p, *r)),
                _ => None,
            })
            .collect();
        let rifs: Vec<(u32, u32, Option<u32>)> = self
            .rifs
            .values()
            .map(|r| (r.rif.rif, r.rif.vrf, r.sw_if_index))
            .collect();
        for (rif, vrf, sw) in rifs {
            let Some(sw) = sw else { continue };
            let mut ip4 = Vec::new();
            let mut ip6 = Vec::new();
            for &(cv, cp, cr) in &connected {
                if cr != rif || cv != vrf {
                    continue;
                }
                for &(lv, la) in &locals {
                    if lv != vrf {
                        continue;
                    }
                    match (cp.addr(), la) {
                        (IpAddr::V4(_), IpAddr::V4(a)) => {
                            let x = IfAddr4 {
                                addr: a,
                                prefix_len: cp.len(),
                            };
                            if x.covers(match cp.addr() {
                                IpAddr::V4(n) => n,
                                IpAddr::V6(_) => continue,
                            }) && !ip4.contains(&x)
                            {
                                ip4.push(x);
                            }
                        }
                        (IpAddr::V6(_), IpAddr::V6(a)) => {
                            let x = IfAddr6 {
                                addr: a,
                                prefix_len: cp.len(),
                            };
                            if x.covers(match cp.addr() {
                                IpAddr::V6(n) => n,
                                IpAddr::V4(_) => continue,
                            }) && !ip6.contains(&x)
                            {
                                ip6.push(x);
                            }
                        }
                        _ => {}
                    }
                }
            }
            let _ = self.ifs.modify(sw, |i| {
                i.ip4 = ip4;
                i.ip6 = ip6;
            });
        }
    }

    /// Remove every object (library restart or Flush).
    pub fn flush(&mut self) {
        self.ifs_dirty = true;
        let routes = self.routes.keys();
        for (v, p) in routes {
            let _ = self.route_del(v, p);
        }
        let groups: Vec<(u32, Vec<u32>)> = self
            .groups
            .iter()
            .map(|(g, s)| (*g, s.members.keys().copied().collect()))
            .collect();
        for (g, ms) in groups {
            for m in ms {
                let _ = self.member_del(g, m);
            }
            let _ = self.group_del(g);
        }
        let nhs: Vec<u32> = self.next_hops.keys().copied().collect();
        for n in nhs {
            let _ = self.nh_del(n);
        }
        let nbs: Vec<(u32, IpAddr)> = self.neighbors.keys().copied().collect();
        for (r, ip) in nbs {
            let _ = self.neighbor_del(r, ip);
        }
        for l in [self.punt_lb.take(), self.local_lb.take()]
            .into_iter()
            .flatten()
        {
            let _ = self.fib.remove_lb(l);
        }
        let rifs: Vec<u32> = self.rifs.keys().copied().collect();
        for r in rifs {
            let _ = self.rif_del(r);
        }
        let vrfs: Vec<u32> = self.vrfs.keys().copied().collect();
        for v in vrfs {
            let _ = self.vrf_del(v);
        }
        self.next_subif = SUBIF_BASE;
        self.traps.clear();
        for p in &mut self.ports {
            p.mac = p.dev_mac;
        }
        self.ifs.publish();
    }

    /// Route rows for `show ip fib` / `show ip6 fib`, optionally only those covering `filter`.
    pub fn fib_rows(&self, v6: bool, filter: Option<IpAddr>) -> Vec<FibRow> {
        let mut rows = Vec::new();
        let mut vrfs: Vec<(u32, VrfId)> = self.vrfs.iter().map(|(s, v)| (*s, *v)).collect();
        vrfs.sort_unstable();
        for (sai, v) in vrfs {
            let entries: Vec<(IpAddr, u8, LbIndex)> = if v6 {
                self.fib
                    .routes6(v)
                    .map(|(p, l, lb)| (IpAddr::V6(p.into()), l, lb))
                    .collect()
            } else {
                self.fib
                    .routes4(v)
                    .map(|(p, l, lb)| (IpAddr::V4(p.into()), l, lb))
                    .collect()
            };
            let mut entries = entries;
            entries.sort_by_key(|(a, l, _)| (*a, *l));
            for (addr, len, lb) in entries {
                if let Some(f) = filter {
                    let covers = match (addr, f) {
                        (IpAddr::V4(p), IpAddr::V4(a)) => {
                            let m = if len == 0 {
                                0
                            } else {
                                u32::MAX << (32 - u32::from(len))
                            };
                            u32::from(p) == u32::from(a) & m
                        }
                        (IpAddr::V6(p), IpAddr::V6(a)) => {
                            let m = if len == 0 {
                                0
                            } else {
                                u128::MAX << (128 - u32::from(len))
                            };
                            u128::from(p) == u128::from(a) & m
                        }
                        _ => false,
                    };
                    if !covers {
                        continue;
                    }
                }
                let (kind, paths) = match self.fib.lb(lb) {
                    Some((k, buckets, sw)) => {
                        let mut paths = Vec::new();
                        let mut seen = Vec::new();
                        for &a in buckets {
                            if seen.contains(&a) {
                                continue;
                            }
                            seen.push(a);
                            if let Some(adj) = self.fib.adjacency(a) {
                                paths.push(FibPath {
                                    adj: a,
                                    interface: self.if_name(adj.sw_if_index),
                                    rewrite: adj
                                        .rewrite_bytes()
                                        .iter()
                                        .map(|b| format!("{b:02x}"))
                                        .collect(),
                                });
                            }
                        }
                        if paths.is_empty() && sw != u32::MAX {
                            paths.push(FibPath {
                                adj: u32::MAX,
                                interface: self.if_name(sw),
                                rewrite: String::new(),
                            });
                        }
                        (format!("{k:?}").to_lowercase(), paths)
                    }
                    None => ("unknown".into(), Vec::new()),
                };
                rows.push(FibRow {
                    vrf: sai,
                    prefix: format!("{addr}/{len}"),
                    lb,
                    kind,
                    paths,
                });
            }
        }
        rows
    }

    /// Neighbor rows.
    pub fn neighbor_rows(&self) -> Vec<NeighborRow> {
        let mut v: Vec<NeighborRow> = self
            .neighbors
            .iter()
            .map(|((rif, ip), n)| NeighborRow {
                rif: *rif,
                interface: self
                    .rifs
                    .get(rif)
                    .and_then(|r| r.sw_if_index)
                    .map_or_else(|| format!("rif{rif}"), |s| self.if_name(s)),
                ip: ip.to_string(),
                mac: mac_str(&n.mac),
                adj: n.adj,
            })
            .collect();
        v.sort_by(|a, b| (a.rif, &a.ip).cmp(&(b.rif, &b.ip)));
        v
    }

    /// sw_if_index -> RIF id (u32::MAX: none), for the workers' RIF counters.
    pub fn rif_map(&self) -> Vec<u32> {
        let mut m = Vec::new();
        for r in self.rifs.values() {
            if let Some(sw) = r.sw_if_index.and_then(|s| usize::try_from(s).ok()) {
                if m.len() <= sw {
                    m.resize(sw + 1, u32::MAX);
                }
                m[sw] = r.rif.rif;
            }
        }
        m
    }

    /// Counts for `show` summaries: (vrfs, rifs, neighbors, next hops, groups, routes).
    pub fn counts(&self) -> [usize; 6] {
        [
            self.vrfs.len(),
            self.rifs.len(),
            self.neighbors.len(),
            self.next_hops.len(),
            self.groups.len(),
            self.routes.len(),
        ]
    }
}

/// The commands that set up the route-apply timing runs (example `route_apply`, test
/// `route_burst`): VRF 100, port RIF 1 (port 0) in it, neighbour and next hop 1 at 10.0.0.2
/// on that RIF; `RouteAdd`s to next hop 1 in VRF 100 then resolve.
#[doc(hidden)]
pub fn timing_setup() -> [Command; 4] {
    let nb = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));
    [
        Command::VrfAdd(100),
        Command::RifAdd(Rif {
            rif: 1,
            rif_type: RifType::Port,
            port: 0,
            vlan: 0,
            mac: [2, 0, 0, 0, 0, 0xa],
            mtu: 1500,
            vrf: 100,
            v4_admin: true,
            v6_admin: true,
        }),
        Command::NeighborAdd {
            rif: 1,
            ip: nb,
            mac: [2, 0, 0, 0, 0, 2],
        },
        Command::NextHopAdd {
            id: 1,
            ip: nb,
            rif: 1,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use fwd_engine::fib::{Fib, FibConfig};
    use fwd_engine::interface::interfaces;
    use std::net::Ipv4Addr;

    fn small_fib() -> FibConfig {
        FibConfig {
            max_vrfs: 4,
            tbl8_groups: 256,
            tbl8_groups6: 256,
            max_routes4: 1024,
            max_routes6: 1024,
            max_adjacencies: 256,
            max_lbs: 256,
            max_readers: 4,
            v4_first_bits: 16,
            grace_timeout: std::time::Duration::from_millis(100),
            ..FibConfig::default()
        }
    }

    fn rif(id: u32, port: u32, mac: u8) -> Rif {
        Rif {
            rif: id,
            rif_type: RifType::Port,
            port,
            vlan: 0,
            mac: [2, 0, 0, 0, 0, mac],
            mtu: 1500,
            vrf: 100,
            v4_admin: true,
            v6_admin: true,
        }
    }

    fn p4(s: &str, l: u8) -> Prefix {
        Prefix::new(IpAddr::V4(s.parse().unwrap()), l).unwrap()
    }

    /// Cost of the route path alone (map + FIB), for profiling:
    /// `TABLES_ROUTES=100000 cargo test --release -p fwd-daemon --lib tables::tests::route_burst -- --ignored --nocapture`
    /// IPv4 routes round-trip through the packed key (VRFs below 2^26, lengths 0..=32); IPv6
    /// routes and larger VRF ids use the second map; `keys` lists both.
    #[test]
    fn route_map_packed_keys() {
        let mut m = RouteMap::default();
        let p = [
            Prefix::v4(0, 0).unwrap(),
            Prefix::v4(0x0a00_0000, 8).unwrap(),
            Prefix::v4(0xffff_ffff, 32).unwrap(),
        ];
        let p6 = Prefix::v6(0x2001_0db8u128 << 96, 32).unwrap();
        for (vrf, q) in [
            (0, p[0]),
            (0, p[1]),
            ((1 << 26) - 1, p[2]),
            (1 << 26, p[2]),
            (0, p6),
        ] {
            assert_eq!(m.insert(vrf, q, RouteAction::Drop), None);
        }
        assert_eq!(
            m.insert(0, p[1], RouteAction::Trap),
            Some(RouteAction::Drop)
        );
        assert_eq!(m.len(), 5);
        assert_eq!(m.v4.len(), 3);
        assert!(m.contains((1 << 26) - 1, &p[2]) && m.contains(1 << 26, &p[2]));
        assert!(!m.contains(1, &p[2]) && !m.contains(0, &p[2]));
        let mut k = m.keys();
        k.sort_by_key(|(v, q)| (*v, q.is_v6(), q.bits(), q.len()));
        assert_eq!(
            k,
            vec![
                (0, p[0]),
                (0, p[1]),
                (0, p6),
                ((1 << 26) - 1, p[2]),
                (1 << 26, p[2])
            ]
        );
        assert_eq!(m.remove(0, &p[1]), Some(RouteAction::Trap));
        assert_eq!(m.remove(0, &p[1]), None);
        assert_eq!(m.len(), 4);
    }

    /// The route map's hash keeps runs of 16 consecutive prefixes (same length and VRF) in
    /// consecutive buckets with distinct 7-bit tags, and spreads the runs.
    #[test]
    fn route_map_hash_keeps_runs() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<RouteKeyHasher>::default();
        let low = (1u64 << 57) - 1;
        let mut bases = std::collections::HashSet::new();
        for (vrf, len) in [(0u32, 24u8), (100, 24), (7, 32), (100, 16)] {
            for r in 0..500u32 {
                let run = r.wrapping_mul(7919) & ((1u32 << (len - 4)) - 1);
                let hs: Vec<u64> = (0..16u32)
                    .map(|j| {
                        let p = Prefix::v4(((run << 4) | j) << (32 - u32::from(len)), len);
                        b.hash_one(route_key4(vrf, &p.unwrap()).unwrap())
                    })
                    .collect();
                for (j, h) in hs.iter().enumerate() {
                    assert_eq!(h & 15, j as u64);
                    assert_eq!(h & low & !15, hs[0] & low & !15);
                }
                let tags: std::collections::HashSet<u64> = hs.iter().map(|h| h >> 57).collect();
                assert_eq!(tags.len(), 16);
                bases.insert(hs[0] & 0xffff_fff0);
            }
        }
        assert!(bases.len() > 1900, "runs collide: {}", bases.len());
    }

    /// (under `valgrind --tool=callgrind` for instruction counts).
    #[test]
    #[ignore = "timing run, not a check"]
    fn route_burst() {
        let n: u32 = std::env::var("TABLES_ROUTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000);
        let (fw, _fr) = Fib::new(FibConfig::default());
        let (iw, _ir) = interfaces();
        let mut t = Tables::new(fw, iw, &[("Ethernet0".into(), [2, 0, 0, 0, 1, 0])]);
        for c in super::timing_setup() {
            assert_eq!(t.apply(&c).status, Status::Ok, "{c:?}");
        }
        let p = |i: u32| Prefix::v4(0x0100_0000 + (i << 8), 24).unwrap();
        let t0 = std::time::Instant::now();
        for i in 0..n {
            let c = Command::RouteAdd {
                vrf: 100,
                prefix: p(i),
                action: RouteAction::NextHop(1),
            };
            assert_eq!(t.apply(&c).status, Status::Ok);
        }
        t.publish();
        let add = t0.elapsed();
        let t0 = std::time::Instant::now();
        for i in 0..n {
            let c = Command::RouteDel {
                vrf: 100,
                prefix: p(i),
            };
            assert_eq!(t.apply(&c).status, Status::Ok);
        }
        println!(
            "{n} routes through Tables::apply: add {:.3} s, delete {:.3} s",
            add.as_secs_f64(),
            t0.elapsed().as_secs_f64()
        );
    }

    #[test]
    fn program_routes_neighbors_and_groups() {
        let (fw, fr) = Fib::new(small_fib());
        let (iw, ir) = interfaces();
        let mut t = Tables::new(
            fw,
            iw,
            &[
                ("Ethernet0".into(), [2, 0, 0, 0, 1, 0]),
                ("Ethernet4".into(), [2, 0, 0, 0, 1, 4]),
            ],
        );
        let s = |o: Outcome| o.status;
        assert_eq!(s(t.apply(&Command::VrfAdd(100))), Status::Ok);
        assert_eq!(s(t.apply(&Command::RifAdd(rif(1, 0, 0xa)))), Status::Ok);
        assert_eq!(s(t.apply(&Command::RifAdd(rif(2, 1, 0xb)))), Status::Ok);
        assert_eq!(
            s(t.apply(&Command::RifAdd(rif(3, 7, 0xb)))),
            Status::NotFound
        );
        assert_eq!(
            s(t.apply(&Command::RouteAdd {
                vrf: 100,
                prefix: p4("10.0.1.0", 24),
                action: RouteAction::Connected(1)
            })),
            Status::Ok
        );
        assert_eq!(
            s(t.apply(&Command::RouteAdd {
                vrf: 100,
                prefix: p4("10.0.1.1", 32),
                action: RouteAction::Local
            })),
            Status::Ok
        );
        assert_eq!(
            s(t.apply(&Command::NextHopAdd {
                id: 9,
                ip: "10.0.2.2".parse().unwrap(),
                rif: 2
            })),
            Status::Ok
        );
        assert_eq!(
            s(t.apply(&Command::RouteAdd {
                vrf: 100,
                prefix: p4("192.168.0.0", 16),
                action: RouteAction::NextHop(9)
            })),
            Status::Ok
        );
        t.publish();
        let vid = t.vrfs[&100];
        let v = fr.view();
        let lb = v.lookup4(vid, u32::from(Ipv4Addr::new(192, 168, 3, 4)));
        assert_eq!(v.lb(lb).kind, LbKind::Glean, "unresolved next hop gleans");
        drop(v);
        assert_eq!(
            s(t.apply(&Command::NeighborAdd {
                rif: 2,
                ip: "10.0.2.2".parse().unwrap(),
                mac: [2, 0, 0, 0, 0, 0x22]
            })),
            Status::Ok
        );
        let v = fr.view();
        let lb = v.lookup4(vid, u32::from(Ipv4Addr::new(192, 168, 3, 4)));
        let lbv = v.lb(lb);
        assert_eq!(lbv.kind, LbKind::Forward);
        let adj = v.adj(lbv.buckets[0]);
        assert_eq!(adj.sw_if_index, 1);
        assert_eq!(
            adj.rewrite_bytes(),
            &[2, 0, 0, 0, 0, 0x22, 2, 0, 0, 0, 0, 0xb, 8, 0]
        );
        drop(v);
        // Interface addresses come from IP2ME + connected.
        let tbl = ir.load();
        assert_eq!(
            tbl.get(0).unwrap().ip4,
            vec![IfAddr4 {
                addr: Ipv4Addr::new(10, 0, 1, 1),
                prefix_len: 24
            }]
        );
        // A RIF with a connected route, a VRF with routes, cannot go.
        assert_eq!(s(t.apply(&Command::RifDel(1))), Status::Invalid);
        assert_eq!(s(t.apply(&Command::VrfDel(100))), Status::Invalid);
        // A next hop in use cannot go; the route first.
        assert_eq!(s(t.apply(&Command::NextHopDel(9))), Status::Invalid);
        // ECMP group.
        assert_eq!(s(t.apply(&Command::NhGroupAdd(5))), Status::Ok);
        assert_eq!(
            s(t.apply(&Command::NhGroupMemberAdd {
                group: 5,
                nh: 9,
                weight: 1
            })),
            Status::Ok
        );
        assert_eq!(
            s(t.apply(&Command::RouteAdd {
                vrf: 100,
                prefix: p4("172.16.0.0", 12),
                action: RouteAction::Group(5)
            })),
            Status::Ok
        );
        let rows = t.fib_rows(false, Some("172.16.1.1".parse().unwrap()));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].kind, "forward");
        assert_eq!(rows[0].paths[0].interface, "Ethernet4");
        // Neighbor removal: next hop gleans again, group drops.
        assert_eq!(
            s(t.apply(&Command::NeighborDel {
                rif: 2,
                ip: "10.0.2.2".parse().unwrap()
            })),
            Status::Ok
        );
        let v = fr.view();
        assert_eq!(
            v.lb(v.lookup4(vid, u32::from(Ipv4Addr::new(172, 16, 1, 1))))
                .kind,
            LbKind::Drop
        );
        drop(v);
        assert_eq!(t.neighbor_rows().len(), 0);
        // Sub-port RIFs.
        let mut sub = rif(7, 1, 0xc);
        sub.rif_type = RifType::SubPort;
        sub.vlan = 100;
        // (Port 1 has the port RIF 2: the sub-interface hangs off it.)
        assert_eq!(s(t.apply(&Command::RifAdd(sub))), Status::Ok);
        t.publish();
        let tbl = ir.load();
        let sw = tbl.sub_if(1, 100).expect("sub-interface");
        assert_eq!(tbl.get(sw).unwrap().parent, Some((1, 100)));
        assert_eq!(t.if_name(sw), "Ethernet4.100");
        assert_eq!(s(t.apply(&Command::RifDel(7))), Status::Ok);
        let mut sub0 = rif(8, 0, 0xd);
        sub0.rif_type = RifType::SubPort;
        sub0.vlan = 0;
        assert_eq!(
            s(t.apply(&Command::RifAdd(sub0))),
            Status::Invalid,
            "vlan 0"
        );
        t.flush();
        assert_eq!(t.counts(), [0; 6]);
        let mut sub = rif(9, 0, 0xe);
        sub.rif_type = RifType::SubPort;
        sub.vlan = 10;
        assert_eq!(s(t.apply(&Command::VrfAdd(100))), Status::Ok);
        assert_eq!(s(t.apply(&Command::RifAdd(sub))), Status::Ok);
        t.publish();
        let tbl = ir.load();
        let parent = tbl.get(0).expect("placeholder parent");
        assert!(
            !parent.admin_up,
            "untagged traffic on a port without port RIF is not routed"
        );
        assert!(tbl.sub_if(0, 10).is_some());
        assert_eq!(s(t.apply(&Command::RifDel(9))), Status::Ok);
        t.publish();
        assert!(
            ir.load().get(0).is_none(),
            "placeholder removed with the last sub-interface"
        );
        assert_eq!(s(t.apply(&Command::VrfDel(100))), Status::Ok);
        assert_eq!(
            s(t.apply(&Command::VrfAdd(100))),
            Status::Ok,
            "flush leaves a clean slate"
        );
    }
}
