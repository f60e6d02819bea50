#!/usr/bin/env bash
# Benchmark of initrd inspection (not a test: numbers, not assertions).
#
# 1. Speed: `bootvet inspect --deep` on a ~30 MB zstd initrd (mkinitramfs output for
#    Debian's kernel package), beside `zstd -dc > /dev/null` and `lsinitramfs` on the
#    same file, in one hyperfine run.
# 2. Memory: peak RSS (`/usr/bin/time -v`) of `bootvet inspect --deep` on a 1 GiB initrd.
#
# Usage: benches/initrd.sh            (as root on Debian 12; installs what it needs)
# Env:   BOOTVET_CACHE  where the kernel package is cached (default /var/tmp/bootvet-cache)
#        WORK           scratch directory (default: a new one under /var/tmp, removed at exit)
set -euo pipefail
cd "$(dirname "$0")/.."

need=(cpio zstd hyperfine initramfs-tools-core kmod time)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo build --release --quiet
bootvet=$PWD/target/release/bootvet

cache=${BOOTVET_CACHE:-/var/tmp/bootvet-cache}
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /var/tmp/bootvet-bench.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
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

# The initrd: what mkinitramfs makes for that kernel (MODULES=most, zstd), run in a
# private mount namespace where read-only overlays show it the package's modules and
# config (the host is not touched). Where that is impossible, a cpio of the modules an
# initramfs-tools MODULES=most image carries, compressed with zstd -19.
src=$WORK/root
mkdir -p "$src/lib/modules" "$WORK/boot"
cp -a "$mods" "$src/lib/modules/"
cp "$cache/x-$pkg/boot/config-$ver" "$WORK/boot/"
depmod -b "$src" "$ver"
if unshare -m --propagation private sh -c "set -e
     mount -t overlay overlay -o lowerdir=$src/lib:/usr/lib /usr/lib
     mount -t overlay overlay -o lowerdir=$WORK/boot:/boot /boot
     mkinitramfs -o $WORK/initrd.img $ver" >/dev/null 2>&1; then
  echo "== initrd made by mkinitramfs"
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
fi
img=$WORK/initrd.img
echo "== initrd: $(stat -c %s "$img") bytes, $("$bootvet" inspect --deep "$img" | grep -c '^  segment') segments"
"$bootvet" inspect --deep "$img"

echo "== speed (warm cache)"
hyperfine --warmup 2 --runs 10 -N \
  "$bootvet inspect --deep $img" \
  "zstd -dc $img" \
  "lsinitramfs $img" \
  --export-markdown "$WORK/speed.md" >/dev/null
cat "$WORK/speed.md"

echo "== peak memory, 1 GiB initrd (incompressible payload, zstd -1)"
big=$WORK/big
mkdir -p "$big/usr/lib/firmware"
head -c $((1 << 30)) /dev/urandom > "$big/usr/lib/firmware/blob.bin"
(cd "$big" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | zstd -q -1 -T0 > "$WORK/big.img"
rm -rf "$big"
echo "big.img: $(stat -c %s "$WORK/big.img") bytes"
"$bootvet" inspect --deep "$WORK/big.img" | grep -E 'size|segment'
for cmd in "$bootvet inspect --deep $WORK/big.img" "zstd -dc $WORK/big.img" \
           "$bootvet inspect --deep $img" "zstd -dc $img"; do
  /usr/bin/time -v $cmd > /dev/null 2> "$WORK/time.txt" || true
  printf '%-60s %s KiB max RSS, %s s\n' "${cmd/$WORK\//}" \
    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")" \
    "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"
done
