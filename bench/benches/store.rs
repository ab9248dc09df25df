//! sai-store benchmarks: switch creation with the BCM56850 default objects (1481 objects), bulk
//! route create + remove (10k per iteration), single route create/remove, and a computed get
//! (switch PORT_LIST).
//!
//! Run: `cargo bench -p bench --bench store`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sai_store::{md, Attr, AttrValue, BulkMode, EntryKey, IpPrefix, Profile, Sai};

fn id(n: &str) -> u32 {
    md::attr_id(n).expect("attribute")
}

fn ot(n: &str) -> u32 {
    md::ot_id(n).expect("object type")
}

fn switch(sai: &Sai) -> u64 {
    sai.create(
        ot("SAI_OBJECT_TYPE_SWITCH"),
        0,
        vec![Attr::new(
            id("SAI_SWITCH_ATTR_INIT_SWITCH"),
            AttrValue::Bool(true),
        )],
    )
    .expect("switch")
}

fn route(sw: u64, vr: u64, i: u32) -> EntryKey {
    EntryKey {
        ot: ot("SAI_OBJECT_TYPE_ROUTE_ENTRY"),
        members: vec![
            AttrValue::Oid(sw),
            AttrValue::Oid(vr),
            AttrValue::IpPrefix(IpPrefix {
                addr: IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | (i << 8))),
                mask: IpAddr::V4(Ipv4Addr::new(255, 255, 255, 0)),
            }),
        ],
    }
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("store");
    g.measurement_time(Duration::from_secs(3));
    g.sample_size(10);
    g.bench_function("create_switch_bcm56850", |b| {
        b.iter(|| {
            let sai = Sai::new(&Profile::new()).expect("profile");
            black_box(switch(&sai));
        })
    });

    let sai = Sai::new(&Profile::new()).expect("profile");
    let sw = switch(&sai);
    let vr = sai
        .get(
            ot("SAI_OBJECT_TYPE_SWITCH"),
            sw,
            &[id("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")],
        )
        .expect("vr")[0]
        .as_oid()
        .expect("oid");
    let action = Attr::new(
        id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION"),
        AttrValue::I32(
            md::enum_value(
                "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
                "SAI_PACKET_ACTION_DROP",
            )
            .expect("enum"),
        ),
    );
    const N: u32 = 10_000;
    g.throughput(Throughput::Elements(u64::from(N)));
    g.bench_function("bulk_route_create_remove_10k", |b| {
        b.iter(|| {
            let items: Vec<_> = (0..N)
                .map(|i| (route(sw, vr, i), vec![action.clone()]))
                .collect();
            let st = sai.bulk_create_entries(items, BulkMode::StopOnError);
            assert_eq!(st.status, 0);
            let keys: Vec<_> = (0..N).map(|i| route(sw, vr, i)).collect();
            let st = sai.bulk_remove_entries(&keys, BulkMode::StopOnError);
            assert_eq!(st.status, 0);
        })
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("route_create_remove", |b| {
        let k = route(sw, vr, 77);
        b.iter(|| {
            sai.create_entry(k.clone(), vec![action.clone()])
                .expect("create");
            sai.remove_entry(&k).expect("remove");
        })
    });
    g.bench_function("get_port_list", |b| {
        let sw_t = ot("SAI_OBJECT_TYPE_SWITCH");
        let pl = id("SAI_SWITCH_ATTR_PORT_LIST");
        b.iter(|| black_box(sai.get(sw_t, sw, &[pl]).expect("get")))
    });
    g.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
