//! The agent's desired state and its reconciliation onto a [`Dataplane`] (SAI, or a recorder in
//! tests). Mirrors what SONiC's orchagent does for the lab's tables: router interfaces, IP2ME and
//! connected routes from config_db, routes / next hops / next-hop groups from FPM, neighbors from
//! the kernel. Next hops and groups are shared and reference-counted; a group or next hop is
//! removed only after every route using it has moved away.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::net::IpAddr;

use crate::config_db::{ConfigDb, Mac};
use crate::fpm::{route_is_relevant, FpmMsg, NexthopKind, Path, RouteAdd, RouteTarget};
use crate::prefix::{IfAddr, IpPrefix};

/// A SAI object id.
pub type Oid = u64;

/// A group's identity: its (gateway, RIF) members with weights, sorted.
type GroupKey = Vec<((IpAddr, Oid), u16)>;

/// What a route does, in SAI terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAction {
    /// PACKET_ACTION_DROP.
    Drop,
    /// To the CPU port (IP2ME): NEXT_HOP_ID = CPU port.
    Trap,
    /// Directly connected: NEXT_HOP_ID = router interface.
    Rif(Oid),
    /// NEXT_HOP_ID = next hop.
    NextHop(Oid),
    /// NEXT_HOP_ID = next-hop group.
    Group(Oid),
}

/// A data-plane programming error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {msg}")]
pub struct DpError {
    /// Operation.
    pub op: &'static str,
    /// Cause (SAI status text).
    pub msg: String,
}

/// The SAI operations the agent needs.
pub trait Dataplane {
    /// Creates a port-based router interface.
    fn create_rif(&mut self, port: &str, mac: Mac, mtu: u32) -> Result<Oid, DpError>;
    /// Removes a router interface.
    fn remove_rif(&mut self, rif: Oid) -> Result<(), DpError>;
    /// Sets a port's admin state.
    fn set_port_admin(&mut self, port: &str, up: bool) -> Result<(), DpError>;
    /// Creates an IP next hop.
    fn create_next_hop(&mut self, ip: IpAddr, rif: Oid) -> Result<Oid, DpError>;
    /// Removes a next hop.
    fn remove_next_hop(&mut self, nh: Oid) -> Result<(), DpError>;
    /// Creates an ECMP group with members `(next hop, weight)`; returns the group and member ids.
    fn create_group(&mut self, members: &[(Oid, u16)]) -> Result<(Oid, Vec<Oid>), DpError>;
    /// Removes a group's members then the group.
    fn remove_group(&mut self, group: Oid, members: &[Oid]) -> Result<(), DpError>;
    /// Creates routes (bulk).
    fn create_routes(&mut self, routes: &[(IpPrefix, RouteAction)]) -> Vec<Result<(), DpError>>;
    /// Changes a route's action.
    fn set_route(&mut self, prefix: IpPrefix, action: RouteAction) -> Result<(), DpError>;
    /// Removes routes (bulk).
    fn remove_routes(&mut self, prefixes: &[IpPrefix]) -> Vec<Result<(), DpError>>;
    /// Creates or updates a neighbor entry.
    fn set_neighbor(&mut self, ip: IpAddr, rif: Oid, mac: Mac, create: bool)
        -> Result<(), DpError>;
    /// Removes a neighbor entry.
    fn remove_neighbor(&mut self, ip: IpAddr, rif: Oid) -> Result<(), DpError>;
    /// Notifications received since the last call (port oper status, ...), as text.
    fn poll_events(&mut self) -> Vec<String> {
        Vec::new()
    }
    /// Reads a neighbor's MAC back from the data plane (`show sai neighbor`).
    fn query_neighbor(&self, ip: IpAddr, rif: Oid) -> Result<Mac, DpError> {
        Err(DpError {
            op: "query neighbor",
            msg: format!("{ip} on rif {rif}: this data plane cannot be read back"),
        })
    }
    /// Reads a route back from the data plane (`show sai route`), as text.
    fn query_route(&self, prefix: IpPrefix) -> Result<String, DpError> {
        Err(DpError {
            op: "query route",
            msg: format!("{prefix}: this data plane cannot be read back"),
        })
    }
}

/// Counters shown by `show counters`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// FPM frames decoded.
    pub fpm_frames: u64,
    /// FPM frames rejected as malformed.
    pub fpm_bad_frames: u64,
    /// Netlink messages in FPM frames.
    pub fpm_msgs: u64,
    /// Routes ignored (kernel/connected, link-local, other tables, owned by config).
    pub routes_filtered: u64,
    /// Routes whose next hops could not be resolved to a router interface.
    pub routes_unresolved: u64,
    /// Routes created / updated / removed in the data plane.
    pub routes_programmed: u64,
    /// Routes removed.
    pub routes_removed: u64,
    /// Stale routes removed by a resync sweep.
    pub routes_swept: u64,
    /// FPM connections accepted.
    pub fpm_connections: u64,
    /// Neighbor updates applied.
    pub neighbors_programmed: u64,
    /// Data-plane errors.
    pub dp_errors: u64,
    /// Bulk route calls made (batches).
    pub bulk_calls: u64,
    /// Kernel neighbor resolutions triggered for next hops without a neighbor.
    pub resolve_probes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Hold {
    None,
    Nh((IpAddr, Oid)),
    Group(Vec<((IpAddr, Oid), u16)>),
}

#[derive(Debug, Clone)]
struct Route {
    action: RouteAction,
    hold: Hold,
    from_config: bool,
    stale: bool,
    nh_id: Option<u32>,
    desc: String,
}

#[derive(Debug, Clone, Default)]
struct Iface {
    rif: Option<Oid>,
    addrs: BTreeSet<IfAddr>,
    admin_up: bool,
    mtu: u32,
}

/// The agent state machine.
pub struct Agent<D: Dataplane> {
    /// The data plane.
    pub dp: D,
    mac: Mac,
    ifaces: BTreeMap<String, Iface>,
    ifindex: HashMap<u32, String>,
    zebra_nh: HashMap<u32, NexthopKind>,
    routes: BTreeMap<IpPrefix, Route>,
    nhs: HashMap<(IpAddr, Oid), (Oid, u32)>,
    groups: BTreeMap<GroupKey, (Oid, Vec<Oid>, u32)>,
    neighbors: BTreeMap<(IpAddr, String), Mac>,
    batch: Option<Batch>,
    /// Counters.
    pub stats: Stats,
}

/// Route changes collected for bulk calls.
#[derive(Debug, Default)]
struct Batch {
    creates: Vec<(IpPrefix, RouteAction)>,
    removes: Vec<IpPrefix>,
    releases: Vec<Hold>,
}

impl<D: Dataplane> Agent<D> {
    /// A new agent over `dp` for the ports of `cfg` (interfaces of `cfg` are applied by
    /// [`Agent::apply_config`]).
    pub fn new(dp: D, cfg: &ConfigDb) -> Self {
        let ifaces = cfg
            .ports
            .values()
            .map(|p| {
                (
                    p.name.clone(),
                    Iface {
                        mtu: p.mtu,
                        ..Iface::default()
                    },
                )
            })
            .collect();
        Self {
            dp,
            mac: cfg.mac,
            ifaces,
            ifindex: HashMap::new(),
            zebra_nh: HashMap::new(),
            routes: BTreeMap::new(),
            nhs: HashMap::new(),
            groups: BTreeMap::new(),
            neighbors: BTreeMap::new(),
            batch: None,
            stats: Stats::default(),
        }
    }

    /// Applies config_db's PORT admin state and INTERFACE table.
    pub fn apply_config(&mut self, cfg: &ConfigDb) -> Result<(), DpError> {
        for p in cfg.ports.values() {
            if p.admin_up {
                self.port_admin(&p.name, true)?;
            }
        }
        for (port, addrs) in &cfg.interfaces {
            self.ensure_rif(port)?;
            for a in addrs {
                self.add_address(port, *a)?;
            }
        }
        Ok(())
    }

    /// Records the kernel ifindex of a port's host interface.
    pub fn set_ifindex(&mut self, ifindex: u32, port: &str) {
        self.ifindex.insert(ifindex, port.to_string());
    }

    /// Whether the kernel ifindex is known.
    pub fn knows_ifindex(&self, ifindex: u32) -> bool {
        self.ifindex.contains_key(&ifindex)
    }

    /// The router MAC (DEVICE_METADATA|localhost mac).
    pub fn router_mac(&self) -> Mac {
        self.mac
    }

    /// Port names.
    pub fn ports(&self) -> impl Iterator<Item = &str> {
        self.ifaces.keys().map(String::as_str)
    }

    fn err(&mut self, e: DpError) -> DpError {
        self.stats.dp_errors += 1;
        tracing::warn!("data plane: {e}");
        e
    }

    /// `config interface startup|shutdown PORT`.
    pub fn port_admin(&mut self, port: &str, up: bool) -> Result<(), DpError> {
        let Some(i) = self.ifaces.get_mut(port) else {
            return Err(DpError {
                op: "port admin",
                msg: format!("no port {port}"),
            });
        };
        i.admin_up = up;
        self.dp.set_port_admin(port, up).map_err(|e| self.err(e))
    }

    fn ensure_rif(&mut self, port: &str) -> Result<Oid, DpError> {
        let Some(i) = self.ifaces.get(port) else {
            return Err(DpError {
                op: "create rif",
                msg: format!("no port {port}"),
            });
        };
        if let Some(r) = i.rif {
            return Ok(r);
        }
        let mtu = i.mtu;
        let rif = self
            .dp
            .create_rif(port, self.mac, mtu)
            .map_err(|e| self.err(e))?;
        if let Some(i) = self.ifaces.get_mut(port) {
            i.rif = Some(rif);
        }
        Ok(rif)
    }

    fn rif_of(&self, port: &str) -> Option<Oid> {
        self.ifaces.get(port).and_then(|i| i.rif)
    }

    /// `config interface ip add PORT ADDR/LEN`: RIF (if new), IP2ME /32 trap route, connected
    /// subnet route.
    pub fn add_address(&mut self, port: &str, a: IfAddr) -> Result<(), DpError> {
        let rif = self.ensure_rif(port)?;
        if let Some(i) = self.ifaces.get_mut(port) {
            i.addrs.insert(a);
        }
        let host = IpPrefix::host(a.ip);
        self.put_config_route(host, RouteAction::Trap, format!("ip2me {port}"))?;
        let subnet = a.subnet();
        if subnet != host {
            self.put_config_route(subnet, RouteAction::Rif(rif), format!("connected {port}"))?;
        }
        Ok(())
    }

    /// `config interface ip remove PORT ADDR/LEN`.
    pub fn remove_address(&mut self, port: &str, a: IfAddr) -> Result<(), DpError> {
        let removed = self
            .ifaces
            .get_mut(port)
            .is_some_and(|i| i.addrs.remove(&a));
        if !removed {
            return Err(DpError {
                op: "remove address",
                msg: format!("{port} has no address {a}"),
            });
        }
        let mut gone = vec![IpPrefix::host(a.ip)];
        let still_used = self
            .ifaces
            .values()
            .flat_map(|i| i.addrs.iter())
            .any(|b| b.subnet() == a.subnet());
        if !still_used && a.subnet() != IpPrefix::host(a.ip) {
            gone.push(a.subnet());
        }
        for p in gone {
            if self.routes.get(&p).is_some_and(|r| r.from_config) {
                self.remove_route_now(p);
            }
        }
        Ok(())
    }

    fn put_config_route(
        &mut self,
        prefix: IpPrefix,
        action: RouteAction,
        desc: String,
    ) -> Result<(), DpError> {
        if let Some(old) = self.routes.get(&prefix) {
            if old.from_config && old.action == action {
                return Ok(());
            }
        }
        self.install(
            prefix,
            Route {
                action,
                hold: Hold::None,
                from_config: true,
                stale: false,
                nh_id: None,
                desc,
            },
        )
    }

    /// Installs (create or set) a route, releasing what the previous version held afterwards.
    /// Inside a batch, creations are deferred to one bulk call at [`Agent::flush`].
    fn install(&mut self, prefix: IpPrefix, route: Route) -> Result<(), DpError> {
        let exists = self.routes.contains_key(&prefix);
        if let Some(b) = self.batch.as_mut() {
            if let Some(c) = b.creates.iter_mut().find(|(p, _)| *p == prefix) {
                // not in the data plane yet: the pending create takes the new action
                c.1 = route.action;
                self.stats.routes_programmed += 1;
                if let Some(old) = self.routes.insert(prefix, route) {
                    self.drop_hold(old.hold);
                }
                return Ok(());
            }
            if !exists {
                b.creates.push((prefix, route.action));
                self.stats.routes_programmed += 1;
                self.routes.insert(prefix, route);
                return Ok(());
            }
        }
        let res = if exists {
            self.dp.set_route(prefix, route.action)
        } else {
            self.dp
                .create_routes(&[(prefix, route.action)])
                .pop()
                .unwrap_or(Ok(()))
        };
        match res {
            Ok(()) => {
                self.stats.routes_programmed += 1;
                if let Some(old) = self.routes.insert(prefix, route) {
                    self.drop_hold(old.hold);
                }
                Ok(())
            }
            Err(e) => {
                self.drop_hold(route.hold);
                Err(self.err(e))
            }
        }
    }

    fn remove_route_now(&mut self, prefix: IpPrefix) {
        let Some(r) = self.routes.remove(&prefix) else {
            return;
        };
        self.stats.routes_removed += 1;
        if let Some(b) = self.batch.as_mut() {
            if let Some(i) = b.creates.iter().position(|(p, _)| *p == prefix) {
                // never reached the data plane
                b.creates.remove(i);
            } else {
                b.removes.push(prefix);
            }
            self.drop_hold(r.hold);
            return;
        }
        if let Some(Err(e)) = self.dp.remove_routes(&[prefix]).pop() {
            self.err(e);
        }
        self.release(&r.hold);
    }

    /// Releases a hold now, or at the end of the batch (after the routes using it are gone).
    fn drop_hold(&mut self, h: Hold) {
        match self.batch.as_mut() {
            Some(b) => b.releases.push(h),
            None => self.release(&h),
        }
    }

    /// Starts a batch: route creations and removals are collected and sent as bulk calls by
    /// [`Agent::flush`] (an FPM replay after a reconnect is thousands of routes).
    pub fn begin_batch(&mut self) {
        if self.batch.is_none() {
            self.batch = Some(Batch::default());
        }
    }

    /// Ends a batch: bulk remove, bulk create, then releases the next hops / groups no longer used.
    pub fn flush(&mut self) {
        let Some(b) = self.batch.take() else {
            return;
        };
        if !b.removes.is_empty() {
            self.stats.bulk_calls += 1;
            let res = self.dp.remove_routes(&b.removes);
            for r in res {
                if let Err(e) = r {
                    self.err(e);
                }
            }
        }
        if !b.creates.is_empty() {
            self.stats.bulk_calls += 1;
            let res = self.dp.create_routes(&b.creates);
            for ((p, _), r) in b.creates.iter().zip(res) {
                if let Err(e) = r {
                    self.err(e);
                    self.stats.routes_programmed -= 1;
                    if let Some(route) = self.routes.remove(p) {
                        self.release(&route.hold);
                    }
                }
            }
        }
        for h in &b.releases {
            self.release(h);
        }
    }

    fn acquire_nh(&mut self, key: (IpAddr, Oid)) -> Result<Oid, DpError> {
        if let Some(e) = self.nhs.get_mut(&key) {
            e.1 += 1;
            return Ok(e.0);
        }
        let oid = self
            .dp
            .create_next_hop(key.0, key.1)
            .map_err(|e| self.err(e))?;
        self.nhs.insert(key, (oid, 1));
        Ok(oid)
    }

    fn release_nh(&mut self, key: &(IpAddr, Oid)) {
        let Some(e) = self.nhs.get_mut(key) else {
            return;
        };
        e.1 -= 1;
        if e.1 == 0 {
            let oid = e.0;
            self.nhs.remove(key);
            if let Err(e) = self.dp.remove_next_hop(oid) {
                self.err(e);
            }
        }
    }

    fn acquire_group(&mut self, key: &[((IpAddr, Oid), u16)]) -> Result<Oid, DpError> {
        if let Some(e) = self.groups.get_mut(key) {
            e.2 += 1;
            return Ok(e.0);
        }
        let mut members = Vec::with_capacity(key.len());
        for (i, (nh, w)) in key.iter().enumerate() {
            match self.acquire_nh(*nh) {
                Ok(o) => members.push((o, *w)),
                Err(e) => {
                    for (nh, _) in &key[..i] {
                        self.release_nh(nh);
                    }
                    return Err(e);
                }
            }
        }
        match self.dp.create_group(&members) {
            Ok((g, m)) => {
                self.groups.insert(key.to_vec(), (g, m, 1));
                Ok(g)
            }
            Err(e) => {
                for (nh, _) in key {
                    self.release_nh(nh);
                }
                Err(self.err(e))
            }
        }
    }

    fn release(&mut self, hold: &Hold) {
        match hold {
            Hold::None => {}
            Hold::Nh(k) => self.release_nh(k),
            Hold::Group(key) => {
                let Some(e) = self.groups.get_mut(key) else {
                    return;
                };
                e.2 -= 1;
                if e.2 == 0 {
                    if let Some((g, members, _)) = self.groups.remove(key) {
                        if let Err(e) = self.dp.remove_group(g, &members) {
                            self.err(e);
                        }
                    }
                    for (nh, _) in key {
                        self.release_nh(nh);
                    }
                }
            }
        }
    }

    fn port_of(&self, oif: u32) -> Option<&str> {
        self.ifindex.get(&oif).map(String::as_str)
    }

    /// Resolves zebra paths to (gateway, rif) keys; connected paths give a RIF action.
    fn resolve_paths(&self, paths: &[Path]) -> Result<(Hold, Option<RouteAction>, String), String> {
        let mut keys = BTreeMap::new();
        let mut desc = Vec::new();
        let mut connected = None;
        for p in paths {
            let Some(port) = self.port_of(p.oif) else {
                continue;
            };
            let Some(rif) = self.rif_of(port) else {
                continue;
            };
            match p.gateway {
                Some(gw) => {
                    *keys.entry((gw, rif)).or_insert(0u16) += p.weight.max(1);
                    desc.push(format!("via {gw} {port}"));
                }
                None => {
                    connected = Some(rif);
                    desc.push(format!("dev {port}"));
                }
            }
        }
        desc.sort();
        let desc = desc.join(", ");
        if keys.is_empty() {
            return match connected {
                Some(rif) => Ok((Hold::None, Some(RouteAction::Rif(rif)), desc)),
                None => Err(format!("no path on a router interface ({paths:?})")),
            };
        }
        if keys.len() == 1 {
            let (k, _) = keys.into_iter().next().ok_or("empty")?;
            return Ok((Hold::Nh(k), None, desc));
        }
        Ok((Hold::Group(keys.into_iter().collect()), None, desc))
    }

    fn zebra_paths(&self, id: u32, depth: u8) -> Option<Result<Vec<Path>, ()>> {
        match self.zebra_nh.get(&id)? {
            NexthopKind::Single(p) => Some(Ok(vec![p.clone()])),
            NexthopKind::Blackhole => Some(Err(())),
            NexthopKind::Group(members) => {
                if depth > 2 {
                    return None;
                }
                let mut out = Vec::new();
                for (m, w) in members {
                    if let Some(Ok(ps)) = self.zebra_paths(*m, depth + 1) {
                        out.extend(ps.into_iter().map(|mut p| {
                            p.weight = *w;
                            p
                        }));
                    }
                }
                Some(Ok(out))
            }
        }
    }

    fn fpm_route(&mut self, r: RouteAdd) {
        if !route_is_relevant(&r) || self.routes.get(&r.prefix).is_some_and(|x| x.from_config) {
            self.stats.routes_filtered += 1;
            return;
        }
        let (nh_id, paths) = match &r.target {
            RouteTarget::Drop => (None, Err(())),
            RouteTarget::Paths(p) => (None, Ok(p.clone())),
            RouteTarget::NexthopId(id) => match self.zebra_paths(*id, 0) {
                Some(p) => (Some(*id), p),
                None => {
                    tracing::warn!("route {}: unknown nexthop id {id}", r.prefix);
                    self.stats.routes_unresolved += 1;
                    self.unresolved(r.prefix);
                    return;
                }
            },
        };
        let (hold, action, desc) = match paths {
            Err(()) => (Hold::None, Some(RouteAction::Drop), "drop".to_string()),
            Ok(paths) => match self.resolve_paths(&paths) {
                Ok(x) => x,
                Err(why) => {
                    tracing::warn!("route {}: {why}", r.prefix);
                    self.stats.routes_unresolved += 1;
                    self.unresolved(r.prefix);
                    return;
                }
            },
        };
        // unchanged (e.g. replay after reconnect): just unmark
        if let Some(old) = self.routes.get_mut(&r.prefix) {
            if old.hold == hold && (action.is_none() || Some(old.action) == action) {
                old.stale = false;
                old.nh_id = nh_id;
                return;
            }
        }
        let action = match (&hold, action) {
            (_, Some(a)) => Ok(a),
            (Hold::Nh(k), None) => self.acquire_nh(*k).map(RouteAction::NextHop),
            (Hold::Group(k), None) => self.acquire_group(k).map(RouteAction::Group),
            (Hold::None, None) => Ok(RouteAction::Drop),
        };
        let Ok(action) = action else {
            return;
        };
        let route = Route {
            action,
            hold,
            from_config: false,
            stale: false,
            nh_id,
            desc,
        };
        let _ = self.install(r.prefix, route);
    }

    /// A route that can no longer be resolved is removed rather than left pointing at a stale path.
    fn unresolved(&mut self, prefix: IpPrefix) {
        if self.routes.get(&prefix).is_some_and(|r| !r.from_config) {
            self.remove_route_now(prefix);
        }
    }

    /// Applies the messages of one FPM frame.
    pub fn apply_fpm(&mut self, msgs: Vec<FpmMsg>) {
        self.stats.fpm_frames += 1;
        for m in msgs {
            self.stats.fpm_msgs += 1;
            match m {
                FpmMsg::RouteAdd(r) => self.fpm_route(r),
                FpmMsg::RouteDel { prefix, table } => {
                    if table == 254 && self.routes.get(&prefix).is_some_and(|r| !r.from_config) {
                        self.remove_route_now(prefix);
                    }
                }
                FpmMsg::NexthopAdd { id, kind } => {
                    let changed = self.zebra_nh.get(&id) != Some(&kind);
                    self.zebra_nh.insert(id, kind);
                    if changed {
                        self.reresolve(id);
                    }
                }
                FpmMsg::NexthopDel { id } => {
                    self.zebra_nh.remove(&id);
                }
                FpmMsg::Other { .. } => {}
            }
        }
    }

    /// Re-resolves routes that use zebra next-hop object `id` (directly or via a group).
    fn reresolve(&mut self, id: u32) {
        let users: Vec<(IpPrefix, u32)> = self
            .routes
            .iter()
            .filter_map(|(p, r)| r.nh_id.map(|n| (*p, n)))
            .filter(|(_, n)| {
                *n == id
                    || matches!(self.zebra_nh.get(n), Some(NexthopKind::Group(g)) if g.iter().any(|(m, _)| *m == id))
            })
            .collect();
        for (prefix, n) in users {
            self.fpm_route(RouteAdd {
                prefix,
                table: 254,
                protocol: 186,
                target: RouteTarget::NexthopId(n),
            });
        }
    }

    /// A new FPM connection: every FPM route becomes stale until zebra's replay refreshes it.
    pub fn begin_resync(&mut self) {
        self.stats.fpm_connections += 1;
        for r in self.routes.values_mut() {
            if !r.from_config {
                r.stale = true;
            }
        }
    }

    /// Ends the replay window: routes zebra did not replay are removed.
    pub fn end_resync(&mut self) -> usize {
        let stale: Vec<IpPrefix> = self
            .routes
            .iter()
            .filter(|(_, r)| r.stale)
            .map(|(p, _)| *p)
            .collect();
        for p in &stale {
            self.remove_route_now(*p);
            self.stats.routes_swept += 1;
        }
        stale.len()
    }

    /// A kernel neighbor (RTM_NEWNEIGH with a usable state): program neighbor entry + next hop.
    pub fn neighbor_set(&mut self, ip: IpAddr, ifindex: u32, mac: Mac) -> Result<(), DpError> {
        let Some(port) = self.port_of(ifindex).map(str::to_string) else {
            return Ok(());
        };
        let Some(rif) = self.rif_of(&port) else {
            return Ok(());
        };
        let key = (ip, port.clone());
        match self.neighbors.get(&key) {
            Some(m) if *m == mac => return Ok(()),
            Some(_) => self
                .dp
                .set_neighbor(ip, rif, mac, false)
                .map_err(|e| self.err(e))?,
            None => {
                self.dp
                    .set_neighbor(ip, rif, mac, true)
                    .map_err(|e| self.err(e))?;
                // neighorch keeps a next hop per resolved neighbor
                self.acquire_nh((ip, rif))?;
            }
        }
        self.neighbors.insert(key, mac);
        self.stats.neighbors_programmed += 1;
        Ok(())
    }

    /// A kernel neighbor went away (RTM_DELNEIGH, or FAILED / INCOMPLETE).
    pub fn neighbor_del(&mut self, ip: IpAddr, ifindex: u32) {
        let Some(port) = self.port_of(ifindex).map(str::to_string) else {
            return;
        };
        let Some(rif) = self.rif_of(&port) else {
            return;
        };
        if self.neighbors.remove(&(ip, port)).is_some() {
            if let Err(e) = self.dp.remove_neighbor(ip, rif) {
                self.err(e);
            }
            self.release_nh(&(ip, rif));
            self.stats.neighbors_programmed += 1;
        }
    }

    /// `show routes`: one line per programmed route.
    pub fn show_routes(&self) -> String {
        let mut s = String::new();
        for (p, r) in &self.routes {
            let _ = writeln!(s, "{p} {}{}", r.desc, if r.stale { " (stale)" } else { "" });
        }
        s
    }

    /// `show sai neighbor IP PORT`: the neighbor entry read back from the data plane.
    pub fn query_neighbor(&self, ip: IpAddr, port: &str) -> Result<Mac, DpError> {
        let rif = self.rif_of(port).ok_or_else(|| DpError {
            op: "query neighbor",
            msg: format!("{port} has no router interface"),
        })?;
        self.dp.query_neighbor(ip, rif)
    }

    /// Next hops in use whose neighbor is not resolved yet, with their port (what neighorch asks
    /// nbrmgrd to resolve).
    pub fn unresolved_next_hops(&self) -> Vec<(IpAddr, String)> {
        let mut out = Vec::new();
        for (ip, rif) in self.nhs.keys() {
            let Some(port) = self
                .ifaces
                .iter()
                .find(|(_, i)| i.rif == Some(*rif))
                .map(|(n, _)| n.clone())
            else {
                continue;
            };
            if !self.neighbors.contains_key(&(*ip, port.clone())) {
                out.push((*ip, port));
            }
        }
        out.sort();
        out
    }

    /// `show neighbors`.
    pub fn show_neighbors(&self) -> String {
        let mut s = String::new();
        for ((ip, port), mac) in &self.neighbors {
            let _ = writeln!(s, "{ip} {mac} {port}");
        }
        s
    }

    /// `show interfaces`.
    pub fn show_interfaces(&self) -> String {
        let mut s = String::new();
        for (name, i) in &self.ifaces {
            let addrs: Vec<String> = i.addrs.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                s,
                "{name} admin {} rif {} {}",
                if i.admin_up { "up" } else { "down" },
                i.rif.map_or("-".to_string(), |r| format!("0x{r:x}")),
                addrs.join(" ")
            );
        }
        s
    }

    /// `show counters`.
    pub fn show_counters(&self) -> String {
        format!(
            "{:?}\nnext_hops {} groups {} routes {}\n",
            self.stats,
            self.nhs.len(),
            self.groups.len(),
            self.routes.len()
        )
    }

    /// Numbers of (routes, next hops, groups, neighbors) held.
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.routes.len(),
            self.nhs.len(),
            self.groups.len(),
            self.neighbors.len(),
        )
    }
}
