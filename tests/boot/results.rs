//! The suite's ground truth: one row per boot, the agreement rules, the known-gaps
//! list, and the files generated from a run (results.tsv, the README table).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::classify::{Observed, Outcome};
use super::verdict::{Said, line_matches};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Case {
    pub scenario: String,
    pub platform: String,
    pub memory_mib: u32,
}

/// How bootvet and the machine disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// Exit 3 and it booted, exit 0/1 and it failed, or exit 2.
    Verdict,
    /// It failed, and bootvet's will-print lines do not hold the line it printed (or,
    /// when it printed none, they name lines it never printed).
    Line,
    /// `check --unattended` disagrees: GRUB waited for a person and it did not
    /// exit 3 with the wait as an error, or the machine booted by itself and it
    /// did not say it boots.
    Unattended,
}

impl Gap {
    fn name(self) -> &'static str {
        match self {
            Gap::Verdict => "verdict",
            Gap::Line => "line",
            Gap::Unattended => "unattended",
        }
    }
}

/// init/do_mounts.c's lines when it cannot mount root= (`mount_block_root`, from 6.5
/// `mount_root_generic`).
const ROOT_MOUNT_LINES: &[&str] = &[
    "VFS: Cannot open root device",
    "Please append a correct",
    "List of all bdev filesystems:",
    "List of all partitions:",
    "No filesystem could mount root",
];

pub struct Row {
    pub case: Case,
    pub outcome: Outcome,
    pub line: Option<String>,
    pub said: Said,
    pub wall: Duration,
    pub gaps: Vec<Gap>,
    /// Why the line was not compared (the busybox initramfs's own words).
    pub line_note: Option<&'static str>,
}

impl Row {
    /// `printed`: everything the machine printed (serial log and screen, cleaned).
    pub fn new(case: Case, observed: &Observed, said: &Said, printed: &str, wall: Duration) -> Row {
        let booted = observed.outcome == Outcome::Booted;
        // GRUB waiting for a person (its menu, its login prompt) is a boot that
        // would go on once someone answers, and never does unattended: bootvet's
        // verdict as is must be "boots" (0 or 1) with a BV2101–BV2103 warning on
        // the next boot, and `--unattended` must make it fail (exit 3, the wait an
        // error). A boot that went on by itself must have no such warning.
        let waited = observed.outcome == Outcome::MenuWaits;
        let mut gaps = Vec::new();
        let agrees = match said.exit {
            0 | 1 if waited => said.waits(),
            0 | 1 => booted && !said.waits(),
            3 => !booted && !waited,
            _ => false,
        };
        if !agrees {
            gaps.push(Gap::Verdict);
        }
        let unattended_agrees = if waited {
            said.unattended_exit == 3 && said.unattended_waits
        } else if booted {
            // Only what --unattended changes: an exit 3 it shares with the plain
            // run is the verdict gap's.
            !said.unattended_waits && (said.exit == 3 || matches!(said.unattended_exit, 0 | 1))
        } else {
            true
        };
        if !unattended_agrees {
            gaps.push(Gap::Unattended);
        }
        let mut line_note = None;
        match &observed.line {
            Some(_) if observed.by_initramfs => {
                line_note = Some("initramfs words (busybox, not Debian's): not compared");
            }
            Some(line) if !said.will_print.iter().any(|p| line_matches(p, line)) => {
                gaps.push(Gap::Line);
            }
            Some(_) => {}
            // Failed without a word (a reset, a hang): bootvet's will-print lines must
            // not name messages that never appeared.
            None if !booted => {
                let shown = |p: &String| printed.lines().any(|l| line_matches(p, l));
                if !said.will_print.is_empty() && !said.will_print.iter().any(shown) {
                    gaps.push(Gap::Line);
                }
            }
            None => {}
        }
        // A finding whose line the machine printed promised its other lines too:
        // one such finding must have each on the console, so no line bootvet
        // names beside the right one goes unproven (a driver's message a silent
        // mount never prints, a second line of another form). One is enough:
        // a later failure can share the first line (grub.cfg's `search` error
        // after core.img's, which stops GRUB before grub.cfg runs).
        if let Some(line) = &observed.line
            && !observed.by_initramfs
            && !gaps.contains(&Gap::Line)
        {
            let shown = |p: &String| printed.lines().any(|l| line_matches(p, l));
            let matching: Vec<&(String, Vec<String>)> = said
                .by_finding
                .iter()
                .filter(|(_, lines)| lines.iter().any(|p| line_matches(p, line)))
                .collect();
            if !matching.is_empty() && !matching.iter().any(|(_, lines)| lines.iter().all(shown)) {
                for (code, lines) in matching {
                    let unseen: Vec<&String> = lines.iter().filter(|p| !shown(p)).collect();
                    eprintln!("{case:?}: {code} promised lines never shown: {unseen:?}");
                }
                gaps.push(Gap::Line);
            }
        }
        // Before its panic the kernel prints every line about the root it could not
        // mount, so each one bootvet predicts must be on the console, not only the
        // panic: Linux has two forms, by whether a block filesystem is built in.
        if observed.outcome == Outcome::KernelPanic && !gaps.contains(&Gap::Line) {
            let unseen = said
                .will_print
                .iter()
                .filter(|p| ROOT_MOUNT_LINES.iter().any(|k| p.starts_with(k)))
                .any(|p| !printed.lines().any(|l| line_matches(p, l)));
            if unseen {
                gaps.push(Gap::Line);
            }
        }
        Row {
            case,
            outcome: observed.outcome.clone(),
            line: observed.line.clone(),
            said: said.clone(),
            wall,
            gaps,
            line_note,
        }
    }

    /// bootvet's exit status, and `--unattended`'s where it differs (a boot that
    /// waits for a person: `0, --unattended 3`).
    fn exit(&self) -> String {
        if self.said.unattended_exit == self.said.exit {
            self.said.exit.to_string()
        } else {
            format!(
                "{}, --unattended {}",
                self.said.exit, self.said.unattended_exit
            )
        }
    }

    pub fn summary(&self) -> String {
        format!(
            "{} {} {} MiB: {} ({}); bootvet exit {} [{}]; gaps: {:?} ({:.0} s)",
            self.case.scenario,
            self.case.platform,
            self.case.memory_mib,
            self.outcome.name(),
            self.line.as_deref().unwrap_or("-"),
            self.exit(),
            self.said.codes.join(" "),
            self.gaps,
            self.wall.as_secs_f64()
        )
    }
}

/// Issue 17: systemd's emergency mode, both ways. A boot that ended there is one
/// bootvet said would (a BV4206 or BV4207 finding on the next entry whose lines
/// end in emergency mode), the first line systemd printed (its `Timed out waiting
/// for device` line) matches that finding's timeout line, and the emergency
/// lines it names are on the console; a boot bootvet said would end there (and
/// nothing else) did.
pub fn assert_emergency_named(case: &Case, observed: &Observed, said: &Said, printed: &str) {
    let name = format!("{}-{}", case.scenario, case.platform);
    let emergency: Vec<&Vec<String>> = said
        .by_finding
        .iter()
        .filter(|(code, lines)| {
            matches!(code.as_str(), "BV4206" | "BV4207")
                && lines
                    .iter()
                    .any(|l| l.starts_with("You are in emergency mode."))
        })
        .map(|(_, lines)| lines)
        .collect();
    let ended_there = observed.outcome == Outcome::EmergencyMode;
    // The other way only when nothing else bootvet found stops the boot sooner.
    let only_tabs = said
        .codes
        .iter()
        .all(|c| matches!(c.as_str(), "BV4206" | "BV4207" | "BV4208"));
    assert!(
        if ended_there {
            !emergency.is_empty()
        } else {
            emergency.is_empty() || !only_tabs
        },
        "{name}: the boot ended in {}, bootvet's emergency-mode findings: {emergency:?}",
        observed.outcome.name()
    );
    if !ended_there {
        return;
    }
    let seen = observed.line.as_deref().unwrap_or_default();
    assert!(
        seen.contains("Timed out waiting for device "),
        "{name}: systemd's first line {seen:?}"
    );
    let lines = emergency.iter().flat_map(|l| l.iter());
    let timeout: Vec<&String> = lines
        .clone()
        .filter(|l| l.contains("Timed out waiting for device "))
        .collect();
    assert!(
        timeout.iter().any(|p| line_matches(p, seen)),
        "{name}: systemd printed {seen:?}, bootvet's timeout lines {timeout:?}"
    );
    // The emergency shell's lines: systemd-sulogin-shell's, then sulogin's
    // prompt for root's password as /etc/shadow has it (locked or not).
    let shell = [
        "You are in",
        "Give root",
        "Press Enter",
        "Cannot open access",
        "See sulogin",
    ];
    for p in lines
        .clone()
        .filter(|l| shell.iter().any(|s| l.starts_with(s)))
    {
        assert!(
            printed.lines().any(|l| line_matches(p, l)),
            "{name}: bootvet's {p:?} is not on the console"
        );
    }
    // Every `Dependency failed for` line systemd printed, and only those. Their
    // order is not compared: units failed by the same unit come in the order
    // of systemd's hashmaps, keyed at random at each boot.
    let depend: Vec<&str> = printed
        .lines()
        .filter(|l| l.contains("Dependency failed for "))
        .collect();
    let predicted: Vec<&String> = lines
        .filter(|l| l.contains("Dependency failed for "))
        .collect();
    let mut unmatched = depend.clone();
    for p in &predicted {
        let at = unmatched.iter().position(|l| line_matches(p, l));
        assert!(
            at.is_some(),
            "{name}: bootvet's {p:?} is not among systemd's {depend:?}"
        );
        if let Some(at) = at {
            unmatched.remove(at);
        }
    }
    assert!(
        unmatched.is_empty(),
        "{name}: systemd also printed {unmatched:?}; bootvet's lines: {predicted:?}"
    );
}

/// Matrix order: scenario as listed, then pc before efi.
pub fn order<'a>(case: &Case, scenarios: impl Iterator<Item = &'a str>) -> (usize, bool) {
    let i = scenarios
        .into_iter()
        .position(|s| s == case.scenario)
        .unwrap_or(usize::MAX);
    (i, case.platform != "pc")
}

fn boot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/boot")
}

/// fixtures/boot/KNOWN-GAPS.tsv: `scenario  platform  kind  issue  what happened / what
/// bootvet said`, tab-separated; `#` starts a comment.
fn known_gaps() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(boot_dir().join("KNOWN-GAPS.tsv"))
        .expect("read fixtures/boot/KNOWN-GAPS.tsv");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert!(
                f.len() >= 5 && f[3].starts_with('#'),
                "KNOWN-GAPS.tsv: want scenario, platform, kind, #issue, note: {l:?}"
            );
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

fn cell(s: &str) -> String {
    s.replace(['\t', '\n'], " ").replace('|', "\\|")
}

fn tsv(rows: &[Row], release: &str) -> String {
    let mut out = format!(
        "# Generated by tests/boot.rs (BOOTVET_BOOT_WRITE=1); do not edit.\n\
         # kernel: {release}\n\
         # scenario\tplatform\tmemory_mib\toutcome\tfirst line\tbootvet exit\tcodes\tgaps\twall_s\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.1}\n",
            r.case.scenario,
            r.case.platform,
            r.case.memory_mib,
            r.outcome.name(),
            cell(r.line.as_deref().unwrap_or("-")),
            r.exit(),
            r.said.codes.join(" "),
            r.gaps
                .iter()
                .map(|g| g.name())
                .collect::<Vec<_>>()
                .join(","),
            r.wall.as_secs_f64()
        ));
    }
    out
}

/// The part of each results.tsv row that must not change between runs: not the time,
/// and not the kernel's release (Debian's point releases move it; file names hold it).
fn stable(tsv: &str) -> Vec<String> {
    let release = tsv
        .lines()
        .find_map(|l| l.strip_prefix("# kernel: "))
        .unwrap_or("")
        .trim();
    tsv.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit_once('\t').map_or(l, |(a, _)| a))
        .map(|l| {
            if release.is_empty() {
                l.to_string()
            } else {
                l.replace(release, "<release>")
            }
        })
        .collect()
}

fn table(rows: &[Row], wall: Duration) -> String {
    let mut out = String::from(
        "| scenario | platform | RAM | what really happened | first line GRUB or the kernel printed | bootvet | agrees | boot time |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        // Double backticks: GRUB's messages hold backticks themselves.
        let line = match &r.line {
            Some(l) => format!("`` {} ``", cell(l)),
            None => "-".to_string(),
        };
        let agrees = if r.gaps.is_empty() {
            match r.line_note {
                Some(note) => format!("yes ({note})"),
                None => "yes".to_string(),
            }
        } else {
            format!(
                "**no** ({})",
                r.gaps
                    .iter()
                    .map(|g| g.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push_str(&format!(
            "| {} | {} | {} MiB | {} | {} | exit {} {} | {} | {:.0} s |\n",
            r.case.scenario,
            r.case.platform,
            r.case.memory_mib,
            r.outcome.name(),
            line,
            r.exit(),
            r.said.codes.join(" "),
            agrees,
            r.wall.as_secs_f64()
        ));
    }
    // Times depend on the machine's load: TCG shares the cores with everything else.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let booting: f64 = rows.iter().map(|r| r.wall.as_secs_f64()).sum();
    out.push_str(&format!(
        "\n{} boots, {} at a time: {:.0} s wall for the whole suite (build, check, boot; \
         the boots alone {:.0} s summed, longest {:.0} s), on {} cores at load {} \
         (1/5/15 min) when it ended.\n",
        rows.len(),
        std::env::var("BOOTVET_BOOT_JOBS").unwrap_or_else(|_| "2".into()),
        wall.as_secs_f64(),
        booting,
        rows.iter()
            .map(|r| r.wall.as_secs_f64())
            .fold(0.0, f64::max),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" / ")
    ));
    out
}

const BEGIN: &str = "<!-- BEGIN generated by tests/boot.rs (BOOTVET_BOOT_WRITE=1) -->\n";
const END: &str = "<!-- END generated -->\n";

fn write_readme(rows: &[Row], wall: Duration) {
    let path = boot_dir().join("README.md");
    let text = std::fs::read_to_string(&path).expect("read fixtures/boot/README.md");
    let (Some(a), Some(b)) = (text.find(BEGIN), text.find(END)) else {
        panic!("fixtures/boot/README.md lacks the generated-table markers");
    };
    let new = format!("{}{BEGIN}{}{}", &text[..a], table(rows, wall), &text[b..]);
    std::fs::write(&path, new).expect("write fixtures/boot/README.md");
}

/// The assertions of the suite, and the generated files.
/// `release`: the kernel's, to tell it from the rest of a row.
pub fn judge(rows: &[Row], wall: Duration, full_matrix: bool, release: &str) {
    let listed = known_gaps();
    let mut problems = Vec::new();
    for r in rows {
        for g in &r.gaps {
            let key = (
                r.case.scenario.clone(),
                r.case.platform.clone(),
                g.name().to_string(),
            );
            if !listed.contains(&key) {
                problems.push(format!("unlisted {} gap: {}", g.name(), r.summary()));
            }
        }
    }
    for (scenario, platform, kind) in &listed {
        let Some(r) = rows
            .iter()
            .find(|r| &r.case.scenario == scenario && &r.case.platform == platform)
        else {
            continue; // not run (BOOTVET_BOOT_ONLY)
        };
        if !r.gaps.iter().any(|g| g.name() == kind) {
            problems.push(format!(
                "KNOWN-GAPS.tsv lists a {kind} gap that is closed now (remove it): {}",
                r.summary()
            ));
        }
    }
    let fresh = tsv(rows, release);
    let results = boot_dir().join("results.tsv");
    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::write(out_dir.join("boot-results.tsv"), &fresh);
    if std::env::var_os("BOOTVET_BOOT_WRITE").is_some() {
        assert!(
            full_matrix,
            "BOOTVET_BOOT_WRITE needs the whole matrix (no BOOTVET_BOOT_ONLY)"
        );
        std::fs::write(&results, &fresh).expect("write fixtures/boot/results.tsv");
        write_readme(rows, wall);
    } else {
        let committed = std::fs::read_to_string(&results).unwrap_or_default();
        let mut committed = stable(&committed);
        let mut fresh_rows = stable(&fresh);
        if !full_matrix {
            // A subset (CI's, or ONLY): the boots that ran and have a committed row
            // (a scenario not yet regenerated has none).
            let key = |l: &String| l.split('\t').take(2).collect::<Vec<_>>().join("\t");
            let ran: BTreeSet<String> = fresh_rows.iter().map(key).collect();
            committed.retain(|l| ran.contains(&key(l)));
            let known: BTreeSet<String> = committed.iter().map(key).collect();
            fresh_rows.retain(|l| known.contains(&key(l)));
        }
        if committed != fresh_rows {
            problems.push(format!(
                "the ground truth changed: compare {} with {}; if the new one is right, \
                 rerun with BOOTVET_BOOT_WRITE=1 and commit it",
                results.display(),
                out_dir.join("boot-results.tsv").display()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(outcome: Outcome, line: Option<&str>, exit: i32, waits: bool, unattended: i32) -> Row {
        let case = Case {
            scenario: "s".into(),
            platform: "pc".into(),
            memory_mib: 512,
        };
        let observed = Observed {
            outcome,
            line: line.map(str::to_string),
            by_initramfs: false,
            gave_up: false,
        };
        let said = Said {
            exit,
            codes: if waits { vec!["BV2101".into()] } else { vec![] },
            will_print: if waits {
                vec!["GNU GRUB  version …".into()]
            } else {
                vec![]
            },
            waits_at: if waits { vec!["warning"] } else { vec![] },
            unattended_exit: unattended,
            unattended_waits: waits && unattended == 3,
            ..Said::default()
        };
        Row::new(case, &observed, &said, "", Duration::ZERO)
    }

    #[test]
    fn every_root_mount_line_predicted_must_be_on_the_console() {
        // What Debian's 6.1 kernel printed in `no-initrd-line`: no block
        // filesystem built in, nothing tried.
        let console = "[    3.57] List of all partitions:\n[    3.57] No filesystem could mount root, tried: \n[    3.58] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n";
        let panic =
            "Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)";
        let judged = |will_print: &[&str]| {
            let said = Said {
                exit: 3,
                codes: vec!["BV4103".into()],
                will_print: will_print.iter().map(|l| l.to_string()).collect(),
                unattended_exit: 3,
                ..Said::default()
            };
            let observed = Observed {
                outcome: Outcome::KernelPanic,
                line: Some(panic.into()),
                by_initramfs: false,
                gave_up: false,
            };
            let case = Case {
                scenario: "s".into(),
                platform: "pc".into(),
                memory_mib: 512,
            };
            Row::new(case, &observed, &said, console, Duration::ZERO).gaps
        };
        let seen = [
            "List of all partitions:",
            "No filesystem could mount root, tried:",
            panic,
        ];
        assert!(judged(&seen).is_empty());
        // The form of a kernel with ext4 built in: its panic line matches, its
        // first two lines were never printed.
        let other = [
            "VFS: Cannot open root device \"UUID=7d0c…\" or unknown-block(0,0): error -6",
            "Please append a correct \"root=\" boot option; here are the available partitions:",
            panic,
        ];
        assert_eq!(judged(&other), [Gap::Line]);
    }

    #[test]
    fn every_line_of_the_finding_whose_line_was_shown_must_be_on_the_console() {
        // What Debian's initramfs printed in deb-rootfstype-ext3.
        let console = "mount: mounting /dev/vda4 on /root failed: Invalid argument\nFailed to mount /dev/vda4 as root file system.\n(initramfs) ";
        let failed = "Failed to mount /dev/vda4 as root file system.";
        let judged = |by_finding: Vec<(&str, Vec<&str>)>| {
            let by_finding: Vec<(String, Vec<String>)> = by_finding
                .into_iter()
                .map(|(c, l)| (c.to_string(), l.into_iter().map(str::to_string).collect()))
                .collect();
            let said = Said {
                exit: 3,
                codes: by_finding.iter().map(|(c, _)| c.clone()).collect(),
                will_print: by_finding.iter().flat_map(|(_, l)| l.clone()).collect(),
                unattended_exit: 3,
                by_finding,
                ..Said::default()
            };
            let observed = Observed {
                outcome: Outcome::InitramfsShell,
                line: Some(failed.into()),
                by_initramfs: false,
                gave_up: false,
            };
            let case = Case {
                scenario: "s".into(),
                platform: "pc".into(),
                memory_mib: 512,
            };
            Row::new(case, &observed, &said, console, Duration::ZERO).gaps
        };
        let shown = vec![
            "mount: mounting … on /root failed: …",
            "Failed to mount … as root file system.",
            "(initramfs) ",
        ];
        assert!(judged(vec![("BV4210", shown.clone())]).is_empty());
        // A driver message the silent mount never printed.
        let mut promised = shown.clone();
        promised.insert(
            0,
            "EXT4-fs (…): couldn't mount as ext3 due to feature incompatibilities",
        );
        assert_eq!(judged(vec![("BV4210", promised)]), [Gap::Line]);
        // Another finding's lines (a failure the boot never reached) are not its.
        let later = vec!["Gave up waiting for root file system device.  Common problems:"];
        assert!(judged(vec![("BV4210", shown.clone()), ("BV4107", later)]).is_empty());
        // Two findings name the shown line: one shown whole is enough.
        let sharing = vec![
            "Failed to mount … as root file system.",
            "Press any key to continue...",
        ];
        assert!(judged(vec![("BV3001", sharing.clone()), ("BV4210", shown)]).is_empty());
        assert_eq!(judged(vec![("BV3001", sharing)]), [Gap::Line]);
    }

    #[test]
    fn a_menu_that_waits_agrees_only_with_a_wait_that_unattended_fails() {
        let banner = Some("GNU GRUB  version 2.06-13+deb12u2");
        assert!(row(Outcome::MenuWaits, banner, 0, true, 3).gaps.is_empty());
        assert_eq!(
            row(Outcome::MenuWaits, banner, 0, false, 0).gaps,
            [Gap::Verdict, Gap::Unattended, Gap::Line]
        );
        // Said to wait, and --unattended not failing it.
        assert_eq!(
            row(Outcome::MenuWaits, banner, 0, true, 0).gaps,
            [Gap::Unattended]
        );
        // "Will fail" for a machine that waits: not what happened.
        assert_eq!(
            row(Outcome::MenuWaits, banner, 3, true, 3).gaps,
            [Gap::Verdict]
        );
        // Booted by itself: no wait may be predicted, and --unattended must pass.
        assert!(row(Outcome::Booted, None, 0, false, 0).gaps.is_empty());
        // Said to fail both ways for another reason: the verdict's gap only.
        assert_eq!(row(Outcome::Booted, None, 3, false, 3).gaps, [Gap::Verdict]);
        assert_eq!(
            row(Outcome::Booted, None, 0, true, 3).gaps,
            [Gap::Verdict, Gap::Unattended]
        );
    }
}
