//! DPDK packet I/O: EAL, mempools, ports, rx/tx queues and the mbuf [`PacketBuf`] implementation.
//!
//! This module and `tap` are the only places of the daemon with `unsafe`. Ownership rules that
//! make the safe wrappers sound:
//! - [`Eal`] is created once per process (a second `init` fails) and torn down last.
//! - An [`RxQueue`] / [`TxQueue`] is a unique handle on one (port, queue) pair: not `Clone`, moved to
//!   the one worker that polls it (DPDK queues are not thread-safe).
//! - [`Mbuf`] owns one mbuf (see `mbuf.rs`).
//!
//! [`PacketBuf`]: fwd_engine::buffer::PacketBuf

mod mbuf;

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::c_char;
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, Ordering};

use dpdk_sys as sys;
use fwd_engine::buffer::PacketBuf;

pub use mbuf::{Mbuf, META_PRIV_SIZE};

use crate::config::{Config, PortConfig};

/// A DPDK error with the call that failed and rte_strerror's text.
#[derive(Debug, Clone)]
pub struct DpdkError {
    /// What failed, e.g. `rte_eth_dev_configure(Ethernet0)`.
    pub what: String,
    /// The error code (negative errno or rte_errno).
    pub code: i32,
}

impl fmt::Display for DpdkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} failed: {} ({})",
            self.what,
            strerror(self.code),
            self.code
        )
    }
}

impl std::error::Error for DpdkError {}

fn strerror(code: i32) -> String {
    // SAFETY: rte_strerror accepts any int and returns a pointer to a NUL-terminated string that
    // stays valid at least until the next call on this thread; we copy it at once.
    unsafe { CStr::from_ptr(sys::rte_strerror(code.abs())) }
        .to_string_lossy()
        .into_owned()
}

fn rte_errno() -> i32 {
    // SAFETY: reads the calling thread's rte_errno; no arguments.
    unsafe { sys::ferro_errno() }
}

fn check(rc: i32, what: impl FnOnce() -> String) -> Result<(), DpdkError> {
    if rc < 0 {
        Err(DpdkError {
            what: what(),
            code: rc,
        })
    } else {
        Ok(())
    }
}

static EAL_INITIALISED: AtomicBool = AtomicBool::new(false);

/// Whether hugepages can be used: a hugetlbfs mount and free pages.
pub fn hugepages_available() -> bool {
    let free = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("HugePages_Free:"))
                .and_then(|l| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                })
        })
        .unwrap_or(0);
    let mounted = std::fs::read_to_string("/proc/mounts")
        .map(|m| {
            m.lines()
                .any(|l| l.split_whitespace().nth(2) == Some("hugetlbfs"))
        })
        .unwrap_or(false);
    free > 0 && mounted
}

/// The EAL arguments for a configuration (pure function; unit-tested).
pub fn eal_args(cfg: &Config, use_huge: bool, pid: u32) -> Vec<String> {
    let mut a = vec![
        "ferrosai-fwd".to_string(),
        // The main lcore only: workers are our own threads (their affinity is set separately).
        "-l".into(),
        "0".into(),
        // A unique prefix so several forwarders (and tests) run side by side.
        "--file-prefix".into(),
        format!("ferrosai-{}-{pid}", cfg.name),
        // No multi-process shared config: nothing else attaches to our memory.
        "--no-shconf".into(),
        // No DPDK telemetry socket (our CLI covers it); EAL's runtime directory stays empty and is
        // removed at exit.
        "--no-telemetry".into(),
        "--log-level".into(),
        match cfg.log_level.as_str() {
            "error" => "error",
            "warn" => "warning",
            "info" => "notice",
            _ => "debug",
        }
        .into(),
    ];
    if !use_huge {
        a.extend(["--no-huge".into(), "-m".into(), cfg.memory_mb.to_string()]);
    }
    if cfg.ports.iter().any(PortConfig::is_pci) {
        for p in cfg.ports.iter().filter(|p| p.is_pci()) {
            a.extend(["-a".into(), p.devargs.clone()]);
        }
    } else {
        a.push("--no-pci".into());
    }
    for p in cfg.ports.iter().filter(|p| !p.is_pci()) {
        a.extend(["--vdev".into(), p.devargs.clone()]);
    }
    a.extend(cfg.eal_args.iter().cloned());
    a
}

/// The initialised Environment Abstraction Layer. Dropping it calls `rte_eal_cleanup`.
pub struct Eal {
    _priv: (),
}

impl Eal {
    /// Initialise EAL with `args` (argv[0] included). Fails if EAL was already initialised.
    pub fn init(args: &[String]) -> Result<Eal, DpdkError> {
        if EAL_INITIALISED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError {
                what: "rte_eal_init (already initialised in this process)".into(),
                code: -libc::EALREADY,
            });
        }
        let saved = current_affinity();
        let owned: Vec<CString> = args
            .iter()
            .map(|a| CString::new(a.as_str()).unwrap_or_default())
            .collect();
        let mut argv: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr().cast_mut()).collect();
        argv.push(ptr::null_mut());
        let argc = i32::try_from(owned.len()).unwrap_or(i32::MAX);
        // SAFETY: argv holds argc NUL-terminated strings and a final null; both vectors are leaked
        // below because EAL may keep pointers into argv for the life of the process.
        let rc = unsafe { sys::rte_eal_init(argc, argv.as_mut_ptr()) };
        std::mem::forget(owned);
        std::mem::forget(argv);
        if rc < 0 {
            let code = rte_errno();
            return Err(DpdkError {
                what: format!("rte_eal_init({})", args.join(" ")),
                code: if code == 0 { rc } else { -code },
            });
        }
        // EAL pinned this (main) thread to lcore 0's CPU; threads we spawn inherit the mask, so
        // give the process its original CPU set back (workers pin themselves if configured).
        if let Some(set) = saved {
            set_affinity(&set);
        }
        Ok(Eal { _priv: () })
    }

    /// TSC ticks per second.
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: EAL is initialised (self exists).
        unsafe { sys::rte_get_tsc_hz() }
    }
}

impl Drop for Eal {
    fn drop(&mut self) {
        // SAFETY: EAL is initialised; the returned pointer is EAL's static NUL-terminated runtime
        // directory path, copied before cleanup.
        let dir = unsafe { CStr::from_ptr(sys::rte_eal_get_runtime_dir()) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: EAL was initialised by this value; all ports and pools are released by their own
        // owners before (the daemon drops Eal last).
        unsafe {
            sys::rte_eal_cleanup();
        }
        // EAL leaves its (empty, with --no-shconf) runtime directory behind; remove_dir only
        // removes it when empty.
        if !dir.is_empty() {
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

fn current_affinity() -> Option<libc::cpu_set_t> {
    // SAFETY: cpu_set_t is plain data (all-zero is an empty set); sched_getaffinity writes at most
    // size_of::<cpu_set_t>() bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0)
            .then_some(set)
    }
}

fn set_affinity(set: &libc::cpu_set_t) -> bool {
    // SAFETY: set points to a valid cpu_set_t of the size passed.
    unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) == 0 }
}

/// Pin the calling thread to one CPU; false if the CPU does not exist or is not allowed.
pub fn pin_current_thread(cpu: usize) -> bool {
    if cpu >= 1024 {
        return false;
    }
    // SAFETY: cpu_set_t is plain data; CPU_SET writes inside it for cpu < CPU_SETSIZE (1024).
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        set
    };
    set_affinity(&set)
}

// EAL's non-EAL thread registration (DPDK >= 20.08; not in dpdk-sys's bindings).
extern "C" {
    fn rte_thread_register() -> libc::c_int;
    fn rte_thread_unregister();
}

/// The calling thread's registration with EAL as a non-EAL lcore (see [`register_thread`]);
/// unregisters on drop.
pub struct LcoreRegistration {
    lcore: Option<u32>,
    // Not Send: must be dropped (unregistered) on the thread that registered.
    _thread: std::marker::PhantomData<*const ()>,
}

impl LcoreRegistration {
    /// The lcore id EAL gave the thread, if registration succeeded.
    pub fn lcore(&self) -> Option<u32> {
        self.lcore
    }
}

/// Register the calling thread with EAL so it gets its own lcore id. Without one
/// (`rte_lcore_id() == LCORE_ID_ANY`), every mbuf allocation and free bypasses the mempool's
/// per-lcore cache and goes to the shared ring (compare-and-swap per bulk op): the worker's rx
/// (net_pcap allocates an mbuf per packet) and tx (net_null frees each) paid that per packet.
/// Call after pinning (EAL records the thread's affinity). Failure (no free lcore id, EAL not
/// initialised) leaves the thread working, just without the cache.
pub fn register_thread() -> LcoreRegistration {
    // SAFETY: EAL is initialised before any worker starts and dropped after they join; the call
    // touches only this thread's lcore state and EAL's lcore table (under EAL's own lock).
    let rc = unsafe { rte_thread_register() };
    if rc != 0 {
        return LcoreRegistration {
            lcore: None,
            _thread: std::marker::PhantomData,
        };
    }
    // SAFETY: reads the calling thread's lcore id (thread-local); no preconditions.
    let id = unsafe { sys::ferro_lcore_id() };
    LcoreRegistration {
        lcore: (id < 1024).then_some(id),
        _thread: std::marker::PhantomData,
    }
}

impl Drop for LcoreRegistration {
    fn drop(&mut self) {
        if self.lcore.is_some() {
            // SAFETY: dropped on the registering thread (not Send; made/dropped in worker run());
            // EAL is still initialised (workers are joined before Eal is dropped).
            unsafe { rte_thread_unregister() };
        }
    }
}

/// Transparent huge page size (x86-64, aarch64 with 4 KiB base pages).
const THP_SIZE: usize = 2 << 20;

/// Anonymous memory asking for transparent huge pages, registered with DPDK as an external malloc
/// heap (its own socket id), for the packet pool when EAL runs without hugepages.
///
/// Why: with `--no-huge`, EAL's memory is a memfd mapped in 4 KiB pages (shared memory, which the
/// kernel backs with huge pages only when `shmem_enabled` allows, by default never), so the
/// packet pool (a few hundred MB) spans ~100k pages: every packet touched misses the TLB (the
/// pcap source's stored packets, the mbufs in flight, ...). Private anonymous memory with
/// `MADV_HUGEPAGE` gets 2 MiB pages in the common THP `madvise` mode: the same pool fits in a few
/// hundred TLB entries. IOVAs are unknown (`RTE_BAD_IOVA`), so this is only for vdevs (no PCI
/// DMA), which is when EAL runs without hugepages anyway.
struct ThpHeap {
    name: CString,
    /// The mapping (with up to 2 MiB of alignment slack in front).
    map: NonNull<libc::c_void>,
    map_len: usize,
    /// The 2 MiB-aligned part given to DPDK.
    addr: NonNull<libc::c_void>,
    len: usize,
    socket: i32,
}

impl ThpHeap {
    fn new(name: &str, len: usize) -> Result<ThpHeap, DpdkError> {
        let fail = |what: String, code: i32| DpdkError { what, code };
        let cname =
            CString::new(name).map_err(|_| fail(format!("heap name {name:?}"), -libc::EINVAL))?;
        let len = len.div_ceil(THP_SIZE) * THP_SIZE;
        let map_len = len + THP_SIZE;
        // SAFETY: a fresh private anonymous mapping (no address hint, no file); the result is
        // checked against MAP_FAILED.
        let map = unsafe {
            libc::mmap(
                ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if map == libc::MAP_FAILED {
            return Err(fail(
                format!("mmap({map_len} bytes) for the packet pool"),
                -std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::ENOMEM),
            ));
        }
        let map =
            NonNull::new(map).ok_or_else(|| fail("mmap returned NULL".into(), -libc::ENOMEM))?;
        let skew = (THP_SIZE - (map.as_ptr() as usize) % THP_SIZE) % THP_SIZE;
        // SAFETY: skew < THP_SIZE and the mapping is len + THP_SIZE bytes long, so the aligned
        // start and the len bytes after it are inside the mapping.
        let addr = unsafe { NonNull::new_unchecked(map.as_ptr().cast::<u8>().add(skew).cast()) };
        let unmap = || {
            // SAFETY: the mapping created above, unmapped once on this error path.
            unsafe { libc::munmap(map.as_ptr(), map_len) };
        };
        // SAFETY: madvise on a range inside our own mapping; it changes no contents.
        if unsafe { libc::madvise(addr.as_ptr(), len, libc::MADV_HUGEPAGE) } != 0 {
            let code = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL);
            unmap();
            return Err(fail("madvise(MADV_HUGEPAGE)".into(), -code));
        }
        // SAFETY: EAL is initialised (the caller holds &Eal); cname is NUL-terminated.
        if unsafe { sys::rte_malloc_heap_create(cname.as_ptr()) } != 0 {
            let code = rte_errno();
            unmap();
            return Err(fail(format!("rte_malloc_heap_create({name})"), -code));
        }
        let pages = u32::try_from(len / THP_SIZE).unwrap_or(u32::MAX);
        // SAFETY: [addr, addr+len) is our THP_SIZE-aligned mapping, len = pages * THP_SIZE; null
        // IOVA table = unknown (RTE_BAD_IOVA); mapped until heap emptied and destroyed (Drop).
        let rc = unsafe {
            sys::rte_malloc_heap_memory_add(
                cname.as_ptr(),
                addr.as_ptr(),
                len,
                ptr::null_mut(),
                pages,
                THP_SIZE,
            )
        };
        if rc != 0 {
            let code = rte_errno();
            // SAFETY: the heap created above, empty.
            unsafe { sys::rte_malloc_heap_destroy(cname.as_ptr()) };
            unmap();
            return Err(fail(
                format!("rte_malloc_heap_memory_add({name}, {len} bytes)"),
                -code,
            ));
        }
        // SAFETY: cname names the heap created above.
        let socket = unsafe { sys::rte_malloc_heap_get_socket(cname.as_ptr()) };
        let heap = ThpHeap {
            name: cname,
            map,
            map_len,
            addr,
            len,
            socket,
        };
        if socket < 0 {
            return Err(fail(
                format!("rte_malloc_heap_get_socket({name})"),
                -rte_errno(),
            ));
        }
        Ok(heap)
    }
}

impl Drop for ThpHeap {
    fn drop(&mut self) {
        // SAFETY: all heap allocations (the pool) are freed by now (Mempool frees its pool before
        // dropping the heap); remove / destroy / munmap undo new() in reverse order, once.
        unsafe {
            sys::rte_malloc_heap_memory_remove(self.name.as_ptr(), self.addr.as_ptr(), self.len);
            sys::rte_malloc_heap_destroy(self.name.as_ptr());
            libc::munmap(self.map.as_ptr(), self.map_len);
        }
    }
}

/// A packet mempool whose mbufs carry [`META_PRIV_SIZE`] bytes of private area.
pub struct Mempool {
    p: NonNull<sys::rte_mempool>,
    data_room: u16,
    /// The external heap the pool lives in (dropped after the pool: see Drop).
    heap: Option<ThpHeap>,
}

// SAFETY: mempool operations are thread-safe (multi-producer/multi-consumer ring ops); the pointer
// stays valid for the pool's lifetime.
unsafe impl Send for Mempool {}
// SAFETY: as above: all operations we expose take &self and are MP/MC-safe in DPDK.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Create a pool of `n` mbufs with `data_room` bytes each (headroom included), in EAL's
    /// memory.
    pub fn new(eal: &Eal, name: &str, n: u32, data_room: u16) -> Result<Mempool, DpdkError> {
        let socket = i32::try_from(
            // SAFETY: EAL is initialised (eal borrowed); reads the calling thread's socket id.
            unsafe { sys::rte_socket_id() },
        )
        .unwrap_or(-1);
        Self::create(eal, name, n, data_room, socket, None)
    }

    /// Create the pool in anonymous memory on transparent huge pages (see [`ThpHeap`]); falls
    /// back to [`Mempool::new`] (EAL's memory) if that memory cannot be set up. Only for pools
    /// used by vdevs: the mbufs have no IOVA.
    pub fn new_thp(eal: &Eal, name: &str, n: u32, data_room: u16) -> Result<Mempool, DpdkError> {
        let elt = u32::try_from(std::mem::size_of::<sys::rte_mbuf>()).unwrap_or(u32::MAX)
            + u32::from(META_PRIV_SIZE)
            + u32::from(data_room);
        let mut sz = sys::rte_mempool_objsz::default();
        // SAFETY: pure computation into a valid out struct.
        let total = unsafe { sys::rte_mempool_calc_obj_size(elt, 0, &mut sz) } as usize;
        // Objects do not straddle pages; + 16 MiB for the pool's header, per-lcore caches and
        // ring (about 1 MiB each) and the heap's own overhead.
        let per_page = (THP_SIZE / total.max(1)).max(1);
        let len = (n as usize).div_ceil(per_page) * THP_SIZE + 8 * THP_SIZE;
        let heap = ThpHeap::new(&format!("thp_{name}"), len).and_then(|h| {
            let socket = h.socket;
            Self::create(eal, name, n, data_room, socket, Some(h))
        });
        match heap {
            Ok(p) => Ok(p),
            Err(e) => {
                tracing::warn!("packet pool on transparent huge pages: {e}; using EAL memory");
                Self::new(eal, name, n, data_room)
            }
        }
    }

    fn create(
        _eal: &Eal,
        name: &str,
        n: u32,
        data_room: u16,
        socket: i32,
        heap: Option<ThpHeap>,
    ) -> Result<Mempool, DpdkError> {
        let cname = CString::new(name).map_err(|_| DpdkError {
            what: format!("mempool name {name:?}"),
            code: -libc::EINVAL,
        })?;
        // Per-lcore cache: DPDK's maximum (RTE_MEMPOOL_CACHE_MAX_SIZE = 512), so that a whole
        // 256-packet frame in flight (allocated by rx, freed by tx) cycles through the cache
        // (LIFO, cache-hot mbufs) instead of spilling to the pool's FIFO ring, which hands out
        // the coldest of the pool's mbufs; capped at n / 1.5 (DPDK's limit for small pools).
        let cache = 512.min(n / 3 * 2);
        // SAFETY: EAL is initialised (_eal borrowed); cname is NUL-terminated; socket is EAL's
        // socket id or the id of `heap` (alive as long as the pool: it is stored next to it).
        let p = unsafe {
            sys::rte_pktmbuf_pool_create(
                cname.as_ptr(),
                n,
                cache,
                META_PRIV_SIZE,
                data_room,
                socket,
            )
        };
        let p = NonNull::new(p).ok_or_else(|| DpdkError {
            what: format!("rte_pktmbuf_pool_create({name}, {n} mbufs, {data_room} B)"),
            code: -rte_errno(),
        })?;
        Ok(Mempool { p, data_room, heap })
    }

    /// True when the pool lives in its own memory on transparent huge pages.
    pub fn on_thp(&self) -> bool {
        self.heap.is_some()
    }

    /// Raw pointer for DPDK calls.
    pub fn as_ptr(&self) -> *mut sys::rte_mempool {
        self.p.as_ptr()
    }

    /// Data room per mbuf.
    pub fn data_room(&self) -> u16 {
        self.data_room
    }

    /// (available, in use) mbufs.
    pub fn usage(&self) -> (u32, u32) {
        // SAFETY: the pool pointer is valid for self's lifetime.
        unsafe {
            (
                sys::rte_mempool_avail_count(self.p.as_ptr()),
                sys::rte_mempool_in_use_count(self.p.as_ptr()),
            )
        }
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        // SAFETY: pool is ours; its ports are stopped+closed first (Ports drop first), Mbufs freed;
        // the heap field (if any) is dropped after this body, i.e. after the pool is gone.
        unsafe { sys::rte_mempool_free(self.p.as_ptr()) }
    }
}

/// Link state from `rte_eth_link_get_nowait`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct LinkState {
    /// Link up.
    pub up: bool,
    /// Speed in Mb/s (0 when unknown).
    pub speed_mbps: u32,
    /// Full duplex.
    pub full_duplex: bool,
}

/// Port counters from `rte_eth_stats_get`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PortStats {
    /// Received packets.
    pub ipackets: u64,
    /// Sent packets.
    pub opackets: u64,
    /// Received bytes.
    pub ibytes: u64,
    /// Sent bytes.
    pub obytes: u64,
    /// Rx drops by the NIC (no descriptor).
    pub imissed: u64,
    /// Rx errors.
    pub ierrors: u64,
    /// Tx errors.
    pub oerrors: u64,
    /// Rx mbuf allocation failures.
    pub rx_nombuf: u64,
}

/// Static device information for `show hardware`.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct PortInfo {
    /// PMD name, e.g. `net_af_packet`.
    pub driver: String,
    /// Device name.
    pub device: String,
    /// Max rx / tx queues.
    pub max_rx_queues: u16,
    /// Max tx queues.
    pub max_tx_queues: u16,
    /// Configured rx queues.
    pub rx_queues: u16,
    /// Configured tx queues.
    pub tx_queues: u16,
    /// MTU.
    pub mtu: u16,
    /// Max rx packet length.
    pub max_rx_pktlen: u32,
    /// Socket (NUMA node).
    pub socket: i32,
}

/// A started DPDK port. Dropping it stops and closes the device.
pub struct Port {
    /// DPDK port id.
    pub id: u16,
    /// Our port index (position in the configuration).
    pub index: u32,
    /// SONiC name.
    pub name: String,
    /// MAC address.
    pub mac: [u8; 6],
    /// Device information.
    pub info: PortInfo,
    /// For af_packet / af_xdp ports: a socket of the daemon's namespace and the kernel interface
    /// whose IFF_RUNNING flag (carrier) gives the link state.
    kernel_if: Option<(std::os::fd::OwnedFd, String)>,
}

/// IFF_UP and IFF_RUNNING of a kernel interface, through a socket of its namespace.
fn kernel_link(sock: &std::os::fd::OwnedFd, name: &str) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let bytes = name.as_bytes();
    if bytes.len() >= libc::IFNAMSIZ {
        return None;
    }
    // SAFETY: ifreq is plain C data; all-zero is valid.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(bytes) {
        *d = libc::c_char::from_ne_bytes([*s]);
    }
    // SAFETY: SIOCGIFFLAGS reads the name and writes the flags member of this valid ifreq.
    let rc = unsafe {
        libc::ioctl(
            sock.as_raw_fd(),
            libc::SIOCGIFFLAGS,
            std::ptr::from_mut(&mut ifr),
        )
    };
    if rc < 0 {
        return None;
    }
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    let flags = i32::from(unsafe { ifr.ifr_ifru.ifru_flags });
    Some(flags & libc::IFF_UP != 0 && flags & libc::IFF_RUNNING != 0)
}

fn open_ctl_socket() -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket(2); the result is checked and owned.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a fresh descriptor we own.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

impl Port {
    /// Configure and start the device of `pc` with `rx_queues` rx queues (RSS when > 1) and
    /// `tx_queues` tx queues.
    pub fn open(
        _eal: &Eal,
        index: u32,
        pc: &PortConfig,
        pool: &Mempool,
        tx_queues: u16,
    ) -> Result<Port, DpdkError> {
        let dev = CString::new(pc.dev_name()).map_err(|_| DpdkError {
            what: format!("device name {:?}", pc.dev_name()),
            code: -libc::EINVAL,
        })?;
        let mut id = 0u16;
        // SAFETY: dev is NUL-terminated; id is a valid out pointer.
        let rc = unsafe { sys::rte_eth_dev_get_port_by_name(dev.as_ptr(), &mut id) };
        check(rc, || {
            format!(
                "port {}: device {} not found (was it probed? check devargs {:?})",
                pc.name,
                pc.dev_name(),
                pc.devargs
            )
        })?;
        let mut di = sys::rte_eth_dev_info::default();
        // SAFETY: id is a valid port id; di is a valid out pointer.
        let rc = unsafe { sys::rte_eth_dev_info_get(id, &mut di) };
        check(rc, || format!("rte_eth_dev_info_get({})", pc.name))?;
        if pc.rx_queues > di.max_rx_queues {
            return Err(DpdkError {
                what: format!(
                    "port {}: rx_queues = {} but {} supports at most {} (net_af_packet: add qpairs=N)",
                    pc.name,
                    pc.rx_queues,
                    pc.dev_name(),
                    di.max_rx_queues
                ),
                code: -libc::EINVAL,
            });
        }
        if tx_queues > di.max_tx_queues {
            return Err(DpdkError {
                what: format!(
                    "port {}: {} workers need {} tx queues but {} supports {} (net_af_packet: qpairs=N)",
                    pc.name,
                    tx_queues,
                    tx_queues,
                    pc.dev_name(),
                    di.max_tx_queues
                ),
                code: -libc::EINVAL,
            });
        }
        let mut conf = sys::rte_eth_conf::default();
        if pc.rx_queues > 1 {
            conf.rxmode.mq_mode = sys::rte_eth_rx_mq_mode_RTE_ETH_MQ_RX_RSS;
            conf.rx_adv_conf.rss_conf.rss_hf =
                (sys::rss::IP | sys::rss::UDP | sys::rss::TCP) & di.flow_type_rss_offloads;
        }
        let mut nb_rxd = pc.rx_desc;
        let mut nb_txd = pc.tx_desc;
        // SAFETY: id is valid; conf, nb_rxd and nb_txd are valid for the calls.
        unsafe {
            let rc = sys::rte_eth_dev_configure(id, pc.rx_queues, tx_queues, &conf);
            check(rc, || format!("rte_eth_dev_configure({})", pc.name))?;
            let rc = sys::rte_eth_dev_adjust_nb_rx_tx_desc(id, &mut nb_rxd, &mut nb_txd);
            check(rc, || {
                format!("rte_eth_dev_adjust_nb_rx_tx_desc({})", pc.name)
            })?;
        }
        // SAFETY: id is a valid port id.
        let socket = unsafe { sys::rte_eth_dev_socket_id(id) };
        let sock = u32::try_from(socket).unwrap_or(0);
        for q in 0..pc.rx_queues {
            // SAFETY: port configured with rx_queues queues; pool outlives the port (the daemon
            // drops ports before pools); null rxconf selects the driver defaults.
            let rc = unsafe {
                sys::rte_eth_rx_queue_setup(id, q, nb_rxd, sock, ptr::null(), pool.as_ptr())
            };
            check(rc, || format!("rte_eth_rx_queue_setup({}, {q})", pc.name))?;
        }
        for q in 0..tx_queues {
            // SAFETY: port configured with tx_queues queues; null txconf selects the defaults.
            let rc = unsafe { sys::rte_eth_tx_queue_setup(id, q, nb_txd, sock, ptr::null()) };
            check(rc, || format!("rte_eth_tx_queue_setup({}, {q})", pc.name))?;
        }
        if let Some(mtu) = pc.mtu {
            // SAFETY: id is a valid configured port.
            let rc = unsafe { sys::rte_eth_dev_set_mtu(id, mtu) };
            check(rc, || format!("rte_eth_dev_set_mtu({}, {mtu})", pc.name))?;
        }
        // SAFETY: id is a valid configured port with all queues set up.
        let rc = unsafe { sys::rte_eth_dev_start(id) };
        check(rc, || format!("rte_eth_dev_start({})", pc.name))?;
        // Promiscuous: the router receives frames for the MACs SAI assigns (RIF MACs), which can
        // differ from the device's own address. Not every PMD supports it; failure is harmless.
        // SAFETY: id is a started port.
        unsafe {
            sys::rte_eth_promiscuous_enable(id);
            sys::rte_eth_allmulticast_enable(id);
        }
        let mut mac = sys::rte_ether_addr::default();
        // SAFETY: id valid; mac is a valid out pointer.
        let rc = unsafe { sys::rte_eth_macaddr_get(id, &mut mac) };
        check(rc, || format!("rte_eth_macaddr_get({})", pc.name))?;
        let mut mtu = 0u16;
        // SAFETY: id valid; mtu is a valid out pointer.
        unsafe { sys::rte_eth_dev_get_mtu(id, &mut mtu) };
        let driver = if di.driver_name.is_null() {
            String::new()
        } else {
            // SAFETY: driver_name is a NUL-terminated static string of the PMD.
            unsafe { CStr::from_ptr(di.driver_name) }
                .to_string_lossy()
                .into_owned()
        };
        Ok(Port {
            id,
            index,
            name: pc.name.clone(),
            mac: mac.addr_bytes,
            info: PortInfo {
                driver,
                device: pc.devargs.clone(),
                max_rx_queues: di.max_rx_queues,
                max_tx_queues: di.max_tx_queues,
                rx_queues: pc.rx_queues,
                tx_queues,
                mtu,
                max_rx_pktlen: di.max_rx_pktlen,
                socket,
            },
            // Opened here, on the thread that runs in the ports' namespace (the control thread
            // may move to the host-interface namespace later; the socket keeps this one).
            kernel_if: pc
                .kernel_iface()
                .and_then(|i| open_ctl_socket().map(|s| (s, i.to_string()))),
        })
    }

    /// Link state without waiting.
    pub fn link(&self) -> LinkState {
        let mut l = sys::rte_eth_link::default();
        // SAFETY: self.id is a started port; l is a valid out pointer.
        let rc = unsafe { sys::rte_eth_link_get_nowait(self.id, &mut l) };
        if rc < 0 {
            return LinkState::default();
        }
        let kernel_up = self
            .kernel_if
            .as_ref()
            .and_then(|(s, n)| kernel_link(s, n))
            .unwrap_or(true);
        LinkState {
            up: l.link_status() != 0 && kernel_up,
            speed_mbps: l.link_speed,
            full_duplex: l.link_duplex() != 0,
        }
    }

    /// Set the administrative state (not every PMD supports it; errors are returned).
    pub fn set_admin(&self, up: bool) -> Result<(), DpdkError> {
        // SAFETY: self.id is a valid port.
        let rc = unsafe {
            if up {
                sys::rte_eth_dev_set_link_up(self.id)
            } else {
                sys::rte_eth_dev_set_link_down(self.id)
            }
        };
        check(rc, || {
            format!(
                "set link {} ({})",
                if up { "up" } else { "down" },
                self.name
            )
        })
    }

    /// Set the device MTU.
    pub fn set_mtu(&self, mtu: u16) -> Result<(), DpdkError> {
        // SAFETY: self.id is a valid started port.
        let rc = unsafe { sys::rte_eth_dev_set_mtu(self.id, mtu) };
        check(rc, || format!("rte_eth_dev_set_mtu({}, {mtu})", self.name))
    }

    /// Counters.
    pub fn stats(&self) -> PortStats {
        let mut s = sys::rte_eth_stats::default();
        // SAFETY: self.id is valid; s is a valid out pointer.
        unsafe { sys::rte_eth_stats_get(self.id, &mut s) };
        PortStats {
            ipackets: s.ipackets,
            opackets: s.opackets,
            ibytes: s.ibytes,
            obytes: s.obytes,
            imissed: s.imissed,
            ierrors: s.ierrors,
            oerrors: s.oerrors,
            rx_nombuf: s.rx_nombuf,
        }
    }

    /// Reset the device counters.
    pub fn clear_stats(&self) {
        // SAFETY: self.id is valid.
        unsafe { sys::rte_eth_stats_reset(self.id) };
    }

    /// The unique rx handle for queue `q` (call once per queue).
    pub fn rx_queue(&self, q: u16) -> RxQueue {
        RxQueue {
            port_id: self.id,
            port_index: self.index,
            queue: q,
        }
    }

    /// The unique tx handle for queue `q` (call once per queue).
    pub fn tx_queue(&self, q: u16) -> TxQueue {
        TxQueue {
            port_id: self.id,
            queue: q,
            buf: Vec::with_capacity(2 * TX_BUFFER),
            dropped: 0,
            profile: false,
            clocks: 0,
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        // SAFETY: the port was started by Port::open; workers holding its queues have been joined
        // before ports are dropped (daemon shutdown order).
        unsafe {
            sys::rte_eth_dev_stop(self.id);
            sys::rte_eth_dev_close(self.id);
        }
    }
}

/// Rx burst size (a graph frame holds up to 256 packets).
pub const RX_BURST: usize = 256;
/// Packets buffered per tx queue before a burst is sent (a whole graph frame: one tx burst per
/// frame and port; the buffer is also drained at the end of every poll loop).
pub const TX_BUFFER: usize = RX_BURST;

/// Unique handle on one rx queue.
pub struct RxQueue {
    port_id: u16,
    /// Our port index.
    pub port_index: u32,
    /// Queue number.
    pub queue: u16,
}

impl RxQueue {
    /// Receive up to `RX_BURST - out.len()` packets, appended to `out` (the PMD writes the mbuf
    /// pointers straight into the vector's spare capacity). Returns how many arrived and the
    /// bytes of those kept (mbufs that fail [`Mbuf::from_raw`] are freed and not appended).
    pub fn rx(&mut self, out: &mut Vec<Mbuf>) -> (usize, u64) {
        self.rx_marked(out, || {})
    }

    /// [`RxQueue::rx`], calling `burst_done` between the PMD's burst and the conversion of the
    /// received mbufs (the worker's stage profile).
    #[inline]
    pub fn rx_marked(&mut self, out: &mut Vec<Mbuf>, burst_done: impl FnOnce()) -> (usize, u64) {
        let room = RX_BURST.saturating_sub(out.len());
        let Ok(want) = u16::try_from(room) else {
            return (0, 0);
        };
        if want == 0 {
            return (0, 0);
        }
        out.reserve(room);
        let base = out.len();
        let slots = out
            .spare_capacity_mut()
            .as_mut_ptr()
            .cast::<*mut sys::rte_mbuf>();
        // This handle is the only user of (port_id, queue) (RxQueue is unique and not Clone);
        // `slots` points to at least `room` = `want` writable pointer-sized slots (reserved
        // above; Mbuf is repr(transparent) over a mbuf pointer).
        // SAFETY: sole user of (port_id, queue); `slots` has >= `want` writable mbuf-pointer slots.
        let n =
            usize::from(unsafe { sys::ferro_eth_rx_burst(self.port_id, self.queue, slots, want) });
        burst_done();
        let meta = fwd_engine::buffer::PacketMeta::rx(self.port_index);
        let mut bytes = 0u64;
        // Common case: every mbuf is single-segment with our private area; its metadata is
        // written in place and the pointer already sits where the Mbuf belongs.
        let mut kept = 0usize;
        while kept < n {
            // SAFETY: the PMD wrote n valid mbuf pointers to slots[0..n] and we now own them;
            // a non-null one is valid for init_rx, which leaves it untouched when it declines.
            let len = unsafe {
                let m = slots.add(kept).read();
                if m.is_null() {
                    break;
                }
                Mbuf::init_rx(m, &meta)
            };
            let Some(len) = len else { break };
            bytes += u64::from(len);
            kept += 1;
        }
        // The rest (rare: chained or foreign mbufs), one by one through from_raw, compacting.
        let slow = kept;
        for i in slow..n {
            // Each pointer from slot `kept` on is read once.
            // SAFETY: as above; writing slot `kept <= i` overwrites an already-read pointer in
            // reserved capacity, with a valid Mbuf (same layout as the pointer).
            unsafe {
                let m = slots.add(i).read();
                if let Some(mb) = Mbuf::from_raw(m, self.port_index) {
                    bytes += mb.len() as u64;
                    slots.add(kept).cast::<Mbuf>().write(mb);
                    kept += 1;
                }
            }
        }
        // SAFETY: slots[0..kept] (= out[base..base + kept]) now hold initialised Mbufs.
        unsafe { out.set_len(base + kept) };
        (n, bytes)
    }
}

// SAFETY: the handle holds only ids; the queue it names is used by one thread at a time because the
// handle is unique and moved, not shared.
unsafe impl Send for RxQueue {}

/// Unique handle on one tx queue, with a small buffer drained by [`TxQueue::flush`].
pub struct TxQueue {
    port_id: u16,
    queue: u16,
    buf: Vec<*mut sys::rte_mbuf>,
    /// Packets the PMD refused (freed and counted).
    pub dropped: u64,
    /// Count TSC clocks spent in the PMD's tx burst into `clocks` (the worker's stage profile).
    pub profile: bool,
    /// TSC clocks spent in tx bursts while `profile` is set.
    pub clocks: u64,
}

// SAFETY: the buffered raw mbufs are owned by this handle; the handle is unique and moved to the one
// worker that uses it.
unsafe impl Send for TxQueue {}

impl TxQueue {
    /// Buffer one packet; sends a burst when the buffer is full. Returns packets sent now.
    pub fn push(&mut self, m: Mbuf) -> usize {
        self.buf.push(m.into_raw());
        if self.buf.len() >= TX_BUFFER {
            self.flush()
        } else {
            0
        }
    }

    /// Buffer a whole graph output queue (left empty, capacity kept); sends when the buffer is
    /// full. Returns the bytes queued.
    pub fn push_batch(&mut self, pkts: &mut Vec<Mbuf>) -> u64 {
        let mut bytes = 0u64;
        self.buf.reserve(pkts.len());
        for m in pkts.drain(..) {
            bytes += m.len() as u64;
            self.buf.push(m.into_raw());
        }
        if self.buf.len() >= TX_BUFFER {
            self.flush();
        }
        bytes
    }

    /// Send a whole graph output queue now (left empty, capacity kept), after anything already
    /// buffered (order kept). With nothing buffered, the PMD bursts straight from the vector (no
    /// copy into the buffer). Returns the packets the PMD took; the rest is freed and counted in
    /// `dropped`.
    pub fn send(&mut self, pkts: &mut Vec<Mbuf>) -> usize {
        if !self.buf.is_empty() {
            self.buf.extend(pkts.drain(..).map(Mbuf::into_raw));
            return self.flush();
        }
        let total = pkts.len();
        let base = pkts.as_mut_ptr().cast::<*mut sys::rte_mbuf>();
        // Mbuf is repr(transparent) over a non-null mbuf pointer, so the vector's buffer is an
        // array of `total` owned mbuf pointers. The array stays valid (no reallocation) during
        // the call.
        // SAFETY: `total` owned mbuf ptrs; set_len(0) forgets the Mbufs (no Drop) for burst_raw,
        // which gives each to the PMD or frees it exactly once; no reallocation during the call.
        unsafe {
            pkts.set_len(0);
            self.burst_raw(base, total)
        }
    }

    /// Send everything buffered, in bursts of at most `u16::MAX`; what the PMD does not take
    /// (its ring is full) is freed in bulk and counted in `dropped`.
    pub fn flush(&mut self) -> usize {
        let total = self.buf.len();
        if total == 0 {
            return 0;
        }
        let base = self.buf.as_mut_ptr();
        // SAFETY: buf[..total] holds owned mbufs; clearing the buffer (pointers only, no Drop)
        // hands them to burst_raw, which transmits or frees each exactly once.
        unsafe {
            self.buf.set_len(0);
            self.burst_raw(base, total)
        }
    }

    /// Transmit `base[..total]`, in bursts of at most `u16::MAX`; free (bulk) and count what the
    /// PMD does not take. Returns the packets taken.
    ///
    /// # Safety
    /// `base[..total]` are valid mbuf pointers owned by the caller, who gives up ownership of all
    /// of them; the array must stay valid during the call.
    unsafe fn burst_raw(&mut self, base: *mut *mut sys::rte_mbuf, total: usize) -> usize {
        let t0 = if self.profile { rdtsc() } else { 0 };
        let mut sent = 0usize;
        while sent < total {
            let n = u16::try_from(total - sent).unwrap_or(u16::MAX);
            // SAFETY: unique handle on (port_id, queue); base[sent..sent + n] holds n owned
            // mbufs (caller's contract); the PMD takes ownership of the first `k`.
            let k = usize::from(unsafe {
                sys::ferro_eth_tx_burst(self.port_id, self.queue, base.add(sent), n)
            });
            sent += k;
            if k < usize::from(n) {
                break;
            }
        }
        if sent < total {
            let count = total - sent;
            // SAFETY: the PMD did not take base[sent..total]: ours (caller's contract), freed once;
            // count <= total, a Vec length far below u32::MAX (tx buffer or graph output queue).
            unsafe {
                sys::rte_pktmbuf_free_bulk(base.add(sent), u32::try_from(count).unwrap_or(0))
            };
            self.dropped += count as u64;
        }
        if self.profile {
            self.clocks += rdtsc().wrapping_sub(t0);
        }
        sent
    }

    /// Packets waiting in the buffer.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

impl Drop for TxQueue {
    fn drop(&mut self) {
        for &m in &self.buf {
            // SAFETY: buffered mbufs are owned by this handle; freed once.
            unsafe { sys::ferro_pktmbuf_free(m) };
        }
    }
}

/// TSC ticks per second (EAL's calibration; 0 before EAL is initialised).
pub fn tsc_hz() -> u64 {
    if !EAL_INITIALISED.load(Ordering::Relaxed) {
        return 0;
    }
    // SAFETY: rte_get_tsc_hz only reads the frequency EAL calibrated at init (0 if it failed).
    unsafe { sys::rte_get_tsc_hz() }
}

/// Read the TSC.
#[inline]
pub fn rdtsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: rdtsc has no preconditions (x86-64 always has it).
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        // SAFETY: rte_rdtsc (through the shim) has no preconditions.
        unsafe { sys::ferro_rdtsc() }
    }
}

/// Nanoseconds since creation from the TSC, scaled with EAL's calibrated frequency: the
/// workers' clock (graph runtime counters, protocol time). A TSC read costs about 29 TSC ticks
/// on this kind of VM against 74 for `clock_gettime` (vDSO), and the loop reads the clock five
/// times per frame. Reads 0 forever if EAL has no TSC frequency.
#[derive(Clone, Copy, Debug)]
pub struct TscClock {
    start: u64,
    /// Nanoseconds per tick, 32.32 fixed point.
    mult: u64,
}

impl TscClock {
    /// Start now (EAL must be initialised for a non-zero frequency).
    pub fn new() -> Self {
        let hz = u128::from(tsc_hz());
        let mult = (1_000_000_000u128 << 32)
            .checked_div(hz)
            .map_or(0, |m| u64::try_from(m).unwrap_or(u64::MAX));
        TscClock {
            start: rdtsc(),
            mult,
        }
    }
}

impl Default for TscClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fwd_engine::graph::Clock for TscClock {
    #[inline]
    fn now(&self) -> u64 {
        let ticks = u128::from(rdtsc().wrapping_sub(self.start));
        // A u64 of nanoseconds lasts 584 years; saturate rather than wrap beyond.
        u64::try_from((ticks * u128::from(self.mult)) >> 32).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Overrides;

    #[test]
    fn eal_args_no_huge_and_vdevs() {
        let ov = Overrides {
            ports: vec![
                "Ethernet0=net_af_packet0,iface=v0".into(),
                "Ethernet4=net_ring0".into(),
            ],
            name: Some("r1".into()),
            ..Overrides::default()
        };
        let c = Config::parse("", &ov).unwrap();
        let a = eal_args(&c, false, 42);
        let s = a.join(" ");
        assert!(s.contains("--file-prefix ferrosai-r1-42"));
        assert!(s.contains("--no-huge -m 256"));
        assert!(s.contains("--no-pci"));
        assert!(s.contains("--vdev net_af_packet0,iface=v0"));
        assert!(s.contains("--vdev net_ring0"));
        let a = eal_args(&c, true, 42).join(" ");
        assert!(!a.contains("--no-huge"));
    }
}
