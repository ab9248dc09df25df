//! Library-side cost of bulk route creation, for profiling (callgrind) without a forwarder:
//! store bulk create (batches of 1000) -> change sink -> translator -> ring records (encoded,
//! not sent). `cargo run --release -p sai-dataplane --example route_profile -- [routes]`.

use ring_proto::{Command, Record};
use sai_dataplane::{PortMap, Translator};
use sai_store::{
    md, Attr, AttrValue, BulkMode, Change, ChangeSink, EntryKey, IpPrefix, Profile, Sai,
};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Translator, command buffer, encoded records.
type Shared = Arc<Mutex<(Translator, Vec<Command>, Vec<Record>)>>;

struct Sink(Shared);

impl ChangeSink for Sink {
    fn apply(&mut self, batch: &[Change]) {
        let mut g = self.0.lock().unwrap();
        let (tr, cmds, recs) = &mut *g;
        cmds.clear();
        tr.apply(batch, cmds);
        recs.clear();
        recs.extend(cmds.iter().map(Command::encode));
    }
}

fn a(n: &str, v: AttrValue) -> Attr {
    Attr::new(md::attr_id(n).unwrap(), v)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let sai = Sai::new(&Profile::new()).unwrap();
    let shared = Arc::new(Mutex::new((
        Translator::new(PortMap::new(&[], None)),
        Vec::new(),
        Vec::new(),
    )));
    sai.set_change_sink(Some(Box::new(Sink(Arc::clone(&shared)))));
    let sw = sai
        .create(
            md::ot_id("SAI_OBJECT_TYPE_SWITCH").unwrap(),
            0,
            vec![a("SAI_SWITCH_ATTR_INIT_SWITCH", AttrValue::Bool(true))],
        )
        .unwrap();
    let vr_id = md::attr_id("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID").unwrap();
    let vr = sai.get(sai.object_type_query(sw), sw, &[vr_id]).unwrap()[0]
        .as_oid()
        .unwrap();
    let route_t = md::ot_id("SAI_OBJECT_TYPE_ROUTE_ENTRY").unwrap();
    let drop = md::enum_value(
        "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
        "SAI_PACKET_ACTION_DROP",
    )
    .unwrap();
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
    let act = a("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION", AttrValue::I32(drop));
    let batches: Vec<Vec<(EntryKey, Vec<Attr>)>> = (0..n)
        .step_by(1000)
        .map(|s| {
            (s..(s + 1000).min(n))
                .map(|i| (key(i), vec![act.clone()]))
                .collect()
        })
        .collect();
    let t = Instant::now();
    for b in batches {
        assert_eq!(sai.bulk_create_entries(b, BulkMode::StopOnError).status, 0);
    }
    let c = t.elapsed();
    let keys: Vec<Vec<EntryKey>> = (0..n)
        .step_by(1000)
        .map(|s| (s..(s + 1000).min(n)).map(key).collect())
        .collect();
    let t = Instant::now();
    for k in &keys {
        assert_eq!(sai.bulk_remove_entries(k, BulkMode::StopOnError).status, 0);
    }
    let r = t.elapsed();
    println!(
        "{n} routes: bulk create {:.3} s, bulk remove {:.3} s (store + translator + encode)",
        c.as_secs_f64(),
        r.as_secs_f64()
    );
}
