//! The SAI data plane: what syncd + orchagent do for the lab's tables, through `sai-client`.
//!
//! Start-up (as portsorch / copporch / routeorch on a cold boot): create the switch
//! (INIT_SWITCH, SRC_MAC, notifications), read CPU port, default VR and PORT_LIST, match config_db
//! PORT lanes to SAI ports, set MTU, create the CoPP trap group and traps (ARP request/response,
//! ND, IP2ME, BGP/BGPv6, TTL error), a NETDEV host interface per port named like the port and the
//! wildcard host-interface table entry, and the default drop routes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use sai_client::ffi as s;
use sai_client::{Attr, Kind, NeighborEntry, ObjectType, RouteEntry, Sai, SaiError, Value};

use crate::config_db::{ConfigDb, Mac};
use crate::prefix::IpPrefix;
use crate::state::{Dataplane, DpError, Oid, RouteAction};

/// The SAI-backed data plane.
pub struct SaiDataplane {
    sai: Sai,
    vr: Oid,
    cpu_port: Oid,
    ports: BTreeMap<String, (Oid, Oid)>,
    defaults: BTreeSet<IpPrefix>,
    /// Traps that could not be created (name, error), reported once at start.
    pub trap_errors: Vec<String>,
}

impl std::fmt::Debug for SaiDataplane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaiDataplane")
            .field("ports", &self.ports)
            .finish()
    }
}

fn dp(op: &'static str) -> impl Fn(SaiError) -> DpError {
    move |e| DpError {
        op,
        msg: e.to_string(),
    }
}

fn s32(v: u32) -> Value {
    Value::S32(s32v(v))
}

fn default_prefixes() -> [IpPrefix; 2] {
    [
        IpPrefix::default_route(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        IpPrefix::default_route(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
    ]
}

impl SaiDataplane {
    /// Loads libsai, creates the switch and the start-up objects for `cfg`'s ports.
    pub fn open(lib: &Path, profile: &[String], cfg: &ConfigDb) -> Result<Self, String> {
        let kv: Vec<(String, String)> = profile
            .iter()
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .ok_or_else(|| format!("profile entry {p:?} is not KEY=VALUE"))
            })
            .collect::<Result<_, _>>()?;
        let mut sai = Sai::load(lib, &kv).map_err(|e| e.to_string())?;
        let sw = sai
            .create_switch(&Sai::switch_init_attrs(cfg.mac.0))
            .map_err(|e| e.to_string())?;
        tracing::info!("switch 0x{sw:x} created");
        let oid = |v: Value| match v {
            Value::Oid(o) => Ok(o),
            other => Err(format!("expected an oid, got {other:?}")),
        };
        let cpu_port = oid(sai
            .get_switch(s::SAI_SWITCH_ATTR_CPU_PORT, Kind::Oid)
            .map_err(|e| e.to_string())?)?;
        let vr = oid(sai
            .get_switch(s::SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID, Kind::Oid)
            .map_err(|e| e.to_string())?)?;
        let Value::OidList(port_list) = sai
            .get_switch(s::SAI_SWITCH_ATTR_PORT_LIST, Kind::OidList)
            .map_err(|e| e.to_string())?
        else {
            return Err("PORT_LIST is not a list".into());
        };
        let mut lanes_of = Vec::new();
        for p in &port_list {
            if let Ok(Value::U32List(l)) = sai.get(
                ObjectType::Port,
                *p,
                s::SAI_PORT_ATTR_HW_LANE_LIST,
                Kind::U32List,
            ) {
                lanes_of.push((*p, l));
            }
        }
        let mut me = SaiDataplane {
            sai,
            vr,
            cpu_port,
            ports: BTreeMap::new(),
            defaults: BTreeSet::new(),
            trap_errors: Vec::new(),
        };
        // ports by lanes (portsorch matches config_db lanes against the SAI ports)
        for pc in cfg.ports.values() {
            let want: BTreeSet<u32> = pc.lanes.iter().copied().collect();
            let port = lanes_of
                .iter()
                .find(|(_, l)| l.iter().copied().collect::<BTreeSet<_>>() == want)
                .or_else(|| {
                    lanes_of
                        .iter()
                        .find(|(_, l)| pc.lanes.first().is_some_and(|f| l.contains(f)))
                })
                .map(|(p, _)| *p)
                .ok_or_else(|| {
                    format!(
                        "PORT|{}: no SAI port has lanes {:?} (SAI ports: {lanes_of:?})",
                        pc.name, pc.lanes
                    )
                })?;
            if let Err(e) = me.sai.set(
                ObjectType::Port,
                port,
                &Attr::new(s::SAI_PORT_ATTR_MTU, Value::U32(pc.mtu)),
            ) {
                tracing::warn!("{}: set MTU: {e}", pc.name);
            }
            let hostif = me
                .sai
                .create(
                    ObjectType::Hostif,
                    &[
                        Attr::new(s::SAI_HOSTIF_ATTR_TYPE, s32(s::SAI_HOSTIF_TYPE_NETDEV)),
                        Attr::new(s::SAI_HOSTIF_ATTR_OBJ_ID, Value::Oid(port)),
                        Attr::new(s::SAI_HOSTIF_ATTR_NAME, Value::Chars(pc.name.clone())),
                    ],
                )
                .map_err(|e| format!("{}: create hostif: {e}", pc.name))?;
            tracing::info!("{}: port 0x{port:x}, hostif 0x{hostif:x}", pc.name);
            me.ports.insert(pc.name.clone(), (port, hostif));
        }
        me.create_traps();
        if let Err(e) = me.sai.create(
            ObjectType::HostifTableEntry,
            &[
                Attr::new(
                    s::SAI_HOSTIF_TABLE_ENTRY_ATTR_TYPE,
                    s32(s::SAI_HOSTIF_TABLE_ENTRY_TYPE_WILDCARD),
                ),
                Attr::new(
                    s::SAI_HOSTIF_TABLE_ENTRY_ATTR_CHANNEL_TYPE,
                    s32(s::SAI_HOSTIF_TABLE_ENTRY_CHANNEL_TYPE_NETDEV_PHYSICAL_PORT),
                ),
            ],
        ) {
            me.trap_errors.push(format!("hostif table entry: {e}"));
        }
        // routeorch: default routes drop
        for p in default_prefixes() {
            let e = me.entry(p);
            match me.sai.create_route(
                &e,
                &[Attr::new(
                    s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
                    s32(s::SAI_PACKET_ACTION_DROP),
                )],
            ) {
                Ok(()) => {
                    me.defaults.insert(p);
                }
                Err(e) => tracing::warn!("default route {p}: {e}"),
            }
        }
        for t in &me.trap_errors {
            tracing::warn!("{t}");
        }
        Ok(me)
    }

    fn create_traps(&mut self) {
        let group = match self.sai.create(
            ObjectType::HostifTrapGroup,
            &[Attr::new(
                s::SAI_HOSTIF_TRAP_GROUP_ATTR_QUEUE,
                Value::U32(4),
            )],
        ) {
            Ok(g) => Some(g),
            Err(e) => {
                self.trap_errors.push(format!("trap group: {e}"));
                None
            }
        };
        let traps = [
            (
                "arp_req",
                s::SAI_HOSTIF_TRAP_TYPE_ARP_REQUEST,
                s::SAI_PACKET_ACTION_COPY,
            ),
            (
                "arp_resp",
                s::SAI_HOSTIF_TRAP_TYPE_ARP_RESPONSE,
                s::SAI_PACKET_ACTION_COPY,
            ),
            (
                "neigh_discovery",
                s::SAI_HOSTIF_TRAP_TYPE_IPV6_NEIGHBOR_DISCOVERY,
                s::SAI_PACKET_ACTION_COPY,
            ),
            (
                "ip2me",
                s::SAI_HOSTIF_TRAP_TYPE_IP2ME,
                s::SAI_PACKET_ACTION_TRAP,
            ),
            (
                "bgp",
                s::SAI_HOSTIF_TRAP_TYPE_BGP,
                s::SAI_PACKET_ACTION_TRAP,
            ),
            (
                "bgpv6",
                s::SAI_HOSTIF_TRAP_TYPE_BGPV6,
                s::SAI_PACKET_ACTION_TRAP,
            ),
            (
                "ttl_error",
                s::SAI_HOSTIF_TRAP_TYPE_TTL_ERROR,
                s::SAI_PACKET_ACTION_TRAP,
            ),
        ];
        for (name, ty, action) in traps {
            let mut attrs = vec![
                Attr::new(s::SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE, s32(ty)),
                Attr::new(s::SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION, s32(action)),
                Attr::new(s::SAI_HOSTIF_TRAP_ATTR_TRAP_PRIORITY, Value::U32(4)),
            ];
            if let Some(g) = group {
                attrs.push(Attr::new(s::SAI_HOSTIF_TRAP_ATTR_TRAP_GROUP, Value::Oid(g)));
            }
            if let Err(e) = self.sai.create(ObjectType::HostifTrap, &attrs) {
                self.trap_errors.push(format!("trap {name}: {e}"));
            }
        }
    }

    fn entry(&self, p: IpPrefix) -> RouteEntry {
        RouteEntry {
            vr: self.vr,
            addr: p.addr(),
            len: p.len(),
        }
    }

    fn route_attrs(&self, a: RouteAction) -> Vec<Attr> {
        let fwd = Attr::new(
            s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
            s32(s::SAI_PACKET_ACTION_FORWARD),
        );
        let nh = |o: Oid| Attr::new(s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Value::Oid(o));
        match a {
            RouteAction::Drop => vec![Attr::new(
                s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
                s32(s::SAI_PACKET_ACTION_DROP),
            )],
            RouteAction::Trap => vec![fwd, nh(self.cpu_port)],
            RouteAction::Rif(o) | RouteAction::NextHop(o) | RouteAction::Group(o) => {
                vec![fwd, nh(o)]
            }
        }
    }

    fn port(&self, name: &str) -> Result<(Oid, Oid), DpError> {
        self.ports.get(name).copied().ok_or_else(|| DpError {
            op: "port",
            msg: format!("no SAI port for {name}"),
        })
    }

    /// Port oper-status events delivered by the library's notification (port oid, status).
    pub fn port_events(&self) -> Vec<(String, i32)> {
        Sai::take_port_events()
            .into_iter()
            .map(|(oid, st)| {
                let name = self
                    .ports
                    .iter()
                    .find(|(_, (p, _))| *p == oid)
                    .map_or_else(|| format!("0x{oid:x}"), |(n, _)| n.clone());
                (name, st)
            })
            .collect()
    }
}

impl Dataplane for SaiDataplane {
    fn create_rif(&mut self, port: &str, mac: Mac, mtu: u32) -> Result<Oid, DpError> {
        let (p, _) = self.port(port)?;
        self.sai
            .create(
                ObjectType::RouterInterface,
                &[
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID,
                        Value::Oid(self.vr),
                    ),
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_TYPE,
                        s32(s::SAI_ROUTER_INTERFACE_TYPE_PORT),
                    ),
                    Attr::new(s::SAI_ROUTER_INTERFACE_ATTR_PORT_ID, Value::Oid(p)),
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS,
                        Value::Mac(mac.0),
                    ),
                    Attr::new(s::SAI_ROUTER_INTERFACE_ATTR_MTU, Value::U32(mtu)),
                ],
            )
            .map_err(dp("create rif"))
    }

    fn remove_rif(&mut self, rif: Oid) -> Result<(), DpError> {
        self.sai
            .remove(ObjectType::RouterInterface, rif)
            .map_err(dp("remove rif"))
    }

    fn set_port_admin(&mut self, port: &str, up: bool) -> Result<(), DpError> {
        let (p, hostif) = self.port(port)?;
        self.sai
            .set(
                ObjectType::Port,
                p,
                &Attr::new(s::SAI_PORT_ATTR_ADMIN_STATE, Value::Bool(up)),
            )
            .map_err(dp("set port admin"))?;
        // portsorch brings the host interface's carrier with the port
        if let Err(e) = self.sai.set(
            ObjectType::Hostif,
            hostif,
            &Attr::new(s::SAI_HOSTIF_ATTR_OPER_STATUS, Value::Bool(up)),
        ) {
            tracing::warn!("{port}: hostif oper status: {e}");
        }
        Ok(())
    }

    fn create_next_hop(&mut self, ip: IpAddr, rif: Oid) -> Result<Oid, DpError> {
        self.sai
            .create(
                ObjectType::NextHop,
                &[
                    Attr::new(s::SAI_NEXT_HOP_ATTR_TYPE, s32(s::SAI_NEXT_HOP_TYPE_IP)),
                    Attr::new(s::SAI_NEXT_HOP_ATTR_IP, Value::Ip(ip)),
                    Attr::new(s::SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID, Value::Oid(rif)),
                ],
            )
            .map_err(dp("create next hop"))
    }

    fn remove_next_hop(&mut self, nh: Oid) -> Result<(), DpError> {
        self.sai
            .remove(ObjectType::NextHop, nh)
            .map_err(dp("remove next hop"))
    }

    fn create_group(&mut self, members: &[(Oid, u16)]) -> Result<(Oid, Vec<Oid>), DpError> {
        let g = self
            .sai
            .create(
                ObjectType::NextHopGroup,
                &[Attr::new(
                    s::SAI_NEXT_HOP_GROUP_ATTR_TYPE,
                    s32(s::SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP),
                )],
            )
            .map_err(dp("create next hop group"))?;
        let mut ms = Vec::with_capacity(members.len());
        for (nh, w) in members {
            match self.sai.create(
                ObjectType::NextHopGroupMember,
                &[
                    Attr::new(
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID,
                        Value::Oid(g),
                    ),
                    Attr::new(
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID,
                        Value::Oid(*nh),
                    ),
                    Attr::new(
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_WEIGHT,
                        Value::U32(u32::from(*w)),
                    ),
                ],
            ) {
                Ok(m) => ms.push(m),
                Err(e) => {
                    let _ = self.remove_group(g, &ms);
                    return Err(dp("create next hop group member")(e));
                }
            }
        }
        Ok((g, ms))
    }

    fn remove_group(&mut self, group: Oid, members: &[Oid]) -> Result<(), DpError> {
        for m in members {
            self.sai
                .remove(ObjectType::NextHopGroupMember, *m)
                .map_err(dp("remove next hop group member"))?;
        }
        self.sai
            .remove(ObjectType::NextHopGroup, group)
            .map_err(dp("remove next hop group"))
    }

    fn create_routes(&mut self, routes: &[(IpPrefix, RouteAction)]) -> Vec<Result<(), DpError>> {
        // default routes exist from start-up: they are changed, not created
        let mut out: Vec<Option<Result<(), DpError>>> = vec![None; routes.len()];
        let mut bulk = Vec::new();
        let mut idx = Vec::new();
        for (i, (p, a)) in routes.iter().enumerate() {
            if self.defaults.contains(p) {
                out[i] = Some(self.set_route(*p, *a));
            } else {
                bulk.push((self.entry(*p), self.route_attrs(*a)));
                idx.push(i);
            }
        }
        for (i, r) in idx.into_iter().zip(self.sai.create_routes(&bulk)) {
            out[i] = Some(r.map_err(dp("create route")));
        }
        out.into_iter()
            .map(|r| {
                r.unwrap_or(Err(DpError {
                    op: "create route",
                    msg: "not executed".into(),
                }))
            })
            .collect()
    }

    fn set_route(&mut self, prefix: IpPrefix, action: RouteAction) -> Result<(), DpError> {
        let e = self.entry(prefix);
        // next hop first, then the action (as routeorch does when leaving DROP)
        let attrs = self.route_attrs(action);
        for a in attrs.iter().rev() {
            self.sai.set_route(&e, a).map_err(dp("set route"))?;
        }
        Ok(())
    }

    fn remove_routes(&mut self, prefixes: &[IpPrefix]) -> Vec<Result<(), DpError>> {
        let mut out = Vec::with_capacity(prefixes.len());
        let mut bulk = Vec::new();
        for p in prefixes {
            if self.defaults.contains(p) {
                // a default route is never removed: back to drop
                out.push(Some(self.set_route(*p, RouteAction::Drop)));
            } else {
                bulk.push(self.entry(*p));
                out.push(None);
            }
        }
        let mut res = self.sai.remove_routes(&bulk).into_iter();
        out.into_iter()
            .map(|o| match o {
                Some(r) => r,
                None => res.next().unwrap_or(Ok(())).map_err(dp("remove route")),
            })
            .collect()
    }

    fn set_neighbor(
        &mut self,
        ip: IpAddr,
        rif: Oid,
        mac: Mac,
        create: bool,
    ) -> Result<(), DpError> {
        let e = NeighborEntry { rif, ip };
        let a = Attr::new(
            s::SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS,
            Value::Mac(mac.0),
        );
        if create {
            self.sai
                .create_neighbor(&e, std::slice::from_ref(&a))
                .map_err(dp("create neighbor"))
        } else {
            self.sai.set_neighbor(&e, &a).map_err(dp("set neighbor"))
        }
    }

    fn remove_neighbor(&mut self, ip: IpAddr, rif: Oid) -> Result<(), DpError> {
        self.sai
            .remove_neighbor(&NeighborEntry { rif, ip })
            .map_err(dp("remove neighbor"))
    }

    fn query_neighbor(&self, ip: IpAddr, rif: Oid) -> Result<Mac, DpError> {
        match self
            .sai
            .get_neighbor(
                &NeighborEntry { rif, ip },
                s::SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS,
                Kind::Mac,
            )
            .map_err(dp("query neighbor"))?
        {
            Value::Mac(m) => Ok(Mac(m)),
            other => Err(DpError {
                op: "query neighbor",
                msg: format!("unexpected value {other:?}"),
            }),
        }
    }

    fn poll_events(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (port, st) in self.port_events() {
            let up = st == s32v(s::SAI_PORT_OPER_STATUS_UP);
            // as portsorch: the host interface's carrier follows the port's oper status
            if let Some((_, hostif)) = self.ports.get(&port) {
                if let Err(e) = self.sai.set(
                    ObjectType::Hostif,
                    *hostif,
                    &Attr::new(s::SAI_HOSTIF_ATTR_OPER_STATUS, Value::Bool(up)),
                ) {
                    out.push(format!("{port}: hostif oper status: {e}"));
                }
            }
            out.push(format!(
                "port {port} oper {}",
                if up { "up" } else { "down" }
            ));
        }
        out.extend(
            Sai::take_shutdown_requests()
                .into_iter()
                .map(|sw| format!("switch 0x{sw:x} requests shutdown")),
        );
        out
    }

    fn query_route(&self, prefix: IpPrefix) -> Result<String, DpError> {
        let e = self.entry(prefix);
        let q = dp("query route");
        let action = match self
            .sai
            .get_route(&e, s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION, Kind::S32)
            .map_err(&q)?
        {
            Value::S32(a) if a == s32v(s::SAI_PACKET_ACTION_DROP) => "drop",
            Value::S32(a) if a == s32v(s::SAI_PACKET_ACTION_FORWARD) => "forward",
            Value::S32(a) if a == s32v(s::SAI_PACKET_ACTION_TRAP) => "trap",
            _ => "other",
        };
        let Value::Oid(nh) = self
            .sai
            .get_route(&e, s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Kind::Oid)
            .map_err(&q)?
        else {
            return Ok(format!("{prefix} {action}"));
        };
        let target = match self.sai.object_type_of(nh) {
            Some(t) if t == s::SAI_OBJECT_TYPE_NEXT_HOP => self.describe_nh(nh),
            Some(t) if t == s::SAI_OBJECT_TYPE_NEXT_HOP_GROUP => {
                let members = match self.sai.get(
                    ObjectType::NextHopGroup,
                    nh,
                    s::SAI_NEXT_HOP_GROUP_ATTR_NEXT_HOP_MEMBER_LIST,
                    Kind::OidList,
                ) {
                    Ok(Value::OidList(m)) => m,
                    _ => Vec::new(),
                };
                let mut parts = Vec::new();
                for m in members {
                    if let Ok(Value::Oid(n)) = self.sai.get(
                        ObjectType::NextHopGroupMember,
                        m,
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID,
                        Kind::Oid,
                    ) {
                        parts.push(self.describe_nh(n));
                    }
                }
                parts.sort();
                format!("group 0x{nh:x} [{}]", parts.join(", "))
            }
            Some(t) if t == s::SAI_OBJECT_TYPE_PORT && nh == self.cpu_port => "cpu port".into(),
            Some(t) if t == s::SAI_OBJECT_TYPE_ROUTER_INTERFACE => {
                format!("rif {}", self.rif_port(nh))
            }
            _ => format!("0x{nh:x}"),
        };
        Ok(format!("{prefix} {action} {target}"))
    }
}

fn s32v(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl SaiDataplane {
    fn rif_port(&self, rif: Oid) -> String {
        match self.sai.get(
            ObjectType::RouterInterface,
            rif,
            s::SAI_ROUTER_INTERFACE_ATTR_PORT_ID,
            Kind::Oid,
        ) {
            Ok(Value::Oid(p)) => self
                .ports
                .iter()
                .find(|(_, (po, _))| *po == p)
                .map_or_else(|| format!("0x{p:x}"), |(n, _)| n.clone()),
            _ => format!("0x{rif:x}"),
        }
    }

    fn describe_nh(&self, nh: Oid) -> String {
        let ip = match self
            .sai
            .get(ObjectType::NextHop, nh, s::SAI_NEXT_HOP_ATTR_IP, Kind::Ip)
        {
            Ok(Value::Ip(ip)) => ip.to_string(),
            _ => "?".into(),
        };
        let port = match self.sai.get(
            ObjectType::NextHop,
            nh,
            s::SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID,
            Kind::Oid,
        ) {
            Ok(Value::Oid(r)) => self.rif_port(r),
            _ => "?".into(),
        };
        format!("via {ip} {port}")
    }
}
