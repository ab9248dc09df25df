//! The forwarder's route path without the ring or DPDK, for profiling: `Tables::apply` of N
//! IPv4 /24 `RouteAdd` commands (as the program bench's bulk phase sends them), the N
//! `RouteDel`s, then the N adds again (the bench's single-create phase runs on a FIB from which
//! the routes were just removed; `ROUTE_APPLY_SHUFFLE=1`: in a scrambled order instead of
//! address order). Commands are applied in bursts of 1024, as the control thread takes them
//! from the ring. Prints wall and CPU seconds (this thread's
//! `schedstat`) per phase.
//!
//! `cargo build --release -p fwd-daemon --example route_apply`, then
//! `target/release/examples/route_apply [N]` (default 1000000); for instruction counts run it
//! under `valgrind --tool=callgrind --dump-instr=no`.

use std::time::Instant;

use fwd_daemon::tables::{timing_setup, Tables};
use fwd_engine::fib::{Fib, FibConfig};
use fwd_engine::interface::interfaces;
use ring_proto::{Command, Prefix, RouteAction, Status};

const BURST: usize = 1024;

/// Apply `cmds` in bursts; panics on a non-Ok status (this is a profile, not a check).
fn run(t: &mut Tables, cmds: &[Command], what: &str) {
    let t0 = Instant::now();
    let c0 = cpu_seconds();
    for burst in cmds.chunks(BURST) {
        for c in burst {
            let o = t.apply(c);
            assert_eq!(o.status, Status::Ok, "{what}: {c:?}");
        }
        t.publish();
    }
    t.fib().reclaim();
    println!(
        "{what:<12} {:>8} routes {:>7.3} s, CPU {:>7.3} s",
        cmds.len(),
        t0.elapsed().as_secs_f64(),
        cpu_seconds() - c0
    );
}

/// CPU time of this thread so far (first field of `/proc/thread-self/schedstat`, ns); 0 if
/// unavailable.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (fw, _fr) = Fib::new(FibConfig::default());
    let (iw, _ir) = interfaces();
    let mut t = Tables::new(fw, iw, &[("Ethernet0".into(), [2, 0, 0, 0, 1, 0])]);
    for c in timing_setup() {
        assert_eq!(t.apply(&c).status, Status::Ok, "{c:?}");
    }
    let p = |i: u32| Prefix::v4(0x0100_0000 + (i << 8), 24).expect("prefix");
    // `ROUTE_APPLY_SHUFFLE=1`: the routes in a pseudo-random order (an odd multiplier modulo
    // the next power of two, values >= n skipped) instead of address order.
    let order: Vec<u32> = if std::env::var_os("ROUTE_APPLY_SHUFFLE").is_some() {
        let m = n.next_power_of_two().max(1);
        (0..m)
            .map(|i| i.wrapping_mul(0x9e37_79b1) & (m - 1))
            .filter(|&i| i < n)
            .collect()
    } else {
        (0..n).collect()
    };
    let adds: Vec<Command> = order
        .iter()
        .map(|&i| Command::RouteAdd {
            vrf: 100,
            prefix: p(i),
            action: RouteAction::NextHop(1),
        })
        .collect();
    let dels: Vec<Command> = order
        .iter()
        .map(|&i| Command::RouteDel {
            vrf: 100,
            prefix: p(i),
        })
        .collect();
    run(&mut t, &adds, "add");
    run(&mut t, &dels, "delete");
    run(&mut t, &adds, "add again");
}
