#!/usr/bin/env bash
# The hwsku files of a SONiC-VPP virtual switch, accepted unchanged by libsai.
#
#   packaging/test-hwsku.sh              against the build tree (sai-headers/include, target/release)
#   packaging/test-hwsku.sh --installed  against the installed package (pkg-config ferrosai); the
#                                        files go to /usr/share/sonic/hwsku as in the container
#
# Writes the Force10-S6000 hwsku of the SONiC-VPP VM (x86_64-kvm_x86_64-r0) from the documented
# formats: sai_vpp.profile with the five keys SONiC-VPP ships, lanemap.ini (32 ports eth1..eth32,
# "; comment" and "# comment" lines), port_config.ini (name lanes alias index speed),
# coreportindexmap.ini, fabriclanemap.ini. tests/hwsku_check.c loads the profile as syncd does and
# checks every port_config.ini port has exactly one SAI port with its lanes and speed. Then the same
# with the lane map filtered to eth1..eth4 (what the VPP container's start script does with the
# interfaces it has), the vslib "N:ethX:lanes" line form, and bad profiles: each is refused by
# sai_api_initialize with a log line naming the key (and the file), never a crash.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=${1:-build}
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok: $*"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
src=$here/hwsku_check.c; [ -f "$src" ] || src=$here/tests/hwsku_check.c
work=$(mktemp -d /tmp/ferrosai-hwsku.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ "$mode" = --installed ]; then
  hw=/usr/share/sonic/hwsku
  gcc -Wall -Werror -o "$work/hwsku_check" "$src" $(pkg-config --cflags --libs ferrosai)
  run() { "$work/hwsku_check" "$@"; }
else
  repo=$(cd "$here/.." && pwd)
  hw=$work/hwsku
  lib=${LIBSAI_DIR:-$repo/target/release}
  [ -f "$lib/libsai.so" ] || cargo build --release -p libsai-rs --lib --manifest-path "$repo/Cargo.toml"
  gcc -Wall -Werror -o "$work/hwsku_check" "$src" -I"$repo/sai-headers/include" -L"$lib" -lsai -Wl,-rpath,"$lib"
  run() { "$work/hwsku_check" "$@"; }
fi
mkdir -p "$hw"

# ---- the hwsku, from the documented formats
cat > "$hw/sai_vpp.profile" <<PROFILE
SAI_VS_SWITCH_TYPE=SAI_VS_SWITCH_TYPE_VPP
SAI_VS_HOSTIF_USE_TAP_DEVICE=true
SAI_VS_INTERFACE_LANE_MAP_FILE=$hw/lanemap.ini
SAI_VS_CORE_PORT_INDEX_MAP_FILE=$hw/coreportindexmap.ini
SAI_VS_INTERFACE_FABRIC_LANE_MAP_FILE=$hw/fabriclanemap.ini
PROFILE
# eth<N>: lanes of the VM's Nth data interface (kvm Force10-S6000 lane map)
lanes=(29,30,31,32 25,26,27,28 37,38,39,40 33,34,35,36 41,42,43,44 45,46,47,48 5,6,7,8 1,2,3,4
       9,10,11,12 13,14,15,16 21,22,23,24 17,18,19,20 49,50,51,52 53,54,55,56 61,62,63,64
       57,58,59,60 65,66,67,68 69,70,71,72 77,78,79,80 73,74,75,76 105,106,107,108
       109,110,111,112 117,118,119,120 113,114,115,116 121,122,123,124 125,126,127,128
       85,86,87,88 81,82,83,84 89,90,91,92 93,94,95,96 97,98,99,100 101,102,103,104)
# port_config.ini order (Force10-S6000): Ethernet<4i> -> lanes
pclanes=(25,26,27,28 29,30,31,32 33,34,35,36 37,38,39,40 45,46,47,48 41,42,43,44 1,2,3,4 5,6,7,8
         13,14,15,16 9,10,11,12 17,18,19,20 21,22,23,24 53,54,55,56 49,50,51,52 57,58,59,60
         61,62,63,64 69,70,71,72 65,66,67,68 73,74,75,76 77,78,79,80 109,110,111,112
         105,106,107,108 113,114,115,116 117,118,119,120 125,126,127,128 121,122,123,124
         81,82,83,84 85,86,87,88 93,94,95,96 89,90,91,92 101,102,103,104 97,98,99,100)
write_full() {
  { echo "; comment"; echo "# comment"
    for i in "${!lanes[@]}"; do echo "eth$((i + 1)):${lanes[$i]}"; done; } > "$hw/lanemap.ini"
  { echo "# name          lanes               alias           index    speed"
    for i in "${!pclanes[@]}"; do
      printf 'Ethernet%-7s %-19s fortyGigE0/%-4s %-8s 40000\n' $((4 * i)) "${pclanes[$i]}" $((4 * i)) "$i"
    done; } > "$hw/port_config.ini"
  { for i in "${!lanes[@]}"; do echo "eth$((i + 1)):0,$((i + 1))"; done; } > "$hw/coreportindexmap.ini"
  printf 'fabric0:0\nfabric1:1\n' > "$hw/fabriclanemap.ini"
}

expect_ok() { # NAME: hwsku_check passes on the current files
  if run "$hw/sai_vpp.profile" "$hw/port_config.ini" > "$work/out" 2> "$work/err"; then
    ok "$1: $(tail -n1 "$work/out")"
  else
    cat "$work/out" "$work/err"; bad "$1"
  fi
}
expect_refused() { # NAME PROFILE PATTERN...: initialize refused (exit 3), the log names each pattern
  local name=$1 profile=$2; shift 2
  local rc=0
  run "$profile" "$hw/port_config.ini" > "$work/out" 2> "$work/err" || rc=$?
  if [ "$rc" -ne 3 ]; then cat "$work/out" "$work/err"; bad "$name: exit $rc, want 3 (refused, no crash)"; return; fi
  for p in "$@"; do
    if ! grep -qF -- "$p" "$work/err"; then cat "$work/err"; bad "$name: log does not name '$p'"; return; fi
  done
  ok "$name: refused: $(grep -m1 -F -- "$1" "$work/err" || grep -m1 ERROR "$work/err" || head -n1 "$work/err")"
}

write_full
expect_ok "SONiC-VPP Force10-S6000 hwsku, 32 ports"

# the VPP container keeps only the lane-map lines of interfaces it has (here eth1..eth4)
grep -E '^(eth[1-4]:|[;#])' "$hw/lanemap.ini" > "$work/l" && cp "$work/l" "$hw/lanemap.ini"
{ head -n1 "$hw/port_config.ini"
  for l in 29,30,31,32 25,26,27,28 37,38,39,40 33,34,35,36; do grep -E "[[:space:]]$l[[:space:]]" "$hw/port_config.ini"; done
} > "$work/p" && cp "$work/p" "$hw/port_config.ini"
expect_ok "lane map filtered to eth1..eth4"

# vslib's switch-indexed line form N:ethX:lanes (switch 0's lines are ours)
cp "$hw/lanemap.ini" "$work/lanemap.keep"
sed -E 's/^(eth[0-9]+:)/0:\1/' "$work/lanemap.keep" > "$hw/lanemap.ini"
echo "1:eth9:200,201,202,203" >> "$hw/lanemap.ini"
expect_ok "lane map with switch index 0: prefixes (and a line of switch 1)"
cp "$work/lanemap.keep" "$hw/lanemap.ini"

# bad profiles
bad_profile() { sed -e "$1" "$hw/sai_vpp.profile" > "$work/bad.profile"; echo "$work/bad.profile"; }
expect_refused "lane map file missing" "$(bad_profile "s#^SAI_VS_INTERFACE_LANE_MAP_FILE=.*#SAI_VS_INTERFACE_LANE_MAP_FILE=$hw/missing-lanemap.ini#")" \
  SAI_VS_INTERFACE_LANE_MAP_FILE "$hw/missing-lanemap.ini"
printf 'eth1:29,30,31,32\neth2:25,x,27,28\n' > "$work/badlanes.ini"
expect_refused "lane map with a bad lane" "$(bad_profile "s#^SAI_VS_INTERFACE_LANE_MAP_FILE=.*#SAI_VS_INTERFACE_LANE_MAP_FILE=$work/badlanes.ini#")" \
  SAI_VS_INTERFACE_LANE_MAP_FILE "$work/badlanes.ini" "line 2"
printf 'eth1:29,30,31,32\neth2:29,26,27,28\n' > "$work/duplanes.ini"
expect_refused "lane used twice" "$(bad_profile "s#^SAI_VS_INTERFACE_LANE_MAP_FILE=.*#SAI_VS_INTERFACE_LANE_MAP_FILE=$work/duplanes.ini#")" \
  SAI_VS_INTERFACE_LANE_MAP_FILE "$work/duplanes.ini" "lane 29"
expect_refused "unknown switch type" "$(bad_profile 's#^SAI_VS_SWITCH_TYPE=.*#SAI_VS_SWITCH_TYPE=SAI_VS_SWITCH_TYPE_XYZ#')" \
  SAI_VS_SWITCH_TYPE SAI_VS_SWITCH_TYPE_XYZ
expect_refused "bad boolean" "$(bad_profile 's#^SAI_VS_HOSTIF_USE_TAP_DEVICE=.*#SAI_VS_HOSTIF_USE_TAP_DEVICE=maybe#')" \
  SAI_VS_HOSTIF_USE_TAP_DEVICE maybe
expect_refused "bad boot type" "$(bad_profile '$a SAI_BOOT_TYPE=7')" SAI_BOOT_TYPE
expect_refused "warm boot without a readable state file" "$(bad_profile "\$a SAI_BOOT_TYPE=1\nSAI_WARM_BOOT_READ_FILE=$hw/no-such-state.bin")" \
  SAI_WARM_BOOT_READ_FILE "$hw/no-such-state.bin"

echo "test-hwsku ($mode): $pass passed, $fail failed"
[ "$fail" -eq 0 ]
