//! The answer to "did that command succeed?" when bootvet runs a config ahead of
//! the boot: known true, known false, or decided only at boot (a file test on a
//! device a `search` picks, a comparison with an unknown variable). `test`, `if`,
//! `while`/`until`, `&&`-style status and function results all use it.

use std::ops::Not;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    True,
    False,
    /// Decided at boot from something bootvet cannot know.
    Unknown,
}

impl Truth {
    /// Both hold: false wins over unknown.
    pub fn and(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::False, _) | (_, Truth::False) => Truth::False,
            (Truth::True, Truth::True) => Truth::True,
            _ => Truth::Unknown,
        }
    }

    /// Either holds: true wins over unknown.
    pub fn or(self, other: Truth) -> Truth {
        match (self, other) {
            (Truth::True, _) | (_, Truth::True) => Truth::True,
            (Truth::False, Truth::False) => Truth::False,
            _ => Truth::Unknown,
        }
    }

    /// `known.then_some(b)` in three values: `b` when known, else unknown.
    pub fn known_if(known: bool, b: bool) -> Truth {
        if known { b.into() } else { Truth::Unknown }
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }
}

/// `Some(b)` is known, `None` unknown: for answers computed only when known.
impl From<Option<bool>> for Truth {
    fn from(b: Option<bool>) -> Truth {
        b.map_or(Truth::Unknown, Truth::from)
    }
}

impl Not for Truth {
    type Output = Truth;

    fn not(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Truth::{self, False, True, Unknown};

    #[test]
    fn unknown_yields_only_where_the_other_side_cannot_decide() {
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(!Unknown, Unknown);
        assert_eq!(!True, False);
        assert_eq!(Truth::known_if(false, true), Unknown);
        assert_eq!(Truth::known_if(true, false), False);
    }
}
