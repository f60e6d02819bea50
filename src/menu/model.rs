//! The menu as plain data: what evaluation produces and what `check` consumes.
//! Everything here is serde data with no behaviour beyond small accessors, so a
//! menu can be dumped, replayed and compared.

use serde::{Deserialize, Serialize};

use crate::script::Span;

/// What GRUB's `$root` (or a `(dev)` path prefix) meant when a command ran, kept
/// symbolic: the disk layer resolves it against real partitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceExpr {
    /// `$root` is empty.
    Unset,
    /// The device GRUB's core image found `$prefix` on: where grub.cfg was read
    /// from. GRUB starts with `$root` pointing there.
    PrefixDevice,
    /// A GRUB device name, parentheses stripped: `hd0,gpt2`, `lvm/vg-root`, `md/0`.
    Grub { name: String },
    /// `search --fs-uuid`: the first filesystem with this UUID (hints tried first).
    FsUuid {
        uuid: String,
        hints: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<Box<DeviceExpr>>,
    },
    /// `search --label`.
    Label {
        label: String,
        hints: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<Box<DeviceExpr>>,
    },
    /// `search --file`: the first device holding this file.
    File {
        path: String,
        hints: Vec<String>,
        /// What the variable held before: a search that finds nothing prints
        /// `no such device` and leaves it unchanged, and the entry goes on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<Box<DeviceExpr>>,
    },
    /// `loopback NAME FILE`: a device backed by an image file.
    Loopback { name: String, file: Box<FileRef> },
    /// Computed at boot from something bootvet cannot know (a `regexp` match, an
    /// undecided branch, `probe` output): the text as far as it is known.
    Unknown { text: String },
}

impl DeviceExpr {
    /// How the expression is written inside `( … )` in rendered paths.
    pub fn display(&self) -> String {
        match self {
            DeviceExpr::Unset => String::new(),
            DeviceExpr::PrefixDevice => "prefix-device".into(),
            DeviceExpr::Grub { name } => name.clone(),
            DeviceExpr::FsUuid { uuid, .. } => format!("fs-uuid={uuid}"),
            DeviceExpr::Label { label, .. } => format!("label={label}"),
            DeviceExpr::File { path, .. } => format!("file={path}"),
            DeviceExpr::Loopback { name, .. } => name.clone(),
            DeviceExpr::Unknown { text } => format!("unknown:{text}"),
        }
    }
}

/// A file a command names: the text GRUB received and what it means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    /// The argument as GRUB received it, e.g. `($root)/vmlinuz` after expansion.
    pub text: String,
    /// The device: from a `(dev)` prefix, else `$root` in force.
    pub device: DeviceExpr,
    /// The path on that device (or a blocklist such as `+1`).
    pub path: String,
    /// Part of the text came from a value bootvet could not know.
    #[serde(default, skip_serializing_if = "is_false")]
    pub uncertain: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One kernel parameter as the kernel's own parser (`next_arg`) splits the command
/// line GRUB builds: quotes removed, `key=value` split at the first `=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelParam {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Where a command or entry was written: a file of `Menu::files` and a byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: usize,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommandKind {
    /// `linux`, `linux16`, `linuxefi`.
    Linux {
        command: String,
        file: FileRef,
        /// The arguments after the file, as GRUB received them.
        args: Vec<String>,
        /// The command line GRUB hands the kernel (§4.4: re-joined, re-quoted).
        cmdline: String,
        /// The parameters the kernel sees, in order, up to a `--`.
        params: Vec<KernelParam>,
        /// Words after `--`: the kernel passes them to init.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        init_args: Vec<String>,
    },
    /// `initrd`, `initrd16`, `initrdefi`: images concatenated in order.
    Initrd {
        command: String,
        files: Vec<FileRef>,
    },
    Chainloader {
        file: FileRef,
        /// `--force`/`--bpb` when given, then what is passed to the image.
        args: Vec<String>,
    },
    /// `multiboot`, `multiboot2`, `module`, `module2`, `kfreebsd`, `knetbsd`,
    /// `kopenbsd`, `ntldr`, `devicetree` …: a loaded file with arguments.
    Load {
        command: String,
        file: FileRef,
        args: Vec<String>,
    },
    Loopback {
        name: String,
        file: FileRef,
    },
    Configfile {
        file: FileRef,
    },
    Insmod {
        module: String,
    },
    /// Anything else, verbatim.
    Other {
        name: String,
        args: Vec<String>,
    },
}

/// One command an entry runs, with `$root` as it stood then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryCommand {
    #[serde(flatten)]
    pub kind: CommandKind,
    /// `$root` in force when the command runs.
    pub device: DeviceExpr,
    /// Set when the command runs only if a condition bootvet could not decide holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<String>,
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MenuNode {
    Entry(BootEntry),
    Submenu(Submenu),
}

impl MenuNode {
    pub fn head(&self) -> &EntryHead {
        match self {
            MenuNode::Entry(e) => &e.head,
            MenuNode::Submenu(s) => &s.head,
        }
    }
}

/// What `menuentry` and `submenu` share (§6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryHead {
    /// Index path from the top menu, e.g. `[2, 0]` for "2>0".
    pub path: Vec<usize>,
    pub title: String,
    /// `--id`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub classes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<String>,
    pub unrestricted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotkey: Option<String>,
    /// Positional arguments after the title: `$2…` in the body.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_args: Vec<String>,
    /// The condition(s) bootvet could not decide under which the entry exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<String>,
    pub location: Location,
}

impl EntryHead {
    pub fn path_text(&self) -> String {
        path_text(&self.path)
    }
}

pub fn path_text(path: &[usize]) -> String {
    path.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(">")
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootEntry {
    #[serde(flatten)]
    pub head: EntryHead,
    /// Every command the body runs, in order (function calls followed).
    pub commands: Vec<EntryCommand>,
}

impl BootEntry {
    pub fn linux(&self) -> Option<&EntryCommand> {
        self.commands
            .iter()
            .rfind(|c| matches!(c.kind, CommandKind::Linux { .. }))
    }
    pub fn initrds(&self) -> Vec<&FileRef> {
        self.commands
            .iter()
            .filter_map(|c| match &c.kind {
                CommandKind::Initrd { files, .. } => Some(files.iter()),
                _ => None,
            })
            .flatten()
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submenu {
    #[serde(flatten)]
    pub head: EntryHead,
    pub entries: Vec<MenuNode>,
}

/// How `default` was matched against the menu (§13.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// No `default`: GRUB boots entry 0.
    NoDefault,
    Index,
    Title,
    Id,
    /// Nothing matched (or the index was out of range): GRUB boots entry 0.
    FellBack,
}

/// The entry that boots next and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultChoice {
    /// `$default` when the menu is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value depends on something bootvet could not decide.
    pub uncertain: bool,
    /// Index path of the entry that boots; `None` when the menu is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<usize>>,
    /// How each level was matched, outermost first.
    pub matched_by: Vec<MatchedBy>,
    /// Set when GRUB falls back to entry 0 (or the first entry of a submenu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fell_back: Option<String>,
}

/// How `default`/`fallback` are matched: upstream GRUB or Fedora/RHEL's build (§13.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    #[default]
    Upstream,
    Fedora,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    #[default]
    Pc,
    Efi,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Pc => "pc",
            Platform::Efi => "efi",
        }
    }
    pub fn cpu(self) -> &'static str {
        match self {
            Platform::Pc => "i386",
            Platform::Efi => "x86_64",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Config,
    Grubenv,
    Bls,
}

/// A file evaluation read; `Location::file` indexes these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    pub path: String,
    pub device: DeviceExpr,
    pub kind: FileKind,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// A statement GRUB skips because it does not parse.
    SyntaxError,
    /// `source`/`configfile`/`load_env` named a file that is not there.
    MissingFile,
    /// A file bootvet could not look at (device not resolvable here).
    UnreadableFile,
    MalformedGrubenv,
    MalformedBls,
    /// `save_env`: GRUB would write the grubenv here; bootvet never does.
    SaveEnv,
    /// A command GRUB would reject (bad options, missing arguments).
    BadCommand,
    /// `configfile` at top level: GRUB shows that file's menu instead.
    MenuReplaced,
    /// A bound on steps, depth or loop iterations was reached.
    LimitReached,
    /// Top-level commands that load or boot outside any entry.
    TopLevelBoot,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub kind: NoteKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// The result of running a grub.cfg.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Menu {
    pub platform: Platform,
    pub flavour: Flavour,
    /// The GRUB build the menu was evaluated for and how it was chosen (issue 21).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grub: Option<super::flavour::GrubBuild>,
    /// Every place the flavour's rules changed a result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flavour_effects: Vec<super::flavour::FlavourEffect>,
    pub entries: Vec<MenuNode>,
    pub default: DefaultChoice,
    /// `fallback` entries, upstream-parsed (numbers only; others dropped).
    pub fallback: Vec<usize>,
    /// `$timeout` text and GRUB's reading of it (`None` = wait forever).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Commands run outside any entry that load or boot something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_level: Vec<EntryCommand>,
    /// Modules `insmod` loads while grub.cfg is read (entries list their own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// `loadfont` commands run while grub.cfg is read (00_header's
    /// `loadfont unicode`, a theme's fonts): what Secure Boot's lockdown judges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fonts: Vec<EntryCommand>,
    pub files: Vec<ConfigFile>,
    pub notes: Vec<Note>,
    /// What decides whether the next boot waits for a person (GRUB's
    /// `run_menu`, `is_authenticated`, `read`).
    #[serde(default, skip_serializing_if = "MenuWait::is_empty")]
    pub wait: MenuWait,
}

/// The variables GRUB's menu reads when it is shown, as grub.cfg (and the
/// grubenv it loads) leave them, and the commands outside the entries that
/// wait for a person or a clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuWait {
    /// `$timeout` depends on something bootvet could not decide.
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout_unknown: bool,
    /// `$timeout_style` (`menu`, `countdown`, `hidden`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_style: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub timeout_style_unknown: bool,
    /// `$superusers`, when set (even empty: GRUB then lets nobody in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub superusers: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub superusers_unknown: bool,
    /// `$recordfail` when the menu is shown (Ubuntu's 00_header reads it from
    /// the grubenv), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recordfail: Option<String>,
    /// `read` and `sleep` run while grub.cfg is read, outside any entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<EntryCommand>,
}

impl MenuWait {
    pub fn is_empty(&self) -> bool {
        *self == MenuWait::default()
    }
}

impl Menu {
    /// The node at an index path.
    pub fn node(&self, path: &[usize]) -> Option<&MenuNode> {
        let (first, rest) = path.split_first()?;
        let mut node = self.entries.get(*first)?;
        for i in rest {
            match node {
                MenuNode::Submenu(s) => node = s.entries.get(*i)?,
                MenuNode::Entry(_) => return None,
            }
        }
        Some(node)
    }

    /// Every boot entry, depth first, in menu order.
    pub fn boot_entries(&self) -> Vec<&BootEntry> {
        fn walk<'a>(nodes: &'a [MenuNode], out: &mut Vec<&'a BootEntry>) {
            for n in nodes {
                match n {
                    MenuNode::Entry(e) => out.push(e),
                    MenuNode::Submenu(s) => walk(&s.entries, out),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.entries, &mut out);
        out
    }
}
