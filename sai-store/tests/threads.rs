//! Callers come from several threads: the store is Send + Sync and stays consistent.
mod common;
use common::*;
use sai_store::{AttrValue, EntryKey, IpPrefix, Profile, Sai};
use std::net::{IpAddr, Ipv4Addr};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn concurrent_creates_and_gets() {
    assert_send_sync::<Sai>();
    let (sai, sw) = new_switch(Profile::new());
    let vr = get1(&sai, sw, "SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID")
        .unwrap()
        .as_oid()
        .unwrap();
    let route_t = ot("SAI_OBJECT_TYPE_ROUTE_ENTRY");
    let base = sai.object_count();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let sai = &sai;
            s.spawn(move || {
                for i in 0..2000u32 {
                    let addr = IpAddr::V4(Ipv4Addr::from((t << 24) | (i << 8)));
                    let k = EntryKey {
                        ot: route_t,
                        members: vec![
                            AttrValue::Oid(sw),
                            AttrValue::Oid(vr),
                            AttrValue::IpPrefix(IpPrefix {
                                addr,
                                mask: IpAddr::V4(Ipv4Addr::new(255, 255, 255, 0)),
                            }),
                        ],
                    };
                    sai.create_entry(k, vec![]).unwrap();
                    assert_eq!(
                        get1(sai, sw, "SAI_SWITCH_ATTR_PORT_LIST")
                            .unwrap()
                            .as_oid_list()
                            .unwrap()
                            .len(),
                        32
                    );
                }
            });
        }
    });
    assert_eq!(sai.object_count(), base + 8000);
}
