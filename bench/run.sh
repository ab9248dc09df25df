#!/usr/bin/env bash
# bench/run.sh [--quick]: the side-by-side benchmark runner (issue 9).
#
# One command, run from anywhere in the repository, as root (or any user that can run DPDK with
# --no-huge). Measures, in one invocation on this machine:
#   - forwarding, 64-byte IPv4/UDP, one forwarding core, the same vdevs for every contestant
#     (net_pcap rx_pcap=<generated pcap>,infinite_rx=1 -> net_null no-rx=1 sink):
#     dpdk-testpmd io (the ceiling), ferrosai-fwd with 1k / 100k / 1M routes, DPDK l3fwd
#     --lookup=lpm and --lookup=fib (built here from dpdk-doc's sources) with 1k / 100k / 1M
#     routes (LPM: 1k / 100k, and how fast it loads 1M);
#     Mpps from the sink port's tx counter over a fixed window, ratio to testpmd io;
#   - multi-core: testpmd io and ferrosai-fwd (1M routes) with 2 forwarding cores;
#   - route programming through the ring (add and withdraw rates) and forwarder RSS per route;
#   - the graph alone: the criterion bench `graph` (ns/packet at 1k / 1M routes);
#   - route programming through the SAI API: sai-dataplane's `program` bench, when it exists;
#   - libsai's object store memory per stored route (bench-runner saimem);
#   - latency through the forwarder on af_packet veths against a direct veth pair (root;
#     bench-runner latency, pinned to CPU 0, the forwarder's worker on CPU 1);
# Writes bench/out/ (generated, gitignored), the top of bench/RESULTS.md and bench/forwarding.png.
# --quick: one run per contestant with 3-second windows (default: 3 runs, 10-second windows,
# median). Needs: dpdk-testpmd (Debian dpdk-dev), libdpdk-dev + pkg-config + make + cc (l3fwd),
# dpdk-doc (l3fwd sources), python3 (+ python3-matplotlib for the plot), cargo.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/out
RUNNER=$ROOT/bench/runner
QUICK=0
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown argument $a (usage: bench/run.sh [--quick])" >&2; exit 2 ;;
    esac
done
if [ $QUICK = 1 ]; then WARM=2; WIN=3; REPS=1; LATDUR=3; LATTRIAL=0.5; LPMT=20; GRAPH_EXTRA=4; CMD="bench/run.sh --quick"
else WARM=3; WIN=10; REPS=3; LATDUR=10; LATTRIAL=1; LPMT=60; GRAPH_EXTRA=8; CMD="bench/run.sh"; fi
PKTS=16384              # distinct packets in the pcap (held in mbufs by net_pcap infinite_rx)
TAG=fsb$$               # names of everything this run creates (EAL prefixes, rings, sockets)
MEM=2048                # EAL memory (MB, --no-huge): pool + l3fwd's 1M-route tables
DB=$OUT/results.jsonl
mkdir -p "$OUT"
rm -f "$DB" "$OUT"/*.log "$OUT"/*.runtime.txt "$OUT"/latency.json
PIDS=()

log() { printf '[run.sh %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# BENCH_ONLY=fwd,lpm,scale,latency,graph,sai runs only those sections (debugging; no report);
# BENCH_CONTESTANTS="ferrosai-1k l3fwd-fib-1M ..." restricts the forwarding section's list;
# BENCH_RESULTS=<file.md> writes the report there (with BENCH_ONLY too), the plot as <file>.png.
want() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }
# The interpreter for tool.py: one that has matplotlib if there is one (the plot), else python3.
PY=python3
for c in python3 /usr/bin/python3; do
    if command -v "$c" > /dev/null && "$c" -c 'import matplotlib' 2> /dev/null; then PY=$c; break; fi
done
tool() { "$PY" "$RUNNER/tool.py" "$@"; }
add() { tool add --db "$DB" "$@"; }

cleanup() {
    for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
    sleep 0.5
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf /var/run/dpdk/"$TAG"-* /dev/shm/ferrosai-"$TAG"-* /tmp/"$TAG"-*.sock
    if [ -n "${LATNS:-}" ]; then ip netns del "$LATNS" 2> /dev/null || true; fi
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "run.sh: $1 not found ($2)" >&2; exit 1; }; }
need dpdk-testpmd "Debian package dpdk-dev"
need pkg-config "Debian package pkg-config"
need make "Debian package make"
need cc "Debian package gcc"
need python3 "Debian package python3"
need cargo "rustup"
pkg-config --exists libdpdk || { echo "run.sh: libdpdk not found (libdpdk-dev)" >&2; exit 1; }
[ -d /usr/share/dpdk/examples/l3fwd ] || { echo "run.sh: no l3fwd sources (dpdk-doc)" >&2; exit 1; }

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
add kind=meta "date=\"$(date -u '+%Y-%m-%d %H:%M UTC')\"" "cpu=\"$CPU\"" cores="$(nproc)" \
    "load=\"$(cut -d' ' -f1-3 /proc/loadavg)\"" quick=$QUICK mem_mb=$MEM

log "building ferrosai-fwd, fwdctl, bench-runner (release)"
(cd "$ROOT" && cargo build --release -q -p fwd-daemon -p bench --bins)
FWD=$ROOT/target/release/ferrosai-fwd
FWDCTL=$ROOT/target/release/fwdctl
BR=$ROOT/target/release/bench-runner

log "generating routes and packets"
for n in 1000 100000 1000000; do
    "$BR" gen --routes $n --packets $PKTS --dir "$OUT" > "$OUT/gen-$n.txt"
done

# DPDK l3fwd from dpdk-doc's example sources, built in a copy under bench/out (never committed).
# Edits to the copy, and why:
#  - main.c `.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM` -> 0: the vdevs (net_pcap, net_null) offer
#    no RX checksum offload and l3fwd's port configure fails when it is requested.
#  - main.c NB_MBUF floor 8192 -> 131072: net_pcap infinite_rx keeps every packet of the pcap in
#    mbufs of the pool; 16384 packets do not fit in 8192.
#  - l3fwd_lpm.c IPV4 max rules 1024 -> 2^21, tbl8s 2^8 -> 2^16, and l3fwd_fib.c max_routes
#    2^16 -> 2^21, tbl8 2^15 -> 2^16: room for the same 1M routes ferrosai gets.
# l3fwd's one-TX-queue-per-lcore setup needs no edit here: it runs on a single lcore (-l 1), so
# it asks every port for one tx queue, which the vdevs have.
L3SRC=$OUT/l3fwd-build/l3fwd
if [ ! -x "$L3SRC/build/l3fwd" ]; then
    log "building DPDK l3fwd from /usr/share/dpdk/examples (copy in bench/out)"
    rm -rf "$OUT/l3fwd-build" && mkdir -p "$OUT/l3fwd-build"
    cp -r /usr/share/dpdk/examples/l3fwd /usr/share/dpdk/examples/common "$OUT/l3fwd-build/"
    sed -i -e 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0,/' \
        -e 's/(unsigned)8192)/(unsigned)131072)/' "$L3SRC/main.c"
    sed -i -e 's/^#define IPV4_L3FWD_LPM_MAX_RULES .*/#define IPV4_L3FWD_LPM_MAX_RULES (1 << 21)/' \
        -e 's/^#define IPV4_L3FWD_LPM_NUMBER_TBL8S .*/#define IPV4_L3FWD_LPM_NUMBER_TBL8S (1 << 16)/' \
        "$L3SRC/l3fwd_lpm.c"
    sed -i -e 's/config_ipv4.max_routes = (1 << 16);/config_ipv4.max_routes = (1 << 21);/' \
        -e 's/config_ipv4.dir24_8.num_tbl8 = (1 << 15);/config_ipv4.dir24_8.num_tbl8 = (1 << 16);/' \
        "$L3SRC/l3fwd_fib.c"
    for pat in 'offloads = 0,' '(unsigned)131072)'; do
        grep -qF "$pat" "$L3SRC/main.c" || { echo "run.sh: l3fwd edit failed: $pat" >&2; exit 1; }
    done
    grep -q 'MAX_RULES (1 << 21)' "$L3SRC/l3fwd_lpm.c" && grep -q 'max_routes = (1 << 21)' \
        "$L3SRC/l3fwd_fib.c" || { echo "run.sh: l3fwd table-size edit failed" >&2; exit 1; }
    make -s -C "$L3SRC" > "$OUT/l3fwd-make.log" 2>&1 || { cat "$OUT/l3fwd-make.log" >&2; exit 1; }
fi
L3FWD=$L3SRC/build/l3fwd

# Source and sink devargs (queues: how many rx/tx queues each needs).
src_dev() { # pcap queues
    local d="net_pcap0" q
    for ((q = 0; q < $2; q++)); do d="$d,rx_pcap=$1"; done
    d="$d,infinite_rx=1"
    for ((q = 0; q < $2; q++)); do d="$d,tx_pcap=/dev/null"; done
    echo "$d"
}
SINK="net_null0,no-rx=1"

# Wait until a DPDK app's telemetry socket exists and its sink port has sent something.
# Sets T_SOCK / T_READY (seconds since the epoch, ns resolution) to when the socket was first
# seen (EAL is up) and when the sink had sent something (l3fwd: its routes are loaded).
now_s() { date +%s.%N; }
wait_dpdk() { # sock pid timeout
    local t=0
    T_SOCK=""; T_READY=""
    while [ $t -lt $(($3 * 10)) ]; do
        kill -0 "$2" 2>/dev/null || return 1
        if [ -z "$T_SOCK" ] && [ -S "$1" ]; then T_SOCK=$(now_s); fi
        if [ -S "$1" ] && python3 - "$1" <<'EOF' 2>/dev/null
import socket, json, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(sys.argv[1]); s.recv(4096)
s.send(b"/ethdev/stats,1"); sys.exit(0 if json.loads(s.recv(65536))["/ethdev/stats"]["opackets"] > 0 else 1)
EOF
        then T_READY=$(now_s); return 0; fi
        sleep 0.1; t=$((t + 1))
    done
    return 1
}

stop() { # pid
    kill -INT "$1" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return; }; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true
}

REF=""  # Mpps of the testpmd io run made just before the current contestant
TP_RSS=""  # testpmd io's resident memory (same EAL memory and mbuf pool as the others)
record_fwd() { # name json [ref]
    local j=$2
    add kind=fwd name="$1" "mpps=$(jq_get "$j" mpps)" "samples=$(jq_get "$j" samples)" \
        "window_s=$(jq_get "$j" window_s)" ${3:+ref=$3}
}
jq_get() { python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])[sys.argv[2]]))' "$1" "$2"; }

run_testpmd() { # name pcap cores
    local name=$1 pcap=$2 cores=$3 lc pre=$TAG-$1 j
    if [ "$cores" = 1 ]; then lc="-l 0,1"; else lc="--lcores 0@0,1@0,2@1"; fi
    # shellcheck disable=SC2086
    dpdk-testpmd $lc --no-huge -m $MEM --no-pci --file-prefix "$pre" \
        --vdev "$(src_dev "$pcap" "$cores")" --vdev "$SINK" -- --forward-mode=io \
        --stats-period 1000 --total-num-mbufs=131072 --nb-cores="$cores" \
        --rxq="$cores" --txq="$cores" > "$OUT/$name.log" 2>&1 &
    local pid=$!; PIDS+=("$pid")
    if ! wait_dpdk "/var/run/dpdk/$pre/dpdk_telemetry.v2" $pid 60; then
        log "$name: did not start (see bench/out/$name.log)"; stop $pid; return 1
    fi
    if [ "$cores" = 1 ] && [ -z "$TP_RSS" ]; then
        TP_RSS=$(rss_kb $pid); add kind=rss name=testpmd-io rss_kb="$TP_RSS"
    fi
    j=$(tool rate --dpdk "/var/run/dpdk/$pre/dpdk_telemetry.v2" --port 1 --warmup $WARM --window $WIN)
    stop $pid
    log "$name: $j"
    record_fwd "$name" "$j"
    LAST_MPPS=$(jq_get "$j" mpps)
}

run_l3fwd() { # name lookup routes
    local name=$1 pre=$TAG-$1 j
    "$L3FWD" -l 1 --no-huge -m $MEM --no-pci --file-prefix "$pre" \
        --vdev "$(src_dev "$OUT/pkts-$3.pcap" 1)" --vdev "$SINK" -- -p 0x3 -P \
        --config="(0,0,1),(1,0,1)" --lookup="$2" --parse-ptype \
        --rule_ipv4="$OUT/l3fwd-v4-$3.cfg" --rule_ipv6="$OUT/l3fwd-v6-$3.cfg" \
        > "$OUT/$name.log" 2>&1 &
    local pid=$!; PIDS+=("$pid")
    if ! wait_dpdk "/var/run/dpdk/$pre/dpdk_telemetry.v2" $pid 180; then
        log "$name: did not start (see bench/out/$name.log)"; stop $pid; return 1
    fi
    # Route loading time: EAL up (telemetry socket) -> forwarding (sink counter > 0); l3fwd reads
    # its rule file and adds the routes in between.
    add kind=load name="$name" routes="$3" seconds="$(python3 -c "print(round($T_READY - $T_SOCK, 3))")"
    j=$(tool rate --dpdk "/var/run/dpdk/$pre/dpdk_telemetry.v2" --port 1 --warmup $WARM --window $WIN)
    stop $pid
    sed -i '/Adding route/d' "$OUT/$name.log"   # 1M lines of route listing
    log "$name: $j"
    record_fwd "$name" "$j" "$REF"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# ferrosai-fwd: start, program the routes through the ring (timed), RSS, forward, then a second
# library attach (flush) + add + withdraw + re-add for the programming rates.
FWDN=0
run_fwd() { # name routes workers [prog]
    FWDN=$((FWDN + 1))
    # Short instance name: DPDK's mempool names (pkt_<name>) are limited to 25 characters.
    local name=$1 n=$2 w=$3 pre=$TAG-f$FWDN j cpus
    local ring=/dev/shm/ferrosai-$pre sock=/tmp/$pre.sock cfg=$OUT/$name.toml
    if [ "$w" = 1 ]; then cpus="[1]"; else cpus="[0, 1]"; fi
    cat > "$cfg" <<EOF
[daemon]
name = "$pre"
ring = "$ring"
cli_socket = "$sock"
workers = $w
worker_cpus = $cpus
polling = "busy"
mbufs = 131071
hugepages = "no"
memory_mb = $MEM
log_level = "warn"

[[port]]
name = "Ethernet0"
devargs = "$(src_dev "$OUT/pkts-$n.pcap" "$w")"
rx_queues = $w

[[port]]
name = "Ethernet4"
devargs = "$SINK"
EOF
    "$FWD" --config "$cfg" > "$OUT/$name.log" 2>&1 &
    local pid=$!; PIDS+=("$pid")
    for _ in $(seq 300); do [ -S "$sock" ] && [ -e "$ring" ] && break; sleep 0.1; done
    if ! [ -S "$sock" ]; then log "$name: did not start (see bench/out/$name.log)"; stop $pid; return 1; fi
    sleep 0.5
    local rss0; rss0=$(rss_kb $pid)
    local p; p=$("$BR" program --ring "$ring" --routes "$n") || { log "$name: programming failed"; stop $pid; return 1; }
    local rss1; rss1=$(rss_kb $pid)
    "$FWDCTL" -s "$sock" clear counters > /dev/null 2>&1 || true
    j=$(tool rate --fwdctl "$FWDCTL" --sock "$sock" --port 1 --warmup $WARM --window $WIN)
    # The daemon's own per-node view of the same window (compare with the graph alone).
    "$FWDCTL" -s "$sock" show runtime > "$OUT/$name.runtime.txt" 2>&1 || true
    log "$name: $j"
    record_fwd "$name" "$j" "$REF"
    LAST_MPPS=$(jq_get "$j" mpps)
    if [ "${4:-}" = prog ]; then
        add kind=mem routes=0 rss_kb="$rss0"
        add kind=mem routes="$n" rss_kb="$rss1"
        local p2; p2=$("$BR" program --ring "$ring" --routes "$n" --withdraw) || p2=""
        v() { sed -n "s/^$1=//p" <<<"$2"; }
        add kind=prog routes="$n" add_rate="$(v add_rate "$p")" add_s="$(v add_s "$p")" \
            add2_rate="$(v add_rate "$p2")" del_rate="$(v del_rate "$p2")" del_s="$(v del_s "$p2")" \
            readd_rate="$(v readd_rate "$p2")" not_ok="$(v add_not_ok "$p")"
        log "$name: programmed $n routes: $(tr '\n' ' ' <<<"$p") / $(tr '\n' ' ' <<<"$p2")"
    fi
    stop $pid
}

if want fwd; then
log "forwarding runs: $REPS x (warm-up ${WARM}s, window ${WIN}s)"
# Every contestant run is preceded by a testpmd io run: its ratio is taken against that one
# (the load of a shared machine changes from minute to minute).
for rep in $(seq $REPS); do
    prog=""; [ "$rep" = 1 ] && prog=prog
    # shellcheck disable=SC2086
    for c in ${BENCH_CONTESTANTS:-ferrosai-1k ferrosai-100k ferrosai-1M l3fwd-lpm-1k l3fwd-fib-1k \
        l3fwd-lpm-100k l3fwd-fib-100k l3fwd-fib-1M}; do
        REF=""
        if run_testpmd testpmd-io "$OUT/pkts-1000000.pcap" 1; then REF=$LAST_MPPS; fi
        case $c in
            ferrosai-1k) run_fwd $c 1000 1 $prog || true ;;
            ferrosai-100k) run_fwd $c 100000 1 $prog || true ;;
            ferrosai-1M) run_fwd $c 1000000 1 $prog || true ;;
            l3fwd-lpm-1k) run_l3fwd $c lpm 1000 || true ;;
            l3fwd-fib-1k) run_l3fwd $c fib 1000 || true ;;
            l3fwd-lpm-100k) run_l3fwd $c lpm 100000 || true ;;
            l3fwd-fib-100k) run_l3fwd $c fib 100000 || true ;;
            l3fwd-fib-1M) run_l3fwd $c fib 1000000 || true ;;
        esac
    done
done
REF=""

fi
# l3fwd --lookup=lpm with 1M routes does not forward in reasonable time: rte_lpm keeps its
# rules in one array per depth and scans it on every insert, so loading 1M routes (586k /24s)
# is quadratic. Measured instead: how many routes it loads in $LPMT s (l3fwd prints one line
# per added route; counted in its log every 5 s), then it is stopped.
lpm_load() {
    local name=l3fwd-lpm-1M-load pre=$TAG-lpmload c t0 counts=""
    "$L3FWD" -l 1 --no-huge -m $MEM --no-pci --file-prefix "$pre" \
        --vdev "$(src_dev "$OUT/pkts-1000000.pcap" 1)" --vdev "$SINK" -- -p 0x3 -P \
        --config="(0,0,1),(1,0,1)" --lookup=lpm --parse-ptype \
        --rule_ipv4="$OUT/l3fwd-v4-1000000.cfg" --rule_ipv6="$OUT/l3fwd-v6-1000000.cfg" \
        > "$OUT/$name.log" 2>&1 &
    local pid=$!; PIDS+=("$pid")
    for _ in $(seq 300); do [ -S "/var/run/dpdk/$pre/dpdk_telemetry.v2" ] && break; sleep 0.1; done
    t0=$(now_s)
    for ((t = 0; t <= LPMT; t += 5)); do
        c=$(grep -c 'LPM: Adding route [0-9.]* ' "$OUT/$name.log" || true)
        counts="$counts${counts:+,}[$(python3 -c "print(round($(now_s) - $t0, 2))"),$c]"
        if [ $t -lt $LPMT ]; then sleep 5; fi
    done
    stop $pid
    log "$name: (seconds, routes loaded) $counts"
    sed -i '/Adding route/d' "$OUT/$name.log"
    add kind=missing name="forwarding l3fwd-lpm-1M" lpm_load="[$counts]" \
        why="\"l3fwd LPM cannot load 1M routes in reasonable time (rte_lpm insert scans the rules of its depth)\""
}
if want lpm; then
    log "l3fwd LPM: routes loaded in ${LPMT}s of 1M"
    lpm_load
fi
if want scale; then
log "multi-core: 1 vs 2 forwarding cores"
M1=""; M2=""
if run_testpmd testpmd-io-1c-scale "$OUT/pkts-1000000.pcap" 1; then M1=$LAST_MPPS; fi
if run_testpmd testpmd-io-2c "$OUT/pkts-1000000.pcap" 2; then M2=$LAST_MPPS; fi
[ -n "$M1" ] && [ -n "$M2" ] && add kind=scale name=testpmd-io mpps1="$M1" mpps2="$M2"
M1=""; M2=""
if run_fwd ferrosai-1M-1w-scale 1000000 1; then M1=$LAST_MPPS; fi
if run_fwd ferrosai-1M-2w 1000000 2; then M2=$LAST_MPPS; fi
[ -n "$M1" ] && [ -n "$M2" ] && add kind=scale name=ferrosai-1M mpps1="$M1" mpps2="$M2"

fi
if want latency; then
# Latency (bench-runner latency, see bench/runner/latency.rs): ferrosai-fwd (1k routes, one busy
# worker on CPU 1) between two veth pairs on net_af_packet ports; the tool sits in a namespace of
# its own on the other veth ends, pinned to CPU 0, one thread sending paced frames (sequence
# number + monotonic send time in the UDP payload) and busy-polling the far end. Baseline in the
# same invocation: the same tool over a third veth pair, sender -> veth -> receiver directly.
LATNS=${TAG}ns
LATNICE=${BENCH_LAT_NICE:--20}
LATFWDNICE=${BENCH_LAT_FWD_NICE:-$LATNICE}
run_latency() {
    local a0=${TAG}a0 a1=${TAG}a1 b0=${TAG}b0 b1=${TAG}b1 c0=${TAG}c0 c1=${TAG}c1
    local name=ferrosai-latency
    local pre=$TAG-lat ring=/dev/shm/ferrosai-$TAG-lat sock=/tmp/$TAG-lat.sock cfg=$OUT/$name.toml
    ip netns add "$LATNS"
    ip link add "$a0" type veth peer name "$a1"
    ip link add "$b0" type veth peer name "$b1"
    ip link set "$a0" netns "$LATNS"
    ip link set "$b0" netns "$LATNS"
    ip netns exec "$LATNS" ip link add "$c0" type veth peer name "$c1"
    for i in "$a1" "$b1"; do
        sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || true
        ip link set "$i" up
    done
    for i in "$a0" "$b0" "$c0" "$c1"; do
        ip netns exec "$LATNS" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=1" || true
        ip netns exec "$LATNS" ip link set "$i" up
    done
    printf '%s\n' '[daemon]' "name = \"$pre\"" "ring = \"$ring\"" "cli_socket = \"$sock\"" \
        'workers = 1' 'worker_cpus = [1]' 'polling = "busy"' 'hugepages = "no"' \
        'memory_mb = 512' 'log_level = "warn"' '' '[[port]]' 'name = "Ethernet0"' \
        "devargs = \"net_af_packet0,iface=$a1,framecnt=4096,qdisc_bypass=1\"" '' '[[port]]' \
        'name = "Ethernet4"' "devargs = \"net_af_packet1,iface=$b1,framecnt=4096,qdisc_bypass=1\"" \
        > "$cfg"
    # Priority: the forwarder and the tool each in a session (so an autogroup) of their own with
    # nice -20 for the group and the threads, so that other work on a shared machine preempts
    # them less (at nice 0 on a loaded machine the forwarder path's median was milliseconds:
    # the worker shared CPU 1 with builds). BENCH_LAT_NICE (tool and forwarder) and
    # BENCH_LAT_FWD_NICE (forwarder only) change that.
    setsid sh -c "echo $LATFWDNICE > /proc/self/autogroup; exec nice -n $LATFWDNICE \"\$0\" \"\$@\"" \
        "$FWD" --config "$cfg" > "$OUT/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 300); do [ -S "$sock" ] && [ -e "$ring" ] && break; sleep 0.1; done
    local ok=1 j="" nv0="" nv1=""
    # Involuntary context switches of the forwarder's threads over the tool's run (how often
    # the rest of the machine took the worker's CPU away).
    nvcsw() { for t in /proc/"$1"/task/*; do
        printf '%s:%s=%s\n' "$(cat "$t/comm" 2> /dev/null)" "${t##*/}" \
            "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status" 2> /dev/null)"
    done; }
    if [ -S "$sock" ] && "$BR" program --ring "$ring" --routes 1000 > /dev/null; then
        nv0=$(nvcsw $pid)
        j=$(ip netns exec "$LATNS" setsid -w sh -c "echo $LATNICE > /proc/self/autogroup; \
            exec nice -n $LATNICE taskset -c 0 \"\$0\" \"\$@\"" "$BR" latency --tx "$a0" --rx "$b0" \
            --base-tx "$c0" --base-rx "$c1" --routes 1000 --duration $LATDUR --trial $LATTRIAL \
            2> "$OUT/latency-tool.log") || ok=0
        nv1=$(nvcsw $pid)
        "$FWDCTL" -s "$sock" show interface > "$OUT/$name.interfaces.txt" 2>&1 || true
    else
        ok=0
    fi
    stop $pid
    ip netns del "$LATNS" 2> /dev/null || true
    if [ $ok = 1 ] && [ -n "$j" ]; then
        log "$name: $(tail -n 7 "$OUT/latency-tool.log" | tr '\n' ' ')"
        echo "$j" > "$OUT/latency.json"
        local pre_json
        pre_json=$(python3 - "$nv0" "$nv1" <<'EOF'
import json, sys
def rd(s):
    d = {}
    for line in s.split("\n"):
        k, _, v = line.rpartition("=")
        if k and v.isdigit():
            d[k] = int(v)
    return d
a, b = rd(sys.argv[1]), rd(sys.argv[2])
print(json.dumps({k: b[k] - a[k] for k in b if k in a}))
EOF
)
        add kind=latency "data=$j" "fwd_preempted=$pre_json"
    else
        add kind=missing name="latency" \
            why="\"latency run failed: see bench/out/$name.log and bench/out/latency-tool.log\""
    fi
}
if [ "$(id -u)" = 0 ] && command -v ip > /dev/null && command -v taskset > /dev/null; then
    log "latency through af_packet veths (and a direct veth pair as the baseline)"
    if ! run_latency; then
        ip netns del "$LATNS" 2> /dev/null || true
        add kind=missing name="latency" why="\"latency run failed: see bench/out/ferrosai-latency.log\""
    fi
else
    add kind=missing name="latency" why="\"needs root, iproute2 (veths, a namespace) and taskset\""
fi

fi
if want graph; then
log "graph alone: cargo bench -p bench --bench graph (+ $GRAPH_EXTRA runs of its [graph] lines)"
# This VM has phases in which the same binary runs ~1.5x slower (seen on both vCPUs, with ASLR
# off, with the other vCPU idle or busy: outside our control), so one criterion run can land in
# one. The figure is the median of the per-run medians of 1 + GRAPH_EXTRA runs, with the range.
if (cd "$ROOT" && cargo bench -q -p bench --bench graph &&
    GBX=$(cargo bench -p bench --bench graph --no-run 2>&1 |
        grep -o 'target/release/deps/graph-[0-9a-f]*' | tail -1) &&
    for _ in $(seq "$GRAPH_EXTRA"); do "$GBX" --bench NONE; done) > "$OUT/graph-bench.log" 2>&1; then
    python3 - "$OUT/graph-bench.log" "$DB" <<'EOF'
import json, re, statistics, sys
pat = re.compile(r"\[graph\] ip4_path/(\S+)/(\S+)/frame(\d+): median ([\d.]+) ns/packet \((\d+) cycles at ([\d.]+) GHz")
# The per-node breakdown: a header line, then the `show runtime` table (clocks = ns).
rt = re.compile(r"\[graph\] ip4_path/(\S+)/single-nh/frame256 show runtime.*frame ([\d.]+) ns/packet, in nodes ([\d.]+)")
lines = open(sys.argv[1]).read().split("\n")
runs = {}
ghz = {}
for line in lines:
    m = pat.search(line)
    if m and m.group(2) == "single-nh" and m.group(3) == "256":
        runs.setdefault(m.group(1), []).append(float(m.group(4)))
        ghz[m.group(1)] = m.group(6)
seen_rt = set()
with open(sys.argv[2], "a") as db:
    for rn, ns in runs.items():
        med = statistics.median(ns)
        g = float(ghz[rn])
        db.write(json.dumps({"kind": "graph", "name": "%s routes, frame 256" % rn,
                             "ns": med, "cycles": round(med * g), "ghz": ghz[rn],
                             "runs": len(ns), "min_cycles": round(min(ns) * g),
                             "max_cycles": round(max(ns) * g)}) + "\n")
    for i, line in enumerate(lines):
        m = rt.search(line)
        if m and m.group(1) not in seen_rt:
            seen_rt.add(m.group(1))
            nodes = []
            for t in lines[i + 1:]:
                f = t.split()
                if not f or t.startswith("["):
                    break
                if f[0] == "Name" or len(f) < 6:
                    continue
                nodes.append([f[0], float(f[-1])])
            db.write(json.dumps({"kind": "graphnodes", "name": "%s routes, frame 256" % m.group(1),
                                 "frame_ns": float(m.group(2)), "in_nodes_ns": float(m.group(3)),
                                 "nodes": nodes}) + "\n")
EOF
else
    add kind=missing name="graph alone" why="\"cargo bench --bench graph failed: bench/out/graph-bench.log\""
fi
# perf stat: hardware counters, where the machine exposes them. Checked every run.
GB=$(cd "$ROOT" && cargo bench -p bench --bench graph --no-run 2>&1 |
    grep -o 'target/release/deps/graph-[0-9a-f]*' | tail -1) || GB=""
if ! command -v perf > /dev/null; then
    add kind=missing name="graph alone: perf stat instructions/cycles" \
        why="\"perf is not installed (Debian linux-perf); callgrind instead\""
elif perf stat -e instructions true 2>&1 | grep -q 'not supported'; then
    add kind=missing name="graph alone: perf stat instructions/cycles" \
        why="\"perf stat -e instructions: <not supported> on this machine (checked this run: the VM exposes no hardware counters); callgrind instead\""
elif [ -n "$GB" ]; then
    # Per packet = (counts of 1024 frames - counts of 256 frames) / (768 x 256 packets): the
    # setup (FIB build) cancels out.
    for spec in 1000 1000000; do
        label=$([ $spec = 1000 ] && echo 1k || echo 1M)
        for f in 256 1024; do
            GRAPH_CALLGRIND=$spec,$f perf stat -x, -e instructions,cycles "$ROOT/$GB" \
                > /dev/null 2> "$OUT/perf-$label-$f.log" || true
        done
        vals=$(python3 - "$OUT/perf-$label-256.log" "$OUT/perf-$label-1024.log" <<'EOF'
import sys
def rd(p):
    d = {}
    for line in open(p):
        f = line.strip().split(",")
        if len(f) > 2 and f[0].replace(".", "").isdigit():
            d[f[2].split(":")[0]] = float(f[0])
    return d
a, b = rd(sys.argv[1]), rd(sys.argv[2])
pk = 768 * 256
if "instructions" in a and "instructions" in b and "cycles" in a and "cycles" in b:
    print("ipp=%.1f cpp=%.1f" % ((b["instructions"] - a["instructions"]) / pk,
                                  (b["cycles"] - a["cycles"]) / pk))
EOF
)
        if [ -n "$vals" ]; then
            # shellcheck disable=SC2086
            add kind=perf name="$label routes" $vals
        else
            add kind=missing name="graph alone $label routes: perf stat" \
                why="\"perf stat gave no counts: see bench/out/perf-$label-*.log\""
        fi
    done
fi
# Instruction counts of Worker::process alone: the graph bench's GRAPH_CALLGRIND mode (setup,
# then N frames of 256 packets, single next hop) under callgrind, collecting only inside
# Worker::process.
if command -v valgrind > /dev/null; then
    for spec in 1000 1000000; do
        label=$([ $spec = 1000 ] && echo 1k || echo 1M)
        if [ -n "$GB" ] && GRAPH_CALLGRIND=$spec,64 valgrind --tool=callgrind \
            --callgrind-out-file="$OUT/callgrind.$label.out" --toggle-collect='*Worker*process*' \
            "$ROOT/$GB" > "$OUT/callgrind-$label.log" 2>&1; then
            ir=$(sed -n 's/.*Collected : *\([0-9]*\).*/\1/p; s/.*I *refs: *\([0-9,]*\).*/\1/p' \
                "$OUT/callgrind-$label.log" | tr -d , | head -1)
            pk=$(sed -n 's/.*callgrind mode: .* \([0-9]*\) packets.*/\1/p' "$OUT/callgrind-$label.log")
            if [ -n "$ir" ] && [ -n "$pk" ] && [ "$pk" -gt 0 ]; then
                add kind=instr name="$label routes" packets="$pk" \
                    ipp="$(python3 -c "print($ir / $pk)")"
                continue
            fi
        fi
        add kind=missing name="graph alone $label routes, instructions/pkt" \
            why="\"callgrind run failed: see bench/out/callgrind-$label.log\""
    done
else
    add kind=missing name="graph alone: instructions/pkt" why="\"valgrind not installed\""
fi

fi
if want sai; then
# libsai's object store memory per route: a process holding sai_store::Sai with 1M routes.
if SM=$("$BR" saimem --routes 1000000); then
    v() { sed -n "s/^$1=//p" <<<"$SM"; }
    add kind=saimem routes="$(v routes)" bytes_per_route="$(v bytes_per_route)" delta_kb="$(v delta_kb)"
else
    add kind=missing name="libsai memory per stored route" why="\"bench-runner saimem failed\""
fi
# Route programming through the SAI API into the forwarder's FIB: sai-dataplane's `program`
# bench (starts its own ferrosai-fwd; 1M IPv4 routes by bulk create, bulk remove, single creates).
if [ -f "$ROOT/sai-dataplane/benches/program.rs" ]; then
    log "SAI programming: cargo bench -p sai-dataplane --bench program"
    if (cd "$ROOT" && cargo bench -q -p sai-dataplane --bench program) > "$OUT/program-bench.log" 2>&1; then
        "$PY" - "$OUT/program-bench.log" "$DB" <<'EOF'
import json, re, sys
pat = re.compile(r"^(\S.*?)\s+(\d+) routes: calls\s+([\d.]+) s, in FIB\s+([\d.]+) s =\s+(\d+) routes/s"
                 r" end to end; CPU: library ([\d.]+) s, forwarder ([\d.]+) s")
v6 = 0
with open(sys.argv[2], "a") as db:
    for line in open(sys.argv[1]):
        m = pat.search(line)
        if m:
            # Labels: "bulk create (batches of N)", "bulk remove (...)", "single create_route_entry",
            # the IPv6 phases the same with an "IPv6 " prefix.
            label, fam = m.group(1), "IPv4"
            if label.startswith("IPv6 "):
                label, fam = label[5:], "IPv6"
                v6 += 1
            op = "bulk create" if label.startswith("bulk create") else \
                "bulk remove" if label.startswith("bulk remove") else \
                "single" if label.startswith("single") else label
            db.write(json.dumps({"kind": "sai-prog", "family": fam, "op": op,
                                 "name": "SAI programming: %s, %s %s routes, routes/s" % (label, m.group(2), fam),
                                 "value": int(m.group(5)),
                                 "note": "in FIB after %s s (calls %s s); CPU library %s s, forwarder %s s%s" % (
                                     m.group(4), m.group(3), m.group(6), m.group(7),
                                     "; goal 1M in < 1 s" if m.group(2) == "1000000" and "create" in label else "")}) + "\n")
    if v6 == 0:
        db.write(json.dumps({"kind": "missing", "name": "SAI route programming, 200k IPv6 routes",
                             "why": "the program bench printed no IPv6 phase"}) + "\n")
EOF
    else
        add kind=missing name="SAI route programming" why="\"cargo bench -p sai-dataplane --bench program failed: see bench/out/program-bench.log\""
    fi
else
    add kind=missing name="SAI route programming (1M v4 / 200k v6, bulk and single)" \
        why="\"sai-dataplane/benches/program.rs does not exist; the ring figures above are the forwarder side only\""
fi

fi
if [ -n "${BENCH_ONLY:-}" ] && [ -z "${BENCH_RESULTS:-}" ]; then
    log "BENCH_ONLY=$BENCH_ONLY: records in $DB, RESULTS.md not written"; exit 0
fi
log "report"
DETAIL=$OUT/detail.md
{
    cat "$RUNNER/detail-head.md"
    echo
    echo "Route mix (1M):  \`$(sed -n 's/^length_mix=//p' "$OUT/gen-1000000.txt")\`"
    echo
    if [ -f "$OUT/graph-bench.log" ]; then
        echo "Graph bench summary lines (\`cargo bench -p bench --bench graph\`):"
        echo
        echo '```'
        grep '^\[graph\] ip4_path' "$OUT/graph-bench.log" | grep -v 'show runtime' || true
        echo '```'
        echo
        echo "Per node (the graph bench's \`show runtime\`, single next hop, frame 256; clocks = ns):"
        echo
        echo '```'
        awk '/^\[graph\] ip4_path\/.*\/single-nh\/frame256 show runtime/ {p = 1}
             p && /^$/ {p = 0; print ""} p {print}' "$OUT/graph-bench.log" || true
        echo '```'
        echo
    fi
    if [ -f "$OUT/ferrosai-1M.runtime.txt" ]; then
        echo "\`fwdctl show runtime\` of the daemon at the end of the (last) ferrosai-1M window:"
        echo
        echo '```'
        cat "$OUT/ferrosai-1M.runtime.txt"
        echo '```'
        echo
    fi
    if [ -f "$OUT/program-bench.log" ]; then
        echo "SAI programming bench (\`cargo bench -p sai-dataplane --bench program\`), its summary lines:"
        echo
        echo '```'
        grep -v -E '^\s*$|Benchmarking|^Found|outlier|high (mild|severe)|low (mild|severe)' "$OUT/program-bench.log" | head -40 || true
        echo '```'
    fi
} > "$DETAIL"
# BENCH_RESULTS=<file>: write the report (and the plot beside it) there instead (debugging;
# also with BENCH_ONLY).
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
PLOT=$ROOT/bench/forwarding.png
[ -n "${BENCH_RESULTS:-}" ] && PLOT=${BENCH_RESULTS%.md}.png
tool report --db "$DB" --results "$RESULTS" --plot "$OUT/forwarding.png" --cmd "$CMD" --detail "$DETAIL"
SZ=$(stat -c %s "$OUT/forwarding.png" 2>/dev/null || echo 0)
if [ "$SZ" -gt 0 ] && [ "$SZ" -lt 200000 ]; then cp "$OUT/forwarding.png" "$PLOT"; fi
log "done: bench/RESULTS.md, bench/forwarding.png, raw records in bench/out/results.jsonl"
