//! A finding: one problem, on one entry (or the config as a whole), with the
//! evidence, what GRUB or the kernel will print, and the fix.

use serde::Serialize;

use super::registry::{CheckInfo, Link};
use crate::menu::{BootEntry, Location};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    /// The entry may not boot, or a later update will break it.
    Warning,
    /// The entry will not boot.
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryRef {
    /// Index path, e.g. `1>0`.
    pub path: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl EntryRef {
    pub fn of(entry: &BootEntry) -> Self {
        EntryRef {
            path: entry.head.path_text(),
            title: entry.head.title.clone(),
            id: entry.head.id.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub link: Link,
    /// The entry that breaks; `None` for the config as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryRef>,
    /// Where in the config: resolved to `file:line:col` by the report.
    #[serde(skip)]
    pub location: Option<Location>,
    /// One line, lowercase, naming the thing.
    pub message: String,
    /// What was read, and from where.
    pub evidence: Vec<String>,
    /// What GRUB or the kernel will print, in the order it appears at boot.
    pub will_print: Vec<String>,
    pub fix: String,
    /// The boot stops before GRUB shows its menu (a link above grub.cfg, an
    /// empty menu, a top-level command that resets the machine): every entry
    /// fails with it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub before_menu: bool,
}

impl Finding {
    pub fn new(info: &CheckInfo, message: impl Into<String>) -> Self {
        Finding {
            code: info.code,
            severity: info.severity,
            link: info.link,
            entry: None,
            location: None,
            message: message.into(),
            evidence: Vec::new(),
            will_print: Vec::new(),
            fix: info.fix.to_string(),
            before_menu: info.link.is_before_menu(),
        }
    }

    pub fn entry(mut self, entry: &BootEntry) -> Self {
        self.entry = Some(EntryRef::of(entry));
        if self.location.is_none() {
            self.location = Some(entry.head.location);
        }
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn evidence(mut self, line: impl Into<String>) -> Self {
        self.evidence.push(line.into());
        self
    }

    pub fn prints(mut self, line: impl Into<String>) -> Self {
        self.will_print.push(line.into());
        self
    }

    /// Several lines printed one after another (a chain: GRUB's error, then the panic).
    pub fn prints_all(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.will_print.extend(lines);
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// Marks a finding that stops the boot before the menu.
    pub fn before_menu(mut self) -> Self {
        self.before_menu = true;
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
