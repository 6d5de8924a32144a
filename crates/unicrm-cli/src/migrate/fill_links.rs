//! Filling links after the fact: a record written before the records it links to keeps
//! those links as pending rows; once the linked records are migrated, the link is written
//! with an update.

use unicrm_core::CrmExt;

use super::state::Entry;
use super::{Migratable, Migrator, budget_spent};
use crate::exit::CliError;

impl Migrator<'_> {
    /// Writes the links stored for records of `R` whose linked records are now migrated.
    pub(super) async fn fill_links<R: Migratable>(
        &mut self,
        label: &'static str,
    ) -> Result<(), CliError> {
        if self.opts.dry_run {
            return Ok(());
        }
        let kind = R::KIND.to_string();
        let target = self.target;
        for link in self.state.pending_links(&kind).await? {
            let Some(Entry::Done(tid)) = self.state.get(&kind, &link.source_id).await? else {
                continue;
            };
            let mut ids = Vec::new();
            for s in &link.link_source_ids {
                match self.state.target_id(&link.link_kind, s).await? {
                    Some(t) => ids.push(serde_json::Value::String(t)),
                    None => break,
                }
            }
            if ids.len() < link.link_source_ids.len() {
                continue;
            }
            let value = if link.field.ends_with("_ids") {
                serde_json::Value::Array(ids)
            } else {
                ids.remove(0)
            };
            let patch: R::Patch =
                serde_json::from_value(serde_json::json!({ link.field.clone(): value }))?;
            let id: R::Id = serde_json::from_value(serde_json::Value::String(tid))?;
            match target.resource::<R>().update(&id, &patch).await {
                Ok(r) => {
                    self.observe(&r);
                    self.state
                        .remove_pending_link(&kind, &link.source_id, &link.field)
                        .await?;
                    self.rep(label).links_filled += 1;
                }
                Err(e) if budget_spent(&e) => return Err(e.into()),
                Err(e) => {
                    tracing::warn!(error = %e, kind = %kind, source_id = %link.source_id, field = %link.field, "link not filled; kept for the next run");
                }
            }
        }
        self.rep(label).links_pending = self.state.pending_links(&kind).await?.len() as u64;
        Ok(())
    }
}
