//! The error line of a failed CRM call: what was being done, where, what went wrong, and the
//! next step when one is known.
//!
//! `capsule contacts get 999999: not found; hint: list them with …`. One line, never a secret:
//! the hints name environment variables, not their values, and the base URL shown is cut to
//! scheme, host, port and path.

use unicrm_core::Error;

/// What a CRM call was doing, for its error line.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// The vendor (`capsule`).
    pub vendor: &'a str,
    /// The resource as the command names it (`contacts`).
    pub resource: &'a str,
    /// The operation (`list`, `get`, `create`, `update`, `delete`, `changes`, `whoami`).
    pub operation: &'a str,
    /// The record's id, when the call is about one.
    pub id: Option<&'a str>,
    /// Where the client talks to (shown in hints), when known.
    pub base_url: Option<&'a str>,
}

/// The environment variable holding the vendor's credential.
pub fn credential_var(vendor: &str) -> Option<&'static str> {
    match vendor {
        "capsule" => Some("CAPSULE_TOKEN"),
        "insightly" => Some("INSIGHTLY_API_KEY"),
        "highlevel" => Some("HIGHLEVEL_TOKEN"),
        _ => None,
    }
}

/// The environment variable overriding the vendor's base URL.
fn base_url_var(vendor: &str) -> Option<&'static str> {
    match vendor {
        "capsule" => Some("CAPSULE_BASE_URL"),
        "insightly" => Some("INSIGHTLY_BASE_URL"),
        "highlevel" => Some("HIGHLEVEL_BASE_URL"),
        _ => None,
    }
}

/// A base URL without user info, query or fragment.
pub fn safe_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "an invalid URL".to_string(),
    }
}

fn now_at(op: &Op) -> String {
    op.base_url
        .map(|u| format!(" (now {})", safe_url(u)))
        .unwrap_or_default()
}

/// What went wrong, without repeating what the line already says.
fn summary(e: &Error, op: &Op) -> String {
    match e {
        Error::NotFound { .. } => "not found".to_string(),
        // A qualified refusal (`note.create setting title`, `task.list with search`) says
        // what exactly is refused; a plain one is said by the line already.
        Error::Unsupported { vendor, operation } => match operation.split_once(' ') {
            Some((_, detail)) => format!("not supported by {vendor}: {detail}"),
            None => format!("not supported by {vendor}"),
        },
        Error::Validation { message, .. } => format!("validation failed: {message}"),
        Error::QuotaExhausted { limit, .. } => format!(
            "request quota exhausted{}",
            limit.map(|l| format!(" (limit {l})")).unwrap_or_default()
        ),
        other => {
            let s = other.to_string();
            // The vendor's name is already at the start of the line.
            s.strip_prefix(&format!("{} ", op.vendor))
                .map(str::to_string)
                .unwrap_or(s)
        }
    }
}

/// The next step, when one is known.
pub fn hint(e: &Error, op: &Op) -> Option<String> {
    let vendor = op.vendor;
    match e {
        Error::Unauthenticated { .. } => Some(match vendor {
            // The adapter's message may already say which URL it used.
            "insightly" => format!(
                "check INSIGHTLY_API_KEY, and INSIGHTLY_POD or INSIGHTLY_BASE_URL: a key works \
                 only on its instance's pod{}",
                match op.base_url {
                    Some(u) if e.to_string().contains(&safe_url(u)) => String::new(),
                    _ => now_at(op),
                }
            ),
            "highlevel" => format!(
                "check HIGHLEVEL_TOKEN: it must be valid for HIGHLEVEL_LOCATION_ID and carry the \
                 scope for {}",
                op.resource
            ),
            v => match credential_var(v) {
                Some(var) => format!("check {var}"),
                None => "check the credentials".to_string(),
            },
        }),
        Error::PermissionDenied { .. } => Some(match vendor {
            "highlevel" => format!(
                "HIGHLEVEL_TOKEN lacks the scope to {} {}; add it to the app and authorise again",
                op.operation, op.resource
            ),
            _ => format!(
                "the user behind {} may not {} {}; ask an administrator",
                credential_var(vendor).unwrap_or("the credentials"),
                op.operation,
                op.resource
            ),
        }),
        Error::NotFound { .. } => match (vendor, op.id) {
            ("insightly", _) => Some(format!(
                "check INSIGHTLY_POD or INSIGHTLY_BASE_URL: records live on their instance's \
                 pod{}",
                now_at(op)
            )),
            (_, Some(_)) => Some(format!(
                "`unicrm --vendor {vendor} {} list` shows the ids there are",
                op.resource
            )),
            (_, None) => {
                base_url_var(vendor).map(|var| format!("check --base-url or {var}{}", now_at(op)))
            }
        },
        Error::QuotaExhausted { resets_at, .. } => Some(match resets_at {
            Some(t) => format!(
                "the quota resets at {}; try again then",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None if vendor == "insightly" => {
                "Insightly's quota is daily; try again tomorrow, or ask Insightly for more"
                    .to_string()
            }
            None => "the quota resets with the vendor's period; try again later".to_string(),
        }),
        Error::RateLimited { .. } => Some(match vendor {
            "insightly" => {
                "try again, or lower INSIGHTLY_REQUESTS_PER_SECOND (default about 9.5)".to_string()
            }
            _ => "try again in a moment".to_string(),
        }),
        Error::Validation {
            fields, message, ..
        } if !fields.is_empty() => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| match &f.field {
                    // The error line says the message already: not twice.
                    Some(name) if f.message.is_empty() || f.message == *message => name.clone(),
                    Some(name) => format!("{name} ({})", f.message),
                    None => f.message.clone(),
                })
                .collect();
            Some(format!("check {}", parts.join(", ")))
        }
        Error::Transport {
            kind: unicrm_core::error::TransportKind::Connect,
            ..
        } => base_url_var(vendor).map(|var| {
            format!(
                "is {vendor} reachable? check the network, --base-url or {var}{}",
                now_at(op)
            )
        }),
        _ => None,
    }
}

/// The whole line (without the `unicrm: error: ` prefix).
pub fn line(e: &Error, op: &Op) -> String {
    let mut s = [op.vendor, op.resource, op.operation]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(id) = op.id {
        s.push(' ');
        s.push_str(id);
    }
    s.push_str(": ");
    s.push_str(&summary(e, op));
    if let Some(h) = hint(e, op) {
        s.push_str("; hint: ");
        s.push_str(&h);
    }
    s
}

#[cfg(test)]
mod tests;
