//! sai-client against the workspace's own libsai.so (built by `cargo build -p libsai-rs`).
//! The library path comes from SAI_CLIENT_LIBSAI, else target/{release,debug}/libsai.so.
//! When no library has been built the test says so and does nothing.

use std::net::IpAddr;
use std::path::PathBuf;

use sai_client::ffi as s;
use sai_client::{Attr, Kind, NeighborEntry, ObjectType, RouteEntry, Sai, Value};

fn libsai() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SAI_CLIENT_LIBSAI") {
        return Some(PathBuf::from(p));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var("CARGO_TARGET_DIR").map_or(root.join("target"), PathBuf::from);
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("libsai.so"))
        .find(|p| p.exists())
}

fn s32(v: u32) -> Value {
    Value::S32(i32::try_from(v).unwrap())
}

#[test]
fn switch_rifs_next_hops_groups_routes_neighbors() {
    let Some(lib) = libsai() else {
        eprintln!(
            "SKIPPED: no libsai.so built (cargo build -p libsai-rs) and SAI_CLIENT_LIBSAI unset"
        );
        return;
    };
    let mut sai = Sai::load(
        &lib,
        &[(
            "SAI_VS_SWITCH_TYPE".into(),
            "SAI_VS_SWITCH_TYPE_BCM56850".into(),
        )],
    )
    .unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    let mac = [2, 0xfe, 0, 0, 1, 0];
    let sw = sai.create_switch(&Sai::switch_init_attrs(mac)).unwrap();
    assert_eq!(sai.object_type_of(sw), Some(s::SAI_OBJECT_TYPE_SWITCH));
    let Value::Oid(vr) = sai
        .get_switch(s::SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID, Kind::Oid)
        .unwrap()
    else {
        panic!()
    };
    let Value::Oid(cpu) = sai
        .get_switch(s::SAI_SWITCH_ATTR_CPU_PORT, Kind::Oid)
        .unwrap()
    else {
        panic!()
    };
    let Value::OidList(ports) = sai
        .get_switch(s::SAI_SWITCH_ATTR_PORT_LIST, Kind::OidList)
        .unwrap()
    else {
        panic!()
    };
    assert!(ports.len() >= 2, "{ports:?}");
    let Value::U32List(lanes) = sai
        .get(
            ObjectType::Port,
            ports[0],
            s::SAI_PORT_ATTR_HW_LANE_LIST,
            Kind::U32List,
        )
        .unwrap()
    else {
        panic!()
    };
    assert!(!lanes.is_empty());
    sai.set(
        ObjectType::Port,
        ports[0],
        &Attr::new(s::SAI_PORT_ATTR_ADMIN_STATE, Value::Bool(true)),
    )
    .unwrap();
    assert_eq!(
        sai.get(
            ObjectType::Port,
            ports[0],
            s::SAI_PORT_ATTR_ADMIN_STATE,
            Kind::Bool
        )
        .unwrap(),
        Value::Bool(true)
    );
    let mut rifs = Vec::new();
    for p in &ports[..2] {
        rifs.push(
            sai.create(
                ObjectType::RouterInterface,
                &[
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID,
                        Value::Oid(vr),
                    ),
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_TYPE,
                        s32(s::SAI_ROUTER_INTERFACE_TYPE_PORT),
                    ),
                    Attr::new(s::SAI_ROUTER_INTERFACE_ATTR_PORT_ID, Value::Oid(*p)),
                    Attr::new(
                        s::SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS,
                        Value::Mac(mac),
                    ),
                ],
            )
            .unwrap(),
        );
    }
    assert_eq!(
        sai.object_type_of(rifs[0]),
        Some(s::SAI_OBJECT_TYPE_ROUTER_INTERFACE)
    );
    // a RIF without its mandatory TYPE is refused with a precise status
    let e = sai
        .create(
            ObjectType::RouterInterface,
            &[Attr::new(
                s::SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID,
                Value::Oid(vr),
            )],
        )
        .unwrap_err();
    assert_ne!(e.status, 0);
    let gw: [IpAddr; 2] = ["10.0.1.2".parse().unwrap(), "10.0.2.2".parse().unwrap()];
    let neigh = NeighborEntry {
        rif: rifs[0],
        ip: gw[0],
    };
    sai.create_neighbor(
        &neigh,
        &[Attr::new(
            s::SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS,
            Value::Mac([2, 0xfe, 0, 0, 2, 0]),
        )],
    )
    .unwrap();
    assert_eq!(
        sai.get_neighbor(
            &neigh,
            s::SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS,
            Kind::Mac
        )
        .unwrap(),
        Value::Mac([2, 0xfe, 0, 0, 2, 0])
    );
    let nhs: Vec<u64> = gw
        .iter()
        .zip(&rifs)
        .map(|(ip, rif)| {
            sai.create(
                ObjectType::NextHop,
                &[
                    Attr::new(s::SAI_NEXT_HOP_ATTR_TYPE, s32(s::SAI_NEXT_HOP_TYPE_IP)),
                    Attr::new(s::SAI_NEXT_HOP_ATTR_IP, Value::Ip(*ip)),
                    Attr::new(s::SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID, Value::Oid(*rif)),
                ],
            )
            .unwrap()
        })
        .collect();
    assert_eq!(
        sai.get(
            ObjectType::NextHop,
            nhs[1],
            s::SAI_NEXT_HOP_ATTR_IP,
            Kind::Ip
        )
        .unwrap(),
        Value::Ip(gw[1])
    );
    let grp = sai
        .create(
            ObjectType::NextHopGroup,
            &[Attr::new(
                s::SAI_NEXT_HOP_GROUP_ATTR_TYPE,
                s32(s::SAI_NEXT_HOP_GROUP_TYPE_DYNAMIC_UNORDERED_ECMP),
            )],
        )
        .unwrap();
    let members: Vec<u64> = nhs
        .iter()
        .map(|nh| {
            sai.create(
                ObjectType::NextHopGroupMember,
                &[
                    Attr::new(
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_GROUP_ID,
                        Value::Oid(grp),
                    ),
                    Attr::new(
                        s::SAI_NEXT_HOP_GROUP_MEMBER_ATTR_NEXT_HOP_ID,
                        Value::Oid(*nh),
                    ),
                ],
            )
            .unwrap()
        })
        .collect();
    // routes: bulk create (one via the group, one via a next hop, one to the CPU, one drop)
    let fwd = || {
        Attr::new(
            s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
            s32(s::SAI_PACKET_ACTION_FORWARD),
        )
    };
    let nh = |o| Attr::new(s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Value::Oid(o));
    let e = |a: &str, len| RouteEntry {
        vr,
        addr: a.parse().unwrap(),
        len,
    };
    let routes = vec![
        (e("10.20.2.0", 24), vec![fwd(), nh(grp)]),
        (e("10.30.0.0", 16), vec![fwd(), nh(nhs[0])]),
        (e("10.0.1.1", 32), vec![fwd(), nh(cpu)]),
        (
            e("2001:db8::", 32),
            vec![Attr::new(
                s::SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION,
                s32(s::SAI_PACKET_ACTION_DROP),
            )],
        ),
    ];
    for r in sai.create_routes(&routes) {
        r.unwrap();
    }
    // duplicate: a per-entry error, not a crash
    let dup = sai.create_routes(&routes[..1]);
    assert!(dup[0].is_err(), "{dup:?}");
    assert_eq!(
        sai.get_route(&routes[0].0, s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Kind::Oid)
            .unwrap(),
        Value::Oid(grp)
    );
    sai.set_route(&routes[0].0, &nh(nhs[1])).unwrap();
    assert_eq!(
        sai.get_route(&routes[0].0, s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Kind::Oid)
            .unwrap(),
        Value::Oid(nhs[1])
    );
    let keys: Vec<RouteEntry> = routes.iter().map(|r| r.0).collect();
    for r in sai.remove_routes(&keys) {
        r.unwrap();
    }
    assert!(sai
        .get_route(&keys[0], s::SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID, Kind::Oid)
        .is_err());
    for m in members {
        sai.remove(ObjectType::NextHopGroupMember, m).unwrap();
    }
    sai.remove(ObjectType::NextHopGroup, grp).unwrap();
    for n in nhs {
        sai.remove(ObjectType::NextHop, n).unwrap();
    }
    sai.remove_neighbor(&neigh).unwrap();
    for r in rifs {
        sai.remove(ObjectType::RouterInterface, r).unwrap();
    }
    sai.remove_switch().unwrap();
}
