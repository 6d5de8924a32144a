//! Page bytes and the adapters' own page decoders, for the mapping-cost figure.
//!
//! Each decoder does what the adapter's `list` does with a page body: decode the envelope, decode
//! each record into its wire type and its raw payload, and map it to the unified model.

use unicrm_core::{CustomFieldDefinition, Record, ResourceKind};
use unicrm_sim::{CapsuleSimHandle, InsightlySimHandle};

use crate::figures::s;

/// A page decoder: bytes → number of unified records.
pub type Decoder = Box<dyn Fn(&[u8]) -> Result<usize, String>>;

async fn get(http: &reqwest::Client, url: String, auth: String) -> Result<Vec<u8>, String> {
    let resp = http
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .map_err(s)?;
    if !resp.status().is_success() {
        return Err(format!("page fetch answered {}", resp.status()));
    }
    Ok(resp.bytes().await.map_err(s)?.to_vec())
}

fn count_array(bytes: &[u8]) -> Result<usize, String> {
    let v: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(s)?;
    Ok(v.len())
}

/// Fetches one full page per vendor and resource, with a decoder for each.
pub async fn fetch_pages(
    http: &reqwest::Client,
    capsule: &CapsuleSimHandle,
    insightly: &InsightlySimHandle,
) -> Result<Vec<(String, Vec<u8>, usize, Decoder)>, String> {
    use unicrm_core::Crm;
    let mut out: Vec<(String, Vec<u8>, usize, Decoder)> = Vec::new();

    // Capsule: a page of 100 parties with tags and custom fields, as the adapter asks for it.
    let client = unicrm_capsule::CapsuleClient::builder()
        .base_url(capsule.base_url.as_str())
        .personal_access_token(capsule.token.clone())
        .build()
        .map_err(s)?;
    let defs: Vec<CustomFieldDefinition> = client
        .custom_field_definitions(ResourceKind::Contact)
        .await
        .map_err(s)?;
    let bytes = get(
        http,
        format!("{}parties?perPage=100&embed=tags,fields", capsule.base_url),
        format!("Bearer {}", capsule.token),
    )
    .await?;
    let records = {
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(s)?;
        v["parties"].as_array().map(Vec::len).unwrap_or(0)
    };
    let field_defs = std::sync::Arc::new(unicrm_capsule::mapping::FieldDefs::new(defs));
    out.push((
        "capsule.parties".into(),
        bytes,
        records,
        Box::new(move |b: &[u8]| {
            use unicrm_capsule::mapping::{account::account_from_wire, contact::contact_from_wire};
            let items =
                unicrm_capsule::wire::decode_list::<unicrm_capsule::wire::Party>(b, "parties")
                    .map_err(s)?;
            let mut n = 0;
            for d in &items {
                if d.wire.kind.as_deref() == Some("organisation") {
                    std::hint::black_box(account_from_wire(d, &field_defs));
                } else {
                    std::hint::black_box(contact_from_wire(d, &field_defs));
                }
                n += 1;
            }
            Ok(n)
        }),
    ));

    out.push(capsule_engagements(http, capsule).await?);

    // Insightly: pages of 500 at the adapter's page size.
    let client = unicrm_insightly::InsightlyClient::builder()
        .base_url(insightly.base_url.as_str())
        .api_key(insightly.api_key.clone())
        .build()
        .map_err(s)?;
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", insightly.api_key))
    };
    for (name, path, kind) in [
        ("insightly.contacts", "Contacts", ResourceKind::Contact),
        (
            "insightly.organisations",
            "Organisations",
            ResourceKind::Account,
        ),
        (
            "insightly.opportunities",
            "Opportunities",
            ResourceKind::Opportunity,
        ),
    ] {
        let bytes = get(
            http,
            format!("{}{path}?top=500", insightly.base_url),
            format!("Basic {basic}"),
        )
        .await?;
        let records = count_array(&bytes)?;
        let defs_wire = get(
            http,
            format!("{}CustomFields/{path}", insightly.base_url),
            format!("Basic {basic}"),
        )
        .await?;
        let defs_wire: Vec<unicrm_insightly::wire::CustomFieldDefinitionWire> =
            serde_json::from_slice(&defs_wire).map_err(s)?;
        let defs = std::sync::Arc::new(
            unicrm_insightly::mapping::custom_fields::Definitions::from_wire(defs_wire, &kind),
        );
        let decode: Decoder = match kind {
            ResourceKind::Contact => Box::new(move |b: &[u8]| {
                decode_each(b, |raw, p| {
                    unicrm_insightly::mapping::contact::from_json_at(raw, &defs, p).map(keep)
                })
            }),
            ResourceKind::Account => Box::new(move |b: &[u8]| {
                decode_each(b, |raw, p| {
                    unicrm_insightly::mapping::account::from_json_at(raw, &defs, p).map(keep)
                })
            }),
            _ => Box::new(move |b: &[u8]| {
                decode_each(b, |raw, p| {
                    unicrm_insightly::mapping::opportunity::from_json_at(raw, &defs, p).map(keep)
                })
            }),
        };
        out.push((name.into(), bytes, records, decode));
    }
    drop(client);
    out.extend(insightly_engagements(http, insightly, &basic).await?);
    // ---- Capsule projects (issue #14): a page of 100 kases with tags and custom fields.
    out.push(capsule_projects(http, capsule).await?);
    Ok(out)
}

/// Insightly engagements (issue 14): a full `/Events` page (links, custom fields typed by
/// `/CustomFields/Events`) as `insightly.engagements`, and a full `/Emails` page as
/// `insightly.engagements.emails`, each mapped by the adapter's own decoder.
async fn insightly_engagements(
    http: &reqwest::Client,
    insightly: &InsightlySimHandle,
    basic: &str,
) -> Result<Vec<(String, Vec<u8>, usize, Decoder)>, String> {
    let page = |path: &str| {
        get(
            http,
            format!("{}{path}", insightly.base_url),
            format!("Basic {basic}"),
        )
    };
    let events = page("Events?top=500").await?;
    let emails = page("Emails?top=500").await?;
    let defs_wire: Vec<unicrm_insightly::wire::CustomFieldDefinitionWire> =
        serde_json::from_slice(&page("CustomFields/Events").await?).map_err(s)?;
    let defs = std::sync::Arc::new(
        unicrm_insightly::mapping::custom_fields::Definitions::from_wire(
            defs_wire,
            &ResourceKind::Engagement,
        ),
    );
    let events_n = count_array(&events)?;
    let emails_n = count_array(&emails)?;
    Ok(vec![
        (
            "insightly.engagements".into(),
            events,
            events_n,
            Box::new(move |b: &[u8]| {
                decode_each(b, |raw, p| {
                    unicrm_insightly::mapping::event::from_json_at(raw, &defs, p).map(keep)
                })
            }),
        ),
        (
            "insightly.engagements.emails".into(),
            emails,
            emails_n,
            Box::new(move |b: &[u8]| {
                decode_each(b, |raw, p| {
                    unicrm_insightly::mapping::email::from_json_at(raw, p).map(keep)
                })
            }),
        ),
    ])
}

/// Fills the Capsule simulator up to 100 projects (raw `POST /kases`), then fetches one page
/// as the adapter asks for it, with a decoder that maps it as `projects().list` does.
async fn capsule_projects(
    http: &reqwest::Client,
    capsule: &CapsuleSimHandle,
) -> Result<(String, Vec<u8>, usize, Decoder), String> {
    let auth = format!("Bearer {}", capsule.token);
    let parties = get(
        http,
        format!("{}parties?perPage=1", capsule.base_url),
        auth.clone(),
    )
    .await?;
    let parties: serde_json::Value = serde_json::from_slice(&parties).map_err(s)?;
    let party = parties["parties"][0]["id"].as_u64().ok_or("no party")?;
    for i in 0..97 {
        let body = serde_json::json!({"kase": {
            "name": format!("Bench project {i}"), "description": "Fit-out and training",
            "party": {"id": party}, "owner": {"id": 1}, "stage": 271006,
            "expectedCloseOn": "2031-05-30",
            "tags": [{"name": "Fit-out"}],
            "fields": [{"definition": {"id": 31}, "value": "B-17"}, {"definition": {"id": 32}, "value": 3}]
        }});
        let resp = http
            .post(format!("{}kases", capsule.base_url))
            .header("Authorization", auth.clone())
            .json(&body)
            .send()
            .await
            .map_err(s)?;
        if !resp.status().is_success() {
            return Err(format!("kase create answered {}", resp.status()));
        }
    }
    let bytes = get(
        http,
        format!("{}kases?perPage=100&embed=tags,fields", capsule.base_url),
        auth.clone(),
    )
    .await?;
    let records = {
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(s)?;
        v["kases"].as_array().map(Vec::len).unwrap_or(0)
    };
    let defs_bytes = get(
        http,
        format!("{}kases/fields/definitions?perPage=100", capsule.base_url),
        auth.clone(),
    )
    .await?;
    let defs = unicrm_capsule::wire::decode_list::<unicrm_capsule::wire::FieldDefinition>(
        &defs_bytes,
        "definitions",
    )
    .map_err(s)?
    .iter()
    .map(|d| {
        unicrm_capsule::mapping::custom_fields::definition_from_wire(
            d,
            unicrm_capsule::mapping::custom_fields::FieldEntity::Kases,
        )
    })
    .collect::<Vec<_>>();
    let defs = unicrm_capsule::mapping::FieldDefs::new(defs);
    let stages_bytes = get(
        http,
        format!(
            "{}stages?perPage=100&status=all&includeOnDeletedBoard=true",
            capsule.base_url
        ),
        auth,
    )
    .await?;
    let stages = unicrm_capsule::wire::decode_list::<unicrm_capsule::wire::WireStage>(
        &stages_bytes,
        "stages",
    )
    .map_err(s)?;
    let boards = unicrm_capsule::mapping::project::BoardIndex::new(&stages);
    let decode: Decoder = Box::new(move |b: &[u8]| {
        let items = unicrm_capsule::wire::decode_list::<unicrm_capsule::wire::WireKase>(b, "kases")
            .map_err(s)?;
        for d in &items {
            std::hint::black_box(unicrm_capsule::mapping::project::project_from_wire(
                d, &defs, &boards,
            ));
        }
        Ok(items.len())
    });
    Ok(("capsule.projects".into(), bytes, records, decode))
}

/// Capsule engagements: a page of 50 entries (the entry feed's page size) that are all logged
/// activities (calls, meetings, the custom "Video call"), written first through the raw API,
/// decoded and mapped as the engagement listing does.
async fn capsule_engagements(
    http: &reqwest::Client,
    capsule: &CapsuleSimHandle,
) -> Result<(String, Vec<u8>, usize, Decoder), String> {
    let auth = format!("Bearer {}", capsule.token);
    let parties = get(
        http,
        format!("{}parties?perPage=50", capsule.base_url),
        auth.clone(),
    )
    .await?;
    let parties: serde_json::Value = serde_json::from_slice(&parties).map_err(s)?;
    let ids: Vec<u64> = parties["parties"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["id"].as_u64()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err("no party to log engagements on".into());
    }
    for i in 0..50usize {
        let activity = [-2, -3, 2][i % 3];
        let body = serde_json::json!({"entry": {
            "type": "note",
            "party": {"id": ids[i % ids.len()]},
            "activityType": {"id": activity},
            "content": format!("Engagement {i}: discussed the delivery windows.\n\n- item one\n- item two"),
        }});
        let resp = http
            .post(format!("{}entries", capsule.base_url))
            .header("Authorization", auth.clone())
            .json(&body)
            .send()
            .await
            .map_err(s)?;
        if !resp.status().is_success() {
            return Err(format!("logging an engagement answered {}", resp.status()));
        }
    }
    let bytes = get(
        http,
        format!("{}entries?perPage=50", capsule.base_url),
        auth,
    )
    .await?;
    let records = {
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(s)?;
        v["entries"].as_array().map(Vec::len).unwrap_or(0)
    };
    let decode: Decoder = Box::new(|b: &[u8]| {
        use unicrm_capsule::mapping::engagement::engagement_from_wire;
        let items =
            unicrm_capsule::wire::decode_list::<unicrm_capsule::wire::WireEntry>(b, "entries")
                .map_err(s)?;
        let mut n = 0;
        for d in items.iter().filter(|d| d.wire.is_engagement()) {
            keep(engagement_from_wire(d));
            n += 1;
        }
        Ok(n)
    });
    Ok(("capsule.engagements".into(), bytes, records, decode))
}

fn keep<R: Record>(r: R) {
    std::hint::black_box(r);
}

fn decode_each(
    bytes: &[u8],
    f: impl Fn(&serde_json::value::RawValue, &str) -> unicrm_core::Result<()>,
) -> Result<usize, String> {
    let items = unicrm_insightly::wire::decode_array(bytes).map_err(s)?;
    for (i, raw) in items.iter().enumerate() {
        f(raw, &format!("[{i}]")).map_err(s)?;
    }
    Ok(items.len())
}
