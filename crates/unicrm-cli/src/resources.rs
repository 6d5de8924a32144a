//! The resource commands: list, get, create, update, delete — generic over the record type.

use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use unicrm_core::{Crm, ListParams, Record, ResourceExt};

use crate::cli::{Action, Format};
use crate::exit::CliError;
use crate::output::{Writer, default_format, to_value};

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

/// Runs `action` on the `R` resource of `crm`, writing to stdout.
pub async fn run<R: Record>(crm: &dyn Crm, action: Action) -> Result<(), CliError> {
    let resource = R::resource(crm);
    let stdout = std::io::stdout().lock();
    match action {
        Action::List(args) => {
            let mut params = ListParams::new();
            if let Some(s) = &args.since {
                params.updated_since = Some(parse_instant(s)?);
            }
            params.search = args.search.clone();
            if let Some(limit) = args.limit {
                if limit == 0 {
                    return Ok(());
                }
                if limit < 100 {
                    params.page_size = Some(limit as u32);
                }
            }
            let mut writer = Writer::new(stdout, default_format(args.format));
            let mut stream = resource.stream_all(params);
            let mut n = 0usize;
            while let Some(item) = stream.next().await {
                let record = item?;
                writer.write(to_value(&record, args.raw)?)?;
                n += 1;
                if args.limit.is_some_and(|l| n >= l) {
                    break;
                }
            }
            writer.finish()?;
        }
        Action::Get { id, format, raw } => {
            let id: R::Id = parse_id::<R>(&id)?;
            let record = resource.get(&id).await?;
            write_one(stdout, format, to_value(&record, raw)?)?;
        }
        Action::Create { json, format } => {
            let new: R::New = parse_input(&read_json_input(&json)?, "record")?;
            let record = resource.create(&new).await?;
            write_one(stdout, format, to_value(&record, false)?)?;
        }
        Action::Update { id, json, format } => {
            let id: R::Id = parse_id::<R>(&id)?;
            let patch: R::Patch = parse_input(&read_json_input(&json)?, "patch")?;
            let record = resource.update(&id, &patch).await?;
            write_one(stdout, format, to_value(&record, false)?)?;
        }
        Action::Delete { id } => {
            let id: R::Id = parse_id::<R>(&id)?;
            resource.delete(&id).await?;
            eprintln!("deleted {} {id}", R::KIND);
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
    format: Option<Format>,
    v: serde_json::Value,
) -> Result<(), CliError> {
    let format = default_format(format);
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        out.write_all(b"\n")?;
        return Ok(());
    }
    let mut w = Writer::new(out, format);
    w.write(v)?;
    w.finish()?;
    Ok(())
}
