//! EAL can be initialised once per process, so every check that needs it lives in this one test
//! binary and runs from a single `#[test]` after one `rte_eal_init`.
//!
//! No hugepages and no PCI: `--no-huge -m 256 --no-pci --no-shconf` and a per-process `--file-prefix`.

use std::ffi::{CStr, CString};
use std::mem::offset_of;
use std::os::raw::c_char;
use std::ptr;

use dpdk_sys as sys;

const BURST: usize = 32;

fn eal_init(args: &[&str]) {
    let owned: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
    let mut argv: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr().cast_mut()).collect();
    argv.push(ptr::null_mut());
    let argc = i32::try_from(owned.len()).unwrap();
    // SAFETY: argv holds argc valid NUL-terminated strings (kept alive by `owned` for the whole
    // process, leaked below since EAL may keep pointers into them) followed by a null pointer.
    let rc = unsafe { sys::rte_eal_init(argc, argv.as_mut_ptr()) };
    assert!(rc >= 0, "rte_eal_init failed: {}", strerror());
    std::mem::forget(owned);
    std::mem::forget(argv);
}

fn strerror() -> String {
    // SAFETY: ferro_errno reads the calling thread's rte_errno; rte_strerror returns a pointer to a
    // static or thread-local NUL-terminated string.
    unsafe { CStr::from_ptr(sys::rte_strerror(sys::ferro_errno())) }
        .to_string_lossy()
        .into_owned()
}

fn setup_port(port: u16, pool: *mut sys::rte_mempool) {
    let conf = sys::rte_eth_conf::default();
    // SAFETY: `port` is a valid port id returned by rte_eth_from_rings / the vdev bus; `conf` and
    // `pool` are valid for the duration of the calls; null rx/tx conf selects the PMD's defaults.
    unsafe {
        assert_eq!(sys::rte_eth_dev_configure(port, 1, 1, &conf), 0);
        assert_eq!(
            sys::rte_eth_rx_queue_setup(port, 0, 256, 0, ptr::null(), pool),
            0
        );
        assert_eq!(sys::rte_eth_tx_queue_setup(port, 0, 256, 0, ptr::null()), 0);
        assert_eq!(sys::rte_eth_dev_start(port), 0);
    }
}

/// A recognisable Ethernet/IPv4/UDP-ish frame whose payload carries `seq`.
fn frame(seq: u32) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 2]);
    f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14..18].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in f[18..].iter_mut().enumerate() {
        *b = u8::try_from(i % 251).unwrap();
    }
    f
}

#[test]
fn eal_ports_mbufs_and_ring_pair() {
    let prefix = format!("ferro-dpdk-sys-test-{}", std::process::id());
    eal_init(&[
        "dpdk-sys-test",
        "--no-huge",
        "-m",
        "256",
        "--no-pci",
        "--no-shconf",
        "--no-telemetry",
        "--file-prefix",
        &prefix,
        "--log-level",
        "error",
        "--vdev",
        "net_null0",
        "-l",
        "0",
    ]);

    // The shim's offsetof() agrees with the Rust layout for the fields Rust code reads directly.
    // SAFETY: the offset functions take no arguments and only return constants.
    unsafe {
        assert_eq!(
            sys::ferro_mbuf_offset_buf_addr(),
            offset_of!(sys::rte_mbuf, buf_addr)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_data_off(),
            offset_of!(sys::rte_mbuf, data_off)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_pkt_len(),
            offset_of!(sys::rte_mbuf, pkt_len)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_data_len(),
            offset_of!(sys::rte_mbuf, data_len)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_port(),
            offset_of!(sys::rte_mbuf, port)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_buf_len(),
            offset_of!(sys::rte_mbuf, buf_len)
        );
        assert_eq!(
            sys::ferro_mbuf_offset_nb_segs(),
            offset_of!(sys::rte_mbuf, nb_segs)
        );
    }

    let pool_name = CString::new("test_pool").unwrap();
    let data_room =
        u16::try_from(sys::RTE_MBUF_DEFAULT_DATAROOM + sys::RTE_PKTMBUF_HEADROOM).unwrap();
    // SAFETY: pool_name is NUL-terminated; EAL is initialised; socket id from EAL.
    let pool = unsafe {
        sys::rte_pktmbuf_pool_create(
            pool_name.as_ptr(),
            2047,
            64,
            0,
            data_room,
            i32::try_from(sys::rte_socket_id()).unwrap(),
        )
    };
    assert!(!pool.is_null(), "mempool: {}", strerror());

    // mbuf accessors through the shim: prepend / adj / append / trim.
    // SAFETY: pool is a valid pktmbuf pool; m is checked non-null and freed once at the end.
    unsafe {
        let m = sys::ferro_pktmbuf_alloc(pool);
        assert!(!m.is_null());
        let head = sys::ferro_pktmbuf_headroom(m);
        assert_eq!(head, u16::try_from(sys::RTE_PKTMBUF_HEADROOM).unwrap());
        assert!(!sys::ferro_pktmbuf_append(m, 100).is_null());
        assert_eq!(sys::ferro_pktmbuf_pkt_len(m), 100);
        assert!(!sys::ferro_pktmbuf_prepend(m, 14).is_null());
        assert_eq!((*m).data_len, 114);
        assert_eq!(sys::ferro_pktmbuf_headroom(m), head - 14);
        assert!(!sys::ferro_pktmbuf_adj(m, 14).is_null());
        assert_eq!(sys::ferro_pktmbuf_trim(m, 40), 0);
        assert_eq!(sys::ferro_pktmbuf_data_len(m), 60);
        assert!(
            sys::ferro_pktmbuf_append(m, 60_000).is_null(),
            "append beyond tailroom must fail"
        );
        let mtod = sys::ferro_pktmbuf_mtod(m).cast::<u8>();
        let computed = (*m).buf_addr.cast::<u8>().add(usize::from((*m).data_off));
        assert_eq!(mtod, computed);
        assert_eq!(sys::ferro_pktmbuf_is_contiguous(m), 1);
        sys::ferro_pktmbuf_free(m);
        assert!(sys::ferro_rdtsc() > 0);
        assert_eq!(sys::ferro_lcore_id(), 0);
    }

    // Two ports over a crossed pair of rings: what port A sends, port B receives, and back.
    let ring_flags = sys::RING_F_SP_ENQ | sys::RING_F_SC_DEQ;
    let r_ab_name = CString::new("r_ab").unwrap();
    let r_ba_name = CString::new("r_ba").unwrap();
    // SAFETY: names are NUL-terminated; 1024 is a power of two; EAL is initialised.
    let (r_ab, r_ba) = unsafe {
        (
            sys::rte_ring_create(r_ab_name.as_ptr(), 1024, 0, ring_flags),
            sys::rte_ring_create(r_ba_name.as_ptr(), 1024, 0, ring_flags),
        )
    };
    assert!(
        !r_ab.is_null() && !r_ba.is_null(),
        "rte_ring_create: {}",
        strerror()
    );
    let a_name = CString::new("ringA").unwrap();
    let b_name = CString::new("ringB").unwrap();
    // SAFETY: each call gets one valid rx ring and one valid tx ring (arrays of length 1 living
    // across the call; the PMD copies the pointers).
    let (port_a, port_b) = unsafe {
        (
            sys::rte_eth_from_rings(a_name.as_ptr(), &r_ba, 1, &r_ab, 1, 0),
            sys::rte_eth_from_rings(b_name.as_ptr(), &r_ab, 1, &r_ba, 1, 0),
        )
    };
    assert!(
        port_a >= 0 && port_b >= 0,
        "rte_eth_from_rings: {}",
        strerror()
    );
    let port_a = u16::try_from(port_a).unwrap();
    let port_b = u16::try_from(port_b).unwrap();
    // SAFETY: EAL is initialised.
    let avail = unsafe { sys::rte_eth_dev_count_avail() };
    assert_eq!(avail, 3, "net_null0 + two ring ports");
    setup_port(port_a, pool);
    setup_port(port_b, pool);

    let mut link = sys::rte_eth_link::default();
    // SAFETY: port_a is started; link is a valid out pointer.
    let rc = unsafe { sys::rte_eth_link_get_nowait(port_a, &mut link) };
    assert_eq!(rc, 0);
    assert_eq!(link.link_status(), 1, "ring ports are up once started");

    const N: u32 = 100;
    let mut sent = 0u32;
    while sent < N {
        let mut burst: Vec<*mut sys::rte_mbuf> = Vec::with_capacity(BURST);
        while burst.len() < BURST && sent + u32::try_from(burst.len()).unwrap() < N {
            let f = frame(sent + u32::try_from(burst.len()).unwrap());
            // SAFETY: pool is valid; the appended area is f.len() bytes long and freshly reserved.
            unsafe {
                let m = sys::ferro_pktmbuf_alloc(pool);
                assert!(!m.is_null());
                let p = sys::ferro_pktmbuf_append(m, u16::try_from(f.len()).unwrap());
                assert!(!p.is_null());
                ptr::copy_nonoverlapping(f.as_ptr(), p.cast::<u8>(), f.len());
                burst.push(m);
            }
        }
        let n = u16::try_from(burst.len()).unwrap();
        // SAFETY: burst holds n valid mbufs; the PMD takes ownership of the ones it sends.
        let tx = unsafe { sys::ferro_eth_tx_burst(port_a, 0, burst.as_mut_ptr(), n) };
        assert_eq!(tx, n, "ring has room for every packet");
        sent += u32::from(tx);
    }

    let mut received = Vec::new();
    let mut rx = [ptr::null_mut::<sys::rte_mbuf>(); BURST];
    for _ in 0..100 {
        // SAFETY: rx has room for BURST mbuf pointers.
        let n = unsafe {
            sys::ferro_eth_rx_burst(port_b, 0, rx.as_mut_ptr(), u16::try_from(BURST).unwrap())
        };
        for &m in &rx[..usize::from(n)] {
            // SAFETY: the PMD returned n valid single-segment mbufs that we now own.
            unsafe {
                let data = sys::ferro_pktmbuf_mtod(m).cast::<u8>();
                let len = usize::from((*m).data_len);
                received.push(std::slice::from_raw_parts(data, len).to_vec());
                sys::ferro_pktmbuf_free(m);
            }
        }
        if received.len() == usize::try_from(N).unwrap() {
            break;
        }
    }
    assert_eq!(received.len(), usize::try_from(N).unwrap());
    for (i, pkt) in received.iter().enumerate() {
        assert_eq!(
            pkt,
            &frame(u32::try_from(i).unwrap()),
            "packet {i} arrives intact and in order"
        );
    }
    // Nothing loops back onto the sender.
    // SAFETY: rx has room for BURST mbuf pointers.
    let back = unsafe {
        sys::ferro_eth_rx_burst(port_a, 0, rx.as_mut_ptr(), u16::try_from(BURST).unwrap())
    };
    assert_eq!(back, 0);

    let mut stats = sys::rte_eth_stats::default();
    // SAFETY: ports are valid; stats is a valid out pointer.
    unsafe {
        assert_eq!(sys::rte_eth_stats_get(port_a, &mut stats), 0);
        assert_eq!(stats.opackets, u64::from(N));
        assert_eq!(sys::rte_eth_stats_get(port_b, &mut stats), 0);
        assert_eq!(stats.ipackets, u64::from(N));
    }

    // The net_null vdev from the command line was probed and delivers (all-zero) packets.
    let null_name = CString::new("net_null0").unwrap();
    let mut null_port = 0u16;
    // SAFETY: null_name is NUL-terminated; null_port is a valid out pointer.
    let rc = unsafe { sys::rte_eth_dev_get_port_by_name(null_name.as_ptr(), &mut null_port) };
    assert_eq!(rc, 0);
    setup_port(null_port, pool);
    // SAFETY: rx has room for BURST pointers; every returned mbuf is freed once.
    unsafe {
        let n =
            sys::ferro_eth_rx_burst(null_port, 0, rx.as_mut_ptr(), u16::try_from(BURST).unwrap());
        assert!(n > 0);
        for &m in &rx[..usize::from(n)] {
            sys::ferro_pktmbuf_free(m);
        }
    }

    // SAFETY: all ports were started by this thread; no mbufs are outstanding.
    unsafe {
        for p in [port_a, port_b, null_port] {
            assert_eq!(sys::rte_eth_dev_stop(p), 0);
            assert_eq!(sys::rte_eth_dev_close(p), 0);
        }
        let dir = CStr::from_ptr(sys::rte_eal_get_runtime_dir())
            .to_string_lossy()
            .into_owned();
        assert_eq!(sys::rte_eal_cleanup(), 0);
        // The (empty) runtime directory EAL leaves behind.
        std::fs::remove_dir(&dir).expect("empty runtime dir (no telemetry socket) removed");
    }
}
