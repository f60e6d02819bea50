//! What bootvet says about an image: its exit status and the lines it says GRUB or
//! the kernel will print for the entry that boots next.

use std::path::PathBuf;
use std::process::Command;

#[derive(Clone, Debug, Default)]
pub struct Said {
    pub exit: i32,
    /// The index path of the entry bootvet says boots next (`next_boot`).
    pub next_boot: Option<String>,
    /// Codes of the findings on the next entry and on the config as a whole.
    pub codes: Vec<String>,
    /// Their will-print lines, in report order.
    pub will_print: Vec<String>,
    /// The severities (`warning`, `error`) of its findings on the next boot that
    /// say it waits for a person (BV2101–BV2103; an info finding, a finite
    /// recordfail wait, boots by itself).
    pub waits_at: Vec<&'static str>,
    /// `--unattended`'s exit status, and whether it made a wait an error.
    pub unattended_exit: i32,
    pub unattended_waits: bool,
    /// The same lines by finding: (code, its lines).
    pub by_finding: Vec<(String, Vec<String>)>,
}

impl Said {
    /// bootvet says the next boot stops for a person (a warning as is).
    pub fn waits(&self) -> bool {
        !self.waits_at.is_empty()
    }
}

/// The checks that say the next boot waits for a person (the menu with no
/// timeout, a password, `read`): warnings, errors with `--unattended`.
const WAITS: [&str; 3] = ["BV2101", "BV2102", "BV2103"];

/// `bootvet check --image DISK… --platform PLATFORM --memory MEM --json`, the disks
/// in the firmware's order (as QEMU is given them); `--efi-vars STORE` when the image
/// comes with the variable store QEMU boots it with (Secure Boot scenarios). Run
/// twice: as is, and with `--unattended` (nobody at the console, as under QEMU).
pub fn check(disks: &[PathBuf], platform: &str, memory_mib: u32) -> Said {
    let mut said = check_with(disks, platform, memory_mib, false);
    let unattended = check_with(disks, platform, memory_mib, true);
    said.unattended_exit = unattended.exit;
    said.unattended_waits = unattended.waits_at.contains(&"error");
    said
}

/// One `bootvet check` run; `waits_at`: the severities of its findings on the
/// next boot whose code is one of WAITS.
fn check_with(disks: &[PathBuf], platform: &str, memory_mib: u32, unattended: bool) -> Said {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootvet"));
    cmd.args(["check", "--json", "--platform", platform])
        .arg("--memory")
        .arg(format!("{memory_mib}M"));
    if unattended {
        cmd.arg("--unattended");
    }
    for disk in disks {
        cmd.arg("--image").arg(disk);
    }
    // The same variable store QEMU boots with (a copy of it: QEMU writes its own):
    // a Secure Boot scenario's (SCENARIO-efi.vars) or a boot-entry scenario's
    // (SCENARIO-efi.vars.fd).
    let store = super::qemu::var_store(disks)
        .or_else(|| disks.first().and_then(|d| super::qemu::vars_store(d)));
    if let Some(store) = store {
        cmd.arg("--efi-vars").arg(store);
    }
    let out = cmd.env("NO_COLOR", "1").output().expect("run bootvet");
    let exit = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let doc = serde_json::from_str::<serde_json::Value>(&stdout)
        .ok()
        .filter(|d| d.get("error").is_none());
    let Some(doc) = doc else {
        // Exit 2's document holds only the error: keep what it wrote to stderr.
        let err = String::from_utf8_lossy(&out.stderr);
        return Said {
            exit,
            will_print: err.lines().map(str::to_string).take(3).collect(),
            ..Said::default()
        };
    };
    let next = doc["next_boot"].as_str().map(str::to_string);
    let mut said = Said {
        exit,
        next_boot: next.clone(),
        ..Said::default()
    };
    for finding in doc["findings"].as_array().into_iter().flatten() {
        let on_next = match finding.get("entry") {
            None => true,
            Some(e) => e["path"].as_str().map(str::to_string) == next,
        };
        if !on_next {
            continue;
        }
        let code = finding["code"].as_str().unwrap_or_default().to_string();
        if !code.is_empty() {
            said.codes.push(code.clone());
            if WAITS.contains(&code.as_str()) {
                match finding["severity"].as_str() {
                    Some("warning") => said.waits_at.push("warning"),
                    Some("error") => said.waits_at.push("error"),
                    _ => {}
                }
            }
        }
        let lines: Vec<String> = finding["will_print"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect();
        said.will_print.extend(lines.iter().cloned());
        said.by_finding.push((code, lines));
    }
    said
}

/// Normalised for comparison: GRUB's backtick-apostrophe quotes as plain
/// apostrophes, runs of white space as one space.
fn normalise(s: &str) -> String {
    s.replace('`', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Prompts, each a line of its own: GRUB's normal mode and rescue mode, and
/// initramfs-tools' shell (busybox's `(initramfs) `).
const PROMPTS: [&str; 3] = ["grub>", "grub rescue>", "(initramfs)"];

/// Whether a will-print line matches what the machine printed: the observed line
/// contains the predicted one, where a `…` in the prediction (bootvet shortens UUIDs
/// and paths) stands for any text, the pieces appearing in order.
pub fn line_matches(predicted: &str, observed: &str) -> bool {
    let observed = normalise(observed);
    // GRUB's prompts are whole lines of their own: a prompt predicted is the
    // prompt seen, exactly (the rule below would refuse them as too short).
    if PROMPTS.contains(&normalise(predicted).as_str()) {
        return observed == normalise(predicted);
    }
    // A prediction of a word or two ("error:") would match anything.
    if normalise(&predicted.replace('…', "")).len() < 12 {
        return false;
    }
    let pieces: Vec<String> = predicted
        .split('…')
        .map(normalise)
        .filter(|p| !p.is_empty())
        .collect();
    let mut from = 0;
    for piece in &pieces {
        match observed[from..].find(piece.as_str()) {
            Some(at) => from += at + piece.len(),
            None => return ellipsized_matches(&pieces, &observed),
        }
    }
    true
}

/// systemd cuts each status line to the console's width (src/core/show-status.c
/// `status_vprintf`: `ellipsize(s, columns - 10, 50)`; a serial console reports no
/// width, so 80): the line's start and end with `…` between (seen on
/// deb-fstab-esp-stale: `Timed out waiting for device … - /dev/disk/by-uuid/…`).
/// Such a line matches when the prediction's pieces, in order, lie in its start
/// up to one piece, which the cut went through: the end starts with a part of
/// that piece's tail, or holds it whole, and the pieces after it follow. At
/// least 24 characters must have matched.
fn ellipsized_matches(pieces: &[String], observed: &str) -> bool {
    let Some((head, tail)) = observed.split_once('…') else {
        return false;
    };
    let (head, tail) = (head.trim(), tail.trim());
    if tail.contains('…') || head.is_empty() || tail.is_empty() {
        return false;
    }
    let (mut from, mut i, mut matched) = (0, 0, 0);
    while let Some(piece) = pieces.get(i) {
        let Some(at) = head[from..].find(piece.as_str()) else {
            break;
        };
        from += at + piece.len();
        matched += piece.len();
        i += 1;
    }
    let Some(cut) = pieces.get(i) else {
        return false;
    };
    let mut from = match tail.find(cut.as_str()) {
        Some(at) => at + cut.len(),
        None => {
            // The longest end of the cut piece the tail starts with.
            let Some(len) = (1..cut.len())
                .filter(|&k| cut.is_char_boundary(k))
                .map(|k| cut.len() - k)
                .find(|&len| tail.starts_with(&cut[cut.len() - len..]))
            else {
                return false;
            };
            matched += len;
            len
        }
    };
    for piece in &pieces[i + 1..] {
        match tail[from..].find(piece.as_str()) {
            Some(at) => {
                from += at + piece.len();
                matched += piece.len();
            }
            None => return false,
        }
    }
    matched >= 24
}

/// `bootvet entries --json` on the disks: the GRUB build it chose and the
/// command line of the `linux` command of the entry at `path` (`1>0`).
pub fn cmdline(disks: &[PathBuf], platform: &str, path: &str) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bootvet"));
    cmd.args(["entries", "--json", "--platform", platform]);
    for disk in disks {
        cmd.arg("--image").arg(disk);
    }
    let out = cmd.output().expect("run bootvet entries");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("entries JSON");
    let mut node = &doc;
    for i in path.split('>') {
        let i: usize = i.parse().expect("an index path");
        node = &node["entries"][i];
    }
    let line = node["commands"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["kind"] == "linux"))
        .and_then(|c| c["cmdline"].as_str())
        .unwrap_or_default()
        .to_string();
    (
        doc["grub"]["vendor"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        line,
    )
}

#[cfg(test)]
mod tests {
    use super::line_matches;

    #[test]
    fn matching_is_substring_with_ellipses() {
        let seen = "error: file `/vmlinuz-6.1.0-57-amd64' not found.";
        assert!(line_matches(
            "error: file '/vmlinuz-6.1.0-57-amd64' not found.",
            seen
        ));
        assert!(line_matches("error: file '/vmlinuz-…' not found.", seen));
        assert!(!line_matches(
            "error: file '/initrd.img-6.1.0-57-amd64' not found.",
            seen
        ));
        assert!(!line_matches("not found. error:", seen));
        assert!(!line_matches("error: …", seen));
        assert!(line_matches("grub>", "grub>"));
        assert!(!line_matches("grub>", "grub rescue>"));
        assert!(!line_matches("grub>", seen));
    }

    #[test]
    fn systemd_cuts_long_status_lines() {
        let predicted = "[ TIME ] Timed out waiting for device …/dev/disk/by-uuid/9A3F-11C2.";
        // deb-fstab-esp-stale's console: the cut took the whole unit name.
        let seen = "[ TIME ] Timed out waiting for device … - /dev/disk/by-uuid/9A3F-11C2.";
        assert!(line_matches(predicted, seen));
        // A wider console: nothing cut.
        assert!(line_matches(
            predicted,
            "[ TIME ] Timed out waiting for device dev-disk-by\\x2duuid-9A3F\\x2d11C2.device - /dev/disk/by-uuid/9A3F-11C2."
        ));
        // The cut inside the description: its end is the prediction's end.
        let long = "[ TIME ] Timed out waiting for device …/dev/disk/by-uuid/0d1c5e7a-4b2f-4e11-9d3a-5c6b7a8e9f10.";
        assert!(line_matches(
            long,
            "[ TIME ] Timed out waiting for device …7a-4b2f-4e11-9d3a-5c6b7a8e9f10."
        ));
        // Another device, another end.
        assert!(!line_matches(
            long,
            "[ TIME ] Timed out waiting for device …7a-4b2f-4e11-9d3a-5c6b7a8e9f11."
        ));
        assert!(!line_matches(
            predicted,
            "[ TIME ] Timed out waiting for device … - /dev/disk/by-uuid/1234-ABCD."
        ));
        // Another message before the cut.
        assert!(!line_matches(
            predicted,
            "[DEPEND] Dependency failed for … - /dev/disk/by-uuid/9A3F-11C2."
        ));
    }
}
