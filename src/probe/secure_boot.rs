//! Gathers `facts::secure_boot`: the policy from the UEFI variables (live efivarfs,
//! a store passed with `--efi-vars`) or `--secure-boot on|off`, and every binary of
//! the chain read read-only — the first loader on the ESP's removable path
//! `\EFI\BOOT\BOOTX64.EFI`, the second stage beside a shim (`grubx64.efi`), each
//! entry's kernel and chainloaded image — each inspected and checked against every
//! certificate of db, dbx, MOK, MOKX and the first loader's vendor lists.
//! (Which loader the firmware really runs from its Boot#### entries is the loader
//! link's job; the removable path is what a disk image boots.)

use std::io::Read;

use super::disk_files::DiskFiles;
use crate::facts::files::{FileFact, FileLookup, Role};
use crate::facts::firmware::{VarsFact, VarsKind};
use crate::facts::secure_boot::{
    BinaryFact, KeyList, KeyRef, ListName, Policy, PolicyFrom, SbState, SecureBootFacts, Stage,
};
use crate::facts::volumes::volumes;
use crate::inspect::efivars::Guid;
use crate::inspect::secure_boot::{
    self, CertName, EslEntry, Inspected, MAX_IMAGE, SignatureLists, decode_cert, esl, sbat,
};

pub const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
pub const IMAGE_SECURITY: &str = "d719b2cb-3d3a-4596-a3bc-dad00e67656f";
pub const SHIM_LOCK: &str = "605dab50-e046-4300-abb6-3dd810dd8b23";
pub const SECURE_BOOT_ENABLE: &str = "f0a30bc7-af08-4556-99c4-001009c93a44";

/// The removable-media path the firmware boots from a disk (UEFI §3.5.1.1).
pub const REMOVABLE: &str = "/EFI/BOOT/BOOTX64.EFI";

/// `what_if`: `--secure-boot on|off`.
pub fn gather(
    files: &DiskFiles<'_>,
    file_facts: &[FileFact],
    vars: Option<&VarsFact>,
    what_if: Option<bool>,
) -> SecureBootFacts {
    let (policy, lists) = policy(vars);
    let mut chain = Vec::new();
    let mut vendor: Vec<(ListName, Vec<x509_cert::Certificate>)> = Vec::new();
    if let Some((volume, vf)) = esp(files) {
        let first = read_binary(vf.as_ref(), REMOVABLE, Stage::FirstLoader, &volume);
        let is_shim = first.1.as_ref().is_some_and(|i| {
            i.image.vendor.is_some() || i.image.sbat.iter().any(|r| r.component == "shim")
        });
        if let Some(v) = first.1.as_ref().and_then(|i| i.image.vendor.as_ref()) {
            vendor.push((ListName::Vendor, certs_of(&v.db)));
            vendor.push((ListName::VendorDbx, certs_of(&v.dbx)));
        }
        chain.push(finish(first, &lists, &[]));
        if is_shim {
            let second = read_binary(
                vf.as_ref(),
                "/EFI/BOOT/grubx64.efi",
                Stage::SecondStage,
                &volume,
            );
            chain.push(finish(second, &lists, &vendor));
        }
    }
    for (index, fact) in file_facts.iter().enumerate() {
        let stage = match fact.role {
            Role::Kernel => Stage::Kernel,
            Role::Chainload => Stage::Chainloaded,
            _ => continue,
        };
        if !matches!(fact.lookup, FileLookup::Found { .. }) {
            continue;
        }
        let Some(volume) = fact.resolution.volume() else {
            continue;
        };
        let read = match files.volume(volume) {
            Ok(vf) => read_binary(vf.as_ref(), &fact.path, stage, &volume.name),
            Err(why) => (error_fact(stage, &fact.path, &volume.name, why), None),
        };
        let mut b = finish(read, &lists, &vendor);
        b.file = Some(index);
        chain.push(b);
    }
    let mut facts = SecureBootFacts { policy, chain };
    if let Some(on) = what_if {
        crate::facts::secure_boot::what_if(&mut facts, on);
    }
    facts
}

fn error_fact(stage: Stage, path: &str, volume: &str, why: String) -> BinaryFact {
    BinaryFact {
        stage,
        path: path.to_string(),
        volume: Some(volume.to_string()),
        file: None,
        error: Some(why),
        image: None,
        anchors: Vec::new(),
    }
}

/// The first ESP (GPT type "EFI System") whose filesystem opens.
fn esp(files: &DiskFiles<'_>) -> Option<(String, std::rc::Rc<dyn super::fs::VolumeFiles>)> {
    volumes(files.facts()).into_iter().find_map(|(v, p, fs)| {
        let esp = p.is_some_and(|p| p.type_name.contains("EFI System")) && fs.is_some();
        esp.then(|| files.volume(&v).ok().map(|vf| (v.name.clone(), vf)))
            .flatten()
    })
}

fn read_binary(
    vf: &dyn super::fs::VolumeFiles,
    path: &str,
    stage: Stage,
    volume: &str,
) -> (BinaryFact, Option<Inspected>) {
    let mut bytes = Vec::new();
    let read = vf.open(path).map_err(|e| e.to_string()).and_then(|f| {
        f.take(MAX_IMAGE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())
    });
    let result = match read {
        Err(e) => Err(e),
        Ok(_) if bytes.len() as u64 > MAX_IMAGE => {
            Err(format!("bigger than {MAX_IMAGE} bytes: not verified"))
        }
        Ok(_) => secure_boot::inspect(&bytes),
    };
    match result {
        Ok(i) => {
            let mut b = error_fact(stage, path, volume, String::new());
            b.error = None;
            b.image = Some(i.image.clone());
            (b, Some(i))
        }
        Err(e) => (error_fact(stage, path, volume, e), None),
    }
}

/// The decoded certificates of the policy's lists (db, dbx, MOK, MOKX).
struct Lists {
    lists: Vec<(ListName, Vec<x509_cert::Certificate>)>,
}

fn certs_of(l: &SignatureLists) -> Vec<x509_cert::Certificate> {
    l.entries
        .iter()
        .filter_map(|(_, e)| match e {
            EslEntry::X509 { der } => decode_cert(der),
            _ => None,
        })
        .collect()
}

/// Which certificates anchor each signature.
fn finish(
    (mut b, inspected): (BinaryFact, Option<Inspected>),
    lists: &Lists,
    vendor: &[(ListName, Vec<x509_cert::Certificate>)],
) -> BinaryFact {
    let Some(i) = inspected else { return b };
    b.anchors = vec![Vec::new(); i.image.signatures.len()];
    for (list, certs) in lists.lists.iter().chain(vendor) {
        for (index, cert) in certs.iter().enumerate() {
            for (sig, yes) in i.anchored_by(cert).into_iter().enumerate() {
                if yes {
                    b.anchors[sig].push(KeyRef {
                        list: *list,
                        index,
                        subject: CertName::of(cert).subject,
                    });
                }
            }
        }
    }
    b
}

fn key_list(data: &[u8]) -> (KeyList, Vec<x509_cert::Certificate>) {
    let parsed = esl::parse(data);
    let mut list = KeyList {
        fault: parsed.fault.clone(),
        ..Default::default()
    };
    let mut certs = Vec::new();
    for (_, e) in &parsed.entries {
        match e {
            EslEntry::X509 { der } => {
                if let Some(c) = decode_cert(der) {
                    list.certs.push(CertName::of(&c));
                    certs.push(c);
                }
            }
            EslEntry::Hash { digest, .. } => list.hashes.push(digest.clone()),
            EslEntry::TbsHash { alg, digest } if alg == "sha256" => {
                list.tbs_hashes.push(digest.clone())
            }
            _ => {}
        }
    }
    (list, certs)
}

/// The policy as edk2, shim, GRUB and Linux derive it (reference §1, §3, §7), and
/// the certificates of its lists.
fn policy(vars: Option<&VarsFact>) -> (Policy, Lists) {
    let unknown = |why: String| {
        let policy = Policy {
            why,
            source: vars.map(|v| v.source.clone()),
            ..Default::default()
        };
        (policy, Lists { lists: Vec::new() })
    };
    if let Some(v) = vars
        && let Some(e) = &v.error
    {
        return unknown(format!(
            "the UEFI variables in {} could not be read: {e}",
            v.source
        ));
    }
    let Some(v) = vars else {
        let policy = Policy {
            why: "no UEFI variables read: pass --efi-vars VARS.fd, or --secure-boot on|off".into(),
            ..Default::default()
        };
        return (policy, Lists { lists: Vec::new() });
    };
    let get = |name: &str, guid: &str| {
        let v = v.vars.get(Guid::parse(guid)?, name)?;
        Some((v.attributes, v.data.clone()))
    };
    let byte = |name: &str, guid: &str| get(name, guid).and_then(|(_, d)| d.first().copied());
    let from = match v.kind {
        VarsKind::Efivarfs => PolicyFrom::Efivarfs,
        VarsKind::Store => PolicyFrom::VarStore,
    };
    let live = from == PolicyFrom::Efivarfs;
    let (state, why) = if live {
        // shim secure_mode(), GRUB grub_efi_get_secureboot(), Linux efi_get_secureboot().
        match (byte("SecureBoot", GLOBAL), byte("SetupMode", GLOBAL)) {
            (Some(1), Some(1)) => (SbState::Off, "SecureBoot=1 but SetupMode=1".to_string()),
            (Some(1), _) => (SbState::On, "SecureBoot=1".into()),
            (Some(_), _) => (SbState::Off, "SecureBoot=0".into()),
            (None, _) => (SbState::Off, "no SecureBoot variable".into()),
        }
    } else {
        // Offline: edk2 derives SecureBoot at each boot from PK and SecureBootEnable
        // (AuthVariableLib.c; created as 1 when absent in user mode).
        match (
            get("PK", GLOBAL),
            byte("SecureBootEnable", SECURE_BOOT_ENABLE),
        ) {
            (None, _) => (SbState::Off, "no PK enrolled: setup mode".to_string()),
            (Some(_), Some(0)) => (SbState::Off, "PK enrolled, SecureBootEnable=0".into()),
            (Some(_), _) => (SbState::On, "PK enrolled, SecureBootEnable on".into()),
        }
    };
    // Live efivarfs shows the RT mirrors; a store holds the NV variables (§7).
    let [mok, mokx, level, insecure] = if live {
        ["MokListRT", "MokListXRT", "SbatLevelRT", "MokSBStateRT"]
    } else {
        ["MokList", "MokListX", "SbatLevel", "MokSBState"]
    };
    let mut lists = Vec::new();
    let mut list = |name: ListName, var: &str, guid: &str| {
        let (l, certs) = get(var, guid)
            .map(|(_, d)| key_list(&d))
            .unwrap_or_default();
        lists.push((name, certs));
        Some(l)
    };
    let policy = Policy {
        state,
        from,
        source: Some(v.source.clone()),
        why,
        shim_insecure: byte(insecure, SHIM_LOCK) == Some(1),
        db: list(ListName::Db, "db", IMAGE_SECURITY),
        dbx: list(ListName::Dbx, "dbx", IMAGE_SECURITY),
        mok: list(ListName::Mok, mok, SHIM_LOCK),
        mokx: list(ListName::MokX, mokx, SHIM_LOCK),
        sbat_level: get(level, SHIM_LOCK).map(|(_, d)| sbat::parse_level(&d)),
        mok_pending: get("MokNew", SHIM_LOCK).is_some(),
    };
    (policy, Lists { lists })
}
