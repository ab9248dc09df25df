//! Tests of the state machine over the recording data plane.

use crate::config_db::ConfigDb;
use crate::dp_log::LogDataplane;
use crate::fpm::{decode_frame, FpmMsg, NexthopKind, Path, RouteAdd, RouteTarget};
use crate::state::Agent;

const CFG: &str = r#"{"DEVICE_METADATA":{"localhost":{"mac":"02:fe:00:00:01:00"}},
  "PORT":{"Ethernet0":{"lanes":"0"},"Ethernet4":{"lanes":"4"},"Ethernet8":{"lanes":"8"}},
  "INTERFACE":{"Ethernet0|10.0.1.1/30":{},"Ethernet4|10.20.1.254/24":{},"Ethernet8|10.0.2.1/30":{}}}"#;

fn agent() -> Agent<LogDataplane> {
    let cfg = ConfigDb::parse(CFG).unwrap();
    let mut a = Agent::new(LogDataplane::default(), &cfg);
    a.apply_config(&cfg).unwrap();
    a.set_ifindex(2, "Ethernet0");
    a.set_ifindex(3, "Ethernet4");
    a.set_ifindex(4, "Ethernet8");
    a.dp.ops.clear();
    a
}

fn route(p: &str, target: RouteTarget) -> FpmMsg {
    FpmMsg::RouteAdd(RouteAdd {
        prefix: p.parse().unwrap(),
        table: 254,
        protocol: 186,
        target,
    })
}

fn via(gw: &str, oif: u32) -> Path {
    Path {
        gateway: Some(gw.parse().unwrap()),
        oif,
        weight: 1,
    }
}

#[test]
fn config_creates_rifs_ip2me_and_connected() {
    let cfg = ConfigDb::parse(CFG).unwrap();
    let mut a = Agent::new(LogDataplane::default(), &cfg);
    a.apply_config(&cfg).unwrap();
    let ops = a.dp.ops.join("\n");
    assert!(
        ops.contains("create rif 1 Ethernet0 02:fe:00:00:01:00"),
        "{ops}"
    );
    assert!(ops.contains("create route 10.0.1.1/32 Trap"), "{ops}");
    assert!(ops.contains("create route 10.0.1.0/30 Rif(1)"), "{ops}");
    assert!(ops.contains("create route 10.20.1.0/24 Rif("), "{ops}");
    assert_eq!(a.sizes().0, 6);
}

#[test]
fn bgp_route_from_golden_frame_then_withdraw() {
    let mut a = agent();
    let f: Vec<u8> = [
        "01010040",
        "3c000000180001050000000000000000",
        "021800 00febaa0001 00000000",
    ]
    .concat()
    .replace(' ', "")
    .as_bytes()
    .chunks(2)
    .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap_or(0))
    .collect();
    // (the frame above is deliberately truncated: it must be rejected, not panic)
    assert!(decode_frame(&f).is_err());
    a.apply_fpm(vec![route(
        "10.20.2.0/24",
        RouteTarget::Paths(vec![via("10.0.1.2", 2)]),
    )]);
    assert!(
        a.show_routes()
            .contains("10.20.2.0/24 via 10.0.1.2 Ethernet0"),
        "{}",
        a.show_routes()
    );
    let ops = a.dp.ops.join("\n");
    assert!(ops.contains("create nh 4 10.0.1.2 rif 1"), "{ops}");
    assert!(
        ops.contains("create route 10.20.2.0/24 NextHop(4)"),
        "{ops}"
    );
    a.dp.ops.clear();
    a.apply_fpm(vec![FpmMsg::RouteDel {
        prefix: "10.20.2.0/24".parse().unwrap(),
        table: 254,
    }]);
    assert_eq!(a.dp.ops, vec!["remove route 10.20.2.0/24", "remove nh 4"]);
    assert!(!a.show_routes().contains("10.20.2.0/24"));
}

#[test]
fn nexthop_group_route_and_group_change() {
    let mut a = agent();
    a.apply_fpm(vec![
        FpmMsg::NexthopAdd {
            id: 17,
            kind: NexthopKind::Single(via("10.0.1.2", 2)),
        },
        FpmMsg::NexthopAdd {
            id: 19,
            kind: NexthopKind::Single(via("10.0.2.2", 4)),
        },
        FpmMsg::NexthopAdd {
            id: 18,
            kind: NexthopKind::Group(vec![(17, 1), (19, 1)]),
        },
        route("10.20.2.0/24", RouteTarget::NexthopId(18)),
        route("10.20.3.0/24", RouteTarget::NexthopId(18)),
    ]);
    let ops = a.dp.ops.join("\n");
    assert_eq!(ops.matches("create nhg").count(), 1, "{ops}");
    assert_eq!(ops.matches("create nh ").count(), 2, "{ops}");
    assert!(a
        .show_routes()
        .contains("10.20.2.0/24 via 10.0.1.2 Ethernet0, via 10.0.2.2 Ethernet8"));
    // group shrinks to one member: both routes move to a plain next hop; the group goes away
    a.dp.ops.clear();
    a.apply_fpm(vec![FpmMsg::NexthopAdd {
        id: 18,
        kind: NexthopKind::Group(vec![(17, 1)]),
    }]);
    let ops = a.dp.ops.join("\n");
    assert!(ops.contains("set route 10.20.2.0/24 NextHop("), "{ops}");
    assert!(ops.contains("set route 10.20.3.0/24 NextHop("), "{ops}");
    assert!(ops.contains("remove nhg"), "{ops}");
    // the group is removed only after the second route moved
    let set2 = ops.find("set route 10.20.3.0/24").unwrap();
    assert!(ops.find("remove nhg").unwrap() > set2, "{ops}");
    assert!(
        ops.contains("remove nh "),
        "the 10.0.2.2 next hop is unused now: {ops}"
    );
    let (_, nhs, groups, _) = a.sizes();
    assert_eq!((nhs, groups), (1, 0));
}

#[test]
fn multipath_and_filters() {
    let mut a = agent();
    a.apply_fpm(vec![
        route(
            "10.30.0.0/16",
            RouteTarget::Paths(vec![via("10.0.1.2", 2), via("10.0.2.2", 4)]),
        ),
        route("fe80::/64", RouteTarget::Paths(vec![via("fe80::1", 2)])),
        // owned by config: zebra's view of the connected route is not programmed over it
        route("10.0.1.0/30", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        // unknown interface: unresolved, counted
        route(
            "10.40.0.0/16",
            RouteTarget::Paths(vec![via("10.9.9.9", 99)]),
        ),
        route("10.50.0.0/16", RouteTarget::Drop),
    ]);
    assert_eq!(a.stats.routes_filtered, 2);
    assert_eq!(a.stats.routes_unresolved, 1);
    let ops = a.dp.ops.join("\n");
    assert!(ops.contains("create nhg"), "{ops}");
    assert!(ops.contains("create route 10.50.0.0/16 Drop"), "{ops}");
    assert!(!ops.contains("10.40.0.0"), "{ops}");
}

#[test]
fn reconnect_replay_keeps_routes_and_sweeps_the_rest() {
    let mut a = agent();
    a.begin_resync();
    a.apply_fpm(vec![
        route("10.20.2.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        route("10.20.3.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
    ]);
    assert_eq!(a.end_resync(), 0);
    // connection lost; zebra replays only 10.20.2.0/24
    a.dp.ops.clear();
    a.begin_resync();
    assert!(a.show_routes().contains("(stale)"));
    a.apply_fpm(vec![route(
        "10.20.2.0/24",
        RouteTarget::Paths(vec![via("10.0.1.2", 2)]),
    )]);
    // nothing was touched for the replayed route: no blackhole window
    assert!(a.dp.ops.is_empty(), "{:?}", a.dp.ops);
    assert_eq!(a.end_resync(), 1);
    assert_eq!(a.dp.ops, vec!["remove route 10.20.3.0/24"]);
    assert!(a
        .show_routes()
        .contains("10.20.2.0/24 via 10.0.1.2 Ethernet0\n"));
    assert_eq!(a.stats.routes_swept, 1);
}

#[test]
fn neighbors_program_entries_and_next_hops() {
    let mut a = agent();
    let mac = "02:fe:00:00:02:00".parse().unwrap();
    a.neighbor_set("10.0.1.2".parse().unwrap(), 2, mac).unwrap();
    a.neighbor_set("10.0.1.2".parse().unwrap(), 2, mac).unwrap(); // duplicate: no-op
    a.neighbor_set("10.9.9.9".parse().unwrap(), 77, mac)
        .unwrap(); // not ours
    assert_eq!(a.dp.ops.len(), 2, "{:?}", a.dp.ops);
    assert!(a.dp.ops[0].starts_with("create neighbor 10.0.1.2 rif 1"));
    // a route shares the neighbor's next hop
    a.apply_fpm(vec![route(
        "10.20.2.0/24",
        RouteTarget::Paths(vec![via("10.0.1.2", 2)]),
    )]);
    assert_eq!(a.sizes().1, 1);
    a.neighbor_del("10.0.1.2".parse().unwrap(), 2);
    // the next hop stays while the route uses it
    assert_eq!(a.sizes().1, 1);
    assert!(a
        .dp
        .ops
        .iter()
        .any(|o| o.starts_with("remove neighbor 10.0.1.2")));
}

#[test]
fn data_plane_failure_is_counted_and_state_stays_consistent() {
    let mut a = agent();
    a.dp.fail_prefix = Some("create route 10.20.2.0/24".into());
    a.apply_fpm(vec![route(
        "10.20.2.0/24",
        RouteTarget::Paths(vec![via("10.0.1.2", 2)]),
    )]);
    assert_eq!(a.stats.dp_errors, 1);
    // the next hop created for the failed route was released again
    assert_eq!(a.sizes().1, 0);
    assert!(a.dp.ops.iter().any(|o| o.starts_with("remove nh")));
}

#[test]
fn batch_makes_bulk_calls_in_a_safe_order() {
    let mut a = agent();
    a.apply_fpm(vec![route(
        "10.20.9.0/24",
        RouteTarget::Paths(vec![via("10.0.2.2", 4)]),
    )]);
    a.dp.ops.clear();
    a.begin_batch();
    a.apply_fpm(vec![
        route("10.20.2.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        route("10.20.3.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        route("10.20.4.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        // created then changed inside the batch: one create with the final action
        route("10.20.3.0/24", RouteTarget::Drop),
        // created then withdrawn inside the batch: never reaches the data plane
        route("10.20.5.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
        FpmMsg::RouteDel {
            prefix: "10.20.5.0/24".parse().unwrap(),
            table: 254,
        },
        // an existing route withdrawn: bulk remove; its next hop is released after it
        FpmMsg::RouteDel {
            prefix: "10.20.9.0/24".parse().unwrap(),
            table: 254,
        },
    ]);
    // nothing but the next hop creation reached the data plane yet
    assert!(
        a.dp.ops.iter().all(|o| o.starts_with("create nh")),
        "{:?}",
        a.dp.ops
    );
    a.flush();
    let ops = a.dp.ops.join("\n");
    assert!(ops.contains("bulk create 3 routes"), "{ops}");
    assert!(ops.contains("create route 10.20.3.0/24 Drop"), "{ops}");
    assert!(!ops.contains("10.20.5.0"), "{ops}");
    let rm = ops.find("remove route 10.20.9.0/24").unwrap();
    let rm_nh = ops.rfind("remove nh").unwrap();
    assert!(rm < rm_nh, "next hop removed before its route: {ops}");
    assert_eq!(a.stats.bulk_calls, 2);
    assert_eq!(a.sizes().1, 1, "only 10.0.1.2's next hop is left");
    // a failed create inside a batch is rolled back
    a.dp.fail_prefix = Some("create route 10.20.6.0/24".into());
    a.begin_batch();
    a.apply_fpm(vec![
        route("10.20.6.0/24", RouteTarget::Paths(vec![via("10.0.2.2", 4)])),
        route("10.20.7.0/24", RouteTarget::Paths(vec![via("10.0.1.2", 2)])),
    ]);
    a.flush();
    assert!(!a.show_routes().contains("10.20.6.0/24"));
    assert!(a.show_routes().contains("10.20.7.0/24"));
    assert_eq!(
        a.sizes().1,
        1,
        "the next hop of the failed route was released"
    );
}

#[test]
fn unresolved_next_hops_are_listed_until_their_neighbor_appears() {
    let mut a = agent();
    a.apply_fpm(vec![route(
        "2001:db8:20:2::/64",
        RouteTarget::Paths(vec![via("fe80::fe:ff:fe00:200", 2)]),
    )]);
    assert_eq!(
        a.unresolved_next_hops(),
        vec![(
            "fe80::fe:ff:fe00:200".parse().unwrap(),
            "Ethernet0".to_string()
        )]
    );
    a.neighbor_set(
        "fe80::fe:ff:fe00:200".parse().unwrap(),
        2,
        "02:fe:00:00:02:00".parse().unwrap(),
    )
    .unwrap();
    assert!(a.unresolved_next_hops().is_empty());
}
