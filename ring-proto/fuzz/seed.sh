#!/usr/bin/env bash
# Seed corpus of ring-proto's record_decode target: one 64-byte record per Kind value (header
# zero except the kind, payload zero), so the fuzzer starts inside every decoder arm. Generated
# here, never committed.
set -euo pipefail
cd "$(dirname "$0")"
dir="$(pwd)/corpus/record_decode"
mkdir -p "$dir"
# Kind values (ring-proto/src/msg.rs): commands 1..=33, completion 0x100, events 0x200..=0x203.
for k in $(seq 1 33) 256 512 513 514 515; do
  # seq u64, lib_gen u32, fwd_gen u32, kind u16 LE, flags u16, reserved u32, payload [u8; 40]
  printf -v hex '%032x%02x%02x%092x' 0 $((k & 255)) $((k >> 8)) 0
  # the status/id payload fields stay zero: a valid record for most kinds
  xxd -r -p <<<"$hex" >"$dir/kind_$k"
done
echo "seeds: $(find "$dir" -type f | wc -l) files in $dir"
