//! The harness's raw view of notes, tasks and appointments (composite ids as the adapter
//! forms them: `<contactId>:<id>` for notes and tasks).

use unicrm_core::ResourceKind;
use unicrm_sim::HighLevelSimHandle;
use unicrm_testkit::VendorRecord;

fn text(m: &serde_json::Map<String, serde_json::Value>, k: &str) -> String {
    m.get(k)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// The vendor's records of `kind`, where this file knows the kind.
pub fn vendor_records(sim: &HighLevelSimHandle, kind: &ResourceKind) -> Option<Vec<VendorRecord>> {
    let sub = |rows: Vec<serde_json::Map<String, serde_json::Value>>| {
        rows.iter()
            .map(|r| VendorRecord {
                id: format!("{}:{}", text(r, "contactId"), text(r, "id")),
                marker: None,
            })
            .collect()
    };
    match kind {
        ResourceKind::Note => Some(sub(sim.notes())),
        ResourceKind::Task => Some(sub(sim.tasks())),
        ResourceKind::Engagement => Some(
            sim.appointments()
                .iter()
                .filter(|a| a.get("deleted") != Some(&serde_json::Value::Bool(true)))
                .map(|a| VendorRecord {
                    id: text(a, "id"),
                    marker: None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// An id of `kind` the vendor does not hold, where this file knows the kind.
pub fn missing_id(kind: &ResourceKind) -> Option<String> {
    match kind {
        ResourceKind::Note | ResourceKind::Task => {
            Some("Ct0nOtThErE000000000:Nt0nOtThErE000000000".into())
        }
        ResourceKind::Engagement => Some("Ap0nOtThErE000000000".into()),
        _ => None,
    }
}
