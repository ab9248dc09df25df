#!/usr/bin/env bash
# Toolchain components the test command uses beyond stable cargo: rustfmt, clippy, nightly Miri.
# Idempotent: checks before installing.
set -euo pipefail
have=$(rustup component list --installed 2>/dev/null || true)
for c in rustfmt clippy; do grep -q "^$c" <<<"$have" || rustup component add "$c"; done
if ! rustup toolchain list | grep -q '^nightly'; then rustup toolchain install nightly --profile minimal; fi
nhave=$(rustup component list --toolchain nightly --installed 2>/dev/null || true)
for c in miri rust-src; do grep -q "^$c" <<<"$nhave" || rustup component add --toolchain nightly "$c"; done
echo "rust extras: ok"
