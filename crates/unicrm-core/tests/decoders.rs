//! Property tests over every core decoder: `Link`, `Retry-After`, `X-RateLimit-*`, error bodies,
//! cursors, decimal `Money`, the lazy JSON decoder. The generators build valid-looking inputs
//! and then mutate them (cut, splice special characters, swap types), so the cases reach deep
//! into each parser rather than stopping at its first byte.
//!
//! `cargo test` runs a modest number of cases; the soak run sets `PROPTEST_CASES`
//! (`PROPTEST_CASES=100000 cargo test -p unicrm-core --test decoders`; see docs/reliability.md).

use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde::Deserialize;
use unicrm_core::error::{decode_json, decode_lazy};
use unicrm_core::http::classify::{classify, parse_error_body};
use unicrm_core::http::link_header::{find_rel, parse};
use unicrm_core::http::retry_after::{RateLimitHeaders, parse_retry_after, retry_after_header};
use unicrm_core::http::{
    HeaderMap, HeaderValue, HttpClient, HttpClientBuilder, QuotaCheck, QuotaTracker, Url,
};
use unicrm_core::{Cursor, Error, Money};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap()
}

/// Characters that matter to the parsers, spliced into otherwise valid inputs.
const SPECIAL: &[char] = &[
    '<',
    '>',
    ';',
    ',',
    '=',
    '"',
    '\\',
    ' ',
    '\t',
    '/',
    '?',
    '&',
    '#',
    ':',
    '.',
    '-',
    '+',
    'e',
    'E',
    '0',
    '9',
    '{',
    '}',
    '[',
    ']',
    'é',
    '\u{1F600}',
    '\u{0}',
];

/// Mutations applied to a valid input: none, cut at a point, insert, delete or replace a
/// character at a point.
#[derive(Debug, Clone)]
enum Mutation {
    None,
    Cut(usize),
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let ch = proptest::sample::select(SPECIAL);
    prop_oneof![
        3 => Just(Mutation::None),
        1 => any::<usize>().prop_map(Mutation::Cut),
        2 => (any::<usize>(), ch.clone()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        1 => any::<usize>().prop_map(Mutation::Delete),
        2 => (any::<usize>(), ch).prop_map(|(i, c)| Mutation::Replace(i, c)),
    ]
}

fn apply(s: &str, muts: &[Mutation]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for m in muts {
        let n = chars.len();
        match *m {
            Mutation::None => {}
            Mutation::Cut(i) => chars.truncate(i % (n + 1)),
            Mutation::Insert(i, c) => chars.insert(i % (n + 1), c),
            Mutation::Delete(i) if n > 0 => {
                chars.remove(i % n);
            }
            Mutation::Replace(i, c) if n > 0 => chars[i % n] = c,
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 0..4)
}

// ---------- Link ----------

#[derive(Debug, Clone)]
struct GenLink {
    target: String,
    rels: Vec<String>,
    quoted: bool,
    params: Vec<(String, String)>,
}

fn gen_link() -> impl Strategy<Value = GenLink> {
    let target = (
        prop_oneof![
            Just("https://x.test"),
            Just("http://127.0.0.1:8080"),
            Just("")
        ],
        "[a-z]{1,6}(/[a-z0-9]{1,6}){0,2}",
        proptest::option::of("[a-z]{1,5}=[a-z0-9,;]{0,8}(&[a-z]{1,5}=[a-z0-9,]{0,8}){0,3}"),
    )
        .prop_map(|(origin, path, q)| {
            let mut t = if origin.is_empty() {
                path
            } else {
                format!("{origin}/{path}")
            };
            if let Some(q) = q {
                t.push('?');
                t.push_str(&q);
            }
            t
        });
    let rel = proptest::sample::select(vec!["next", "prev", "first", "last", "self", "Next"]);
    (
        target,
        proptest::collection::vec(rel, 1..3),
        any::<bool>(),
        proptest::collection::vec(("[a-z]{1,6}", "[a-z ,;=]{0,10}"), 0..3),
    )
        .prop_map(|(target, rels, quoted, params)| GenLink {
            target,
            rels: rels.into_iter().map(String::from).collect(),
            quoted,
            params: params.into_iter().filter(|(k, _)| k != "rel").collect(),
        })
}

fn render(links: &[GenLink]) -> String {
    links
        .iter()
        .map(|l| {
            let rel = l.rels.join(" ");
            let rel = if l.quoted || l.rels.len() > 1 {
                format!("rel=\"{rel}\"")
            } else {
                format!("rel={rel}")
            };
            let mut s = format!("<{}>; {rel}", l.target);
            for (k, v) in &l.params {
                s.push_str(&format!("; {k}=\"{}\"", v));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn link_base() -> Url {
    Url::parse("https://x.test/api/v2/parties?page=1").unwrap()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn link_headers_parse_exactly(links in proptest::collection::vec(gen_link(), 1..5)) {
        let header = render(&links);
        let parsed = parse(&header);
        prop_assert_eq!(parsed.len(), links.len(), "{}", header);
        for (got, want) in parsed.iter().zip(&links) {
            prop_assert_eq!(&got.target, &want.target);
            let rels: Vec<String> = want.rels.iter().map(|r| r.to_ascii_lowercase()).collect();
            prop_assert_eq!(&got.rels, &rels);
            prop_assert_eq!(&got.params, &want.params);
        }
        let want_next = links
            .iter()
            .find(|l| l.rels.iter().any(|r| r.eq_ignore_ascii_case("next")))
            .and_then(|l| link_base().join(&l.target).ok());
        prop_assert_eq!(find_rel([header.as_str()], "next", &link_base()), want_next);
    }

    #[test]
    fn mutated_link_headers_never_panic(
        links in proptest::collection::vec(gen_link(), 0..4),
        muts in mutations(),
    ) {
        let header = apply(&render(&links), &muts);
        for l in parse(&header) {
            prop_assert!(!l.rels.iter().any(|r| r.chars().any(char::is_whitespace)));
        }
        if let Some(u) = find_rel([header.as_str()], "next", &link_base()) {
            prop_assert!(Url::parse(u.as_str()).is_ok());
        }
    }
}

// ---------- Retry-After and X-RateLimit-* ----------

fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn retry_after_seconds_and_dates(
        secs in any::<u64>(),
        digits in "[0-9]{1,30}",
        date_secs in 0u64..253_402_300_799,
        pad in "[ \t]{0,2}",
    ) {
        let v = format!("{pad}{secs}{pad}");
        prop_assert_eq!(parse_retry_after(&v, now()), Some(Duration::from_secs(secs)));
        let want = digits.parse::<u64>().unwrap_or(u64::MAX);
        prop_assert_eq!(parse_retry_after(&digits, now()), Some(Duration::from_secs(want)));
        let date = http_date(date_secs);
        let at: DateTime<Utc> = (UNIX_EPOCH + Duration::from_secs(date_secs)).into();
        let want = (at - now()).to_std().unwrap_or(Duration::ZERO);
        prop_assert_eq!(parse_retry_after(&date, now()), Some(want));
    }

    #[test]
    fn mutated_retry_after_never_panics(
        secs in any::<u64>(),
        date_secs in any::<u64>(),
        as_date in any::<bool>(),
        muts in mutations(),
    ) {
        let base = if as_date {
            http_date(date_secs % 253_402_300_799)
        } else {
            secs.to_string()
        };
        let v = apply(&base, &muts);
        let got = parse_retry_after(&v, now());
        let t = v.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            prop_assert!(got.is_some());
        }
        if let Ok(hv) = HeaderValue::from_str(&v) {
            let mut h = HeaderMap::new();
            h.insert("retry-after", hv);
            prop_assert_eq!(retry_after_header(&h, now()), got);
        }
    }

    #[test]
    fn rate_limit_headers_parse_or_are_none(
        limit in proptest::option::of(any::<u64>()),
        remaining in proptest::option::of(any::<u64>()),
        reset in proptest::option::of(any::<u64>()),
        muts in mutations(),
        which in 0usize..3,
    ) {
        let mut h = HeaderMap::new();
        let mut texts = [limit, remaining, reset].map(|v| v.map(|n| n.to_string()));
        if let Some(t) = texts[which].as_mut() {
            *t = apply(t, &muts);
        }
        for (name, t) in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"]
            .iter()
            .zip(&texts)
        {
            if let Some(hv) = t.as_ref().and_then(|t| HeaderValue::from_str(t).ok()) {
                h.insert(*name, hv);
            }
        }
        let r = RateLimitHeaders::from_headers(&h);
        let num = |i: usize| texts[i].as_ref().and_then(|t| t.trim().parse::<u64>().ok());
        prop_assert_eq!(r.limit, num(0));
        prop_assert_eq!(r.remaining, num(1));
        let want_reset = num(2)
            .and_then(|s| i64::try_from(s).ok())
            .and_then(|s| Utc.timestamp_opt(s, 0).single());
        prop_assert_eq!(r.reset, want_reset);
        prop_assert_eq!(r.is_empty(), r.limit.is_none() && r.remaining.is_none() && r.reset.is_none());
        // Whatever the reading, the budget check answers without panicking, and a wait never
        // exceeds the longest accepted one.
        let t = QuotaTracker::default();
        t.observe(&r);
        let max = Duration::from_secs(60);
        for at in [now(), Utc.timestamp_opt(0, 0).unwrap(), DateTime::<Utc>::MAX_UTC] {
            match t.check(at, max) {
                QuotaCheck::Wait(d) => prop_assert!(d <= max),
                QuotaCheck::Exhausted { .. } => prop_assert_eq!(r.remaining, Some(0)),
                _ => {}
            }
        }
    }

    #[test]
    fn error_bodies_classify_without_panicking(
        status in 100u16..600,
        message in "[a-zA-Z ,.\"\\\\é]{0,20}",
        field in proptest::option::of("[a-zA-Z]{1,8}"),
        shape in 0usize..5,
        muts in mutations(),
        retry_after in proptest::option::of(any::<u32>()),
        remaining in proptest::option::of(0u64..3),
    ) {
        let m = serde_json::Value::String(message.clone());
        let body = match shape {
            0 => serde_json::json!({"message": m, "field": field}),
            1 => serde_json::json!({"detail": m, "title": "t"}),
            2 => serde_json::json!({"error": "invalid_grant", "error_description": m}),
            3 => serde_json::json!({"error": m, "details": [m, 3, null, {"field": 1}]}),
            _ => serde_json::json!([m]),
        };
        let text = apply(&body.to_string(), &muts);
        let parsed = parse_error_body(text.as_bytes());
        if muts.iter().all(|m| matches!(m, Mutation::None)) && shape == 1 {
            prop_assert_eq!(parsed.message.as_deref(), Some(message.as_str()));
        }
        let mut h = HeaderMap::new();
        if let Some(s) = retry_after {
            h.insert("retry-after", HeaderValue::from(s));
        }
        if let Some(r) = remaining {
            h.insert("x-ratelimit-remaining", HeaderValue::from(r));
        }
        let err = classify("t", status, &h, text.as_bytes(), now());
        let _ = err.to_string();
        prop_assert_eq!(err.retry_class(), unicrm_core::http::retry::classify(&err));
        match (status, &err) {
            (404 | 410, Error::NotFound { .. }) => {}
            (404 | 410, other) => prop_assert!(false, "{other:?}"),
            (429, Error::RateLimited { retry_after: got }) => {
                prop_assert_ne!(remaining, Some(0));
                prop_assert_eq!(*got, retry_after.map(|s| Duration::from_secs(u64::from(s))));
            }
            (429, Error::QuotaExhausted { .. }) => prop_assert_eq!(remaining, Some(0)),
            (500.., Error::Vendor { body, .. }) => prop_assert!(body.len() <= unicrm_core::error::BODY_CAP),
            _ => {}
        }
    }
}

// ---------- Cursors ----------

fn cursor_client() -> &'static HttpClient {
    static CLIENT: std::sync::OnceLock<HttpClient> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        HttpClientBuilder::new("t", "https://api.example.test:8443/api/v2/")
            .unwrap()
            .build()
            .unwrap()
    })
}

fn gen_cursor_url() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["https", "http", "ftp", "HTTPS", "javascript", ""]),
        proptest::sample::select(vec![
            "api.example.test",
            "API.EXAMPLE.TEST",
            "evil.test",
            "api.example.test.evil.test",
            "127.0.0.1",
            "[::1]",
            "user:pw@api.example.test",
            "api.example.test@evil.test",
            "",
        ]),
        proptest::sample::select(vec![":8443", "", ":443", ":80", ":8444", ":99999", ":"]),
        "(/[a-z0-9%.]{0,8}){0,3}",
        proptest::option::of("[a-z=&0-9,]{0,12}"),
    )
        .prop_map(|(scheme, host, port, path, q)| {
            let mut s = if scheme.is_empty() {
                format!("//{host}{port}{path}")
            } else {
                format!("{scheme}://{host}{port}{path}")
            };
            if let Some(q) = q {
                s.push('?');
                s.push_str(&q);
            }
            s
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cursors_round_trip_as_json_strings(text in "\\PC{0,40}") {
        let c = Cursor::new(text.clone());
        let json = serde_json::to_string(&c).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&text).unwrap());
        let back: Cursor = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.as_str(), text.as_str());
    }

    #[test]
    fn forged_cursors_give_a_typed_error(url in gen_cursor_url(), muts in mutations()) {
        let c = cursor_client();
        let text = apply(&url, &muts);
        match c.cursor_url(&Cursor::new(text.clone())) {
            Ok(u) => {
                prop_assert_eq!(u.origin(), c.base_url().origin());
                prop_assert!(c.check_origin(&u).is_ok());
            }
            Err(Error::Paging { .. }) => prop_assert!(Url::parse(&text).is_err()),
            Err(Error::UnsafeUrl { url, .. }) => {
                let parsed = Url::parse(&text).unwrap();
                prop_assert_ne!(parsed.origin(), c.base_url().origin());
                // The refused URL is shown without its query or user info.
                let shown = Url::parse(&url).unwrap();
                prop_assert_eq!(shown.query(), None);
                prop_assert_eq!(shown.username(), "");
                prop_assert_eq!(shown.password(), None);
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
        // A serialized cursor that is not a string is refused by serde, not accepted.
        let bad = format!("{{\"c\":{}}}", serde_json::to_string(&text).unwrap());
        prop_assert!(serde_json::from_str::<Cursor>(&bad).is_err());
    }
}

// ---------- Money ----------

fn gen_amount() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(vec!["", "-", "+"]),
        "[0-9]{0,32}",
        proptest::option::of("[0-9]{0,32}"),
        proptest::option::of("[eE][+-]?[0-9]{1,3}"),
        proptest::sample::select(vec!["", " ", "\t"]),
    )
        .prop_map(|(sign, int, frac, exp, pad)| {
            let mut s = format!("{pad}{sign}{int}");
            if let Some(f) = frac {
                s.push('.');
                s.push_str(&f);
            }
            if let Some(e) = exp {
                s.push_str(&e);
            }
            s.push_str(pad);
            s
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn money_amounts_are_exact_or_refused(
        amount in gen_amount(),
        muts in mutations(),
        currency in prop_oneof!["[A-Za-z]{3}", "\\PC{0,4}"],
    ) {
        let text = apply(&amount, &muts);
        if let Some(m) = Money::parse(&text, &currency) {
            prop_assert_eq!(m.currency.as_str(), currency.trim().to_ascii_uppercase());
            // The decimal prints and re-reads to the same amount, and survives JSON exactly.
            let again = Money::parse(&m.amount.to_string(), m.currency.as_str()).unwrap();
            prop_assert_eq!(&again, &m);
            let json = serde_json::to_string(&m).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, m);
        }
        // Decoding a wire amount never panics either.
        let body = serde_json::json!({"amount": text, "currency": currency}).to_string();
        let _ = serde_json::from_str::<Money>(&body);
        let _ = decode_json::<Money>(body.as_bytes());
    }
}

// ---------- The lazy JSON decoder ----------

#[derive(Debug, Deserialize, PartialEq)]
#[allow(dead_code)]
struct Row {
    id: u64,
    name: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    owner: Option<Owner>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[allow(dead_code)]
struct Owner {
    id: u64,
    email: Option<String>,
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e300f64..1e300).prop_map(serde_json::Value::from),
        "\\PC{0,8}".prop_map(serde_json::Value::from),
    ]
}

fn gen_row() -> impl Strategy<Value = serde_json::Value> {
    (
        any::<u64>(),
        "[a-z ]{0,10}",
        proptest::collection::vec("[a-z]{1,5}", 0..3),
        proptest::option::of((any::<u64>(), proptest::option::of("[a-z@.]{1,10}"))),
        // Which field (if any) gets a value of a random type instead, and which is dropped.
        proptest::option::of((0usize..6, json_leaf())),
        proptest::option::of(0usize..4),
    )
        .prop_map(|(id, name, tags, owner, swap, drop)| {
            let mut row = serde_json::json!({
                "id": id,
                "name": name,
                "tags": tags,
                "owner": owner.map(|(id, email)| serde_json::json!({"id": id, "email": email})),
                "extra": 1,
            });
            if let Some((i, v)) = swap {
                match i {
                    0 => row["id"] = v,
                    1 => row["name"] = v,
                    2 => row["tags"] = serde_json::json!([v]),
                    3 => {
                        if row["owner"].is_object() {
                            row["owner"]["id"] = v;
                        }
                    }
                    4 => {
                        if row["owner"].is_object() {
                            row["owner"]["email"] = v;
                        }
                    }
                    _ => row["tags"] = v,
                }
            }
            if let Some(i) = drop {
                let key = ["id", "name", "tags", "owner"][i];
                row.as_object_mut().unwrap().remove(key);
            }
            row
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_lazy_decoder_agrees_with_the_path_tracking_one(
        rows in proptest::collection::vec(gen_row(), 0..4),
        muts in mutations(),
        prefix in prop_oneof![Just(String::new()), Just("parties".to_string())],
    ) {
        let text = apply(&serde_json::Value::Array(rows).to_string(), &muts);
        let lazy = decode_lazy::<Vec<Row>>(&text, || prefix.clone());
        let plain = serde_json::from_str::<Vec<Row>>(&text);
        prop_assert_eq!(lazy.is_ok(), plain.is_ok(), "{}", text);
        match (lazy, decode_json::<Vec<Row>>(text.as_bytes())) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(Error::Decode { path, .. }), Err(Error::Decode { path: inner, .. })) => {
                let want = match (prefix.is_empty(), inner.as_str()) {
                    (true, _) => inner.clone(),
                    (false, ".") => prefix.clone(),
                    (false, p) if p.starts_with('[') => format!("{prefix}{p}"),
                    (false, p) => format!("{prefix}.{p}"),
                };
                prop_assert_eq!(path, want);
            }
            // Trailing text after a complete value: only the lazy decoder checks the end.
            (Err(Error::Decode { path, .. }), Ok(_)) => {
                prop_assert_eq!(path, if prefix.is_empty() { ".".to_string() } else { prefix.clone() });
            }
            (a, b) => prop_assert!(false, "{a:?} / {b:?}"),
        }
    }
}
