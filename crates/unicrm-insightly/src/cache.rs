//! The per-client caches: custom field definitions (per object) and the lead statuses and
//! sources, each kept for five minutes and shared by clones of a client.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use unicrm_core::{Error, ResourceKind, Result};

use crate::client::Shared;
use crate::mapping::Definitions;
use crate::mapping::lead::LeadPicklists;
use crate::wire::CustomFieldDefinitionWire;

/// How long custom field definitions (and the lead statuses and sources) are cached.
const DEFINITIONS_TTL: Duration = Duration::from_secs(300);

/// The caches a client's resources share.
#[derive(Default)]
pub(crate) struct Caches {
    definitions: tokio::sync::Mutex<HashMap<&'static str, (Instant, Arc<Definitions>)>>,
    lead_picklists: tokio::sync::Mutex<Option<(Instant, Arc<LeadPicklists>)>>,
}

impl Shared {
    /// Custom field definitions of `object` (`Contacts`), fetched fresh.
    pub(crate) async fn fetch_definitions(
        &self,
        object: &'static str,
        kind: &ResourceKind,
    ) -> Result<(Vec<CustomFieldDefinitionWire>, Arc<Definitions>)> {
        let path = format!("CustomFields/{object}");
        let wire: Vec<CustomFieldDefinitionWire> = match self.send(self.http.get(&path)?).await {
            Ok(resp) => crate::wire::decode_array(&resp.body)?
                .iter()
                .enumerate()
                .map(|(i, r)| crate::wire::decode_at(r.get(), &format!("[{i}]")))
                .collect::<Result<_>>()?,
            // No access to custom fields (plan, permission): values are typed from JSON alone.
            Err(Error::PermissionDenied { .. } | Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let defs = Arc::new(Definitions::from_wire(wire.clone(), kind));
        self.caches
            .definitions
            .lock()
            .await
            .insert(object, (Instant::now(), defs.clone()));
        Ok((wire, defs))
    }

    /// Custom field definitions of `object`, cached for five minutes (one request per object
    /// per client and period; clones share the cache).
    pub(crate) async fn definitions(
        &self,
        object: &'static str,
        kind: &ResourceKind,
    ) -> Result<Arc<Definitions>> {
        {
            let cache = self.caches.definitions.lock().await;
            if let Some((at, d)) = cache.get(object) {
                if at.elapsed() < DEFINITIONS_TTL {
                    return Ok(d.clone());
                }
            }
        }
        Ok(self.fetch_definitions(object, kind).await?.1)
    }

    /// One picklist (`LeadStatuses`, `LeadSources`); empty without access to it.
    async fn fetch_picklist<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>> {
        let mut req = self.http.get(path)?;
        for (k, v) in query {
            req = req.query(k, v);
        }
        match self.send(req).await {
            Ok(resp) => crate::wire::decode_array(&resp.body)?
                .iter()
                .enumerate()
                .map(|(i, r)| crate::wire::decode_at(r.get(), &format!("[{i}]")))
                .collect(),
            // No access (plan, permission, leads disabled): labels stay unresolved.
            Err(Error::PermissionDenied { .. } | Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The lead statuses and sources (`GET /LeadStatuses`, `GET /LeadSources`), cached for
    /// five minutes like the custom field definitions (two requests per client and period;
    /// clones share the cache). The lock is held while fetching, so concurrent callers wait
    /// for one fetch.
    pub(crate) async fn lead_picklists(&self) -> Result<Arc<LeadPicklists>> {
        let mut cache = self.caches.lead_picklists.lock().await;
        if let Some((at, l)) = cache.as_ref() {
            if at.elapsed() < DEFINITIONS_TTL {
                return Ok(l.clone());
            }
        }
        // The converted status is listed only with `include_converted=true`
        // (docs/vendors/insightly-v3.1-addendum.md, "Leads"); without it a converted lead's
        // status would have no label.
        let statuses = self
            .fetch_picklist("LeadStatuses", &[("include_converted", "true")])
            .await?;
        let sources = self.fetch_picklist("LeadSources", &[]).await?;
        let lists = Arc::new(LeadPicklists::from_wire(statuses, sources));
        *cache = Some((Instant::now(), lists.clone()));
        Ok(lists)
    }
}
