//! What an entry loads: GRUB modules, kernels (with the command line split as
//! the kernel splits it), initrds, chainloaded images, other kernels and
//! modules, and loopback devices over a file. Each records a command with the
//! file it reads and the device that file is on; none reads the file.

use super::builtins::Call;
use super::{Arg, Eval};
use crate::menu::cmdline;
use crate::menu::model::{CommandKind, DeviceExpr, Flavour, NoteKind};
use crate::menu::truth::Truth;

impl Eval<'_> {
    /// `insmod MODULE`.
    pub(super) fn cmd_insmod(&mut self, call: &Call) -> Truth {
        if let Some(m) = call.rest().first() {
            self.record(
                call.file,
                call.span(),
                CommandKind::Insmod {
                    module: m.text.clone(),
                },
            );
        }
        Truth::True
    }

    /// `loadfont FILE…`: recorded outside entries too (Secure Boot refuses a
    /// font file from disk, BV7011); whether it loads is decided at boot.
    pub(super) fn cmd_loadfont(&mut self, call: &Call) -> Truth {
        if !self.in_entry() {
            self.record_other(call);
        }
        self.not_builtin(call)
    }

    /// `linux FILE ARGS…` and its `linux16`/`linuxefi` forms.
    pub(super) fn cmd_linux(&mut self, call: &Call) -> Truth {
        let (file, span, rest, name) = (call.file, call.span(), call.rest(), call.name());
        let Some(path) = rest.first() else {
            self.note(
                NoteKind::BadCommand,
                format!("{name}: filename expected"),
                Some(Self::loc(file, span)),
            );
            return Truth::False;
        };
        let kargs = Self::texts(&rest[1..]);
        let line = cmdline::grub_cmdline_for(&kargs, self.opts.flavour == Flavour::Fedora);
        let (params, init_args) = cmdline::kernel_params(&line);
        let kind = CommandKind::Linux {
            command: name.into(),
            file: self.file_ref(path),
            args: kargs,
            cmdline: line,
            params,
            init_args,
        };
        self.record(file, span, kind);
        Truth::True
    }

    /// `initrd FILE…` and its `initrd16`/`initrdefi` forms.
    pub(super) fn cmd_initrd(&mut self, call: &Call) -> Truth {
        let files = call.rest().iter().map(|a| self.file_ref(a)).collect();
        self.record(
            call.file,
            call.span(),
            CommandKind::Initrd {
                command: call.name().into(),
                files,
            },
        );
        Truth::True
    }

    /// `chainloader [--force] [--bpb] FILE ARGS…`.
    pub(super) fn cmd_chainloader(&mut self, call: &Call) -> Truth {
        let rest = call.rest();
        // pc's chainloader takes `--force` and `--bpb` before the file.
        let is_flag = |a: &&Arg| a.text == "--force" || a.text == "--bpb";
        let plain: Vec<&Arg> = rest.iter().filter(|a| !is_flag(a)).collect();
        let Some(path) = plain.first() else {
            return Truth::False;
        };
        let kind = CommandKind::Chainloader {
            file: self.file_ref(path),
            args: rest
                .iter()
                .filter(is_flag)
                .chain(plain[1..].iter().copied())
                .map(|a| a.text.clone())
                .collect(),
        };
        self.record(call.file, call.span(), kind);
        Truth::True
    }

    /// The other loaders (`multiboot`, `module`, `ntldr`, `devicetree`, …):
    /// `--options` dropped, the first other word is the file.
    pub(super) fn cmd_load(&mut self, call: &Call) -> Truth {
        let plain: Vec<&Arg> = call
            .rest()
            .iter()
            .filter(|a| !a.text.starts_with("--"))
            .collect();
        let Some(path) = plain.first() else {
            return Truth::False;
        };
        let kind = CommandKind::Load {
            command: call.name().into(),
            file: self.file_ref(path),
            args: plain[1..].iter().map(|a| a.text.clone()).collect(),
        };
        self.record(call.file, call.span(), kind);
        Truth::True
    }

    /// `loopback DEV FILE` makes `(DEV)` a device over FILE; `loopback -d DEV`
    /// removes it.
    pub(super) fn cmd_loopback(&mut self, call: &Call) -> Truth {
        let rest = call.rest();
        if rest.first().is_some_and(|a| a.text == "-d") {
            if let Some(n) = rest.get(1) {
                self.devices.remove(&n.text);
            }
            return Truth::True;
        }
        // Forks add options (`-m` for a memory copy); skip them.
        let plain: Vec<&Arg> = rest.iter().filter(|a| !a.text.starts_with('-')).collect();
        let (Some(dev), Some(path)) = (plain.first(), plain.get(1)) else {
            return Truth::False;
        };
        let file_ref = self.file_ref(path);
        self.devices.insert(
            dev.text.clone(),
            DeviceExpr::Loopback {
                name: dev.text.clone(),
                file: Box::new(file_ref.clone()),
            },
        );
        self.record(
            call.file,
            call.span(),
            CommandKind::Loopback {
                name: dev.text.clone(),
                file: file_ref,
            },
        );
        Truth::True
    }
}
