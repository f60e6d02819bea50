#!/usr/bin/env bash
# Makes the benchmarks' real initrd: what Debian's mkinitramfs (initramfs-tools
# defaults: MODULES=most, COMPRESS=zstd) makes for Debian's kernel package, run in a
# private mount namespace where read-only overlays show it the package's modules and
# config (the host is not touched). Where that is impossible, a cpio of the modules an
# initramfs-tools MODULES=most image carries, compressed with zstd -19.
#
# Usage: benches/debian-initrd.sh WORK   (as root on Debian 12; installs what it needs)
# Leaves in WORK: initrd.img, vmlinuz-VER, config-VER (the package's), release (VER).
# Env:   BOOTVET_CACHE  where the kernel package is cached (default /var/tmp/bootvet-cache)
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$1

need=(cpio zstd lz4 hyperfine initramfs-tools-core kmod time)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cache=${BOOTVET_CACHE:-/var/tmp/bootvet-cache}
mkdir -p "$cache" "$WORK"
pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
ver=${pkg#linux-image-}
(
  cd "$cache"
  if ! ls "$pkg"_*.deb >/dev/null 2>&1; then
    d=$(mktemp -d -p .); (cd "$d" && apt-get download "$pkg"); mv "$d"/*.deb .; rmdir "$d"
  fi
  if [ ! -d "x-$pkg" ]; then
    t=$(mktemp -d -p .); dpkg-deb -x "$pkg"_*.deb "$t"; mv -T "$t" "x-$pkg" 2>/dev/null || rm -rf "$t"
  fi
)
mods=$cache/x-$pkg/lib/modules/$ver
echo "$ver" > "$WORK/release"
cp "$cache/x-$pkg/boot/vmlinuz-$ver" "$cache/x-$pkg/boot/config-$ver" "$WORK/"

src=$WORK/root
rm -rf "$src"; mkdir -p "$src/lib/modules" "$WORK/boot"
cp -a "$mods" "$src/lib/modules/"
cp "$cache/x-$pkg/boot/config-$ver" "$WORK/boot/"
depmod -b "$src" "$ver"
if unshare -m --propagation private sh -c "set -e
     mount -t overlay overlay -o lowerdir=$src/lib:/usr/lib /usr/lib
     mount -t overlay overlay -o lowerdir=$WORK/boot:/boot /boot
     mkinitramfs -o $WORK/initrd.img $ver" >/dev/null 2>&1; then
  echo "== initrd made by mkinitramfs for $pkg"
else
  echo "== mkinitramfs unavailable here: initrd made by cpio + zstd -19"
  tree=$WORK/tree
  m=$tree/usr/lib/modules/$ver
  mkdir -p "$m/kernel/drivers"
  cp -a "$mods"/modules.* "$m/"
  for d in fs crypto lib block arch net; do cp -a "$mods/kernel/$d" "$m/kernel/"; done
  for d in ata scsi nvme md block usb hid input mmc virtio net/ethernet gpu/drm/i915; do
    mkdir -p "$m/kernel/drivers/$(dirname "$d")"
    cp -a "$mods/kernel/drivers/$d" "$m/kernel/drivers/$d"
  done
  ln -s usr/lib "$tree/lib"
  # One zstd segment (no early-microcode prefix), so that `zstd -dc` reads the same file.
  (cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | zstd -q -19 -T0 > "$WORK/initrd.img"
  rm -rf "$tree"
fi
rm -rf "$src" "$WORK/boot"
