#!/usr/bin/env bash
# Are two builds of bootvet the same evaluator? Runs `bootvet entries` of both
# over every GRUB config we have and reports each run whose output (stdout,
# stderr, exit status) differs by one byte. For changes to src/menu that must
# not change behaviour (a refactor): build the old revision and the new one, then
#
#   tests/identical/entries.sh OLD/bootvet NEW/bootvet [CORPUS_DIR]
#
# Exits 0 when every run matches, 1 when one differs, 2 when it cannot run.
# Inputs: the shared corpus (../shared/corpus: grub-tests and real-world), each
# real-world config also inside a --boot-dir with each corpus grubenv and all
# corpus BLS snippets, the check fixtures, the parser's differential cases and
# the JSON schema fixture; JSON and text, pc and efi, upstream and fedora.
# Both builds read the same paths, so file names in the output match.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_BOOTVET NEW_BOOTVET [CORPUS_DIR]" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
repo=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${3:-$repo/../shared/corpus}
for f in "$old" "$new"; do
  [ -x "$f" ] || { echo "$f: not an executable" >&2; exit 2; }
done
[ -d "$corpus/real-world" ] || { echo "$corpus/real-world: not found" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
runs=0
differ=0

# One run of both builds with the same arguments.
compare() {
  local s_old=0 s_new=0
  runs=$((runs + 1))
  "$old" "$@" >"$tmp/old.out" 2>"$tmp/old.err" || s_old=$?
  "$new" "$@" >"$tmp/new.out" 2>"$tmp/new.err" || s_new=$?
  if [ "$s_old" != "$s_new" ] || ! cmp -s "$tmp/old.out" "$tmp/new.out" ||
    ! cmp -s "$tmp/old.err" "$tmp/new.err"; then
    differ=$((differ + 1))
    echo "DIFFERS (exit $s_old vs $s_new): bootvet $*"
    diff "$tmp/old.out" "$tmp/new.out" | head -n 20 || true
    diff "$tmp/old.err" "$tmp/new.err" | head -n 5 || true
  fi
}

# The parser's differential cases, one file each (flags ignored: the text is enough).
mkdir -p "$tmp/cases"
awk -v dir="$tmp/cases" '
  /^=== / { n++; file = sprintf("%s/%04d.cfg", dir, n); printf "" > file; next }
  n > 0 { print >> file }
' "$repo/tests/differential/cases.txt"

configs=()
while IFS= read -r -d '' f; do configs+=("$f"); done < <(
  find "$corpus" "$repo/tests/checks" "$repo/fixtures/grub" "$repo/tests/fixtures/entries" \
    "$tmp/cases" -type f \( -name '*.cfg' -o -name '*.in' \) -print0 | sort -z
)
[ "${#configs[@]}" -gt 100 ] || { echo "only ${#configs[@]} configs found" >&2; exit 2; }

for cfg in "${configs[@]}"; do
  for platform in pc efi; do
    compare entries --json --platform "$platform" --config "$cfg"
  done
  compare entries --platform pc --config "$cfg"
  compare entries --json --platform pc --grub-flavour fedora --config "$cfg"
done

# Real-world configs with a grubenv and BLS snippets beside them, as a /boot.
envs=("")
while IFS= read -r -d '' f; do envs+=("$f"); done < <(
  find "$corpus/real-world" -name '*.grubenv' -print0 | sort -z
)
for cfg in "$corpus"/real-world/*.cfg; do
  for env in "${envs[@]}"; do
    root="$tmp/boot-dir"
    rm -rf "$root"
    mkdir -p "$root/boot/grub2" "$root/boot/loader/entries"
    cp "$cfg" "$root/boot/grub2/grub.cfg"
    [ -z "$env" ] || cp "$env" "$root/boot/grub2/grubenv"
    cp "$corpus"/real-world/*.conf "$root/boot/loader/entries/"
    # The id RHEL 8's grubenv saves, so saved_entry finds a snippet.
    cp "$corpus/real-world/01-rhel8-bls-aws-kernel.conf" \
      "$root/boot/loader/entries/b486fe3f109f430d995b1ee093897980-4.18.0-240.15.1.el8_3.x86_64.conf"
    for platform in pc efi; do
      compare entries --json --platform "$platform" --boot-dir "$root" \
        --config "$root/boot/grub2/grub.cfg"
    done
  done
done

echo "$runs runs over ${#configs[@]} configs: $differ differ"
[ "$differ" -eq 0 ]
