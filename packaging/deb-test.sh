#!/usr/bin/env bash
# Installs a bootvet .deb into a fresh Debian 12 root (debootstrap minbase, as
# scripts/fresh-root.sh makes one), checks every file the package promises is in
# place and works there, then removes and purges it and checks that nothing of
# bootvet's is left. Run by tests/fleets.rs (privileged tests); needs root.
#
#   usage: packaging/deb-test.sh DEB [WORKDIR]   (default /var/tmp/bootvet-deb-test)
#   env:   BOOTVET_FRESH_BASE=DIR  reuse a debootstrapped base (copied, never used in place)
set -euo pipefail

deb=$(realpath "$1")
work=${2:-/var/tmp/bootvet-deb-test}
mkdir -p "$work"
base=${BOOTVET_FRESH_BASE:-$work/base}
root=$work/root

fail() { echo "deb-test: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "deb-test: needs root (chroot)" >&2; exit 2; }
if [ ! -x "$base/usr/bin/apt-get" ]; then
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi

rm -rf "$root"
cp -a "$base" "$root"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
# Every path in the root but the pseudo filesystems and scratch space.
snapshot() {
  (cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp -o -path ./run \) -prune -o -print) | sort
}
snapshot >"$work/before.txt"
cp "$deb" "$root/tmp/bootvet.deb"
in_root dpkg -i /tmp/bootvet.deb >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dpkg -i failed"; }

promised=(
  usr/bin/bootvet
  usr/share/man/man1/bootvet.1.gz usr/share/man/man1/bootvet-check.1.gz
  usr/share/bash-completion/completions/bootvet
  usr/share/zsh/vendor-completions/_bootvet
  usr/share/fish/vendor_completions.d/bootvet.fish
  etc/kernel/postinst.d/zz-zz-bootvet etc/kernel/postrm.d/zz-zz-bootvet
  etc/initramfs/post-update.d/bootvet
  usr/lib/systemd/system/bootvet-check.service usr/lib/systemd/system/bootvet-check.timer
  usr/share/bootvet/prometheus/bootvet.rules.yml
  usr/share/bootvet/ansible/bootvet.fact usr/share/bootvet/ansible/reboot-gate.yml
)
for f in "${promised[@]}"; do
  [ -e "$root/$f" ] || fail "not installed: /$f"
  echo "installed: /$f"
done
for f in usr/bin/bootvet etc/kernel/postinst.d/zz-zz-bootvet usr/share/bootvet/ansible/bootvet.fact; do
  [ -x "$root/$f" ] || fail "not executable: /$f"
done
# Enabled on install (deb-systemd-helper, without systemd running), not started.
wants=etc/systemd/system/timers.target.wants/bootvet-check.timer
[ -L "$root/$wants" ] || fail "bootvet-check.timer is not enabled (/$wants missing)"
echo "enabled: /$wants -> $(readlink "$root/$wants")"
# The binary runs there (its shared libraries are in the package's Depends),
# and its hooks are exactly what `bootvet hook install` writes.
in_root bootvet --version
in_root bootvet hook status --distro debian || fail "bootvet hook status: the packaged hooks are not current"
# The installed man page is the one the unit's Documentation= names.
zcat "$root/usr/share/man/man1/bootvet-check.1.gz" | grep -q '^\.TH' || fail "bootvet-check(1) is not a man page"

in_root dpkg -r bootvet >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r failed"; }
snapshot >"$work/removed.txt"
# After a removal Debian keeps conffiles and the enablement state, by policy.
echo "left after dpkg -r (conffiles and unit enablement, removed by --purge):"
comm -13 "$work/before.txt" "$work/removed.txt" | grep -i bootvet | sed 's/^/  /' || true
in_root dpkg --purge bootvet >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge failed"; }
snapshot >"$work/after.txt"
# dpkg's own bookkeeping changes; nothing else may.
changed=$(diff "$work/before.txt" "$work/after.txt" | grep '^[<>]' \
  | grep -v -E '^[<>] \./var/(lib/dpkg|log/dpkg\.log|cache/debconf)' || true)
[ -z "$changed" ] || fail "after dpkg --purge the root differs from before install:
$changed"
left=$(grep -i bootvet "$work/after.txt" || true)
[ -z "$left" ] || fail "left after dpkg --purge: $left"
echo "purged: nothing of bootvet's is left"
