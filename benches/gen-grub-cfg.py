#!/usr/bin/env python3
"""Writes a grub-mkconfig-shaped grub.cfg of about SIZE megabytes to stdout:
the Ubuntu 00_header, then many 10_linux sections, each a top-level entry plus a
submenu of per-kernel entries (normal and recovery), as update-grub writes them."""
import sys

size_mb = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
uuid = "3f9c1a52-8d5e-4c61-9a3b-2b7e5f1d0c44"
out = sys.stdout
header = open(__file__.replace("gen-grub-cfg.py", "../fixtures/grub/ubuntu-2204.cfg")).read()
out.write(header)
written = len(header)
section = 0


def entry(title, entry_id, kernel, recovery, indent):
    t = "\t" * indent
    opts = "ro recovery nomodeset dis_ucode_ldr" if recovery else "ro  quiet splash $vt_handoff"
    return (
        f"{t}menuentry '{title}' --class ubuntu --class gnu-linux --class gnu --class os $menuentry_id_option '{entry_id}' {{\n"
        f"{t}\trecordfail\n{t}\tload_video\n{t}\tgfxmode $linux_gfx_mode\n{t}\tinsmod gzio\n"
        f"{t}\tif [ x$grub_platform = xxen ]; then insmod xzio; insmod lzopio; fi\n"
        f"{t}\tinsmod part_gpt\n{t}\tinsmod ext2\n"
        f"{t}\tsearch --no-floppy --fs-uuid --set=root --hint-bios=hd0,gpt2 --hint-efi=hd0,gpt2 --hint-baremetal=ahci0,gpt2 {uuid}\n"
        f"{t}\techo\t'Loading Linux {kernel} ...'\n"
        f"{t}\tlinux\t/boot/vmlinuz-{kernel} root=UUID={uuid} {opts}\n"
        f"{t}\techo\t'Loading initial ramdisk ...'\n"
        f"{t}\tinitrd\t/boot/initrd.img-{kernel}\n"
        f"{t}}}\n"
    )


while written < size_mb * 1024 * 1024:
    section += 1
    chunk = [f"### BEGIN /etc/grub.d/10_linux ({section}) ###\n"]
    chunk.append(entry("Ubuntu", f"gnulinux-simple-{uuid}", f"6.5.0-{section}-generic", False, 0))
    chunk.append(f"submenu 'Advanced options for Ubuntu' $menuentry_id_option 'gnulinux-advanced-{uuid}' {{\n")
    for k in range(8):
        kernel = f"6.{k}.0-{section}-generic"
        chunk.append(entry(f"Ubuntu, with Linux {kernel}", f"gnulinux-{kernel}-advanced-{uuid}", kernel, False, 1))
        chunk.append(entry(f"Ubuntu, with Linux {kernel} (recovery mode)", f"gnulinux-{kernel}-recovery-{uuid}", kernel, True, 1))
    chunk.append("}\n\n")
    text = "".join(chunk)
    out.write(text)
    written += len(text)
