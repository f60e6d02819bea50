//! Whether the kernel can mount root= with no initramfs running: what BV4103 (no
//! initrd loaded) and BV4113 (initrds without `/init`) both ask, since in both the
//! kernel's own code (init/do_mounts.c) looks for the root device.

use crate::check::{Context, Finding, Severity};
use crate::inspect::kconfig::NeedKind;

use super::needs_initramfs;
use super::root_mount_lines::{FirstType, MountingKernel};
use super::root_path::{Booted, Have, bus_origin, describe, root_devno, unmet_needs};

/// Why the kernel, left to mount root= itself, cannot.
pub(super) struct CannotMount {
    /// How the headline goes on after what left the kernel alone: "but" or "and".
    pub joins_with: &'static str,
    /// The rest of the headline: "root=UUID=… needs an initramfs to be found".
    pub reason: String,
    pub evidence: Vec<String>,
    /// What the console shows, in order.
    pub prints: Vec<String>,
    /// Every storage layer under root was only inferred: a warning, not an error.
    pub inferred: bool,
    pub cause: Cause,
}

pub(super) enum Cause {
    /// `UUID=`, `LABEL=`, ZFS: only userspace in an initramfs resolves it.
    Unparsed,
    /// dm-crypt, LVM or md under root.
    Layers,
    /// Drivers the kernel lacks built in; the modules that would provide them.
    Drivers(Vec<String>),
}

impl CannotMount {
    /// `finding` with this reason's evidence, then what `also` adds, then what the
    /// console shows; a warning when every storage layer was only inferred.
    pub fn explain(self, finding: Finding, also: impl FnOnce(Finding) -> Finding) -> Finding {
        let finding = self
            .evidence
            .into_iter()
            .fold(finding, |f, line| f.evidence(line));
        let finding = also(finding).prints_all(self.prints);
        if self.inferred {
            finding.severity(Severity::Warning)
        } else {
            finding
        }
    }
}

impl Cause {
    /// The fix's alternative to an initramfs: the missing modules built in.
    pub fn or_build_in(&self) -> String {
        match self {
            Cause::Drivers(modules) if !modules.is_empty() => {
                format!("; or build {} into the kernel (=y)", modules.join(", "))
            }
            _ => String::new(),
        }
    }
}

/// Whether the kernel `booted` can mount `root` by itself, and if not, why.
pub(super) fn cannot_mount(
    cx: &Context<'_>,
    booted: &Booted<'_>,
    root: &str,
) -> Option<CannotMount> {
    let kernel = MountingKernel::booting(booted);
    if needs_initramfs(root) {
        return Some(CannotMount {
            joins_with: "but",
            reason: format!("root={root} needs an initramfs to be found"),
            evidence: vec![format!(
                "root={root}: the kernel alone understands /dev/…, MAJ:MIN, PARTUUID= and PARTLABEL=, not UUID= or LABEL="
            )],
            prints: kernel.lines_without_device(root),
            inferred: false,
            cause: Cause::Unparsed,
        });
    }
    // The kernel cannot unlock LUKS, activate LVM or assemble md arrays alone.
    let stack = super::root_stack::layers(cx.facts, booted.params, root);
    if !stack.is_empty() {
        let names: Vec<&str> = stack.iter().map(|l| l.kind.name()).collect();
        return Some(CannotMount {
            joins_with: "but",
            reason: format!(
                "root={root} sits on {}: only an initramfs can open it",
                names.join(" and ")
            ),
            evidence: stack.iter().flat_map(|l| l.evidence.clone()).collect(),
            prints: kernel.lines_without_device(root),
            inferred: stack.iter().all(|l| l.inferred),
            cause: Cause::Layers,
        });
    }
    // A root= the kernel parses: it still needs its drivers built in.
    let unmet = unmet_needs(cx.facts, booted, |need| {
        matches!(need.have, Have::BuiltIn(_) | Have::Unknown { .. })
    });
    if unmet.is_empty() {
        return None;
    }
    let names: Vec<String> = unmet
        .iter()
        .map(|n| match &n.have {
            Have::Module { modules, .. } => format!(
                "{} (module)",
                modules.first().map(String::as_str).unwrap_or(&n.what)
            ),
            _ => format!("{} (not built)", n.what),
        })
        .collect();
    let mut evidence: Vec<String> = unmet.iter().map(describe).collect();
    let mut prints = Vec::new();
    if unmet.iter().any(|n| n.kind == NeedKind::Bus) {
        evidence.push(bus_origin(cx.facts));
        // No disk driver: the device never appears.
        prints = kernel.lines_without_device(root);
    } else {
        // The disk is there; no built-in filesystem can mount it.
        evidence.push(if kernel.first_type == FirstType::Absent {
            "the disk is found, but rootfstype= names a filesystem the kernel does not have built in: mounting fails with error -19 (ENODEV)".into()
        } else {
            "the disk is found, but no built-in filesystem driver can mount it: the kernel prints `No filesystem could mount root, tried:` and the types it has".into()
        });
        if let Some(devno) = root_devno(cx.facts, root) {
            prints = kernel.lines_with_device(root, &devno);
        }
    }
    let modules = unmet
        .iter()
        .filter_map(|n| match &n.have {
            Have::Module { modules, .. } => modules.first().cloned(),
            _ => None,
        })
        .collect();
    Some(CannotMount {
        joins_with: "and",
        reason: format!(
            "kernel '{}' cannot mount root={root} by itself: {}",
            booted.file.path,
            names.join(", ")
        ),
        evidence,
        prints,
        inferred: false,
        cause: Cause::Drivers(modules),
    })
}
