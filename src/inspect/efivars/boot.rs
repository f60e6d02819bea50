//! The boot manager's variables: `BootOrder` (u16 array), `BootNext`, `BootCurrent`
//! (u16) and `Boot####` (EFI_LOAD_OPTION, `MdePkg/Include/Uefi/UefiSpec.h`, packed:
//! u32 Attributes, u16 FilePathListLength, NUL-terminated UCS-2 Description, the
//! device path list, then optional data), with device path nodes
//! (`MdePkg/Include/Protocol/DevicePath.h`: u8 Type, u8 SubType, u16 Length with the
//! header) decoded for what a boot entry can name: the PCI/ACPI prefix, the disk
//! (SATA, NVMe, SCSI, USB), the partition (`HD`: number, start, size, MBR or GPT
//! signature) and the `File` path. Text forms follow efivar's (`src/dp-*.c`).
//! Pure and bounded: every node advances by its length (≥ 4), every field is read
//! inside the node.

use serde::{Deserialize, Serialize};

use super::{Guid, Variables};

/// LOAD_OPTION_ACTIVE: edk2's `BootBootOptions` (`BdsEntry.c`) skips inactive entries.
pub const LOAD_OPTION_ACTIVE: u32 = 0x1;
/// LOAD_OPTION_HIDDEN.
pub const LOAD_OPTION_HIDDEN: u32 = 0x8;
/// LOAD_OPTION_CATEGORY mask; BOOT is 0, APP is 0x100 (not booted by BootOrder).
pub const LOAD_OPTION_CATEGORY: u32 = 0x1f00;

/// A partition's signature in an `HD` node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartSignature {
    None,
    /// The u32 disk signature at MBR offset 0x1B8.
    Mbr(u32),
    /// The GPT partition's unique GUID (its PARTUUID).
    Gpt(Guid),
    /// A signature type edk2 does not define.
    Unknown(u8),
}

/// One device path node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "node")]
pub enum Node {
    /// ACPI 2/1: PNP0A03 is `PciRoot`, PNP0A08 `PcieRoot`.
    Acpi {
        hid: u32,
        uid: u32,
    },
    /// Hardware 1/1.
    Pci {
        device: u8,
        function: u8,
    },
    /// Messaging 3/0x12.
    Sata {
        port: u16,
        multiplier: u16,
        lun: u16,
    },
    /// Messaging 3/0x17.
    Nvme {
        namespace: u32,
    },
    /// Messaging 3/2.
    Scsi {
        target: u16,
        lun: u16,
    },
    /// Messaging 3/5.
    Usb {
        port: u8,
        interface: u8,
    },
    /// Media 4/1.
    HardDrive {
        partition: u32,
        start: u64,
        size: u64,
        signature: PartSignature,
    },
    /// Media 4/4: a path on that partition's filesystem, `\` separated.
    File {
        path: String,
    },
    /// Media 4/7 and 4/6: firmware volume and file in it (the shell, the setup UI).
    FvName {
        guid: Guid,
    },
    FvFile {
        guid: Guid,
    },
    /// Anything else, by type and subtype.
    Other {
        kind: u8,
        sub: u8,
        len: u16,
    },
}

impl std::fmt::Display for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Acpi {
                hid: 0x0a03_41d0,
                uid,
            } => write!(f, "PciRoot({uid:#x})"),
            Node::Acpi {
                hid: 0x0a08_41d0,
                uid,
            } => write!(f, "PcieRoot({uid:#x})"),
            Node::Acpi { hid, uid } => write!(f, "Acpi({hid:#x},{uid:#x})"),
            Node::Pci { device, function } => write!(f, "Pci({device:#x},{function:#x})"),
            Node::Sata {
                port,
                multiplier,
                lun,
            } => write!(f, "Sata({port},{multiplier:#x},{lun})"),
            Node::Nvme { namespace } => write!(f, "NVMe({namespace:#x})"),
            Node::Scsi { target, lun } => write!(f, "Scsi({target},{lun})"),
            Node::Usb { port, interface } => write!(f, "USB({port},{interface})"),
            Node::HardDrive {
                partition,
                start,
                size,
                signature,
            } => match signature {
                PartSignature::Gpt(g) => write!(f, "HD({partition},GPT,{g},{start:#x},{size:#x})"),
                PartSignature::Mbr(s) => {
                    write!(f, "HD({partition},MBR,{s:#010x},{start:#x},{size:#x})")
                }
                _ => write!(f, "HD({partition},{start:#x},{size:#x})"),
            },
            Node::File { path } => write!(f, "File({path})"),
            Node::FvName { guid } => write!(f, "Fv({guid})"),
            Node::FvFile { guid } => write!(f, "FvFile({guid})"),
            Node::Other { kind, sub, len } => write!(f, "Path({kind},{sub},{len})"),
        }
    }
}

/// A device path's text, nodes joined with `/`.
pub fn path_text(nodes: &[Node]) -> String {
    nodes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}

/// The path as edk2 prints it in `BdsDxe: failed to load Boot#### "…" from PATH`
/// (`ConvertDevicePathToText (FilePath, FALSE, FALSE)`, `MdePkg/Library/
/// UefiDevicePathLib/DevicePathToText.c`): `DevPathToTextHardDrive` writes
/// `HD(N,GPT,<lower-case %g GUID>,0xSTART,0xSIZE)` or `HD(N,MBR,0x%08x,…)`,
/// `DevPathToTextFilePath` the path name alone, nodes joined by `/`. None when a
/// node is one whose edk2 text bootvet does not reproduce.
pub fn edk2_text(nodes: &[Node]) -> Option<String> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(match n {
            // Debian's OVMF 2022.11 prints the GUID upper case (seen in QEMU:
            // `HD(2,GPT,0D8A9F0E-1111-4222-8333-444455556666,0x1000,0x8000)`).
            Node::HardDrive {
                partition,
                start,
                size,
                signature: PartSignature::Gpt(g),
            } => format!(
                "HD({partition},GPT,{},{start:#x},{size:#x})",
                g.to_string().to_uppercase()
            ),
            Node::HardDrive {
                signature: PartSignature::Mbr(_),
                ..
            } => n.to_string(),
            Node::File { path } => path.clone(),
            _ => return None,
        });
    }
    Some(out.join("/"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |x| u16::from_le_bytes([x[0], x[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|x| x.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Decodes a UCS-2 string up to its NUL (or the end); returns it and the bytes used.
fn ucs2(b: &[u8]) -> (String, usize, bool) {
    let mut units = Vec::new();
    let mut used = 0;
    let mut terminated = false;
    for c in b.chunks_exact(2) {
        used += 2;
        let u = u16::from_le_bytes([c[0], c[1]]);
        if u == 0 {
            terminated = true;
            break;
        }
        units.push(u);
    }
    (String::from_utf16_lossy(&units), used, terminated)
}

fn decode_node(kind: u8, sub: u8, body: &[u8]) -> Node {
    let len = (body.len() + 4) as u16;
    let other = Node::Other { kind, sub, len };
    match (kind, sub) {
        (2, 1) if body.len() >= 8 => Node::Acpi {
            hid: u32_at(body, 0),
            uid: u32_at(body, 4),
        },
        (1, 1) if body.len() >= 2 => Node::Pci {
            function: body[0],
            device: body[1],
        },
        (3, 0x12) if body.len() >= 6 => Node::Sata {
            port: u16_at(body, 0),
            multiplier: u16_at(body, 2),
            lun: u16_at(body, 4),
        },
        (3, 0x17) if body.len() >= 4 => Node::Nvme {
            namespace: u32_at(body, 0),
        },
        (3, 2) if body.len() >= 4 => Node::Scsi {
            target: u16_at(body, 0),
            lun: u16_at(body, 2),
        },
        (3, 5) if body.len() >= 2 => Node::Usb {
            port: body[0],
            interface: body[1],
        },
        // HARDDRIVE_DEVICE_PATH: 4 + 4 + 8 + 8 + 16 + 1 + 1 = 42 bytes with the header.
        (4, 1) if body.len() >= 38 => {
            let sig = &body[20..36];
            let signature = match body[37] {
                0 => PartSignature::None,
                1 => PartSignature::Mbr(u32_at(sig, 0)),
                2 => Guid::from_slice(sig).map_or(PartSignature::None, PartSignature::Gpt),
                t => PartSignature::Unknown(t),
            };
            Node::HardDrive {
                partition: u32_at(body, 0),
                start: u64_at(body, 4),
                size: u64_at(body, 12),
                signature,
            }
        }
        (4, 4) => Node::File { path: ucs2(body).0 },
        (4, 7) => Guid::from_slice(body).map_or(other.clone(), |guid| Node::FvName { guid }),
        (4, 6) => Guid::from_slice(body).map_or(other.clone(), |guid| Node::FvFile { guid }),
        _ => other,
    }
}

/// Decodes a device path up to the end of its first instance. A node shorter than
/// its header or running past the bytes ends the path with a fault.
pub fn parse_device_path(b: &[u8]) -> (Vec<Node>, Option<String>) {
    let mut nodes = Vec::new();
    let mut at = 0;
    loop {
        let Some(h) = b.get(at..at + 4) else {
            return (
                nodes,
                Some(format!("device path ends at byte {at} without an End node")),
            );
        };
        let (kind, sub, len) = (h[0], h[1], usize::from(u16::from_le_bytes([h[2], h[3]])));
        if kind == 0x7f {
            // End of this instance (0x01) or of the whole path (0xFF): the boot
            // manager uses the first instance.
            return (nodes, None);
        }
        if len < 4 || at + len > b.len() {
            return (
                nodes,
                Some(format!(
                    "device path node at byte {at} claims {len} bytes ({} left)",
                    b.len() - at
                )),
            );
        }
        nodes.push(decode_node(kind, sub, &b[at + 4..at + len]));
        at += len;
    }
}

/// One `Boot####` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadOption {
    pub attributes: u32,
    pub description: String,
    pub path: Vec<Node>,
    /// Length of the optional data (load options passed to the loader).
    pub optional_data: usize,
    /// The optional data is edk2's `mBmAutoCreateBootOptionGuid`: the firmware made
    /// this option itself for a device (`EfiBootManagerRefreshAllBootOption`,
    /// `BmBoot.c`), and re-makes or deletes it on every boot to match the devices.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_created: bool,
    /// What was malformed (the fields before it are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

impl LoadOption {
    /// Active and in the BOOT category: what `BootBootOptions` tries.
    pub fn bootable(&self) -> bool {
        self.attributes & LOAD_OPTION_ACTIVE != 0 && self.attributes & LOAD_OPTION_CATEGORY == 0
    }

    /// The partition node and file path, if the path names them.
    pub fn partition(&self) -> Option<&Node> {
        self.path
            .iter()
            .find(|n| matches!(n, Node::HardDrive { .. }))
    }

    /// The `File` nodes joined (edk2 concatenates consecutive File nodes).
    pub fn file(&self) -> Option<String> {
        let parts: Vec<&str> = self
            .path
            .iter()
            .filter_map(|n| match n {
                Node::File { path } => Some(path.as_str()),
                _ => None,
            })
            .collect();
        (!parts.is_empty()).then(|| parts.concat())
    }
}

/// Parses an EFI_LOAD_OPTION.
pub fn parse_load_option(b: &[u8]) -> LoadOption {
    let mut opt = LoadOption {
        attributes: u32_at(b, 0),
        description: String::new(),
        path: Vec::new(),
        optional_data: 0,
        auto_created: false,
        fault: None,
    };
    if b.len() < 6 {
        opt.fault = Some(format!("{} bytes: shorter than the 6-byte header", b.len()));
        return opt;
    }
    let path_len = usize::from(u16_at(b, 4));
    let (description, used, terminated) = ucs2(&b[6..]);
    opt.description = description;
    if !terminated {
        opt.fault = Some("the description has no NUL terminator".into());
        return opt;
    }
    let path_at = 6 + used;
    let Some(path) = b.get(path_at..path_at + path_len) else {
        opt.fault = Some(format!(
            "the device path list claims {path_len} bytes, {} left",
            b.len() - path_at
        ));
        return opt;
    };
    let (nodes, fault) = parse_device_path(path);
    opt.path = nodes;
    opt.fault = fault;
    opt.optional_data = b.len() - path_at - path_len;
    opt.auto_created = b.get(path_at + path_len..) == Some(AUTO_CREATED.0.as_slice());
    opt
}

/// edk2's `mBmAutoCreateBootOptionGuid` (`MdeModulePkg/Library/UefiBootManagerLib/
/// BmBoot.c`): the optional data of the boot options BDS creates for devices.
pub const AUTO_CREATED: Guid = Guid::from_fields(
    0x8108ac4e,
    0x9f11,
    0x4d59,
    [0x85, 0x0e, 0xe2, 0x1a, 0x52, 0x2c, 0x59, 0xb2],
);

/// A u16 array (BootOrder); a trailing odd byte is ignored, as edk2 does.
pub fn u16_list(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect()
}

/// The boot manager's state as the variables give it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootManager {
    /// `BootOrder`, None when the variable does not exist.
    pub order: Option<Vec<u16>>,
    pub next: Option<u16>,
    pub current: Option<u16>,
    /// Every `Boot####` variable, by number, in ascending order.
    pub options: Vec<(u16, LoadOption)>,
}

impl BootManager {
    pub fn from_variables(vars: &Variables) -> BootManager {
        let single = |name: &str| {
            vars.global(name)
                .filter(|d| d.len() >= 2)
                .map(|d| u16::from_le_bytes([d[0], d[1]]))
        };
        let mut options: Vec<(u16, LoadOption)> = vars
            .variables
            .iter()
            .filter(|v| v.guid == super::GLOBAL)
            .filter_map(|v| Some((boot_number(&v.name)?, parse_load_option(&v.data))))
            .collect();
        options.sort_by_key(|(n, _)| *n);
        options.dedup_by_key(|(n, _)| *n);
        BootManager {
            order: vars.global("BootOrder").map(u16_list),
            next: single("BootNext"),
            current: single("BootCurrent"),
            options,
        }
    }

    pub fn option(&self, number: u16) -> Option<&LoadOption> {
        self.options
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, o)| o)
    }
}

/// `Boot0001` → 1: exactly four upper-case hex digits (UEFI spec 3.1.1; edk2's
/// `BmIsValidLoadOptionVariableName` refuses lower case).
pub fn boot_number(name: &str) -> Option<u16> {
    let hex = name.strip_prefix("Boot")?;
    if hex.len() != 4
        || !hex
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
    {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    fn node(kind: u8, sub: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![kind, sub];
        v.extend_from_slice(&((body.len() + 4) as u16).to_le_bytes());
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn a_short_form_hd_file_option_decodes() {
        let guid = Guid::parse("01234567-89ab-cdef-0123-456789abcdef").unwrap();
        let mut hd = Vec::new();
        hd.extend_from_slice(&1u32.to_le_bytes());
        hd.extend_from_slice(&2048u64.to_le_bytes());
        hd.extend_from_slice(&0x10_0000u64.to_le_bytes());
        hd.extend_from_slice(&guid.0);
        hd.extend_from_slice(&[2, 2]);
        let mut path = node(4, 1, &hd);
        path.extend(node(4, 4, &utf16z("\\EFI\\debian\\shimx64.efi")));
        path.extend(node(0x7f, 0xff, &[]));
        let mut b = 1u32.to_le_bytes().to_vec();
        b.extend_from_slice(&(path.len() as u16).to_le_bytes());
        b.extend(utf16z("debian"));
        b.extend(&path);
        b.extend_from_slice(b"opt");
        let o = parse_load_option(&b);
        assert_eq!(o.fault, None);
        assert!(o.bootable());
        assert_eq!(o.description, "debian");
        assert_eq!(o.optional_data, 3);
        assert_eq!(
            path_text(&o.path),
            "HD(1,GPT,01234567-89ab-cdef-0123-456789abcdef,0x800,0x100000)/File(\\EFI\\debian\\shimx64.efi)"
        );
        assert_eq!(o.file().as_deref(), Some("\\EFI\\debian\\shimx64.efi"));
    }

    #[test]
    fn a_node_that_lies_about_its_length_ends_the_path() {
        let (nodes, fault) = parse_device_path(&[4, 4, 2, 0, 0, 0]);
        assert!(nodes.is_empty());
        assert!(fault.unwrap().contains("claims 2 bytes"));
        let (_, fault) = parse_device_path(&[4, 4, 0xff, 0xff]);
        assert!(fault.is_some());
        let o = parse_load_option(&[1, 0, 0, 0, 0xff, 0xff, b'a', 0]);
        assert!(o.fault.unwrap().contains("no NUL"));
    }

    #[test]
    fn boot_numbers_are_four_upper_case_hex_digits() {
        assert_eq!(boot_number("Boot0001"), Some(1));
        assert_eq!(boot_number("Boot00AF"), Some(0xaf));
        assert_eq!(boot_number("Boot00af"), None);
        assert_eq!(boot_number("BootOrder"), None);
        assert_eq!(boot_number("Boot00011"), None);
    }
}
