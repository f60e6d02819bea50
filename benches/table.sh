#!/usr/bin/env bash
# The speed table of issue 19, every row measured in one run with bootvet beside
# its peers (not a test: numbers, not assertions). The machine this runs on is
# usually shared: read the ratios, which both sides of a row share the noise of,
# and the load average printed with each row.
#
# Inputs (built once into WORK and reused):
#  - initrd.img: Debian's mkinitramfs image for Debian's kernel package
#    (benches/debian-initrd.sh: MODULES=most, zstd); initrd-lz4.img: the same cpio
#    recompressed as mkinitramfs's COMPRESS=lz4 does (`lz4 -9 -l`, the legacy frame);
#  - grub.cfg: ~10 MB grub-mkconfig-shaped config (benches/gen-grub-cfg.py);
#  - disk1.img / disk3.img: GPT, ext4 /boot holding the package's vmlinuz and
#    config with one (three) copies of initrd.img, ext4 root with lib/modules/VER;
#  - big.img: a 1 GiB initrd (incompressible payload, zstd -1) for peak memory.
#
# Usage: benches/table.sh            (as root on Debian 12)
# Env:   WORK  inputs and results (default /var/tmp/bootvet-table, kept)
#        RUNS  hyperfine runs per row (default 5; medians are reported)
#        BOOTVET  the binary to time (default target/release/bootvet): an older build
#              gives the "before" table of a change
#        PRIO  1 (default): every command, bootvet's and its peers', runs in a session
#              of its own at autogroup nice -19 (root). With autogroup scheduling a
#              session's threads share one CPU quota: on a machine where other
#              sessions build, a command otherwise gets a fraction of a core however
#              many threads it runs. 0: as they come.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-/var/tmp/bootvet-table}
RUNS=${RUNS:-5}
mkdir -p "$WORK"
[ -s "$WORK/initrd.img" ] || benches/debian-initrd.sh "$WORK"
[ -n "${BOOTVET:-}" ] || [ -x target/release/bootvet ] || cargo build --release --quiet
bootvet=${BOOTVET:-$PWD/target/release/bootvet}
ver=$(cat "$WORK/release")
initrd=$WORK/initrd.img

# Inputs.
if [ ! -s "$WORK/initrd-lz4.img" ]; then
  zstd -dc "$initrd" | lz4 -q -9 -l > "$WORK/initrd-lz4.img"
fi
[ -s "$WORK/grub.cfg" ] || python3 benches/gen-grub-cfg.py 10 > "$WORK/grub.cfg"
# disk_image OUT N: /boot with the kernel N times (vmlinuz-VER, vmlinuz-VER.1…) and
# as many copies of the initrd, one menu entry each.
disk_image() {
  local out=$1 n=$2 img=$WORK/img-$2 i suffix
  rm -rf "$img"; mkdir -p "$img/boot/grub" "$img/root/sbin" "$img/root/lib/modules/$ver"
  cp "$WORK/config-$ver" "$img/boot/"
  : > "$img/boot/grub/grub.cfg"
  for i in $(seq 0 $((n - 1))); do
    suffix=; [ "$i" -gt 0 ] && suffix=.$i
    cp "$WORK/vmlinuz-$ver" "$img/boot/vmlinuz-$ver$suffix"
    cp "$initrd" "$img/boot/initrd.img-$ver$suffix"
    printf "menuentry 'Debian %s' {\n  search --no-floppy --fs-uuid --set=root 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44\n  linux /vmlinuz-%s root=UUID=7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f ro\n  initrd /initrd.img-%s\n}\n" \
      "$ver$suffix" "$ver$suffix" "$ver$suffix" >> "$img/boot/grub/grub.cfg"
  done
  : > "$img/root/lib/modules/$ver/modules.builtin"
  printf '#!/bin/sh\n' > "$img/root/sbin/init"; chmod 755 "$img/root/sbin/init"
  local mb=$(( $(du -sm "$img/boot" | cut -f1) * 3 / 2 + 32 ))
  rm -f "$out"; truncate -s $((mb + 64 + 2))M "$out"
  sgdisk -n1:2048:+1M -t1:ef02 -n2:0:+"$mb"M -t2:8300 -n3:0:0 -t3:8300 "$out" >/dev/null
  local p2 p3
  p2=$(sgdisk -i2 "$out" | sed -n 's/First sector: \([0-9]*\).*/\1/p')
  p3=$(sgdisk -i3 "$out" | sed -n 's/First sector: \([0-9]*\).*/\1/p')
  mke2fs -q -F -t ext4 -U 3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44 -E offset=$((p2 * 512)) -d "$img/boot" "$out" "${mb}M"
  mke2fs -q -F -t ext4 -U 7d0cf1b2-55aa-4e2b-9c1d-0a1b2c3d4e5f -E offset=$((p3 * 512)) -d "$img/root" "$out" 60M
}
[ -s "$WORK/disk1.img" ] || disk_image "$WORK/disk1.img" 1
[ -s "$WORK/disk3.img" ] || disk_image "$WORK/disk3.img" 3
three=("$WORK/img-3/boot/initrd.img-$ver" "$WORK/img-3/boot/initrd.img-$ver.1" "$WORK/img-3/boot/initrd.img-$ver.2")
if [ ! -s "$WORK/big.img" ]; then
  big=$WORK/big
  mkdir -p "$big/usr/lib/firmware"
  head -c $((1 << 30)) /dev/urandom > "$big/usr/lib/firmware/blob.bin"
  (cd "$big" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | zstd -q -1 -T0 > "$WORK/big.img"
  rm -rf "$big"
fi

echo "inputs: initrd.img $(stat -c %s "$initrd") B (zstd), initrd-lz4.img $(stat -c %s "$WORK/initrd-lz4.img") B,"
echo "        grub.cfg $(stat -c %s "$WORK/grub.cfg") B, big.img $(stat -c %s "$WORK/big.img") B; $(nproc) cores"
echo "bootvet $("$bootvet" --version | head -n1)"

results=$WORK/results
rm -rf "$results"; mkdir -p "$results"
# row NAME CMD…: one hyperfine run of every command given (-n NAME CMD pairs), medians
# kept in results/NAME.json, load average in results/NAME.load.
prio=
[ "${PRIO:-1}" = 1 ] && prio="setsid $PWD/benches/prio.sh "
row() {
  local name=$1 args=() a; shift
  # -n NAME CMD pairs: CMD gets the prio wrapper.
  while [ $# -gt 0 ]; do args+=("$1" "$2" "$prio$3"); shift 3; done
  cut -d' ' -f1 /proc/loadavg > "$results/$name.load"
  hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$results/$name.json" "${args[@]}" >/dev/null 2>&1
  cut -d' ' -f1 /proc/loadavg >> "$results/$name.load"
}
row parse \
  -n grub-script-check "taskset -c 0 grub-script-check $WORK/grub.cfg" \
  -n "bootvet parse, one core" "taskset -c 0 $bootvet parse $WORK/grub.cfg" \
  -n "bootvet parse" "$bootvet parse $WORK/grub.cfg"
row zstd \
  -n "zstd -dc" "zstd -dc $initrd" \
  -n lsinitramfs "lsinitramfs $initrd" \
  -n "bootvet inspect --deep" "$bootvet inspect --deep $initrd"
row lz4 \
  -n "lz4 -dc" "lz4 -dc $WORK/initrd-lz4.img" \
  -n "bootvet inspect --deep" "$bootvet inspect --deep $WORK/initrd-lz4.img"
row deep1 \
  -n "zstd -dc" "zstd -dc $initrd" \
  -n lsinitramfs "lsinitramfs $initrd" \
  -n "bootvet check --deep" "$bootvet check --deep --image $WORK/disk1.img"
row deep3 \
  -n "zstd -dc ×3" "zstd -dc ${three[*]}" \
  -n "lsinitramfs ×3" "sh -c 'for f in ${three[*]}; do lsinitramfs \$f; done'" \
  -n "bootvet check --deep" "$bootvet check --deep --image $WORK/disk3.img" \
  -n "bootvet check --deep, one core" "taskset -c 0 $bootvet check --deep --image $WORK/disk3.img"
row quick3 \
  -n "zstd -dc ×3" "zstd -dc ${three[*]}" \
  -n "bootvet check" "$bootvet check --image $WORK/disk3.img" \
  -n "bootvet check, one core" "taskset -c 0 $bootvet check --image $WORK/disk3.img"
# Peak memory: max RSS of one run each.
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
# (peak memory does not depend on the load: no prio wrapper)
{
  echo "zstd -dc $(rss zstd -dc "$WORK/big.img")"
  echo "bootvet inspect --deep $(rss "$bootvet" inspect --deep "$WORK/big.img")"
} > "$results/memory.txt"

python3 - "$results" <<'PY'
import json, sys, os
d = sys.argv[1]
def med(name):
    rows = json.load(open(os.path.join(d, name + ".json")))["results"]
    return {r["command"]: r["median"] for r in rows}
def load(name):
    return " → ".join(open(os.path.join(d, name + ".load")).read().split())
def t(s):
    return f"{s*1000:.0f} ms" if s < 1 else f"{s:.2f} s"
def peers(m, names):
    return ", ".join(f"{n} {t(m[n])}" for n in names)
print("| figure | peers (median) | bootvet (median) | ratio | goal | load |")
print("|---|---|---|---|---|---|")
m = med("parse")
print(f"| parse 10 MB grub.cfg | {peers(m, ['grub-script-check'])} (one core) | {t(m['bootvet parse'])}, one core {t(m['bootvet parse, one core'])} "
      f"| {m['grub-script-check']/m['bootvet parse']:.2f}x faster, one core {m['grub-script-check']/m['bootvet parse, one core']:.2f}x faster | ≥ 2x faster, one core too | {load('parse')} |")
m = med("zstd")
print(f"| `inspect --deep`, zstd initrd | {peers(m, ['zstd -dc', 'lsinitramfs'])} | {t(m['bootvet inspect --deep'])} "
      f"| {m['bootvet inspect --deep']/m['zstd -dc']:.2f}x zstd -dc | keep (≈ zstd -dc) | {load('zstd')} |")
m = med("lz4")
print(f"| `inspect --deep`, lz4 initrd | {peers(m, ['lz4 -dc'])} | {t(m['bootvet inspect --deep'])} "
      f"| {m['bootvet inspect --deep']/m['lz4 -dc']:.2f}x lz4 -dc | ≤ 1.3x | {load('lz4')} |")
m = med("deep1")
print(f"| `check --deep`, one kernel | {peers(m, ['zstd -dc', 'lsinitramfs'])} | {t(m['bootvet check --deep'])} "
      f"| {m['bootvet check --deep']/m['zstd -dc']:.2f}x zstd -dc | ≤ 1.3x | {load('deep1')} |")
m = med("deep3")
print(f"| `check --deep`, three kernels | {peers(m, ['zstd -dc ×3', 'lsinitramfs ×3'])} | {t(m['bootvet check --deep'])}, one core {t(m['bootvet check --deep, one core'])} "
      f"| {m['bootvet check --deep']/m['zstd -dc ×3']:.2f}x, one core {m['bootvet check --deep, one core']/m['zstd -dc ×3']:.2f}x zstd -dc ×3 | ≤ 1.3x (two cores: < 1x) | {load('deep3')} |")
m = med("quick3")
print(f"| quick `check`, three kernels | {peers(m, ['zstd -dc ×3'])} | {t(m['bootvet check'])}, one core {t(m['bootvet check, one core'])} "
      f"| {m['bootvet check']/m['zstd -dc ×3']:.2f}x zstd -dc ×3 | < 30 ms (see README) | {load('quick3')} |")
mem = dict(l.rsplit(" ", 1) for l in open(os.path.join(d, "memory.txt")).read().splitlines())
z, b = int(mem["zstd -dc"]), int(mem["bootvet inspect --deep"])
print(f"| peak memory, 1 GiB initrd | zstd -dc {z/1024:.1f} MiB | {b/1024:.1f} MiB | {b/z:.2f}x | < 32 MiB | |")
PY
