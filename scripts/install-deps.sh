#!/usr/bin/env bash
# Installs every Debian 12 system package ferrosai builds, tests or runs with.
# Idempotent: when everything is present it does no apt work at all and exits in well under a second.
set -euo pipefail

PKGS=(
  build-essential pkg-config git ca-certificates curl
  clang libclang-dev            # bindgen (dpdk-sys) and the C tests
  libdpdk-dev dpdk dpdk-doc     # DPDK 22.11: libraries, PMDs, example sources (l3fwd) for the bench
  dpdk-dev                      # dpdk-testpmd (the bench's I/O ceiling)
  libpcap-dev                   # net_pcap PMD headers
  frr                           # zebra + bgpd for the two-router lab (8.4 on Debian 12)
  iproute2 iputils-ping traceroute ethtool tcpdump procps psmisc util-linux kmod
  debootstrap dpkg-dev          # the package test: a clean Debian 12 root
  python3 python3-matplotlib    # bench report and plot
  valgrind                      # callgrind instruction counts (bench)
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all ${#PKGS[@]} system packages present"
fi

# Rust: stable is the machine's toolchain; rustfmt and clippy are needed by the test command.
if command -v rustup >/dev/null 2>&1; then
  have=$(rustup component list --installed 2>/dev/null || true)
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$have" || rustup component add "$c"
  done
fi
