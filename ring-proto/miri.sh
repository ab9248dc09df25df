#!/usr/bin/env bash
# Runs the in-process ring tests (heap-backed rings, no mmap) under Miri: data races, aliasing and
# out-of-bounds accesses in the shared-memory core are reported as errors.
# Usage: ring-proto/miri.sh   (needs the nightly toolchain with the miri component)
set -euo pipefail
cd "$(dirname "$0")/.."
# Isolation stays on except for the clock (the blocking push uses Instant for its timeout).
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-disable-isolation}"
exec cargo +nightly miri test -p ring-proto --test ring_core "$@"
