//! SAI -> FIB programming throughput against the real forwarder (`ferrosai-fwd` on two `net_null`
//! ports with `no-rx=1`: by default net_null's receive side generates packets without end, and
//! forwarding them took most of a vCPU away from the programming being measured): routes per second from the store's bulk route create (syncd's
//! `sai_bulk_create_route_entry` minus the C key conversion) in batches of 1000 until every
//! route is in the forwarder's FIB (a ring barrier completed after the last one), then the same
//! with single creates, and the bulk remove.
//!
//! `cargo bench -p sai-dataplane --bench program` (root: DPDK). `PROGRAM_ROUTES` (default
//! 1000000), `PROGRAM_BATCH` (default 1000), `PROGRAM_SINGLE` (default = routes),
//! `PROGRAM_NULL_RX=1` (net_null without `no-rx`, as before).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{cpu_seconds, lanemap, Fwd, Scratch};
use sai_dataplane::{Dataplane, Options, RecordingNotifier};
use sai_store::{md, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env(k: &str, d: u32) -> u32 {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}
fn ot(n: &str) -> u32 {
    md::ot_id(n).unwrap()
}
fn a(n: &str, v: AttrValue) -> Attr {
    Attr::new(md::attr_id(n).unwrap(), v)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env("PROGRAM_ROUTES", 1_000_000);
    let batch = env("PROGRAM_BATCH", 1000).max(1);
    let singles = env("PROGRAM_SINGLE", n);
    // PROGRAM_NULL_RX=1: the former setup (net_null receiving its endless traffic), to compare.
    let rx = if env("PROGRAM_NULL_RX", 0) == 1 {
        ""
    } else {
        ",no-rx=1"
    };
    let scratch = Scratch::new("bench");
    let lm = lanemap(&scratch.0, &["Ethernet0", "Ethernet4"]);
    let mut fwd = Fwd::new(
        "sdb",
        &[
            format!("Ethernet0=net_null0{rx}"),
            format!("Ethernet4=net_null1{rx}"),
        ],
        None,
        None,
    );
    fwd.start();
    let sai = Arc::new(
        Sai::new(&Profile::new().with("SAI_VS_INTERFACE_LANE_MAP_FILE", lm.to_str().unwrap()))
            .unwrap(),
    );
    let dp = Dataplane::attach(
        &sai,
        Options::new(&fwd.ring),
        Box::new(Arc::new(RecordingNotifier::default())),
    )
    .unwrap();
    let sw_t = ot("SAI_OBJECT_TYPE_SWITCH");
    let sw = sai
        .create(
            sw_t,
            0,
            vec![a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true))],
        )
        .unwrap();
    let get = |o, n: &str| sai.get(sai.object_type_query(o), o, &[md::attr_id(n).unwrap()]);
    let vr = get(sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID").unwrap()[0]
        .as_oid()
        .unwrap();
    let port = get(sw, "SAI_SWITCH_ATTR_PORT_LIST").unwrap()[0]
        .as_oid_list()
        .unwrap()[0];
    // A RIF, a neighbor and a next hop: the routes forward (as BGP routes do).
    let rif = sai
        .create(
            ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE"),
            sw,
            vec![
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_VIRTUAL_ROUTER_ID",
                    AttrValue::Oid(vr),
                ),
                a(
                    "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                    AttrValue::I32(
                        md::enum_value(
                            "SAI_ROUTER_INTERFACE_ATTR_TYPE",
                            "SAI_ROUTER_INTERFACE_TYPE_PORT",
                        )
                        .unwrap(),
                    ),
                ),
                a("SAI_ROUTER_INTERFACE_ATTR_PORT_ID", AttrValue::Oid(port)),
            ],
        )
        .unwrap();
    let nb = IpAddr::V4(Ipv4Addr::new(192, 168, 0, 2));
    sai.create_entry(
        EntryKey {
            ot: ot("SAI_OBJECT_TYPE_NEIGHBOR_ENTRY"),
            members: vec![
                AttrValue::Oid(sw),
                AttrValue::Oid(rif),
                AttrValue::IpAddr(nb),
            ],
        },
        vec![a(
            "SAI_NEIGHBOR_ENTRY_ATTR_DST_MAC_ADDRESS",
            AttrValue::Mac([2, 0, 0, 0, 0, 2]),
        )],
    )
    .unwrap();
    let nh = sai
        .create(
            ot("SAI_OBJECT_TYPE_NEXT_HOP"),
            sw,
            vec![
                a(
                    "SAI_NEXT_HOP_ATTR_TYPE",
                    AttrValue::I32(
                        md::enum_value("SAI_NEXT_HOP_ATTR_TYPE", "SAI_NEXT_HOP_TYPE_IP").unwrap(),
                    ),
                ),
                a("SAI_NEXT_HOP_ATTR_IP", AttrValue::IpAddr(nb)),
                a("SAI_NEXT_HOP_ATTR_ROUTER_INTERFACE_ID", AttrValue::Oid(rif)),
            ],
        )
        .unwrap();
    dp.sync(Duration::from_secs(30)).unwrap();

    let route_t = ot("SAI_OBJECT_TYPE_ROUTE_ENTRY");
    let key = |i: u32| EntryKey {
        ot: route_t,
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(0x0100_0000 + (i << 8))),
                mask: IpAddr::V4(Ipv4Addr::new(255, 255, 255, 0)),
            }),
        ],
    };
    let nh_attr = a("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID", AttrValue::Oid(nh));
    // CPU time of this process (store + programmer) and of the daemon: the machine is shared,
    // so wall time includes waiting for a core; CPU time does not.
    let dpid = fwd.pid().map(|p| p.to_string()).unwrap_or_default();
    let cpu = || (cpu_seconds("self"), cpu_seconds(&dpid));
    let report = |what: &str, n: u32, api: Duration, total: Duration, c0: (f64, f64)| {
        let c1 = cpu();
        println!(
            "{what:<34} {n:>8} routes: calls {:>7.3} s, in FIB {:>7.3} s = {:>9.0} routes/s end to end; CPU: library {:.2} s, forwarder {:.2} s",
            api.as_secs_f64(),
            total.as_secs_f64(),
            f64::from(n) / total.as_secs_f64(),
            c1.0 - c0.0,
            c1.1 - c0.1,
        );
    };

    // Bulk create, batches as syncd sends them. Request building is outside the timing.
    let batches: Vec<Vec<(EntryKey, Vec<Attr>)>> = (0..n)
        .step_by(batch as usize)
        .map(|s| {
            (s..(s + batch).min(n))
                .map(|i| (key(i), vec![nh_attr.clone()]))
                .collect()
        })
        .collect();
    let c0 = dp.counters();
    let cpu0 = cpu();
    let t = Instant::now();
    for b in batches {
        let r = sai.bulk_create_entries(b, BulkMode::StopOnError);
        assert_eq!(r.status, 0);
    }
    let api = t.elapsed();
    dp.sync(Duration::from_secs(300)).unwrap();
    let total = t.elapsed();
    let c1 = dp.counters();
    assert_eq!(c1.failed(), 0, "{c1:?}");
    report(
        &format!("bulk create (batches of {batch})"),
        n,
        api,
        total,
        cpu0,
    );
    println!(
        "  ring: {} commands in {} bursts",
        c1.sent - c0.sent,
        c1.bursts - c0.bursts
    );

    // Bulk remove.
    let keys: Vec<Vec<EntryKey>> = (0..n)
        .step_by(batch as usize)
        .map(|s| (s..(s + batch).min(n)).map(key).collect())
        .collect();
    let cpu0 = cpu();
    let t = Instant::now();
    for k in &keys {
        let r = sai.bulk_remove_entries(k, BulkMode::StopOnError);
        assert_eq!(r.status, 0);
    }
    let api = t.elapsed();
    dp.sync(Duration::from_secs(300)).unwrap();
    report(
        &format!("bulk remove (batches of {batch})"),
        n,
        api,
        t.elapsed(),
        cpu0,
    );

    // Single creates.
    let items: Vec<EntryKey> = (0..singles).map(key).collect();
    let cpu0 = cpu();
    let t = Instant::now();
    for k in items {
        sai.create_entry(k, vec![nh_attr.clone()]).unwrap();
    }
    let api = t.elapsed();
    dp.sync(Duration::from_secs(300)).unwrap();
    report("single create_route_entry", singles, api, t.elapsed(), cpu0);
    let c2 = dp.counters();
    assert_eq!(c2.failed(), 0, "{c2:?}");
    // The forwarder holds them: spot-check the last one.
    let last = Ipv4Addr::from(0x0100_0000 + ((singles - 1) << 8));
    let fib = fwd
        .cli(&format!("show ip fib {last}/24"))
        .unwrap_or_default();
    assert!(
        fib.contains(&format!("{last}/24")),
        "{last}/24 not in the FIB:\n{fib}"
    );
    drop(dp);
}
