#!/bin/sh
# Speed and peak memory of the disk probe and of streaming a large file from an
# image, on a 2 GiB sparse GPT image (FAT32 ESP + ext4 root) holding a 256 MiB
# "initrd". Run from the repository: sh benches/devices.sh. Needs the test tools
# (sgdisk, mkfs.vfat, mtools, e2fsprogs) and GNU time. Not part of `cargo test`:
# speed is measured here, never asserted in tests.
set -eu
cargo build --release --example volume_read >/dev/null
bin=target/release/bootvet
reader=target/release/examples/volume_read
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
img=$tmp/disk.img
mkdir -p "$tmp/src/boot"
head -c 268435456 /dev/urandom > "$tmp/src/boot/initrd.img"
truncate -s 2G "$img"
sgdisk -n1:2048:+300M -t1:ef00 -n2:0:0 -t2:8300 "$img" >/dev/null
mkfs.vfat -F 32 --offset=2048 "$img" $((300 * 1024)) >/dev/null
mcopy -i "$img@@$((2048 * 512))" "$tmp/src/boot/initrd.img" ::/initrd.img
start2=$(( (2048 + 300 * 2048) * 512 ))
mke2fs -q -F -t ext4 -L root -d "$tmp/src" -E offset=$start2 "$img" $((1700 * 1024))k
echo "== bootvet devices --image (2 GiB, 2 partitions)"
/usr/bin/time -f "   wall %e s, max RSS %M KiB" "$bin" devices --color never --image "$img" >/dev/null || true
echo "== stream 256 MiB from ext4 (ext4-view) and stat its extents"
/usr/bin/time -f "   wall %e s, max RSS %M KiB" "$reader" "LABEL=root" /boot/initrd.img "$img"
echo "== stream 256 MiB from FAT32 (cluster chain) and stat its extents"
/usr/bin/time -f "   wall %e s, max RSS %M KiB" "$reader" "(hd0,gpt1)" /initrd.img "$img"
