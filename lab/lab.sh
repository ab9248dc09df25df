#!/usr/bin/env bash
# The two-router lab of the SONiC-VPP article, on one machine with network namespaces.
#
#   lab/lab.sh up [--full|--dev] [--ecmp] [--no-sai]
#                           build the topology, start forwarders, agents and FRR (re-runnable).
#                           Default: full. With FSL_ALLOW_DEV_FALLBACK=1, when the full lab cannot come up,
#                           the dev lab with a loud notice. --ecmp: two links + maximum-paths.
#   lab/lab.sh check        verify BGP, RIB, FIB, ping, traceroute, counters, withdraw (exit != 0 on failure)
#   lab/lab.sh down         remove everything the lab created
#
# Modes:
#   full (default): each router = ferrosai-fwd (DPDK net_af_packet ports on the wire veths, in its own
#     namespace) + router namespace (TAP host interfaces Ethernet0/Ethernet4 created through SAI hostif
#     by libsai, FRR zebra+bgpd, ip_forward=0) + ferrosai-agent (dlopen libsai.so, config_db, FPM,
#     neighbors). Transit packets go through the forwarders or nowhere.
#   dev (--dev, control plane only): the router namespaces are joined by plain veths named like the ports;
#     no forwarder. The agent loads libsai.so when it is built (objects land in libsai's store, which is
#     read back by `check`), else runs with --no-sai (decodes and logs what it would program; also with
#     --dev --no-sai). BGP, FPM and the neighbor subscription are real; the kernels still do NOT forward
#     (ip_forward=0), so there is no PC-to-PC data path in this mode and `check` verifies the control plane.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB_DIR")
RUN=$LAB_DIR/run
P=${FSL_PREFIX:-fsl}
BIN=${FSL_BIN:-$ROOT/target/release}
AGENT=${FSL_AGENT:-$BIN/ferrosai-agent}
FWD=${FSL_FWD:-$BIN/ferrosai-fwd}
FWDCTL=${FSL_FWDCTL:-$BIN/fwdctl}
LIBSAI=${FSL_LIBSAI:-$BIN/libsai.so}
FRR_BIN=/usr/lib/frr
ROUTERS=(r1 r2)
PCS=(pc1 pc2)

log() { printf '[lab %s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
die() { log "ERROR: $*"; exit 1; }
ns() { echo "$P-$1"; }
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }
vty() { local r=$1; shift; vtysh -N "$(ns "$r")" "$@"; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- per-router facts
rid() { case $1 in r1) echo 10.0.1.1 ;; r2) echo 10.0.1.2 ;; esac; }
peer() { case $1 in r1) echo 10.0.1.2 ;; r2) echo 10.0.1.1 ;; esac; }
lan() { case $1 in r1) echo 10.20.1.0/24 ;; r2) echo 10.20.2.0/24 ;; esac; }
lan_gw() { case $1 in r1) echo 10.20.1.254/24 ;; r2) echo 10.20.2.254/24 ;; esac; }
link_ip() { case $1 in r1) echo 10.0.1.1/30 ;; r2) echo 10.0.1.2/30 ;; esac; }
link2_ip() { case $1 in r1) echo 10.0.2.1/30 ;; r2) echo 10.0.2.2/30 ;; esac; }
peer2() { case $1 in r1) echo 10.0.2.2 ;; r2) echo 10.0.2.1 ;; esac; }
# IPv6 (dual stack): link 2001:db8:0:1::/64, LANs 2001:db8:20:N::/64 (router ::fe, PC ::1)
link6() { case $1 in r1) echo 2001:db8:0:1::1/64 ;; r2) echo 2001:db8:0:1::2/64 ;; esac; }
peer6() { case $1 in r1) echo 2001:db8:0:1::2 ;; r2) echo 2001:db8:0:1::1 ;; esac; }
lan6() { case $1 in r1) echo 2001:db8:20:1::/64 ;; r2) echo 2001:db8:20:2::/64 ;; esac; }
lan6_gw() { case $1 in r1) echo 2001:db8:20:1::fe/64 ;; r2) echo 2001:db8:20:2::fe/64 ;; esac; }
variant() { cat "$RUN/variant" 2>/dev/null || echo base; }
rmac() { case $1 in r1) echo 02:fe:00:00:01:00 ;; r2) echo 02:fe:00:00:02:00 ;; esac; }
hostname_of() { case $1 in r1) echo router1 ;; r2) echo router2 ;; esac; }

# ---------------------------------------------------------------- down
do_down() {
  local n f pid pids=()
  # Our own processes: pid files we wrote, FRR's pid files under its per-instance directory, and
  # anything still living inside our (uniquely named) namespaces: all were started by the lab.
  for f in "$RUN"/*.pid /var/run/frr/"$P"-*/*.pid; do
    [ -e "$f" ] && pid=$(cat "$f" 2>/dev/null) && [ -n "$pid" ] && pids+=("$pid")
  done
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$n" 2>/dev/null || true); do pids+=("$pid"); done
  done
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 30); do
      local alive=0
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1 && break; done
      [ $alive = 0 ] && break
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$n" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$n" 2>/dev/null || true
  done
  # veths left in the root namespace by a half-finished up.
  for n in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$P" || true); do
    ip link del "$n" 2>/dev/null || true
  done
  rm -rf /etc/frr/"$P"-* /var/run/frr/"$P"-* /dev/shm/ferrosai-"$P"-* 2>/dev/null || true
  rm -rf "$RUN"
}

# ---------------------------------------------------------------- topology
mk_ns() {
  local n; n=$(ns "$1")
  ip netns add "$n"
  ip -n "$n" link set lo up
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  # The forwarder's glean node resolves a silent connected host itself (ARP request / NS out of the
  # port); the answer is punted to the router kernel, which sent no request. These let the kernel
  # take such answers into its neighbor table (as SONiC's arp_accept does on VLAN interfaces), so
  # the agent learns the neighbor from netlink, as neighsyncd does. The TAPs are created later and
  # inherit "default".
  ip netns exec "$n" sysctl -qw net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.default.arp_accept=1 \
    net.ipv6.conf.all.accept_untracked_na=1 net.ipv6.conf.default.accept_untracked_na=1
}

veth() { # veth NAME_A NS_A NAME_B NS_B (namespaces are full names, "" = root)
  local a=$1 na=$2 b=$3 nb=$4 ta tb
  ta=$P-t$RANDOM$RANDOM; tb=$P-t$RANDOM$RANDOM
  ta=${ta:0:15}; tb=${tb:0:15}
  ip link add "$ta" type veth peer name "$tb"
  ip link set "$ta" netns "$na"; ip -n "$na" link set "$ta" name "$a"
  ip link set "$tb" netns "$nb"; ip -n "$nb" link set "$tb" name "$b"
  local x
  for x in "$na:$a" "$nb:$b"; do
    ip netns exec "${x%%:*}" ethtool -K "${x#*:}" tx off tso off gso off gro off >/dev/null 2>&1 || true
    ip -n "${x%%:*}" link set "${x#*:}" up
  done
}

setup_pcs() {
  local i
  for i in 1 2; do
    nsx "pc$i" ip addr add "10.20.$i.1/24" dev eth1
    nsx "pc$i" ip link set eth1 up
    local other=$((3 - i))
    nsx "pc$i" ip route add "10.20.$other.0/24" via "10.20.$i.254"
    nsx "pc$i" ip -6 addr add "2001:db8:20:$i::1/64" dev eth1 nodad
    nsx "pc$i" ip -6 route add "2001:db8:20:$other::/64" via "2001:db8:20:$i::fe"
  done
}

write_config_db() { # the SONiC-style config_db.json of router $1
  local r=$1 f="$RUN/$1/config_db.json"
  cat >"$f" <<EOF
{
  "DEVICE_METADATA": {
    "localhost": { "hostname": "$(hostname_of "$r")", "mac": "$(rmac "$r")", "bgp_asn": "65100", "type": "LeafRouter" }
  },
  "PORT": {
    "Ethernet0": { "lanes": "25,26,27,28", "alias": "eth1", "index": "0", "admin_status": "down", "mtu": "9100", "speed": "10000" },
    "Ethernet4": { "lanes": "29,30,31,32", "alias": "eth2", "index": "1", "admin_status": "down", "mtu": "9100", "speed": "10000" }$(
    [ "$(variant)" = ecmp ] && printf ',\n    "Ethernet8": { "lanes": "33,34,35,36", "alias": "eth3", "index": "2", "admin_status": "down", "mtu": "9100", "speed": "10000" }')
  },
  "INTERFACE": {
    "Ethernet0": {},
    "Ethernet4": {}
  }
}
EOF
  # libsai's lane map: the SAI ports it creates (matched to PORT lanes by the agent, as portsorch does)
  printf 'Ethernet0:25,26,27,28\nEthernet4:29,30,31,32\nEthernet8:33,34,35,36\n' >"$RUN/$r/lanemap.ini"
}

write_frr() { # FRR config of router $1
  local r=$1 n; n=$(ns "$1")
  mkdir -p "/etc/frr/$n" "/var/run/frr/$n"
  cat >"/etc/frr/$n/vtysh.conf" <<EOF
service integrated-vtysh-config
EOF
  cat >"/etc/frr/$n/frr.conf" <<EOF
frr defaults traditional
hostname $(hostname_of "$r")
log file /var/run/frr/$n/frr.log informational
no ip forwarding
no ipv6 forwarding
fpm address 127.0.0.1
!
router bgp 65100
 bgp router-id $(rid "$r")
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor $(peer "$r") remote-as 65100
 neighbor $(peer "$r") timers connect 1
 neighbor $(peer6 "$r") remote-as 65100
 neighbor $(peer6 "$r") timers connect 1
$([ "$(variant)" = ecmp ] && printf ' neighbor %s remote-as 65100\n neighbor %s timers connect 1\n' "$(peer2 "$r")" "$(peer2 "$r")")
 address-family ipv4 unicast
  network $(lan "$r")
  no neighbor $(peer6 "$r") activate
$([ "$(variant)" = ecmp ] && echo '  maximum-paths ibgp 2')
 exit-address-family
 address-family ipv6 unicast
  network $(lan6 "$r")
  neighbor $(peer6 "$r") activate
 exit-address-family
!
EOF
  chown -R frr:frr "/etc/frr/$n" "/var/run/frr/$n"
  chmod 0640 "/etc/frr/$n/frr.conf" "/etc/frr/$n/vtysh.conf"
}

start_frr() {
  local r=$1 n; n=$(ns "$1")
  # zebra + bgpd in the router namespace with the router's hostname (UTS namespace of their own).
  ip netns exec "$n" unshare --uts sh -c "hostname $(hostname_of "$r") && \
    $FRR_BIN/zebra -d -N $n -A 127.0.0.1 -M dplane_fpm_nl && \
    $FRR_BIN/staticd -d -N $n -A 127.0.0.1 && \
    $FRR_BIN/bgpd -d -N $n -A 127.0.0.1" >"$RUN/$r/frr-start.log" 2>&1 \
    || { cat "$RUN/$r/frr-start.log"; die "FRR did not start in $n"; }
}

apply_frr() {
  local r=$1 i
  for i in $(seq 50); do
    [ -S "/var/run/frr/$(ns "$r")/zebra.vty" ] && [ -S "/var/run/frr/$(ns "$r")/bgpd.vty" ] && [ -S "/var/run/frr/$(ns "$r")/staticd.vty" ] && break
    sleep 0.05
  done
  vty "$r" -b >"$RUN/$r/vtysh-b.log" 2>&1 || { cat "$RUN/$r/vtysh-b.log"; die "vtysh -b failed on $r"; }
}

start_agent() {
  local r=$1 mode=$2 extra=()
  extra+=(--dump-fpm "$RUN/$r/fpm-frames.hex")
  if [ "$(cat "$RUN/sai")" = none ]; then
    extra+=(--no-sai)
  else
    extra+=(--libsai "$LIBSAI" --profile "SAI_VS_INTERFACE_LANE_MAP_FILE=$RUN/$r/lanemap.ini")
    # the ring of this router's forwarder (ferrosai-fwd --name $P-$r); the forwarder itself puts the
    # TAPs into the router namespace (--netns). The profile key is the libsai <-> forwarder contract.
    [ "$mode" = full ] && extra+=(--profile "${FSL_RING_KEY:-FERROSAI_RING}=/dev/shm/ferrosai-$P-$r")
  fi
  ip netns exec "$(ns "$r")" "$AGENT" run \
    --config "$RUN/$r/config_db.json" \
    --fpm 127.0.0.1:2620 \
    --ctl "$RUN/$r/agent.sock" \
    "${extra[@]}" >"$RUN/$r/agent.log" 2>&1 &
  echo $! >"$RUN/agent-$r.pid"
  local i
  for i in $(seq 100); do
    [ -S "$RUN/$r/agent.sock" ] && return 0
    kill -0 "$(cat "$RUN/agent-$r.pid")" 2>/dev/null || { tail -20 "$RUN/$r/agent.log"; die "agent $r exited"; }
    sleep 0.05
  done
  tail -20 "$RUN/$r/agent.log"; die "agent $r control socket did not appear"
}

config_cmd() { # the article's `config` command, run inside router $1's namespace
  local r=$1; shift
  FSL_AGENT=$AGENT ip netns exec "$(ns "$r")" "$LAB_DIR/bin/config" "$@"
}

wait_port() { # wait until the host interface $2 exists in router $1's namespace
  local r=$1 ifn=$2 i
  for i in $(seq 100); do
    ip -n "$(ns "$r")" link show "$ifn" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  die "host interface $ifn did not appear in $(ns "$r") (full mode: libsai -> forwarder hostif programming missing?)"
}

start_fwd() { # forwarder of router $1 in namespace $P-fw$N, ports on the wire veths
  local r=$1 fns; fns=$(ns "fw${r#r}")
  ip netns exec "$fns" "$FWD" \
    --name "$P-$r" \
    --port "Ethernet0=net_af_packet0,iface=e0" \
    --port "Ethernet4=net_af_packet1,iface=e4" \
    $([ "$(variant)" = ecmp ] && echo "--port Ethernet8=net_af_packet2,iface=e8") \
    --netns "$(ns "$r")" \
    --cli-socket "$RUN/$r/fwd.sock" >"$RUN/$r/fwd.log" 2>&1 &
  echo $! >"$RUN/fwd-$r.pid"
  local i
  for i in $(seq 100); do
    [ -S "$RUN/$r/fwd.sock" ] && return 0
    kill -0 "$(cat "$RUN/fwd-$r.pid")" 2>/dev/null || { tail -20 "$RUN/$r/fwd.log"; die "forwarder $r exited"; }
    sleep 0.05
  done
  tail -20 "$RUN/$r/fwd.log"; die "forwarder $r CLI socket did not appear"
}

do_up() {
  local mode=full sai=libsai a variant=base
  [ -n "${FSL_ALLOW_DEV_FALLBACK:-}" ] && mode=auto
  for a in "$@"; do
    case $a in
      --dev) mode=dev ;;
      --full) mode=full ;;
      --no-sai) sai=none ;;
      --ecmp) variant=ecmp ;;
      *) die "unknown option $a" ;;
    esac
  done
  if [ "$mode" != auto ]; then
    up_mode "$mode" "$sai" "$variant"
    return
  fi
  # auto: the full lab; when it cannot come up, the control-plane-only lab, said loudly
  local out rc=0
  out=$(mktemp)
  set +e
  (up_mode full "$sai" "$variant") 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" = 0 ]; then rm -f "$out"; return 0; fi
  local why; why=$(grep 'ERROR' "$out" | tail -1 | sed 's/^.*ERROR: //'); rm -f "$out"
  log "################################################################################"
  log "FULL LAB UNAVAILABLE: $why"
  log "falling back to the CONTROL-PLANE-ONLY dev lab (no forwarder, no PC-to-PC data path)."
  log "(FSL_ALLOW_DEV_FALLBACK=1 allowed this fallback)"
  log "################################################################################"
  up_mode dev "$sai" "$variant"
  echo "$why" >"$RUN/fallback"
}

up_mode() {
  local mode=$1 sai=$2 variant=$3 t0
  [ "$mode" = dev ] && [ ! -f "$LIBSAI" ] && sai=none
  t0=$(now_ms)
  command -v vtysh >/dev/null || die "FRR not installed (run scripts/install-deps.sh)"
  [ -x "$AGENT" ] || die "$AGENT missing (cargo build --release -p ferrosai-agent)"
  if [ "$mode" = full ]; then
    [ -x "$FWD" ] || die "$FWD missing: the forwarder is not built; use --dev for the control-plane-only lab"
    [ -f "$LIBSAI" ] || die "$LIBSAI missing: libsai is not built; use --dev for the control-plane-only lab"
  fi
  do_down
  mkdir -p "$RUN"/r1 "$RUN"/r2
  echo "$mode" >"$RUN/mode"
  echo "$sai" >"$RUN/sai"
  echo "$variant" >"$RUN/variant"
  echo "$t0" >"$RUN/t0"
  local r
  for r in "${ROUTERS[@]}" "${PCS[@]}"; do mk_ns "$r"; done
  # IPv6 takes an untracked NA only on an interface in router mode (per-interface forwarding=1).
  # Packet forwarding stays off: the kernel forwards IPv6 only when "all" forwarding is on, and
  # check verifies it is 0. Only the TAPs created later inherit "default".
  for r in "${ROUTERS[@]}"; do ip netns exec "$(ns "$r")" sysctl -qw net.ipv6.conf.default.forwarding=1; done
  if [ "$mode" = dev ]; then
    # control-plane-only: the ports are plain veths in the router namespaces
    veth Ethernet0 "$(ns r1)" Ethernet0 "$(ns r2)"
    veth Ethernet4 "$(ns r1)" eth1 "$(ns pc1)"
    veth Ethernet4 "$(ns r2)" eth1 "$(ns pc2)"
    [ "$variant" = ecmp ] && veth Ethernet8 "$(ns r1)" Ethernet8 "$(ns r2)"
  else
    mk_ns fw1; mk_ns fw2
    veth e0 "$(ns fw1)" e0 "$(ns fw2)"
    veth e4 "$(ns fw1)" eth1 "$(ns pc1)"
    veth e4 "$(ns fw2)" eth1 "$(ns pc2)"
    [ "$variant" = ecmp ] && veth e8 "$(ns fw1)" e8 "$(ns fw2)"
    for r in "${ROUTERS[@]}"; do start_fwd "$r"; done
    log "forwarders running"
  fi
  setup_pcs
  for r in "${ROUTERS[@]}"; do
    write_config_db "$r"
    start_agent "$r" "$mode"
    # the host interfaces: veths in dev mode, TAPs created by the forwarder when libsai creates the
    # SAI hostifs in full mode
    wait_port "$r" Ethernet0; wait_port "$r" Ethernet4
    # frames from the kernel cross a user-space data plane: no partial checksums (lab-notes pitfall)
    for a in Ethernet0 Ethernet4; do nsx "$r" ethtool -K "$a" tx off tso off gso off >/dev/null 2>&1 || true; done
    # the article's commands
    config_cmd "$r" interface ip add Ethernet0 "$(link_ip "$r")"
    config_cmd "$r" interface ip add Ethernet4 "$(lan_gw "$r")"
    config_cmd "$r" interface ip add Ethernet0 "$(link6 "$r")"
    config_cmd "$r" interface ip add Ethernet4 "$(lan6_gw "$r")"
    config_cmd "$r" interface startup Ethernet0
    config_cmd "$r" interface startup Ethernet4
    if [ "$variant" = ecmp ]; then
      wait_port "$r" Ethernet8
      config_cmd "$r" interface ip add Ethernet8 "$(link2_ip "$r")"
      config_cmd "$r" interface startup Ethernet8
    fi
    write_frr "$r"
    start_frr "$r"
    log "$r: agent, host interfaces, addresses, FRR started"
  done
  for r in "${ROUTERS[@]}"; do apply_frr "$r"; done
  log "FRR configured"
  # zebra must not have turned forwarding back on
  for r in "${ROUTERS[@]}"; do nsx "$r" sysctl -qw net.ipv4.ip_forward=0; done
  log "up ($mode) in $(( $(now_ms) - t0 )) ms; run: lab/lab.sh check"
}

# ---------------------------------------------------------------- check
FAILS=0
pass() { log "PASS $*"; }
fail() { log "FAIL $*"; FAILS=$((FAILS + 1)); }

poll() { # poll SECONDS CMD... : until CMD succeeds
  local secs=$1; shift
  local end=$(( $(now_ms) + secs * 1000 ))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    [ "$(now_ms)" -ge "$end" ] && return 1
    sleep 0.1
  done
}

bgp_established() { # router [peer]
  vty "$1" -c "show ip bgp neighbors ${2:-$(peer "$1")} json" | python3 -c '
import json,sys
d=json.load(sys.stdin)
sys.exit(0 if all(v.get("bgpState")=="Established" for v in d.values()) and d else 1)'
}

rib_has() { # router prefix via-regex proto [count]: selected route, every next hop matching, count of them
  local fam=ip; case $2 in *:*) fam=ipv6 ;; esac
  vty "$1" -c "show $fam route $2 json" | python3 -c '
import json,re,sys
pfx,via,proto,count=sys.argv[1],sys.argv[2],sys.argv[3],int(sys.argv[4])
d=json.load(sys.stdin)
def ok(r):
    nh=[n for n in r.get("nexthops",[]) if n.get("active")]
    return r.get("protocol")==proto and r.get("selected") and len(nh)==count and all(re.fullmatch(via,n.get("ip","")) for n in nh)
sys.exit(0 if any(ok(r) for r in d.get(pfx,[])) else 1)' "$2" "$3" "$4" "${5:-1}"
}

agent_has_route() { # router prefix via-regex -- the agent's programmed state
  "$AGENT" config --ctl "$RUN/$1/agent.sock" show routes | grep -E "^$2 via $3( |$)"
}
agent_lacks_route() { ! agent_has_route "$@"; }

sai_has_route() { # router prefix target-regex -- read back from libsai (get_route_entry_attribute ...)
  "$AGENT" config --ctl "$RUN/$1/agent.sock" show sai route "$2" | grep -E "^$2 forward $3$"
}
sai_lacks_route() { ! "$AGENT" config --ctl "$RUN/$1/agent.sock" show sai route "$2" >/dev/null 2>&1; }

fwdctl() { local r=$1; shift; "$FWDCTL" -s "$RUN/$r/fwd.sock" "$@"; }

fib_has() { # router prefix via port: the route's path leaves on PORT through the adjacency of VIA
  local fib neigh
  local fam=ip; case $2 in *:*) fam=ip6 ;; esac
  fib=$(fwdctl "$1" --json show $fam fib "$2") || return 1
  neigh=$(fwdctl "$1" --json show ip neighbors) || return 1
  python3 - "$2" "$3" "$4" "$fib" "$neigh" <<'PY'
import json, sys
pfx, via, port, fib, neigh = sys.argv[1:6]
adjs = {n.get("adj") for n in json.loads(neigh).get("neighbors", []) if n.get("ip") == via and n.get("interface") == port}
ok = any(r.get("prefix") == pfx and any(p.get("interface") == port and p.get("adj") in adjs for p in r.get("paths", []))
         for r in json.loads(fib).get("routes", []))
sys.exit(0 if ok else 1)
PY
}
fib_lacks() { local fam=ip; case $2 in *:*) fam=ip6 ;; esac; ! fwdctl "$1" --json show $fam fib "$2" | grep -q "\"$2\""; }

port_pkts() { # router port -> "rx tx" packets of a forwarder port
  fwdctl "$1" --json show interface "$2" | python3 -c '
import json,sys
d=json.load(sys.stdin)
rows=d.get("ports", d.get("interfaces", [d])) if isinstance(d, dict) else d
r=[x for x in rows if x.get("name")==sys.argv[1]][0]
print(r["rx_packets"], r["tx_packets"])' "$2"
}

do_check() {
  [ -f "$RUN/mode" ] || die "lab is not up (lab/lab.sh up)"
  local mode t0 c0
  mode=$(cat "$RUN/mode"); t0=$(cat "$RUN/t0"); c0=$(now_ms)
  log "check ($mode mode, data plane: $(cat "$RUN/sai"))"
  local r sai variant
  sai=$(cat "$RUN/sai"); variant=$(variant)
  for r in "${ROUTERS[@]}"; do
    if poll 20 bgp_established "$r"; then pass "$r: show ip bgp neighbors $(peer "$r"): Established"; else fail "$r: BGP neighbor $(peer "$r") not Established"; fi
  done
  for r in "${ROUTERS[@]}"; do
    if [ "$(nsx "$r" sysctl -n net.ipv4.ip_forward)$(nsx "$r" sysctl -n net.ipv6.conf.all.forwarding)" = 00 ]; then pass "$r: kernel ip_forward=0, ipv6 forwarding=0"; else fail "$r: kernel forwarding is on"; fi
  done
  if [ "$variant" = ecmp ]; then
    check_ecmp "$mode" "$sai"
  else
    if poll 10 rib_has r1 10.20.2.0/24 10.0.1.2 bgp; then pass "r1 show ip route: 10.20.2.0/24 via 10.0.1.2, bgp"; else fail "r1 RIB lacks 10.20.2.0/24 via 10.0.1.2 bgp"; fi
    if poll 10 rib_has r2 10.20.1.0/24 10.0.1.1 bgp; then pass "r2 show ip route: 10.20.1.0/24 via 10.0.1.1, bgp"; else fail "r2 RIB lacks 10.20.1.0/24 via 10.0.1.1 bgp"; fi
    if poll 10 agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0"; then pass "r1 agent: FPM route 10.20.2.0/24 via 10.0.1.2 Ethernet0"; else fail "r1 agent did not get 10.20.2.0/24 via 10.0.1.2 over FPM"; fi
    if [ "$sai" != none ]; then
      if poll 5 sai_has_route r1 10.20.2.0/24 "via 10.0.1.2 Ethernet0"; then pass "r1 libsai: route 10.20.2.0/24 -> next hop 10.0.1.2 on the Ethernet0 RIF (read back through SAI)"; else fail "r1 libsai lacks 10.20.2.0/24 via 10.0.1.2 Ethernet0"; fi
    fi
    check_neighbors "$sai"
    [ "$mode" = full ] && check_dataplane
    [ "$FAILS" = 0 ] && log "TIME TO PASSING: $(( $(now_ms) - t0 )) ms from the start of up to BGP + RIB + agent$([ "$sai" != none ] && echo ' + libsai')$([ "$mode" = full ] && echo ' + FIB + ping + traceroute + counters') passing"
    check_withdraw "$mode"
    check_ipv6 "$mode" "$sai"
    check_fpm_reconnect
  fi
  [ "${FSL_SCALE:-0}" -gt 0 ] && [ "$variant" = base ] && check_scale "${FSL_SCALE}"
  [ "$sai" = none ] && log "agent ran with --no-sai: libsai read-back steps skipped"
  [ "$mode" = dev ] && log "dev mode: no forwarder, so no PC-to-PC data path; data-plane steps (FIB, ping, traceroute, counters) not run"
  local t1; t1=$(now_ms)
  if [ "$FAILS" -eq 0 ]; then
    log "ALL PASSED ($mode): check took $(( t1 - c0 )) ms; up->passing $(( t1 - t0 )) ms"
    if [ -f "$RUN/fallback" ]; then
      log "NOTE: this was the control-plane-only fallback; the full lab did not come up: $(cat "$RUN/fallback")"
      log "NOTE: the data-plane requirements (forwarder FIB, ping, traceroute, counters) were NOT verified"
    fi
  else
    log "$FAILS FAILED ($mode)"; exit 1
  fi
}

ip_fwd_count() { # kernel's forwarded-datagram counter of a router namespace
  nsx "$1" awk '/^Ip:/ { if (h) { print $7; exit } h=1 }' /proc/net/snmp
}

check_dataplane() {
  if poll 10 fib_has r1 10.20.2.0/24 10.0.1.2 Ethernet0; then pass "r1 fwdctl show ip fib: 10.20.2.0/24 via 10.0.1.2 out Ethernet0"; else fail "r1 forwarder FIB lacks 10.20.2.0/24 via 10.0.1.2 Ethernet0"; fi
  # warm up ARP so the counted run has exactly the echo packets plus nothing else we did not expect
  nsx pc1 ping -c 1 -W 2 10.20.2.1 >/dev/null 2>&1 || true
  local f1 f2 r p before=() after=() i=0
  f1=$(ip_fwd_count r1); f2=$(ip_fwd_count r2)
  for r in r1 r2; do for p in Ethernet0 Ethernet4; do before+=("$(port_pkts "$r" "$p" || echo "x x")"); done; done
  if nsx pc1 ping -c 5 -i 0.2 -W 1 10.20.2.1 >"$RUN/ping.log" 2>&1; then pass "pc1: ping -c 5 10.20.2.1 ($(grep -o '[0-9]* received' "$RUN/ping.log"))"; else fail "pc1: ping 10.20.2.1 ($(grep -E 'transmitted|rtt' "$RUN/ping.log" | head -1))"; fi
  for r in r1 r2; do for p in Ethernet0 Ethernet4; do after+=("$(port_pkts "$r" "$p" || echo "x x")"); done; done
  # every echo request and reply crosses 4 forwarder ports each way: rx and tx >= 5 on each
  local okc=1 desc=""
  for r in r1 r2; do for p in Ethernet0 Ethernet4; do
    read -r rb tb <<<"${before[$i]}"; read -r ra ta <<<"${after[$i]}"
    if [ "$rb" = x ] || [ "$ra" = x ]; then okc=0; desc+=" $r/$p:?"; else
      desc+=" $r/$p:+$((ra - rb))rx/+$((ta - tb))tx"
      [ $((ra - rb)) -ge 5 ] && [ $((ta - tb)) -ge 5 ] || okc=0
    fi
    i=$((i + 1))
  done; done
  if [ $okc = 1 ]; then pass "forwarder counters account for the echoes:$desc"; else fail "forwarder counters:$desc"; fi
  if [ "$(ip_fwd_count r1)" = "$f1" ] && [ "$(ip_fwd_count r2)" = "$f2" ]; then pass "router kernels forwarded nothing (Ip ForwDatagrams unchanged: r1 $f1, r2 $f2)"; else fail "a router kernel forwarded packets"; fi
  if nsx pc1 traceroute -n -w 1 -q 1 -m 4 10.20.2.1 >"$RUN/traceroute.log" 2>&1 \
     && grep -q ' 10.20.1.254 ' "$RUN/traceroute.log" && grep -q ' 10.0.1.2 ' "$RUN/traceroute.log"; then
    pass "pc1: traceroute shows router1 (10.20.1.254) and router2 (10.0.1.2)"
  else
    fail "pc1: traceroute: $(tr '\n' '|' <"$RUN/traceroute.log")"
  fi
}

check_withdraw() {
  local mode=$1 t
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "neighbor 10.0.1.2 shutdown" >/dev/null
  t=$(now_ms)
  if [ "$mode" = full ]; then
    if poll 1 fib_lacks r1 10.20.2.0/24; then pass "withdraw: 10.20.2.0/24 left r1's FIB in $(( $(now_ms) - t )) ms"; else fail "withdraw: route still in r1's FIB after 1 s"; fi
    if nsx pc1 ping -c 1 -W 1 10.20.2.1 >/dev/null 2>&1; then fail "withdraw: PC2 still reachable"; else pass "withdraw: PC2 unreachable from PC1"; fi
  else
    if poll 1 agent_lacks_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0"; then pass "withdraw: agent removed 10.20.2.0/24 in $(( $(now_ms) - t )) ms"; else fail "withdraw: agent still has 10.20.2.0/24 after 1 s"; fi
    if [ "$(cat "$RUN/sai")" != none ]; then
      if sai_lacks_route r1 10.20.2.0/24; then pass "withdraw: route gone from libsai"; else fail "withdraw: libsai still has the route"; fi
    fi
  fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "no neighbor 10.0.1.2 shutdown" >/dev/null
  t=$(now_ms)
  if [ "$mode" = full ]; then
    if poll 15 fib_has r1 10.20.2.0/24 10.0.1.2 Ethernet0; then pass "no shutdown: route back in r1's FIB after $(( $(now_ms) - t )) ms"; else fail "no shutdown: route did not come back"; fi
    if poll 5 nsx pc1 ping -c 1 -W 1 10.20.2.1; then pass "no shutdown: PC2 reachable again"; else fail "no shutdown: PC2 unreachable"; fi
  else
    if poll 15 agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0"; then pass "no shutdown: agent has 10.20.2.0/24 again after $(( $(now_ms) - t )) ms"; else fail "no shutdown: route did not come back to the agent"; fi
    if [ "$(cat "$RUN/sai")" != none ]; then
      if poll 2 sai_has_route r1 10.20.2.0/24 "via 10.0.1.2 Ethernet0"; then pass "no shutdown: route back in libsai"; else fail "no shutdown: route not back in libsai"; fi
    fi
  fi
}

V6_VIA="(2001:db8:0:1::2|fe80::[0-9a-f:]+)"
check_ipv6() {
  local mode=$1 sai=$2 t
  for r in "${ROUTERS[@]}"; do
    if poll 15 bgp_established "$r" "$(peer6 "$r")"; then pass "$r: IPv6 BGP neighbor $(peer6 "$r") Established"; else fail "$r: IPv6 BGP neighbor $(peer6 "$r") not Established"; fi
  done
  if poll 10 rib_has r1 2001:db8:20:2::/64 "$V6_VIA" bgp; then pass "r1 show ipv6 route: 2001:db8:20:2::/64 via router2, bgp"; else fail "r1 RIB lacks 2001:db8:20:2::/64 bgp"; fi
  if poll 10 agent_has_route r1 2001:db8:20:2::/64 "$V6_VIA Ethernet0"; then pass "r1 agent: $(agent_has_route r1 2001:db8:20:2::/64 "$V6_VIA Ethernet0")"; else fail "r1 agent lacks 2001:db8:20:2::/64 via Ethernet0"; fi
  if [ "$sai" != none ]; then
    if poll 5 sai_has_route r1 2001:db8:20:2::/64 "via $V6_VIA Ethernet0"; then pass "r1 libsai: 2001:db8:20:2::/64 read back via Ethernet0"; else fail "r1 libsai lacks 2001:db8:20:2::/64"; fi
  fi
  if [ "$mode" = full ]; then
    if poll 10 fib_has r1 2001:db8:20:2::/64 "$(vty r1 -c 'show ipv6 route 2001:db8:20:2::/64 json' | python3 -c 'import json,sys; print([n["ip"] for r in json.load(sys.stdin)["2001:db8:20:2::/64"] for n in r["nexthops"]][0])' 2>/dev/null)" Ethernet0; then pass "r1 fwdctl show ip6 fib: 2001:db8:20:2::/64 out Ethernet0"; else fail "r1 forwarder lacks 2001:db8:20:2::/64"; fi
    if nsx pc1 ping -6 -c 5 -i 0.2 -W 1 2001:db8:20:2::1 >"$RUN/ping6.log" 2>&1; then pass "pc1: ping -6 -c 5 2001:db8:20:2::1"; else fail "pc1: ping -6 2001:db8:20:2::1"; fi
    if nsx pc1 traceroute -6 -n -w 1 -q 1 -m 4 2001:db8:20:2::1 >"$RUN/traceroute6.log" 2>&1 && grep -q ' 2001:db8:20:1::fe ' "$RUN/traceroute6.log"; then pass "pc1: traceroute -6 through router1"; else fail "pc1: traceroute -6: $(tr '\n' '|' <"$RUN/traceroute6.log")"; fi
  fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "neighbor $(peer6 r1) shutdown" >/dev/null
  t=$(now_ms)
  if poll 1 agent_lacks_route r1 2001:db8:20:2::/64 "$V6_VIA Ethernet0"; then pass "IPv6 withdraw: agent removed 2001:db8:20:2::/64 in $(( $(now_ms) - t )) ms"; else fail "IPv6 withdraw: route still in the agent after 1 s"; fi
  if [ "$mode" = full ]; then
    if poll 1 fib_lacks r1 2001:db8:20:2::/64; then pass "IPv6 withdraw: 2001:db8:20:2::/64 left r1's FIB in $(( $(now_ms) - t )) ms"; else fail "IPv6 withdraw: route still in r1's FIB after 1 s"; fi
    if nsx pc1 ping -6 -c 1 -W 1 2001:db8:20:2::1 >/dev/null 2>&1; then fail "IPv6 withdraw: PC2 still reachable"; else pass "IPv6 withdraw: PC2 unreachable over IPv6"; fi
  fi
  if [ "$sai" != none ]; then
    if sai_lacks_route r1 2001:db8:20:2::/64; then pass "IPv6 withdraw: route gone from libsai"; else fail "IPv6 withdraw: libsai still has it"; fi
  fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "no neighbor $(peer6 r1) shutdown" >/dev/null
  t=$(now_ms)
  if poll 15 agent_has_route r1 2001:db8:20:2::/64 "$V6_VIA Ethernet0"; then pass "IPv6 no shutdown: route back after $(( $(now_ms) - t )) ms"; else fail "IPv6 no shutdown: route did not come back"; fi
  if [ "$mode" = full ]; then
    if poll 5 nsx pc1 ping -6 -c 1 -W 1 2001:db8:20:2::1; then pass "IPv6 no shutdown: PC2 reachable again"; else fail "IPv6 no shutdown: PC2 unreachable"; fi
  fi
}

kernel_mac() { nsx "$1" ip neigh show "$2" dev "$3" | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
agent_neigh() { "$AGENT" config --ctl "$RUN/$1/agent.sock" show neighbors | grep -E "^$2 $3 $4$"; }
sai_neigh() { "$AGENT" config --ctl "$RUN/$1/agent.sock" show sai neighbor "$2" "$4" | grep -E "^$2 $3 $4$"; }

check_neighbors() { # the kernel neighbor table of router1 is followed (neighsyncd's job)
  local sai=$1 mac n0
  mac=$(kernel_mac r1 10.0.1.2 Ethernet0)
  if [ -n "$mac" ] && poll 3 agent_neigh r1 10.0.1.2 "$mac" Ethernet0; then pass "r1 agent: kernel neighbor 10.0.1.2 $mac on Ethernet0 programmed"; else fail "r1 agent: neighbor 10.0.1.2 (kernel: ${mac:-none}) not programmed"; fi
  if [ "$sai" != none ]; then
    if sai_neigh r1 10.0.1.2 "$mac" Ethernet0 >/dev/null; then pass "r1 libsai: neighbor entry 10.0.1.2 -> $mac read back"; else fail "r1 libsai: neighbor 10.0.1.2 not read back"; fi
  fi
  # a MAC change and a deletion in the kernel table are followed
  nsx r1 ip neigh replace 10.0.1.2 lladdr 02:00:00:00:00:99 dev Ethernet0 nud permanent
  if poll 2 agent_neigh r1 10.0.1.2 02:00:00:00:00:99 Ethernet0; then pass "neighbor MAC change followed (02:00:00:00:00:99)"; else fail "neighbor MAC change not followed"; fi
  if [ "$sai" != none ]; then
    if sai_neigh r1 10.0.1.2 02:00:00:00:00:99 Ethernet0 >/dev/null; then pass "libsai neighbor entry updated"; else fail "libsai neighbor entry not updated"; fi
  fi
  n0=$(agent_counter r1 neighbors_programmed)
  nsx r1 ip neigh del 10.0.1.2 dev Ethernet0
  if poll 2 test_gt "$n0" agent_counter r1 neighbors_programmed; then pass "neighbor deletion followed"; else fail "neighbor deletion not followed"; fi
  # BGP keeps talking to 10.0.1.2: the kernel resolves it again with the real MAC
  if poll 5 agent_neigh r1 10.0.1.2 "$mac" Ethernet0; then pass "neighbor re-learned: 10.0.1.2 $mac"; else fail "neighbor 10.0.1.2 not re-learned"; fi
}
test_gt() { local v=$1; shift; [ "$("$@")" -gt "$v" ]; }

agent_counter() { "$AGENT" config --ctl "$RUN/$1/agent.sock" show counters | grep -o "$2: [0-9]*" | grep -o '[0-9]*$'; }

check_fpm_reconnect() {
  # 1. zebra's FPM connection drops and comes back: the replay must not disturb a programmed route
  local c0 s0 t gaps=0 end
  c0=$(agent_counter r1 fpm_connections); s0=$(agent_counter r1 routes_swept)
  vty r1 -c "configure terminal" -c "no fpm address" >/dev/null
  sleep 0.3
  vty r1 -c "configure terminal" -c "fpm address 127.0.0.1" >/dev/null
  t=$(now_ms); end=$((t + 8000))
  while [ "$(now_ms)" -lt "$end" ]; do
    agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0" >/dev/null || gaps=$((gaps + 1))
    [ "$(agent_counter r1 fpm_connections)" -gt "$c0" ] && break
    sleep 0.1
  done
  sleep 2 # the replay and its quiet period
  if [ "$(agent_counter r1 fpm_connections)" -gt "$c0" ] && [ $gaps = 0 ] && agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0" >/dev/null \
     && [ "$(agent_counter r1 routes_swept)" = "$s0" ]; then
    pass "FPM reconnect: replay reconciled, 10.20.2.0/24 stayed programmed throughout (reconnected after $(( $(now_ms) - t - 2000 )) ms)"
  else
    fail "FPM reconnect: connections $c0->$(agent_counter r1 fpm_connections), gaps $gaps, swept $s0->$(agent_counter r1 routes_swept)"
  fi
  # 2. a route withdrawn while FPM is down is stale after the reconnect and swept
  vty r1 -c "configure terminal" -c "no fpm address" >/dev/null
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "neighbor 10.0.1.2 shutdown" >/dev/null
  sleep 0.5
  if agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0" >/dev/null; then pass "FPM down: agent keeps 10.20.2.0/24 (no news is not a withdrawal)"; else fail "FPM down: route vanished without a withdrawal"; fi
  vty r1 -c "configure terminal" -c "fpm address 127.0.0.1" >/dev/null
  t=$(now_ms)
  if poll 10 agent_lacks_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0"; then pass "FPM reconnect: stale 10.20.2.0/24 swept $(( $(now_ms) - t )) ms after reconnecting (swept $(agent_counter r1 routes_swept))"; else fail "FPM reconnect: stale route not swept"; fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "no neighbor 10.0.1.2 shutdown" >/dev/null
  if poll 15 agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0"; then pass "FPM reconnect: route back after no shutdown"; else fail "FPM reconnect: route did not come back"; fi
}

check_scale() { # N kernel routes on router2, redistributed into BGP, must reach router1's agent (+ libsai)
  local n=$1 t1 got=0 i
  vty r2 -c "configure terminal" -c "router bgp 65100" -c "address-family ipv4 unicast" -c "redistribute kernel" >/dev/null
  python3 -c "
import sys
for i in range(int(sys.argv[1])):
    print(f'route add 10.{100+i//65536}.{(i//256)%256}.{i%256}/32 dev Ethernet4 proto boot')" "$n" >"$RUN/scale.batch"
  t1=$(now_ms)
  nsx r2 ip -batch "$RUN/scale.batch"
  for i in $(seq 600); do
    got=$("$AGENT" config --ctl "$RUN/r1/agent.sock" show routes | grep -c '^10\.1[0-9][0-9]\.' || true)
    [ "$got" -ge "$n" ] && break
    sleep 0.1
  done
  if [ "$got" -ge "$n" ]; then pass "scale: $n routes from router2's kernel -> BGP -> router1 zebra -> FPM -> agent -> SAI in $(( $(now_ms) - t1 )) ms ($("$AGENT" config --ctl "$RUN/r1/agent.sock" show counters | grep -o 'bulk_calls: [0-9]*'))"; else fail "scale: only $got of $n routes after 60 s"; fi
  sed -i 's/route add/route del/; s/ dev Ethernet4 proto boot//' "$RUN/scale.batch"
  t1=$(now_ms)
  nsx r2 ip -batch "$RUN/scale.batch"
  for i in $(seq 600); do
    got=$("$AGENT" config --ctl "$RUN/r1/agent.sock" show routes | grep -c '^10\.1[0-9][0-9]\.' || true)
    [ "$got" = 0 ] && break
    sleep 0.1
  done
  if [ "$got" = 0 ]; then pass "scale: all $n withdrawn in $(( $(now_ms) - t1 )) ms"; else fail "scale: $got routes left after the withdrawal"; fi
}

check_ecmp() {
  local mode=$1 sai=$2 r
  for r in "${ROUTERS[@]}"; do
    if poll 20 bgp_established "$r" "$(peer2 "$r")"; then pass "$r: second-link BGP neighbor $(peer2 "$r") Established"; else fail "$r: BGP neighbor $(peer2 "$r") not Established"; fi
  done
  if poll 10 rib_has r1 10.20.2.0/24 "10.0.[12].2" bgp 2; then pass "r1 show ip route: 10.20.2.0/24 via 10.0.1.2 and 10.0.2.2 (maximum-paths ibgp 2)"; else fail "r1 RIB: 10.20.2.0/24 is not multipath"; fi
  if poll 10 agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0, via 10.0.2.2 Ethernet8"; then pass "r1 agent: 10.20.2.0/24 via an ECMP group of 10.0.1.2/Ethernet0 + 10.0.2.2/Ethernet8"; else fail "r1 agent: no ECMP group for 10.20.2.0/24"; fi
  if [ "$sai" != none ]; then
    if poll 5 sai_has_route r1 10.20.2.0/24 "group 0x[0-9a-f]+ \[via 10.0.1.2 Ethernet0, via 10.0.2.2 Ethernet8\]"; then pass "r1 libsai: 10.20.2.0/24 -> next-hop group with both members (read back)"; else fail "r1 libsai: no 2-member group for 10.20.2.0/24"; fi
  fi
  if [ "$mode" = full ]; then
    if poll 10 fib_has r1 10.20.2.0/24 10.0.1.2 Ethernet0 && fib_has r1 10.20.2.0/24 10.0.2.2 Ethernet8; then pass "r1 FIB: 10.20.2.0/24 load-balanced over Ethernet0 and Ethernet8"; else fail "r1 FIB: 10.20.2.0/24 not on both links"; fi
    nsx pc1 ping -c 1 -W 2 10.20.2.1 >/dev/null 2>&1 || true
    local a0 a8 b0 b8
    a0=$(port_pkts r1 Ethernet0 | cut -d' ' -f2); a8=$(port_pkts r1 Ethernet8 | cut -d' ' -f2)
    nsx pc1 bash -c 'for p in $(seq 40000 40063); do echo x >/dev/udp/10.20.2.1/$p; done' 2>/dev/null || true
    sleep 0.3
    b0=$(port_pkts r1 Ethernet0 | cut -d' ' -f2); b8=$(port_pkts r1 Ethernet8 | cut -d' ' -f2)
    if [ $((b0 - a0)) -gt 0 ] && [ $((b8 - a8)) -gt 0 ]; then pass "ECMP: 64 UDP flows spread: Ethernet0 +$((b0 - a0)) tx, Ethernet8 +$((b8 - a8)) tx"; else fail "ECMP: flows not spread (Ethernet0 +$((b0 - a0)), Ethernet8 +$((b8 - a8)))"; fi
    if nsx pc1 ping -c 5 -i 0.2 -W 1 10.20.2.1 >/dev/null 2>&1; then pass "ECMP: ping -c 5 10.20.2.1"; else fail "ECMP: ping failed"; fi
  fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "neighbor 10.0.1.2 shutdown" >/dev/null
  if poll 2 agent_has_route r1 10.20.2.0/24 "10.0.2.2 Ethernet8"; then pass "ECMP: shut 10.0.1.2 -> 10.20.2.0/24 via 10.0.2.2 Ethernet8 only"; else fail "ECMP: route did not shrink to 10.0.2.2"; fi
  vty r1 -c "configure terminal" -c "router bgp 65100" -c "no neighbor 10.0.1.2 shutdown" >/dev/null
  if poll 15 agent_has_route r1 10.20.2.0/24 "10.0.1.2 Ethernet0, via 10.0.2.2 Ethernet8"; then pass "ECMP: no shutdown -> group of two again"; else fail "ECMP: group did not come back"; fi
}

case "${1:-}" in
  up) shift; do_up "$@" ;;
  check) do_check ;;
  down) do_down; log "down: namespaces, processes, FRR dirs, shm and lab/run removed" ;;
  *) echo "usage: $0 up [--full|--dev] [--no-sai] [--ecmp] | check | down" >&2; exit 2 ;;
esac
