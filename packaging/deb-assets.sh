#!/usr/bin/env bash
# Generates what `cargo deb` packages besides the binary, from the binary itself,
# into target/assets/ (the paths [package.metadata.deb] names in Cargo.toml):
# man pages, shell completions and the Debian hooks.
#
#   cargo build --release && packaging/deb-assets.sh && cargo deb --no-build
#
#   BOOTVET   the bootvet binary to generate with (default: target/release/bootvet)
set -euo pipefail
cd "$(dirname "$0")/.."
bootvet=${BOOTVET:-target/release/bootvet}
out=target/assets
rm -rf "$out"
"$bootvet" generate man --out "$out/man"
gzip -9n "$out"/man/*.1
"$bootvet" generate completions bash zsh fish --out "$out/completions"
# The Debian hooks exactly as `bootvet hook install --distro debian` writes them.
"$bootvet" hook install --root "$out/root" --distro debian >/dev/null
