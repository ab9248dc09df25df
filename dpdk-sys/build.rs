//! Finds DPDK through pkg-config, generates bindings for the small part of the API the forwarder uses,
//! and compiles the C shim over DPDK's `static inline` functions.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=wrapper.h");
    println!("cargo:rerun-if-changed=shim/ferro_shim.h");
    println!("cargo:rerun-if-changed=shim/ferro_shim.c");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    // Link arguments (shared libraries) come from pkg-config.
    let lib = pkg_config::Config::new()
        .atleast_version("22.11")
        .probe("libdpdk")
        .expect("libdpdk not found by pkg-config: install libdpdk-dev (scripts/install-deps.sh)");
    // rte_eth_from_rings lives in the ring PMD and rte_vdev_init in the vdev bus driver; both are
    // symlinks into the PMD directory EAL loads, so the same object is mapped only once.
    println!("cargo:rustc-link-lib=dylib=rte_net_ring");
    println!("cargo:rustc-link-lib=dylib=rte_bus_vdev");

    // All cflags, including `-include rte_config.h -march=corei7` which the pkg-config crate does not
    // expose but without which the headers do not parse.
    let out = Command::new("pkg-config")
        .args(["--cflags", "libdpdk"])
        .output()
        .expect("running pkg-config --cflags libdpdk");
    assert!(out.status.success(), "pkg-config --cflags libdpdk failed");
    let cflags: Vec<String> = String::from_utf8(out.stdout)
        .expect("pkg-config output is UTF-8")
        .split_whitespace()
        .map(str::to_owned)
        .collect();

    let mut build = cc::Build::new();
    build
        .file("shim/ferro_shim.c")
        .include(".")
        .opt_level(2)
        .warnings(false);
    for inc in &lib.include_paths {
        build.include(inc);
    }
    for f in &cflags {
        build.flag(f);
    }
    build.compile("ferro_dpdk_shim");

    let bindings = bindgen::Builder::default()
        .header("wrapper.h")
        .clang_args(cflags.iter())
        .clang_arg("-I.")
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()))
        .allowlist_function("ferro_.*")
        .allowlist_function("rte_eal_(init|cleanup|process_type|get_runtime_dir)")
        .allowlist_function("rte_(socket_id|lcore_count|get_tsc_hz|strerror|log_set_global_level)")
        .allowlist_function("rte_pktmbuf_(pool_create|free_bulk)")
        .allowlist_function("rte_mempool_(free|avail_count|in_use_count|lookup|calc_obj_size)")
        .allowlist_function("rte_malloc_heap_(create|destroy|memory_add|memory_remove|get_socket)")
        .allowlist_function("rte_ring_(create|free)")
        .allowlist_function("rte_eth_from_rings")
        .allowlist_function("rte_vdev_(init|uninit)")
        .allowlist_function("rte_dev_(probe|remove)")
        .allowlist_function(
            "rte_eth_dev_(configure|start|stop|close|info_get|count_avail|get_port_by_name|\
             get_name_by_port|socket_id|is_valid_port|set_mtu|get_mtu|set_link_up|set_link_down|\
             adjust_nb_rx_tx_desc)",
        )
        .allowlist_function("rte_eth_(rx_queue_setup|tx_queue_setup|link_get_nowait|stats_get|stats_reset)")
        .allowlist_function("rte_eth_(macaddr_get|promiscuous_enable|allmulticast_enable|find_next_owned_by)")
        .allowlist_type("rte_mbuf")
        .allowlist_type("rte_eth_(conf|rxconf|txconf|dev_info|link|stats)")
        .allowlist_type("rte_ether_addr")
        .allowlist_var("RTE_ETH_(RSS_.*|MQ_RX_.*|MQ_TX_.*|LINK_.*|SPEED_.*|DEV_NO_OWNER|RX_OFFLOAD_.*|TX_OFFLOAD_.*)")
        .allowlist_var("RTE_(MAX_ETHPORTS|PKTMBUF_HEADROOM|MBUF_DEFAULT_DATAROOM|ETHER_ADDR_LEN|ETHER_MAX_LEN|MAX_LCORE)")
        .allowlist_var("RING_F_.*")
        .allowlist_var("SOCKET_ID_ANY")
        .derive_default(true)
        .layout_tests(true)
        .generate_comments(false)
        .generate()
        .expect("bindgen failed on DPDK headers");
    let out_path = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("bindings.rs");
    bindings
        .write_to_file(&out_path)
        .expect("writing bindings.rs");
}
