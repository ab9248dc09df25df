//! The default objects match vslib's BCM56850 model (../shared/syncd-discovery-vslib.txt).
mod common;
use common::*;
use sai_store::{AttrValue, Profile};

const LANEMAP: &str = "/work/shared/sairedis-recordings/lanemap.ini";

fn profile() -> Profile {
    let p = Profile::new().with("SAI_VS_SWITCH_TYPE", "SAI_VS_SWITCH_TYPE_BCM56850");
    if std::path::Path::new(LANEMAP).exists() {
        p.with("SAI_VS_INTERFACE_LANE_MAP_FILE", LANEMAP)
    } else {
        eprintln!("NOTE: {LANEMAP} absent, using the built-in identical lane map");
        p
    }
}

#[test]
fn discovery_matches_vslib() {
    let (sai, sw) = new_switch(profile());
    let (by_type, gets) = discover(&sai, sw);
    let want = [
        ("SAI_OBJECT_TYPE_PORT", 33),
        ("SAI_OBJECT_TYPE_VIRTUAL_ROUTER", 1),
        ("SAI_OBJECT_TYPE_STP", 1),
        ("SAI_OBJECT_TYPE_HOSTIF_TRAP_GROUP", 1),
        ("SAI_OBJECT_TYPE_QUEUE", 672),
        ("SAI_OBJECT_TYPE_SCHEDULER_GROUP", 416),
        ("SAI_OBJECT_TYPE_INGRESS_PRIORITY_GROUP", 256),
        ("SAI_OBJECT_TYPE_HASH", 2),
        ("SAI_OBJECT_TYPE_SWITCH", 1),
        ("SAI_OBJECT_TYPE_VLAN", 1),
        ("SAI_OBJECT_TYPE_VLAN_MEMBER", 32),
        ("SAI_OBJECT_TYPE_BRIDGE", 1),
        ("SAI_OBJECT_TYPE_BRIDGE_PORT", 32),
        ("SAI_OBJECT_TYPE_PORT_SERDES", 32),
    ];
    for (n, c) in want {
        assert_eq!(by_type.get(n).copied().unwrap_or(0), c, "{n}: {by_type:?}");
    }
    let total: usize = by_type.values().sum();
    assert_eq!(total, 1481, "{by_type:?}");
    assert_eq!(sai.object_count(), 1481);
    eprintln!("discovered {total} objects with {gets} gets");
}

#[test]
fn switch_read_only_answers() {
    let (sai, sw) = new_switch(profile());
    let ports = get1(&sai, sw, "SAI_SWITCH_ATTR_PORT_LIST").unwrap();
    let ports = ports.as_oid_list().unwrap().to_vec();
    assert_eq!(ports.len(), 32);
    assert_eq!(
        get1(&sai, sw, "SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS").unwrap(),
        AttrValue::U32(32)
    );
    let mut lanes = std::collections::HashSet::new();
    for p in &ports {
        let l = get1(&sai, *p, "SAI_PORT_ATTR_HW_LANE_LIST").unwrap();
        assert_eq!(l.as_u32_list().unwrap().len(), 4);
        for x in l.as_u32_list().unwrap() {
            assert!(lanes.insert(*x), "lane {x} twice");
        }
        assert_eq!(
            get1(&sai, *p, "SAI_PORT_ATTR_QOS_QUEUE_LIST")
                .unwrap()
                .as_oid_list()
                .unwrap()
                .len(),
            20
        );
        assert_eq!(
            get1(&sai, *p, "SAI_PORT_ATTR_QOS_NUMBER_OF_QUEUES").unwrap(),
            AttrValue::U32(20)
        );
        assert_eq!(
            get1(&sai, *p, "SAI_PORT_ATTR_INGRESS_PRIORITY_GROUP_LIST")
                .unwrap()
                .as_oid_list()
                .unwrap()
                .len(),
            8
        );
        assert_eq!(
            get1(&sai, *p, "SAI_PORT_ATTR_QOS_SCHEDULER_GROUP_LIST")
                .unwrap()
                .as_oid_list()
                .unwrap()
                .len(),
            13
        );
        assert_eq!(
            get1(&sai, *p, "SAI_PORT_ATTR_OPER_STATUS").unwrap(),
            ev("SAI_PORT_ATTR_OPER_STATUS", "SAI_PORT_OPER_STATUS_DOWN")
        );
    }
    assert_eq!(
        get1(&sai, ports[0], "SAI_PORT_ATTR_OPER_SPEED").unwrap(),
        AttrValue::U32(40_000)
    );
    // The first port's lanes are eth0's.
    assert_eq!(
        get1(&sai, ports[0], "SAI_PORT_ATTR_HW_LANE_LIST").unwrap(),
        AttrValue::U32List(vec![29, 30, 31, 32])
    );
    let cpu = get1(&sai, sw, "SAI_SWITCH_ATTR_CPU_PORT")
        .unwrap()
        .as_oid()
        .unwrap();
    assert!(!ports.contains(&cpu));
    assert_eq!(
        get1(&sai, cpu, "SAI_PORT_ATTR_QOS_QUEUE_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .len(),
        32
    );
    // The scheduler tree: root has 2 children, level 1 has 8 and 2, leaves 2 queues each.
    let sgs = get1(&sai, ports[0], "SAI_PORT_ATTR_QOS_SCHEDULER_GROUP_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()
        .to_vec();
    let counts: Vec<u32> = sgs
        .iter()
        .map(|g| {
            get1(&sai, *g, "SAI_SCHEDULER_GROUP_ATTR_CHILD_COUNT")
                .unwrap()
                .as_u32()
                .unwrap()
        })
        .collect();
    assert_eq!(counts, vec![2, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    assert_eq!(
        get1(
            &sai,
            sw,
            "SAI_SWITCH_ATTR_QOS_MAX_NUMBER_OF_CHILDS_PER_SCHEDULER_GROUP"
        )
        .unwrap(),
        AttrValue::U32(16)
    );
    assert_eq!(
        get1(&sai, sw, "SAI_SWITCH_ATTR_NUMBER_OF_ECMP_GROUPS").unwrap(),
        AttrValue::U32(512)
    );
    assert_eq!(
        get1(&sai, sw, "SAI_SWITCH_ATTR_SRC_MAC_ADDRESS").unwrap(),
        AttrValue::Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56])
    );
    // Members lists follow the member objects.
    let vlan = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VLAN_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    assert_eq!(
        get1(&sai, vlan, "SAI_VLAN_ATTR_MEMBER_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .len(),
        32
    );
    let br = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_1Q_BRIDGE_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    assert_eq!(
        get1(&sai, br, "SAI_BRIDGE_ATTR_PORT_LIST")
            .unwrap()
            .as_oid_list()
            .unwrap()
            .len(),
        32
    );
    // CRM counters come from the table sizes.
    assert_eq!(
        get1(&sai, sw, "SAI_SWITCH_ATTR_AVAILABLE_IPV4_ROUTE_ENTRY").unwrap(),
        AttrValue::U32(1 << 20)
    );
}

#[test]
fn builder_names_resolve() {
    for n in sai_store::defaults::NAMES_USED {
        assert!(sai_store::md::attr_id(n).is_some(), "{n}");
    }
}

/// Every get vslib answered with SUCCESS during syncd's discovery also succeeds here (on the
/// same number of objects).
#[test]
fn vslib_successful_gets_succeed() {
    let path = "/work/shared/syncd-discovery-vslib.txt";
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("SKIP: {path} absent");
        return;
    };
    let (sai, sw) = new_switch(profile());
    let (_, _) = discover(&sai, sw);
    for line in text.lines().filter(|l| l.contains("SAI_STATUS_SUCCESS")) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (want, attr) = (f[0].parse::<usize>().unwrap(), f[1]);
        let m = sai_headers::meta::attr_by_name(attr).unwrap();
        let keys = sai.object_keys(sw, m.ot).unwrap();
        let ok = keys
            .iter()
            .filter(|k| sai.get_each(m.ot, k, &[m.id]).unwrap()[0].is_ok())
            .count();
        // syncd asks some switch attributes twice (discovery + internal ids), and lanes only of
        // front ports: compare per object.
        let per_object = if m.ot == ot("SAI_OBJECT_TYPE_SWITCH") {
            1
        } else {
            want
        };
        assert!(
            ok >= per_object.min(keys.len()),
            "{attr}: {ok} successful gets, vslib {want}"
        );
    }
}
