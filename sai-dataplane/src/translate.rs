//! SAI changes -> ring commands, with the desired forwarder state kept as a shadow.
//!
//! The [`Translator`] is pure (no I/O): it receives the store's committed [`Change`]s, keeps what
//! the forwarder must hold (ports, VRFs, RIFs, neighbors, next hops, groups, host interfaces,
//! traps) keyed by SAI object ids, maps every SAI object id to a dense forwarder id, and emits the
//! ring [`Command`]s. Routes, the bulk of the state, have no shadow: a route's create carries its
//! attributes and a route's set carries all of them (`Change::Set::route`), and the replay after a
//! forwarder restart ([`Translator::replay`]) reads them from the store ([`Routes`]), after the
//! shadow's objects, in dependency order.

use crate::ids::Ids;
use ring_proto::{Command, HostifName, PacketAction, Port, Prefix, Rif, RifType, RouteAction};
use sai_store::{Attr, AttrValue, Change, EntryKey, ObjectKey, RouteKey, Routes};
use std::collections::HashMap;
use std::net::IpAddr;

/// The shadow maps' hasher (keys are ids and prefixes we build ourselves, not attacker-chosen
/// strings): the store's folded-multiply hasher. (The former Fx-style multiply-rotate left the
/// low bits of sequential /24 prefixes nearly constant.)
pub use sai_store::fasthash::FastHasher;

type Map<K, V> = sai_store::fasthash::FastMap<K, V>;

/// Why a change was not turned into a command (counted, see [`Translator::skipped`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Ports whose lanes are not in the lane map or whose name the forwarder does not have.
    pub unmapped_port: u64,
    /// References to objects the translator does not know (e.g. a RIF on an unmapped port).
    pub unknown_reference: u64,
    /// Objects the forwarder has no model for (VLAN RIFs, LAG host interfaces, bad names, ...).
    pub unsupported: u64,
    /// Forwarder ids exhausted.
    pub ids_exhausted: u64,
}

/// Dense id allocator with reuse.
#[derive(Debug, Default)]
struct Alloc {
    next: u32,
    free: Vec<u32>,
    limit: u32,
}

impl Alloc {
    fn new(first: u32, limit: u32) -> Alloc {
        Alloc {
            next: first,
            free: Vec::new(),
            limit,
        }
    }
    fn get(&mut self) -> Option<u32> {
        if let Some(i) = self.free.pop() {
            return Some(i);
        }
        (self.next < self.limit).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
    fn put(&mut self, i: u32) {
        self.free.push(i);
    }
}

#[derive(Clone, Copy, Debug)]
struct NextHop {
    id: u32,
    ip: IpAddr,
    rif: u32,
}

#[derive(Clone, Copy, Debug)]
struct Member {
    group: u32,
    nh: u32,
    weight: u32,
}

#[derive(Clone, Copy, Debug)]
struct RouteState {
    /// SAI packet action.
    action: i32,
    /// SAI next-hop id (next hop, group, RIF, CPU port) or 0.
    target: u64,
}

#[derive(Clone, Copy, Debug)]
struct Hostif {
    id: u32,
    port: u32,
    name: HostifName,
    oper_up: bool,
}

#[derive(Clone, Copy, Debug)]
struct Trap {
    trap_type: u32,
    action: PacketAction,
    group: u64,
}

/// Port mapping by name: lane-map names <-> forwarder port names.
#[derive(Clone, Debug, Default)]
pub struct PortMap {
    /// First lane of a lane-map port -> (name, forwarder port id).
    by_lane: HashMap<u32, (String, u32)>,
}

impl PortMap {
    /// `lanemap`: the store's lane map (name, lanes) in order. `fwd_names`: the forwarder's port
    /// names in port-id order (its `[[port]]` / `--port` order); `None`: the lane-map order is the
    /// forwarder order (port k of the lane map is forwarder port k).
    pub fn new(lanemap: &[(String, Vec<u32>)], fwd_names: Option<&[String]>) -> PortMap {
        let mut by_lane = HashMap::new();
        for (k, (name, lanes)) in lanemap.iter().enumerate() {
            let fwd = match fwd_names {
                Some(names) => names.iter().position(|n| n == name),
                None => Some(k),
            };
            if let (Some(&lane), Some(f)) = (lanes.first(), fwd.and_then(|f| u32::try_from(f).ok()))
            {
                by_lane.insert(lane, (name.clone(), f));
            }
        }
        PortMap { by_lane }
    }

    /// Forwarder port id and name of the SAI port with these lanes.
    pub fn lookup(&self, lanes: &[u32]) -> Option<(&str, u32)> {
        let (n, f) = self.by_lane.get(lanes.first()?)?;
        Some((n.as_str(), *f))
    }
}

/// The translator: shadow state + id maps.
#[derive(Debug)]
pub struct Translator {
    ids: &'static Ids,
    portmap: PortMap,
    switch: u64,
    switch_mac: [u8; 6],
    cpu_port: u64,
    /// SAI port -> (forwarder port, config).
    ports: Map<u64, Port>,
    port_by_fwd: Map<u32, u64>,
    /// SAI VR -> forwarder VRF id; VR source MAC when set.
    vrfs: Map<u64, (u32, Option<[u8; 6]>)>,
    vrf_alloc: Alloc,
    /// SAI RIF -> RIF config (forwarder id inside); whether the MAC was set explicitly.
    rifs: Map<u64, (Rif, bool)>,
    rif_alloc: Alloc,
    neighbors: Map<(u32, IpAddr), [u8; 6]>,
    next_hops: Map<u64, NextHop>,
    nh_alloc: Alloc,
    groups: Map<u64, u32>,
    group_alloc: Alloc,
    members: Map<u64, Member>,
    hostifs: Map<u64, Hostif>,
    hostif_alloc: Alloc,
    traps: Map<u64, Trap>,
    /// Trap group -> (forwarder id, CPU queue).
    trap_groups: Map<u64, (u32, u8)>,
    tg_alloc: Alloc,
    skipped: Skipped,
    /// Within one [`Translator::apply`] call, until an object-id change: the last route's
    /// (VR, VRF id) and (state, action). Consecutive routes of a bulk call share both.
    last_vrf: Option<(u64, u32)>,
    last_action: Option<(i32, u64, RouteAction)>,
    /// Within one [`Translator::apply`] call: the address and length of the last route
    /// attribute list read and its state (the lists of one bulk call are one shared copy, alive
    /// for the whole batch, so an equal address is the same list).
    last_list: Option<(usize, usize, RouteState)>,
}

fn mac_of(v: &AttrValue) -> Option<[u8; 6]> {
    match v {
        AttrValue::Mac(m) => Some(*m),
        _ => None,
    }
}

fn ip_of(v: &AttrValue) -> Option<IpAddr> {
    match v {
        AttrValue::IpAddr(a) => Some(*a),
        _ => None,
    }
}

fn name_of(v: &AttrValue) -> Option<&str> {
    match v {
        AttrValue::Chardata(b) => {
            let n = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            std::str::from_utf8(&b[..n]).ok()
        }
        _ => None,
    }
}

fn find(attrs: &[Attr], id: u32) -> Option<&AttrValue> {
    attrs.iter().find(|a| a.id == id).map(|a| &a.value)
}

fn packet_action(v: i32) -> Option<PacketAction> {
    use PacketAction as A;
    [
        A::Drop,
        A::Forward,
        A::Copy,
        A::CopyCancel,
        A::Trap,
        A::Log,
        A::Deny,
        A::Transit,
    ]
    .into_iter()
    .find(|a| *a as i32 == v)
}

/// Route key of an entry: (VR oid, prefix).
fn route_key(k: &EntryKey) -> Option<(u64, Prefix)> {
    let vr = k.members.get(1)?.as_oid()?;
    let AttrValue::IpPrefix(p) = k.members.get(2)? else {
        return None;
    };
    Some((vr, Prefix::new(p.addr, p.prefix_len()?)?))
}

/// Route key of a [`RouteKey`]: (VR oid, prefix).
fn route_key_of(r: &RouteKey) -> Option<(u64, Prefix)> {
    Some((
        r.vr_id,
        Prefix::new(r.destination.addr, r.destination.prefix_len()?)?,
    ))
}

/// Neighbor key: (RIF oid, address).
fn neighbor_key(k: &EntryKey) -> Option<(u64, IpAddr)> {
    Some((k.members.get(1)?.as_oid()?, ip_of(k.members.get(2)?)?))
}

impl Translator {
    /// A translator for one switch; `portmap` maps SAI ports to forwarder ports.
    pub fn new(portmap: PortMap) -> Translator {
        Translator {
            ids: Ids::get(),
            portmap,
            switch: 0,
            switch_mac: [0; 6],
            cpu_port: 0,
            ports: Map::default(),
            port_by_fwd: Map::default(),
            vrfs: Map::default(),
            vrf_alloc: Alloc::new(0, 1 << 16),
            rifs: Map::default(),
            rif_alloc: Alloc::new(1, 1 << 16),
            neighbors: Map::default(),
            next_hops: Map::default(),
            nh_alloc: Alloc::new(1, 1 << 20),
            groups: Map::default(),
            group_alloc: Alloc::new(1, 1 << 20),
            members: Map::default(),
            hostifs: Map::default(),
            hostif_alloc: Alloc::new(1, 1 << 16),
            traps: Map::default(),
            trap_groups: Map::default(),
            tg_alloc: Alloc::new(1, 1 << 16),
            skipped: Skipped::default(),
            last_vrf: None,
            last_action: None,
            last_list: None,
        }
    }

    /// What was not translated so far.
    pub fn skipped(&self) -> Skipped {
        self.skipped
    }

    /// The switch object id (0 before the switch was created).
    pub fn switch_id(&self) -> u64 {
        self.switch
    }

    /// SAI port of a forwarder port.
    pub fn sai_port(&self, fwd: u32) -> Option<u64> {
        self.port_by_fwd.get(&fwd).copied()
    }

    /// Forwarder port of a SAI port.
    pub fn fwd_port(&self, port: u64) -> Option<u32> {
        self.ports.get(&port).map(|p| p.port)
    }

    /// Forwarder RIF id of a SAI RIF.
    pub fn fwd_rif(&self, rif: u64) -> Option<u32> {
        self.rifs.get(&rif).map(|r| r.0.rif)
    }

    /// Copy the port and RIF id maps (for the stats source).
    pub fn export_maps(&self, m: &mut crate::stats::IdMaps) {
        m.ports = self.ports.iter().map(|(k, p)| (*k, p.port)).collect();
        m.rifs = self.rifs.iter().map(|(k, r)| (*k, r.0.rif)).collect();
    }

    /// The routes the forwarder must hold, from the store's `routes`: (VRF id, prefix, action),
    /// sorted. Routes the translator cannot program (unknown VR) are left out, as when they
    /// were created.
    pub fn routes(&self, routes: &Routes<'_>) -> Vec<(u32, Prefix, RouteAction)> {
        let mut v: Vec<_> = Vec::with_capacity(routes.len());
        self.each_route(routes, |vrf, prefix, action| v.push((vrf, prefix, action)));
        v.sort_by_key(|(vrf, p, _)| (*vrf, p.is_v6(), p.bits(), p.len()));
        v
    }

    /// Every stored route the forwarder must hold, with its VRF id and action.
    fn each_route(&self, routes: &Routes<'_>, mut f: impl FnMut(u32, Prefix, RouteAction)) {
        let fwd = self.ids.pa_forward;
        let mut last: Option<(u64, u32)> = None;
        for (k, st) in routes.iter() {
            let Some((vr, prefix)) = route_key_of(&k) else {
                continue;
            };
            let vrf = match last {
                Some((v, id)) if v == vr => id,
                _ => match self.vrfs.get(&vr) {
                    Some(&(id, _)) => {
                        last = Some((vr, id));
                        id
                    }
                    None => continue,
                },
            };
            let s = RouteState {
                action: st.action.unwrap_or(fwd),
                target: st.next_hop.unwrap_or(0),
            };
            f(vrf, prefix, self.route_action(&s));
        }
    }

    /// Translate one committed batch, appending commands to `out`.
    pub fn apply(&mut self, batch: &[Change], out: &mut Vec<Command>) {
        self.last_vrf = None;
        self.last_action = None;
        self.last_list = None;
        out.reserve(batch.len());
        for c in batch {
            if matches!(c.key(), ObjectKey::Oid(_)) {
                // VRFs, next hops, groups, RIFs or the CPU port may change.
                self.last_vrf = None;
                self.last_action = None;
            }
            self.change(c, out);
        }
        self.last_vrf = None;
        self.last_action = None;
        self.last_list = None;
    }

    /// VRF id of a VR (remembered for the next route of the batch).
    fn vrf_of(&mut self, vr: u64) -> Option<u32> {
        if let Some((v, id)) = self.last_vrf {
            if v == vr {
                return Some(id);
            }
        }
        let &(id, _) = self.vrfs.get(&vr)?;
        self.last_vrf = Some((vr, id));
        Some(id)
    }

    /// [`Translator::route_action`], remembered for the next route of the batch.
    fn route_action_cached(&mut self, s: &RouteState) -> RouteAction {
        if let Some((a, t, r)) = self.last_action {
            if a == s.action && t == s.target {
                return r;
            }
        }
        let r = self.route_action(s);
        self.last_action = Some((s.action, s.target, r));
        r
    }

    fn change(&mut self, c: &Change, out: &mut Vec<Command>) {
        let ids = self.ids;
        let ot = c.ot();
        match (c, c.key()) {
            (Change::Create { attrs, .. }, ObjectKey::Entry(k)) => {
                if ot == ids.ot_route {
                    self.route_set_at(route_key(k), attrs, out);
                } else if ot == ids.ot_neighbor {
                    self.neighbor_set(k, attrs, out);
                }
            }
            (Change::Set { attr, route, .. }, ObjectKey::Entry(k)) => {
                if ot == ids.ot_route {
                    self.route_update(route_key(k), attr, route.as_deref(), out);
                } else if ot == ids.ot_neighbor {
                    self.neighbor_set(k, std::slice::from_ref(attr), out);
                }
            }
            (Change::Remove { .. }, ObjectKey::Entry(k)) => {
                if ot == ids.ot_route {
                    self.route_remove(k, out);
                } else if ot == ids.ot_neighbor {
                    self.neighbor_remove(k, out);
                }
            }
            (Change::Create { attrs, .. }, ObjectKey::Route(r)) => {
                self.route_set_at(route_key_of(r), attrs, out);
            }
            (Change::Set { attr, route, .. }, ObjectKey::Route(r)) => {
                self.route_update(route_key_of(r), attr, route.as_deref(), out);
            }
            (Change::Remove { .. }, ObjectKey::Route(r)) => {
                self.route_remove_at(route_key_of(r), out);
            }
            (Change::Create { attrs, .. }, ObjectKey::Oid(o)) => self.create(ot, *o, attrs, out),
            (Change::Set { attr, .. }, ObjectKey::Oid(o)) => self.set(ot, *o, attr, out),
            (Change::Remove { .. }, ObjectKey::Oid(o)) => self.remove(ot, *o, out),
        }
    }

    // ---- OID objects --------------------------------------------------------------------------

    fn create(&mut self, ot: u32, o: u64, attrs: &[Attr], out: &mut Vec<Command>) {
        let ids = self.ids;
        if ot == ids.ot_switch {
            self.switch = o;
            if let Some(m) = find(attrs, ids.sw_src_mac).and_then(mac_of) {
                self.switch_mac = m;
            }
            if let Some(c) = find(attrs, ids.sw_cpu_port).and_then(AttrValue::as_oid) {
                self.cpu_port = c;
            }
            if self.switch_mac == [0; 6] {
                // The store's default switch MAC (set right after the create when none is given).
                self.switch_mac = [0x02, 0xfe, 0x5a, 0x10, 0x00, 0x01];
            }
        } else if ot == ids.ot_port {
            let lanes = find(attrs, ids.port_lanes)
                .and_then(AttrValue::as_u32_list)
                .unwrap_or(&[]);
            let Some((_, fwd)) = self.portmap.lookup(lanes) else {
                self.skipped.unmapped_port += 1;
                return;
            };
            let p = Port {
                port: fwd,
                admin_up: find(attrs, ids.port_admin)
                    .and_then(AttrValue::as_bool)
                    .unwrap_or(false),
                mtu: find(attrs, ids.port_mtu)
                    .and_then(AttrValue::as_u32)
                    .unwrap_or(1514),
                // The decoder wants a unicast MAC: ports carry the switch MAC (as SONiC's do).
                mac: self.switch_mac,
                speed_mbps: find(attrs, ids.port_speed)
                    .and_then(AttrValue::as_u32)
                    .unwrap_or(0),
            };
            self.ports.insert(o, p);
            self.port_by_fwd.insert(fwd, o);
            out.push(Command::PortSet(p));
        } else if ot == ids.ot_vr {
            let Some(id) = self.vrf_alloc.get() else {
                self.skipped.ids_exhausted += 1;
                return;
            };
            let mac = find(attrs, ids.vr_src_mac).and_then(mac_of);
            self.vrfs.insert(o, (id, mac));
            out.push(Command::VrfAdd(id));
        } else if ot == ids.ot_rif {
            self.rif_create(o, attrs, out);
        } else if ot == ids.ot_nh {
            let ip = find(attrs, ids.nh_ip).and_then(ip_of);
            let rif = find(attrs, ids.nh_rif)
                .and_then(AttrValue::as_oid)
                .and_then(|r| self.fwd_rif(r));
            let (Some(ip), Some(rif)) = (ip, rif) else {
                // Tunnel / MPLS / SRv6 next hops, or a RIF we do not program.
                self.skipped.unsupported += 1;
                return;
            };
            let Some(id) = self.nh_alloc.get() else {
                self.skipped.ids_exhausted += 1;
                return;
            };
            self.next_hops.insert(o, NextHop { id, ip, rif });
            out.push(Command::NextHopAdd { id, ip, rif });
        } else if ot == ids.ot_nhg {
            let Some(id) = self.group_alloc.get() else {
                self.skipped.ids_exhausted += 1;
                return;
            };
            self.groups.insert(o, id);
            out.push(Command::NhGroupAdd(id));
        } else if ot == ids.ot_nhgm {
            let g = find(attrs, ids.nhgm_group)
                .and_then(AttrValue::as_oid)
                .and_then(|g| self.groups.get(&g).copied());
            let nh = find(attrs, ids.nhgm_nh)
                .and_then(AttrValue::as_oid)
                .and_then(|n| self.next_hops.get(&n).map(|n| n.id));
            let (Some(group), Some(nh)) = (g, nh) else {
                self.skipped.unknown_reference += 1;
                return;
            };
            let weight = find(attrs, ids.nhgm_weight)
                .and_then(AttrValue::as_u32)
                .unwrap_or(1)
                .clamp(1, 255);
            self.members.insert(o, Member { group, nh, weight });
            out.push(Command::NhGroupMemberAdd { group, nh, weight });
        } else if ot == ids.ot_hostif {
            self.hostif_create(o, attrs, out);
        } else if ot == ids.ot_trap_group {
            let Some(id) = self.tg_alloc.get() else {
                self.skipped.ids_exhausted += 1;
                return;
            };
            let q = find(attrs, ids.tg_queue)
                .and_then(AttrValue::as_u32)
                .unwrap_or(0);
            self.trap_groups
                .insert(o, (id, u8::try_from(q).unwrap_or(u8::MAX)));
        } else if ot == ids.ot_trap {
            let tt = find(attrs, ids.trap_type).and_then(AttrValue::as_i32);
            let act = find(attrs, ids.trap_action)
                .and_then(AttrValue::as_i32)
                .and_then(packet_action);
            let (Some(tt), Some(action)) = (tt.and_then(|t| u32::try_from(t).ok()), act) else {
                self.skipped.unsupported += 1;
                return;
            };
            let group = find(attrs, ids.trap_group)
                .and_then(AttrValue::as_oid)
                .unwrap_or(0);
            let t = Trap {
                trap_type: tt,
                action,
                group,
            };
            self.traps.insert(o, t);
            out.push(self.trap_cmd(&t));
        }
    }

    fn trap_cmd(&self, t: &Trap) -> Command {
        let (group, queue) = self.trap_groups.get(&t.group).copied().unwrap_or((0, 0));
        Command::TrapSet {
            trap_type: t.trap_type,
            action: t.action,
            group,
            queue,
        }
    }

    fn rif_mac(&self, vr: u64) -> [u8; 6] {
        self.vrfs
            .iter()
            .find(|(k, _)| **k == vr)
            .and_then(|(_, v)| v.1)
            .unwrap_or(self.switch_mac)
    }

    fn rif_create(&mut self, o: u64, attrs: &[Attr], out: &mut Vec<Command>) {
        let ids = self.ids;
        let t = find(attrs, ids.rif_type).and_then(AttrValue::as_i32);
        let rif_type = match t {
            Some(x) if x == ids.rif_type_port => RifType::Port,
            Some(x) if x == ids.rif_type_sub_port => RifType::SubPort,
            Some(x) if x == ids.rif_type_loopback => RifType::Loopback,
            Some(x) if x == ids.rif_type_vlan => RifType::Vlan,
            _ => {
                self.skipped.unsupported += 1;
                return;
            }
        };
        let vr = find(attrs, ids.rif_vr)
            .and_then(AttrValue::as_oid)
            .unwrap_or(0);
        let Some(&(vrf, _)) = self.vrfs.get(&vr) else {
            self.skipped.unknown_reference += 1;
            return;
        };
        let port = match rif_type {
            RifType::Port | RifType::SubPort => {
                let p = find(attrs, ids.rif_port)
                    .and_then(AttrValue::as_oid)
                    .and_then(|p| self.fwd_port(p));
                let Some(p) = p else {
                    self.skipped.unknown_reference += 1;
                    return;
                };
                p
            }
            _ => 0,
        };
        let vlan = match rif_type {
            RifType::SubPort => find(attrs, ids.rif_outer_vlan).and_then(|v| match v {
                AttrValue::U16(x) => Some(*x),
                _ => None,
            }),
            // The forwarder has no VLAN RIFs (it answers Unsupported); sent so that it says so.
            _ => Some(0),
        }
        .unwrap_or(0);
        let explicit_mac = find(attrs, ids.rif_mac).and_then(mac_of);
        let Some(id) = self.rif_alloc.get() else {
            self.skipped.ids_exhausted += 1;
            return;
        };
        let r = Rif {
            rif: id,
            rif_type,
            port,
            vlan,
            mac: explicit_mac.unwrap_or_else(|| self.rif_mac(vr)),
            mtu: find(attrs, ids.rif_mtu)
                .and_then(AttrValue::as_u32)
                .unwrap_or(1514),
            vrf,
            v4_admin: find(attrs, ids.rif_v4)
                .and_then(AttrValue::as_bool)
                .unwrap_or(true),
            v6_admin: find(attrs, ids.rif_v6)
                .and_then(AttrValue::as_bool)
                .unwrap_or(true),
        };
        self.rifs.insert(o, (r, explicit_mac.is_some()));
        out.push(Command::RifAdd(r));
    }

    fn hostif_create(&mut self, o: u64, attrs: &[Attr], out: &mut Vec<Command>) {
        let ids = self.ids;
        let netdev = find(attrs, ids.hostif_type).and_then(AttrValue::as_i32) == Some(0);
        let port = find(attrs, ids.hostif_obj)
            .and_then(AttrValue::as_oid)
            .and_then(|p| self.fwd_port(p));
        let name = find(attrs, ids.hostif_name)
            .and_then(name_of)
            .and_then(HostifName::new);
        let (true, Some(port), Some(name)) = (netdev, port, name) else {
            // Generic-netlink / FD host interfaces, LAG or VLAN netdevs, names the kernel refuses.
            self.skipped.unsupported += 1;
            return;
        };
        let Some(id) = self.hostif_alloc.get() else {
            self.skipped.ids_exhausted += 1;
            return;
        };
        let h = Hostif {
            id,
            port,
            name,
            oper_up: find(attrs, ids.hostif_oper)
                .and_then(AttrValue::as_bool)
                .unwrap_or(false),
        };
        self.hostifs.insert(o, h);
        out.push(Command::HostifAdd {
            id,
            port,
            name,
            oper_up: h.oper_up,
        });
    }

    fn set(&mut self, ot: u32, o: u64, a: &Attr, out: &mut Vec<Command>) {
        let ids = self.ids;
        if ot == ids.ot_switch {
            if a.id == ids.sw_cpu_port {
                self.cpu_port = a.value.as_oid().unwrap_or(0);
            } else if a.id == ids.sw_src_mac {
                if let Some(m) = mac_of(&a.value) {
                    self.switch_mac = m;
                    let mut ps: Vec<&mut Port> = self.ports.values_mut().collect();
                    ps.sort_by_key(|p| p.port);
                    for p in ps {
                        p.mac = m;
                        out.push(Command::PortSet(*p));
                    }
                    // RIFs without their own MAC follow the switch's (through their VR).
                    let follow: Vec<u64> = self
                        .rifs
                        .iter()
                        .filter(|(_, (_, explicit))| !explicit)
                        .map(|(k, _)| *k)
                        .collect();
                    for k in follow {
                        self.rif_update(k, out, |r, mac| r.mac = mac);
                    }
                }
            }
        } else if ot == ids.ot_port {
            let Some(p) = self.ports.get_mut(&o) else {
                return;
            };
            if a.id == ids.port_admin {
                p.admin_up = a.value.as_bool().unwrap_or(p.admin_up);
            } else if a.id == ids.port_mtu {
                p.mtu = a.value.as_u32().unwrap_or(p.mtu);
            } else if a.id == ids.port_speed {
                p.speed_mbps = a.value.as_u32().unwrap_or(p.speed_mbps);
            } else {
                return;
            }
            out.push(Command::PortSet(*p));
        } else if ot == ids.ot_vr {
            if a.id == ids.vr_src_mac {
                if let Some(v) = self.vrfs.get_mut(&o) {
                    v.1 = mac_of(&a.value);
                }
            }
        } else if ot == ids.ot_rif {
            let v = a.value.clone();
            if a.id == ids.rif_mac {
                if let Some(m) = mac_of(&v) {
                    if let Some(r) = self.rifs.get_mut(&o) {
                        r.1 = true;
                    }
                    self.rif_update(o, out, |r, _| r.mac = m);
                }
            } else if a.id == ids.rif_mtu {
                if let Some(m) = v.as_u32() {
                    self.rif_update(o, out, |r, _| r.mtu = m);
                }
            } else if a.id == ids.rif_v4 {
                if let Some(b) = v.as_bool() {
                    self.rif_update(o, out, |r, _| r.v4_admin = b);
                }
            } else if a.id == ids.rif_v6 {
                if let Some(b) = v.as_bool() {
                    self.rif_update(o, out, |r, _| r.v6_admin = b);
                }
            }
        } else if ot == ids.ot_nhgm {
            if a.id == ids.nhgm_weight {
                if let Some(m) = self.members.get_mut(&o) {
                    m.weight = a.value.as_u32().unwrap_or(1).clamp(1, 255);
                    out.push(Command::NhGroupMemberDel {
                        group: m.group,
                        nh: m.nh,
                    });
                    out.push(Command::NhGroupMemberAdd {
                        group: m.group,
                        nh: m.nh,
                        weight: m.weight,
                    });
                }
            }
        } else if ot == ids.ot_hostif {
            if a.id == ids.hostif_oper {
                if let Some(h) = self.hostifs.get_mut(&o) {
                    h.oper_up = a.value.as_bool().unwrap_or(false);
                    out.push(Command::HostifOper {
                        id: h.id,
                        oper_up: h.oper_up,
                    });
                }
            }
        } else if ot == ids.ot_trap {
            let Some(mut t) = self.traps.get(&o).copied() else {
                return;
            };
            if a.id == ids.trap_action {
                match a.value.as_i32().and_then(packet_action) {
                    Some(x) => t.action = x,
                    None => return,
                }
            } else if a.id == ids.trap_group {
                t.group = a.value.as_oid().unwrap_or(0);
            } else {
                return;
            }
            self.traps.insert(o, t);
            out.push(self.trap_cmd(&t));
        } else if ot == ids.ot_trap_group && a.id == ids.tg_queue {
            if let Some(g) = self.trap_groups.get_mut(&o) {
                g.1 = u8::try_from(a.value.as_u32().unwrap_or(0)).unwrap_or(u8::MAX);
                let ts: Vec<Trap> = self
                    .traps
                    .values()
                    .filter(|t| t.group == o)
                    .copied()
                    .collect();
                for t in ts {
                    out.push(self.trap_cmd(&t));
                }
            }
        }
    }

    fn rif_update(&mut self, o: u64, out: &mut Vec<Command>, f: impl FnOnce(&mut Rif, [u8; 6])) {
        let mac = self.switch_mac;
        if let Some((r, _)) = self.rifs.get_mut(&o) {
            f(r, mac);
            out.push(Command::RifSet(*r));
        }
    }

    fn remove(&mut self, ot: u32, o: u64, out: &mut Vec<Command>) {
        let ids = self.ids;
        if ot == ids.ot_switch {
            // Everything on the switch went with it: the forwarder is flushed by the caller.
            let pm = std::mem::take(&mut self.portmap);
            *self = Translator::new(pm);
        } else if ot == ids.ot_port {
            if let Some(p) = self.ports.remove(&o) {
                self.port_by_fwd.remove(&p.port);
                // Forwarder ports are its configuration: a removed SAI port is taken down.
                out.push(Command::PortSet(Port {
                    admin_up: false,
                    ..p
                }));
            }
        } else if ot == ids.ot_vr {
            if let Some((id, _)) = self.vrfs.remove(&o) {
                self.vrf_alloc.put(id);
                out.push(Command::VrfDel(id));
            }
        } else if ot == ids.ot_rif {
            if let Some((r, _)) = self.rifs.remove(&o) {
                self.rif_alloc.put(r.rif);
                out.push(Command::RifDel(r.rif));
            }
        } else if ot == ids.ot_nh {
            if let Some(n) = self.next_hops.remove(&o) {
                self.nh_alloc.put(n.id);
                out.push(Command::NextHopDel(n.id));
            }
        } else if ot == ids.ot_nhg {
            if let Some(g) = self.groups.remove(&o) {
                self.group_alloc.put(g);
                out.push(Command::NhGroupDel(g));
            }
        } else if ot == ids.ot_nhgm {
            if let Some(m) = self.members.remove(&o) {
                out.push(Command::NhGroupMemberDel {
                    group: m.group,
                    nh: m.nh,
                });
            }
        } else if ot == ids.ot_hostif {
            if let Some(h) = self.hostifs.remove(&o) {
                self.hostif_alloc.put(h.id);
                out.push(Command::HostifDel(h.id));
            }
        } else if ot == ids.ot_trap {
            // The ring has no trap removal; the forwarder keeps punting what its graph punts
            // (ARP, ND, our addresses) regardless of the trap table.
            self.traps.remove(&o);
        } else if ot == ids.ot_trap_group {
            if let Some((id, _)) = self.trap_groups.remove(&o) {
                self.tg_alloc.put(id);
            }
        }
    }

    // ---- entries ------------------------------------------------------------------------------

    fn route_action(&self, s: &RouteState) -> RouteAction {
        let ids = self.ids;
        let a = s.action;
        if a == ids.pa_drop || a == ids.pa_deny {
            return RouteAction::Drop;
        }
        if a == ids.pa_trap {
            return RouteAction::Trap;
        }
        let t = s.target;
        if t == 0 {
            return RouteAction::Drop;
        }
        if let Some(n) = self.next_hops.get(&t) {
            RouteAction::NextHop(n.id)
        } else if let Some(g) = self.groups.get(&t) {
            RouteAction::Group(*g)
        } else if let Some((r, _)) = self.rifs.get(&t) {
            if r.rif_type == RifType::Loopback {
                RouteAction::Local
            } else {
                RouteAction::Connected(r.rif)
            }
        } else if t == self.cpu_port || sai_store::object_type_query(t) == ids.ot_port {
            // IP2ME: SONiC points interface-address routes at the CPU port.
            RouteAction::Local
        } else {
            RouteAction::Drop
        }
    }

    /// A route with these attributes (all of them: unset ones have their defaults).
    fn route_set_at(&mut self, key: Option<(u64, Prefix)>, attrs: &[Attr], out: &mut Vec<Command>) {
        let ids = self.ids;
        let Some((vr, prefix)) = key else {
            self.skipped.unsupported += 1;
            return;
        };
        let Some(vrf) = self.vrf_of(vr) else {
            self.skipped.unknown_reference += 1;
            return;
        };
        let here = (attrs.as_ptr().addr(), attrs.len());
        let s = match self.last_list {
            Some((p, n, s)) if (p, n) == here => s,
            _ => {
                let mut s = RouteState {
                    action: ids.pa_forward,
                    target: 0,
                };
                for a in attrs {
                    if a.id == ids.route_action {
                        if let Some(x) = a.value.as_i32() {
                            s.action = x;
                        }
                    } else if a.id == ids.route_nh {
                        s.target = a.value.as_oid().unwrap_or(0);
                    }
                }
                self.last_list = Some((here.0, here.1, s));
                s
            }
        };
        let action = self.route_action_cached(&s);
        out.push(Command::RouteAdd {
            vrf,
            prefix,
            action,
        });
    }

    /// One attribute of a route was set; `all` is every attribute the route now has. Only the
    /// action and the next hop change what the forwarder holds.
    fn route_update(
        &mut self,
        key: Option<(u64, Prefix)>,
        attr: &Attr,
        all: Option<&[Attr]>,
        out: &mut Vec<Command>,
    ) {
        let ids = self.ids;
        if attr.id != ids.route_action && attr.id != ids.route_nh {
            return;
        }
        let Some(all) = all else {
            // The store sends every route set with the route's attributes.
            self.skipped.unsupported += 1;
            return;
        };
        self.route_set_at(key, all, out);
    }

    fn route_remove(&mut self, k: &EntryKey, out: &mut Vec<Command>) {
        self.route_remove_at(route_key(k), out);
    }

    fn route_remove_at(&mut self, key: Option<(u64, Prefix)>, out: &mut Vec<Command>) {
        let Some((vr, prefix)) = key else {
            return;
        };
        let Some(vrf) = self.vrf_of(vr) else {
            return;
        };
        out.push(Command::RouteDel { vrf, prefix });
    }

    fn neighbor_set(&mut self, k: &EntryKey, attrs: &[Attr], out: &mut Vec<Command>) {
        let Some((rif, ip)) = neighbor_key(k) else {
            self.skipped.unsupported += 1;
            return;
        };
        let Some(rif) = self.fwd_rif(rif) else {
            self.skipped.unknown_reference += 1;
            return;
        };
        let Some(mac) = find(attrs, self.ids.neigh_mac).and_then(mac_of) else {
            return;
        };
        self.neighbors.insert((rif, ip), mac);
        out.push(Command::NeighborAdd { rif, ip, mac });
    }

    fn neighbor_remove(&mut self, k: &EntryKey, out: &mut Vec<Command>) {
        let Some((rif, ip)) = neighbor_key(k) else {
            return;
        };
        let Some(rif) = self.fwd_rif(rif) else {
            return;
        };
        if self.neighbors.remove(&(rif, ip)).is_some() {
            out.push(Command::NeighborDel { rif, ip });
        }
    }

    // ---- replay -------------------------------------------------------------------------------

    /// The whole desired forwarder state as commands in dependency order (after a forwarder
    /// restart: ports, VRFs, RIFs, neighbors, next hops, groups + members, host interfaces,
    /// traps, then the store's `routes`).
    pub fn replay(&self, routes: &Routes<'_>, out: &mut Vec<Command>) {
        let mut ports: Vec<&Port> = self.ports.values().collect();
        ports.sort_by_key(|p| p.port);
        out.extend(ports.into_iter().map(|p| Command::PortSet(*p)));
        let mut vrfs: Vec<u32> = self.vrfs.values().map(|v| v.0).collect();
        vrfs.sort_unstable();
        out.extend(vrfs.into_iter().map(Command::VrfAdd));
        let mut rifs: Vec<&Rif> = self.rifs.values().map(|r| &r.0).collect();
        rifs.sort_by_key(|r| r.rif);
        out.extend(rifs.into_iter().map(|r| Command::RifAdd(*r)));
        out.extend(
            self.neighbors
                .iter()
                .map(|((rif, ip), mac)| Command::NeighborAdd {
                    rif: *rif,
                    ip: *ip,
                    mac: *mac,
                }),
        );
        let mut nhs: Vec<&NextHop> = self.next_hops.values().collect();
        nhs.sort_by_key(|n| n.id);
        out.extend(nhs.into_iter().map(|n| Command::NextHopAdd {
            id: n.id,
            ip: n.ip,
            rif: n.rif,
        }));
        let mut gs: Vec<u32> = self.groups.values().copied().collect();
        gs.sort_unstable();
        out.extend(gs.into_iter().map(Command::NhGroupAdd));
        out.extend(self.members.values().map(|m| Command::NhGroupMemberAdd {
            group: m.group,
            nh: m.nh,
            weight: m.weight,
        }));
        out.extend(self.hostifs.values().map(|h| Command::HostifAdd {
            id: h.id,
            port: h.port,
            name: h.name,
            oper_up: h.oper_up,
        }));
        out.extend(self.traps.values().map(|t| self.trap_cmd(t)));
        out.reserve(routes.len());
        self.each_route(routes, |vrf, prefix, action| {
            out.push(Command::RouteAdd {
                vrf,
                prefix,
                action,
            });
        });
    }
}
