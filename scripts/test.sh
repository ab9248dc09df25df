#!/usr/bin/env bash
# Runs every test of ferrosai. On a fresh Debian 12 machine, as root, it installs what it needs first.
# Stages: system packages, toolchain components, fmt, clippy, workspace tests (Rust, C programs, network
# namespace tests), Miri on the ring core, short fuzz runs, the two-router lab check.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
stage() { printf '\n=== %s (t+%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

stage "system packages"
./scripts/install-deps.sh

stage "rust components"
./scripts/install-rust-extras.sh

stage "cargo fmt --check"
cargo fmt --all -- --check

stage "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

stage "cargo test (Rust, C programs, namespace tests)"
# Release profile: the suites push 100k routes and millions of ring records; debug would be slower
# overall on 2 cores. The build first so that the C tests and namespace tests find libsai.so and
# the daemon binaries of this very profile.
cargo build --workspace --release
cargo test --workspace --release

stage "Debian package: hwsku profiles, install into a clean Debian 12 root, purge"
./packaging/test-hwsku.sh
./packaging/test-package.sh

stage "miri (ring core)"
if [ -x ./ring-proto/miri.sh ]; then ./ring-proto/miri.sh; else echo "no miri stage yet"; fi

stage "fuzz smoke runs"
if [ -x ./scripts/fuzz-smoke.sh ]; then ./scripts/fuzz-smoke.sh; else echo "no fuzz targets yet"; fi

stage "two-router lab check"
if [ -x ./lab/lab.sh ]; then
  ./lab/lab.sh down || true
  trap './lab/lab.sh down || true' EXIT
  ./lab/lab.sh up
  ./lab/lab.sh check
  ./lab/lab.sh down
  trap - EXIT
else
  echo "no lab yet"
fi

stage "all tests passed"
