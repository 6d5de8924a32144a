//! `unicrm changes`: the change feed as JSON lines, then the next checkpoint.

use std::io::Write;

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
    let set = R::resource(crm).changes_since(&cp).await?;
    let mut out = std::io::stdout().lock();
    for c in &set.changes {
        let mut v = serde_json::to_value(c)?;
        if let Some(serde_json::Value::Object(rec)) = v.get_mut("record") {
            rec.remove("raw");
        }
        serde_json::to_writer(&mut out, &v)?;
        out.write_all(b"\n")?;
    }
    serde_json::to_writer(&mut out, &serde_json::json!({ "checkpoint": set.next }))?;
    out.write_all(b"\n")?;
    if let Some(path) = &args.save {
        std::fs::write(path, serde_json::to_vec(&set.next)?)?;
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
    }
}
