#!/usr/bin/env bash
# Seed corpus of the agent's fpm_frames target: the golden frames of lab/agent/src/fpm.rs's unit
# tests (zebra 8.4.4 `dplane_fpm_nl`: a BGP route, a withdrawal, a next-hop object, a route by
# RTA_NH_ID, its withdrawal, the NH removal), each alone and all four real frames back to back.
# Generated here, never committed.
set -euo pipefail
cd "$(dirname "$0")"
dir="$(pwd)/corpus/fpm_frames"
mkdir -p "$dir"
frames=(
  "010100403c00000018000105000000000000000002180000feba000100000000080001000a1402000800060014000000080005000a0001020800040002000000"
  "010100302c00000019000100000000000000000002180000feba000100000000080001000a1402000800060014000000"
  "01010034300000006800010500000000f469dc9502000b0000000000080001000a000000080006000a0001020800050012000000"
  "01010038340000001800010500000000f469dc9502180000feba000100000000080001000a140200080006001400000008001e000a000000"
  "010100302c0000001900010400000000f469dc9502180000feba000000000000080001000a1402000800060014000000"
  "01010024200000006900010400000000f469dc950000000000000000080001000a000000"
)
i=0
for f in "${frames[@]}"; do
  xxd -r -p <<<"$f" >"$dir/golden_$i"
  i=$((i + 1))
done
cat "$dir/golden_2" "$dir/golden_3" "$dir/golden_4" "$dir/golden_5" >"$dir/stream_nh_route"
echo "seeds: $(find "$dir" -type f | wc -l) files in $dir"
