//! 100k routes through the bulk entry API, with timing printed (run with --nocapture to see it).
mod common;
use common::*;
use sai_store::{status, AttrValue, BulkMode, EntryKey, IpPrefix, Profile};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

#[test]
fn bulk_100k_routes() {
    let n: u32 = std::env::var("SAI_STORE_ROUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (sai, sw) = new_switch(Profile::new());
    let vr = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    let port = get1(&sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
        .unwrap()
        .as_oid_list()
        .unwrap()[0];
    let rif_t = ot("SAI_OBJECT_TYPE_ROUTER_INTERFACE");
    let rif = sai
        .create(
            rif_t,
            sw,
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
            ],
        )
        .unwrap();
    let route_t = ot("SAI_OBJECT_TYPE_ROUTE_ENTRY");
    let nh = id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID");
    let key = |i: u32| EntryKey {
        ot: route_t,
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i)),
                mask: IpAddr::V4(Ipv4Addr::BROADCAST),
            }),
        ],
    };
    let items: Vec<_> = (0..n)
        .map(|i| (key(i), vec![sai_store::Attr::new(nh, AttrValue::Oid(rif))]))
        .collect();
    let rss0 = rss_bytes();
    let t = Instant::now();
    let st = sai.bulk_create_entries(items, BulkMode::StopOnError);
    let dt = t.elapsed();
    assert_eq!(st.status, status::SUCCESS);
    eprintln!(
        "bulk create {n} routes: {:?} ({:.0} routes/s)",
        dt,
        f64::from(n) / dt.as_secs_f64()
    );
    if let (Some(a), Some(b)) = (rss0, rss_bytes()) {
        // The request was allocated before rss0 and consumed by the call: approximate.
        eprintln!(
            "resident memory growth: {} bytes/route (approximate)",
            b.saturating_sub(a) / u64::from(n)
        );
    }
    assert_eq!(sai.remove(rif_t, rif), Err(status::OBJECT_IN_USE));
    let avail = get1(&sai, sw, "SAI_SWITCH_ATTR_AVAILABLE_IPV4_ROUTE_ENTRY").unwrap();
    assert_eq!(avail, AttrValue::U32((1 << 20) - n));

    let keys: Vec<EntryKey> = (0..n).map(key).collect();
    let t = Instant::now();
    let st = sai.bulk_remove_entries(&keys, BulkMode::StopOnError);
    let dt = t.elapsed();
    assert_eq!(st.status, status::SUCCESS);
    eprintln!(
        "bulk remove {n} routes: {:?} ({:.0} routes/s)",
        dt,
        f64::from(n) / dt.as_secs_f64()
    );
    sai.remove(rif_t, rif).unwrap();
}

/// Resident set size from /proc (Linux); None elsewhere.
fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
