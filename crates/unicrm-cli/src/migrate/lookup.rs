//! Looking in the target for a record whose create had an unknown outcome (a timeout, a
//! dropped connection): the records changed since the target's clock read `sent_after`, less
//! `LOOKUP_MARGIN`, are matched by key, again after each delay of the search lag.

use chrono::{DateTime, Utc};
use futures::StreamExt;
use unicrm_core::{CrmExt, ListParams};

use super::{LOOKUP_MARGIN, Migratable, Migrator};

impl Migrator<'_> {
    /// Finds a target record changed since its clock read `sent_after` (less a margin) that
    /// matches `new` and is not yet the image of another source record; looks again after each
    /// delay of the search lag when it finds none.
    pub(super) async fn find_in_target<R: Migratable>(
        &mut self,
        label: &'static str,
        new: &R::New,
        sent_after: Option<DateTime<Utc>>,
    ) -> Result<Option<R>, unicrm_core::Error> {
        let key = R::new_key(new);
        let kind = R::KIND.to_string();
        let target = self.target;
        let mut params = ListParams::new();
        if target.capabilities().of::<R>().filters.updated_since {
            params.updated_since = sent_after.map(|t| {
                t - chrono::Duration::from_std(LOOKUP_MARGIN).unwrap_or(chrono::Duration::zero())
            });
        }
        let delays = self.opts.search_lag.clone();
        let sleeper = self.opts.sleeper.clone();
        for look in 0..=delays.len() {
            if look > 0 {
                sleeper.sleep(delays[look - 1]).await;
            }
            self.rep(label).lookups += 1;
            let mut stream = target.stream_all::<R>(params.clone());
            while let Some(item) = stream.next().await {
                let r = item?;
                self.observe(&r);
                if r.record_key() == key {
                    let used = self
                        .state
                        .target_used(&kind, &r.id().to_string())
                        .await
                        .map_err(|e| unicrm_core::Error::config(e.message))?;
                    if !used {
                        self.rep(label).recovered += 1;
                        return Ok(Some(r));
                    }
                }
            }
        }
        Ok(None)
    }
}
