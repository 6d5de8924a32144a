//! From a serde [`CrmConfig`] to a guarded `Arc<dyn Crm>`, over the adapters registered by name.
//!
//! An adapter describes itself with an [`Adapter`] (its vendor name, the credentials it needs
//! and a function from a config to a client) and is registered in a [`Registry`], or in the
//! process-wide one with [`register`]. Nothing here names a vendor: an adapter written in
//! another repository registers the same way, and [`connect`] (or the CLI, which builds on it)
//! reaches it with no change to unicrm. The `unicrm` facade registers the adapters of its
//! enabled features before it connects.
//!
//! Registration is explicit (a function call) rather than by linker sections: it works on every
//! target, keeps the order deterministic, and needs no dependency.
//!
//! The config is flat, so a line printed by `unicrm sandbox` is a config as it is:
//!
//! ```
//! let config: unicrm_core::CrmConfig = serde_json::from_str(
//!     r#"{"vendor":"insightly","base_url":"http://127.0.0.1:9/v3.1/","api_key":"k"}"#,
//! )?;
//! assert_eq!(config.vendor, "insightly");
//! assert!(!format!("{config:?}").contains("\"k\""), "secrets are redacted");
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use secrecy::SecretString;
use serde::Deserialize;

use crate::crm::Crm;
use crate::error::{Error, Result};

/// Credentials a config may carry. Every secret is a [`SecretString`]: `Debug` shows
/// `[REDACTED]`, and the config cannot be serialized back (secrets never leave by serde).
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct Credentials {
    /// A bearer token (Capsule personal access token, HighLevel location token).
    #[serde(default)]
    pub token: Option<SecretString>,
    /// An API key (Insightly).
    #[serde(default)]
    pub api_key: Option<SecretString>,
    /// An OAuth client secret.
    #[serde(default)]
    pub client_secret: Option<SecretString>,
    /// An OAuth refresh token.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
}

impl Credentials {
    /// The credential named `name` (`token`, `api_key`, `client_secret`, `refresh_token`).
    pub fn get(&self, name: &str) -> Option<&SecretString> {
        match name {
            "token" => self.token.as_ref(),
            "api_key" => self.api_key.as_ref(),
            "client_secret" => self.client_secret.as_ref(),
            "refresh_token" => self.refresh_token.as_ref(),
            _ => None,
        }
    }
}

/// Options a config may carry; an adapter reads those it knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The API base URL (a simulator's, a sandbox's); the vendor's public API when absent.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Insightly's pod (`na1`, `eu1`, …).
    #[serde(default)]
    pub pod: Option<String>,
    /// HighLevel's location (sub-account).
    #[serde(default)]
    pub location_id: Option<String>,
    /// An OAuth client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The client's pace, in requests per second.
    #[serde(default)]
    pub requests_per_second: Option<NonZeroU32>,
    /// Everything else in the config (adapter-specific options, a sandbox line's extra keys).
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// Which CRM to connect to, with what: `{"vendor": "capsule", "token": "…", "base_url": "…"}`.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct CrmConfig {
    /// The registered vendor name ([`Adapter::vendor`]).
    pub vendor: String,
    /// Credentials (flattened into the config).
    #[serde(flatten)]
    pub credentials: Credentials,
    /// Options (flattened into the config).
    #[serde(flatten)]
    pub options: ConnectOptions,
}

impl CrmConfig {
    /// A config for `vendor` with no credentials and default options.
    pub fn new(vendor: impl Into<String>) -> Self {
        CrmConfig {
            vendor: vendor.into(),
            credentials: Credentials::default(),
            options: ConnectOptions::default(),
        }
    }

    /// With the bearer token.
    pub fn token(mut self, token: impl Into<SecretString>) -> Self {
        self.credentials.token = Some(token.into());
        self
    }

    /// With the API key.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.credentials.api_key = Some(key.into());
        self
    }

    /// With the base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.options.base_url = Some(url.into());
        self
    }

    /// With the pod.
    pub fn pod(mut self, pod: impl Into<String>) -> Self {
        self.options.pod = Some(pod.into());
        self
    }

    /// With the location id.
    pub fn location_id(mut self, id: impl Into<String>) -> Self {
        self.options.location_id = Some(id.into());
        self
    }

    /// With the client's pace.
    pub fn requests_per_second(mut self, n: NonZeroU32) -> Self {
        self.options.requests_per_second = Some(n);
        self
    }

    /// The credential `name`, or a [`Error::Config`] saying the vendor needs it.
    pub fn require(&self, name: &str) -> Result<&SecretString> {
        self.credentials.get(name).ok_or_else(|| {
            Error::config(format!(
                "missing credential: {} needs `{name}`",
                self.vendor
            ))
        })
    }
}

/// Builds a client of one adapter from a config.
pub type ConnectFn = fn(&CrmConfig) -> Result<Arc<dyn Crm>>;

/// An adapter, as it registers itself.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Adapter {
    /// The vendor name configs use (`capsule`).
    pub vendor: &'static str,
    /// One line about it.
    pub description: &'static str,
    /// The credentials it cannot connect without ([`Credentials::get`] names), so a front end
    /// can ask for them by name (the CLI reads `CAPSULE_TOKEN` for `token`).
    pub required: &'static [&'static str],
    /// Builds a client (unguarded: the registry guards it).
    pub connect: ConnectFn,
}

impl Adapter {
    /// An adapter named `vendor`, connected by `connect`.
    pub const fn new(
        vendor: &'static str,
        description: &'static str,
        required: &'static [&'static str],
        connect: ConnectFn,
    ) -> Self {
        Adapter {
            vendor,
            description,
            required,
            connect,
        }
    }
}

/// Adapters by vendor name.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    adapters: BTreeMap<&'static str, Adapter>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `adapter`, replacing one of the same name (returned).
    pub fn register(&mut self, adapter: Adapter) -> Option<Adapter> {
        self.adapters.insert(adapter.vendor, adapter)
    }

    /// With `adapter` registered (builder style).
    pub fn with(mut self, adapter: Adapter) -> Self {
        self.register(adapter);
        self
    }

    /// The adapter named `vendor`.
    pub fn get(&self, vendor: &str) -> Option<&Adapter> {
        self.adapters.get(vendor)
    }

    /// The registered vendor names, sorted.
    pub fn vendors(&self) -> Vec<&'static str> {
        self.adapters.keys().copied().collect()
    }

    /// A guarded client of `config.vendor`; [`Error::UnknownVendor`] (listing the registered
    /// names) when no adapter has that name.
    pub fn connect(&self, config: &CrmConfig) -> Result<Arc<dyn Crm>> {
        let adapter = self
            .get(&config.vendor)
            .ok_or_else(|| Error::UnknownVendor {
                vendor: config.vendor.clone(),
                registered: self.vendors().iter().map(|v| v.to_string()).collect(),
            })?;
        Ok(crate::guard::guard((adapter.connect)(config)?))
    }
}

static GLOBAL: LazyLock<RwLock<Registry>> = LazyLock::new(Default::default);

/// Registers `adapter` in the process-wide registry (replacing one of the same name).
pub fn register(adapter: Adapter) {
    GLOBAL
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .register(adapter);
}

/// A copy of the process-wide registry.
pub fn global() -> Registry {
    GLOBAL
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// A guarded client of `config.vendor` from the process-wide registry (see
/// [`Registry::connect`]). The `unicrm` facade's `connect` registers its built-in adapters first.
pub fn connect(config: &CrmConfig) -> Result<Arc<dyn Crm>> {
    global().connect(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capability::Capabilities;
    use crate::crm::ClientStats;
    use crate::{CrmExt, CustomFieldDefinition, Guarded, ResourceKind, User};
    use async_trait::async_trait;
    use secrecy::ExposeSecret;

    struct Dummy {
        caps: Capabilities,
        token: String,
    }

    #[async_trait]
    impl Crm for Dummy {
        fn vendor(&self) -> &str {
            "dummy"
        }
        fn capabilities(&self) -> &Capabilities {
            &self.caps
        }
        async fn custom_field_definitions(
            &self,
            _kind: ResourceKind,
        ) -> Result<Vec<CustomFieldDefinition>> {
            Ok(vec![])
        }
        async fn current_user(&self) -> Result<User> {
            Ok(User::default())
        }
        fn stats(&self) -> ClientStats {
            ClientStats::default()
        }
        fn extension_of(
            &self,
            type_id: std::any::TypeId,
        ) -> Option<&(dyn std::any::Any + Send + Sync)> {
            (type_id == std::any::TypeId::of::<String>()).then_some(&self.token as _)
        }
    }

    fn dummy(config: &CrmConfig) -> Result<Arc<dyn Crm>> {
        let token = config.require("token")?.expose_secret().to_string();
        Ok(Arc::new(Dummy {
            caps: Capabilities::new("dummy"),
            token,
        }))
    }

    const DUMMY: Adapter = Adapter::new("dummy", "a test adapter", &["token"], dummy);

    #[test]
    fn connects_by_name_and_guards() {
        let reg = Registry::new().with(DUMMY);
        let crm = reg.connect(&CrmConfig::new("dummy").token("t")).unwrap();
        assert_eq!(crm.vendor(), "dummy");
        assert!(crm.extension::<Guarded>().is_some(), "guarded");
        assert_eq!(crm.extension::<String>().map(String::as_str), Some("t"));
        assert_eq!(reg.vendors(), ["dummy"]);
        assert_eq!(reg.get("dummy").unwrap().required, ["token"]);
    }

    #[test]
    fn an_unknown_vendor_lists_the_registered_ones() {
        let other = Adapter::new("other", "", &[], dummy);
        let reg = Registry::new().with(DUMMY).with(other);
        let err = reg.connect(&CrmConfig::new("pipedrive")).err().unwrap();
        match &err {
            Error::UnknownVendor { vendor, registered } => {
                assert_eq!(vendor, "pipedrive");
                assert_eq!(registered, &["dummy", "other"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err.to_string(),
            "unknown vendor `pipedrive` (registered: dummy, other)"
        );
        let empty = Registry::new().connect(&CrmConfig::new("x")).err().unwrap();
        assert_eq!(empty.to_string(), "unknown vendor `x` (registered: none)");
    }

    #[test]
    fn a_missing_credential_is_a_config_error() {
        let reg = Registry::new().with(DUMMY);
        let err = reg.connect(&CrmConfig::new("dummy")).err().unwrap();
        assert_eq!(
            err.to_string(),
            "configuration error: missing credential: dummy needs `token`"
        );
    }

    #[test]
    fn registering_again_replaces() {
        let mut reg = Registry::new();
        assert!(reg.register(DUMMY).is_none());
        let again = Adapter::new("dummy", "second", &[], dummy);
        assert_eq!(reg.register(again).unwrap().description, "a test adapter");
        assert_eq!(reg.get("dummy").unwrap().description, "second");
    }

    #[test]
    fn the_global_registry() {
        register(Adapter::new("global-dummy", "", &["token"], dummy));
        assert!(global().vendors().contains(&"global-dummy"));
        let crm = connect(&CrmConfig::new("global-dummy").token("g")).unwrap();
        assert_eq!(crm.extension::<String>().map(String::as_str), Some("g"));
    }

    #[test]
    fn a_sandbox_line_is_a_config_and_secrets_stay_hidden() {
        let line = r#"{"vendor":"capsule","base_url":"http://127.0.0.1:1/api/v2/","token":"sekrit-token","oauth_token_url":"http://x/","client_id":"cid","client_secret":"sekrit-client","requests_per_second":5}"#;
        let c: CrmConfig = serde_json::from_str(line).unwrap();
        assert_eq!(c.vendor, "capsule");
        assert_eq!(c.require("token").unwrap().expose_secret(), "sekrit-token");
        assert_eq!(
            c.credentials.get("client_secret").unwrap().expose_secret(),
            "sekrit-client"
        );
        assert!(c.credentials.get("api_key").is_none());
        assert!(c.credentials.get("nonsense").is_none());
        assert_eq!(
            c.options.base_url.as_deref(),
            Some("http://127.0.0.1:1/api/v2/")
        );
        assert_eq!(c.options.client_id.as_deref(), Some("cid"));
        assert_eq!(c.options.requests_per_second.map(|n| n.get()), Some(5));
        assert_eq!(c.options.other["oauth_token_url"], "http://x/");
        assert!(
            !c.options.other.contains_key("token"),
            "secrets are not copied"
        );
        let debug = format!("{c:?}");
        assert!(!debug.contains("sekrit"), "{debug}");
        let rt: CrmConfig = serde_json::from_str(
            r#"{"vendor":"v","refresh_token":"r","api_key":"k","pod":"eu1","location_id":"L"}"#,
        )
        .unwrap();
        assert!(rt.credentials.get("refresh_token").is_some());
        assert!(rt.credentials.get("api_key").is_some());
        assert_eq!(rt.options.pod.as_deref(), Some("eu1"));
        assert_eq!(rt.options.location_id.as_deref(), Some("L"));
        assert!(
            serde_json::from_str::<CrmConfig>(r#"{"vendor":"v","requests_per_second":0}"#).is_err()
        );
    }

    #[test]
    fn builder_methods_set_what_they_say() {
        let c = CrmConfig::new("v")
            .api_key("k")
            .base_url("http://h/")
            .pod("na1")
            .location_id("L")
            .requests_per_second(NonZeroU32::new(3).unwrap());
        assert_eq!(c.require("api_key").unwrap().expose_secret(), "k");
        assert_eq!(c.options.base_url.as_deref(), Some("http://h/"));
        assert_eq!(c.options.pod.as_deref(), Some("na1"));
        assert_eq!(c.options.location_id.as_deref(), Some("L"));
        assert_eq!(c.options.requests_per_second.unwrap().get(), 3);
    }
}
