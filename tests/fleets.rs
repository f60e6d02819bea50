//! Where fleets meet bootvet, each exercised with the real software: a fleet
//! audit over facts dumped from scenario images (`check --facts DIR`), the
//! systemd units (`systemd-analyze verify`), the Prometheus rules (`promtool`,
//! fed with series bootvet wrote) and node_exporter serving them, the Ansible
//! reboot gate (`ansible-playbook` against localhost), and the .deb in a fresh
//! Debian root (privileged: chroot).

mod support;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use support::{bootvet, repo};

/// The scenarios these tests need, built once: one that passes (exit 0), one
/// whose failing entry does not boot next (1), one whose next boot fails (3).
fn scenarios() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        support::build_scenarios(
            "fleets-scenarios",
            &["healthy", "mbr-logical-renumbered", "no-initrd-line"],
        )
    })
}

fn image(name: &str) -> String {
    scenarios()
        .join(format!("{name}.img"))
        .display()
        .to_string()
}

/// Whether `tool` is on PATH; missing fails under CI (`support::require`), with
/// the Debian package that brings it named.
fn have_tool(tool: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        || Path::new(tool).is_file();
    support::require(
        found,
        &format!("{tool} (Debian package {package}, scripts/setup.sh)"),
    )
}

#[path = "fleets/ansible.rs"]
mod ansible;
#[path = "fleets/audit.rs"]
mod audit;
#[path = "fleets/deb.rs"]
mod deb;
#[path = "fleets/prometheus.rs"]
mod prometheus;
#[path = "fleets/systemd.rs"]
mod systemd;
