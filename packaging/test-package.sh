#!/usr/bin/env bash
# Builds the ferrosai package and checks it in a clean Debian 12 root:
#   1. packaging/build-deb.sh (NO_BUILD=1 skips cargo: package target/release as it is);
#   2. a Debian 12 minbase root (debootstrap; cached as a tarball under /var/cache/ferrosai, keyed by
#      the package list: the compiler the test needs + the package's Depends), unpacked fresh;
#   3. a fake "libsaivpp" package (libsaivpp.so.0 -> libsaivpp.so.0.0.0, SONAME libsaivpp.so.0) is
#      installed first, as in a SONiC-VPP syncd container;
#   4. dpkg -i ferrosai: inside the root, a C program is compiled through
#      `pkg-config --cflags --libs ferrosai` and run; libsai.so, libsaivpp.so.0 and libsaivs.so.0
#      are dlopen'ed by name (as syncd's loader does) and are ferrosai's, also after ldconfig;
#      the hwsku test (packaging/test-hwsku.sh) runs against the installed headers and library;
#      `ferrosai-sonic enable` on a syncd-container file set, ferrosai-fwd-start --generate-only;
#   5. dpkg --purge ferrosai: no file of it is left (whole-root listing compared with the one taken
#      before the install), the container files are byte-identical to the originals, no diversion
#      remains, and libsaivpp.so.0 is the fake package's library again.
# Exit 0 and "N passed, 0 failed" when every check passed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cache=${FERROSAI_CACHE:-/var/cache/ferrosai}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
t0=$(date +%s)
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
stamp() { echo "--- $* (t+$(( $(date +%s) - t0 ))s)"; }

[ "$(id -u)" -eq 0 ] || { echo "test-package: must run as root (chroot, dpkg)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "test-package: debootstrap missing (scripts/install-deps.sh)" >&2; exit 1; }

stamp "build the package"
"$here/build-deb.sh"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$repo/Cargo.toml" | head -n1)
deb="$repo/target/debian/ferrosai_${version}_amd64.deb"
[ -f "$deb" ] || { echo "test-package: $deb not built" >&2; exit 1; }

# ---- the clean root (cached)
deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/[[:space:]]//g' | grep -v '^$')
recs=$(dpkg-deb -f "$deb" Recommends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/[[:space:]]//g' | grep -v '^$')
include=$(printf '%s\n' gcc libc6-dev pkg-config $deps $recs | sort -u | paste -sd, -)
key=$(printf 'bookworm minbase %s' "$include" | sha256sum | cut -c1-16)
tarball="$cache/bookworm-minbase-$key.tar"
mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
  stamp "debootstrap bookworm minbase (+ $include) into the cache"
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  if ! debootstrap --variant=minbase --include="$include" bookworm "$tmp/root" "$mirror" > "$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log"; rm -rf "$tmp"; echo "test-package: debootstrap failed" >&2; exit 1
  fi
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
  tar -C "$tmp/root" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar' ! -name "$(basename "$tarball")" -delete
  rm -rf "$tmp"
fi

work=$(mktemp -d /tmp/ferrosai-pkgtest.XXXXXX)
R=$work/root
ns=ferrosai-pkgtest-$$
fwd_pid=
cleanup() {
  [ -n "$fwd_pid" ] && kill "$fwd_pid" 2>/dev/null && wait "$fwd_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null || true
  for m in "$R/proc" "$R/dev/shm"; do mountpoint -q "$m" 2>/dev/null && umount -l "$m"; done
  rm -rf "$work"
}
trap cleanup EXIT
stamp "unpack the clean root"
mkdir -p "$R"
tar -C "$R" -xf "$tarball"
mount -t proc proc "$R/proc"
mkdir -p "$R/dev/shm" && mount -t tmpfs tmpfs "$R/dev/shm"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C "$@"; }
snapshot() { # every path of the root except dpkg's own bookkeeping, logs and scratch space
  (cd "$R" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp -o -path ./var/lib/dpkg \
     -o -path ./var/log -o -path ./var/cache/ldconfig -o -path ./etc/ld.so.cache -o -path ./work \) -prune \
     -o -print | sort)
}

# ---- a fake libsaivpp package, as SONiC-VPP's syncd container has it
stamp "fake libsaivpp package"
fk=$work/fake/libsaivpp
mkdir -p "$fk/DEBIAN" "$fk/usr/lib/x86_64-linux-gnu"
cat > "$work/fake/fake.c" <<'C'
int fake_libsaivpp_marker(void) { return 42; }
int sai_api_initialize(void) { return -1; }
C
gcc -shared -fPIC -Wl,-soname,libsaivpp.so.0 -o "$fk/usr/lib/x86_64-linux-gnu/libsaivpp.so.0.0.0" "$work/fake/fake.c"
ln -s libsaivpp.so.0.0.0 "$fk/usr/lib/x86_64-linux-gnu/libsaivpp.so.0"
printf 'Package: libsaivpp\nVersion: 1.0.0\nArchitecture: amd64\nMaintainer: test <t@example.invalid>\nDescription: stand-in for SONiC-VPP libsaivpp (test)\n' > "$fk/DEBIAN/control"
dpkg-deb --root-owner-group --build "$fk" "$work/libsaivpp_1.0.0_amd64.deb" >/dev/null
mkdir -p "$R/work"
cp "$work/libsaivpp_1.0.0_amd64.deb" "$deb" "$R/work/"
in_root dpkg -i /work/libsaivpp_1.0.0_amd64.deb >/dev/null

# a syncd container's files, from the layouts of sonic-platform-vpp (docker-syncd-vpp) and
# sonic-sairedis (syncd_init_common.sh's config_syncd_vpp)
mkdir -p "$R/etc/supervisor/conf.d" "$R/usr/bin"
cat > "$R/etc/supervisor/conf.d/supervisord.conf" <<'CONF'
[supervisord]
logfile_maxbytes=1MB
nodaemon=true

[program:rsyslogd]
command=/usr/sbin/rsyslogd -n -iNONE
priority=1
autostart=false
dependent_startup=true

[program:start]
command=/usr/bin/start.sh
priority=2
autostart=false
startsecs=0
dependent_startup=true
dependent_startup_wait_for=rsyslogd:running

[program:syncd]
command=/usr/bin/syncd_start.sh
priority=3
autostart=false
autorestart=false
stdout_logfile=syslog
stderr_logfile=syslog
dependent_startup=true
dependent_startup_wait_for=start:exited
CONF
printf '[program:vpp_init.sh]\ncommand=/usr/local/bin/vpp_init.sh\npriority=1\nautostart=true\n' > "$R/etc/supervisor/conf.d/vpp_init.conf"
printf 'program:syncd\n' > "$R/etc/supervisor/critical_processes"
cat > "$R/usr/bin/syncd_init_common.sh" <<'SH'
#!/usr/bin/env bash
HWSKU_DIR=/usr/share/sonic/hwsku
config_syncd_vs()
{
    CMD_ARGS+=" -p $HWSKU_DIR/sai.profile"
}

config_syncd_vpp()
{
    CMD_ARGS+=" -p $HWSKU_DIR/sai_vpp.profile"
    vpp_api_check "/run/vpp/api.sock"
    source /etc/sonic/vpp/syncd_vpp_env
    export NO_LINUX_NL
}
SH
(cd "$R" && md5sum etc/supervisor/conf.d/supervisord.conf etc/supervisor/conf.d/vpp_init.conf \
   etc/supervisor/critical_processes usr/bin/syncd_init_common.sh) > "$work/container.md5"
before=$work/before.lst
snapshot > "$before"

# ---- install
stamp "dpkg -i ferrosai"
if in_root dpkg -i "/work/$(basename "$deb")" > "$work/dpkg-i.log" 2>&1; then ok "dpkg -i $(basename "$deb")"; else cat "$work/dpkg-i.log"; bad "dpkg -i"; fi
check "pkg-config --cflags --libs ferrosai = -I/usr/include/sai -lsai" \
  test "$(in_root pkg-config --cflags --libs ferrosai | xargs)" = "-I/usr/include/sai -lsai"
check "pkg-config --modversion ferrosai = $version" test "$(in_root pkg-config --modversion ferrosai)" = "$version"

cat > "$R/work/smoke.c" <<'C'
/* Built with `pkg-config --cflags --libs ferrosai`: linked against libsai.so, initialize,
 * query the switch API, create and remove a switch, uninitialize. */
#include <sai.h>
#include <stdio.h>
#include <string.h>
static const char *get_value(sai_switch_profile_id_t id, const char *var) { (void)id; (void)var; return NULL; }
static int get_next(sai_switch_profile_id_t id, const char **var, const char **val) { (void)id; (void)var; (void)val; return -1; }
static const sai_service_method_table_t services = { get_value, get_next };
int main(void)
{
    sai_api_version_t v = 0;
    if (sai_query_api_version(&v) != SAI_STATUS_SUCCESS || v == 0) { puts("version failed"); return 1; }
    if (sai_api_initialize(0, &services) != SAI_STATUS_SUCCESS) { puts("initialize failed"); return 1; }
    sai_switch_api_t *sw = NULL;
    if (sai_api_query(SAI_API_SWITCH, (void **)&sw) != SAI_STATUS_SUCCESS || sw == NULL) { puts("query failed"); return 1; }
    sai_attribute_t a; memset(&a, 0, sizeof a);
    a.id = SAI_SWITCH_ATTR_INIT_SWITCH; a.value.booldata = true;
    sai_object_id_t s = SAI_NULL_OBJECT_ID;
    if (sw->create_switch(&s, 1, &a) != SAI_STATUS_SUCCESS || s == SAI_NULL_OBJECT_ID) { puts("create_switch failed"); return 1; }
    sai_attribute_t n; memset(&n, 0, sizeof n);
    n.id = SAI_SWITCH_ATTR_NUMBER_OF_ACTIVE_PORTS;
    if (sw->get_switch_attribute(s, 1, &n) != SAI_STATUS_SUCCESS) { puts("get failed"); return 1; }
    if (sw->remove_switch(s) != SAI_STATUS_SUCCESS) { puts("remove_switch failed"); return 1; }
    if (sai_api_uninitialize() != SAI_STATUS_SUCCESS) { puts("uninitialize failed"); return 1; }
    printf("smoke: SAI API version %llu, switch 0x%llx with %u ports\n", (unsigned long long)v, (unsigned long long)s, n.value.u32);
    return 0;
}
C
cat > "$R/work/dlopen_name.c" <<'C'
/* dlopen(NAME) as syncd's loader resolves it (ld.so cache, system directories); prints whose it is. */
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char **argv)
{
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) { printf("none: %s\n", dlerror()); return 1; }
    if (dlsym(h, "fake_libsaivpp_marker")) { puts("fake"); return 0; }
    if (dlsym(h, "sai_api_query") && dlsym(h, "sai_object_type_query")) { puts("ferrosai"); return 0; }
    puts("unknown"); return 1;
}
C
stamp "compile and run against the installed package"
if in_root sh -c 'cd /work && gcc -Wall -Werror -o smoke smoke.c $(pkg-config --cflags --libs ferrosai) && ./smoke' > "$work/smoke.log" 2>&1; then
  ok "C program via pkg-config: $(grep '^smoke:' "$work/smoke.log")"
else cat "$work/smoke.log"; bad "C program via pkg-config"; fi
check "smoke binary NEEDED libsai.so" sh -c "readelf -d '$R/work/smoke' | grep -q 'NEEDED.*\[libsai.so\]'"
in_root sh -c 'cd /work && gcc -o dlopen_name dlopen_name.c -ldl'
for name in libsai.so libsaivpp.so libsaivpp.so.0 libsaivs.so.0; do
  check "dlopen(\"$name\") is ferrosai's" test "$(in_root /work/dlopen_name "$name")" = ferrosai
done
in_root ldconfig
check "after ldconfig, dlopen(\"libsaivpp.so.0\") is still ferrosai's" test "$(in_root /work/dlopen_name libsaivpp.so.0)" = ferrosai
check "the fake libsaivpp files are diverted, intact" test -f "$R/usr/lib/ferrosai-distrib/libsaivpp.so.0.0.0"

stamp "hwsku test against the installed package"
cp "$here/test-hwsku.sh" "$here/tests/hwsku_check.c" "$R/work/"
if in_root sh -c 'cd /work && ./test-hwsku.sh --installed' > "$work/hwsku.log" 2>&1; then
  ok "hwsku test (installed): $(grep -c '^ok:' "$work/hwsku.log") checks"
else cat "$work/hwsku.log"; bad "hwsku test (installed)"; fi

stamp "ferrosai-sonic enable, start script"
if in_root ferrosai-sonic enable > "$work/enable.log" 2>&1; then ok "ferrosai-sonic enable"; else cat "$work/enable.log"; bad "ferrosai-sonic enable"; fi
check "syncd waits for ferrosai-ring:exited" grep -qx 'dependent_startup_wait_for=start:exited ferrosai-ring:exited' "$R/etc/supervisor/conf.d/supervisord.conf"
check "VPP program moved aside" test ! -e "$R/etc/supervisor/conf.d/vpp_init.conf"
check "ferrosai programs in conf.d" grep -q '^\[program:ferrosai-fwd\]' "$R/etc/supervisor/conf.d/ferrosai.conf"
check "syncd uses /run/ferrosai/sai.profile" grep -q -- '-p /run/ferrosai/sai.profile' "$R/usr/bin/syncd_init_common.sh"
check "syncd no longer waits for VPP's API socket" sh -c "! grep -q '^[[:space:]]*vpp_api_check' '$R/usr/bin/syncd_init_common.sh'"
check "vs branch untouched" grep -q -- '-p \$HWSKU_DIR/sai.profile' "$R/usr/bin/syncd_init_common.sh"
check "ferrosai-fwd is a critical process" grep -qx 'program:ferrosai-fwd' "$R/etc/supervisor/critical_processes"
if in_root ferrosai-fwd-start --generate-only > "$work/start.log" 2>&1; then ok "ferrosai-fwd-start --generate-only"; else cat "$work/start.log"; bad "ferrosai-fwd-start"; fi
check "syncd profile = hwsku profile + ring key" sh -c "grep -qx 'FERROSAI_RING=/dev/shm/ferrosai-sonic' '$R/run/ferrosai/sai.profile' && grep -qx 'SAI_VS_SWITCH_TYPE=SAI_VS_SWITCH_TYPE_VPP' '$R/run/ferrosai/sai.profile'"
check "generated forwarder config has the lane-map ports, named from port_config.ini" \
  sh -c "[ \$(grep -c '^\[\[port\]\]' '$R/run/ferrosai/ferrosai-fwd.toml') -eq 4 ] && grep -qx 'name = \"Ethernet4\"' '$R/run/ferrosai/ferrosai-fwd.toml' && grep -q 'net_af_packet1,iface=eth2' '$R/run/ferrosai/ferrosai-fwd.toml'"
if in_root ferrosai-fwd --config /run/ferrosai/ferrosai-fwd.toml --check > "$work/check.log" 2>&1; then
  ok "ferrosai-fwd --check accepts the generated configuration"
else cat "$work/check.log"; bad "ferrosai-fwd --check on the generated configuration"; fi
check "fwdctl runs" sh -c "chroot '$R' fwdctl --help >/dev/null"
mkdir -p "$R/dev/shm" && : > "$R/dev/shm/ferrosai-sonic"
check "ferrosai-wait-ring sees the ring" sh -c "chroot '$R' env FERROSAI_WAIT_NO_PROCESS=1 ferrosai-wait-ring 2 >/dev/null"
rm -f "$R/dev/shm/ferrosai-sonic"
check "ferrosai-wait-ring times out with an error naming the ring" \
  sh -c "chroot '$R' ferrosai-wait-ring 1 2>&1 | grep -q 'no ring /dev/shm/ferrosai-sonic'"
stamp "start order in a network namespace: ferrosai-fwd-start, ferrosai-wait-ring, a syncd-like consumer"
# the VM's data interfaces eth1..eth4 (veths) in a private namespace; the forwarder and the
# consumer run there, from the installed package, exactly as supervisord would start them
ip netns add "$ns"
for i in 1 2 3 4; do
  ip -n "$ns" link add "eth$i" type veth peer name "peer$i"
  ip -n "$ns" link set "eth$i" up; ip -n "$ns" link set "peer$i" up
done
# (sysfs mounted inside the private mount namespace of `ip netns exec`: EAL reads the CPU topology)
in_ns() { ip netns exec "$ns" sh -c 'mount -t sysfs sysfs "$0/sys" && exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C "$@"' "$R" "$@"; }
# started as a plain command (not through the function) so that $! is the forwarder itself once
# ip, sh, chroot, env and ferrosai-fwd-start have exec'ed into it
ip netns exec "$ns" sh -c 'mount -t sysfs sysfs "$0/sys" && exec chroot "$0" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C ferrosai-fwd-start' "$R" > "$work/fwd.log" 2>&1 &
fwd_pid=$!
if in_ns ferrosai-wait-ring 30 > "$work/wait.log" 2>&1; then ok "ferrosai-wait-ring: $(cat "$work/wait.log")"
else cat "$work/wait.log" "$work/fwd.log"; bad "ferrosai-wait-ring"; fi
if in_ns fwdctl -s /run/ferrosai/sonic.sock show interface > "$work/show.log" 2>&1 \
   && grep -qw Ethernet0 "$work/show.log" && grep -qw Ethernet4 "$work/show.log" \
   && grep -qw Ethernet8 "$work/show.log" && grep -qw Ethernet12 "$work/show.log"; then
  ok "fwdctl show interface: the four hwsku ports by their SONiC names"
else cat "$work/show.log" "$work/fwd.log"; bad "fwdctl show interface"; fi
# the syncd stand-in: the profile syncd gets (/run/ferrosai/sai.profile), ports checked against
# port_config.ini while libsai is attached to the forwarder's ring
if in_ns sh -c 'cd /work && gcc -o hwsku_check hwsku_check.c $(pkg-config --cflags --libs ferrosai) && ./hwsku_check /run/ferrosai/sai.profile /usr/share/sonic/hwsku/port_config.ini' > "$work/consumer.log" 2>&1; then
  ok "syncd-like consumer with /run/ferrosai/sai.profile: $(tail -n1 "$work/consumer.log")"
else cat "$work/consumer.log"; bad "consumer with the ring profile"; fi
in_ns fwdctl -s /run/ferrosai/sonic.sock show ring > "$work/ring.log" 2>&1 || true
if grep -q 'attached true' "$work/ring.log" && grep -Eq 'commands [1-9][0-9]* errors 0' "$work/ring.log"; then
  ok "fwdctl show ring: libsai attached, $(grep -Eo 'commands [0-9]+ errors 0' "$work/ring.log")"
else cat "$work/ring.log"; bad "fwdctl show ring: library not attached or command errors"; fi
kill -TERM "$fwd_pid"
rc=0; wait "$fwd_pid" || rc=$?
fwd_pid=
if [ "$rc" -eq 0 ]; then ok "ferrosai-fwd stops cleanly on SIGTERM"; else tail -n 20 "$work/fwd.log"; bad "ferrosai-fwd exit $rc on SIGTERM"; fi
ip netns del "$ns"
rm -f "$R/dev/shm/ferrosai-sonic"
rm -rf "$R/usr/share/sonic" "$R/work/hwsku"
# hwsku files the test created are not the package's: drop them before comparing
rmdir "$R/usr/share" 2>/dev/null || true

# ---- purge
stamp "dpkg --purge ferrosai"
if in_root dpkg --purge ferrosai > "$work/purge.log" 2>&1; then ok "dpkg --purge ferrosai"; else cat "$work/purge.log"; bad "dpkg --purge"; fi
rm -f "$R/work/smoke" "$R/work/dlopen_name" "$R/work/"*.c "$R/work/test-hwsku.sh" "$R/work/hwsku_check"
snapshot > "$work/after.lst"
if diff "$before" "$work/after.lst" > "$work/diff.txt"; then
  ok "no file left behind (whole-root listing equal to the one before the install)"
else cat "$work/diff.txt"; bad "files differ after purge"; fi
check "container files byte-identical after purge" sh -c "cd '$R' && md5sum --quiet -c '$work/container.md5'"
check "no diversion left" test "$(in_root dpkg-divert --list | grep -c ferrosai || true)" = 0
printf '#include <dlfcn.h>\n#include <stdio.h>\nint main(void){void*h=dlopen("libsaivpp.so.0",RTLD_NOW);puts(h&&dlsym(h,"fake_libsaivpp_marker")?"fake":"other");return 0;}\n' > "$R/work/back.c"
check "dlopen(\"libsaivpp.so.0\") is the original package's again" test "$(in_root sh -c 'cd /work && gcc -o back back.c -ldl && ./back')" = fake
check "dpkg -V libsaivpp: unmodified" test -z "$(in_root dpkg -V libsaivpp)"

echo "test-package: $(( $(date +%s) - t0 ))s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
