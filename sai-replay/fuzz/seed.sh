#!/usr/bin/env bash
# Seed corpus of sai-replay's rec_line target: a few lines of every kind from the shared sairedis
# recordings (/work/shared/sairedis-recordings, or $SAIREDIS_RECORDINGS), one line per file.
# Skipped when the recordings are absent. Generated here, never committed.
set -euo pipefail
cd "$(dirname "$0")"
src=${SAIREDIS_RECORDINGS:-/work/shared/sairedis-recordings}
dir="$(pwd)/corpus/rec_line"
mkdir -p "$dir"
shopt -s nullglob
recs=("$src"/*.rec)
if [ "${#recs[@]}" -eq 0 ]; then
  echo "seeds: no recordings in $src, none written"
  exit 0
fi
n=0
# per recording, the first 3 lines of each OP kind (field 2), at most 2000 bytes each
for r in "${recs[@]}"; do
  base=$(basename "$r" .rec)
  while IFS= read -r line; do
    printf '%s\n' "${line:0:2000}" >"$dir/${base}_$n"
    n=$((n + 1))
  done < <(awk -F'|' '{ if (++seen[$2] <= 3) print }' "$r")
done
echo "seeds: $(find "$dir" -type f | wc -l) files in $dir"
