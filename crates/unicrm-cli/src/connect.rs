//! Building a CRM client from the environment.

use std::sync::Arc;

use unicrm_capsule::CapsuleClient;
use unicrm_core::Crm;
use unicrm_insightly::InsightlyClient;

use crate::cli::Vendor;
use crate::exit::CliError;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str, vendor: Vendor) -> Result<String, CliError> {
    env(name).ok_or_else(|| {
        CliError::runtime(format!(
            "missing credential: set {name} to talk to {}",
            vendor.name()
        ))
    })
}

/// A client for `vendor` with credentials from the environment; `base_url` overrides the
/// vendor's base URL variable.
pub fn connect(vendor: Vendor, base_url: Option<&str>) -> Result<Arc<dyn Crm>, CliError> {
    match vendor {
        Vendor::Capsule => {
            let token = required("CAPSULE_TOKEN", vendor)?;
            let mut b = CapsuleClient::builder().personal_access_token(token);
            if let Some(url) = base_url
                .map(str::to_string)
                .or_else(|| env("CAPSULE_BASE_URL"))
            {
                b = b.base_url(&url);
            }
            Ok(Arc::new(b.build()?))
        }
        Vendor::Insightly => {
            let key = required("INSIGHTLY_API_KEY", vendor)?;
            let mut b = InsightlyClient::builder().api_key(key);
            if let Some(rate) = env("INSIGHTLY_REQUESTS_PER_SECOND") {
                let n = rate.trim().parse::<std::num::NonZeroU32>().map_err(|_| {
                    CliError::usage(format!(
                        "INSIGHTLY_REQUESTS_PER_SECOND must be a whole number above 0, got {rate:?}"
                    ))
                })?;
                b = b.requests_per_second(n);
            }
            if let Some(pod) = env("INSIGHTLY_POD") {
                b = b.pod(&pod);
            }
            if let Some(url) = base_url
                .map(str::to_string)
                .or_else(|| env("INSIGHTLY_BASE_URL"))
            {
                b = b.base_url(&url);
            }
            Ok(Arc::new(b.build()?))
        }
    }
}
