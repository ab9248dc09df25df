#!/usr/bin/env bash
# Short fuzz runs of every cargo-fuzz target in the repository (a few thousand inputs each),
# as a smoke test that the targets build and the seed corpora pass. Full fuzzing is done by
# hand: `cd <crate>/fuzz && cargo +nightly fuzz run <target>`.
#
# Discovery: every `*/fuzz/Cargo.toml` (cargo-fuzz project) outside target/. For each project,
# an executable `<project>/seed.sh` (optional) is run first to (re)generate seed corpora into
# `<project>/corpus/<target>/`. Then every target listed by `cargo fuzz list` runs
# FUZZ_RUNS inputs (default 4000) or FUZZ_SECONDS (default 20) s, whichever comes first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${FUZZ_RUNS:-4000}
secs=${FUZZ_SECONDS:-20}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi

mapfile -t projects < <(find . -path ./target -prune -o -path '*/fuzz/Cargo.toml' -print \
  | grep -v '/target/' | xargs -r -n1 dirname | sort)
if [ "${#projects[@]}" -eq 0 ]; then
  echo "no fuzz projects"
  exit 0
fi

failed=0
for p in "${projects[@]}"; do
  echo "== fuzz project $p"
  if [ -x "$p/seed.sh" ]; then
    "$p/seed.sh"
  fi
  if ! list=$(cd "$p" && cargo +nightly fuzz list --fuzz-dir .); then
    echo "-- $p: cannot list fuzz targets"
    failed=1
    continue
  fi
  mapfile -t targets <<<"$list"
  for t in "${targets[@]}"; do
    corpus="$p/corpus/$t"
    mkdir -p "$corpus"
    echo "-- $p: $t ($runs runs or ${secs}s; corpus $(find "$corpus" -type f | wc -l) files)"
    start=$(date +%s)
    if (cd "$p" && cargo +nightly fuzz run --fuzz-dir . --target-dir "$root/target/fuzz" "$t" "corpus/$t" -- \
          -runs="$runs" -max_total_time="$secs" -print_final_stats=1 2>&1 | tail -n 12); then
      echo "-- $t: ok in $(( $(date +%s) - start ))s"
    else
      echo "-- $t: FAILED (artifacts in $p/artifacts/$t)"
      failed=1
    fi
  done
done
cd "$root"
exit "$failed"
