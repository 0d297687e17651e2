//! Sizes as people read them, the same wherever selkie shows one (preflight, the status table,
//! the dashboard).

/// `512 KiB`, `45 MiB`, `1.2 GiB`: binary units, whole numbers below a GiB.
pub fn bytes(b: u64) -> String {
    let b = b as f64;
    if b < 1024.0 * 1024.0 {
        format!("{:.0} KiB", b / 1024.0)
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.0} MiB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.1} GiB", b / 1024.0 / 1024.0 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn sizes_read_in_the_largest_unit_below_them() {
        assert_eq!(bytes(640 * 1024), "640 KiB");
        assert_eq!(bytes(312 * 1024 * 1024), "312 MiB");
        assert_eq!(bytes(1288 * 1024 * 1024), "1.3 GiB");
        assert_eq!(bytes(40 * 1024 * 1024 * 1024), "40.0 GiB");
    }
}
