//! Library-side cost of route programming, for profiling (callgrind) without a forwarder: libsai's
//! C API (the `libsai-rs` rlib, the same code as `libsai.so`) with the C-layout arrays syncd passes
//! -> C conversion -> store -> change sink -> translator -> ring records (encoded, not sent).
//! Phases: bulk create (`create_route_entries`, batches of 1000), bulk remove, single
//! `create_route_entry` calls.
//! `cargo run --release -p sai-dataplane --example route_profile -- [routes] [v6]`.

use ring_proto::{Command, Record};
use sai_dataplane::{PortMap, Translator};
use sai_headers::ffi as c;
use sai_store::{md, Attr, AttrValue, Change, ChangeSink};
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

static SERVICES: c::sai_service_method_table_t = c::sai_service_method_table_t {
    profile_get_value: None,
    profile_get_next_value: None,
};

fn prefix(v6: bool, i: u32) -> c::sai_ip_prefix_t {
    if v6 {
        let net = (0x2001_0db8u128 << 96) | (u128::from(i) << 64);
        c::sai_ip_prefix_t {
            addr_family: c::SAI_IP_ADDR_FAMILY_IPV6,
            addr: c::sai_ip_addr_t {
                ip6: net.to_be_bytes(),
            },
            mask: c::sai_ip_addr_t {
                ip6: (u128::MAX << 64).to_be_bytes(),
            },
        }
    } else {
        let net = 0x0100_0000u32.wrapping_add(i << 8);
        c::sai_ip_prefix_t {
            addr_family: c::SAI_IP_ADDR_FAMILY_IPV4,
            addr: c::sai_ip_addr_t {
                ip4: u32::from_ne_bytes(net.to_be_bytes()),
            },
            mask: c::sai_ip_addr_t {
                ip4: u32::from_ne_bytes(0xffff_ff00u32.to_be_bytes()),
            },
        }
    }
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let v6 = std::env::args().nth(2).is_some_and(|a| a == "v6");
    // SAFETY: a static service table (no profile).
    let st = unsafe { sai::exports::sai_api_initialize(0, &SERVICES) };
    assert_eq!(st, c::SAI_STATUS_SUCCESS);
    let mut p: *mut std::ffi::c_void = std::ptr::null_mut();
    // SAFETY: valid out-pointer.
    let st = unsafe { sai::exports::sai_api_query(c::SAI_API_ROUTE, &mut p) };
    assert_eq!(st, c::SAI_STATUS_SUCCESS);
    // SAFETY: the library's static route API table.
    let api = unsafe { *p.cast::<c::sai_route_api_t>() };
    let sai = sai::current_store().unwrap();
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
            vec![Attr::new(
                md::attr_id("SAI_SWITCH_ATTR_INIT_SWITCH").unwrap(),
                AttrValue::Bool(true),
            )],
        )
        .unwrap();
    let vr_id = md::attr_id("SAI_SWITCH_ATTR_DEFAULT_VIRTUAL_ROUTER_ID").unwrap();
    let vr = sai.get(sai.object_type_query(sw), sw, &[vr_id]).unwrap()[0]
        .as_oid()
        .unwrap();
    drop(sai);
    let drop_action = md::enum_value(
        "SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION",
        "SAI_PACKET_ACTION_DROP",
    )
    .unwrap();
    let attr = c::sai_attribute_t {
        id: md::attr_id("SAI_ROUTE_ENTRY_ATTR_PACKET_ACTION").unwrap(),
        value: c::sai_attribute_value_t { s32: drop_action },
    };
    let entries: Vec<c::sai_route_entry_t> = (0..n)
        .map(|i| c::sai_route_entry_t {
            switch_id: sw,
            vr_id: vr,
            destination: prefix(v6, i),
        })
        .collect();
    let counts = vec![1u32; 1000];
    let mut lists = vec![std::ptr::from_ref(&attr); 1000];
    let mut st = vec![0; 1000];
    let (create, remove, single) = (
        api.create_route_entries.unwrap(),
        api.remove_route_entries.unwrap(),
        api.create_route_entry.unwrap(),
    );
    let t = Instant::now();
    for ch in entries.chunks(1000) {
        let k = u32::try_from(ch.len()).unwrap();
        // SAFETY: k entries, counts, list pointers and statuses.
        let r = unsafe {
            create(
                k,
                ch.as_ptr(),
                counts.as_ptr(),
                lists.as_mut_ptr(),
                c::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
                st.as_mut_ptr(),
            )
        };
        assert_eq!(r, c::SAI_STATUS_SUCCESS);
    }
    let tc = t.elapsed();
    let t = Instant::now();
    for ch in entries.chunks(1000) {
        let k = u32::try_from(ch.len()).unwrap();
        // SAFETY: k entries and statuses.
        let r = unsafe {
            remove(
                k,
                ch.as_ptr(),
                c::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
                st.as_mut_ptr(),
            )
        };
        assert_eq!(r, c::SAI_STATUS_SUCCESS);
    }
    let tr = t.elapsed();
    let t = Instant::now();
    for e in &entries {
        // SAFETY: one entry, one attribute.
        let r = unsafe { single(e, 1, &attr) };
        assert_eq!(r, c::SAI_STATUS_SUCCESS);
    }
    let ts = t.elapsed();
    let sai = sai::current_store().unwrap();
    assert_eq!(sai.read_routes(|r| r.len()), n as usize);
    println!(
        "{n} {} routes through the C API: bulk create {:.3} s, bulk remove {:.3} s, single creates {:.3} s (C conversion + store + translator + encode)",
        if v6 { "IPv6" } else { "IPv4" },
        tc.as_secs_f64(),
        tr.as_secs_f64(),
        ts.as_secs_f64()
    );
}
