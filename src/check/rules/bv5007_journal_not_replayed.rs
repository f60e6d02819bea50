use crate::check::{CheckInfo, Context, Finding, Link, Severity};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV5007",
    name: "journal-not-replayed",
    severity: Severity::Warning,
    link: Link::Device,
    summary: "the ext3/4 filesystem holding the kernels has an unreplayed journal, which GRUB ignores",
    fix: "let Linux replay the journal before booting from it: mount it once (or `e2fsck -p` it unmounted), then `sync`",
    doc: "## What it checks
The filesystem holding the kernels and initrds the menu loads, on disk images:
ext3/4 with `needs_recovery` set (its journal holds changes not yet written to
their home blocks).

## Why it breaks the boot
GRUB's ext2 driver reads the filesystem without its journal. A kernel or initrd
written just before a crash or an unclean detach may exist for Linux (which
replays the journal at mount) but be missing, old or half-written for GRUB:
`file '/initrd.img-…' not found`, a stale image, or garbage the kernel cannot
unpack. update-initramfs runs `sync` for this reason.

## Example
    # the VM was killed right after update-initramfs
    tune2fs -l /dev/vda2 | grep features   # … needs_recovery …

## Fix
Mount the filesystem once so Linux replays the journal (or run `e2fsck -p` on
it unmounted), run `sync`, and check again before rebooting.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for dir in &cx.facts.host.boot_dirs {
        if dir.needs_recovery != Some(true) {
            continue;
        }
        out.push(
            Finding::new(
                &INFO,
                format!(
                    "{} ({}) has needs_recovery set: GRUB reads it without replaying the journal and may not see the latest kernel and initrd",
                    dir.fstype.as_deref().unwrap_or("ext4"),
                    dir.volume.name
                ),
            )
            .evidence(format!(
                "({}) superblock: feature needs_recovery (incompat 0x4)",
                dir.volume.name
            )),
        );
    }
}
