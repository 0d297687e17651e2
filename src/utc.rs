//! Time in UTC without a date library: timestamps for backup folder names (sortable, and the same
//! whatever the server's time zone), and the RFC 3339 times Docker reports, read back.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `20261121T230102Z` for backup folder names.
pub fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The moment an RFC 3339 time names, such as Docker's `2026-11-21T23:37:30.264547110Z`:
/// fractions of a second are dropped, an offset such as `+02:00` is applied. `None` for anything
/// else, and for times before 1970 (Docker's `0001-01-01T00:00:00Z` means "never").
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    parse_rfc3339_exact(text).map(|t| {
        let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        UNIX_EPOCH + Duration::from_secs(secs)
    })
}

/// The moment an RFC 3339 time names, to the nanosecond: Docker's log timestamps and its
/// `FinishedAt` compare with this (fractions of up to nine digits).
pub fn parse_rfc3339_exact(text: &str) -> Option<SystemTime> {
    let (date, time) = text.split_once(['T', 't'])?;
    let [year, month, day] = fields(date, '-')?;
    let (clock, offset) = match time.strip_suffix(['Z', 'z']) {
        Some(clock) => (clock, 0),
        None => {
            let at = time.rfind(['+', '-'])?;
            let (clock, offset) = time.split_at(at);
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let [hh, mm] = fields(&offset[1..], ':')?;
            (clock, sign * (hh * 3600 + mm * 60))
        }
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = format!("{fraction:0<9}").parse().ok()?;
    let [hh, mm, ss] = fields(clock, ':')?;
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hh < 24
        && mm < 60
        // 60 is a leap second.
        && ss <= 60;
    if !valid {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hh * 3600 + mm * 60 + ss - offset;
    u64::try_from(secs)
        .ok()
        .map(|s| UNIX_EPOCH + Duration::new(s, nanos))
}

/// `N` unsigned decimal fields separated by `sep`, nothing more.
fn fields<const N: usize>(text: &str, sep: char) -> Option<[i64; N]> {
    let mut out = [0; N];
    let mut parts = text.split(sep);
    for field in &mut out {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *field = part.parse().ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// The civil date (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's
/// algorithm); `days_from_civil` is its inverse.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days from 1970-01-01 to a civil date: the inverse of `civil_from_days`.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(UNIX_EPOCH), "19700101T000000Z");
        assert_eq!(timestamp(at(1_795_302_062)), "20261121T230102Z");
        assert_eq!(timestamp(at(951_782_400)), "20000229T000000Z");
    }

    #[test]
    fn docker_times_parse() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(UNIX_EPOCH));
        assert_eq!(
            parse_rfc3339("2026-11-21T23:01:02.264547110Z"),
            Some(at(1_795_302_062))
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(at(951_782_400)));
        // The same moment with an offset, either way.
        assert_eq!(
            parse_rfc3339("2026-11-22T01:01:02+02:00"),
            Some(at(1_795_302_062))
        );
        assert_eq!(
            parse_rfc3339("2026-11-21T18:01:02.5-05:00"),
            Some(at(1_795_302_062))
        );
    }

    #[test]
    fn what_is_not_a_time_since_1970_is_refused() {
        for bad in [
            "yesterday",
            "0001-01-01T00:00:00Z",
            "2026-11-21",
            "2026-11-21T23:01:02",
            "2026-13-01T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "2026-11-21T23:01:02:03Z",
            "2026-11-21T23:1:+2Z",
            "2026-11-21T23:01:02+0200",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn parsing_reads_back_what_formatting_wrote() {
        // Every day from 1970 to 2100 (leap years and centuries included), at a time of day.
        for days in (0..47_847).step_by(7) {
            let t = at(days * 86_400 + 45_296);
            let basic = timestamp(t);
            let rfc3339 = format!(
                "{}-{}-{}T{}:{}:{}Z",
                &basic[0..4],
                &basic[4..6],
                &basic[6..8],
                &basic[9..11],
                &basic[11..13],
                &basic[13..15]
            );
            assert_eq!(parse_rfc3339(&rfc3339), Some(t), "{rfc3339}");
        }
    }
}
