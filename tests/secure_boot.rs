//! Secure Boot on real signed binaries: Debian's shim (`shim-signed`), GRUB
//! (`grub-efi-amd64-signed`) and kernel (`linux-image-*-amd64`), OVMF's Microsoft
//! db (`OVMF_VARS_4M.ms.fd`), and binaries signed at test time with `sbsign` and a
//! fresh `openssl` key. Packages are cached outside the repository (tests/support).

mod support;

#[path = "secure_boot/check.rs"]
mod check;
#[path = "secure_boot/inspect.rs"]
mod inspect;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("secure_boot")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a shell script in `dir`; panics with its stderr when it fails.
pub fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh")
        .arg("-ec")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("sh");
    assert!(
        out.status.success(),
        "`{script}` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Debian's signed binaries: shim, GRUB, kernel (None when a package is missing).
pub struct Debian {
    pub shim: Vec<u8>,
    pub grub: Vec<u8>,
    pub kernel: Vec<u8>,
    pub kernel_path: PathBuf,
}

pub fn debian() -> Option<&'static Debian> {
    static D: OnceLock<Option<Debian>> = OnceLock::new();
    D.get_or_init(|| {
        let shim = support::debian_package("shim-signed")?;
        let grub = support::debian_package("grub-efi-amd64-signed")?;
        let pkg = support::debian_kernel_package();
        if !support::require(pkg.is_some(), "apt's linux-image-amd64 dependency") {
            return None;
        }
        let kernel = support::debian_package(pkg.as_deref()?)?;
        let kernel_path = std::fs::read_dir(kernel.join("boot"))
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().contains("vmlinuz-"))?;
        Some(Debian {
            shim: std::fs::read(shim.join("usr/lib/shim/shimx64.efi.signed")).ok()?,
            grub: std::fs::read(grub.join("usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"))
                .ok()?,
            kernel: std::fs::read(&kernel_path).ok()?,
            kernel_path,
        })
    })
    .as_ref()
}

/// A fresh RSA key and self-signed certificate (openssl), in `dir` as key.pem,
/// cert.pem and cert.der.
pub fn fresh_key(dir: &Path, cn: &str) {
    sh(
        dir,
        &format!(
            "openssl req -new -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN={cn}/' \
             -keyout key.pem -out cert.pem 2>/dev/null && \
             openssl x509 -in cert.pem -outform DER -out cert.der"
        ),
    );
}
