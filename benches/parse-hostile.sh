#!/usr/bin/env bash
# Benchmark: `bootvet parse` on hostile bytes beside grub-script-check, on one
# core: 10 MB of random bytes, 100,000 lines of unclosed `{` (and of
# `menuentry x {`), 40,000 lines of stray `}`. Goal: each under a second.
# Parsing used to be quadratic in the number of syntax errors (the 10 MB file
# took over ten minutes); the tests in tests/parse_hostile.rs check the results,
# this script the time.
#   needs: grub-common (grub-script-check), hyperfine, util-linux (taskset)
#   usage: benches/parse-hostile.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 10M /dev/urandom > "$work/random-10M"
yes '{' | head -n 100000 > "$work/open-100k" || true
yes 'menuentry x {' | head -n 100000 > "$work/menuentry-open-100k" || true
yes '}' | head -n 40000 > "$work/close-40k" || true
cargo build --release --quiet
bin=$PWD/target/release/bootvet
for f in random-10M open-100k menuentry-open-100k close-40k; do
  # Both report syntax errors (exit 1); time them, not their verdict.
  hyperfine --warmup 1 --runs 5 -i \
    -n "grub-script-check $f" "taskset -c 0 grub-script-check $work/$f" \
    -n "bootvet parse $f" "taskset -c 0 $bin parse $work/$f 2>/dev/null"
done
