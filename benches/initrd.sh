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

cargo build --release --quiet
bootvet=$PWD/target/release/bootvet

if [ -z "${WORK:-}" ]; then
  WORK=$(mktemp -d /var/tmp/bootvet-bench.XXXXXX)
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK"
# The initrd: benches/debian-initrd.sh (mkinitramfs for Debian's kernel package).
[ -s "$WORK/initrd.img" ] || benches/debian-initrd.sh "$WORK"
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
