use super::loader_common::prefix;
use crate::check::{CheckInfo, Context, Finding, Link, Severity};
use crate::facts::loader::Presence;

pub const INFO: CheckInfo = CheckInfo {
    code: "BV6204",
    name: "grub-cfg-missing",
    severity: Severity::Error,
    link: Link::Prefix,
    summary: "there is no grub.cfg at `$prefix`: GRUB stops at its `grub>` prompt",
    fix: "`update-grub` (or `grub-mkconfig -o /boot/grub/grub.cfg`)",
    doc: "## What it checks
Once normal mode is loaded, `$prefix/grub.cfg` exists on the device the GRUB
image's prefix resolves to.

## Why it breaks the boot
normal mode reads `$prefix/grub.cfg` (normal/main.c `grub_cmd_normal`); when it
is missing there is no menu, and GRUB shows its banner (`GNU GRUB  version …`),
`Minimal BASH-like line editing is supported…` and waits at `grub>` — no error
line. Nothing boots by itself.

## Example
    rm /boot/grub/grub.cfg         # or a /boot restored without it

## Fix
Write the config again: `update-grub` (Debian, Ubuntu) or `grub-mkconfig -o
/boot/grub/grub.cfg` (`grub2-mkconfig -o /boot/grub2/grub.cfg` on Fedora).",
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(p) = prefix(cx) else {
        return;
    };
    if p.grub_cfg != Presence::Missing {
        return;
    }
    let version = p
        .normal_version
        .clone()
        .or_else(|| cx.facts.loader.as_ref().and_then(|l| l.modules_version()))
        .unwrap_or_else(|| "…".into());
    let [_, minimal, prompt] = super::bv2006_menu_empty::SCREEN;
    out.push(
        Finding::new(
            &INFO,
            format!(
                "{}/grub.cfg does not exist: GRUB stops at its `grub>` prompt",
                p.value.trim_end_matches('/')
            ),
        )
        .evidence(format!(
            "the GRUB image's prefix `{}` resolves to {}; normal.mod {}",
            p.embedded,
            p.value,
            if p.normal_mod == Presence::BuiltIn {
                "is built in"
            } else {
                "is there"
            }
        ))
        .prints(format!("GNU GRUB  version {version}"))
        .prints(minimal)
        .prints(prompt),
    );
}
