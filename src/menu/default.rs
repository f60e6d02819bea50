//! Which entry boots: `default` matched against the menu the way GRUB's
//! `normal/menu.c` does (§13), including the `a>b` walk into submenus and the
//! numeric quirks of `grub_strtoul`. Pure: reads the finished menu only.

use super::model::{DefaultChoice, Flavour, MatchedBy, MenuNode};

/// `grub_strtoul(s, &end, 0)` as `kern/misc.c` has it: blanks skipped; `0x`
/// (lower-case x only) means hex, a `0` followed by an octal digit means octal,
/// anything else decimal; digits until the first non-digit. `None` when no digit
/// was read (GRUB's "bad number"); otherwise the value and the unread tail.
pub fn grub_strtoul(s: &str) -> Option<(u64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = t.as_bytes();
    let (radix, digits) = match (b.first(), b.get(1)) {
        (Some(b'0'), Some(b'x')) => (16, &t[2..]),
        (Some(b'0'), Some(b'0'..=b'7')) => (8, t),
        _ => (10, t),
    };
    let len = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if len == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for c in digits[..len].chars() {
        let d = u64::from(c.to_digit(radix).unwrap_or(0));
        value = value.saturating_mul(u64::from(radix)).saturating_add(d);
    }
    Some((value, &digits[len..]))
}

/// GRUB's `menuentry_eq`: does `spec` name `name` up to its first single `>`?
/// `>>` in `spec` stands for a literal `>`. Returns the bytes of `spec` consumed.
pub fn entry_eq(name: &str, spec: &str) -> Option<usize> {
    let n = name.as_bytes();
    let s = spec.as_bytes();
    let (mut i, mut j) = (0, 0);
    loop {
        let end_of_spec = j >= s.len() || (s[j] == b'>' && s.get(j + 1) != Some(&b'>'));
        if end_of_spec {
            return (i == n.len()).then_some(j);
        }
        let c = if s[j] == b'>' {
            j += 1;
            b'>'
        } else {
            s[j]
        };
        if i >= n.len() || n[i] != c {
            return None;
        }
        i += 1;
        j += 1;
    }
}

/// The text after the first single `>`: what `default` becomes inside a submenu.
fn after_separator(spec: &str, consumed: usize) -> Option<&str> {
    spec.get(consumed..)?.strip_prefix('>')
}

fn match_level<'a>(
    nodes: &[MenuNode],
    spec: &'a str,
    flavour: Flavour,
) -> Option<(usize, MatchedBy, Option<&'a str>)> {
    let by_number = |spec: &'a str| {
        grub_strtoul(spec).and_then(|(n, tail)| {
            let index = usize::try_from(n).ok().filter(|i| *i < nodes.len())?;
            Some((index, MatchedBy::Index, tail.strip_prefix('>')))
        })
    };
    let by_title = |spec: &'a str| {
        nodes.iter().enumerate().find_map(|(i, node)| {
            entry_eq(&node.head().title, spec)
                .map(|used| (i, MatchedBy::Title, after_separator(spec, used)))
        })
    };
    let by_id = |spec: &'a str| {
        nodes.iter().enumerate().find_map(|(i, node)| {
            let id = node.head().id.as_deref()?;
            entry_eq(id, spec).map(|used| (i, MatchedBy::Id, after_separator(spec, used)))
        })
    };
    match flavour {
        Flavour::Upstream => {
            if grub_strtoul(spec).is_some() {
                // A number that reads is never tried as a title, even out of range.
                return by_number(spec);
            }
            // Upstream compares each entry's title, then its id, before moving on.
            nodes.iter().enumerate().find_map(|(i, node)| {
                let head = node.head();
                entry_eq(&head.title, spec)
                    .map(|used| (i, MatchedBy::Title, after_separator(spec, used)))
                    .or_else(|| {
                        head.id.as_deref().and_then(|id| {
                            entry_eq(id, spec)
                                .map(|used| (i, MatchedBy::Id, after_separator(spec, used)))
                        })
                    })
            })
        }
        Flavour::Fedora => {
            let id_part = spec.split([' ', '\t']).next().unwrap_or(spec);
            by_id(id_part)
                .or_else(|| by_title(spec))
                .or_else(|| by_number(spec))
        }
    }
}

/// Resolves `default` (its value when the menu is shown) against the menu.
pub fn resolve(
    nodes: &[MenuNode],
    value: Option<&str>,
    uncertain: bool,
    flavour: Flavour,
) -> DefaultChoice {
    resolve_with(nodes, value, uncertain, flavour, flavour == Flavour::Fedora)
}

/// Where Red Hat's GRUB boots another entry than upstream's would with the
/// same matching, because it keeps `default` when it opens a submenu: the
/// path it boots and the one upstream's rule gives.
pub fn kept_default_differs(
    nodes: &[MenuNode],
    value: Option<&str>,
    flavour: Flavour,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let kept = resolve_with(nodes, value, false, flavour, true).path?;
    let unset = resolve_with(nodes, value, false, flavour, false).path?;
    (kept != unset).then_some((kept, unset))
}

/// `keep`: a submenu opened by a `default` with no `>` rest keeps `default`
/// as it was. Upstream (normal/menu.c `grub_menu_execute_entry`, 2.06 and
/// 2.12) unsets it there, so the submenu boots its entry 0; rhboot/grub2
/// e71c7d4c2 ("Also, don't unset the default variable when a new submenu is
/// created", rhel-9-main, Fedora 34+) drops the unset, and the submenu's own
/// `run_menu` matches the same value again (`get_entry_number`): `default=1`
/// naming a submenu boots that submenu's entry 1. A kept value that matches
/// nothing there is entry 0 without a word (`run_menu`: out of range → 0).
pub fn resolve_with(
    nodes: &[MenuNode],
    value: Option<&str>,
    uncertain: bool,
    flavour: Flavour,
    keep: bool,
) -> DefaultChoice {
    let mut choice = DefaultChoice {
        value: value.map(str::to_string),
        uncertain,
        path: None,
        matched_by: Vec::new(),
        fell_back: None,
    };
    let mut level = nodes;
    let mut spec = value.filter(|v| !v.is_empty());
    let mut kept = false;
    let mut path = Vec::new();
    loop {
        if level.is_empty() {
            choice.fell_back = Some(if path.is_empty() {
                "the menu is empty".into()
            } else {
                // `grub_menu_execute_entry` shows a submenu only when
                // `menu->size` is non-zero; an empty one returns to the
                // outer menu with `timeout` unset, which then waits.
                format!(
                    "default opens submenu {}, which is empty: GRUB returns to the menu and waits",
                    super::model::path_text(&path)
                )
            });
            break;
        }
        let Some(s) = spec else {
            // No `default` at this level (none set, or a submenu opened
            // without a `>` rest): `run_menu` selects entry 0, and after a
            // timeout boots it; a submenu there opens the same way.
            choice.matched_by.push(MatchedBy::NoDefault);
            path.push(0);
            match &level[0] {
                MenuNode::Submenu(sub) => {
                    level = &sub.entries;
                    continue;
                }
                MenuNode::Entry(_) => break,
            }
        };
        match match_level(level, s, flavour) {
            Some((index, how, rest)) => {
                path.push(index);
                choice.matched_by.push(how);
                match &level[index] {
                    MenuNode::Submenu(sub) => {
                        // `grub_menu_execute_entry` (normal/menu.c, 2.06)
                        // opens the submenu with `timeout=0` when the outer
                        // menu timed out, and sets `default` to the text after
                        // the first single `>`, or unsets it when there is
                        // none: the submenu's entry 0 boots then.
                        level = &sub.entries;
                        spec = rest.filter(|r| !r.is_empty());
                        kept = spec.is_none() && keep;
                        if kept {
                            spec = Some(s);
                        }
                    }
                    MenuNode::Entry(_) => break,
                }
            }
            None if kept => {
                // Red Hat's kept `default` that names nothing in the submenu.
                choice.matched_by.push(MatchedBy::NoDefault);
                spec = None;
                path.push(0);
                match &level[0] {
                    MenuNode::Submenu(sub) => level = &sub.entries,
                    MenuNode::Entry(_) => break,
                }
            }
            None => {
                choice.matched_by.push(MatchedBy::FellBack);
                let where_ = if path.is_empty() {
                    "the menu".to_string()
                } else {
                    format!("submenu {}", super::model::path_text(&path))
                };
                choice.fell_back = Some(format!(
                    "default `{s}` matches no entry of {where_}: GRUB boots its first entry, `{}`",
                    level[0].head().title
                ));
                // Entry 0 of this level, opened like any other choice.
                spec = None;
                path.push(0);
                match &level[0] {
                    MenuNode::Submenu(sub) => level = &sub.entries,
                    MenuNode::Entry(_) => break,
                }
            }
        }
    }
    if !path.is_empty() {
        choice.path = Some(path);
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoul_quirks() {
        assert_eq!(grub_strtoul("5s"), Some((5, "s")));
        assert_eq!(grub_strtoul("010"), Some((8, "")));
        assert_eq!(grub_strtoul("0x1f>2"), Some((31, ">2")));
        assert_eq!(grub_strtoul(" 1>2"), Some((1, ">2")));
        assert_eq!(
            grub_strtoul("08"),
            Some((8, "")),
            "0 then a non-octal digit is decimal"
        );
        assert_eq!(grub_strtoul("0X1"), Some((0, "X1")));
        assert_eq!(grub_strtoul("0xg"), None);
        assert_eq!(grub_strtoul("0"), Some((0, "")));
        assert_eq!(grub_strtoul("Ubuntu"), None);
        assert_eq!(grub_strtoul("-1"), None);
        assert_eq!(
            grub_strtoul("99999999999999999999999"),
            Some((u64::MAX, ""))
        );
    }

    #[test]
    fn entry_eq_stops_at_single_gt() {
        assert_eq!(entry_eq("Advanced", "Advanced>x"), Some(8));
        assert_eq!(entry_eq("a>b", "a>>b"), Some(4));
        assert_eq!(entry_eq("a>b", "a>b"), None);
        assert_eq!(entry_eq("abc", "ab"), None);
    }
}
