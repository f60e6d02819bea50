#!/usr/bin/env bash
# Proves README's two commands on a fresh Debian 12 root: debootstrap (minbase),
# then only git and this machine's Rust toolchain added (bind-mounted read-only),
# a clone of this repository (and ../shared beside it, as CI lays it), and the
# two lines taken from README.md itself, run as root with CI=true and no stdin.
# The first must end with exit status 3 (the seed's next boot fails), the second
# with 0. Needs root (chroot, mounts) and the Debian mirror.
#
#   usage: scripts/fresh-root.sh [WORKDIR]      (default /var/tmp/bootvet-fresh-root)
#   env:   BOOTVET_FRESH_BASE=DIR  reuse a debootstrapped base (it is copied, never used in place)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/var/tmp/bootvet-fresh-root}
mkdir -p "$work"
base=${BOOTVET_FRESH_BASE:-$work/base}
root=$work/root

[ "$(id -u)" = 0 ] || { echo "fresh-root.sh: needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi
if [ ! -x "$base/usr/bin/apt-get" ]; then
  rm -rf "$base"
  debootstrap --variant=minbase bookworm "$base" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi

toolchain=$(dirname "$(dirname "$(rustup which cargo 2>/dev/null || command -v cargo)")")
if [ ! -x "$toolchain/bin/cargo" ] || [ ! -x "$toolchain/bin/rustc" ]; then
  echo "fresh-root.sh: no Rust toolchain found (looked at $toolchain)" >&2
  exit 2
fi

mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
bind() { # bind SRC DEST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

# A run killed before its trap ran leaves its binds (the host's /dev among them)
# mounted under $root: unmount them first, deepest first, and never let rm cross
# into a mounted filesystem (it once emptied the host's /dev through such a bind).
mounts_under() { awk -v r="$1" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo; }
# Unmounting one mount can uncover another it hid (the self-bind of $root over
# the binds inside it): go round until none is left.
for _ in 1 2 3 4 5 6 7 8; do
  [ -n "$(mounts_under "$root")" ] || break
  mounts_under "$root" | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
done
if [ -n "$(mounts_under "$root")" ]; then
  echo "fresh-root.sh: $root still has mounts under it; not removing it" >&2
  exit 1
fi
rm -rf --one-file-system "$root"
cp -a "$base" "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A machine's / is a mount point; a chroot's directory is not, and `unshare -m`
# (the live end-to-end test) cannot change the propagation of a non-mount root.
bind "$root" "$root"
bind /proc "$root/proc"
bind /sys "$root/sys"
bind /dev "$root/dev"          # loop devices for the privileged tests
bind /dev/pts "$root/dev/pts"
bind "$toolchain" "$root/opt/rust" ro

# The machine's own extra certificate authorities (a network that reaches the
# registries through a TLS proxy): part of the machine, not of the project.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
# A Debian 12 machine's own sources (updates and security beside main), as CI's
# fresh machine has them: debootstrap's root knows only main, whose older kernel
# package would make the tests download another kernel than CI's.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mkdir -p "$root/etc/apt/sources.list.d"
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
  'apt-get update -qq && apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null && update-ca-certificates >/dev/null'
git clone -q "$repo" "$root/src/bootvet"
if [ -d "$repo/../shared" ]; then
  cp -a "$repo/../shared" "$root/src/shared"
fi

# shellcheck disable=SC2016 # the backquotes are README's code fence, not expansions
readme_line() { sed -n '/^```sh$/,/^```$/p' "$repo/README.md" | sed '1d;$d' | sed -n "${1}p"; }
first=$(readme_line 1)
second=$(readme_line 2)
run_in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root CI=true BOOTVET_PRIVILEGED_TESTS=1 \
    PATH=/opt/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /src/bootvet && $1" </dev/null
}

echo "fresh-root.sh: README line 1: $first" >&2
start=$(date +%s)
set +e
run_in_root "$first" >"$work/first.log" 2>&1
status=$?
set -e
echo "fresh-root.sh: line 1 exited $status after $(( $(date +%s) - start )) s (3 expected)" >&2
if [ "$status" != 3 ] || ! grep -q "do not reboot" "$work/first.log"; then
  tail -40 "$work/first.log" >&2
  exit 1
fi

echo "fresh-root.sh: README line 2: $second" >&2
start=$(date +%s)
set +e
run_in_root "$second" >"$work/second.log" 2>&1
status=$?
set -e
echo "fresh-root.sh: line 2 exited $status after $(( $(date +%s) - start )) s (0 expected)" >&2
grep -E "^test result:" "$work/second.log" >&2 || true
if [ "$status" != 0 ]; then
  grep -E "FAILED|panicked|failures:" "$work/second.log" | head -40 >&2
  tail -40 "$work/second.log" >&2
  exit 1
fi
echo "fresh-root.sh: both README commands pass on a fresh Debian 12 root" >&2
