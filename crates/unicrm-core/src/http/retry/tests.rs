use super::*;
use chrono::TimeZone;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()
}

fn transport(kind: TransportKind) -> Error {
    Error::Transport {
        kind,
        message: "x".into(),
        source: None,
    }
}

fn vendor(status: u16) -> Error {
    Error::Vendor {
        vendor: "t".into(),
        status,
        code: None,
        message: String::new(),
        body: String::new(),
    }
}

/// method × error → decision.
#[test]
fn decision_table() {
    let p = RetryPolicy::default();
    let secs = Duration::from_secs;
    let cases: Vec<(&str, Error, Decision)> = vec![
        (
            "GET",
            transport(TransportKind::Connect),
            Decision::Retry(None),
        ),
        (
            "POST",
            transport(TransportKind::Connect),
            Decision::Retry(None),
        ),
        (
            "GET",
            transport(TransportKind::Timeout),
            Decision::Retry(None),
        ),
        ("POST", transport(TransportKind::Timeout), Decision::GiveUp),
        (
            "PUT",
            transport(TransportKind::Interrupted),
            Decision::Retry(None),
        ),
        (
            "POST",
            transport(TransportKind::Interrupted),
            Decision::GiveUp,
        ),
        ("GET", transport(TransportKind::Other), Decision::GiveUp),
        ("GET", vendor(500), Decision::Retry(None)),
        ("DELETE", vendor(503), Decision::Retry(None)),
        ("PUT", vendor(502), Decision::Retry(None)),
        ("POST", vendor(503), Decision::GiveUp),
        ("GET", vendor(405), Decision::GiveUp),
        (
            "GET",
            Error::RateLimited {
                retry_after: Some(secs(2)),
            },
            Decision::Retry(Some(secs(2))),
        ),
        (
            "POST",
            Error::RateLimited { retry_after: None },
            Decision::Retry(None),
        ),
        (
            "GET",
            Error::RateLimited {
                retry_after: Some(secs(3600)),
            },
            Decision::GiveUp,
        ),
        (
            "GET",
            Error::QuotaExhausted {
                resets_at: Some(now() + chrono::Duration::seconds(30)),
                limit: None,
            },
            Decision::Retry(Some(secs(31))),
        ),
        (
            "GET",
            Error::QuotaExhausted {
                resets_at: Some(now() + chrono::Duration::hours(5)),
                limit: None,
            },
            Decision::GiveUp,
        ),
        (
            "GET",
            Error::QuotaExhausted {
                resets_at: None,
                limit: Some(1000),
            },
            Decision::GiveUp,
        ),
        ("GET", Error::validation("bad"), Decision::GiveUp),
        // A 2xx body that could not be read: retried only for a repeatable request.
        ("GET", Error::decode(".", "cut"), Decision::Retry(None)),
        ("POST", Error::decode(".", "cut"), Decision::GiveUp),
        ("PATCH", Error::decode(".", "cut"), Decision::GiveUp),
        ("GET", transport(TransportKind::Other), Decision::GiveUp),
        ("POST", vendor(500), Decision::GiveUp),
        ("GET", vendor(499), Decision::GiveUp),
        // Exactly the longest accepted wait is still waited out.
        (
            "POST",
            Error::RateLimited {
                retry_after: Some(secs(60)),
            },
            Decision::Retry(Some(secs(60))),
        ),
        (
            "GET",
            Error::RateLimited {
                retry_after: Some(secs(61)),
            },
            Decision::GiveUp,
        ),
        (
            "POST",
            Error::QuotaExhausted {
                resets_at: Some(now() + chrono::Duration::seconds(60)),
                limit: None,
            },
            Decision::Retry(Some(secs(61))),
        ),
        (
            "GET",
            Error::QuotaExhausted {
                resets_at: Some(now() + chrono::Duration::seconds(61)),
                limit: None,
            },
            Decision::GiveUp,
        ),
        // A reset already past: one second for the clock skew.
        (
            "GET",
            Error::QuotaExhausted {
                resets_at: Some(now() - chrono::Duration::seconds(30)),
                limit: None,
            },
            Decision::Retry(Some(secs(1))),
        ),
        (
            "GET",
            Error::Paging {
                message: String::new(),
            },
            Decision::GiveUp,
        ),
        ("GET", Error::unsupported("x", "y"), Decision::GiveUp),
        (
            "GET",
            Error::Unauthenticated {
                message: String::new(),
            },
            Decision::GiveUp,
        ),
        (
            "GET",
            Error::NotFound {
                message: String::new(),
            },
            Decision::GiveUp,
        ),
    ];
    for (method, err, want) in cases {
        let m: http::Method = method.parse().unwrap();
        let got = decide(&p, Repeatable::by_method(&m), &err, now());
        assert_eq!(got, want, "{method} {err:?}");
    }
}

/// The classification and its two predicates, for every kind of error.
#[test]
fn classification_table() {
    use RetryClass::*;
    let secs = Duration::from_secs;
    let reset = now() + chrono::Duration::seconds(5);
    let cases: Vec<(Error, RetryClass, bool, bool)> = vec![
        (
            transport(TransportKind::Connect),
            NotApplied { after: None },
            true,
            false,
        ),
        (
            transport(TransportKind::Timeout),
            OutcomeUnknown,
            true,
            true,
        ),
        (
            transport(TransportKind::Interrupted),
            OutcomeUnknown,
            true,
            true,
        ),
        (transport(TransportKind::Other), Final, false, false),
        (
            Error::RateLimited {
                retry_after: Some(secs(3)),
            },
            NotApplied {
                after: Some(secs(3)),
            },
            true,
            false,
        ),
        (
            Error::QuotaExhausted {
                resets_at: Some(reset),
                limit: Some(1),
            },
            BudgetSpent {
                resets_at: Some(reset),
            },
            false,
            false,
        ),
        (vendor(500), OutcomeUnknown, true, true),
        (vendor(599), OutcomeUnknown, true, true),
        (vendor(418), Final, false, false),
        (Error::decode(".", "cut"), OutcomeUnknown, true, true),
        (Error::validation("x"), Final, false, false),
        (
            Error::NotFound {
                message: String::new(),
            },
            Final,
            false,
            false,
        ),
        (Error::config("x"), Final, false, false),
    ];
    for (err, class, retryable, unknown) in cases {
        assert_eq!(classify(&err), class, "{err:?}");
        assert_eq!(class.is_retryable(), retryable, "{err:?}");
        assert_eq!(err.is_retryable(), retryable, "{err:?}");
        assert_eq!(class.outcome_unknown(), unknown, "{err:?}");
        assert_eq!(err.outcome_unknown(), unknown, "{err:?}");
    }
}

#[test]
fn repeatable_by_method_and_from_bool() {
    for (m, want) in [
        ("GET", true),
        ("HEAD", true),
        ("OPTIONS", true),
        ("PUT", true),
        ("DELETE", true),
        ("POST", false),
        ("PATCH", false),
    ] {
        let m: http::Method = m.parse().unwrap();
        assert_eq!(is_idempotent(&m), want, "{m}");
        assert_eq!(Repeatable::by_method(&m).is_yes(), want, "{m}");
    }
    assert_eq!(Repeatable::from(true), Repeatable::Yes);
    assert_eq!(Repeatable::from(false), Repeatable::No);
    assert!(!Repeatable::No.is_yes());
    assert_eq!(RetryPolicy::none().max_retries, 0);
    assert_eq!(RetryPolicy::default().max_retries, 5);
}
