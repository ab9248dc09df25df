//! Property test: random sequences of create/set/remove (valid and invalid) against a simple
//! HashMap model. The store never diverges from the model, never panics, and a failed call
//! changes nothing.
mod common;
use common::*;
use proptest::prelude::*;
use sai_store::{status, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Clone, Debug)]
enum Op {
    CreateVr {
        v4: bool,
    },
    RemoveVr(usize),
    SetVr(usize, bool),
    CreateRif {
        vr: usize,
        port: usize,
    },
    CreateRifMissingType {
        vr: usize,
    },
    RemoveRif(usize),
    CreateRoute {
        vr: usize,
        prefix: u8,
        nh: Option<usize>,
    },
    RemoveRoute {
        vr: usize,
        prefix: u8,
    },
    SetRouteAction {
        vr: usize,
        prefix: u8,
        action: i32,
    },
    SetReadOnly(usize),
    BulkRoutes {
        vr: usize,
        prefixes: Vec<u8>,
        stop: bool,
    },
    RemoveGarbage(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(|v4| Op::CreateVr { v4 }),
        (0..6usize).prop_map(Op::RemoveVr),
        (0..6usize, any::<bool>()).prop_map(|(i, b)| Op::SetVr(i, b)),
        (0..6usize, 0..3usize).prop_map(|(vr, port)| Op::CreateRif { vr, port }),
        (0..6usize).prop_map(|vr| Op::CreateRifMissingType { vr }),
        (0..6usize).prop_map(Op::RemoveRif),
        (0..6usize, 0..8u8, proptest::option::of(0..6usize))
            .prop_map(|(vr, prefix, nh)| Op::CreateRoute { vr, prefix, nh }),
        (0..6usize, 0..8u8).prop_map(|(vr, prefix)| Op::RemoveRoute { vr, prefix }),
        (0..6usize, 0..8u8, -1..8i32).prop_map(|(vr, prefix, action)| Op::SetRouteAction {
            vr,
            prefix,
            action
        }),
        (0..6usize).prop_map(Op::SetReadOnly),
        (
            0..6usize,
            proptest::collection::vec(0..8u8, 0..6),
            any::<bool>()
        )
            .prop_map(|(vr, prefixes, stop)| Op::BulkRoutes { vr, prefixes, stop }),
        any::<u64>().prop_map(Op::RemoveGarbage),
    ]
}

/// The route key of a route entry key.
fn route_of(k: &EntryKey) -> sai_store::RouteKey {
    match k.members.as_slice() {
        [AttrValue::Oid(sw), AttrValue::Oid(vr), AttrValue::IpPrefix(p)] => sai_store::RouteKey {
            switch_id: *sw,
            vr_id: *vr,
            destination: *p,
        },
        m => panic!("not a route key: {m:?}"),
    }
}

#[derive(Default)]
struct Model {
    /// VR oid -> ADMIN_V4_STATE
    vrs: Vec<(u64, bool)>,
    /// RIF oid -> VR oid
    rifs: Vec<(u64, u64)>,
    /// (vr, prefix) -> (next hop, packet action)
    routes: HashMap<(u64, u8), (u64, i32)>,
}

impl Model {
    fn vr_used(&self, vr: u64) -> bool {
        self.rifs.iter().any(|r| r.1 == vr) || self.routes.keys().any(|k| k.0 == vr)
    }
    fn rif_used(&self, rif: u64) -> bool {
        self.routes.values().any(|v| v.0 == rif)
    }
}

struct World {
    sai: Sai,
    sw: u64,
    ports: Vec<u64>,
    base_count: usize,
    m: Model,
    route_t: u32,
    forward: i32,
    action_values: Vec<i32>,
}

fn lanemap_profile() -> Profile {
    let path = std::env::temp_dir().join(format!("sai-store-model-{}.ini", std::process::id()));
    std::fs::write(&path, "eth0:1,2\neth1:3,4\neth2:5,6\n").unwrap();
    Profile::new().with("SAI_VS_INTERFACE_LANE_MAP_FILE", path.to_str().unwrap())
}

impl World {
    fn new() -> World {
        let (sai, sw) = new_switch(lanemap_profile());
        let ports = get1(&sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .to_vec();
        let base_count = sai.object_count();
        let e = sai_store::md::attr(
            ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
            id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
        )
        .unwrap()
        .enum_info
        .unwrap();
        World {
            sai,
            sw,
            ports,
            base_count,
            m: Model::default(),
            route_t: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
            forward: e.value_of("SAI_PACKET_ACTION_FORWARD").unwrap(),
            action_values: e.members.iter().map(|m| m.1).collect(),
        }
    }

    fn vr(&self, i: usize) -> u64 {
        // Index past the live ones: a removed/never-created id (still well-formed).
        self.m.vrs.get(i).map(|v| v.0).unwrap_or(oid_like(
            self.sw,
            ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER"),
            0xF000 + i as u64,
        ))
    }
    fn rif(&self, i: usize) -> u64 {
        self.m.rifs.get(i).map(|v| v.0).unwrap_or(oid_like(
            self.sw,
            ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE"),
            0xF100 + i as u64,
        ))
    }
    fn key(&self, vr: u64, p: u8) -> EntryKey {
        EntryKey {
            ot: self.route_t,
            members: vec![
                AttrValue::Oid(self.sw),
                AttrValue::Oid(vr),
                AttrValue::IpPrefix(IpPrefix {
                    addr: IpAddr::V4(Ipv4Addr::new(10, p, 0, 0)),
                    mask: IpAddr::V4(Ipv4Addr::new(255, 255, 0, 0)),
                }),
            ],
        }
    }

    fn step(&mut self, op: &Op) {
        let vr_t = ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER");
        let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
        let count_before = self.sai.object_count();
        let ok = match op {
            Op::CreateVr { v4 } => {
                let r = self.sai.create(
                    vr_t,
                    self.sw,
                    vec![a(
                        "SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE",
                        AttrValue::Bool(*v4),
                    )],
                );
                let o = r.expect("valid VR create");
                self.m.vrs.push((o, *v4));
                true
            }
            Op::RemoveVr(i) => {
                let vr = self.vr(*i);
                let r = self.sai.remove(vr_t, vr);
                match self.m.vrs.iter().position(|v| v.0 == vr) {
                    Some(pos) if !self.m.vr_used(vr) => {
                        assert_eq!(r, Ok(()));
                        self.m.vrs.remove(pos);
                        true
                    }
                    Some(_) => {
                        assert_eq!(r, Err(status::OBJECT_IN_USE));
                        false
                    }
                    None => {
                        assert_eq!(r, Err(status::ITEM_NOT_FOUND));
                        false
                    }
                }
            }
            Op::SetVr(i, b) => {
                let vr = self.vr(*i);
                let r = self.sai.set(
                    vr_t,
                    vr,
                    a(
                        "SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE",
                        AttrValue::Bool(*b),
                    ),
                );
                match self.m.vrs.iter_mut().find(|v| v.0 == vr) {
                    Some(v) => {
                        assert_eq!(r, Ok(()));
                        v.1 = *b;
                        true
                    }
                    None => {
                        assert_eq!(r, Err(status::ITEM_NOT_FOUND));
                        false
                    }
                }
            }
            Op::CreateRif { vr, port } => {
                let vr = self.vr(*vr);
                let attrs = vec![
                    a(
                        "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                        AttrValue::Oid(vr),
                    ),
                    a(
                        "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                        ev(
                            "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                            "SAI_ROUTER_INTERFACE_TYPE_PORT",
                        ),
                    ),
                    a(
                        "SAI_ROUTER_INTERFACE_ATTR_PORT_ID",
                        AttrValue::Oid(self.ports[*port]),
                    ),
                ];
                let r = self.sai.create(rif_t, self.sw, attrs);
                if self.m.vrs.iter().any(|v| v.0 == vr) {
                    self.m.rifs.push((r.expect("valid RIF"), vr));
                    true
                } else {
                    assert_eq!(r, Err(status::invalid_attr_value(0)));
                    false
                }
            }
            Op::CreateRifMissingType { vr } => {
                let r = self.sai.create(
                    rif_t,
                    self.sw,
                    vec![a(
                        "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                        AttrValue::Oid(self.vr(*vr)),
                    )],
                );
                assert!(
                    r == Err(status::MANDATORY_ATTRIBUTE_MISSING)
                        || r == Err(status::invalid_attr_value(0)),
                    "{r:?}"
                );
                false
            }
            Op::RemoveRif(i) => {
                let rif = self.rif(*i);
                let r = self.sai.remove(rif_t, rif);
                match self.m.rifs.iter().position(|v| v.0 == rif) {
                    Some(pos) if !self.m.rif_used(rif) => {
                        assert_eq!(r, Ok(()));
                        self.m.rifs.remove(pos);
                        true
                    }
                    Some(_) => {
                        assert_eq!(r, Err(status::OBJECT_IN_USE));
                        false
                    }
                    None => {
                        assert_eq!(r, Err(status::ITEM_NOT_FOUND));
                        false
                    }
                }
            }
            Op::CreateRoute { vr, prefix, nh } => {
                let vr = self.vr(*vr);
                let nh = nh.map(|i| self.rif(i));
                let attrs: Vec<Attr> = nh
                    .iter()
                    .map(|n| a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(*n)))
                    .collect();
                // Both paths: the route call (allocation-free key) and the generic entry call.
                let r = if prefix % 2 == 0 {
                    self.sai
                        .create_route(route_of(&self.key(vr, *prefix)), attrs)
                } else {
                    self.sai.create_entry(self.key(vr, *prefix), attrs)
                };
                let vr_ok = self.m.vrs.iter().any(|v| v.0 == vr);
                let nh_ok = nh.is_none_or(|n| self.m.rifs.iter().any(|r| r.0 == n));
                if !vr_ok {
                    assert_eq!(r, Err(status::INVALID_PARAMETER));
                    false
                } else if self.m.routes.contains_key(&(vr, *prefix)) {
                    assert_eq!(r, Err(status::ITEM_ALREADY_EXISTS));
                    false
                } else if !nh_ok {
                    assert_eq!(r, Err(status::invalid_attr_value(0)));
                    false
                } else {
                    assert_eq!(r, Ok(()));
                    self.m
                        .routes
                        .insert((vr, *prefix), (nh.unwrap_or(0), self.forward));
                    true
                }
            }
            Op::RemoveRoute { vr, prefix } => {
                let vr = self.vr(*vr);
                let r = self.sai.remove_entry(&self.key(vr, *prefix));
                if self.m.routes.remove(&(vr, *prefix)).is_some() {
                    assert_eq!(r, Ok(()));
                    true
                } else {
                    assert_eq!(r, Err(status::ITEM_NOT_FOUND));
                    false
                }
            }
            Op::SetRouteAction { vr, prefix, action } => {
                let vr = self.vr(*vr);
                let r = self.sai.set_entry(
                    &self.key(vr, *prefix),
                    a(
                        "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                        AttrValue::I32(*action),
                    ),
                );
                let valid = self.action_values.contains(action);
                match self.m.routes.get_mut(&(vr, *prefix)) {
                    None => {
                        assert_eq!(r, Err(status::ITEM_NOT_FOUND));
                        false
                    }
                    Some(_) if !valid => {
                        assert_eq!(r, Err(status::invalid_attr_value(0)));
                        false
                    }
                    Some(v) => {
                        assert_eq!(r, Ok(()));
                        v.1 = *action;
                        true
                    }
                }
            }
            Op::SetReadOnly(i) => {
                let r = self.sai.set(
                    ot("SAI_OBJECT_TYPE_PORT"),
                    self.ports[i % self.ports.len()],
                    a("SAI_PORT_ATTR_QOS_QUEUE_LIST", AttrValue::OidList(vec![])),
                );
                assert_eq!(r, Err(status::invalid_attribute(0)));
                false
            }
            Op::BulkRoutes { vr, prefixes, stop } => {
                let vr = self.vr(*vr);
                let vr_ok = self.m.vrs.iter().any(|v| v.0 == vr);
                let items: Vec<_> = prefixes
                    .iter()
                    .map(|p| (self.key(vr, *p), vec![]))
                    .collect();
                let mode = if *stop {
                    BulkMode::StopOnError
                } else {
                    BulkMode::IgnoreError
                };
                // Both paths: the route call (one shared attribute list) and the generic one.
                let st = if prefixes.len() % 2 == 0 {
                    let shared: std::sync::Arc<[Attr]> = Vec::new().into();
                    let routes = items
                        .iter()
                        .map(|(k, _)| (route_of(k), shared.clone()))
                        .collect();
                    self.sai.bulk_create_routes(routes, mode)
                } else {
                    self.sai.bulk_create_entries(items, mode)
                };
                let mut want = Vec::new();
                let mut stopped = false;
                for p in prefixes {
                    let s = if stopped {
                        status::NOT_EXECUTED
                    } else if !vr_ok {
                        status::INVALID_PARAMETER
                    } else if self.m.routes.contains_key(&(vr, *p)) {
                        status::ITEM_ALREADY_EXISTS
                    } else {
                        self.m.routes.insert((vr, *p), (0, self.forward));
                        status::SUCCESS
                    };
                    stopped |= *stop && s != status::SUCCESS && s != status::NOT_EXECUTED;
                    want.push(s);
                }
                assert_eq!(st.statuses, want);
                let all_ok = want.iter().all(|s| *s == status::SUCCESS);
                assert_eq!(
                    st.status,
                    if all_ok {
                        status::SUCCESS
                    } else {
                        status::FAILURE
                    }
                );
                want.contains(&status::SUCCESS)
            }
            Op::RemoveGarbage(g) => {
                let t = self.sai.object_type_query(*g);
                if t != 0 && self.sai.remove(t, *g).is_ok() {
                    panic!("removed a garbage id {g:#x}");
                }
                false
            }
        };
        if !ok {
            assert_eq!(
                self.sai.object_count(),
                count_before,
                "failed op changed the object count"
            );
        }
        self.check();
    }

    fn check(&self) {
        let n = self.base_count + self.m.vrs.len() + self.m.rifs.len() + self.m.routes.len();
        assert_eq!(self.sai.object_count(), n);
        let vr_t = ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER");
        for (vr, v4) in &self.m.vrs {
            assert_eq!(
                self.sai
                    .get(vr_t, *vr, &[id("SAI_VIRTUAL_ROUTER_ATTR_ADMIN_V4_STATE")])
                    .unwrap()[0],
                AttrValue::Bool(*v4)
            );
        }
        let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
        for (rif, vr) in &self.m.rifs {
            assert_eq!(
                self.sai
                    .get(
                        rif_t,
                        *rif,
                        &[id("SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID")]
                    )
                    .unwrap()[0],
                AttrValue::Oid(*vr)
            );
        }
        for ((vr, p), (nh, action)) in &self.m.routes {
            let got = self
                .sai
                .get_entry(
                    &self.key(*vr, *p),
                    &[
                        id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID"),
                        id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
                    ],
                )
                .unwrap();
            assert_eq!(got, vec![AttrValue::Oid(*nh), AttrValue::I32(*action)]);
        }
    }
}

/// A well-formed id of type `t` that the store never allocated (counter far above any used).
fn oid_like(sw: u64, t: u32, n: u64) -> u64 {
    (sw & 0xFF00_0000_0000_0000) | (u64::from(t) << 48) | (0x0000_7000_0000_0000 + n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn store_follows_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut w = World::new();
        for o in &ops {
            w.step(o);
        }
    }
}
