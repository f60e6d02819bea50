//! The menu as people read it (`bootvet entries`): a tree of entries with the
//! kernel, initrds, command line and device each will use, the entry that boots
//! next marked, then the notes. Renders from the `Menu` alone; reads no files.

use std::fmt::Write;

use colored::Colorize;

use crate::menu::{
    CommandKind, DeviceExpr, FileRef, Location, MatchedBy, Menu, MenuNode, path_text,
};
use crate::source::LineIndex;

/// `FILE:LINE:COL` for a location, computed only here, when shown.
pub fn location_text(menu: &Menu, loc: Location) -> String {
    match menu.files.get(loc.file) {
        Some(f) => {
            let index = LineIndex::new(&f.bytes);
            let at = index.line_col(&f.bytes, loc.span.start);
            format!("{}:{}:{}", f.path, at.line, at.col)
        }
        None => "?".into(),
    }
}

fn device_text(d: &DeviceExpr) -> String {
    match d {
        DeviceExpr::Unset => "(unset)".into(),
        DeviceExpr::PrefixDevice => "the device grub.cfg is on ($prefix)".into(),
        DeviceExpr::Grub { name } => format!("({name})"),
        DeviceExpr::FsUuid { uuid, hints, .. } => {
            with_hints(format!("search --fs-uuid {uuid}"), hints)
        }
        DeviceExpr::Label { label, hints, .. } => {
            with_hints(format!("search --label {label}"), hints)
        }
        DeviceExpr::File { path, hints, .. } => with_hints(format!("search --file {path}"), hints),
        DeviceExpr::Loopback { name, file } => {
            format!("({name}) = loopback of {}", file_text(file))
        }
        DeviceExpr::Unknown { text } if text.is_empty() => "unknown (decided at boot)".into(),
        DeviceExpr::Unknown { text } => format!("unknown ({text}, decided at boot)"),
    }
}

fn with_hints(s: String, hints: &[String]) -> String {
    if hints.is_empty() {
        s
    } else {
        format!("{s} (hints {})", hints.join(" "))
    }
}

fn file_text(f: &FileRef) -> String {
    let mut s = f.text.clone();
    if f.uncertain {
        s.push_str(" [partly unknown]");
    }
    s
}

/// The whole menu as text.
pub fn render(menu: &Menu, config_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} (platform {}, {} GRUB)",
        config_name.bold(),
        menu.platform.name(),
        match menu.flavour {
            crate::menu::Flavour::Upstream => "upstream",
            crate::menu::Flavour::Fedora => "Fedora/RHEL",
        }
    );
    if let Some(build) = &menu.grub {
        let _ = writeln!(out, "GRUB build: {}", build.describe());
    }
    let d = &menu.default;
    let value = match &d.value {
        Some(v) => format!("`{v}`"),
        None => "unset".into(),
    };
    let target = match &d.path {
        Some(p) => {
            let title = menu
                .node(p)
                .map(|n| n.head().title.clone())
                .unwrap_or_default();
            let how: Vec<&str> = d
                .matched_by
                .iter()
                .map(|m| match m {
                    MatchedBy::NoDefault => "no default",
                    MatchedBy::Index => "index",
                    MatchedBy::Title => "title",
                    MatchedBy::Id => "id",
                    MatchedBy::FellBack => "fell back to the first entry",
                })
                .collect();
            format!("{} \"{title}\" ({})", path_text(p), how.join(", "))
        }
        None => "nothing (empty menu)".into(),
    };
    let _ = writeln!(
        out,
        "default {value}{} -> {target}",
        if d.uncertain {
            " [depends on values known only at boot]"
        } else {
            ""
        }
    );
    if let Some(why) = &d.fell_back {
        let _ = writeln!(out, "  {}", why.yellow());
    }
    if !menu.fallback.is_empty() {
        let f: Vec<String> = menu.fallback.iter().map(|i| i.to_string()).collect();
        let _ = writeln!(out, "fallback {}", f.join(" "));
    }
    match (&menu.timeout, menu.timeout_seconds) {
        (Some(t), Some(s)) => {
            let _ = writeln!(out, "timeout `{t}` = {s}s");
        }
        (Some(t), None) => {
            let _ = writeln!(out, "timeout `{t}` is not a number: GRUB waits for a key");
        }
        (None, _) => {
            let _ = writeln!(out, "timeout unset: GRUB waits for a key");
        }
    }
    let _ = writeln!(out);
    let next = d.path.clone().unwrap_or_default();
    render_nodes(&mut out, &menu.entries, &next, 0);
    if menu.entries.is_empty() {
        let _ = writeln!(out, "(no menu entries)");
    }
    for cmd in &menu.top_level {
        let _ = writeln!(out, "top level: {}", command_line(cmd));
    }
    if !menu.notes.is_empty() {
        let _ = writeln!(out, "\nnotes:");
        for n in &menu.notes {
            let at = n
                .location
                .map(|l| location_text(menu, l))
                .unwrap_or_default();
            let kind = serde_json::to_value(n.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(out, "  {at}: {}: {}", kind.yellow(), n.message);
        }
    }
    out.push_str(&flavour_effects(menu, true));
    out
}

/// Where the flavour's rules changed a result, one line each (`entries` shows
/// them all; `check` leaves missing commands to their finding, BV1101).
pub fn flavour_effects(menu: &Menu, with_missing: bool) -> String {
    let mut out = String::new();
    let shown: Vec<_> = menu
        .flavour_effects
        .iter()
        .filter(|e| {
            use crate::menu::flavour::Rule;
            with_missing || !matches!(e.rule, Rule::MissingCommand | Rule::MissingOption)
        })
        .collect();
    if shown.is_empty() {
        return out;
    }
    let flavour = menu.grub.as_ref().map_or("upstream", |b| b.vendor.name());
    let _ = writeln!(out, "\nflavour ({flavour} GRUB) changed:");
    for e in shown {
        let entry = e
            .entry
            .as_ref()
            .map(|p| {
                let path: Vec<String> = p.iter().map(usize::to_string).collect();
                format!(" [entry {}]", path.join(">"))
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {}: {}{entry}",
            location_text(menu, e.location),
            e.rule.name().yellow(),
            e.message
        );
    }
    out
}

fn command_line(cmd: &crate::menu::EntryCommand) -> String {
    match &cmd.kind {
        CommandKind::Linux { file, cmdline, .. } => format!("linux {} {cmdline}", file_text(file)),
        CommandKind::Initrd { files, .. } => {
            format!(
                "initrd {}",
                files.iter().map(file_text).collect::<Vec<_>>().join(" ")
            )
        }
        CommandKind::Chainloader { file, .. } => format!("chainloader {}", file_text(file)),
        CommandKind::Load {
            command,
            file,
            args,
        } => format!("{command} {} {}", file_text(file), args.join(" ")),
        CommandKind::Loopback { name, file } => format!("loopback {name} {}", file_text(file)),
        CommandKind::Configfile { file } => format!("configfile {}", file_text(file)),
        CommandKind::Insmod { module } => format!("insmod {module}"),
        CommandKind::Other { name, args } => format!("{name} {}", args.join(" ")),
    }
}

fn render_nodes(out: &mut String, nodes: &[MenuNode], next: &[usize], depth: usize) {
    let indent = "  ".repeat(depth);
    for node in nodes {
        let head = node.head();
        let is_next = head.path.as_slice() == next;
        let marker = if is_next { "*" } else { " " };
        let kind = if matches!(node, MenuNode::Submenu(_)) {
            " [submenu]"
        } else {
            ""
        };
        let line = format!(
            "{marker} {indent}{:<6} {}{kind}",
            head.path_text(),
            head.title
        );
        let _ = writeln!(
            out,
            "{}",
            if is_next {
                line.green().bold().to_string()
            } else {
                line
            }
        );
        let pad = format!("  {indent}       ");
        if let Some(id) = &head.id {
            let _ = writeln!(out, "{pad}id: {id}");
        }
        if let Some(c) = &head.conditional {
            let _ = writeln!(out, "{pad}{} {c}", "only if:".yellow());
        }
        if let Some(u) = &head.users {
            let _ = writeln!(out, "{pad}users: {u}");
        }
        if !head.extra_args.is_empty() {
            let _ = writeln!(out, "{pad}args: {}", head.extra_args.join(" | "));
        }
        match node {
            MenuNode::Submenu(s) => render_nodes(out, &s.entries, next, depth + 1),
            MenuNode::Entry(e) => {
                let mut any = false;
                for cmd in &e.commands {
                    let cond = cmd
                        .conditional
                        .as_ref()
                        .map(|c| format!(" [only if: {c}]"))
                        .unwrap_or_default();
                    let text = match &cmd.kind {
                        CommandKind::Linux {
                            command,
                            file,
                            params,
                            ..
                        } => {
                            let root = params
                                .iter()
                                .find(|p| p.key == "root")
                                .and_then(|p| p.value.clone())
                                .unwrap_or_else(|| "(none)".into());
                            let cmdline = match &cmd.kind {
                                CommandKind::Linux { cmdline, .. } => cmdline.clone(),
                                _ => String::new(),
                            };
                            format!(
                                "{command}: {}\n{pad}  on: {}\n{pad}  root=: {root}\n{pad}  cmdline: {cmdline}",
                                file_text(file),
                                device_text(&file.device)
                            )
                        }
                        CommandKind::Initrd { command, files } => {
                            let on: Vec<String> = files
                                .iter()
                                .map(|f| device_text(&f.device))
                                .collect::<std::collections::BTreeSet<_>>()
                                .into_iter()
                                .collect();
                            format!(
                                "{command}: {}\n{pad}  on: {}",
                                files.iter().map(file_text).collect::<Vec<_>>().join(" "),
                                on.join(", ")
                            )
                        }
                        CommandKind::Insmod { .. } | CommandKind::Other { .. } => continue,
                        _ => format!(
                            "{}\n{pad}  on: {}",
                            command_line(cmd),
                            device_text(&cmd.device)
                        ),
                    };
                    any = true;
                    let _ = writeln!(out, "{pad}{text}{cond}");
                }
                if !any {
                    let _ = writeln!(out, "{pad}(loads nothing)");
                }
            }
        }
    }
}
