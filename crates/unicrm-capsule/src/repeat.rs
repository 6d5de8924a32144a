//! Whether a Capsule write may be sent again after an unknown outcome (a timeout, a dropped
//! connection, a 5xx): judged by what it does, not by its verb.
//!
//! A PUT is a *merge* (docs/vendors/capsule-v2.md, "Nested collections on PUT"): scalar keys
//! are set (repeatable), a row with an `id` is updated (repeatable), a tag by name or id is
//! attached at most once and a custom field by definition is set (repeatable). Two kinds of
//! items are not repeatable:
//!
//! - a row of `emailAddresses`, `phoneNumbers`, `addresses` or `websites` **without an `id`**
//!   is appended: sent twice, it is there twice;
//! - an item with **`"_delete": true`** removes a row or a tag: sent again after it worked,
//!   the row is unknown (404) or the tag is not attached (422), an error for a write that
//!   succeeded.
//!
//! Such a PUT is marked non-idempotent ([`unicrm_core::http::Request::idempotent`]), so core
//! never re-sends it; the caller gets the error and can read the record back.

use serde_json::Value;

/// Row collections whose items without an `id` are appended.
pub const APPENDING_ROWS: [&str; 4] = ["emailAddresses", "phoneNumbers", "addresses", "websites"];

/// Whether a PUT body (`{"party": {…}}`, `{"opportunity": {…}}`, …) can be sent twice with
/// the effect of once. A body that is not JSON is judged not repeatable.
pub fn put_is_repeatable(body: &str) -> bool {
    let Ok(Value::Object(wrapper)) = serde_json::from_str::<Value>(body) else {
        return false;
    };
    wrapper.values().all(|record| match record {
        Value::Object(fields) => fields.iter().all(|(key, value)| {
            let Value::Array(items) = value else {
                return true;
            };
            items.iter().all(|item| {
                let deletes = item.get("_delete").and_then(Value::as_bool) == Some(true);
                let appends = APPENDING_ROWS.contains(&key.as_str())
                    && item.get("id").is_none_or(Value::is_null);
                !deletes && !appends
            })
        }),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts() {
        assert!(put_is_repeatable(
            r#"{"party":{"about":"x","firstName":null}}"#
        ));
        assert!(put_is_repeatable(
            r#"{"party":{"emailAddresses":[{"id":5,"type":"Work"}]}}"#
        ));
        assert!(put_is_repeatable(
            r#"{"party":{"tags":[{"name":"VIP"}],"fields":[{"definition":{"id":4},"value":"a"}]}}"#
        ));
        assert!(put_is_repeatable(r#"{"task":{"status":"COMPLETED"}}"#));
        for rows in APPENDING_ROWS {
            let body = format!(r#"{{"party":{{"{rows}":[{{"address":"a"}}]}}}}"#);
            assert!(!put_is_repeatable(&body), "{body}");
            let body = format!(r#"{{"party":{{"{rows}":[{{"id":null,"address":"a"}}]}}}}"#);
            assert!(!put_is_repeatable(&body), "{body}");
        }
        assert!(!put_is_repeatable(
            r#"{"party":{"phoneNumbers":[{"id":3,"_delete":true}]}}"#
        ));
        assert!(!put_is_repeatable(
            r#"{"opportunity":{"tags":[{"id":3,"_delete":true}]}}"#
        ));
        assert!(put_is_repeatable(
            r#"{"party":{"tags":[{"id":3,"_delete":false}]}}"#
        ));
        assert!(!put_is_repeatable("not json"));
        assert!(!put_is_repeatable("[1]"));
    }
}
