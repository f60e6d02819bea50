#!/usr/bin/env bash
# A fuzz campaign: every target of fuzz/Cargo.toml (or those named) under
# libFuzzer for RUNS executions with inputs up to MAX_LEN bytes, from seeds made
# here with the real tools (mke2fs, mkfs.vfat, sgdisk, cpio and the compressors,
# grub-mkimage's files, OVMF's variable store, gcc) and the repository's grub.cfg
# files. Each finished run appends one row to fuzz/campaigns.tsv: what ran, how
# many executions, how long, and how it ended. A crash or timeout leaves its input
# in target/fuzz-campaign/artifacts/TARGET/ and the row says so; keep the input as
# a regression test beside the target's body.
#
#   fuzz/campaign.sh [--runs N] [--max-len BYTES] [--seconds S] [--timeout S] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Built without a sanitizer (`-s none`): the bodies are safe Rust, so what the
# campaign looks for is panics, hangs and memory growth (libFuzzer's -timeout and
# -rss_limit_mb), and an uninstrumented build runs several times as many inputs.
set -euo pipefail

runs=10000000
max_len=4096
seconds=0
# libFuzzer's per-input timeout is wall time: at nice 19 beside builds, menu's
# slowest inputs (1-1.5 s alone: 200,000 statements on each platform) pass 10 s.
timeout=10
targets=()
while (($#)); do
    case "$1" in
    --runs) runs=$2; shift 2 ;;
    --max-len) max_len=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    -*) echo "campaign.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
    esac
done

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^bootvet-fuzz$')
fi
work=$repo/target/fuzz-campaign
mkdir -p "$work"

# Seeds, made once per work directory; a missing tool leaves that seed out.
seeds=$work/seeds
make_seeds() {
    [[ -e $seeds/.done ]] && return
    rm -rf "$seeds" && mkdir -p "$seeds"/{text,initrd,disk,elf,grub,efivars,kernel,sb,btrfs}
    local tmp
    tmp=$(mktemp -d)
    find tests fixtures -name '*.cfg' -size -64k -print0 | xargs -0 -I{} sh -c \
        'cp "$1" "$2/text/$(echo "$1" | tr / _)"' _ {} "$seeds"
    mkdir -p "$tmp/root/lib/modules/6.1.0/kernel" "$tmp/root/scripts"
    printf '#!/bin/sh\nexec /sbin/init\n' >"$tmp/root/init"
    printf 'kernel/ext4.ko: kernel/jbd2.ko\nkernel/jbd2.ko:\n' >"$tmp/root/lib/modules/6.1.0/modules.dep"
    (cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$seeds/initrd/plain.cpio"
    for z in gzip zstd xz lz4 bzip2; do
        command -v "$z" >/dev/null && "$z" -c "$seeds/initrd/plain.cpio" >"$seeds/initrd/cpio.$z" || true
    done
    truncate -s 1M "$tmp/ext4.img" "$tmp/fat.img" "$tmp/gpt.img"
    mke2fs -q -t ext4 -d "$tmp/root" "$tmp/ext4.img" 2>/dev/null && cp "$tmp/ext4.img" "$seeds/disk/" || true
    mkfs.vfat -C "$tmp/fat2.img" 1024 >/dev/null 2>&1 && cp "$tmp/fat2.img" "$seeds/disk/fat.img" || true
    sgdisk -q -n 1:34:+200K -t 1:ef02 -n 2:0:0 "$tmp/gpt.img" >/dev/null 2>&1 && cp "$tmp/gpt.img" "$seeds/disk/" || true
    local pc=/usr/lib/grub/i386-pc efi=/usr/lib/grub/x86_64-efi
    [[ -f $pc/boot.img ]] && { printf '\0' | cat - "$pc/boot.img" >"$seeds/grub/bios"; }
    [[ -f $pc/modinfo.sh ]] && { printf '\3' | cat - "$pc/modinfo.sh" >"$seeds/grub/modinfo"; }
    printf '\4search.fs_uuid 3f9c1a52 root hd0,gpt3\nset prefix=($root)/grub\n' >"$seeds/grub/early"
    if command -v grub-mkimage >/dev/null && [[ -d $pc ]]; then
        grub-mkimage -O i386-pc -p '(,gpt3)/grub' -o "$tmp/core.img" biosdisk part_gpt ext2 2>/dev/null &&
            { printf '\1' | cat - "$tmp/core.img" >"$seeds/grub/core"; } || true
    fi
    if command -v grub-mkimage >/dev/null && [[ -d $efi ]]; then
        grub-mkimage -O x86_64-efi -p /grub -o "$tmp/grub.efi" part_gpt fat 2>/dev/null &&
            { printf '\2' | cat - "$tmp/grub.efi" >"$seeds/grub/efi";
              printf '\0' | cat - "$tmp/grub.efi" >"$seeds/sb/efi"; } || true
    fi
    printf '\1sbat,1,2024010900\nshim,4\ngrub,4\n' >"$seeds/sb/level"
    for vars in /usr/share/OVMF/OVMF_VARS_4M.fd /usr/share/OVMF/OVMF_VARS_4M.ms.fd; do
        [[ -f $vars ]] && { printf '\0' | cat - "$vars" >"$seeds/efivars/$(basename "$vars")"; }
    done
    printf '\2\x07\0\0\0\x02\0\0\0' >"$seeds/efivars/efivarfs"
    # A real kernel: this machine's, else the Debian package the tests fetch.
    local deb
    for deb in "${BOOTVET_CACHE:-/var/tmp/bootvet-cache}"/linux-image-*.deb; do
        [[ -f $deb ]] && dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' 2>/dev/null || true
    done
    for k in /boot/vmlinuz-* "$tmp"/boot/vmlinuz-*; do
        [[ -f $k ]] && head -c 65536 "$k" >"$seeds/kernel/$(basename "$k")"
    done
    if command -v gcc >/dev/null; then
        echo 'int init_module(void){return 0;}' >"$tmp/m.c"
        gcc -c -o "$seeds/elf/m.o" "$tmp/m.c" 2>/dev/null || true
    fi
    for c in /boot/config-*; do
        [[ -f $c ]] && head -c 65536 "$c" >"$seeds/elf/$(basename "$c")"
    done
    if command -v mkfs.btrfs >/dev/null; then
        truncate -s 120M "$tmp/btrfs.img"
        mkfs.btrfs -q "$tmp/btrfs.img" >/dev/null 2>&1 && head -c 4M "$tmp/btrfs.img" >"$seeds/btrfs/head" || true
    fi
    rm -rf "$tmp"
    touch "$seeds/.done"
}

seed_dir() {
    case "$1" in
    parse | menu) echo text ;;
    initrd_walk | lz4_block) echo initrd ;;
    disk_image | filesystems | host_state) echo disk ;;
    text_and_elf) echo elf ;;
    kernel_image) echo kernel ;;
    grub_image) echo grub ;;
    secure_boot) echo sb ;;
    efivars) echo efivars ;;
    btrfs) echo btrfs ;;
    *) echo text ;;
    esac
}

make_seeds
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
table=fuzz/campaigns.tsv
[[ -f $table ]] || printf '# date\tcommit\ttarget\tmax_len\truns\tfuzz_s\twall_s\texecs_per_s\tpeak_rss_mb\tresult\n' >"$table"
limit=()
((seconds > 0)) && limit=(-max_total_time="$seconds")
for target in "${targets[@]}"; do
    corpus=$work/corpus/$target
    artifacts=$work/artifacts/$target/
    mkdir -p "$corpus" "$artifacts"
    log=$work/$target.log
    started=$(date +%s)
    set +e
    cargo +nightly fuzz run --fuzz-dir fuzz -s none "$target" "$corpus" "$seeds/$(seed_dir "$target")" -- \
        -runs="$runs" -max_len="$max_len" -len_control=0 -timeout="$timeout" -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "${limit[@]}" >"$log" 2>&1
    status=$?
    set -e
    took=$(($(date +%s) - started))
    done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    per_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    fuzz_s=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    if ((status == 0)); then
        result=ok
    elif grep -q 'libFuzzer: run interrupted' "$log"; then
        result="stopped early (SIGINT), no fault"
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
        result="timeout: $(ls -t "$artifacts" | head -1)"
    else
        result="crash (exit $status): $(ls -t "$artifacts" | head -1)"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%F)" "$commit" "$target" "$max_len" \
        "${done_runs:-0}" "${fuzz_s:-?}" "$took" "${per_s:-0}" "${rss:-0}" "$result" | tee -a "$table"
done
