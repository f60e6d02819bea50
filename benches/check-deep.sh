#!/usr/bin/env bash
# Benchmark of `bootvet check` on a disk image whose /boot holds three kernels with
# ~30 MB zstd initrds (not a test: numbers, not assertions). Quick (default) and
# --deep beside `zstd -dc` of the three initrds, in one hyperfine run.
#
# The initrd is the one benches/initrd.sh builds (modules of Debian's kernel
# package, zstd -19); the kernels are fixtures/scenarios/standin-kernel.py
# stand-ins with a config-RELEASE beside each; lib/modules/RELEASE on root.
#
# Usage: benches/check-deep.sh      (as root on Debian 12; installs what it needs)
# Env:   WORK  scratch directory (default: a new one under /var/tmp, removed at exit)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /var/tmp/bootvet-bench.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
# benches/initrd.sh leaves $WORK/initrd.img when given a WORK it does not remove.
[ -s "$WORK/initrd.img" ] || WORK="$WORK" benches/initrd.sh > "$WORK/initrd-bench.txt"
bootvet=$PWD/target/release/bootvet

boot=$WORK/img/boot; root=$WORK/img/root
rm -rf "$WORK/img"; mkdir -p "$boot/grub" "$root/sbin"
releases=(6.1.0-56-amd64 6.1.0-55-amd64 6.1.0-54-amd64)
cfg=$boot/grub/grub.cfg
: > "$cfg"
for r in "${releases[@]}"; do
  python3 fixtures/scenarios/standin-kernel.py "$r" "$boot/vmlinuz-$r" $((8 << 20))
  # The bench initrd holds another release's modules; BV4105 fires, which is fine
  # for timing: every check runs.
  cp "$WORK/initrd.img" "$boot/initrd.img-$r"
  printf 'CONFIG_BLK_DEV_INITRD=y\nCONFIG_RD_ZSTD=y\nCONFIG_RD_GZIP=y\nCONFIG_EXT4_FS=m\nCONFIG_VIRTIO_BLK=m\n' > "$boot/config-$r"
  mkdir -p "$root/lib/modules/$r"; : > "$root/lib/modules/$r/modules.builtin"
  printf "menuentry 'Debian %s' {\n  search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n  linux /vmlinuz-%s root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro\n  initrd /initrd.img-%s\n}\n" "$r" "$r" "$r" >> "$cfg"
done
img=$WORK/disk.img
rm -f "$img"; truncate -s 400M "$img"
sgdisk -n1:2048:+1M -t1:ef02 -n2:0:+200M -t2:8300 -n3:0:0 -t3:8300 "$img" >/dev/null
p2=$(sgdisk -i2 "$img" | sed -n 's/First sector: \([0-9]*\).*/\1/p')
p3=$(sgdisk -i3 "$img" | sed -n 's/First sector: \([0-9]*\).*/\1/p')
mke2fs -q -F -t ext4 -U 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44 -E offset=$((p2 * 512)) -d "$boot" "$img" 200M
mke2fs -q -F -t ext4 -U 7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f -E offset=$((p3 * 512)) -d "$root" "$img" 150M

echo "== image: 3 kernels, 3 × $(stat -c %s "$WORK/initrd.img") bytes of zstd initrd"
"$bootvet" check --image "$img" --deep -q --color never | tail -n 3 || true
hyperfine --warmup 1 --runs 6 -N -i \
  "$bootvet check --image $img" \
  "$bootvet check --image $img --deep" \
  "zstd -dc $boot/initrd.img-${releases[0]} $boot/initrd.img-${releases[1]} $boot/initrd.img-${releases[2]}" \
  "$bootvet inspect --deep $boot/initrd.img-${releases[0]} $boot/initrd.img-${releases[1]} $boot/initrd.img-${releases[2]}" \
  --export-markdown "$WORK/check.md" >/dev/null
cat "$WORK/check.md"
