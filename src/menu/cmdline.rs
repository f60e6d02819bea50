//! Kernel command lines: the string GRUB builds from `linux` arguments
//! (`grub_create_loader_cmdline`) and the parameters the kernel's `next_arg`
//! splits it into. Pure string work; knows nothing about what a parameter means.

use super::model::KernelParam;

/// GRUB re-joins arguments with one space; an argument holding a space is wrapped
/// in `"…"`, and `\`, `'`, `"` get a backslash. The kernel does not undo those
/// backslashes, which is why `acpi_osi="Windows 2015"` survives but
/// `foo='a b'` arrives with its quotes escaped.
pub fn grub_cmdline(args: &[String]) -> String {
    grub_cmdline_for(args, false)
}

/// `grub_cmdline` as a build does it: with `keep_hex` (Red Hat's
/// lib/cmdline.c, rhboot/grub2 ead577db9) a `\xHH` is copied as is instead
/// of getting a second backslash.
pub fn grub_cmdline_for(args: &[String], keep_hex: bool) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let quote = arg.contains(' ');
        if quote {
            out.push('"');
        }
        let bytes = arg.as_bytes();
        for (at, c) in arg.char_indices() {
            let hex = keep_hex && super::flavour::is_hex_escape(&bytes[at..]);
            if matches!(c, '\\' | '\'' | '"') && !hex {
                out.push('\\');
            }
            out.push(c);
        }
        if quote {
            out.push('"');
        }
    }
    out
}

/// Splits a command line as the kernel does (`lib/cmdline.c:next_arg`): blanks
/// separate parameters outside double quotes; the key ends at the first `=`; one
/// pair of quotes around the value (or the whole parameter) is dropped. Returns
/// the parameters before `--` and the words after it (for init).
pub fn kernel_params(cmdline: &str) -> (Vec<KernelParam>, Vec<String>) {
    let chars: Vec<char> = cmdline.chars().collect();
    let mut params = Vec::new();
    let mut init_args = Vec::new();
    let mut i = 0;
    let mut after_dashes = false;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut start = i;
        let mut quoted = false;
        if chars[i] == '"' {
            start += 1;
            i += 1;
            quoted = true;
        }
        let mut in_quote = quoted;
        let mut equals: Option<usize> = None;
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() && !in_quote {
                break;
            }
            if equals.is_none() && c == '=' {
                equals = Some(i);
            }
            if c == '"' {
                in_quote = !in_quote;
            }
            i += 1;
        }
        let end = i;
        let mut last = end;
        if after_dashes {
            init_args.push(chars[start..end].iter().collect());
            continue;
        }
        let (key, value) = match equals {
            None => {
                if quoted && last > start && chars[last - 1] == '"' {
                    last -= 1;
                }
                (chars[start..last].iter().collect::<String>(), None)
            }
            Some(eq) => {
                let key: String = chars[start..eq].iter().collect();
                let mut vstart = eq + 1;
                if vstart < end && chars[vstart] == '"' {
                    vstart += 1;
                    if last > vstart && chars[last - 1] == '"' {
                        last -= 1;
                    }
                } else if quoted && last > vstart && chars[last - 1] == '"' {
                    last -= 1;
                }
                (key, Some(chars[vstart..last.max(vstart)].iter().collect()))
            }
        };
        if key == "--" && value.is_none() {
            after_dashes = true;
            continue;
        }
        params.push(KernelParam { key, value });
    }
    (params, init_args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(k: &str, v: Option<&str>) -> KernelParam {
        KernelParam {
            key: k.into(),
            value: v.map(Into::into),
        }
    }

    #[test]
    fn grub_quotes_arguments_with_spaces() {
        let args = vec!["acpi_osi=Windows 2015".to_string(), "ro".to_string()];
        let line = grub_cmdline(&args);
        assert_eq!(line, "\"acpi_osi=Windows 2015\" ro");
        let (params, _) = kernel_params(&line);
        assert_eq!(
            params,
            vec![p("acpi_osi", Some("Windows 2015")), p("ro", None)]
        );
    }

    #[test]
    fn kernel_splits_key_value_and_strips_value_quotes() {
        let (params, init) = kernel_params("root=UUID=abc  ro rd.lvm.lv=\"vg/root\" -- single x");
        assert_eq!(
            params,
            vec![
                p("root", Some("UUID=abc")),
                p("ro", None),
                p("rd.lvm.lv", Some("vg/root"))
            ]
        );
        assert_eq!(init, vec!["single".to_string(), "x".to_string()]);
    }

    #[test]
    fn unbalanced_quote_runs_to_the_end() {
        let (params, _) = kernel_params("a=\"b c d");
        assert_eq!(params, vec![p("a", Some("b c d"))]);
        let (params, _) = kernel_params("\"");
        assert_eq!(params, vec![p("", None)]);
    }
}
