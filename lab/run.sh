#!/usr/bin/env bash
# The README's first command: the two-router lab of the SONiC-VPP article with ferrosai as data plane.
# Installs system packages, builds the release binaries, then `lab/lab.sh up && lab/lab.sh check`.
#
#   lab/run.sh          the full lab (forwarders + libsai + agents + FRR)
#   lab/run.sh --dev    the control-plane-only lab (real BGP/FPM/neighbors -> agent -> libsai, no forwarder)
#
# When the full lab cannot come up (a missing piece of the libsai -> forwarder integration), the
# control-plane lab is run to show what works, and the exit status stays non-zero: the full lab did
# not pass.
set -euo pipefail
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB_DIR")
cd "$ROOT"

"$ROOT/scripts/install-deps.sh"
mode=full
[ "${1:-}" = --dev ] && mode=dev

pkgs=(-p ferrosai-agent -p libsai-rs)
[ "$mode" = full ] && pkgs+=(-p fwd-daemon)
echo "run: cargo build --release ${pkgs[*]}"
cargo build --release "${pkgs[@]}"

if [ "$mode" = dev ]; then
  "$LAB_DIR/lab.sh" up --dev
  exec "$LAB_DIR/lab.sh" check
fi

if "$LAB_DIR/lab.sh" up --full && "$LAB_DIR/lab.sh" check; then
  echo "run: the full two-router lab PASSED (lab/lab.sh down to remove it)"
  exit 0
fi
echo "run: the FULL lab did not pass (see the lines above and lab/run/*/). Running the control-plane-only"
echo "run: lab (no forwarder, no PC-to-PC data path) to show the BGP -> FPM -> agent -> libsai path:"
"$LAB_DIR/lab.sh" up --dev && "$LAB_DIR/lab.sh" check || true
echo "run: FAILED: the full lab did not pass"
exit 1
