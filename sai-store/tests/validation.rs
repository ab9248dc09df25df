//! Every validation rule with its exact status; failed calls change nothing.
mod common;
use common::*;
use sai_store::{status, AttrValue, BulkMode, EntryKey, IpPrefix, ObjectKey, Profile, Sai};
use std::net::IpAddr;

fn setup() -> (Sai, u64) {
    new_switch(Profile::new())
}

fn vr_of(sai: &Sai, sw: u64) -> u64 {
    get1(sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")
        .unwrap()
        .as_oid()
        .unwrap()
}

fn port0(sai: &Sai, sw: u64) -> u64 {
    get1(sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0]
}

fn rif_attrs(vr: u64, port: u64) -> Vec<sai_store::Attr> {
    vec![
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
        a("SAI_ROUTER_INTERFACE_ATTR_PORT_ID", AttrValue::Oid(port)),
    ]
}

fn route(sw: u64, vr: u64, p: &str) -> EntryKey {
    let (addr, len) = p.split_once('/').unwrap();
    let addr: IpAddr = addr.parse().unwrap();
    let len: u32 = len.parse().unwrap();
    let mask = match addr {
        IpAddr::V4(_) => IpAddr::V4((u32::MAX.checked_shl(32 - len).unwrap_or(0)).into()),
        IpAddr::V6(_) => IpAddr::V6((u128::MAX.checked_shl(128 - len).unwrap_or(0)).into()),
    };
    EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix { addr, mask }),
        ],
    }
}

/// Asserts that `f` fails with `want` and leaves the state unchanged.
fn fails_cleanly(sai: &Sai, want: i32, f: impl FnOnce(&Sai) -> Result<(), i32>) {
    let before = sai.snapshot_for_replay();
    assert_eq!(f(sai), Err(want), "want {}", status::name(want));
    assert_eq!(
        sai.snapshot_for_replay(),
        before,
        "a failed call changed the state"
    );
}

#[test]
fn create_rules() {
    let (sai, sw) = setup();
    let vr = vr_of(&sai, sw);
    let p = port0(&sai, sw);
    let rif = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let c = |attrs: Vec<sai_store::Attr>| move |s: &Sai| s.create(rif, sw, attrs).map(|_| ());

    // mandatory missing
    fails_cleanly(
        &sai,
        status::MANDATORY_ATTRIBUTE_MISSING,
        c(rif_attrs(vr, p)[..2].to_vec()),
    );
    // unknown attribute id at index 1
    let mut x = rif_attrs(vr, p);
    x.insert(1, sai_store::Attr::new(0x7fff_0000, AttrValue::U32(1)));
    fails_cleanly(&sai, status::unknown_attribute(1), c(x));
    // duplicated id at index 3
    let mut x = rif_attrs(vr, p);
    x.push(x[0].clone());
    fails_cleanly(&sai, status::invalid_attribute(3), c(x));
    // read-only on create at index 1
    let vlan_t = ot("SAI_OBJECT_TYPE_VLAN");
    fails_cleanly(&sai, status::invalid_attribute(1), |s: &Sai| {
        s.create(
            vlan_t,
            sw,
            vec![
                a("SAI_VLAN_ATTR_VLAN_ID", AttrValue::U16(10)),
                a("SAI_VLAN_ATTR_MEMBER_LIST", AttrValue::OidList(vec![])),
            ],
        )
        .map(|_| ())
    });
    // value type at index 0
    let mut x = rif_attrs(vr, p);
    x[0].value = AttrValue::U32(1);
    fails_cleanly(&sai, status::invalid_attr_value(0), c(x));
    // enum out of range at index 1
    let mut x = rif_attrs(vr, p);
    x[1].value = AttrValue::I32(9999);
    fails_cleanly(&sai, status::invalid_attr_value(1), c(x));
    // object id of the wrong type / nonexistent / null
    let mut x = rif_attrs(vr, p);
    x[0].value = AttrValue::Oid(p);
    fails_cleanly(&sai, status::invalid_attr_value(0), c(x));
    let mut x = rif_attrs(vr, p);
    x[0].value = AttrValue::Oid(vr + 0x1000);
    fails_cleanly(&sai, status::invalid_attr_value(0), c(x));
    let mut x = rif_attrs(vr, p);
    x[2].value = AttrValue::Oid(0);
    fails_cleanly(&sai, status::invalid_attr_value(2), c(x));
    // condition not met: PORT_ID with TYPE=LOOPBACK
    let mut x = rif_attrs(vr, p);
    x[1].value = ev(
        "SAI_ROUTER_INTERFACE_ATTR_TYPE",
        "SAI_ROUTER_INTERFACE_TYPE_LOOPBACK",
    );
    fails_cleanly(&sai, status::invalid_attribute(2), c(x));
    // conditional mandatory: TYPE=VLAN requires VLAN_ID
    let mut x = rif_attrs(vr, p);
    x[1].value = ev(
        "SAI_ROUTER_INTERFACE_ATTR_TYPE",
        "SAI_ROUTER_INTERFACE_TYPE_VLAN",
    );
    x.pop();
    fails_cleanly(&sai, status::MANDATORY_ATTRIBUTE_MISSING, c(x));
    // bad switch id, bad object type
    fails_cleanly(&sai, status::INVALID_PARAMETER, |s: &Sai| {
        s.create(rif, vr, rif_attrs(vr, p)).map(|_| ())
    });
    fails_cleanly(&sai, status::INVALID_OBJECT_TYPE, |s: &Sai| {
        s.create(0x7777, sw, vec![]).map(|_| ())
    });
    // KEY attributes are unique: VLAN 1 exists
    let vlan_t = ot("SAI_OBJECT_TYPE_VLAN");
    fails_cleanly(&sai, status::ITEM_ALREADY_EXISTS, |s: &Sai| {
        s.create(
            vlan_t,
            sw,
            vec![a("SAI_VLAN_ATTR_VLAN_ID", AttrValue::U16(1))],
        )
        .map(|_| ())
    });
    let v100 = sai
        .create(
            vlan_t,
            sw,
            vec![a("SAI_VLAN_ATTR_VLAN_ID", AttrValue::U16(100))],
        )
        .unwrap();
    fails_cleanly(&sai, status::ITEM_ALREADY_EXISTS, |s: &Sai| {
        s.create(
            vlan_t,
            sw,
            vec![a("SAI_VLAN_ATTR_VLAN_ID", AttrValue::U16(100))],
        )
        .map(|_| ())
    });
    sai.remove(vlan_t, v100).unwrap();
    // and the good one
    let r = sai.create(rif, sw, rif_attrs(vr, p)).unwrap();
    assert_eq!(sai.object_type_query(r), rif);
    assert_eq!(sai.switch_id_query(r), sw);
}

#[test]
fn set_get_rules_and_defaults() {
    let (sai, sw) = setup();
    let vr = vr_of(&sai, sw);
    let p = port0(&sai, sw);
    let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let rif = sai.create(rif_t, sw, rif_attrs(vr, p)).unwrap();
    // create-only on set
    fails_cleanly(&sai, status::invalid_attribute(0), |s: &Sai| {
        s.set(
            rif_t,
            rif,
            a(
                "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                ev(
                    "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                    "SAI_ROUTER_INTERFACE_TYPE_PORT",
                ),
            ),
        )
    });
    // read-only on set
    let port_t = ot("SAI_OBJECT_TYPE_PORT");
    fails_cleanly(&sai, status::invalid_attribute(0), |s: &Sai| {
        s.set(
            port_t,
            p,
            a(
                "SAI_PORT_ATTR_OPER_STATUS",
                ev("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_UP"),
            ),
        )
    });
    // unknown id on set, bad value on set
    fails_cleanly(&sai, status::unknown_attribute(0), |s: &Sai| {
        s.set(
            port_t,
            p,
            sai_store::Attr::new(0x7fff_0000, AttrValue::U32(1)),
        )
    });
    fails_cleanly(&sai, status::invalid_attr_value(0), |s: &Sai| {
        s.set(port_t, p, a("SAI_PORT_ATTR_MTU", AttrValue::U16(9100)))
    });
    // wrong object for the type, object gone
    fails_cleanly(&sai, status::INVALID_OBJECT_ID, |s: &Sai| {
        s.set(port_t, rif, a("SAI_PORT_ATTR_MTU", AttrValue::U32(9100)))
    });
    sai.set(port_t, p, a("SAI_PORT_ATTR_MTU", AttrValue::U32(9100)))
        .unwrap();
    assert_eq!(
        get1(&sai, p, "SAI_PORT_ATTR_MTU").unwrap(),
        AttrValue::U32(9100)
    );
    // defaults: const, attr-value (the switch's MAC), enum const
    assert_eq!(
        get1(&sai, rif, "SAI_ROUTER_INTERFACE_ATTR_ADMIN_V4_STATE").unwrap(),
        AttrValue::Bool(true)
    );
    assert_eq!(
        get1(&sai, rif, "SAI_ROUTER_INTERFACE_ATTR_SRC_MAC_ADDRESS").unwrap(),
        get1(&sai, sw, "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS").unwrap()
    );
    // get: unknown id at index 1
    assert_eq!(
        sai.get(
            rif_t,
            rif,
            &[id("SAI_ROUTER_INTERFACE_ATTR_TYPE"), 0x7fff_0000]
        ),
        Err(status::unknown_attribute(1))
    );
    // per-attribute results
    let each = sai
        .get_each(
            rif_t,
            &ObjectKey::Oid(rif),
            &[0x7fff_0000, id("SAI_ROUTER_INTERFACE_ATTR_TYPE")],
        )
        .unwrap();
    assert_eq!(each[0], Err(status::unknown_attribute(0)));
    assert!(each[1].is_ok());
    // an attribute without value or default: NOT_IMPLEMENTED (as vslib)
    let q = get1(&sai, p, "SAI_PORT_ATTR_QOS_QUEUE_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0];
    assert_eq!(
        get1(&sai, q, "SAI_QUEUE_ATTR_PARENT_SCHEDULER_NODE"),
        Err(status::NOT_IMPLEMENTED)
    );
    // garbage ids
    assert_eq!(sai.object_type_query(0), 0);
    assert_eq!(sai.object_type_query(0xdead_beef_dead_beef), 0);
    assert_eq!(sai.switch_id_query(0xdead_beef_dead_beef), 0);
    assert_eq!(
        sai.get(rif_t, 0, &[id("SAI_ROUTER_INTERFACE_ATTR_TYPE")]),
        Err(status::INVALID_OBJECT_ID)
    );
}

#[test]
fn list_rules() {
    let (sai, sw) = setup();
    let ports = get1(&sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()
        .to_vec();
    let trap = ot("SAI_OBJECT_TYPE_HOSTIF_TRAP");
    let base = vec![
        a(
            "SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE",
            ev(
                "SAI_HOSTIF_TRAP_ATTR_TRAP_TYPE",
                "SAI_HOSTIF_TRAP_TYPE_LLDP",
            ),
        ),
        a(
            "SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION",
            ev(
                "SAI_HOSTIF_TRAP_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_TRAP",
            ),
        ),
    ];
    let mut rep = base.clone();
    rep.push(a(
        "SAI_HOSTIF_TRAP_ATTR_EXCLUDE_PORT_LIST",
        AttrValue::OidList(vec![ports[0], ports[0]]),
    ));
    fails_cleanly(&sai, status::invalid_attr_value(2), |s: &Sai| {
        s.create(trap, sw, rep).map(|_| ())
    });
    let mut null = base.clone();
    null.push(a(
        "SAI_HOSTIF_TRAP_ATTR_EXCLUDE_PORT_LIST",
        AttrValue::OidList(vec![ports[0], 0]),
    ));
    fails_cleanly(&sai, status::invalid_attr_value(2), |s: &Sai| {
        s.create(trap, sw, null).map(|_| ())
    });
    let mut ok = base.clone();
    ok.push(a(
        "SAI_HOSTIF_TRAP_ATTR_EXCLUDE_PORT_LIST",
        AttrValue::OidList(vec![]),
    ));
    sai.create(trap, sw, ok).unwrap();
    // enum list element out of range
    let hash_t = ot("SAI_OBJECT_TYPE_HASH");
    fails_cleanly(&sai, status::invalid_attr_value(0), |s: &Sai| {
        s.create(
            hash_t,
            sw,
            vec![a(
                "SAI_HASH_ATTR_NATIVE_HASH_FIELD_LIST",
                AttrValue::I32List(vec![9999]),
            )],
        )
        .map(|_| ())
    });
}

#[test]
fn reference_counting_and_removal() {
    let (sai, sw) = setup();
    let vr_t = ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER");
    let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let port_t = ot("SAI_OBJECT_TYPE_PORT");
    let vr = sai.create(vr_t, sw, vec![]).unwrap();
    let p = port0(&sai, sw);
    let rif = sai.create(rif_t, sw, rif_attrs(vr, p)).unwrap();
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| s.remove(vr_t, vr));
    // a neighbor entry holds the RIF
    let nbr = EntryKey {
        ot: ot("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(rif),
            AttrValue::IpAddr("10.0.0.1".parse().unwrap()),
        ],
    };
    sai.create_entry(
        nbr.clone(),
        vec![a(
            "SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS",
            AttrValue::Mac([2, 0, 0, 0, 0, 1]),
        )],
    )
    .unwrap();
    assert_eq!(
        sai.create_entry(
            nbr.clone(),
            vec![a(
                "SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS",
                AttrValue::Mac([2, 0, 0, 0, 0, 1])
            )]
        ),
        Err(status::ITEM_ALREADY_EXISTS)
    );
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| s.remove(rif_t, rif));
    sai.remove_entry(&nbr).unwrap();
    assert_eq!(sai.remove_entry(&nbr), Err(status::ITEM_NOT_FOUND));
    sai.remove(rif_t, rif).unwrap();
    sai.remove(vr_t, vr).unwrap();
    assert_eq!(sai.remove(vr_t, vr), Err(status::ITEM_NOT_FOUND));
    // default objects: the CPU port and default VR are pinned
    let cpu = get1(&sai, sw, "SAI_SWITCH_ATTR_CPU_PORT")
        .unwrap()
        .as_oid()
        .unwrap();
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| s.remove(port_t, cpu));
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| {
        s.remove(vr_t, vr_of(s, sw))
    });
    // a front port is held by its bridge port; queues are owned by the port
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| s.remove(port_t, p));
    let q = get1(&sai, p, "SAI_PORT_ATTR_QOS_QUEUE_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0];
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| {
        s.remove(ot("SAI_OBJECT_TYPE_QUEUE"), q)
    });
    // orchagent's order: VLAN member, bridge port, then the port (with its queues, PGs, SGs, serdes)
    let vlan = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VLAN_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    let br = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    let bp = get1(&sai, br, "SAI_BRIDGE_ATTR_PORT_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0];
    let vm = get1(&sai, vlan, "SAI_VLAN_ATTR_MEMBER_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0];
    fails_cleanly(&sai, status::OBJECT_IN_USE, |s: &Sai| {
        s.remove(ot("SAI_OBJECT_TYPE_BRIDGE_PORT"), bp)
    });
    sai.remove(ot("SAI_OBJECT_TYPE_VLAN_MEMBER"), vm).unwrap();
    sai.remove(ot("SAI_OBJECT_TYPE_BRIDGE_PORT"), bp).unwrap();
    let before = sai.object_count();
    sai.remove(port_t, p).unwrap();
    assert_eq!(before - sai.object_count(), 1 + 20 + 8 + 13 + 1);
    assert_eq!(
        get1(&sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .len(),
        31
    );
    // a new port gets its queues, PGs and scheduler groups
    let np = sai
        .create(
            port_t,
            sw,
            vec![
                a(
                    "SAI_PORT_ATTR_HW_LANE_LIST",
                    AttrValue::U32List(vec![29, 30, 31, 32]),
                ),
                a("SAI_PORT_ATTR_SPEED", AttrValue::U32(100_000)),
            ],
        )
        .unwrap();
    assert_eq!(
        get1(&sai, np, "SAI_PORT_ATTR_QOS_QUEUE_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .len(),
        20
    );
    // removing the switch removes everything
    sai.remove(ot("SAI_OBJECT_TYPE_SWITCH"), sw).unwrap();
    assert_eq!(sai.object_count(), 0);
}

#[test]
fn entries_and_bulk_modes() {
    let (sai, sw) = setup();
    let vr = vr_of(&sai, sw);
    let r1 = route(sw, vr, "10.0.0.0/24");
    let r2 = route(sw, vr, "10.0.1.0/24");
    let drop = a(
        "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
        ev(
            "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
            "SAI_PACKET_ACTION_DROP",
        ),
    );
    sai.create_entry(r1.clone(), vec![drop.clone()]).unwrap();
    assert_eq!(
        sai.create_entry(r1.clone(), vec![]),
        Err(status::ITEM_ALREADY_EXISTS)
    );
    // key validation: nonexistent VR, non-contiguous mask
    let mut bad = r2.clone();
    bad.members[1] = AttrValue::Oid(vr + 0x999);
    fails_cleanly(&sai, status::INVALID_PARAMETER, |s: &Sai| {
        s.create_entry(bad, vec![])
    });
    let mut bad = r2.clone();
    bad.members[2] = AttrValue::IpPrefix(IpPrefix {
        addr: "10.0.0.0".parse().unwrap(),
        mask: "255.0.255.0".parse().unwrap(),
    });
    fails_cleanly(&sai, status::INVALID_PARAMETER, |s: &Sai| {
        s.create_entry(bad, vec![])
    });
    // default for an unset attribute of an entry
    assert_eq!(
        sai.get_entry(&r1, &[id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID")])
            .unwrap()[0],
        AttrValue::Oid(0)
    );
    // bulk, stop on error: item 1 fails (exists), item 2 not executed
    let r3 = route(sw, vr, "10.0.2.0/24");
    let st = sai.bulk_create_entries(
        vec![
            (r2.clone(), vec![]),
            (r1.clone(), vec![]),
            (r3.clone(), vec![]),
        ],
        BulkMode::StopOnError,
    );
    assert_eq!(st.status, status::FAILURE);
    assert_eq!(
        st.statuses,
        vec![
            status::SUCCESS,
            status::ITEM_ALREADY_EXISTS,
            status::NOT_EXECUTED
        ]
    );
    // ignore error: item 2 executed
    let r4 = route(sw, vr, "10.0.3.0/24");
    let st = sai.bulk_create_entries(
        vec![(r1.clone(), vec![]), (r4.clone(), vec![])],
        BulkMode::IgnoreError,
    );
    assert_eq!(
        st.statuses,
        vec![status::ITEM_ALREADY_EXISTS, status::SUCCESS]
    );
    let st = sai.bulk_remove_entries(&[r1.clone(), r2.clone(), r4.clone()], BulkMode::StopOnError);
    assert_eq!(st.status, status::SUCCESS);
    assert_eq!(
        sai.get_entry(&r1, &[id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION")]),
        Err(status::ITEM_NOT_FOUND)
    );
    // OID bulk with a bad item
    let vr_t = ot("SAI_OBJECT_TYPE_VIRTUAL_ROUTER");
    let (st, oids) = sai.bulk_create(
        vr_t,
        sw,
        vec![
            vec![],
            vec![sai_store::Attr::new(0x7fff_0000, AttrValue::Bool(true))],
            vec![],
        ],
        BulkMode::IgnoreError,
    );
    assert_eq!(
        st.statuses,
        vec![
            status::SUCCESS,
            status::unknown_attribute(0),
            status::SUCCESS
        ]
    );
    assert_eq!(oids[1], 0);
    let st = sai.bulk_remove(vr_t, &[oids[0], oids[2]], BulkMode::StopOnError);
    assert_eq!(st.status, status::SUCCESS);
}

#[test]
fn capabilities_and_stats() {
    let (sai, sw) = setup();
    let sw_t = ot("SAI_OBJECT_TYPE_SWITCH");
    let cap = sai
        .query_attribute_capability(sw_t, id("SAI_SWITCH_ATTR_INIT_SWITCH"))
        .unwrap();
    assert!(cap.create_implemented && !cap.set_implemented && cap.get_implemented);
    let dc = ot("SAI_OBJECT_TYPE_DEBUG_COUNTER");
    let reasons = sai
        .query_enum_values_capability(dc, id("SAI_DEBUG_COUNTER_ATTR_IN_DROP_REASON_LIST"))
        .unwrap();
    assert!(reasons.len() > 10);
    assert_eq!(sai.object_type_get_availability(sw, dc).unwrap(), 32);
    assert_eq!(
        sai.query_stats_capability(ot("SAI_OBJECT_TYPE_QUEUE"))
            .unwrap(),
        Vec::<u32>::new()
    );
    let p = port0(&sai, sw);
    assert_eq!(
        sai.get_stats(
            ot("SAI_OBJECT_TYPE_PORT"),
            p,
            &[0],
            sai_store::StatsMode::Read
        ),
        Err(status::NOT_IMPLEMENTED)
    );
    assert_eq!(
        sai.get_stats(
            ot("SAI_OBJECT_TYPE_PORT"),
            p,
            &[0x7fff_ffff],
            sai_store::StatsMode::Read
        ),
        Err(status::INVALID_PARAMETER)
    );
    struct Fake;
    impl sai_store::StatsSource for Fake {
        fn supported(&self, _ot: u32) -> Vec<u32> {
            vec![0, 1]
        }
        fn get(
            &self,
            _ot: u32,
            _o: u64,
            ids: &[u32],
            _m: sai_store::StatsMode,
            out: &mut [u64],
        ) -> Result<(), i32> {
            for (o, i) in out.iter_mut().zip(ids) {
                *o = u64::from(*i) + 100;
            }
            Ok(())
        }
        fn clear(&self, _ot: u32, _o: u64, _ids: &[u32]) -> Result<(), i32> {
            Ok(())
        }
    }
    sai.set_stats_source(Some(std::sync::Arc::new(Fake)));
    assert_eq!(
        sai.get_stats(
            ot("SAI_OBJECT_TYPE_PORT"),
            p,
            &[0, 1],
            sai_store::StatsMode::Read
        )
        .unwrap(),
        vec![100, 101]
    );
    assert_eq!(
        sai.query_stats_capability(ot("SAI_OBJECT_TYPE_PORT"))
            .unwrap(),
        vec![0, 1]
    );
    assert!(sai.maximum_attribute_count(sw_t).unwrap() > 100);
    assert_eq!(
        sai.object_keys(sw, ot("SAI_OBJECT_TYPE_QUEUE"))
            .unwrap()
            .len(),
        672
    );
}

#[test]
fn change_stream_and_snapshot() {
    let sink = sai_store::RecordingSink::default();
    let batches = sink.batches.clone();
    let sai = Sai::new(&Profile::new()).unwrap();
    sai.set_change_sink(Some(Box::new(sink)));
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            0,
            vec![a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true))],
        )
        .unwrap();
    assert_eq!(
        batches.lock().unwrap().len(),
        1,
        "switch creation is one batch"
    );
    let vr = vr_of(&sai, sw);
    sai.create_entry(route(sw, vr, "10.1.0.0/16"), vec![])
        .unwrap();
    let st = sai.bulk_create_entries(
        (0..10)
            .map(|i| (route(sw, vr, &format!("10.2.{i}.0/24")), vec![]))
            .collect(),
        BulkMode::StopOnError,
    );
    assert_eq!(st.status, status::SUCCESS);
    {
        let b = batches.lock().unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[1].len(), 1);
        assert_eq!(b[2].len(), 10);
        assert!(matches!(b[2][0], sai_store::Change::Create { .. }));
    }
    // a failed call emits nothing
    let _ = sai.create_entry(route(sw, vr, "10.1.0.0/16"), vec![]);
    assert_eq!(batches.lock().unwrap().len(), 3);
    // removes are handed over too
    sai.remove_entry(&route(sw, vr, "10.2.0.0/24")).unwrap();
    sai.create_entry(route(sw, vr, "10.2.0.0/24"), vec![])
        .unwrap();
    {
        let b = batches.lock().unwrap();
        assert_eq!(b.len(), 5);
        assert!(
            matches!(&b[3][0], sai_store::Change::Remove { key: ObjectKey::Entry(k), .. } if *k == route(sw, vr, "10.2.0.0/24"))
        );
    }
    // the snapshot is in dependency order: every referenced id is created before it is used
    let snap = sai.snapshot_for_replay();
    let mut created = std::collections::HashSet::new();
    for c in &snap {
        match c {
            sai_store::Change::Create { key, attrs, .. } => {
                if let ObjectKey::Entry(k) = key {
                    assert!(k
                        .members
                        .iter()
                        .flat_map(|m| m.oids())
                        .all(|o| created.contains(&o)));
                }
                for at in attrs.iter() {
                    for o in at.value.oids().filter(|o| *o != 0) {
                        assert!(
                            created.contains(&o) || Some(o) == key.oid(),
                            "forward reference in create"
                        );
                    }
                }
                if let Some(o) = key.oid() {
                    created.insert(o);
                }
            }
            sai_store::Change::Set { attr, .. } => {
                assert!(attr.value.oids().all(|o| o == 0 || created.contains(&o)))
            }
            sai_store::Change::Remove { .. } => panic!("remove in snapshot"),
        }
    }
    assert_eq!(
        snap.iter()
            .filter(|c| matches!(c, sai_store::Change::Create { .. }))
            .count(),
        sai.object_count()
    );
}
