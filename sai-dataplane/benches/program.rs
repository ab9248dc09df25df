//! SAI -> FIB programming throughput against the real forwarder, through libsai's C API.
//!
//! The bench starts a release `ferrosai-fwd` on two `net_null` ports with `no-rx=1` (by default
//! net_null's receive side generates packets without end, and forwarding them took most of a vCPU
//! away from the programming being measured), initialises libsai (the `libsai-rs` rlib: the same
//! code as `libsai.so`) with a profile naming the forwarder's ring, creates a RIF, a neighbor and a
//! next hop, then measures, for 1M IPv4 /24 routes and 200k IPv6 /64 routes via that next hop:
//! - `create_route_entries` (`sai_bulk_create_route_entry_fn`) in batches of 1000, with the
//!   `sai_route_entry_t` / `sai_attribute_t` arrays syncd passes (built before the clock starts);
//! - `remove_route_entries` of the same routes, same batches;
//! - single `create_route_entry` calls.
//!
//! Each phase's clock stops when a ring barrier sent after the last call has completed, i.e.
//! every route is in the forwarder's FIB (the forwarder answers commands in order). CPU = user +
//! system time of this process (the library: C conversion, store, translator, ring) and of the
//! forwarder process (all its threads) during the phase.
//!
//! `cargo bench -p sai-dataplane --bench program` (root: DPDK). `PROGRAM_ROUTES` (default
//! 1000000), `PROGRAM_ROUTES6` (default 200000), `PROGRAM_BATCH` (default 1000),
//! `PROGRAM_SINGLE` (default = routes; the IPv6 single phase does `PROGRAM_ROUTES6`),
//! `PROGRAM_NULL_RX=1` (net_null without `no-rx`, as before).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{cpu_seconds, lanemap, Fwd, Scratch};
use sai_headers::ffi as c;
use sai_store::{md, Attr, AttrValue, EntryKey};
use std::ffi::{c_char, CStr, CString};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
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

// ---- the profile, handed to sai_api_initialize through the service method table ----------------

static PROFILE: OnceLock<Vec<(CString, CString)>> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// # Safety
/// `var` is a NUL-terminated string (SAI contract).
unsafe extern "C" fn profile_get_value(
    _id: c::sai_switch_profile_id_t,
    var: *const c_char,
) -> *const c_char {
    if var.is_null() {
        return std::ptr::null();
    }
    // SAFETY: non-null and NUL-terminated (caller contract).
    let k = unsafe { CStr::from_ptr(var) };
    PROFILE
        .get()
        .and_then(|p| p.iter().find(|(pk, _)| pk.as_c_str() == k))
        .map_or(std::ptr::null(), |(_, v)| v.as_ptr())
}

/// # Safety
/// `var` and `val` are null or valid out-pointers (SAI contract).
unsafe extern "C" fn profile_get_next_value(
    _id: c::sai_switch_profile_id_t,
    var: *mut *const c_char,
    val: *mut *const c_char,
) -> i32 {
    if val.is_null() {
        NEXT.store(0, Ordering::Relaxed);
        return 0;
    }
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    match PROFILE.get().and_then(|p| p.get(i)) {
        Some((k, v)) if !var.is_null() => {
            // SAFETY: both out-pointers are valid (checked non-null; caller contract); the strings
            // live in a static.
            unsafe {
                var.write(k.as_ptr());
                val.write(v.as_ptr());
            }
            0
        }
        _ => -1,
    }
}

static SERVICES: c::sai_service_method_table_t = c::sai_service_method_table_t {
    profile_get_value: Some(profile_get_value),
    profile_get_next_value: Some(profile_get_next_value),
};

// ---- C-layout route entries as syncd passes them -----------------------------------------------

fn prefix4(i: u32) -> (c::sai_ip_prefix_t, Ipv4Addr) {
    let net = 0x0100_0000u32.wrapping_add(i << 8);
    let p = c::sai_ip_prefix_t {
        addr_family: c::SAI_IP_ADDR_FAMILY_IPV4,
        addr: c::sai_ip_addr_t {
            ip4: u32::from_ne_bytes(net.to_be_bytes()),
        },
        mask: c::sai_ip_addr_t {
            ip4: u32::from_ne_bytes(0xffff_ff00u32.to_be_bytes()),
        },
    };
    (p, Ipv4Addr::from(net))
}

/// 2001:db8::/32 + 32 bits of `i` -> a /64.
fn prefix6(i: u32) -> c::sai_ip_prefix_t {
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
}

struct Bench {
    api: c::sai_route_api_t,
    batch: usize,
    dpid: String,
}

impl Bench {
    fn cpu(&self) -> (f64, f64) {
        (cpu_seconds("self"), cpu_seconds(&self.dpid))
    }

    fn sync(&self) {
        sai::notify::dataplane_sync(Duration::from_secs(300)).unwrap();
    }

    fn report(&self, what: &str, n: usize, api: Duration, total: Duration, c0: (f64, f64)) {
        let c1 = self.cpu();
        println!(
            "{what:<34} {n:>8} routes: calls {:>7.3} s, in FIB {:>7.3} s = {:>9.0} routes/s end to end; CPU: library {:.2} s, forwarder {:.2} s",
            api.as_secs_f64(),
            total.as_secs_f64(),
            n as f64 / total.as_secs_f64(),
            c1.0 - c0.0,
            c1.1 - c0.1,
        );
    }

    /// `create_route_entries` over `entries` in batches, each route with `attr`.
    fn bulk_create(
        &self,
        label: &str,
        entries: &[c::sai_route_entry_t],
        attr: &c::sai_attribute_t,
    ) {
        let f = self.api.create_route_entries.unwrap();
        let counts = vec![1u32; self.batch];
        let mut lists: Vec<*const c::sai_attribute_t> = vec![std::ptr::from_ref(attr); self.batch];
        let mut st = vec![c::SAI_STATUS_NOT_EXECUTED; self.batch];
        let c0 = sai::notify::dataplane_counters().unwrap();
        let c1 = self.timed(label, entries.len(), || {
            for chunk in entries.chunks(self.batch) {
                let k = u32::try_from(chunk.len()).unwrap();
                // SAFETY: `chunk.len()` entries, counts, list pointers (each to one attribute
                // that outlives the call) and statuses.
                let r = unsafe {
                    f(
                        k,
                        chunk.as_ptr(),
                        counts.as_ptr(),
                        lists.as_mut_ptr(),
                        c::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
                        st.as_mut_ptr(),
                    )
                };
                assert_eq!(r, c::SAI_STATUS_SUCCESS, "create_route_entries: {st:?}");
            }
        });
        println!(
            "  ring: {} commands in {} bursts",
            c1.sent - c0.sent,
            c1.bursts - c0.bursts
        );
    }

    fn bulk_remove(&self, label: &str, entries: &[c::sai_route_entry_t]) {
        let f = self.api.remove_route_entries.unwrap();
        let mut st = vec![c::SAI_STATUS_NOT_EXECUTED; self.batch];
        self.timed(label, entries.len(), || {
            for chunk in entries.chunks(self.batch) {
                let k = u32::try_from(chunk.len()).unwrap();
                // SAFETY: `chunk.len()` entries and statuses.
                let r = unsafe {
                    f(
                        k,
                        chunk.as_ptr(),
                        c::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
                        st.as_mut_ptr(),
                    )
                };
                assert_eq!(r, c::SAI_STATUS_SUCCESS, "remove_route_entries: {st:?}");
            }
        });
    }

    fn singles(&self, label: &str, entries: &[c::sai_route_entry_t], attr: &c::sai_attribute_t) {
        let f = self.api.create_route_entry.unwrap();
        self.timed(label, entries.len(), || {
            for e in entries {
                // SAFETY: one valid entry and one attribute.
                let r = unsafe { f(e, 1, attr) };
                assert_eq!(r, c::SAI_STATUS_SUCCESS, "create_route_entry");
            }
        });
    }

    /// Runs `calls` (the timed API calls for `n` routes), waits until the forwarder has applied
    /// them, prints the summary line and checks that no command failed; returns the counters.
    fn timed(&self, label: &str, n: usize, calls: impl FnOnce()) -> sai_dataplane::Counters {
        let cpu0 = self.cpu();
        let t = Instant::now();
        calls();
        let api = t.elapsed();
        self.sync();
        self.report(label, n, api, t.elapsed(), cpu0);
        let c1 = sai::notify::dataplane_counters().unwrap();
        assert_eq!(c1.failed(), 0, "{c1:?}");
        c1
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env("PROGRAM_ROUTES", 1_000_000);
    let n6 = env("PROGRAM_ROUTES6", 200_000);
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
    let cs = |s: &str| CString::new(s).unwrap();
    PROFILE
        .set(vec![
            (
                cs("SAI_VS_INTERFACE_LANE_MAP_FILE"),
                cs(lm.to_str().unwrap()),
            ),
            (
                cs(sai_dataplane::PROFILE_RING),
                cs(fwd.ring.to_str().unwrap()),
            ),
        ])
        .unwrap();
    // SAFETY: a static service table whose functions follow the SAI contract.
    let st = unsafe { sai::exports::sai_api_initialize(0, &SERVICES) };
    assert_eq!(st, c::SAI_STATUS_SUCCESS, "sai_api_initialize");
    let mut api_ptr: *mut std::ffi::c_void = std::ptr::null_mut();
    // SAFETY: valid out-pointer.
    let st = unsafe { sai::exports::sai_api_query(c::SAI_API_ROUTE, &mut api_ptr) };
    assert_eq!(st, c::SAI_STATUS_SUCCESS, "sai_api_query(ROUTE)");
    // SAFETY: sai_api_query returned a pointer to the library's static route API table.
    let api = unsafe { *api_ptr.cast::<c::sai_route_api_t>() };

    // Setup (not measured) through the store behind the C API: switch, RIF, neighbor, next hop.
    let sai = sai::current_store().expect("store after sai_api_initialize");
    let sw = sai
        .create(
            ot("SAI_OBJECT_TYPE_SWITCH"),
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
    drop(sai);
    sai::notify::dataplane_sync(Duration::from_secs(30)).unwrap();

    let bench = Bench {
        api,
        batch: batch as usize,
        dpid: fwd.pid().map(|p| p.to_string()).unwrap_or_default(),
    };
    let attr = c::sai_attribute_t {
        id: md::attr_id("SAI_ROUTE_ENTRY_ATTR_NEXT_HOP_ID").unwrap(),
        value: c::sai_attribute_value_t { oid: nh },
    };
    let entry = |destination| c::sai_route_entry_t {
        switch_id: sw,
        vr_id: vr,
        destination,
    };

    // IPv4: the labels are the ones bench/run.sh has parsed since the first version.
    let v4: Vec<c::sai_route_entry_t> = (0..n).map(|i| entry(prefix4(i).0)).collect();
    bench.bulk_create(&format!("bulk create (batches of {batch})"), &v4, &attr);
    bench.bulk_remove(&format!("bulk remove (batches of {batch})"), &v4);
    let s4 = &v4[..(singles.min(n) as usize)];
    bench.singles("single create_route_entry", s4, &attr);
    // The forwarder holds them: spot-check the last one.
    if let Some(i) = singles.min(n).checked_sub(1) {
        let last = prefix4(i).1;
        let fib = fwd
            .cli(&format!("show ip fib {last}/24"))
            .unwrap_or_default();
        assert!(
            fib.contains(&format!("{last}/24")),
            "{last}/24 not in the FIB:\n{fib}"
        );
    }
    // Clear the IPv4 routes (not measured) so that the IPv6 phases start from the same state.
    let f = api.remove_route_entries.unwrap();
    let mut st = vec![0; bench.batch];
    for chunk in s4.chunks(bench.batch) {
        // SAFETY: `chunk.len()` entries and statuses.
        let r = unsafe {
            f(
                u32::try_from(chunk.len()).unwrap(),
                chunk.as_ptr(),
                c::SAI_BULK_OP_ERROR_MODE_STOP_ON_ERROR,
                st.as_mut_ptr(),
            )
        };
        assert_eq!(r, c::SAI_STATUS_SUCCESS);
    }
    bench.sync();

    // IPv6 /64s.
    let v6: Vec<c::sai_route_entry_t> = (0..n6).map(|i| entry(prefix6(i))).collect();
    bench.bulk_create(
        &format!("IPv6 bulk create (batches of {batch})"),
        &v6,
        &attr,
    );
    bench.bulk_remove(&format!("IPv6 bulk remove (batches of {batch})"), &v6);
    bench.singles("IPv6 single create_route_entry", &v6, &attr);

    // SAFETY: no call in flight.
    unsafe { sai::exports::sai_api_uninitialize() };
}
