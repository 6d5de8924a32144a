//! `unicrm whoami`: checks the credentials with the cheapest call there is (the current user),
//! then prints the vendor, the account the client talks to, the user, and the request budget
//! the vendor's answer reported.

use chrono::SecondsFormat;
use serde_json::{Value, json};
use unicrm_core::Crm;
use unicrm_core::http::retry_after::RateLimitHeaders;

use crate::cli::WhoamiFormat;
use crate::exit::CliError;
use crate::hints::{Op, safe_url};
use crate::output::Stdout;

/// The Insightly pod of a base URL (`https://api.na1.insightly.com/v3.1/` → `na1`).
fn pod_of(base_url: &str) -> Option<String> {
    let host = url::Url::parse(base_url).ok()?.host_str()?.to_string();
    let rest = host.strip_prefix("api.")?.strip_suffix(".insightly.com")?;
    (!rest.is_empty() && !rest.contains('.')).then(|| rest.to_string())
}

/// The budget as a sentence.
pub fn budget_text(b: &RateLimitHeaders) -> String {
    let mut s = match (b.remaining, b.limit) {
        (Some(r), Some(l)) => format!("{r} of {l} requests left"),
        (Some(r), None) => format!("{r} requests left"),
        (None, Some(l)) => format!("limit {l} requests"),
        (None, None) => return "unknown (the vendor sent no rate-limit headers)".to_string(),
    };
    match b.reset {
        Some(t) => s.push_str(&format!(
            ", resets at {}",
            t.to_rfc3339_opts(SecondsFormat::Secs, true)
        )),
        None if b.limit.is_some() => s.push_str(" (no reset time given)"),
        None => {}
    }
    s
}

/// What `whoami` prints, as JSON.
pub fn report(
    vendor: &str,
    base_url: Option<&str>,
    user: &unicrm_core::User,
    budget: &RateLimitHeaders,
) -> Value {
    let base_url = base_url.map(safe_url);
    let pod = base_url.as_deref().and_then(pod_of);
    json!({
        "vendor": vendor,
        "account": {
            "base_url": base_url,
            "pod": pod,
        },
        "user": {
            "id": user.id.to_string(),
            "name": user.name.clone().or_else(|| {
                let parts: Vec<&str> = [&user.first_name, &user.last_name]
                    .iter()
                    .filter_map(|p| p.as_deref())
                    .collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            }),
            "email": user.email,
            "username": user.username,
            "is_admin": user.is_admin,
        },
        "rate_budget": {
            "limit": budget.limit,
            "remaining": budget.remaining,
            "resets_at": budget.reset.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        },
    })
}

/// The report as a two-column table.
pub fn table(v: &Value, budget: &RateLimitHeaders) -> String {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let account = match (&v["account"]["pod"], &v["account"]["base_url"]) {
        (Value::String(pod), url) => format!("pod {pod} ({})", text(url)),
        (_, url) => text(url),
    };
    let user = &v["user"];
    let mut who = text(&user["name"]);
    if let Value::String(email) = &user["email"] {
        who = if who.is_empty() {
            email.clone()
        } else {
            format!("{who} <{email}>")
        };
    }
    who = format!(
        "{} (id {})",
        if who.is_empty() { "?" } else { &who },
        text(&user["id"])
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.force_no_tty();
    for (k, val) in [
        ("vendor", text(&v["vendor"])),
        ("account", account),
        ("user", who),
        ("rate budget", budget_text(budget)),
    ] {
        t.add_row(vec![k.to_string(), val]);
    }
    // The preset pads every cell; no line ends in blanks.
    t.to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `whoami`.
pub async fn run(crm: &dyn Crm, format: WhoamiFormat) -> Result<(), CliError> {
    let base_url = crm.base_url().map(|u| u.to_string());
    let op = Op {
        vendor: crm.vendor(),
        resource: "",
        operation: "whoami",
        id: None,
        base_url: base_url.as_deref(),
    };
    let user = crm
        .current_user()
        .await
        .map_err(|e| CliError::crm(e, &op))?;
    let budget = crm.rate_budget();
    let v = report(crm.vendor(), base_url.as_deref(), &user, &budget);
    let mut out = Stdout::new();
    match format {
        WhoamiFormat::Json => out.line(&serde_json::to_string_pretty(&v)?),
        WhoamiFormat::Table => out.line(&table(&v, &budget)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pods_come_from_insightly_hosts_only() {
        assert_eq!(
            pod_of("https://api.na1.insightly.com/v3.1/").as_deref(),
            Some("na1")
        );
        assert_eq!(pod_of("https://api.insightly.com/v3.1/"), None);
        assert_eq!(pod_of("http://127.0.0.1:9/v3.1/"), None);
        assert_eq!(pod_of("https://api.a.b.insightly.com/"), None);
        assert_eq!(pod_of("not a url"), None);
    }

    #[test]
    fn budgets_read_as_sentences() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-01T13:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let b = |limit, remaining, reset| RateLimitHeaders {
            limit,
            remaining,
            reset,
        };
        assert_eq!(
            budget_text(&b(Some(4000), Some(3998), Some(t))),
            "3998 of 4000 requests left, resets at 2026-12-01T13:00:00Z"
        );
        assert_eq!(
            budget_text(&b(Some(100), Some(7), None)),
            "7 of 100 requests left (no reset time given)"
        );
        assert_eq!(budget_text(&b(None, Some(7), None)), "7 requests left");
        assert_eq!(
            budget_text(&b(Some(9), None, None)),
            "limit 9 requests (no reset time given)"
        );
        assert_eq!(
            budget_text(&b(None, None, None)),
            "unknown (the vendor sent no rate-limit headers)"
        );
    }
}
