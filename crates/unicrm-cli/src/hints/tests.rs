use super::*;
use chrono::TimeZone;
use unicrm_core::FieldError;
use unicrm_core::error::TransportKind;

fn op<'a>(vendor: &'a str, operation: &'a str, id: Option<&'a str>) -> Op<'a> {
    Op {
        vendor,
        resource: "contacts",
        operation,
        id,
        base_url: Some("http://user:pw@127.0.0.1:9/v3.1/?key=secret#x"),
    }
}

fn kinds(vendor: &str) -> Vec<(&'static str, Error)> {
    vec![
        (
            "not found",
            Error::NotFound {
                message: "Could not find resource".into(),
            },
        ),
        (
            "unauthenticated",
            Error::Unauthenticated {
                message: "Unauthorized".into(),
            },
        ),
        (
            "permission",
            Error::PermissionDenied {
                message: "Forbidden".into(),
            },
        ),
        (
            "validation",
            Error::Validation {
                message: "the record is invalid".into(),
                fields: vec![
                    FieldError {
                        field: Some("last_name".into()),
                        resource: None,
                        message: "is required".into(),
                    },
                    FieldError {
                        field: None,
                        resource: None,
                        message: "one email at most".into(),
                    },
                ],
            },
        ),
        ("validation, no fields", Error::validation("bad")),
        (
            "conflict",
            Error::Conflict {
                message: "duplicate".into(),
            },
        ),
        (
            "rate limited",
            Error::RateLimited {
                retry_after: Some(std::time::Duration::from_secs(3)),
            },
        ),
        (
            "quota",
            Error::QuotaExhausted {
                resets_at: Some(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap()),
                limit: Some(4000),
            },
        ),
        (
            "quota, no reset",
            Error::QuotaExhausted {
                resets_at: None,
                limit: None,
            },
        ),
        ("unsupported", Error::unsupported("contact.delete", vendor)),
        (
            "vendor",
            Error::Vendor {
                vendor: vendor.into(),
                status: 500,
                code: None,
                message: "Internal error".into(),
                body: String::new(),
            },
        ),
        (
            "connect",
            Error::Transport {
                kind: TransportKind::Connect,
                message: "connection refused".into(),
                source: None,
            },
        ),
        (
            "timeout",
            Error::Transport {
                kind: TransportKind::Timeout,
                message: "timed out".into(),
                source: None,
            },
        ),
        (
            "decode",
            Error::decode("parties[0].id", "expected a number"),
        ),
        (
            "paging",
            Error::Paging {
                message: "came back to a cursor".into(),
            },
        ),
        ("config", Error::config("bad base URL")),
    ]
}

/// One line per error kind and vendor: what a person reads.
#[test]
fn error_lines_per_kind() {
    let mut out = String::new();
    for vendor in ["capsule", "insightly", "highlevel"] {
        for (name, e) in kinds(vendor) {
            let id = matches!(name, "not found" | "conflict").then_some("999999");
            let operation = if id.is_some() { "get" } else { "list" };
            let l = line(&e, &op(vendor, operation, id));
            assert!(!l.contains('\n'));
            assert!(!l.contains("secret") && !l.contains("pw@"), "{l}");
            assert!(
                l.starts_with(&format!("{vendor} contacts {operation}")),
                "{l}"
            );
            out.push_str(&format!("{vendor} / {name}:\n  {l}\n"));
        }
    }
    insta::assert_snapshot!("error_lines", out);
}

#[test]
fn the_example_of_the_issue() {
    let e = Error::NotFound {
        message: "Could not find resource".into(),
    };
    let l = line(
        &e,
        &Op {
            base_url: None,
            ..op("capsule", "get", Some("999999"))
        },
    );
    assert!(
        l.starts_with("capsule contacts get 999999: not found; hint: "),
        "{l}"
    );
}

#[test]
fn lines_without_a_resource_skip_it() {
    let e = Error::Unauthenticated {
        message: "Unauthorized".into(),
    };
    let l = line(
        &e,
        &Op {
            resource: "",
            ..op("capsule", "whoami", None)
        },
    );
    assert_eq!(
        l,
        "capsule whoami: unauthenticated: Unauthorized; hint: check CAPSULE_TOKEN"
    );
}

#[test]
fn urls_lose_credentials_and_queries() {
    assert_eq!(
        safe_url("https://u:p@h.example/v3.1/?k=s#f"),
        "https://h.example/v3.1/"
    );
    assert_eq!(safe_url("::"), "an invalid URL");
    assert_eq!(credential_var("insightly"), Some("INSIGHTLY_API_KEY"));
    assert_eq!(credential_var("other"), None);
}

/// A qualified refusal from core's guard says what exactly is refused.
#[test]
fn a_qualified_refusal_names_what_is_refused() {
    let e = Error::unsupported("note.create setting title", "capsule");
    let l = line(&e, &op("capsule", "create", None));
    assert!(l.contains("not supported by capsule: setting title"), "{l}");
    let plain = line(
        &Error::unsupported("contact.delete", "capsule"),
        &op("capsule", "delete", Some("1")),
    );
    assert!(
        plain.contains("not supported by capsule") && !plain.contains("capsule:"),
        "{plain}"
    );
}
