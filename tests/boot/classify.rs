//! What really happened in one boot, read from the serial log and (pc) the text
//! screen: the end state, and the first line GRUB or the kernel printed about it.

/// The line the root filesystem's /sbin/init prints (fixtures/boot/root-init.sh).
pub const MARKER: &str = "bootvet-boot-marker:";
/// Every message of the busybox initramfs's /init starts with this.
const INITRAMFS: &str = "bootvet-initramfs:";
/// The first words Debian's initramfs-tools (0.142) prints when it gives up:
/// scripts/local's local_device_setup (`Gave up waiting for ${name} device.  Common
/// problems:`, then panic "ALERT!  ${dev_id} does not exist.  Dropping to a shell!"),
/// init's `Target filesystem doesn't have requested ${init}.` and `No init found.`;
/// panic() ends in the `(initramfs)` shell.
const DEBIAN_INITRAMFS: &[&str] = &[
    "Gave up waiting for ",
    "ALERT!  ",
    "Target filesystem doesn't have requested ",
    "No init found.",
    "(initramfs)",
];
/// GRUB 2.06's menu (grub-core/normal/menu_text.c `print_message` and
/// normal/main.c's banner `GNU GRUB  version %s`), drawn on the serial terminal
/// through terminfo and on the pc screen.
const MENU_BANNER: &str = "GNU GRUB  version ";
/// menu_text.c `print_timeout`: the countdown under the menu. Seen, the menu does
/// not wait: it boots when the count ends.
const MENU_COUNTDOWN: &str = "The highlighted entry will be executed automatically in ";
/// normal/auth.c `grub_auth_check_authentication`: the prompt of a restricted entry
/// (`grub_puts_ (N_("Enter username: "))`), then `grub_username_get` reads keys until
/// Enter, for ever.
const USERNAME_PROMPT: &str = "Enter username:";
/// What GRUB prints once something is on its way: menu.c `notify_booting`
/// (`Booting `%s'`, an entry chosen from a drawn menu) and 10_linux's `echo`.
const MENU_LEFT: &[&str] = &["Booting `", "Loading Linux "];

/// scripts/local's `panic "Failed to mount ${ROOT} as root file system."` (the
/// root mount itself failed, as for a btrfs `subvol=` that is not there): where
/// it starts. Matched whole, so systemd's own `Failed to mount` lines are not it.
fn debian_mount_failure(line: &str) -> Option<usize> {
    let at = line.find("Failed to mount ")?;
    line[at..].contains(" as root file system.").then_some(at)
}

/// systemd-sulogin-shell's `print_mode("emergency")` (systemd 252,
/// src/sulogin-shell/sulogin-shell.c), printed by emergency.service on the console.
const EMERGENCY: &str = "You are in emergency mode.";
/// What systemd prints before it gives up on the boot: a job's timeout
/// (src/core/device.c `finished_start_job[JOB_TIMEOUT]`, "Timed out waiting for
/// device %s.") and each unit that needed it (src/core/job.c
/// `job_get_done_status_message_format`, "Dependency failed for %s.").
const SYSTEMD_GAVE_UP: &[&str] = &["Timed out waiting for ", "Dependency failed for "];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The root's /sbin/init ran.
    Booted,
    /// GRUB printed an error and never started a kernel.
    GrubError,
    /// `grub rescue>`: normal.mod could not be loaded.
    GrubRescue,
    /// `grub>`: normal mode without a menu (no grub.cfg).
    GrubPrompt,
    KernelPanic,
    /// The initramfs gave up and started a shell.
    InitramfsShell,
    /// systemd (the root's init) stopped the boot at emergency.target: its
    /// `You are in emergency mode.` on the console (issue 17).
    EmergencyMode,
    /// shim refused the second stage (its alert box `Verification failed: (0x1A)
    /// Security Violation`): GRUB never ran.
    ShimRefused,
    /// shim could not open its second stage (`Failed to open \EFI\BOOT\grubx64.efi
    /// - Not Found`) and went back to the firmware: GRUB never ran.
    ShimFailed,
    /// The firmware refused the first loader (OVMF: `BdsDxe: failed to load
    /// Boot#### "…" from …: Access Denied`): nothing of shim or GRUB ran.
    FirmwareRefused,
    /// The machine reset (QEMU runs with -no-reboot, so it exited) before any of the above.
    Reset,
    /// GRUB waits for a person and nothing boots: its menu with no countdown, or a
    /// restricted entry's `Enter username:` (the runner stops once it stayed so).
    MenuWaits,
    /// Nothing of the above before the time limit.
    Hang,
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Booted => "booted",
            Outcome::GrubError => "GRUB error",
            Outcome::GrubRescue => "grub rescue>",
            Outcome::GrubPrompt => "grub>",
            Outcome::KernelPanic => "kernel panic",
            Outcome::InitramfsShell => "initramfs shell",
            Outcome::EmergencyMode => "emergency mode",
            Outcome::ShimRefused => "shim refused",
            Outcome::ShimFailed => "shim failed",
            Outcome::FirmwareRefused => "firmware refused",
            Outcome::MenuWaits => "waits at the menu",
            Outcome::Reset => "reset",
            Outcome::Hang => "hang",
        }
    }

    /// A state the machine stays in: the runner can stop the boot.
    fn is_final(&self) -> bool {
        matches!(
            self,
            Outcome::Booted
                | Outcome::GrubRescue
                | Outcome::GrubPrompt
                | Outcome::KernelPanic
                | Outcome::InitramfsShell
                | Outcome::EmergencyMode
                | Outcome::ShimRefused
                | Outcome::ShimFailed
                | Outcome::FirmwareRefused
                | Outcome::MenuWaits
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub outcome: Outcome,
    /// The first line GRUB, the kernel or the initramfs printed about the failure
    /// (None when it booted, or reset/hung without a word).
    pub line: Option<String>,
    /// Who printed `line`: GRUB and the kernel are compared with bootvet's
    /// will-print lines; the busybox initramfs's own words are not Debian's.
    pub by_initramfs: bool,
    /// GRUB said `Failed to boot both default and fallback entries.` and went back
    /// to its menu, where it waits for a key: the runner can stop.
    pub gave_up: bool,
}

impl Observed {
    pub fn is_final(&self) -> bool {
        self.outcome.is_final() || self.gave_up
    }
}

/// Removes terminal control sequences (CSI `ESC [ … final`, `ESC c`, `ESC ( B` and
/// the like) and carriage returns, which GRUB and OVMF write between characters.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    // Parameters and intermediates, then one final byte in @..~.
                    // Any other character ends the sequence unfinished and is
                    // kept: systemd's status lines cut by `ellipsize()` can end
                    // an escape with its `…` (`\e[0;1;…[0m`, see mend_cut).
                    while let Some(c) = chars.next_if(|c| (' '..='~').contains(c)) {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some('(') | Some(')') => {
                    chars.next();
                }
                _ => {}
            },
            '\r' => {}
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// `[    1.234567] text` → `text`.
fn without_timestamp(line: &str) -> &str {
    let t = line.trim_start();
    if let Some((stamp, rest)) = t.strip_prefix('[').and_then(|r| r.split_once(']'))
        && stamp.trim().chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return rest.trim_start();
    }
    t
}

/// Classifies one boot. `serial` is the raw serial log, `screen` the text screen's
/// lines in the order they first appeared (empty on efi, where OVMF copies its
/// console to the serial port), `exited` whether QEMU stopped by itself (with
/// -no-reboot: power-off or reset).
pub fn classify(serial: &str, screen: &[String], exited: bool) -> Observed {
    let clean = strip_ansi(serial);
    let lines: Vec<&str> = clean
        .lines()
        .map(without_timestamp)
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let kernel_start = lines.iter().position(|l| l.starts_with("Linux version "));
    let grub_lines: Vec<&str> = screen
        .iter()
        .map(|l| l.trim())
        .chain(lines[..kernel_start.unwrap_or(lines.len())].iter().copied())
        .collect();
    let first_grub_error = grub_lines
        .iter()
        .find_map(|l| l.find("error: ").map(|at| l[at..].to_string()));
    let any = |pred: &dyn Fn(&str) -> bool| grub_lines.iter().any(|l| pred(l));

    let (outcome, line, by_initramfs) = if lines.iter().any(|l| l.contains(MARKER)) {
        (Outcome::Booted, None, false)
    } else if lines.iter().any(|l| l.contains(EMERGENCY)) {
        // The first line of systemd's giving up, with its `[ TIME ]`/`[DEPEND]`
        // status prefix; else the emergency line itself.
        let first = lines
            .iter()
            .find(|l| SYSTEMD_GAVE_UP.iter().any(|m| l.contains(m)))
            .or_else(|| lines.iter().find(|l| l.contains(EMERGENCY)));
        (Outcome::EmergencyMode, first.map(|l| mend_cut(l)), false)
    } else if let Some(l) = lines.iter().find(|l| l.contains(INITRAMFS)) {
        (Outcome::InitramfsShell, Some(l.to_string()), true)
    } else if let Some(l) = lines.iter().find_map(|l| {
        DEBIAN_INITRAMFS
            .iter()
            .find_map(|m| l.find(m))
            .or_else(|| debian_mount_failure(l))
            .map(|at| l[at..].to_string())
    }) {
        // Debian's own words: compared with bootvet's like GRUB's and the kernel's.
        (Outcome::InitramfsShell, Some(l), false)
    } else if let Some(l) = lines.iter().find_map(|l| {
        l.find("Kernel panic - not syncing")
            .map(|at| l[at..].trim_end_matches(" ]---").to_string())
    }) {
        (Outcome::KernelPanic, Some(l), false)
    } else if let Some(l) = firmware_refusal(&grub_lines) {
        (Outcome::FirmwareRefused, Some(l), false)
    } else if let Some(l) = shim_refusal(&lines[..kernel_start.unwrap_or(lines.len())]) {
        (Outcome::ShimRefused, Some(l), false)
    } else if let Some(l) = shim_open_failure(&lines[..kernel_start.unwrap_or(lines.len())]) {
        (Outcome::ShimFailed, Some(l), false)
    } else if any(&|l| l.contains("grub rescue>")) {
        let line = first_grub_error
            .clone()
            .or_else(|| Some("grub rescue>".into()));
        (Outcome::GrubRescue, line, false)
    } else if any(&|l| l.starts_with("grub>")) {
        let line = first_grub_error.clone().or_else(|| Some("grub>".into()));
        (Outcome::GrubPrompt, line, false)
    } else if let Some(l) = menu_waits(&grub_lines, kernel_start.is_some(), exited) {
        (Outcome::MenuWaits, Some(l), false)
    } else if kernel_start.is_none() && first_grub_error.is_some() && !exited {
        (Outcome::GrubError, first_grub_error.clone(), false)
    } else if exited {
        (Outcome::Reset, first_grub_error.clone(), false)
    } else {
        (Outcome::Hang, first_grub_error.clone(), false)
    };
    // A GRUB error before a kernel that then fails (initrd missing → panic) is the
    // first line the person at the console sees.
    let (line, by_initramfs) = match (&outcome, &first_grub_error) {
        (Outcome::KernelPanic | Outcome::InitramfsShell, Some(e)) => (Some(e.clone()), false),
        _ => (line, by_initramfs),
    };
    let gave_up = kernel_start.is_none()
        && any(&|l| l.contains("Failed to boot both default and fallback entries"));
    Observed {
        outcome,
        line,
        by_initramfs,
        gave_up,
    }
}

/// GRUB waiting for a person (BV2101, BV2102): its login prompt, or its menu drawn
/// with no countdown under it, and nothing started after either; the line is the
/// prompt, or the menu's banner (`GNU GRUB  version 2.06-…`). Not after GRUB gave
/// up on its entries (`Failed to boot both default and fallback entries.`: its menu
/// then waits too, but that boot failed on its own first) nor after an `error:`.
fn menu_waits(grub_lines: &[&str], kernel_started: bool, exited: bool) -> Option<String> {
    let seen = |m: &str| grub_lines.iter().any(|l| l.contains(m));
    if kernel_started
        || exited
        || seen("Failed to boot both default and fallback entries")
        || seen("error: ")
        || seen("Loading Linux ")
    {
        return None;
    }
    // The entry's `Booting `…'` comes before its login prompt (menu.c
    // `grub_menu_execute_with_fallback` notifies, then `grub_menu_execute_entry`
    // checks the user).
    // The prompt's own words: on efi GRUB writes it to the firmware's console
    // and to the serial port, which OVMF's copy joins on one line.
    if seen(USERNAME_PROMPT) {
        return Some(USERNAME_PROMPT.to_string());
    }
    if seen(MENU_COUNTDOWN) || MENU_LEFT.iter().any(|m| seen(m)) {
        return None;
    }
    grub_lines
        .iter()
        .find_map(|l| l.find(MENU_BANNER).map(|at| l[at..].trim_end().to_string()))
}

/// systemd 252's `ellipsize()` counts an escape sequence's bytes as characters
/// and may cut through one (deb-fstab-esp-stale's console: `device
/// \e[0;1;…[0m - /dev/disk/by-uuid/9A3F-11C2.`): strip_ansi keeps the `…` and
/// drops the start; this drops the end that follows it (`[0m`).
fn mend_cut(line: &str) -> String {
    let Some((head, tail)) = line.split_once('…') else {
        return line.to_string();
    };
    let rest = tail
        .strip_prefix('[')
        .map(|t| t.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';'))
        .and_then(|t| t.strip_prefix('m'));
    format!("{head}…{}", rest.unwrap_or(tail))
}

/// The firmware's refusal of the first loader under Secure Boot: edk2's
/// DxeImageVerificationLib denies it (EFI_ACCESS_DENIED), and OVMF's boot manager
/// reports the load option it could not load (`BdsDxe: failed to load Boot0001
/// "UEFI Misc Device" from PciRoot(0x0)/Pci(0x2,0x0): Access Denied`, seen on
/// sb-unsigned-loader), then tries the next one.
fn firmware_refusal(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|l| {
        let at = l.find("BdsDxe: failed to load Boot")?;
        l.ends_with(": Access Denied").then(|| l[at..].to_string())
    })
}

/// shim's refusal of what it was to start (`shim.c: start_image()` →
/// `console_error(L"Verification failed", efi_status)`, drawn in an alert box by
/// `console_alertbox()`): the message without the box's frame, which OVMF's serial
/// console writes as bytes that are not UTF-8 (box drawing) around it.
fn shim_refusal(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|l| {
        let at = l.find("Verification failed: ")?;
        let text = &l[at..];
        let end = text
            .find(|c: char| c == '\u{fffd}' || !(' '..='~').contains(&c))
            .unwrap_or(text.len());
        let text = text[..end].trim_end();
        // Only the box's own words: cut at its padding (runs of spaces).
        Some(text.split("  ").next().unwrap_or(text).to_string())
    })
}

/// shim's failure to open the loader it starts (shim.c `load_image()`: `perror(L"Failed
/// to open %s - %r\n", …)`, then `start_image() returned Not Found`), seen on
/// sb-shim-no-grub: shim tries its default loader twice, returns, and OVMF goes on
/// to its next boot option.
fn shim_open_failure(lines: &[&str]) -> Option<String> {
    lines.iter().find_map(|l| {
        let at = l.find("Failed to open \\")?;
        l[at..].contains(" - ").then(|| l[at..].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_timestamps_go() {
        let raw = "\u{1b}[0merror: file `/grub/i386-pc/n\u{1b}[12;28H\u{1b}[12;29Hormal.mod' not found.\r\n";
        assert_eq!(
            strip_ansi(raw),
            "error: file `/grub/i386-pc/normal.mod' not found.\n"
        );
        assert_eq!(
            without_timestamp("[    3.854289] reboot: Power down"),
            "reboot: Power down"
        );
        assert_eq!(without_timestamp("[x] y"), "[x] y");
    }

    #[test]
    fn shim_without_its_second_stage() {
        // OVMF's serial console on sb-shim-no-grub (Debian's shim 16.1, Secure Boot on).
        let serial = "BdsDxe: starting Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x2,0x0)\r\n\
            Failed to open \\EFI\\BOOT\\grubx64.efi - Not Found\r\n\
            Failed to load image \\EFI\\BOOT\\grubx64.efi: Not Found\r\n\
            start_image() returned Not Found, falling back to default loader\r\n\
            BdsDxe: No bootable option or device was found.\r\n";
        let seen = classify(serial, &[], true);
        assert_eq!(seen.outcome, Outcome::ShimFailed);
        assert_eq!(
            seen.line.as_deref(),
            Some("Failed to open \\EFI\\BOOT\\grubx64.efi - Not Found")
        );
    }

    #[test]
    fn rescue_from_the_screen() {
        let screen = vec![
            "GRUB loading.".to_string(),
            "Welcome to GRUB!".to_string(),
            "error: file `/grub/i386-pc/normal.mod' not found.".to_string(),
            "grub rescue>".to_string(),
        ];
        let o = classify("", &screen, false);
        assert_eq!(o.outcome, Outcome::GrubRescue);
        assert_eq!(
            o.line.as_deref(),
            Some("error: file `/grub/i386-pc/normal.mod' not found.")
        );
    }

    #[test]
    fn grub_error_then_panic_names_the_grub_error() {
        let serial = "Loading initial ramdisk ...\nerror: file `/initrd.img-6.1' not found.\n\
                      [    0.000000] Linux version 6.1.0\n\
                      [    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---\n";
        let o = classify(serial, &[], false);
        assert_eq!(o.outcome, Outcome::KernelPanic);
        assert_eq!(
            o.line.as_deref(),
            Some("error: file `/initrd.img-6.1' not found.")
        );
        let o = classify(&serial.replace("error: file", "ok"), &[], false);
        assert_eq!(
            o.line.as_deref(),
            Some("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")
        );
    }

    #[test]
    fn debians_root_mount_failure_and_not_systemds_mount_lines() {
        let serial = "Begin: Mounting root file system ... \n\
                      mount: mounting /dev/vda4 on /root failed: No such file or directory\n\
                      Failed to mount /dev/vda4 as root file system.\n\n\n(initramfs) ";
        let o = classify(serial, &[], false);
        assert_eq!(o.outcome, Outcome::InitramfsShell);
        assert_eq!(
            o.line.as_deref(),
            Some("Failed to mount /dev/vda4 as root file system.")
        );
        let systemd = "[FAILED] Failed to mount boot-efi.mount - /boot/efi.\n";
        assert_eq!(debian_mount_failure(systemd), None);
    }

    #[test]
    fn marker_prompt_reset_hang() {
        assert_eq!(
            classify("x\nbootvet-boot-marker: hi\n", &[], true).outcome,
            Outcome::Booted
        );
        assert_eq!(classify("grub> ", &[], false).outcome, Outcome::GrubPrompt);
        assert_eq!(classify("GRUB loading.", &[], true).outcome, Outcome::Reset);
        assert_eq!(classify("GRUB loading.", &[], false).outcome, Outcome::Hang);
        let menu = "error: file `/vmlinuz' not found.\n  Failed to boot both default and fallback entries.\n";
        let o = classify(menu, &[], false);
        assert_eq!(
            (o.outcome.clone(), o.is_final()),
            (Outcome::GrubError, true)
        );
        assert!(!classify("error: out of memory.\n", &[], false).is_final());
        let o = classify(
            "bootvet-initramfs: no /sbin/init on /dev/vda4; dropping to a shell\n",
            &[],
            false,
        );
        assert_eq!(o.outcome, Outcome::InitramfsShell);
        assert!(o.by_initramfs);
    }

    #[test]
    fn refusals_by_shim_and_firmware_and_their_lines() {
        // As OVMF's serial console wrote it (sb-unsigned-grub): the frame's bytes are
        // code page 437 (0xB3 `│`), not UTF-8, its rows joined by cursor moves.
        let raw = b"BdsDxe: starting Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x2,0x0)\r\n\
            \xb3\x1b[04;01H\xb3          Verification failed: (0x1A) Security Violation          \xb3\x1b[05;01H\xb3   \r\n\
            Failed to load image: Security Policy Violation\r\n";
        let serial = String::from_utf8_lossy(raw);
        let o = classify(&serial, &[], false);
        assert_eq!(o.outcome, Outcome::ShimRefused);
        assert!(o.is_final());
        assert_eq!(
            o.line.as_deref(),
            Some("Verification failed: (0x1A) Security Violation")
        );
        let fw = "BdsDxe: loading Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x2,0x0)\r\n\
                  BdsDxe: failed to load Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x2,0x0): Access Denied\r\n";
        let o = classify(fw, &[], false);
        assert_eq!(o.outcome, Outcome::FirmwareRefused);
        assert_eq!(
            o.line.as_deref(),
            Some(
                "BdsDxe: failed to load Boot0001 \"UEFI Misc Device\" from PciRoot(0x0)/Pci(0x2,0x0): Access Denied"
            )
        );
        // GRUB ran, then the kernel: not a refusal by shim.
        let grub = "Welcome to GRUB!\nerror: bad shim signature.\n";
        assert_eq!(classify(grub, &[], false).outcome, Outcome::GrubError);
    }

    #[test]
    fn emergency_mode_and_systemds_cut_lines() {
        // deb-fstab-esp-stale's serial log, as systemd 252 wrote it.
        let serial = "\u{1b}M\r\u{1b}[K[\u{1b}[0;1;31m TIME \u{1b}[0m] Timed out waiting for device \u{1b}[0;1;\u{2026}[0m - /dev/disk/by-uuid/9A3F-11C2.\r\r\n\
                      [\u{1b}[0;1;38;5;185mDEPEND\u{1b}[0m] Dependency failed for \u{1b}[0;1;39mboot-efi.mount\u{1b}[0m - /boot/efi.\r\r\n\
                      You are in emergency mode. After logging in, type \"journalctl -xb\" to view\r\n\
                      Give root password for maintenance\r\n(or press Control-D to continue): ";
        let o = classify(serial, &[], false);
        assert_eq!(o.outcome, Outcome::EmergencyMode);
        assert!(o.is_final());
        assert_eq!(
            o.line.as_deref(),
            Some("[ TIME ] Timed out waiting for device \u{2026} - /dev/disk/by-uuid/9A3F-11C2.")
        );
        assert_eq!(mend_cut("a …[0;1m b"), "a … b");
        assert_eq!(mend_cut("a … [x"), "a … [x");
        // No emergency mode: a boot that goes on after a timeout is not one.
        let o = classify(
            "[ TIME ] Timed out waiting for device x.\nbootvet-boot-marker: up\n",
            &[],
            true,
        );
        assert_eq!(o.outcome, Outcome::Booted);
    }

    #[test]
    fn debian_initramfs_words_are_compared() {
        let serial = "Begin: Running /scripts/local-block ... done.\r\n\
                      Gave up waiting for root file system device.  Common problems:\r\n\
                       - Boot args (cat /proc/cmdline)\r\n\
                      ALERT!  UUID=1111 does not exist.  Dropping to a shell!\r\n\
                      (initramfs) ";
        let o = classify(serial, &[], false);
        assert_eq!(o.outcome, Outcome::InitramfsShell);
        assert!(!o.by_initramfs);
        assert_eq!(
            o.line.as_deref(),
            Some("Gave up waiting for root file system device.  Common problems:")
        );
        let o = classify(
            "[    3.1] Target filesystem doesn't have requested /sbin/init.\n/ # ",
            &[],
            false,
        );
        assert_eq!(
            (o.outcome, o.line.as_deref()),
            (
                Outcome::InitramfsShell,
                Some("Target filesystem doesn't have requested /sbin/init.")
            )
        );
    }

    #[test]
    fn menu_that_waits_and_menus_that_do_not() {
        // As GRUB's serial terminal wrote it (menu-timeout-forever pc): the banner
        // placed by a cursor move, the frame, the help, no countdown.
        let menu = "\u{1b}[H\u{1b}[J\u{1b}[1;1H\u{1b}[2;24HGNU GRUB  version 2.06-13+deb12u2\n\r\n\r\
                    \u{1b}[m\u{1b}[4;2H+------+\u{1b}[19;2H\u{1b}[m     Use the ^ and v keys to select which entry is highlighted.\r\n";
        let o = classify(menu, &[], false);
        assert_eq!(o.outcome, Outcome::MenuWaits);
        assert!(o.is_final());
        assert_eq!(o.line.as_deref(), Some("GNU GRUB  version 2.06-13+deb12u2"));
        // The same menu with its countdown boots by itself; and once it booted,
        // or when it exited, it did not wait.
        let counting =
            format!("{menu}   The highlighted entry will be executed automatically in 5s.\r\n");
        assert_eq!(classify(&counting, &[], false).outcome, Outcome::Hang);
        let chosen = format!("{menu}  Booting `Debian GNU/Linux'\r\nLoading Linux 6.1 ...\r\n");
        assert_eq!(classify(&chosen, &[], false).outcome, Outcome::Hang);
        assert_eq!(classify(menu, &[], true).outcome, Outcome::Reset);
        // GRUB's menu after it gave up on its entries: that boot failed first.
        let gave_up = format!(
            "error: file `/vmlinuz' not found.\n  Failed to boot both default and fallback entries.\n{menu}"
        );
        assert_eq!(classify(&gave_up, &[], false).outcome, Outcome::GrubError);
        // A restricted entry (menu-superusers pc): `Booting`, then the login prompt
        // with no newline after it.
        let login = "SeaBIOS\r\n\u{1b}[H\u{1b}[J\u{1b}[1;1H  Booting `Debian GNU/Linux'\r\n\rEnter username: ";
        let o = classify(login, &[], false);
        assert_eq!(
            (o.outcome, o.line.as_deref()),
            (Outcome::MenuWaits, Some("Enter username:"))
        );
        let screen = vec![
            "  Booting `Debian GNU/Linux'".to_string(),
            "Enter username:".to_string(),
        ];
        assert_eq!(classify("", &screen, false).outcome, Outcome::MenuWaits);
    }
}
