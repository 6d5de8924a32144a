//! Every attempt has a `tracing` span `unicrm.request` with vendor, tenant, resource, method,
//! attempt and status (wiremock answers). Its own test binary with one test: `tracing` caches
//! whether a callsite is wanted per process, and a test without a subscriber running at the
//! same moment on another thread could make this one see no span.

use std::sync::Arc;

use unicrm_core::auth::BearerToken;
use unicrm_core::http::{ClientOptions, HttpClientBuilder, RetryPolicy};
use unicrm_core::time::RecordingSleeper;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The fields of every span opened, in order (a minimal `tracing` subscriber).
#[derive(Debug, Clone, Default)]
struct Spans(Arc<std::sync::Mutex<Vec<std::collections::BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut std::collections::BTreeMap<String, String>);

impl tracing::field::Visit for Fields<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
}

impl tracing::Subscriber for Spans {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = std::collections::BTreeMap::new();
        fields.insert("name".into(), attrs.metadata().name().into());
        attrs.record(&mut Fields(&mut fields));
        let mut spans = self.0.lock().unwrap();
        spans.push(fields);
        tracing::span::Id::from_u64(spans.len() as u64)
    }
    fn record(&self, id: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        if let Some(fields) = spans.get_mut(id.into_u64() as usize - 1) {
            values.record(&mut Fields(fields));
        }
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn every_attempt_has_a_span_with_vendor_tenant_resource_status_and_attempt() {
    let spans = Spans::default();
    tracing::subscriber::with_default(spans.clone(), || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("GET"))
                .and(path("/api/parties/12"))
                .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
                .up_to_n_times(1)
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path("/api/parties/12"))
                .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
                .mount(&server)
                .await;
            let client = HttpClientBuilder::new("acme", &format!("{}/api", server.uri()))
                .unwrap()
                .credentials(Arc::new(BearerToken::new("s3cret-token".to_string())))
                .retry(RetryPolicy {
                    jitter: false,
                    ..RetryPolicy::default()
                })
                .sleeper(Arc::new(RecordingSleeper::default()))
                .options(&ClientOptions::new().tenant("tenant-7"))
                .build()
                .unwrap();
            client
                .send(client.get("parties/12").unwrap())
                .await
                .unwrap();
        });
    });
    let requests: Vec<_> = spans
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.get("name").map(String::as_str) == Some("unicrm.request"))
        .cloned()
        .collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for (span, (attempt, status)) in requests.iter().zip([("1", "429"), ("2", "200")]) {
        let field = |k: &str| span.get(k).map(String::as_str);
        assert_eq!(field("vendor"), Some("acme"), "{span:?}");
        assert_eq!(field("tenant"), Some("tenant-7"), "{span:?}");
        // The resource, not the record id.
        assert_eq!(field("resource"), Some("parties"), "{span:?}");
        assert_eq!(field("method"), Some("GET"), "{span:?}");
        assert_eq!(field("attempt"), Some(attempt), "{span:?}");
        assert_eq!(field("status"), Some(status), "{span:?}");
        assert!(span.values().all(|v| !v.contains("s3cret")), "{span:?}");
    }
}
