//! The resource commands: list, get, create, update, delete — generic over the record type.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use unicrm_core::{Crm, ListParams, Record, ResourceExt, ResourceKind};

use crate::cli::{Action, Format};
use crate::columns::{Column, CustomField, Schema, Shape, catalog};
use crate::exit::CliError;
use crate::hints::Op;
use crate::output::{Writer, default_format, this_table_width, to_value};
use crate::progress::Progress;

/// Parses an RFC 3339 instant.
pub fn parse_instant(s: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| CliError::usage(format!("--since {s:?} is not an RFC 3339 instant: {e}")))
}

fn read_json_input(path: &Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
            .map_err(|e| CliError::runtime(format!("cannot read {}: {e}", path.display())))
    }
}

fn parse_input<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, CliError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        CliError::runtime(format!(
            "invalid {what} JSON at `{}`: {}",
            e.path(),
            e.inner()
        ))
    })
}

/// What the output of a command looks like: its format and, for tables and CSV, its columns.
struct Layout {
    format: Format,
    columns: Vec<Column>,
    width: Option<u16>,
}

/// The command's name of a resource (`contacts`).
fn resource_name<R: Record>() -> String {
    let c = catalog(&R::KIND);
    if c.fields.len() > 3 {
        c.resource.to_string()
    } else {
        format!("{}s", R::KIND)
    }
}

/// The layout for `format` and `--columns`: a usage error for an unknown column, or for
/// `--columns` with the lossless formats. Custom field definitions are fetched only when a
/// column needs them (CSV's default, `all`, `cf:…`, `custom_fields.…`).
async fn layout<R: Record + Default>(
    crm: &dyn Crm,
    op: &Op<'_>,
    format: Format,
    spec: Option<&str>,
) -> Result<Layout, CliError> {
    let csv = format == Format::Csv;
    if !(csv || format == Format::Table) {
        if spec.is_some() {
            return Err(CliError::usage(
                "--columns applies to --format table and csv; json and jsonl print every field",
            ));
        }
        return Ok(Layout {
            format,
            columns: Vec::new(),
            width: None,
        });
    }
    let keys: Vec<String> = match to_value(&R::default(), false)? {
        serde_json::Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let mut schema = Schema::new(catalog(&R::KIND), &keys);
    let wants_definitions = match spec {
        None => csv,
        Some(s) => s.split(',').map(str::trim).any(|c| {
            c == "all"
                || c == "custom_fields"
                || c.starts_with("cf:")
                || c.starts_with("custom_fields.")
        }),
    };
    if wants_definitions
        && schema
            .fields()
            .iter()
            .any(|(_, s)| *s == Shape::CustomFields)
    {
        match crm.custom_field_definitions(R::KIND).await {
            Ok(defs) => {
                schema.custom_fields =
                    Some(defs.iter().map(CustomField::from_definition).collect());
            }
            // No definitions for this resource: values are shown as `name=value`.
            Err(e) if e.is_unsupported() => {}
            Err(e) => return Err(CliError::crm(e, op)),
        }
    }
    Ok(Layout {
        format,
        columns: schema.columns(spec, csv)?,
        width: if format == Format::Table {
            this_table_width()
        } else {
            None
        },
    })
}

/// Runs `action` on the `R` resource of `crm`, writing to stdout. Errors of the vendor come
/// back as one line naming the vendor, the resource, the operation and the id.
pub async fn run<R: Record + Default>(crm: &dyn Crm, action: Action) -> Result<(), CliError> {
    let resource = R::resource(crm);
    let name = resource_name::<R>();
    let base_url = crm.base_url().map(|u| u.to_string());
    let mk = |operation: &'static str| Op {
        vendor: crm.vendor(),
        resource: name.as_str(),
        operation,
        id: None,
        base_url: base_url.as_deref(),
    };
    let stdout = std::io::stdout().lock();
    match action {
        Action::List(args) => {
            let op = mk("list");
            let mut params = ListParams::new();
            if let Some(s) = &args.since {
                params.updated_since = Some(parse_instant(s)?);
            }
            params.search = args.search.clone();
            if let Some(of) = args.of {
                if R::KIND != ResourceKind::FieldDefinition {
                    return Err(CliError::usage(format!(
                        "--of applies to `fields list`, not to {name}"
                    )));
                }
                params.of = Some(of.kind());
            }
            let format = default_format(args.format);
            let layout = layout::<R>(crm, &op, format, args.columns.as_deref()).await?;
            if let Some(limit) = args.limit {
                if limit == 0 {
                    return Writer::new(stdout, layout.format, layout.columns, layout.width)
                        .finish()
                        .map(|_| ());
                }
                if limit < 100 {
                    params.page_size = Some(limit as u32);
                }
            }
            let mut writer = Writer::new(stdout, layout.format, layout.columns, layout.width);
            let mut stream = resource.stream_all(params);
            let mut n = 0usize;
            let mut progress = Progress::start();
            let throttled0 = crm.stats().throttled_ms;
            let mut tick = tokio::time::interval(crate::progress::TICK);
            loop {
                let item = tokio::select! {
                    item = stream.next() => item,
                    // Redrawn while a page (or a rate-limit wait) is pending, too.
                    _ = tick.tick(), if progress.enabled() => {
                        progress.draw(n as u64, crm.stats().throttled_ms.saturating_sub(throttled0));
                        continue;
                    }
                };
                let Some(item) = item else { break };
                let record = item.map_err(|e| CliError::crm(e, &op))?;
                writer.write(to_value(&record, args.raw)?)?;
                n += 1;
                if args.limit.is_some_and(|l| n >= l) {
                    break;
                }
            }
            progress.clear();
            writer.finish()?;
        }
        Action::Get {
            id,
            format,
            raw,
            columns,
        } => {
            let op = Op {
                id: Some(id.trim()),
                ..mk("get")
            };
            let rid: R::Id = parse_id::<R>(&id)?;
            let format = default_format(format);
            let layout = layout::<R>(crm, &op, format, columns.as_deref()).await?;
            let record = resource
                .get(&rid)
                .await
                .map_err(|e| CliError::crm(e, &op))?;
            write_one(stdout, layout, to_value(&record, raw)?)?;
        }
        Action::Create { json, format } => {
            let op = mk("create");
            let new: R::New = parse_input(&read_json_input(&json)?, "record")?;
            let layout = layout::<R>(crm, &op, default_format(format), None).await?;
            let record = resource
                .create(&new)
                .await
                .map_err(|e| CliError::crm(e, &op))?;
            write_one(stdout, layout, to_value(&record, false)?)?;
        }
        Action::Update { id, json, format } => {
            let op = Op {
                id: Some(id.trim()),
                ..mk("update")
            };
            let rid: R::Id = parse_id::<R>(&id)?;
            let patch: R::Patch = parse_input(&read_json_input(&json)?, "patch")?;
            let layout = layout::<R>(crm, &op, default_format(format), None).await?;
            let record = resource
                .update(&rid, &patch)
                .await
                .map_err(|e| CliError::crm(e, &op))?;
            write_one(stdout, layout, to_value(&record, false)?)?;
        }
        Action::Delete { id } => {
            let op = Op {
                id: Some(id.trim()),
                ..mk("delete")
            };
            let rid: R::Id = parse_id::<R>(&id)?;
            resource
                .delete(&rid)
                .await
                .map_err(|e| CliError::crm(e, &op))?;
            eprintln!("deleted {} {rid}", R::KIND);
        }
    }
    Ok(())
}

fn parse_id<R: Record>(id: &str) -> Result<R::Id, CliError> {
    serde_json::from_value(serde_json::Value::String(id.trim().to_string()))
        .map_err(|e| CliError::usage(format!("invalid id {id:?}: {e}")))
}

/// One record: `json` prints the object itself (pretty), the other formats as for lists.
fn write_one(
    mut out: impl std::io::Write,
    layout: Layout,
    v: serde_json::Value,
) -> Result<(), CliError> {
    if layout.format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    let mut w = Writer::new(out, layout.format, layout.columns, layout.width);
    w.write(v)?;
    w.finish()?;
    Ok(())
}
