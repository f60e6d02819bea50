//! Boots one image under QEMU (TCG) and watches it: the serial log, and on pc the
//! 80×25 text screen read through the monitor, until the machine reaches a state it
//! stays in, powers off, resets, or goes quiet for too long.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::classify::{Observed, Outcome, classify};

pub const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/// Secure Boot (issue 15): the code with SMM-protected variables, which refuses to
/// run on a machine without SMM; the image brings its own variable store
/// (`SCENARIO-efi.vars`, fixtures/boot/secure_boot.sh, from OVMF_VARS_4M.ms.fd).
pub const OVMF_CODE_SECBOOT: &str = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd";

pub struct Boot {
    pub observed: Observed,
    pub serial: String,
    pub screen: Vec<String>,
    pub wall: Duration,
}

/// Limits, generous because the cores are shared: a healthy pc boot takes 15 s on an
/// idle machine and over 45 s at load 13, GRUB reading the kernel and initrd through
/// the BIOS silently for most of it.
const TOTAL: Duration = Duration::from_secs(420);
/// No new output for this long once something was printed: a hang, or GRUB sitting
/// on `Press any key to continue...` and its menu.
const QUIET: Duration = Duration::from_secs(100);
/// After a final state, a moment for the rest of its lines (a panic's trace).
const SETTLE: Duration = Duration::from_secs(2);
/// GRUB's menu (or its login prompt) on the screen with nothing after it for this
/// long: it waits for a person (classify's MenuWaits), and the boot stops there.
const MENU_STAYS: Duration = Duration::from_secs(10);
const PRESS_ANY_KEY: &str = "Press any key to continue...";
/// shim's alert box (`console_error()`), which waits for a key before shim says
/// `Failed to load image: …` and returns to the firmware.
const SHIM_ALERT: &str = "Verification failed: ";

/// The variable store that comes with an image (Secure Boot scenarios): the first
/// disk's name with `.vars`.
pub fn var_store(disks: &[PathBuf]) -> Option<PathBuf> {
    let vars = disks.first()?.with_extension("vars");
    vars.exists().then_some(vars)
}

/// Boots `disks` (the first is the firmware's first; never written: `snapshot=on`) on
/// `platform` with `memory_mib`; `work` holds the logs, the monitor socket and the
/// copy of the OVMF variable store.
pub fn boot(disks: &[PathBuf], platform: &str, memory_mib: u32, work: &Path) -> Boot {
    std::fs::create_dir_all(work).expect("create the boot's work directory");
    let serial_log = work.join("serial.log");
    let monitor = work.join("monitor.sock");
    let _ = std::fs::remove_file(&serial_log);
    let _ = std::fs::remove_file(&monitor);
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args(["-accel", "tcg", "-m", &memory_mib.to_string()])
        // No -nographic: with it QEMU asks SeaBIOS to copy the text screen to the
        // serial port (sercon), interleaved with cursor moves; a real machine shows
        // what comes before grub.cfg on the screen only, which is read below.
        .args([
            "-display",
            "none",
            "-no-reboot",
            "-no-user-config",
            "-nodefaults",
        ])
        .args(["-vga", "std", "-serial"])
        .arg(format!("file:{}", serial_log.display()))
        .arg("-monitor")
        .arg(format!("unix:{},server=on,wait=off", monitor.display()));
    // build.sh writes SCENARIO-PLATFORM.bus for a machine whose disks are not
    // virtio: NVMe, which Debian's cloud kernel builds in.
    let nvme = disks.first().is_some_and(|d| {
        std::fs::read_to_string(d.with_extension("bus")).is_ok_and(|b| b.trim() == "nvme")
    });
    for (n, disk) in disks.iter().enumerate() {
        if nvme {
            cmd.arg("-drive")
                .arg(format!(
                    "file={},format=raw,if=none,id=disk{n},snapshot=on",
                    disk.display()
                ))
                .arg("-device")
                .arg(format!("nvme,drive=disk{n},serial=bootvet{n}"));
        } else {
            cmd.arg("-drive").arg(format!(
                "file={},format=raw,if=virtio,snapshot=on",
                disk.display()
            ));
        }
    }
    let secure = var_store(disks);
    if platform == "efi" {
        let vars = work.join("OVMF_VARS.fd");
        let (code, from) = match &secure {
            // q35 with SMM and the flash's secure mode: what the secboot build
            // needs to keep its variables from the OS (tcg: KVM here refused SMM).
            Some(store) => {
                cmd.args(["-machine", "q35,smm=on"])
                    .args(["-global", "driver=cfi.pflash01,property=secure,value=on"]);
                (OVMF_CODE_SECBOOT, store.clone())
            }
            // A scenario with boot entries has its own store (build.sh writes
            // SCENARIO-efi.vars.fd): QEMU writes its copy, bootvet reads the file.
            None => (
                OVMF_CODE,
                vars_store(&disks[0]).unwrap_or_else(|| PathBuf::from(OVMF_VARS)),
            ),
        };
        std::fs::copy(&from, &vars).expect("copy the OVMF variable store");
        cmd.arg("-drive")
            .arg(format!(
                "if=pflash,format=raw,unit=0,readonly=on,file={code}"
            ))
            .arg("-drive")
            .arg(format!(
                "if=pflash,format=raw,unit=1,file={}",
                vars.display()
            ));
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(work.join("qemu.stderr")).expect("create qemu.stderr"),
        ));
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start qemu-system-x86_64");
    let mut watch = Watch {
        monitor: None,
        monitor_path: monitor,
        screen_file: work.join("screen.bin"),
        screen: Vec::new(),
    };
    let mut last_len = 0usize;
    let mut last_change = Instant::now();
    let mut final_since: Option<(Outcome, Instant)> = None;
    let mut keys_sent = 0;
    let mut alert_answered = false;
    let exited = loop {
        std::thread::sleep(Duration::from_millis(700));
        let exited = matches!(child.try_wait(), Ok(Some(_)));
        if platform == "pc" && !exited {
            watch.read_screen();
        }
        let serial = read_lossy(&serial_log);
        // After an error in a menu entry GRUB shows `Press any key to continue...`
        // and goes on by itself after 10 s of its own clock, which TCG on a loaded
        // host stretches past the quiet limit (seen on initrd-missing efi). A key
        // ends the same wait at once; nothing else reads it.
        let waits = serial.matches(PRESS_ANY_KEY).count().max(
            watch
                .screen
                .iter()
                .filter(|l| l.contains(PRESS_ANY_KEY))
                .count(),
        );
        if waits > keys_sent && !exited {
            keys_sent = waits;
            watch.command("sendkey spc");
        }
        // shim's alert box: Enter (its `OK`), once, so that shim goes on to say
        // what it does next; the state is final already (classify).
        if !alert_answered && serial.contains(SHIM_ALERT) && !exited {
            alert_answered = watch.command("sendkey ret");
        }
        let seen = serial.len() + watch.screen.len();
        if seen != last_len {
            last_len = seen;
            last_change = Instant::now();
        }
        if exited {
            break true;
        }
        let observed = classify(&serial, &watch.screen, false);
        if observed.is_final() {
            // The clock starts again when the state changes: a menu drawn a moment
            // before its countdown (or before `Booting`) is not a menu that waits.
            if final_since.as_ref().map(|(o, _)| o) != Some(&observed.outcome) {
                final_since = Some((observed.outcome.clone(), Instant::now()));
            }
            let since = final_since
                .as_ref()
                .map_or_else(Instant::now, |(_, at)| *at);
            // Booted: /sbin/init powers off by itself; give it the time to.
            // Refused by shim: the time for the key above and shim's next lines.
            // Waiting at the menu: long enough that a countdown or a kernel would
            // have shown (GRUB prints the countdown as soon as the menu is drawn).
            let settle = match observed.outcome {
                Outcome::Booted => Duration::from_secs(20),
                Outcome::ShimRefused => Duration::from_secs(10),
                Outcome::MenuWaits => MENU_STAYS,
                // sulogin's prompt, which comes after systemd's words (issue 17).
                Outcome::EmergencyMode => Duration::from_secs(10),
                _ => SETTLE,
            };
            if since.elapsed() >= settle {
                break false;
            }
        } else {
            final_since = None;
        }
        if start.elapsed() >= TOTAL || (last_len > 0 && last_change.elapsed() >= QUIET) {
            break false;
        }
    };
    let wall = start.elapsed();
    stop(&mut child, &mut watch);
    let serial = read_lossy(&serial_log);
    let observed = classify(&serial, &watch.screen, exited);
    Boot {
        observed,
        serial,
        screen: watch.screen,
        wall,
    }
}

/// The variable store build.sh wrote beside the image (`SCENARIO-efi.vars.fd`).
pub fn vars_store(img: &Path) -> Option<PathBuf> {
    let store = img.with_extension("vars.fd");
    store.exists().then_some(store)
}

fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Our own child only: `quit` through the monitor, then kill if it lingers.
fn stop(child: &mut Child, watch: &mut Watch) {
    if let Some(m) = watch.monitor.as_mut() {
        let _ = m.write_all(b"quit\n");
    }
    for _ in 0..20 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

struct Watch {
    monitor: Option<UnixStream>,
    monitor_path: PathBuf,
    screen_file: PathBuf,
    /// Every distinct non-empty screen line, in the order it first appeared (a row
    /// seen half-written is kept as finished).
    screen: Vec<String>,
}

impl Watch {
    /// Runs one monitor (HMP) command and waits for its prompt.
    fn command(&mut self, cmd: &str) -> bool {
        if self.monitor.is_none() {
            self.monitor = UnixStream::connect(&self.monitor_path).ok();
            if let Some(m) = self.monitor.as_mut() {
                let _ = m.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = read_prompt(m);
            }
        }
        let Some(m) = self.monitor.as_mut() else {
            return false;
        };
        if m.write_all(format!("{cmd}\n").as_bytes()).is_err() || !read_prompt(m) {
            self.monitor = None;
            return false;
        }
        true
    }

    /// Saves the VGA text buffer (0xB8000, 80×25 character/attribute pairs) with the
    /// monitor's `pmemsave` and keeps the lines not seen before.
    fn read_screen(&mut self) {
        let _ = std::fs::remove_file(&self.screen_file);
        // HMP reads an unquoted path as an expression (`/` divides): quote it.
        let cmd = format!("pmemsave 0xb8000 4000 \"{}\"", self.screen_file.display());
        if !self.command(&cmd) {
            return;
        }
        let Ok(bytes) = std::fs::read(&self.screen_file) else {
            return;
        };
        for row in bytes.chunks(160).take(25) {
            let text: String = row.iter().step_by(2).map(|&b| cp437(b)).collect();
            let text = text.trim_end().to_string();
            if text.trim().is_empty() || self.screen.contains(&text) {
                continue;
            }
            // A snapshot taken while GRUB was still writing a row holds the row's
            // beginning: the finished row replaces it where it first appeared, or
            // the first line would be cut short (seen: "error: file `").
            match self
                .screen
                .iter_mut()
                .find(|seen| text.starts_with(seen.as_str()))
            {
                Some(partial) => *partial = text,
                None => self.screen.push(text),
            }
        }
    }
}

/// Reads monitor output up to its `(qemu) ` prompt.
fn read_prompt(m: &mut UnixStream) -> bool {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.ends_with(b"(qemu) ") {
        match m.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    true
}

/// The printable ASCII part of code page 437; the rest (box drawing) as a space.
fn cp437(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        b as char
    } else {
        ' '
    }
}
