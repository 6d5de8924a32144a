//! What a test reads of the simulator's notes, tasks, calendars and appointments directly
//! (the raw store, as the vendor holds it), beside the HTTP API.

use serde_json::{Map, Value};

use super::HighLevelSimHandle;

impl HighLevelSimHandle {
    /// Every note as stored, sorted by id.
    pub fn notes(&self) -> Vec<Map<String, Value>> {
        self.sim.read().notes.values().cloned().collect()
    }

    /// Every task as stored, sorted by id.
    pub fn tasks(&self) -> Vec<Map<String, Value>> {
        self.sim.read().tasks.values().cloned().collect()
    }

    /// The location's calendars.
    pub fn calendars(&self) -> Vec<Map<String, Value>> {
        self.sim.read().calendars.clone()
    }

    /// Every appointment as stored (deleted ones with `deleted: true`), sorted by id.
    pub fn appointments(&self) -> Vec<Map<String, Value>> {
        self.sim.read().appointments.values().cloned().collect()
    }
}
