//! Building a CRM client from the environment, through the registry (`unicrm::connect`).
//!
//! The vendor is a name registered in the registry (every adapter the `unicrm` facade enables,
//! and any registered since). Its settings come from environment variables named after it:
//! `{VENDOR}_TOKEN`, `{VENDOR}_API_KEY`, `{VENDOR}_BASE_URL`, `{VENDOR}_POD`,
//! `{VENDOR}_LOCATION_ID`, `{VENDOR}_COMPANY_ID`, `{VENDOR}_REQUESTS_PER_SECOND` (so `CAPSULE_TOKEN`,
//! `INSIGHTLY_API_KEY`, `HIGHLEVEL_LOCATION_ID`, …); an adapter's required credentials name the
//! variable to set when missing.

use std::sync::Arc;

use secrecy::SecretString;
use unicrm::{CrmConfig, Error};
use unicrm_core::Crm;

use crate::exit::CliError;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn var(vendor: &str, key: &str) -> String {
    format!(
        "{}_{}",
        vendor.to_uppercase().replace('-', "_"),
        key.to_uppercase()
    )
}

/// The registered vendor names, for `--vendor`, `--from` and `--to`.
pub fn vendors() -> Vec<&'static str> {
    unicrm::vendors()
}

/// A clap parser accepting exactly the registered vendor names (an unknown one is a usage
/// error, exit 2, listing them).
pub fn vendor_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(vendors())
}

/// The config for `vendor` from the environment; `base_url` overrides `{VENDOR}_BASE_URL`.
pub fn config(vendor: &str, base_url: Option<&str>) -> Result<CrmConfig, CliError> {
    let mut config = CrmConfig::new(vendor);
    let secret = |key: &str| env(&var(vendor, key)).map(SecretString::from);
    config.credentials.token = secret("token");
    config.credentials.api_key = secret("api_key");
    if let Some(url) = base_url
        .map(str::to_string)
        .or_else(|| env(&var(vendor, "base_url")))
    {
        config = config.base_url(url);
    }
    if let Some(pod) = env(&var(vendor, "pod")) {
        config = config.pod(pod);
    }
    if let Some(id) = env(&var(vendor, "location_id")) {
        config = config.location_id(id);
    }
    // HighLevel's agency id, for `GET /users/search` (an adapter option).
    if let Some(id) = env(&var(vendor, "company_id")) {
        config.options.other.insert("company_id".into(), id.into());
    }
    let rate_var = var(vendor, "requests_per_second");
    if let Some(rate) = env(&rate_var) {
        let n = rate.trim().parse::<std::num::NonZeroU32>().map_err(|_| {
            CliError::usage(format!(
                "{rate_var} must be a whole number above 0, got {rate:?}"
            ))
        })?;
        config = config.requests_per_second(n);
    }
    Ok(config)
}

/// A guarded client for `vendor` with settings from the environment; `base_url` overrides the
/// vendor's base URL variable.
pub fn connect(vendor: &str, base_url: Option<&str>) -> Result<Arc<dyn Crm>, CliError> {
    let config = config(vendor, base_url)?;
    let registry = {
        unicrm::register_builtin();
        unicrm::registry::global()
    };
    let Some(adapter) = registry.get(vendor) else {
        return Err(CliError::usage(format!(
            "unknown vendor {vendor:?}; registered: {}",
            registry.vendors().join(", ")
        )));
    };
    if let Some(missing) = adapter
        .required
        .iter()
        .find(|k| config.credentials.get(k).is_none())
    {
        return Err(CliError::runtime(format!(
            "missing credential: set {} to talk to {vendor}",
            var(vendor, missing)
        )));
    }
    registry.connect(&config).map_err(|e| match e {
        Error::UnknownVendor { .. } => CliError::usage(e.to_string()),
        e => e.into(),
    })
}
