#!/usr/bin/env bash
# Runs the in-process ring tests (heap-backed rings, no mmap) under Miri: data races, aliasing and
# out-of-bounds accesses in the shared-memory core are reported as errors.
# Usage: ring-proto/miri.sh   (needs the nightly toolchain with the miri component)
set -euo pipefail
cd "$(dirname "$0")/.."
# Isolation stays on: Miri has a virtual clock, and isolated calls (the /proc pid-namespace lookup)
# return an error that the code handles.
export MIRIFLAGS="${MIRIFLAGS:--Zmiri-isolation-error=warn-nobacktrace}"
exec cargo +nightly miri test -p ring-proto --test ring_core "$@"
