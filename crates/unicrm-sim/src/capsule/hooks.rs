//! REST-hook deliveries (§11): `POST <targetUrl>` with `{"event":…,"payload":[record]}`,
//! asynchronous and best effort, retried after 5 s, 1 min, 5 min, 15 min and 15 min;
//! a `410 Gone` answer unsubscribes the hook.

use std::time::Duration;

use serde_json::{Value, json};

use super::Shared;
use super::model::Db;
use super::web::Embed;

/// One pending delivery.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    hook: u64,
    url: String,
    body: String,
}

/// Deliveries of `event` to every subscribed hook, each payload rendered with that hook's
/// `embed`.
pub(crate) fn collect(db: &Db, event: &str, render: impl Fn(&Db, Embed) -> Value) -> Vec<Delivery> {
    db.hooks
        .values()
        .filter(|h| h.event == event)
        .map(|h| {
            let embed = Embed::parse_str(h.embed.as_deref().unwrap_or(""));
            let body = json!({"event": event, "payload": [render(db, embed)]});
            Delivery {
                hook: h.id,
                url: h.target_url.clone(),
                body: super::numbers::to_json_text(&body),
            }
        })
        .collect()
}

const RETRIES: [u64; 5] = [5, 60, 300, 900, 900];

/// Sends the deliveries in the background.
pub(crate) fn deliver(app: &Shared, deliveries: Vec<Delivery>) {
    for d in deliveries {
        let app = app.clone();
        tokio::spawn(async move { send(app, d).await });
    }
}

async fn send(app: Shared, d: Delivery) {
    let mut stop = app.shutdown.clone();
    for attempt in 0..=RETRIES.len() {
        if attempt > 0 {
            let wait = Duration::from_secs(RETRIES[attempt - 1]);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
        if !app.lock().hooks.contains_key(&d.hook) {
            return;
        }
        let result = app
            .http
            .post(&d.url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "Capsule-RestHook (unicrm-sim)")
            .body(d.body.clone())
            .send()
            .await;
        match result {
            Ok(r) if r.status() == http::StatusCode::GONE => {
                app.lock().hooks.remove(&d.hook);
                return;
            }
            Ok(r) if r.status().is_success() => return,
            _ => {}
        }
    }
}
