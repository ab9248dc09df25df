#!/usr/bin/env bash
# Seed corpus of fwd-engine's packet_path target: representative frames for every path,
# written by a test of fwd_engine::testkit (no binaries in git).
set -euo pipefail
cd "$(dirname "$0")"
dir="$(pwd)/corpus/packet_path"
cd ../..
mkdir -p "$dir"
FWD_ENGINE_WRITE_CORPUS="$dir" cargo test -q -p fwd-engine --lib write_corpus_when_asked \
  >/dev/null
echo "seeds: $(find "$dir" -type f | wc -l) files in $dir"
