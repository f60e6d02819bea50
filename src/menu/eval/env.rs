//! GRUB's environment: the stack of contexts (a submenu or `configfile` starts
//! one holding only exported variables), positional parameters, the special
//! variables `$?`, `$#`, `$*`, `$@`, and what `$root` and a `(dev)/path` word
//! mean as devices and files.

use std::collections::HashSet;

use super::builtins::Call;
use super::{Arg, Context, Eval, MAX_EFFECTS, MAX_VALUE, MAX_VARS, Value, Var};
use crate::menu::default;
use crate::menu::files::normalize;
use crate::menu::flavour::{FlavourEffect, Rule};
use crate::menu::model::{DeviceExpr, FileRef, Flavour, Location, NoteKind};
use crate::menu::truth::Truth;
use crate::script::Span;

impl Eval<'_> {
    /// What GRUB's normal mode has set before grub.cfg runs: `$root` and
    /// `$prefix` on the device grub.cfg came from, the platform, the features.
    pub(super) fn set_initial_environment(&mut self) {
        let prefix_token = DeviceExpr::PrefixDevice.display();
        self.devices
            .insert(prefix_token.clone(), DeviceExpr::PrefixDevice);
        let prefix_path = normalize(&self.opts.prefix);
        let prefix = format!("({prefix_token}){prefix_path}");
        self.set_var(
            "root",
            Value {
                text: prefix_token,
                known: false,
            },
        );
        self.set_var("prefix", Value::known(prefix.clone()));
        self.set_var(
            "cmdpath",
            Value {
                text: String::new(),
                known: false,
            },
        );
        self.set_var("config_directory", Value::known(prefix.clone()));
        self.set_var("config_file", Value::known(format!("{prefix}/grub.cfg")));
        self.set_var("grub_platform", Value::known(self.opts.platform.name()));
        self.set_var("grub_cpu", Value::known(self.opts.platform.cpu()));
        // GRUB 2.06+ sets these in normal mode (and exports them).
        for feature in [
            "chainloader_bpb",
            "ntldr",
            "platform_search_hint",
            "default_font_path",
            "all_video_module",
            "menuentry_id",
            "menuentry_options",
            "200_final",
            "nativedisk_cmd",
            "timeout_style",
        ] {
            let name = format!("feature_{feature}");
            self.set_var(&name, Value::known("y"));
            self.export(&name);
        }
        for name in [
            "root",
            "prefix",
            "cmdpath",
            "grub_platform",
            "grub_cpu",
            "config_directory",
            "config_file",
        ] {
            self.export(name);
        }
    }

    fn ctx(&self) -> &Context {
        // The stack is never empty: `new` pushes one and pops are paired.
        &self.contexts[self.contexts.len() - 1]
    }

    fn ctx_mut(&mut self) -> &mut Context {
        let last = self.contexts.len() - 1;
        &mut self.contexts[last]
    }

    pub(super) fn is_set(&self, name: &str) -> bool {
        self.ctx().contains_key(name)
    }

    pub(super) fn get(&self, name: &str) -> Value {
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            let n: usize = name.parse().unwrap_or(usize::MAX);
            return self
                .params
                .last()
                .and_then(|p| n.checked_sub(1).and_then(|i| p.get(i)))
                .cloned()
                .unwrap_or_else(|| Value::known(""));
        }
        match name {
            "#" => Value::known(self.params.last().map_or(0, Vec::len).to_string()),
            "?" => match self.status {
                Truth::True => Value::known("0"),
                Truth::False => Value::known("1"),
                Truth::Unknown => Value {
                    text: "0".into(),
                    known: false,
                },
            },
            "*" | "@" => {
                let params = self.params.last().cloned().unwrap_or_default();
                Value {
                    text: params
                        .iter()
                        .map(|p| p.text.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    known: params.iter().all(|p| p.known),
                }
            }
            _ => match self.ctx().get(name) {
                Some(v) => v.value.clone(),
                None => Value {
                    text: String::new(),
                    known: !self
                        .env_unknown
                        .as_ref()
                        .is_some_and(|list| list.is_empty() || list.iter().any(|n| n == name)),
                },
            },
        }
    }

    pub(super) fn set_var(&mut self, name: &str, mut value: Value) {
        if value.text.len() > MAX_VALUE {
            let mut cut = MAX_VALUE;
            while !value.text.is_char_boundary(cut) {
                cut -= 1;
            }
            value.text.truncate(cut);
            value.known = false;
        }
        if name == "root" {
            // GRUB's write hook on `root` strips one pair of parentheses.
            if let Some(inner) = value
                .text
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
            {
                value.text = inner.to_string();
            }
        }
        if let Some(decided) = self.flavour_vars.last_mut() {
            decided.remove(name);
        }
        let ctx = self.ctx_mut();
        let room = ctx.len() < MAX_VARS;
        match ctx.get_mut(name) {
            Some(var) => var.value = value,
            None if room => {
                ctx.insert(
                    name.to_string(),
                    Var {
                        value,
                        exported: false,
                    },
                );
            }
            // Past the cap a new variable is dropped: reads give "" as if unset.
            None => {}
        }
    }

    pub(super) fn export(&mut self, name: &str) {
        let ctx = self.ctx_mut();
        ctx.entry(name.to_string())
            .or_insert_with(|| Var {
                value: Value::known(""),
                exported: false,
            })
            .exported = true;
    }

    pub(super) fn assign(&mut self, name: &str, value: &str, known: bool) {
        if name.is_empty()
            || name.bytes().all(|b| b.is_ascii_digit())
            || matches!(name, "?" | "#" | "*" | "@")
        {
            return;
        }
        self.set_var(
            name,
            Value {
                text: value.to_string(),
                known,
            },
        );
    }

    /// Red Hat's e71c7d4c2 rule in force (`GrubBuild::keeps_all_variables`);
    /// the Fedora flavour without a build (library callers) has it.
    pub(super) fn keeps_all_variables(&self) -> bool {
        self.opts.flavour == Flavour::Fedora
            && self
                .opts
                .build
                .as_ref()
                .is_none_or(|b| b.keeps_all_variables())
    }

    /// A new context (submenu, configfile): upstream's `grub_env_new_context (0)`
    /// (normal/context.c) copies only exported variables; Red Hat's
    /// `grub_env_context_open` passes 1 and copies every one (rhboot e71c7d4c2).
    /// The variables that rule decided are remembered for `flavour_read`.
    pub(super) fn push_context(&mut self) {
        let all = self.keeps_all_variables();
        let mut fresh = Context::new();
        let mut decided: HashSet<String> = HashSet::new();
        for (k, v) in self.ctx() {
            if v.exported || all {
                fresh.insert(k.clone(), v.clone());
            }
            if !v.exported {
                decided.insert(k.clone());
            }
        }
        // Upstream: what a context above already kept away stays away.
        if let Some(above) = self.flavour_vars.last() {
            decided.extend(
                above
                    .iter()
                    .filter(|n| !self.ctx().contains_key(*n))
                    .cloned(),
            );
        }
        self.contexts.push(fresh);
        self.flavour_vars.push(decided);
    }

    pub(super) fn pop_context(&mut self) {
        if self.contexts.len() > 1 {
            self.contexts.pop();
            self.flavour_vars.pop();
        }
    }

    /// A variable read at `span`: when the flavour's submenu rule decided what
    /// it holds here, that is an effect to show.
    pub(super) fn flavour_read(&self, file: usize, name: &str, span: Span) {
        if !self.flavour_vars.last().is_some_and(|s| s.contains(name)) {
            return;
        }
        let message = if self.keeps_all_variables() {
            let value = self.get(name);
            if value.text.is_empty() {
                return;
            }
            format!(
                "`${name}` is `{}` here although it is not exported: Red Hat's GRUB gives a submenu every variable (rhboot/grub2 e71c7d4c2); upstream GRUB would leave it empty",
                value.text
            )
        } else {
            format!(
                "`${name}` is empty here: it is set above but not exported, and upstream GRUB gives a submenu only exported variables (normal/context.c); Red Hat's GRUB would pass it"
            )
        };
        self.add_effect(Rule::SubmenuVariables, message, Self::loc(file, span), None);
    }

    /// Keeps one effect per rule and place.
    pub(super) fn add_effect(
        &self,
        rule: Rule,
        message: String,
        location: Location,
        command: Option<String>,
    ) {
        let mut effects = self.effects.borrow_mut();
        if effects
            .iter()
            .any(|e| e.rule == rule && e.location == location && e.entry == self.entry_path)
            || effects.len() >= MAX_EFFECTS
        {
            return;
        }
        effects.push(FlavourEffect {
            rule,
            message,
            location,
            entry: self.entry_path.clone(),
            command,
        });
    }

    /// The text standing for a device expression in variables and paths; two
    /// different expressions never share one (hints differ between searches).
    pub(super) fn device_token(&mut self, expr: DeviceExpr) -> String {
        let base = expr.display();
        let mut token = base.clone();
        for n in 2..100 {
            match self.devices.get(&token) {
                Some(existing) if *existing != expr => token = format!("{base}#{n}"),
                _ => break,
            }
        }
        self.devices.insert(token.clone(), expr);
        token
    }

    /// What `$root` means now.
    pub(super) fn root_device(&self) -> DeviceExpr {
        let root = self.get("root");
        self.device_named(&root.text, root.known)
    }

    pub(super) fn device_named(&self, name: &str, known: bool) -> DeviceExpr {
        if name.is_empty() {
            return if known {
                DeviceExpr::Unset
            } else {
                DeviceExpr::Unknown {
                    text: String::new(),
                }
            };
        }
        if let Some(dev) = self.devices.get(name) {
            return dev.clone();
        }
        if known {
            DeviceExpr::Grub {
                name: name.to_string(),
            }
        } else {
            DeviceExpr::Unknown {
                text: name.to_string(),
            }
        }
    }

    /// A GRUB path: `(dev)/path` or `/path` on `$root`.
    pub(super) fn file_ref(&self, arg: &Arg) -> FileRef {
        let text = &arg.text;
        if let Some(rest) = text.strip_prefix('(') {
            if let Some(close) = rest.find(')') {
                let name = &rest[..close];
                // A search result's token is unknown text, but the device
                // expression stands for it exactly.
                let via_token = self.devices.contains_key(name);
                return FileRef {
                    text: text.clone(),
                    device: self.device_named(name, arg.known),
                    path: rest[close + 1..].to_string(),
                    uncertain: !arg.known && !via_token,
                };
            }
            return FileRef {
                text: text.clone(),
                device: DeviceExpr::Unknown { text: text.clone() },
                path: String::new(),
                uncertain: true,
            };
        }
        FileRef {
            text: text.clone(),
            device: self.root_device(),
            path: text.clone(),
            uncertain: !arg.known,
        }
    }
    /// `set NAME=VALUE`.
    pub(super) fn cmd_set(&mut self, call: &Call) -> Truth {
        let Some(first) = call.rest().first() else {
            return Truth::True;
        };
        match first.text.split_once('=') {
            Some((n, v)) => {
                self.assign(n, v, first.known);
                Truth::True
            }
            None => {
                self.note(
                    NoteKind::BadCommand,
                    format!("set {}: not an assignment", first.text),
                    Some(Self::loc(call.file, call.span())),
                );
                Truth::False
            }
        }
    }

    /// `unset NAME…`.
    pub(super) fn cmd_unset(&mut self, call: &Call) -> Truth {
        for a in call.rest() {
            self.ctx_mut().remove(&a.text);
        }
        Truth::True
    }

    /// `export NAME…`.
    pub(super) fn cmd_export(&mut self, call: &Call) -> Truth {
        for a in call.rest() {
            self.export(&a.text);
        }
        Truth::True
    }

    /// `shift [N]` drops positional parameters.
    pub(super) fn cmd_shift(&mut self, call: &Call) -> Truth {
        let n = call
            .rest()
            .first()
            .and_then(|a| default::grub_strtoul(&a.text))
            .map_or(1, |(n, _)| usize::try_from(n).unwrap_or(usize::MAX));
        if let Some(p) = self.params.last_mut() {
            let n = n.min(p.len());
            p.drain(..n);
        }
        Truth::True
    }

    /// `setparams ARGS…` replaces the positional parameters.
    pub(super) fn cmd_setparams(&mut self, call: &Call) -> Truth {
        if let Some(p) = self.params.last_mut() {
            *p = call.rest().to_vec();
        }
        Truth::True
    }
}
