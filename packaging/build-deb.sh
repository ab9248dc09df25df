#!/usr/bin/env bash
# Builds the ferrosai Debian package with dpkg-deb (no Cargo.toml metadata needed):
#
#   packaging/build-deb.sh            -> target/debian/ferrosai_<version>_amd64.deb
#   NO_BUILD=1 packaging/build-deb.sh    package what is already in target/release
#
# Contents (see docs/install-sonic.md):
#   /usr/lib/x86_64-linux-gnu/libsai.so                 the cdylib (vendor SAI location, syncd NEEDED libsai.so)
#   /usr/lib/x86_64-linux-gnu/{libsai.so.1,libsaivpp.so,libsaivpp.so.0,libsaivs.so.0} -> libsai.so
#                                                       names syncd binaries of vendor / SONiC-VPP /
#                                                       vslib builds load; a file of another package
#                                                       under one of these names is diverted (preinst)
#                                                       and restored on removal (postrm)
#   /usr/bin/ferrosai-fwd, /usr/bin/fwdctl              the forwarder and its CLI
#   /usr/bin/ferrosai-fwd-start, /usr/bin/ferrosai-wait-ring, /usr/bin/ferrosai-sonic
#   /usr/share/ferrosai/supervisor/ferrosai.conf        supervisord programs (syncd container style),
#                                                       put into conf.d by `ferrosai-sonic enable`
#   /etc/ferrosai/ferrosai.conf                         defaults of the start scripts (conffile)
#   /usr/include/sai/*.h                                generated SAI headers
#   /usr/lib/x86_64-linux-gnu/pkgconfig/ferrosai.pc     pkg-config --cflags --libs ferrosai
#   /usr/share/doc/ferrosai/                            copyright, install guide
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

multiarch=x86_64-linux-gnu
arch=amd64
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$version" ] || { echo "build-deb: no [workspace.package] version in Cargo.toml" >&2; exit 1; }

if [ "${NO_BUILD:-0}" != 1 ]; then
  cargo build --release -p libsai-rs --lib -p fwd-daemon --bins
fi
for f in target/release/libsai.so target/release/ferrosai-fwd target/release/fwdctl; do
  [ -f "$f" ] || { echo "build-deb: $f missing (run without NO_BUILD=1)" >&2; exit 1; }
done

out=target/debian
stage=$(mktemp -d "${TMPDIR:-/tmp}/ferrosai-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
pkg=$stage/ferrosai
libdir=$pkg/usr/lib/$multiarch

install -d "$pkg/DEBIAN" "$libdir/pkgconfig" "$pkg/usr/bin" "$pkg/usr/include/sai" \
  "$pkg/usr/share/ferrosai/supervisor" "$pkg/etc/ferrosai" "$pkg/usr/share/doc/ferrosai"

# Binaries without their debug info (the release profile keeps line tables for profiling).
objcopy --strip-debug target/release/libsai.so "$libdir/libsai.so"
chmod 0644 "$libdir/libsai.so"
for b in ferrosai-fwd fwdctl; do
  objcopy --strip-debug "target/release/$b" "$pkg/usr/bin/$b"
  chmod 0755 "$pkg/usr/bin/$b"
done
for alias in $(cat "$here/debian/lib-aliases"); do
  ln -s libsai.so "$libdir/$alias"
done
install -m 0755 "$here/bin/ferrosai-fwd-start" "$here/bin/ferrosai-wait-ring" "$here/bin/ferrosai-sonic" "$pkg/usr/bin/"
install -m 0644 "$here/supervisor/ferrosai.conf" "$pkg/usr/share/ferrosai/supervisor/ferrosai.conf"
install -m 0644 "$here/etc/ferrosai.conf" "$pkg/etc/ferrosai/ferrosai.conf"
install -m 0644 sai-headers/include/*.h "$pkg/usr/include/sai/"
sed -e "s/@VERSION@/$version/" -e "s/@MULTIARCH@/$multiarch/" "$here/ferrosai.pc.in" \
  > "$libdir/pkgconfig/ferrosai.pc"
install -m 0644 "$here/debian/copyright" "$pkg/usr/share/doc/ferrosai/copyright"
gzip -9n -c docs/install-sonic.md > "$pkg/usr/share/doc/ferrosai/install-sonic.md.gz"

# Runtime dependencies from the ELF files (libc, libgcc, the DPDK 22.11 libraries of Debian 12);
# control.in adds the DPDK plugins EAL loads at run time: the ring mempool handler (no packet pool
# without it) and the vdev and PCI buses.
shl=$stage/shl
mkdir -p "$shl/debian"
printf 'Source: ferrosai\n\nPackage: ferrosai\nArchitecture: any\n' > "$shl/debian/control"
depends=$(cd "$shl" && dpkg-shlibdeps -O "$libdir/libsai.so" "$pkg/usr/bin/ferrosai-fwd" \
            "$pkg/usr/bin/fwdctl" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
rm -rf "$shl"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/$depends/" -e "s/@SIZE@/$size/" \
  "$here/debian/control.in" > "$pkg/DEBIAN/control"
echo /etc/ferrosai/ferrosai.conf > "$pkg/DEBIAN/conffiles"
echo "activate-noawait ldconfig" > "$pkg/DEBIAN/triggers"
for s in preinst prerm postrm; do
  sed -e "s/@MULTIARCH@/$multiarch/" -e "s/@ALIASES@/libsai.so $(tr '\n' ' ' < "$here/debian/lib-aliases")/" \
    "$here/debian/$s" > "$pkg/DEBIAN/$s"
  chmod 0755 "$pkg/DEBIAN/$s"
done
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's| \./| |') \
  > "$pkg/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/ferrosai_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "build-deb: $deb ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb -f "$deb" Depends)"
