//! `unicrm changes`: the change feed as JSON lines, written batch by batch as the change
//! stream yields them, then the next checkpoint.

use std::io::Write;
use std::path::Path;

use futures::StreamExt;
use unicrm_core::{Checkpoint, Crm, Record};

use crate::cli::{ChangesArgs, ResourceName};
use crate::exit::CliError;
use crate::resources::parse_instant;

fn checkpoint(since: &str) -> Result<Checkpoint, CliError> {
    if let Some(path) = since.strip_prefix('@') {
        let bytes = std::fs::read(path)
            .map_err(|e| CliError::runtime(format!("cannot read checkpoint {path}: {e}")))?;
        return serde_json::from_slice(&bytes)
            .map_err(|e| CliError::runtime(format!("invalid checkpoint in {path}: {e}")));
    }
    Ok(Checkpoint::at(parse_instant(since)?))
}

async fn feed<R: Record>(crm: &dyn Crm, args: &ChangesArgs) -> Result<(), CliError> {
    let cp = checkpoint(&args.since)?;
    let base_url = crm.base_url().map(|u| u.to_string());
    let resource = crate::columns::catalog(&R::KIND).resource;
    let op = crate::hints::Op {
        vendor: crm.vendor(),
        resource,
        operation: "changes",
        id: None,
        base_url: base_url.as_deref(),
    };
    // Batch by batch: each batch's lines are written (and flushed) as it arrives, so memory
    // holds one batch, and `--save` keeps the checkpoint after the last batch written in full:
    // a feed that fails part-way can be resumed from there without losing a change.
    let mut stream = R::resource(crm).change_stream(cp.clone());
    let mut next = None;
    while let Some(batch) = stream.next().await {
        let set = match batch {
            Ok(set) => set,
            Err(e) => {
                if let (Some(path), Some(_)) = (&args.save, &next) {
                    eprintln!(
                        "unicrm: the feed failed part-way; {} holds the checkpoint after the last change written",
                        path.display()
                    );
                }
                return Err(CliError::crm(e, &op));
            }
        };
        let mut out = std::io::stdout().lock();
        for c in &set.changes {
            let mut v = serde_json::to_value(c)?;
            if let Some(serde_json::Value::Object(rec)) = v.get_mut("record") {
                rec.remove("raw");
            }
            serde_json::to_writer(&mut out, &v)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        if let Some(path) = &args.save {
            save_atomically(path, &serde_json::to_vec(&set.next)?)?;
        }
        next = Some(set.next);
    }
    // A stream always ends with a batch; an adapter that ended without one read nothing, and
    // the caller's checkpoint still holds.
    let next = next.unwrap_or(cp);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &serde_json::json!({ "checkpoint": next }))?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory, written
/// and fsynced, renamed over `path`, then the directory fsynced, so a crash leaves the old
/// checkpoint or the new one, never a torn file.
pub fn save_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |e: std::io::Error| {
        CliError::runtime(format!("cannot save checkpoint {}: {e}", path.display()))
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".unicrm-checkpoint-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename itself durable; not every file system allows it, and the new file
        // is complete either way.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Runs `changes`.
pub async fn run(crm: &dyn Crm, args: ChangesArgs) -> Result<(), CliError> {
    use unicrm_core::*;
    match args.resource {
        ResourceName::Contacts => feed::<Contact>(crm, &args).await,
        ResourceName::Accounts => feed::<Account>(crm, &args).await,
        ResourceName::Opportunities => feed::<Opportunity>(crm, &args).await,
        ResourceName::Tasks => feed::<Task>(crm, &args).await,
        ResourceName::Notes => feed::<Note>(crm, &args).await,
        ResourceName::Leads => feed::<Lead>(crm, &args).await,
        ResourceName::Projects => feed::<Project>(crm, &args).await,
        ResourceName::Engagements => feed::<Engagement>(crm, &args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_replaces_the_file_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp.json");
        std::fs::write(&path, b"old").unwrap();
        save_atomically(&path, b"{\"new\":1}").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"new\":1}");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("cp.json")]);
        let err = save_atomically(&dir.path().join("missing/cp.json"), b"x").unwrap_err();
        assert!(
            err.message.contains("cannot save checkpoint"),
            "{}",
            err.message
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"new\":1}");
    }
}
