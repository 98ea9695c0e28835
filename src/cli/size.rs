//! Byte sizes as people write and read them: `64MiB` in, `64.0 MiB` out.
//!
//! The arithmetic is kept crates' (`parse-size` reads the number exactly, `bytesize` prints
//! it); the list of units stays here, because both crates also take a bare `K`, `M`, `G`,
//! exponents (`1e3`) and peta/exa units, which Ferry's options refuse.

/// Units accepted by [`parse_size`], lowercase, with their multipliers.
const UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// Parses a size such as `123`, `64KiB`, `1.5 GiB`, `5MB` into bytes.
///
/// Binary units (`KiB`, `MiB`, `GiB`, `TiB`) are powers of 1024, decimal ones (`KB`, `MB`, `GB`,
/// `TB`) powers of 1000; units are case-insensitive. A bare `K`/`M`/`G`/`T` is refused because
/// people mean both. Fractions round to the nearest whole byte.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let Some(&(_, multiplier)) = UNITS.iter().find(|(name, _)| *name == unit) else {
        return Err(format!(
            "unknown size unit {unit:?} in {s:?}: use B, KiB, MiB, GiB, TiB or KB, MB, GB, TB"
        ));
    };
    // `parse-size` wants a digit before the point; `.5MB` has always meant `0.5MB` here.
    let number = match number.strip_prefix('.') {
        Some(fraction) if !fraction.is_empty() => format!("0.{fraction}"),
        _ => number.to_owned(),
    };
    parse_size::Config::new()
        .with_default_factor(multiplier)
        .parse_size(&number)
        .map_err(|e| match e {
            parse_size::Error::PosOverflow => format!("{s:?} is too large"),
            _ => format!("{s:?} is not a size"),
        })
}

/// Shows a byte count with binary units: `512 B`, `1.5 KiB`, `64.0 MiB`.
pub fn format_size(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each text parses to its number of bytes.
    #[track_caller]
    fn assert_parses(cases: &[(&str, u64)]) {
        for &(text, bytes) in cases {
            assert_eq!(parse_size(text), Ok(bytes), "{text:?}");
        }
    }

    #[test]
    fn plain_numbers_are_bytes() {
        assert_parses(&[("123", 123), ("0", 0), (" 42 ", 42), ("7B", 7)]);
    }

    #[test]
    fn binary_units_are_powers_of_1024() {
        assert_parses(&[
            ("64KiB", 64 << 10),
            ("64MiB", 64 << 20),
            ("10GiB", 10 << 30),
            ("1TiB", 1 << 40),
        ]);
    }

    #[test]
    fn decimal_units_are_powers_of_1000() {
        assert_parses(&[
            ("5KB", 5_000),
            ("5MB", 5_000_000),
            ("5GB", 5_000_000_000),
            ("2TB", 2_000_000_000_000),
        ]);
    }

    #[test]
    fn units_are_case_insensitive_and_may_follow_a_space() {
        assert_parses(&[("64mib", 64 << 20), ("64 MIB", 64 << 20), ("5kb", 5_000)]);
    }

    #[test]
    fn fractions_round_to_whole_bytes() {
        assert_parses(&[
            ("1.5KiB", 1536),
            ("0.5MB", 500_000),
            ("1.0001KiB", 1024),
            (".5MB", 500_000),
            ("5.", 5),
            ("1.6B", 2),
        ]);
    }

    #[test]
    fn garbage_ambiguous_units_and_overflow_are_refused() {
        for bad in [
            "",
            "abc",
            "MiB",
            "1.2.3",
            ".",
            ".MB",
            "-5",
            "5 XB",
            "5K",
            "5M",
            "1e3",
            "20000000TiB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn sizes_are_shown_with_binary_units() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(1024), "1.0 KiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(64 << 20), "64.0 MiB");
        assert_eq!(format_size(10 << 30), "10.0 GiB");
        assert_eq!(format_size((1 << 20) - 1), "1024.0 KiB");
        assert_eq!(format_size(u64::MAX), "16.0 EiB");
    }
}
