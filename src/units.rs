//! Sizes written for people, one way everywhere: the check messages, the text
//! reports, `devices` and `inspect`. A leaf module, so `check` (which words its
//! findings) and `report` (which renders them) share it without importing each
//! other.

/// `8.2 MiB`: binary units with one decimal; under 1 KiB, exact bytes (`403 B`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn bytes_then_binary_units_with_one_decimal() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(264_704), "258.5 KiB");
        assert_eq!(human_size(8 << 30), "8.0 GiB");
        assert_eq!(human_size(3 << 50), "3.0 PiB");
    }
}
