//! placeholder
use super::facts::{Facts, Source};
pub fn probe_live() -> Facts {
    Facts::new(Source::Live {
        grub_order: "kernel-order".into(),
    })
}
