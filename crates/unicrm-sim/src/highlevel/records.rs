//! The simulator handle's views of businesses, opportunities and pipelines (what a test reads
//! as "what the vendor holds", never through the adapter).

use serde_json::{Map, Value};

use super::HighLevelSimHandle;

impl HighLevelSimHandle {
    /// Every business as stored, by id.
    pub fn businesses(&self) -> Vec<Map<String, Value>> {
        self.sim.read().businesses.values().cloned().collect()
    }

    /// Every opportunity as stored, by id.
    pub fn opportunities(&self) -> Vec<Map<String, Value>> {
        self.sim.read().opportunities.values().cloned().collect()
    }

    /// Every pipeline as stored.
    pub fn pipelines(&self) -> Vec<Map<String, Value>> {
        self.sim.read().pipelines.clone()
    }

    /// Users of the location, as stored.
    pub fn users(&self) -> Vec<Map<String, Value>> {
        self.sim.read().users.clone()
    }

    /// An opportunity changed by someone else: merges `fields`, moves `updatedAt`; `false`
    /// when there is none.
    pub fn touch_opportunity(&self, id: &str, fields: Map<String, Value>) -> bool {
        let now = super::store::iso(self.sim.clock.now());
        let mut db = self.sim.write();
        let Some(o) = db.opportunities.get_mut(id) else {
            return false;
        };
        o.extend(fields);
        o.insert("updatedAt".into(), Value::String(now));
        true
    }

    /// Deletes an opportunity as someone else would; `false` when there is none.
    pub fn remove_opportunity(&self, id: &str) -> bool {
        self.sim.write().opportunities.remove(id).is_some()
    }
}

impl HighLevelSimHandle {
    /// The location's custom field definitions, as stored.
    pub fn custom_field_definitions(&self) -> Vec<Map<String, Value>> {
        self.sim.read().custom_fields.clone()
    }
}
