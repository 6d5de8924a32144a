//! Insightly dates: `yyyy-MM-dd HH:mm:ss`, UTC, no zone (docs/vendors/insightly-v3.1.md §6).
//!
//! `""` and `0000-00-00 00:00:00` mean null. ISO-8601 (`2024-03-02T17:04:11Z`) is accepted
//! on input too; output is always the body form.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The body format.
pub const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a date-time; `None` for null markers and text that is not a date.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return None;
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(s, FORMAT) {
        return Some(n.and_utc());
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f") {
        return Some(n.and_utc());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(n.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
}

/// Parses an optional date-time field.
pub fn datetime(s: Option<&String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| parse_datetime(s))
}

/// Parses a date-only field (`DATE_OF_BIRTH`, `DUE_DATE`, …: the date at `00:00:00`).
pub fn date(s: Option<&String>) -> Option<NaiveDate> {
    datetime(s).map(|d| d.date_naive())
}

/// Formats a date-time in the body form.
pub fn format_datetime(d: &DateTime<Utc>) -> String {
    d.format(FORMAT).to_string()
}

/// Formats a date in the body form (`2024-06-30 00:00:00`).
pub fn format_date(d: &NaiveDate) -> String {
    format!("{} 00:00:00", d.format("%Y-%m-%d"))
}

/// Formats an instant for a query string (`2024-03-02T17:04:11Z`), whole seconds.
pub fn format_query(d: &DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_markers_and_formats() {
        assert_eq!(parse_datetime(""), None);
        assert_eq!(parse_datetime("0000-00-00 00:00:00"), None);
        assert_eq!(parse_datetime("garbage"), None);
        let d = parse_datetime("2024-03-02 17:04:11").unwrap();
        assert_eq!(format_datetime(&d), "2024-03-02 17:04:11");
        assert_eq!(parse_datetime("2024-03-02T17:04:11Z"), Some(d));
        assert_eq!(format_query(&d), "2024-03-02T17:04:11Z");
        let leap = date(Some(&"1984-02-29 00:00:00".to_string())).unwrap();
        assert_eq!(format_date(&leap), "1984-02-29 00:00:00");
    }
}
