//! The builtins: one table from command name to the method that runs it (as
//! ShellCheck keys its per-command checks), so the GRUB commands bootvet knows
//! are one list. Each handler lives in the file of its job; this file holds the
//! table, what happens to a name not in it, and `test`.

use super::{Arg, Eval, Value};
use crate::menu::files::FileError;
use crate::menu::flavour::{self, ChosenBy, Rule};
use crate::menu::model::DeviceExpr;
use crate::menu::test_expr::{self, FileProbe, TestArg};
use crate::menu::truth::Truth;
use crate::menu::versions;
use crate::script::{Command, Span};

/// One command about to run: as written, and its words after expansion.
pub(super) struct Call<'a> {
    /// The file (index in the file table) the command is in.
    pub(super) file: usize,
    pub(super) command: &'a Command,
    /// The expanded words; the first is the command's name.
    pub(super) args: &'a [Arg],
}

impl Call<'_> {
    pub(super) fn name(&self) -> &str {
        &self.args[0].text
    }

    /// The arguments after the name.
    pub(super) fn rest(&self) -> &[Arg] {
        &self.args[1..]
    }

    pub(super) fn span(&self) -> Span {
        self.command.span
    }
}

/// Whether the installed GRUB has a command and the options it is given.
enum Exists {
    Yes,
    Missing,
    OptionRejected,
}

/// Runs one builtin and gives its status (`$?`).
type Handler = fn(&mut Eval<'_>, &Call<'_>) -> Truth;

/// Every command bootvet runs itself, by name. A builtin wins over a function
/// of the same name, as in GRUB.
const BUILTINS: &[(&str, Handler)] = &[
    // Conditions (`test` here) and the environment (env.rs).
    ("[", |ev, c| ev.cmd_test(c)),
    ("test", |ev, c| ev.cmd_test(c)),
    ("true", |_, _| Truth::True),
    ("false", |_, _| Truth::False),
    ("set", |ev, c| ev.cmd_set(c)),
    ("unset", |ev, c| ev.cmd_unset(c)),
    ("export", |ev, c| ev.cmd_export(c)),
    ("shift", |ev, c| ev.cmd_shift(c)),
    ("setparams", |ev, c| ev.cmd_setparams(c)),
    // Flow (flow.rs).
    ("return", |ev, c| ev.cmd_return(c)),
    ("break", |ev, c| ev.cmd_break_continue(c)),
    ("continue", |ev, c| ev.cmd_break_continue(c)),
    // The menu (entries.rs).
    ("menuentry", |ev, c| ev.cmd_menuentry(c)),
    ("submenu", |ev, c| ev.cmd_menuentry(c)),
    // Other files and the grubenv (load.rs).
    ("source", |ev, c| ev.cmd_source(c)),
    (".", |ev, c| ev.cmd_source(c)),
    ("configfile", |ev, c| ev.cmd_configfile(c)),
    ("normal", |ev, c| ev.cmd_normal(c)),
    ("eval", |ev, c| ev.cmd_eval(c)),
    ("load_env", |ev, c| ev.cmd_load_env(c)),
    ("save_env", |ev, c| ev.cmd_save_env(c)),
    // BLS snippets as entries (blscfg.rs).
    ("blscfg", |ev, c| ev.cmd_blscfg(c)),
    ("bls_import", |ev, c| ev.cmd_blscfg(c)),
    // What is found at boot (search.rs).
    ("search", |ev, c| ev.cmd_search(c)),
    ("search.fs_uuid", |ev, c| ev.cmd_search(c)),
    ("search.fs_label", |ev, c| ev.cmd_search(c)),
    ("search.file", |ev, c| ev.cmd_search(c)),
    ("probe", |ev, c| ev.cmd_probe(c)),
    ("regexp", |ev, c| ev.cmd_regexp(c)),
    ("read", |ev, c| ev.cmd_read(c)),
    // What an entry loads (loaders.rs).
    ("insmod", |ev, c| ev.cmd_insmod(c)),
    ("loadfont", |ev, c| ev.cmd_loadfont(c)),
    ("loopback", |ev, c| ev.cmd_loopback(c)),
    ("linux", |ev, c| ev.cmd_linux(c)),
    ("linux16", |ev, c| ev.cmd_linux(c)),
    ("linuxefi", |ev, c| ev.cmd_linux(c)),
    ("initrd", |ev, c| ev.cmd_initrd(c)),
    ("initrd16", |ev, c| ev.cmd_initrd(c)),
    ("initrdefi", |ev, c| ev.cmd_initrd(c)),
    ("chainloader", |ev, c| ev.cmd_chainloader(c)),
    ("multiboot", |ev, c| ev.cmd_load(c)),
    ("multiboot2", |ev, c| ev.cmd_load(c)),
    ("module", |ev, c| ev.cmd_load(c)),
    ("module2", |ev, c| ev.cmd_load(c)),
    ("kfreebsd", |ev, c| ev.cmd_load(c)),
    ("knetbsd", |ev, c| ev.cmd_load(c)),
    ("kopenbsd", |ev, c| ev.cmd_load(c)),
    ("ntldr", |ev, c| ev.cmd_load(c)),
    ("devicetree", |ev, c| ev.cmd_load(c)),
    ("xnu_kernel", |ev, c| ev.cmd_load(c)),
    ("xnu_kernel64", |ev, c| ev.cmd_load(c)),
    ("freedos", |ev, c| ev.cmd_load(c)),
    ("truecrypt", |ev, c| ev.cmd_load(c)),
    ("legacy_kernel", |ev, c| ev.cmd_load(c)),
];

/// Commands that cannot fail in a way that matters to the menu.
const HARMLESS: &[&str] = &[
    "echo",
    "sleep",
    "terminal_output",
    "terminal_input",
    "set_gfxmode",
    "boot",
    "savedefault",
];

impl Eval<'_> {
    /// Runs one command statement: expands its words, runs it, and sets `$?`.
    pub(super) fn run_command(&mut self, file: usize, c: &Command) {
        let mut args = self.expand_words(file, &c.words);
        let mut negate = false;
        if args.first().is_some_and(|a| a.text == "!") {
            negate = true;
            args.remove(0);
        }
        let Some(first) = args.first() else {
            self.status = Truth::True;
            return;
        };
        let known = first.known;
        let call = Call {
            file,
            command: c,
            args: &args,
        };
        let status = if !known {
            // Which command runs is decided at boot.
            if self.in_entry() {
                self.record_other(&call);
            }
            Truth::Unknown
        } else {
            match self.check_command_exists(&call) {
                // GRUB's extcmd rejects an option it does not know and never
                // runs the command (commands/extcmd.c): nothing is set.
                Exists::OptionRejected => {
                    if self.in_entry() {
                        self.record_other(&call);
                    }
                    Truth::False
                }
                // `can't find command`: the status is an error; a command
                // bootvet models still runs, so the entry shows what it meant.
                Exists::Missing if !BUILTINS.iter().any(|(n, _)| *n == call.name()) => {
                    if self.in_entry() {
                        self.record_other(&call);
                    }
                    Truth::False
                }
                _ => match BUILTINS.iter().find(|(name, _)| *name == call.name()) {
                    Some((_, run)) => run(self, &call),
                    None => self.not_builtin(&call),
                },
            }
        };
        self.status = if negate { !status } else { status };
    }

    /// A command the installed GRUB build does not have (a function of that
    /// name would run instead): GRUB prints ``can't find command `X'`` there
    /// (script/function.c). Or an option newer than its release
    /// (`versions::INTRODUCED`): ``unknown argument `--X'`` (lib/arg.c), and
    /// the command does not run. Judged only when the build is known.
    fn check_command_exists(&mut self, call: &Call) -> Exists {
        let name = call.name();
        let Some(build) = self.opts.build.clone() else {
            return Exists::Yes;
        };
        if build.chosen_by == ChosenBy::Nothing || self.functions.contains_key(name) {
            return Exists::Yes;
        }
        let at = Self::loc(call.file, call.span());
        let which = build
            .version
            .as_deref()
            .map_or_else(String::new, |v| format!(" {v}"));
        let judged = versions::judged_release(&build);
        let row = judged.and_then(|have| versions::missing_command(have, name));
        if flavour::has_command(&build, self.opts.platform, name) == Some(false) || row.is_some() {
            let since = match row {
                Some(r) => format!(
                    " (it appeared in GRUB {}: {})",
                    versions::release_name(r.release),
                    r.source
                ),
                None => format!(
                    " ({})",
                    flavour::why_missing(&build, self.opts.platform, name)
                ),
            };
            let message = format!(
                "`{name}` does not exist in {} GRUB{which} on {}{since}",
                build.vendor.name(),
                self.opts.platform.name()
            );
            self.add_effect(Rule::MissingCommand, message, at, Some(name.to_string()));
            return Exists::Missing;
        }
        let Some(have) = judged else {
            return Exists::Yes;
        };
        let words = call
            .rest()
            .iter()
            .take_while(|a| a.known)
            .map(|a| a.text.as_str());
        let Some((arg, row)) = versions::missing_option(have, name, words) else {
            return Exists::Yes;
        };
        let message = format!(
            "`{name} {arg}`: {} GRUB{which} has no such option (it appeared in GRUB {}: {}); \
             `{name}` stops with `unknown argument` and does nothing",
            build.vendor.name(),
            versions::release_name(row.release),
            row.source
        );
        self.add_effect(
            Rule::MissingOption,
            message,
            at,
            Some(format!("{name} {arg}")),
        );
        Exists::OptionRejected
    }

    /// A name not in the table: a function, `name=value`, or a command of
    /// some module, recorded as written with an unknown status unless harmless.
    pub(super) fn not_builtin(&mut self, call: &Call) -> Truth {
        let name = call.name();
        if let Some(f) = self.functions.get(name).cloned() {
            return self.call(call.file, call.span(), f, call.rest());
        }
        if let Some((n, v)) = name.split_once('=') {
            self.assign(n, v, call.args[0].known);
            return Truth::True;
        }
        // `sleep` is kept outside entries too: it delays the menu (BV2103).
        if self.in_entry() || name == "sleep" {
            self.record_other(call);
        }
        if HARMLESS.contains(&name) {
            Truth::True
        } else {
            Truth::Unknown
        }
    }

    /// `test ARGS` and `[ ARGS ]`.
    fn cmd_test(&mut self, call: &Call) -> Truth {
        let rest = call.rest();
        let mut targs: Vec<TestArg> = rest
            .iter()
            .map(|a| TestArg {
                text: a.text.clone(),
                known: a.known,
            })
            .collect();
        if call.name() == "[" && targs.last().is_some_and(|a| a.text == "]") {
            targs.pop();
        }
        let mut probe = Probe {
            ev: self,
            args: rest,
        };
        test_expr::evaluate(&targs, &mut probe)
    }
}

/// File tests for `[ -f … ]`, answered through the file source.
struct Probe<'a, 'f> {
    ev: &'a Eval<'f>,
    args: &'a [Arg],
}

impl FileProbe for Probe<'_, '_> {
    fn file_test(&mut self, op: char, path: &str) -> Truth {
        let known = self
            .args
            .iter()
            .find(|a| a.text == path)
            .is_none_or(|a| a.known);
        // With `regexp` loaded GRUB expands wildcards before the test runs;
        // bootvet does not list devices, so a pattern stays undecided.
        if path.contains(['*', '?']) {
            return Truth::Unknown;
        }
        let r = self.ev.file_ref(&Value {
            text: path.to_string(),
            known,
        });
        if matches!(r.device, DeviceExpr::Unknown { .. }) {
            return Truth::Unknown;
        }
        match self.ev.files.stat(&r.device, &r.path) {
            Ok(st) => Truth::from(match op {
                'd' => st.is_dir,
                'f' => !st.is_dir,
                's' => !st.is_dir && st.size > 0,
                _ => true,
            }),
            Err(FileError::NotFound) => Truth::False,
            Err(_) => Truth::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BUILTINS;

    /// The lookup takes the first row of a name: a second would never run.
    #[test]
    fn each_command_name_has_one_handler() {
        let mut names: Vec<&str> = BUILTINS.iter().map(|(name, _)| *name).collect();
        names.sort_unstable();
        let all = names.len();
        names.dedup();
        assert_eq!(names.len(), all, "a name appears twice in BUILTINS");
    }
}
