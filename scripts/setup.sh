#!/usr/bin/env bash
# Installs the Debian packages bootvet's build, its scenario images and its tests
# need, so README's two commands work on a fresh Debian 12 machine with only Rust.
# As root it runs apt-get itself; otherwise it prints the exact line to run and
# exits 2. Already installed: it does nothing (and asks no network).
#
#   usage: scripts/setup.sh [--tests]
#   --tests  also cargo-deb (crates.io; not packaged in Debian 12), which only the
#            .deb test needs: README's test command passes it, the first command
#            does not wait the minutes its build takes.
set -euo pipefail

tests=false
case "${1-}" in
  --tests) tests=true ;;
  "") ;;
  *) echo "usage: scripts/setup.sh [--tests]" >&2; exit 2 ;;
esac

packages=(
  # build: libblkid-rs links libblkid and runs bindgen (libclang) at build time
  libblkid-dev libclang-dev pkg-config gcc
  grub-common        # grub-script-check: the parser's differential oracle; grub-editenv
  grub-pc-bin grub-efi-amd64-bin grub2-common  # tests/grub_image.rs, tests/boot.rs: grub-mkimage, grub-install
  # tests/boot.rs, the QEMU verification suite: real GRUB installs booted under QEMU
  qemu-system-x86    # qemu-system-x86_64 (TCG) with SeaBIOS
  ovmf               # UEFI firmware for the efi boots (OVMF_CODE_4M.fd, OVMF_VARS_4M.fd)
  busybox-static     # the initramfs's and the root's userland
  gdisk              # sgdisk: GPT images
  fdisk              # sfdisk: MBR images, layouts read back
  dosfstools         # mkfs.vfat
  mtools             # mcopy: files on FAT images without mounting
  # fixtures/scenarios/build.sh sb-*, tests/secure_boot.rs: strip and sign EFI binaries
  sbsigntool         # sbattach --remove, sbsign
  openssl            # a fresh signing key and certificate (openssl req -x509)
  e2fsprogs          # mke2fs -d, debugfs (the physical block oracle)
  util-linux         # blkid -p (identity oracle), mkswap, losetup
  mount              # privileged tests: mount/umount
  man-db             # hooks tests: the man page rendered with man -l
  shellcheck         # hooks tests: installed hook scripts are shellcheck-clean
  # inspect: initrds from real cpio and every compressor the kernel knows, objects
  # from gcc/objcopy, Debian packages fetched with apt-get download
  cpio gzip zstd xz-utils lz4 lzop bzip2 binutils file ca-certificates
  initramfs-tools-core kmod  # mkinitramfs/lsinitramfs: the privileged differential test
  python3            # fixtures/scenarios: standin-kernel.py, the benches
  python3-pip        # tests/efivars.rs: virt-firmware (PyPI, below)
  btrfs-progs        # identity of btrfs
  xfsprogs           # identity of xfs
  cryptsetup-bin     # identity of LUKS2; the root-luks scenario
  ntfs-3g            # mkntfs
  xorriso            # iso9660
  lvm2               # the root-lvm scenario (privileged): pvcreate on a loop device
  systemd            # tests/fleets.rs: systemd-analyze verify of packaging/systemd/
  prometheus         # tests/fleets.rs: promtool check/test rules of packaging/prometheus/
  prometheus-node-exporter  # tests/fleets.rs: node_exporter serves bootvet's textfile
  ansible-core       # tests/fleets.rs: ansible-playbook runs packaging/ansible/reboot-gate.yml
  cryptsetup-initramfs  # tests/boot.rs deb-root-luks: mkinitramfs's cryptroot hook (key file in the initrd)
  fuse3              # sectors tests (privileged): fusermount3 for the EIO view of an image
  lintian            # tests/fleets.rs (privileged): the .deb is lintian-clean
  debootstrap        # tests/fleets.rs (privileged): the fresh Debian 12 root the .deb installs into; tests/boot.rs: the systemd root (fixtures/boot/systemd-root.sh)
  curl               # fixtures/boot/build.sh core-modules-mismatch: GRUB 2.12 from deb.debian.org
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# tests/inspect.rs fetches Debian's kernel package with `apt-get download`: it
# needs package lists even when every package above is installed.
lists_missing=false
compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null || lists_missing=true

# tests/efivars.rs, fixtures/efivars/boot-entries.py: virt-firmware (not packaged in
# Debian 12) reads and writes edk2 variable stores, the parser's independent oracle.
virt_firmware() {
  python3 -c 'import virt.firmware.varstore.edk2' 2>/dev/null && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: the tests need virt-firmware; run: pip install virt-firmware" >&2
    return 0
  fi
  python3 -m pip install -q virt-firmware 2>/dev/null ||
    python3 -m pip install -q --break-system-packages virt-firmware
}

# tests/fleets.rs builds the .deb with cargo-deb, pinned: its asset handling is
# what packaging/ and lintian's overrides were written against.
cargo_deb() {
  $tests || return 0
  cargo deb --version 2>/dev/null | grep -qx 'cargo-deb 3\.8\.0' && return 0
  echo "setup.sh: installing cargo-deb 3.8.0 (cargo install; a few minutes)" >&2
  cargo install -q cargo-deb --version 3.8.0 --locked
}

if [ "${#missing[@]}" -eq 0 ] && ! $lists_missing; then
  virt_firmware
  cargo_deb
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup.sh: bootvet's build and tests need Debian packages; run:" >&2
    echo "  sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}" >&2
  else
    echo "setup.sh: apt has no package lists (the tests download Debian's kernel); run:" >&2
    echo "  sudo apt-get update" >&2
  fi
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
echo "setup.sh: installing ${missing[*]:-(package lists only)}" >&2
apt-get update -qq
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
virt_firmware
cargo_deb
