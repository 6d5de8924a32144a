//! Exact JSON numbers (§4.2): money amounts and number custom-field values keep every digit.
//!
//! `serde_json::Value` holds numbers as `f64` (no `arbitrary_precision` in this workspace), so
//! the text of a number is read from the request body with [`RawValue`], and rendered numbers
//! travel through the response `Value` as a marked string that [`splice`] turns back into the
//! bare number text when the body is serialised.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use serde_json::Value;
use serde_json::value::RawValue;

/// Longest accepted number text (and longest expansion of an exponent form).
const MAX_LEN: usize = 100;

/// One step of a path into a request body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON text of the value at `path` in `body`, exactly as sent. Duplicate keys resolve to
/// the last one, as with `serde_json::Value`.
pub(crate) fn raw_at<'a>(body: &'a [u8], path: &[Seg<'_>]) -> Option<&'a str> {
    let mut cur: &'a RawValue = serde_json::from_slice(body).ok()?;
    for seg in path {
        cur = match *seg {
            Seg::Key(k) => {
                let m: BTreeMap<String, &'a RawValue> = serde_json::from_str(cur.get()).ok()?;
                *m.get(k)?
            }
            Seg::Index(i) => {
                let v: Vec<&'a RawValue> = serde_json::from_str(cur.get()).ok()?;
                *v.get(i)?
            }
        };
    }
    Some(cur.get().trim())
}

/// `true` for the text of a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A plain decimal (`-?digits(.digits)?`, no exponent).
fn is_plain_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let mut parts = digits.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// The exact plain-decimal text of a JSON number or plain decimal (exponents expanded),
/// `None` when it is not one or the expansion is too long.
pub(crate) fn plain_decimal(s: &str) -> Option<String> {
    if s.len() > MAX_LEN {
        return None;
    }
    if is_plain_decimal(s) {
        return Some(s.to_string());
    }
    if !is_json_number(s) {
        return None;
    }
    let (neg, rest) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (mantissa, exp) = rest.split_once(['e', 'E'])?;
    let exp: i64 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int}{frac}");
    // Position of the decimal point within `digits` after shifting.
    let point = i64::try_from(int.len()).ok()? + exp;
    let len = i64::try_from(digits.len()).ok()?;
    if point > i64::try_from(MAX_LEN).ok()? || point < -i64::try_from(MAX_LEN).ok()? {
        return None;
    }
    let (i, f) = if point <= 0 {
        let zeros = usize::try_from(-point).ok()?;
        ("0".to_string(), format!("{}{digits}", "0".repeat(zeros)))
    } else if point >= len {
        let zeros = usize::try_from(point - len).ok()?;
        (format!("{digits}{}", "0".repeat(zeros)), String::new())
    } else {
        let p = usize::try_from(point).ok()?;
        (digits[..p].to_string(), digits[p..].to_string())
    };
    let i = i.trim_start_matches('0');
    let i = if i.is_empty() { "0" } else { i };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(i);
    if !f.is_empty() {
        out.push('.');
        out.push_str(&f);
    }
    (out.len() <= MAX_LEN).then_some(out)
}

/// The exact number text of a JSON number at `path` in `body`; `None` when the value there is
/// not a JSON number (a string, an object…) or is too long.
pub(crate) fn number_at(body: &[u8], path: &[Seg<'_>]) -> Option<String> {
    let raw = raw_at(body, path)?;
    (is_json_number(raw) && raw.len() <= MAX_LEN && plain_decimal(raw).is_some())
        .then(|| raw.to_string())
}

/// The canonical JSON number text of a stored decimal: exponents expanded, trailing fraction
/// zeros dropped (integers when whole), `-0` as `0`. `None` when it is not a number.
pub(crate) fn canonical(s: &str) -> Option<String> {
    let plain = plain_decimal(s.trim())?;
    let (neg, rest) = plain
        .strip_prefix('-')
        .map_or((false, plain.as_str()), |r| (true, r));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac = frac.trim_end_matches('0');
    let zero = int == "0" && frac.is_empty();
    let mut out = String::new();
    if neg && !zero {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// The per-process marker that prefixes a number carried as a string through a `Value`.
fn marker() -> &'static (String, String) {
    static MARK: OnceLock<(String, String)> = OnceLock::new();
    MARK.get_or_init(|| {
        let nonce = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let mark = format!("\u{1}unicrm-sim-number:{nonce:016x}:");
        let escaped = serde_json::to_string(&mark).unwrap_or_default();
        // `"` + the escaped marker, without the closing quote.
        let open = escaped[..escaped.len().saturating_sub(1)].to_string();
        (mark, open)
    })
}

/// A JSON number rendered exactly from a stored decimal: a placeholder in the `Value` that
/// [`splice`] replaces with the bare number text. `null` when the text is not a number.
pub(crate) fn number_value(s: &str) -> Value {
    canonical(s).map_or(Value::Null, |n| Value::String(format!("{}{n}", marker().0)))
}

/// Replaces every placeholder of [`number_value`] in serialised JSON by its number text.
pub(crate) fn splice(text: String) -> String {
    let open = &marker().1;
    if !text.contains(open.as_str()) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(pos) = rest.find(open.as_str()) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + open.len()..];
        let end = after.find('"').unwrap_or(after.len());
        let num = &after[..end];
        if end < after.len() && is_json_number(num) {
            out.push_str(num);
            rest = &after[end + 1..];
        } else {
            out.push_str(open);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Serialises a response body with its exact numbers spliced in.
pub(crate) fn to_json_text(value: &Value) -> String {
    splice(serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_numbers_keep_their_text() {
        let body =
            br#"{"opportunity":{"value":{"amount": 12345678901234567890.12 ,"currency":"GBP"},
            "fields":[{"value":1},{"value":0.10000000000000000001}]}}"#;
        let amount = [
            Seg::Key("opportunity"),
            Seg::Key("value"),
            Seg::Key("amount"),
        ];
        assert_eq!(
            number_at(body, &amount).as_deref(),
            Some("12345678901234567890.12")
        );
        let field = [
            Seg::Key("opportunity"),
            Seg::Key("fields"),
            Seg::Index(1),
            Seg::Key("value"),
        ];
        assert_eq!(
            number_at(body, &field).as_deref(),
            Some("0.10000000000000000001")
        );
        let currency = [
            Seg::Key("opportunity"),
            Seg::Key("value"),
            Seg::Key("currency"),
        ];
        assert_eq!(number_at(body, &currency), None);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical("12000.50").as_deref(), Some("12000.5"));
        assert_eq!(canonical("12000.00").as_deref(), Some("12000"));
        assert_eq!(canonical("1e3").as_deref(), Some("1000"));
        assert_eq!(canonical("1.5E-2").as_deref(), Some("0.015"));
        assert_eq!(canonical("-0.0").as_deref(), Some("0"));
        assert_eq!(
            canonical("12345678901234567890.12").as_deref(),
            Some("12345678901234567890.12")
        );
        assert_eq!(canonical("1e1000"), None);
        assert_eq!(canonical("x"), None);
        assert!(!is_json_number("01"));
        assert!(!is_json_number("1."));
        assert!(is_json_number("-0.5e+7"));
    }

    #[test]
    fn splices_into_serialised_text() {
        let v =
            json!({"value": {"amount": number_value("12345678901234567890.120"), "n": "a\u{1}"}});
        assert_eq!(
            to_json_text(&v),
            r#"{"value":{"amount":12345678901234567890.12,"n":"a\u0001"}}"#
        );
    }
}
