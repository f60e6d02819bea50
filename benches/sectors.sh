#!/usr/bin/env bash
# Benchmark of `bootvet check --deep` (not a test: numbers, not assertions).
#
# Builds a disk image with three kernels and three ~30 MB zstd initrds on an ext4
# /boot, then in one hyperfine run compares
#   bootvet check --deep --image IMG   (menu, facts, initrd decompression to the end,
#                                       every sector of every kernel and initrd read raw)
#   lsinitramfs on the same three initrds
#   cat of the same six files > /dev/null
# The caches are dropped before every run (--prepare), so each reads from the disk.
#
# Usage: benches/sectors.sh          (as root on Debian 12; installs what it needs)
# Env:   WORK  scratch directory (default: a new one under /var/tmp, removed at exit)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD

need=(cpio zstd hyperfine initramfs-tools-core gdisk e2fsprogs python3)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo build --release --quiet
bootvet=$here/target/release/bootvet

if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /var/tmp/bootvet-sectors.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
boot=$WORK/boot
mkdir -p "$boot/grub"

# Three initrds of ~30 MB zstd each: early cpio + shared libraries standing in for modules.
releases=(6.1.0-1-amd64 6.1.0-2-amd64 6.11.0-rc1+)
for i in 0 1 2; do
  r=${releases[$i]}
  python3 fixtures/scenarios/standin-kernel.py "$r" "$boot/vmlinuz-$r" $((8 << 20)) >/dev/null
  tree=$WORK/tree
  rm -rf "$tree"; mkdir -p "$tree/lib/modules/$r/kernel"
  { find /usr/lib/x86_64-linux-gnu /usr/lib/gcc /usr/libexec -type f -size -8M 2>/dev/null || true; } \
    | LC_ALL=C sort > "$WORK/list"
  head -n 900 "$WORK/list" | cpio -pdm --quiet "$tree/lib/modules/$r/kernel/" 2>/dev/null || true
  head -c $((4 << 20)) /dev/urandom > "$tree/lib/modules/$r/kernel/seed-$i.bin"
  (cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | zstd -q -3 -T0) > "$boot/initrd.img-$r"
done
{
  for r in "${releases[@]}"; do
    printf "menuentry 'Linux %s' {\n\tlinux /vmlinuz-%s root=PARTUUID=00000000-0000-0000-0000-000000000001 ro\n\tinitrd /initrd.img-%s\n}\n" "$r" "$r" "$r"
  done
} > "$boot/grub/grub.cfg"
img=$WORK/disk.img
total=$(du -sm "$boot" | cut -f1)
size=$(( total * 3 / 2 + 64 ))
rm -f "$img"; truncate -s $(( size + 4 ))M "$img"
sgdisk -n1:2048:+1M -t1:ef02 -n2:4096:0 -t2:8300 "$img" >/dev/null
mke2fs -q -F -t ext4 -E offset=$((4096 * 512)) -d "$boot" "$img" "${size}M"
ls -l "$boot"
files=("$boot"/vmlinuz-* "$boot"/initrd.img-*)
# The same bytes as separate files for lsinitramfs and cat.
"$bootvet" check --deep --image "$img" --json >/dev/null || true

hyperfine --warmup 1 --runs 5 \
  --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
  -n 'bootvet check --deep' "$bootvet check --deep --image $img --quiet || true" \
  -n 'lsinitramfs ×3' "for f in $boot/initrd.img-*; do lsinitramfs \$f > /dev/null; done" \
  -n 'cat (6 files)' "cat ${files[*]} > /dev/null" \
  -n 'cat disk.img' "cat $img > /dev/null"
