//! Times shown the same way on the server and in the browser.

/// A Unix-milliseconds time as `YYYY-MM-DD HH:MM UTC`, the same on server and browser.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn times_are_shown_as_utc_calendar_dates() {
        assert_eq!(super::format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::format_utc(1_795_996_800_000 + 3_660_000), "2026-11-30 01:01 UTC");
        assert_eq!(super::format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}

/// A Unix-milliseconds time as `HH:MM` (UTC), for message stamps.
pub fn format_clock(ms: i64) -> String {
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

/// A length of time in words people read at a glance: `45 s`, `12 min`, `2 h 05 min`.
pub fn format_duration(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod duration_tests {
    #[test]
    fn durations_read_in_the_largest_unit_that_fits() {
        assert_eq!(super::format_duration(45_000), "45 s");
        assert_eq!(super::format_duration(12 * 60_000 + 30_000), "12 min");
        assert_eq!(super::format_duration(2 * 3_600_000 + 5 * 60_000), "2 h 05 min");
        assert_eq!(super::format_duration(-5), "0 s");
    }
}

/// Days since 1970-01-01 of a calendar date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The start (Unix ms, UTC) of a `YYYY-MM-DD` date; `None` for anything else.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let ms = days_from_civil(year, month, day) * 86_400_000;
    // 2026-02-30 is not a date: it would read back as another day.
    (format_date(ms) == format!("{year:04}-{month:02}-{day:02}")).then_some(ms)
}

/// A Unix-milliseconds time's UTC date, `YYYY-MM-DD`.
pub fn format_date(ms: i64) -> String {
    format_utc(ms)[..10].to_string()
}

#[cfg(test)]
mod date_tests {
    #[test]
    fn dates_read_and_print_the_same() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2026-11-30"), Some(1_795_996_800_000));
        assert_eq!(super::format_date(1_795_996_800_000 + 3_600_000), "2026-11-30");
        assert_eq!(
            super::parse_date("2024-02-29").map(super::format_date).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(super::parse_date("2026-02-30"), None);
        assert_eq!(super::parse_date("30/11/2026"), None);
    }
}
