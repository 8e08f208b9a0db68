//! Human order references such as `KS-2026-000123`: what people read out on the phone.
//! The number comes from a per-year counter in the database; this only formats it.

pub fn format_reference(year: i32, number: i64) -> String {
    format!("KS-{year}-{number:06}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn pads_to_six_digits_and_grows_past_them() {
        assert_eq!(super::format_reference(2026, 123), "KS-2026-000123");
        assert_eq!(super::format_reference(2027, 1_234_567), "KS-2027-1234567");
    }
}
