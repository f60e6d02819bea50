#!/usr/bin/env bash
# Golden behaviour outputs: runs a bootvet binary over every scenario image, every
# per-check fixture (tests/checks/) and every facts file in the repo, and writes what
# a person sees (exit status, stdout, stderr) to one text file per scenario, so two
# binaries can be compared byte for byte (`diff -ru`). tests/golden.rs runs it against
# the committed outputs in tests/snapshots/golden/ on every `cargo test`.
#
#   usage: tests/golden/run.sh BOOTVET OUTDIR [IMAGEDIR]
#     BOOTVET   the binary to run
#     OUTDIR    emptied, then filled with SCENARIO.txt, checks/BVnnnn.txt,
#               checks/BVnnnn.KIND.facts.json, facts/*.txt
#     IMAGEDIR  scenario images to reuse (fixtures/scenarios/build.sh OUTDIR); when
#               missing or empty they are built into it (or into a temporary directory)
#
#   compare:  tests/golden/run.sh target/release/bootvet /tmp/new && diff -ru tests/snapshots/golden /tmp/new
#
# Per scenario image NAME (all of build.sh's; root-lvm, which needs root and a loop
# device, only when BOOTVET_PRIVILEGED_TESTS=1 and running as root):
#   check (text, --color always, --json, --deep, --deep --json, --prometheus's file),
#   check --dump-facts F then check --facts F (text, --json) and F itself,
#   devices (text, --json), devices --dump-facts G then devices --facts G,
#   and for each grub.cfg found on the image's filesystems (extracted with debugfs
#   and mtools): entries --config CFG --boot-dir FS (text, --json) and
#   check --boot-dir FS --config CFG (text, --json).
# Per tests/checks/BVnnnn/{fail,pass}.cfg: check --json and text as tests/check.rs runs
# them (KIND.images, KIND.args), then the same run's --dump-facts kept whole and
# replayed; KIND.privileged cases are left to tests/sectors.rs.
# Every JSON file under fixtures/ and tests/ whose schema is a facts dump is replayed
# (check --facts for bootvet.check-facts/1, devices --facts for bootvet.facts/1).
#
# Normalised: only the Prometheus file's bootvet_last_run_timestamp_seconds (the
# time of the run). No temporary path reaches the output, as every command runs in
# one working directory holding the images (symlinked), tests/checks (symlinked as
# checks/) and the extracted filesystems under relative names; and build.sh makes
# the same images on every build (fixed GUIDs and UUIDs, cpio archives with times 0,
# seeded noise), so what bootvet says of them is the same. NO_COLOR, LC_ALL=C and
# TZ=UTC are set; --color always is asked for where colour is wanted.
set -euo pipefail

bootvet=${1:?usage: run.sh BOOTVET OUTDIR [IMAGEDIR]}
outdir=${2:?usage: run.sh BOOTVET OUTDIR [IMAGEDIR]}
imagedir=${3:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
bootvet=$(cd "$(dirname "$bootvet")" && pwd)/$(basename "$bootvet")
[ -x "$bootvet" ] || { echo "run.sh: $bootvet is not executable" >&2; exit 2; }

export NO_COLOR=1 LC_ALL=C TZ=UTC
unset BOOTVET_CONFIG || true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

privileged=no
if [ "${BOOTVET_PRIVILEGED_TESTS:-}" = 1 ] && [ "$(id -u)" = 0 ]; then privileged=yes; fi

# The scenario names, in build.sh's order; `named` ones need root.
# (`if wanted NAME; then`, or one line of a block that builds several: `  wanted NAME && …`,
# the sb-* images: signed with the committed test key fixtures/keys/, fixed GUIDs).
mapfile -t scenarios < <(sed -n -E 's/^if wanted ([a-z0-9-]+); then$/\1/p; s/^  wanted ([a-z0-9-]+) && .*$/\1/p' "$repo/fixtures/scenarios/build.sh" "$repo"/fixtures/scenarios/parts/*.sh)
mapfile -t privileged_scenarios < <(sed -n -E 's/^if named ([a-z0-9-]+); then$/\1/p' "$repo/fixtures/scenarios/build.sh" "$repo"/fixtures/scenarios/parts/*.sh)
[ $privileged = yes ] && scenarios+=("${privileged_scenarios[@]}")

if [ -z "$imagedir" ]; then imagedir=$work/images; fi
mkdir -p "$imagedir"
imagedir=$(cd "$imagedir" && pwd)
need=()
for s in "${scenarios[@]}"; do [ -f "$imagedir/$s.img" ] || need+=("$s"); done
if [ ${#need[@]} -gt 0 ]; then
  bash "$repo/fixtures/scenarios/build.sh" "$imagedir" "${need[@]}" >&2
fi

rm -rf "$outdir"
mkdir -p "$outdir/checks" "$outdir/facts"
outdir=$(cd "$outdir" && pwd)

run_dir=$work/run
mkdir -p "$run_dir"
# Images and what build.sh makes beside them (the sb-* variable stores, keys).
for img in "$imagedir"/*; do ln -s "$img" "$run_dir/$(basename "$img")"; done
ln -s "$repo/tests/checks" "$run_dir/checks"
cd "$run_dir"

# record FILE ARGS…: appends one section for `bootvet ARGS…` to FILE. An output
# byte-identical to an earlier one in FILE is written as a pointer to it (replays,
# --dump-facts runs and --deep often print the same bytes): the file stays small and
# any difference still shows in full.
declare -A seen=()
seen_file=
record() {
  local file=$1 status=0 sum
  shift
  if [ "$file" != "$seen_file" ]; then seen=(); seen_file=$file; fi
  "$bootvet" "$@" >"$work/stdout" 2>"$work/stderr" </dev/null || status=$?
  {
    printf '=== bootvet %s\n--- exit %s\n' "$*" "$status"
    sum=$(sha256sum <"$work/stdout")
    if [ -s "$work/stdout" ] && [ -n "${seen[$sum]:-}" ]; then
      printf -- '--- stdout: the same bytes as `bootvet %s`\n' "${seen[$sum]}"
    else
      printf -- '--- stdout\n'; cat "$work/stdout"
      seen[$sum]=$*
    fi
    printf -- '--- stderr\n'; cat "$work/stderr"
  } >>"$file"
}

# attach FILE TITLE PATH: appends PATH (a file bootvet wrote) as a section: its
# bytes when GOLDEN_FULL=1, else its size and SHA-256 (the facts dumps are most of
# the bytes, and the replays of them are recorded in full anyway).
attach() {
  {
    printf '=== %s\n' "$2"
    if [ ! -f "$3" ]; then
      printf '(not written)\n'
    elif [ "${GOLDEN_FULL:-}" = 1 ]; then
      cat "$3"
    else
      printf '%s bytes, sha256 %s\n' "$(stat -c %s "$3")" "$(sha256sum <"$3" | cut -d' ' -f1)"
    fi
  } >>"$1"
}

# extract IMG DIR: every filesystem of IMG copied into DIR/pN (ext4 with debugfs,
# vfat with mcopy), read only; prints the pN directories it made.
extract() {
  local img=$1 dir=$2 start n type off
  sfdisk -J "$img" 2>/dev/null | python3 -c '
import json, re, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    print(re.search(r"(\d+)$", p["node"]).group(1), p["start"])' |
  while read -r n start; do
    off=$(( start * 512 ))
    type=$(blkid -p -O "$off" -o value -s TYPE "$img" 2>/dev/null || true)
    case $type in
      ext2|ext3|ext4)
        mkdir -p "$dir/p$n"
        debugfs -R "rdump / $dir/p$n" "$img?offset=$off" >/dev/null 2>&1 || true ;;
      vfat)
        mkdir -p "$dir/p$n"
        mcopy -s -n -i "$img@@$off" ::/ "$dir/p$n/" >/dev/null 2>&1 || true ;;
      *) continue ;;
    esac
    echo "p$n"
  done
}

# The images checked together (hd0 first) for each scenario.
images_of() {
  case $1 in
    root-uuid-duplicate) echo root-uuid-duplicate.img root-uuid-duplicate-clone.img ;;
    *) echo "$1.img" ;;
  esac
}

for s in "${scenarios[@]}"; do
  out=$outdir/$s.txt
  : >"$out"
  image_args=()
  for i in $(images_of "$s"); do image_args+=(--image "$i"); done
  record "$out" check "${image_args[@]}"
  record "$out" check --color always "${image_args[@]}"
  record "$out" check --json "${image_args[@]}"
  record "$out" check --deep "${image_args[@]}"
  record "$out" check --deep --json "${image_args[@]}"
  rm -f "$s.prom"
  record "$out" check --quiet --prometheus "$s.prom" "${image_args[@]}"
  # The one value that differs run to run: when the run happened.
  [ -f "$s.prom" ] && sed -i -E 's/^(bootvet_last_run_timestamp_seconds) [0-9.e+]+$/\1 (the time of the run)/' "$s.prom"
  GOLDEN_FULL=1 attach "$out" "$s.prom" "$s.prom"
  rm -f "$s.check-facts.json"
  record "$out" check "${image_args[@]}" --dump-facts "$s.check-facts.json"
  record "$out" check --facts "$s.check-facts.json"
  record "$out" check --facts "$s.check-facts.json" --json
  attach "$out" "$s.check-facts.json" "$s.check-facts.json"
  record "$out" devices "${image_args[@]}"
  record "$out" devices --json "${image_args[@]}"
  rm -f "$s.facts.json"
  record "$out" devices "${image_args[@]}" --dump-facts "$s.facts.json"
  record "$out" devices --facts "$s.facts.json"
  attach "$out" "$s.facts.json" "$s.facts.json"
  # The menu as `entries` and `check --boot-dir` see each grub.cfg on the disk.
  fs=$s.fs
  rm -rf "$fs"
  mkdir -p "$fs"
  mapfile -t parts < <(extract "$s.img" "$fs")
  platform=pc
  for p in "${parts[@]}"; do
    if compgen -G "$fs/$p/EFI/*/grub*.efi" >/dev/null || compgen -G "$fs/$p/EFI/*/shim*.efi" >/dev/null; then
      platform=efi
    fi
  done
  for p in "${parts[@]}"; do
    for cfg in "$fs/$p"/grub/grub.cfg "$fs/$p"/grub2/grub.cfg "$fs/$p"/EFI/*/grub.cfg; do
      [ -f "$cfg" ] || continue
      record "$out" entries --platform $platform --config "$cfg" --boot-dir "$fs/$p"
      record "$out" entries --platform $platform --config "$cfg" --boot-dir "$fs/$p" --json
      record "$out" check --platform $platform --config "$cfg" --boot-dir "$fs/$p"
      record "$out" check --platform $platform --config "$cfg" --boot-dir "$fs/$p" --json
    done
  done
done

# The per-check fixtures, as tests/check.rs runs them.
for dir in "$repo"/tests/checks/BV*; do
  code=$(basename "$dir")
  # Checks tested elsewhere (covered-by, untested: see tests/check.rs) have no pair.
  [ -f "$dir/fail.cfg" ] || continue
  out=$outdir/checks/$code.txt
  : >"$out"
  for kind in fail pass; do
    [ -f "$dir/$kind.privileged" ] && continue
    image_args=()
    if [ -f "$dir/$kind.images" ]; then
      for i in $(cat "$dir/$kind.images"); do image_args+=(--image "$i.img"); done
    else
      image_args=(--image checks.img)
    fi
    extra=()
    if [ -f "$dir/$kind.args" ]; then read -r -a extra <"$dir/$kind.args" || true; fi
    # `$SCENARIOS` (tests/check.rs: the scenario directory) is the run directory here.
    [ ${#extra[@]} -eq 0 ] || extra=("${extra[@]//\$SCENARIOS/.}")
    record "$out" check "${image_args[@]}" --config "checks/$code/$kind.cfg" "${extra[@]}"
    record "$out" check --json "${image_args[@]}" --config "checks/$code/$kind.cfg" "${extra[@]}"
    # The same case as a facts replay, kept whole: tests/check.rs replays these in
    # milliseconds without images, and this diff keeps them equal to the images.
    facts=$code.$kind.facts.json
    record "$out" check "${image_args[@]}" --config "checks/$code/$kind.cfg" "${extra[@]}" \
      --dump-facts "$facts"
    cp "$facts" "$outdir/checks/$facts"
    record "$out" check --facts "$code.$kind.facts.json"
    record "$out" check --facts "$code.$kind.facts.json" --json
  done
done

# Every facts dump kept in the repo, replayed.
while IFS= read -r file; do
  rel=${file#"$repo"/}
  name=$(echo "$rel" | tr '/' '_')
  out=$outdir/facts/${name%.json}.txt
  ln -sf "$file" "$run_dir/$name"
  : >"$out"
  if grep -q '"bootvet.check-facts/' "$file"; then
    record "$out" check --facts "$name"
    record "$out" check --facts "$name" --json
  fi
  if grep -q '"bootvet.facts/' "$file"; then
    record "$out" devices --facts "$name"
    record "$out" devices --facts "$name" --json
    record "$out" check --facts "$name"
  fi
done < <(grep -rlE --include='*.json' '"schema": *"bootvet\.(check-)?facts/' "$repo/fixtures" "$repo/tests" | grep -v '/tests/snapshots/golden/' | LC_ALL=C sort)

echo "run.sh: wrote $(find "$outdir" -type f | wc -l) files to $outdir" >&2
