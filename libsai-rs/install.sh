#!/usr/bin/env bash
# Installs ferrosai's SAI library under both names SONiC images look for, plus the C headers.
#
#   libsai-rs/install.sh [DESTDIR]        (env: PREFIX=/usr LIBDIR=lib/x86_64-linux-gnu PROFILE=release)
#
# Result:  $LIBDIR/libsai.so            the cdylib (syncd has NEEDED libsai.so)
#          $LIBDIR/libsaivpp.so -> libsai.so   (the SONiC-VPP platform library name)
#          $PREFIX/include/sai/*.h       headers generated from sai-headers/abi/sai-abi.json
set -euo pipefail
cd "$(dirname "$0")/.."
destdir=${1:-}
prefix=${PREFIX:-/usr}
libdir=${LIBDIR:-lib/x86_64-linux-gnu}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
  cargo build -p libsai-rs --lib --release
else
  cargo build -p libsai-rs --lib
fi
lib="target/$profile/libsai.so"
install -d "$destdir$prefix/$libdir" "$destdir$prefix/include/sai"
install -m 0755 "$lib" "$destdir$prefix/$libdir/libsai.so"
ln -sf libsai.so "$destdir$prefix/$libdir/libsaivpp.so"
install -m 0644 sai-headers/include/*.h "$destdir$prefix/include/sai/"
echo "installed $destdir$prefix/$libdir/libsai.so (+ libsaivpp.so) and $(ls sai-headers/include/*.h | wc -l) headers"
