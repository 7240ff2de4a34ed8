//! The period a statistics request covers, as people write it: a quarter (`2026Q4`), a month
//! (`2026-11`), a year (`2026`), or `from`/`to` as dates (`2026-10-01`) or full times with a
//! zone (`2026-10-01T08:00:00+08:00`). Dates and periods are in Beijing time (UTC+8, no
//! daylight saving); a date as `to` includes that whole day.

use crate::error::{ErrorCode, ServiceError, ServiceResult};
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};

/// `[from, to)` in UTC.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::coded(ErrorCode::InvalidArgument, message)
}

/// Midnight at the start of `day`, Beijing time.
fn start_of(day: NaiveDate) -> DateTime<Utc> {
    beijing()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("a fixed offset has one midnight")
        .with_timezone(&Utc)
}

/// Reads `period`, or `from` and `to`; exactly one of the two ways.
pub fn resolve(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> ServiceResult<Span> {
    match (period.map(str::trim), from, to) {
        (Some(p), None, None) => parse_period(p),
        (None, Some(from), Some(to)) => Ok((instant(from, false)?, instant(to, true)?)),
        (None, _, _) => Err(invalid(
            "请给出统计区间：period（如 2026Q4、2026-11、2026），或 from 和 to（如 2026-10-01）",
        )),
        (Some(_), _, _) => Err(invalid("period 与 from/to 只能选一种写法")),
    }
}

/// `2026Q4`, `2026-11` or `2026`.
fn parse_period(p: &str) -> ServiceResult<Span> {
    let bad = || {
        invalid(format!(
            "无法识别统计区间「{p}」：请写季度 2026Q4、月份 2026-11 或年份 2026"
        ))
    };
    let year = |y: &str| -> ServiceResult<i32> {
        y.parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(bad)
    };
    let months = |y: i32, first: u32, count: u32| -> ServiceResult<Span> {
        let start = NaiveDate::from_ymd_opt(y, first, 1).ok_or_else(bad)?;
        let end = start
            .checked_add_months(chrono::Months::new(count))
            .ok_or_else(bad)?;
        Ok((start_of(start), start_of(end)))
    };
    // `2026Q4`, `2026-Q4`, `2026 Q4`, `2026年Q4`, `2026年第4季度`, `2026年第四季度`.
    let upper = p
        .to_ascii_uppercase()
        .replace("第一季度", "Q1")
        .replace("第二季度", "Q2")
        .replace("第三季度", "Q3")
        .replace("第四季度", "Q4")
        .replace('第', "Q")
        .replace("季度", "")
        .replace(['年', ' '], "");
    let upper = match upper.split_once("-Q") {
        Some((y, q)) => format!("{y}Q{q}"),
        None => upper,
    };
    if let Some((y, q)) = upper.split_once('Q') {
        let q: u32 = q
            .parse()
            .ok()
            .filter(|q| (1..=4).contains(q))
            .ok_or_else(bad)?;
        return months(year(y)?, 3 * q - 2, 3);
    }
    if let Some((y, m)) = p.split_once('-') {
        let m: u32 = m
            .parse()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or_else(bad)?;
        return months(year(y)?, m, 1);
    }
    months(year(p)?, 1, 12)
}

/// A date (Beijing time; as an end, the day after it) or an RFC 3339 time with a zone.
/// Years outside 2000–2100 are refused (a date near chrono's limits once overflowed the
/// arithmetic and dropped the connection).
fn instant(text: &str, is_end: bool) -> ServiceResult<DateTime<Utc>> {
    let text = text.trim();
    let in_range = |year: i32| {
        (2000..=2100).contains(&year).then_some(()).ok_or_else(|| {
            invalid(format!(
                "时间「{text}」超出范围：统计区间应在 2000 年到 2100 年之间"
            ))
        })
    };
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        in_range(day.year())?;
        let day = if is_end { day + Duration::days(1) } else { day };
        return Ok(start_of(day));
    }
    let at = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            invalid(format!(
                "无法识别时间「{text}」：请写日期 2026-10-01，或带时区的时间 2026-10-01T08:00:00+08:00"
            ))
        })?;
    in_range(at.year())?;
    Ok(at)
}

/// The quarter holding `at`, in Beijing time, as `2026Q4`.
pub fn quarter_of(at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&beijing());
    format!("{}Q{}", local.year(), (local.month() - 1) / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn dates_far_in_the_past_or_future_are_refused_not_overflowed() {
        for (from, to) in [
            ("-262143-01-01", "2026-01-01"),
            ("2026-01-01", "+262142-12-31"),
            ("2026-01-01", "262142-12-31"),
            ("1999-12-31", "2026-01-01"),
            ("2026-01-01T00:00:00+08:00", "2101-01-01T00:00:00Z"),
        ] {
            let err = resolve(None, Some(from), Some(to)).expect_err(to);
            assert_eq!(err.code(), ErrorCode::InvalidArgument, "{from}..{to}");
        }
    }

    #[test]
    fn quarters_months_and_years_are_beijing_periods() {
        assert_eq!(
            resolve(Some("2026Q4"), None, None).unwrap(),
            (utc("2026-09-30T16:00:00Z"), utc("2026-12-31T16:00:00Z"))
        );
        assert_eq!(
            resolve(Some("2026q1"), None, None).unwrap().1,
            utc("2026-03-31T16:00:00Z")
        );
        assert_eq!(
            resolve(Some("2026-11"), None, None).unwrap(),
            (utc("2026-10-31T16:00:00Z"), utc("2026-11-30T16:00:00Z"))
        );
        assert_eq!(
            resolve(Some("2026"), None, None).unwrap().1,
            utc("2026-12-31T16:00:00Z")
        );
        for bad in ["2026Q5", "2026-13", "26", "Q4", "2026Q", ""] {
            let e = resolve(Some(bad), None, None).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{bad}");
        }
        for written in [
            "2026-Q4",
            "2026 Q4",
            "2026年Q4",
            "2026年第4季度",
            "2026年第四季度",
        ] {
            assert_eq!(
                resolve(Some(written), None, None).unwrap(),
                resolve(Some("2026Q4"), None, None).unwrap(),
                "{written}"
            );
        }
        assert_eq!(quarter_of(utc("2026-09-30T16:30:00Z")), "2026Q4");
    }

    #[test]
    fn dates_include_the_whole_last_day_and_times_keep_their_zone() {
        assert_eq!(
            resolve(None, Some("2026-10-01"), Some("2026-12-31")).unwrap(),
            (utc("2026-09-30T16:00:00Z"), utc("2026-12-31T16:00:00Z"))
        );
        assert_eq!(
            resolve(
                None,
                Some("2026-10-01T08:00:00+08:00"),
                Some("2026-10-02T00:00:00Z")
            )
            .unwrap(),
            (utc("2026-10-01T00:00:00Z"), utc("2026-10-02T00:00:00Z"))
        );
        let e = resolve(None, Some("10/01/2026"), Some("2026-12-31")).unwrap_err();
        assert!(e.to_string().contains("请写日期 2026-10-01"), "{e}");
        assert!(resolve(None, None, None).is_err());
        assert!(resolve(Some("2026Q4"), Some("2026-10-01"), None).is_err());
    }
}
