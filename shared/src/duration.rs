//! Durations written in definitions: `30m`, `4h`, `5d`, `1d12h`, `2w`.
//!
//! Only whole minutes and larger units are accepted: SLA targets are about people's working
//! time, and seconds would suggest a precision the clocks do not have. What a "day" means
//! (24 hours or a business day) is the calendar's business, not this parser's.

/// The longest duration accepted, about ten years: anything longer is a typo, and the bound
/// keeps every later date arithmetic far from overflow.
const MAX_MINUTES: u64 = 10 * 366 * 24 * 60;

/// Parses a duration made of one or more `<number><unit>` parts, units `w`, `d`, `h`, `m`,
/// each unit at most once and from the largest to the smallest.
pub fn parse_duration(s: &str) -> Result<chrono::Duration, String> {
    let invalid = || format!("invalid duration \"{s}\" (expected e.g. 30m, 4h, 5d, 1d12h or 2w)");
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    // Index into the unit order of the last unit seen, to reject `4h1d` and `1h1h`.
    let mut last_unit: Option<usize> = None;
    for c in s.chars() {
        if let Some(digit) = c.to_digit(10) {
            let next = number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(digit)))
                .ok_or_else(invalid)?;
            number = Some(next);
            continue;
        }
        let (order, minutes_per_unit) = match c {
            'w' => (0, 7 * 24 * 60),
            'd' => (1, 24 * 60),
            'h' => (2, 60),
            'm' => (3, 1),
            _ => return Err(invalid()),
        };
        let amount = number.take().ok_or_else(invalid)?;
        if last_unit.is_some_and(|last| last >= order) {
            return Err(invalid());
        }
        last_unit = Some(order);
        total = amount
            .checked_mul(minutes_per_unit)
            .and_then(|minutes| total.checked_add(minutes))
            .ok_or_else(invalid)?;
        if total > MAX_MINUTES {
            return Err(format!("duration \"{s}\" is longer than ten years"));
        }
    }
    if number.is_some() {
        // Trailing digits without a unit, e.g. `4h30`.
        return Err(invalid());
    }
    if total == 0 {
        return Err(format!("duration \"{s}\" must be longer than zero"));
    }
    let minutes = i64::try_from(total).map_err(|_| invalid())?;
    chrono::Duration::try_minutes(minutes).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_into_minutes() {
        let cases = [
            ("30m", 30),
            ("4h", 240),
            ("5d", 5 * 1440),
            ("1d12h", 1440 + 720),
            ("2w", 2 * 7 * 1440),
            ("1w2d3h4m", 7 * 1440 + 2 * 1440 + 180 + 4),
        ];
        for (text, minutes) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(chrono::Duration::minutes(minutes)),
                "{text}"
            );
        }
    }

    #[test]
    fn malformed_durations_are_rejected() {
        for text in [
            "",
            "4",
            "h",
            "4x",
            "4h1d",
            "1h1h",
            "0m",
            "4h30",
            "-4h",
            " 4h",
            "4 h",
            "1.5h",
            "99999999999999999999w",
            "600w",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} should be rejected");
        }
    }
}
