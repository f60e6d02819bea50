#!/usr/bin/env bash
# Benchmark: `bootvet parse` beside GRUB's own grub-script-check on the same
# ~10 MB grub-mkconfig-shaped grub.cfg, in one run.
#   needs: grub-common (grub-script-check), hyperfine, python3, util-linux (taskset);
#   optional: valgrind
#   usage: benches/parse.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/gen-grub-cfg.py "$size" > "$work/grub.cfg"
cargo build --release --quiet
bin=target/release/bootvet
ls -l "$work/grub.cfg"
# Both must agree that the file parses before timing means anything.
grub-script-check "$work/grub.cfg"
"$bin" parse "$work/grub.cfg"
# grub-script-check is single-threaded; bootvet parses files over 1 MiB on all
# cores, so it is timed on one core (taskset -c 0) as well, in the same run.
hyperfine --warmup 2 --runs 10 \
  -n grub-script-check "grub-script-check $work/grub.cfg" \
  -n "grub-script-check, one core" "taskset -c 0 grub-script-check $work/grub.cfg" \
  -n "bootvet parse" "$bin parse $work/grub.cfg" \
  -n "bootvet parse, one core" "taskset -c 0 $bin parse $work/grub.cfg" \
  -n "bootvet parse --json" "$bin parse --json $work/grub.cfg > /dev/null"
if command -v valgrind > /dev/null; then
  # Instruction counts do not depend on what else the machine is doing.
  small="$work/small.cfg"
  python3 benches/gen-grub-cfg.py 2 > "$small"
  for cmd in "grub-script-check $small" "$bin parse $small"; do
    refs=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null $cmd 2>&1 | sed -n 's/.*Collected : //p')
    echo "instructions (all threads), 2 MB file: $refs  $cmd"
  done
fi
