#!/usr/bin/env bash
# Benchmark of `bootvet check --deep` (not a test: numbers, not assertions).
#
# Builds a disk image with three kernels and three ~40 MB zstd initrds on an ext4
# /boot, and a root filesystem whose /lib/modules/6.11.0-rc1+ holds 2500 modules
# built with gcc -g (2000 .ko.xz, 500 .ko), then:
#  1. in one hyperfine run compares
#       bootvet check --deep --image IMG   (menu, facts, initrd decompression to the end,
#                                           every sector of every kernel and initrd read raw)
#       lsinitramfs on the same three initrds
#       cat of the same six files > /dev/null
#     The caches are dropped before every run (--prepare), so each reads from the disk.
#  2. times the raw sector verification apart (BOOTVET_TIMINGS=1 prints its time), on
#     a loop device with direct I/O to the image, on one core (taskset -c 0) and on
#     all, against cat and dd iflag=direct of the same six files through a read-only
#     mount of /boot; caches dropped before every run.
#  3. times the modules scan apart, warm cache, on one core and on all.
#
# Usage: benches/sectors.sh          (as root on Debian 12; installs what it needs)
# Env:   WORK  scratch directory (default: a new one under /var/tmp, removed at exit)
#        RUNS  runs per measurement (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
here=$PWD

need=(cpio zstd hyperfine initramfs-tools-core gdisk e2fsprogs python3 gcc xz-utils util-linux)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cargo build --release --quiet
bootvet=$here/target/release/bootvet

runs=${RUNS:-5}
loops=()
cleanup() {
  mountpoint -q "${WORK:-/nonexistent}/mnt" && umount "$WORK/mnt"
  for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
  [ -n "${own_work:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /var/tmp/bootvet-sectors.XXXXXX)
  own_work=1
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
root_uuid=6a0e7b0e-be4c-4a4a-9b9b-0123456789ab
{
  for r in "${releases[@]}"; do
    printf "menuentry 'Linux %s' {\n\tlinux /vmlinuz-%s root=PARTUUID=$root_uuid ro\n\tinitrd /initrd.img-%s\n}\n" "$r" "$r" "$r"
  done
} > "$boot/grub/grub.cfg"
# Parts 1 and 2 check the same menu with a root= nothing has, as before the
# modules tree was added, so the modules scan (part 3) stays out of their figures.
sed "s/root=PARTUUID=$root_uuid/root=PARTUUID=00000000-0000-0000-0000-000000000001/" \
  "$boot/grub/grub.cfg" > "$WORK/noroot.cfg"
# The root filesystem: 2500 unstripped modules for 6.11.0-rc1+ (one 110 KB object
# built with gcc -g, copied), as a Debian tree mixes .ko.xz and .ko.
root=$WORK/root
rm -rf "$root"; mkdir -p "$root/lib/modules/6.11.0-rc1+/kernel"
{
  echo 'struct s { int a; long b; char c[16]; };'
  echo '#define F(n) int f##n(struct s *p, int x) { int i, t = 0; for (i = 0; i < x; i++) t += p->a * i + p->c[i % 16] + n; return t + (int)p->b; }'
  echo '#define G(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7) F(n##8) F(n##9)'
  for i in $(seq 1 20); do printf 'G(%d) ' "$i"; done; echo
} > "$WORK/m.c"
gcc -g -O1 -c "$WORK/m.c" -o "$WORK/m.ko"
xz -c "$WORK/m.ko" > "$WORK/m.ko.xz"
for d in $(seq 0 24); do
  dir=$root/lib/modules/6.11.0-rc1+/kernel/drivers/d$d
  mkdir -p "$dir"
  for i in $(seq 0 99); do
    if [ "$i" -lt 80 ]; then cp "$WORK/m.ko.xz" "$dir/m$i.ko.xz"; else cp "$WORK/m.ko" "$dir/m$i.ko"; fi
  done
done
img=$WORK/disk.img
total=$(du -sm "$boot" | cut -f1)
size=$(( total * 3 / 2 + 64 ))
root_size=$(( $(du -sm "$root" | cut -f1) * 3 / 2 + 64 ))
rm -f "$img"; truncate -s $(( size + root_size + 4 ))M "$img"
sgdisk -n1:2048:+1M -t1:ef02 -n2:4096:+"${size}"M -t2:8300 -n3:0:0 -t3:8300 -u3:$root_uuid "$img" >/dev/null
mke2fs -q -F -t ext4 -E offset=$((4096 * 512)) -d "$boot" "$img" "${size}M"
root_start=$(( $(sgdisk -i3 "$img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p') * 512 ))
mke2fs -q -F -t ext4 -E offset="$root_start" -d "$root" "$img" "${root_size}M"
ls -l "$boot"
files=("$boot"/vmlinuz-* "$boot"/initrd.img-*)
# The same bytes as separate files for lsinitramfs and cat.
"$bootvet" check --deep --image "$img" --config "$WORK/noroot.cfg" --json >/dev/null || true

hyperfine --warmup 1 --runs 5 \
  --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
  -n 'bootvet check --deep' "$bootvet check --deep --image $img --config $WORK/noroot.cfg --quiet || true" \
  -n 'lsinitramfs ×3' "for f in $boot/initrd.img-*; do lsinitramfs \$f > /dev/null; done" \
  -n 'cat (6 files)' "cat ${files[*]} > /dev/null" \
  -n 'cat disk.img' "cat $img > /dev/null"

# 2. Raw sector verification apart, against a plain sequential read of the same
# bytes. The image sits behind a loop device with direct I/O, so O_DIRECT reads
# reach the disk under /var/tmp, not the page cache.
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
# step NAME cold|warm CMD…: mean and σ of the BOOTVET_TIMINGS line NAME over $runs runs.
step() {
  local name=$1 cold=$2; shift 2
  for _ in $(seq "$runs"); do
    [ "$cold" = cold ] && drop
    { BOOTVET_TIMINGS=1 "$@" || true; } 2>&1 >/dev/null \
      | sed -n "s/^bootvet timing: $name: \\([0-9.]*\\) ms, \\([0-9]*\\) \\(.*\\)/\\1 \\2 \\3/p"
  done | awk '{ t += $1; tt += $1 * $1; n++; a = $2; u = $3 }
    END { m = t / n; v = tt / n - m * m; sd = v > 0 ? sqrt(v) : 0
          rate = (u == "bytes") ? sprintf("%.0f MB/s", a / m / 1000) : sprintf("%.0f %s/s", a / m * 1000, u)
          printf "%.0f ± %.0f ms  (%d runs, %d %s, %s)\n", m, sd, n, a, u, rate }'
}
disk_loop=$(losetup --find --show --read-only --direct-io=on "$img"); loops+=("$disk_loop")
boot_loop=$(losetup --find --show --read-only --direct-io=on -o $((4096 * 512)) --sizelimit "$((size << 20))" "$img"); loops+=("$boot_loop")
mkdir -p "$WORK/mnt"; mount -o ro "$boot_loop" "$WORK/mnt"
names=(); for f in "${files[@]}"; do names+=("$WORK/mnt/$(basename "$f")"); done
echo
echo "raw reads (bootvet check --deep --image $disk_loop), caches dropped; load $(cut -d" " -f1-3 /proc/loadavg):"
printf '  all cores (%s): ' "$(nproc)"; step "raw reads" cold "$bootvet" check --deep --quiet --config "$WORK/noroot.cfg" --image "$disk_loop"
printf '  one core:      '; step "raw reads" cold taskset -c 0 "$bootvet" check --deep --quiet --config "$WORK/noroot.cfg" --image "$disk_loop"
hyperfine --warmup 1 --runs "$runs" --prepare 'sync; echo 3 > /proc/sys/vm/drop_caches' \
  -n 'cat (same 6 files, mounted)' "cat ${names[*]} > /dev/null" \
  -n 'dd iflag=direct (same 6 files)' "for f in ${names[*]}; do dd if=\$f of=/dev/null bs=1M iflag=direct status=none; done"
umount "$WORK/mnt"

# 3. The modules scan apart (2500 modules), warm cache: CPU-bound, so cores count.
# With autogroup scheduling a session's threads share one CPU quota: on a VM where
# other sessions build, bootvet gets ~half a CPU however many threads it runs. Each
# run therefore gets a session of its own at autogroup nice -19 (root), so what is
# measured is the scan, not the neighbours.
prio() { setsid bash -c 'echo -19 > /proc/self/autogroup 2>/dev/null; exec "$@"' prio "$@"; }
"$bootvet" check --image "$img" --quiet >/dev/null 2>&1 || true
echo
echo "modules scan (bootvet check --image IMG), warm cache; load $(cut -d" " -f1-3 /proc/loadavg):"
printf '  all cores (%s): ' "$(nproc)"; step "modules scan" warm prio "$bootvet" check --quiet --image "$img"
printf '  one core:      '; step "modules scan" warm prio taskset -c 0 "$bootvet" check --quiet --image "$img"
printf '  all cores, sharing the VM: '; step "modules scan" warm "$bootvet" check --quiet --image "$img"
