//! The Insightly projects page for the mapping-cost figure (`mapping_cost.insightly.projects`):
//! 200 projects written through the adapter (custom fields of every seeded type, tags, links,
//! half on the project pipeline), then one page of `GET /Projects?top=500` as the adapter
//! lists it, decoded by the adapter's own project mapping.

use unicrm_core::{
    CustomFieldId, CustomFieldValue, FieldValue, ListParams, NewProject, Pipeline, ProjectStatus,
    ResourceKind, Tag,
};
use unicrm_sim::InsightlySimHandle;

use crate::figures::s;
use crate::mapping::Decoder;

/// Projects written before the page is fetched.
const PROJECTS: usize = 200;

/// Creates the projects and fetches their page, with the adapter's decoder.
pub async fn fetch_pages(
    http: &reqwest::Client,
    insightly: &InsightlySimHandle,
) -> Result<Vec<(String, Vec<u8>, usize, Decoder)>, String> {
    use unicrm_core::{Crm, CrmExt};
    let client = unicrm_insightly::InsightlyClient::builder()
        .base_url(insightly.base_url.as_str())
        .api_key(insightly.api_key.clone())
        .requests_per_second(std::num::NonZeroU32::new(1000).ok_or("rps")?)
        .build()
        .map_err(s)?;
    let pipeline = client
        .list_all::<Pipeline>(ListParams::new())
        .await
        .map_err(s)?
        .into_iter()
        .find(|p| p.applies_to == Some(ResourceKind::Project));
    let account = client
        .accounts()
        .list(&ListParams::new().page_size(1))
        .await
        .map_err(s)?
        .items
        .into_iter()
        .next()
        .map(|a| a.id);
    let field = |name: &str, value: FieldValue| CustomFieldValue {
        definition_id: CustomFieldId::new(name),
        name: None,
        value: Some(value),
        row_id: None,
    };
    for n in 0..PROJECTS {
        let on_pipeline = n % 2 == 0;
        let new = NewProject {
            name: format!("Bench project {n}"),
            description: Some(format!("Project {n}: install and hand over.\nTwo shifts.")),
            status: Some(ProjectStatus::InProgress),
            pipeline_id: pipeline
                .as_ref()
                .filter(|_| on_pipeline)
                .map(|p| p.id.clone()),
            category_id: Some("12".into()),
            account_id: account.clone(),
            tags: vec![Tag::named("bench"), Tag::named(format!("batch {}", n % 7))],
            custom_fields: vec![
                field("Fittings_Count__c", FieldValue::Number(n as i64)),
                field(
                    "Modules__c",
                    FieldValue::MultiChoice(vec!["Sensors".into(), "Smart control".into()]),
                ),
                field("Site_Type__c", FieldValue::SingleChoice("Office".into())),
                field("Permit_Received__c", FieldValue::Boolean(n % 3 == 0)),
                field("Project_Notes__c", FieldValue::Text(format!("note {n}"))),
            ],
            vendor_fields: [(
                "STARTED_DATE".to_string(),
                serde_json::Value::String(format!(
                    "2025-{:02}-{:02} 00:00:00",
                    1 + n % 12,
                    1 + n % 28
                )),
            )]
            .into_iter()
            .collect(),
            ..NewProject::default()
        };
        client.projects().create(&new).await.map_err(s)?;
    }
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", insightly.api_key))
    };
    let get = |path: String| {
        let req = http
            .get(format!("{}{path}", insightly.base_url))
            .header("Authorization", format!("Basic {basic}"));
        async move {
            let resp = req.send().await.map_err(s)?;
            if !resp.status().is_success() {
                return Err(format!("page fetch answered {}", resp.status()));
            }
            Ok::<_, String>(resp.bytes().await.map_err(s)?.to_vec())
        }
    };
    let bytes = get("Projects?top=500".into()).await?;
    let records = serde_json::from_slice::<Vec<serde_json::Value>>(&bytes)
        .map_err(s)?
        .len();
    let defs_wire: Vec<unicrm_insightly::wire::CustomFieldDefinitionWire> =
        serde_json::from_slice(&get("CustomFields/Projects".into()).await?).map_err(s)?;
    let defs = std::sync::Arc::new(
        unicrm_insightly::mapping::custom_fields::Definitions::from_wire(
            defs_wire,
            &ResourceKind::Project,
        ),
    );
    let decode: Decoder = Box::new(move |b: &[u8]| {
        let items = unicrm_insightly::wire::decode_array(b).map_err(s)?;
        for (i, raw) in items.iter().enumerate() {
            let p = unicrm_insightly::mapping::project::from_json_at(raw, &defs, &format!("[{i}]"))
                .map_err(s)?;
            std::hint::black_box(p);
        }
        Ok(items.len())
    });
    Ok(vec![("insightly.projects".into(), bytes, records, decode)])
}
