use super::loader_common::{RESCUE_PROMPT, after_prefix, loader, module_failure_line, prefix};
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::{FsReadable, ModuleFailure, PrefixDevice, PrefixFacts, Presence};

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6203",
    name: "normal-mod-missing",
    severity: Severity::Error,
    link: Link::Prefix,
    summary: "`$prefix/PLATFORM/normal.mod`, or a module it needs, is missing or refused: GRUB stops at `grub rescue>`",
    fix: "reinstall GRUB's modules: `grub-install` (it copies /usr/lib/grub/PLATFORM to the prefix)",
    doc: "## What it checks
The module directory for the platform (`i386-pc`, `x86_64-efi`) at `$prefix`
holds `normal.mod`, unless the image has it built in (Debian's signed
monolithic `grubx64.efi`), and every module it needs (`moddep.lst`: extcmd,
crypto, terminal, gettext, … in 2.06) is built in or there; each of those files
passes the checks GRUB's loader makes before it relocates anything (kern/dl.c:
`ELF header smaller than expected` for a file cut below its header or empty,
`invalid arch-independent ELF magic`, `ELF sections outside core` for a file
cut short of its section table).

## Why it breaks the boot
After the embedded config, GRUB's kernel loads `normal` from
`$prefix/PLATFORM/normal.mod` (kern/main.c `grub_load_normal_mode`, kern/dl.c).
Without it it prints ``error: file `/grub/i386-pc/normal.mod' not found.`` and
stops at `grub rescue>`: no menu, no grub.cfg. The directory goes missing when
/boot/grub is cleaned by hand, restored partly, or when the other platform's
GRUB is installed (`grub-install --target=x86_64-efi` on a BIOS machine leaves
no `i386-pc`). A /boot that fills up while grub-install copies the modules
leaves some of them empty or cut short: GRUB then prints the loader's refusal
instead (``error: ELF header smaller than expected.``).

## Example
    rm -rf /boot/grub/i386-pc

## Fix
Run `grub-install` for the platform the machine boots with (`grub-install
/dev/sda` on BIOS, `grub-install --target=x86_64-efi` on UEFI): it copies the
modules, `modinfo.sh` and the `*.lst` files to the prefix.",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(p) = prefix(cx) else {
        return;
    };
    if matches!(p.device, PrefixDevice::Search { found: false, .. })
        || !matches!(p.filesystem, FsReadable::Yes { .. })
    {
        return;
    }
    if let Some(failure) = loader(cx).and_then(|l| l.normal_failure()) {
        out.push(unloadable(p, &failure));
        return;
    }
    if p.normal_mod != Presence::Missing {
        return;
    }
    out.push(
        Finding::new(
            &INFO,
            format!(
                "{}/{}/normal.mod is missing: GRUB cannot start its normal mode",
                p.value.trim_end_matches('/'),
                p.platform_dir
            ),
        )
        .evidence(format!(
            "the GRUB image's prefix `{}` resolves to {}",
            p.embedded, p.value
        ))
        .prints_all(after_prefix(p)),
    );
}

/// normal.mod is there, but GRUB's loader refuses it or a module it needs
/// (kern/dl.c loads the dependencies `moddep.lst` names before `normal` runs).
fn unloadable(p: &PrefixFacts, failure: &ModuleFailure) -> Finding {
    let platform = format!("{}/{}", p.value.trim_end_matches('/'), p.platform_dir);
    let what = match failure {
        ModuleFailure::Missing { module } => {
            format!("{platform}/{module}.mod, which normal.mod needs, is missing")
        }
        ModuleFailure::Refused { module, message } if module == "normal" => {
            format!("GRUB refuses {platform}/normal.mod: {message}")
        }
        ModuleFailure::Refused { module, message } => {
            format!("GRUB refuses {platform}/{module}.mod, which normal.mod needs: {message}")
        }
    };
    Finding::new(&INFO, format!("{what}: GRUB cannot start its normal mode"))
        .evidence(format!(
            "the GRUB image's prefix `{}` resolves to {}; GRUB loads normal.mod's dependencies (moddep.lst) before it",
            p.embedded, p.value
        ))
        .prints(module_failure_line(p, failure))
        .prints(RESCUE_PROMPT)
}
