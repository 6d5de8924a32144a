//! The `unicrm` command line as a library: the binary is `fn main() { unicrm_cli::main() }`;
//! a binary with a third-party adapter registers it and calls [`main_from`].
//!
//! List, export, create, update, delete and migrate CRM data through one unified API; run
//! sandboxes of the vendor APIs; run the demo. The migration engine ([`migrate`]) is generic
//! over two `&dyn Crm` and usable on its own.
//!
//! Exit codes: 0 success, 1 runtime error, 2 usage error. Errors are one line on stderr.
#![forbid(unsafe_code)]

mod changes;
pub mod cli;
pub mod columns;
pub mod connect;
mod demo;
pub mod exit;
pub mod hints;
pub mod migrate;
pub mod output;
pub mod progress;
mod resources;
mod sandbox;
mod sync;
mod whoami;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;
use unicrm_core::*;

use cli::{Cli, Command};
use exit::CliError;

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "unicrm=debug,unicrm_core=debug,unicrm_capsule=debug,unicrm_insightly=debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn vendor_of(cli: &Cli) -> Result<&str, CliError> {
    cli.vendor.as_deref().ok_or_else(|| {
        CliError::usage(format!(
            "this command needs --vendor {} (before the command)",
            connect::vendors().join("|")
        ))
    })
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let base_url = cli.base_url.clone();
    macro_rules! resource {
        ($ty:ty, $cmd:expr) => {{
            let crm = connect::connect(vendor_of(&cli)?, base_url.as_deref())?;
            resources::run::<$ty>(crm.as_ref(), $cmd.action).await
        }};
    }
    match cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Contacts(ref c) => resource!(Contact, clone_cmd(c)),
        Command::Accounts(ref c) => resource!(Account, clone_cmd(c)),
        Command::Opportunities(ref c) => resource!(Opportunity, clone_cmd(c)),
        Command::Tasks(ref c) => resource!(Task, clone_cmd(c)),
        Command::Notes(ref c) => resource!(Note, clone_cmd(c)),
        Command::Users(ref c) => resource!(User, clone_cmd(c)),
        Command::Pipelines(ref c) => resource!(Pipeline, clone_cmd(c)),
        Command::Leads(ref c) => resource!(Lead, clone_cmd(c)),
        Command::Projects(ref c) => resource!(Project, clone_cmd(c)),
        Command::Engagements(ref c) => resource!(Engagement, clone_cmd(c)),
        Command::EngagementTypes(ref c) => resource!(EngagementType, clone_cmd(c)),
        Command::Fields(ref c) => resource!(FieldDefinition, clone_cmd(c)),
        Command::Changes(ref args) => {
            let crm = connect::connect(vendor_of(&cli)?, base_url.as_deref())?;
            changes::run(crm.as_ref(), clone_changes(args)).await
        }
        Command::Migrate(args) => migrate_command(args).await,
        Command::Sync(args) => sync::run(args).await,
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "unicrm", &mut out);
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out)?;
            stdout.flush()?;
            Ok(())
        }
        Command::Whoami(ref args) => {
            let crm = connect::connect(vendor_of(&cli)?, base_url.as_deref())?;
            whoami::run(crm.as_ref(), args.format).await
        }
    }
}

async fn migrate_command(args: cli::MigrateArgs) -> Result<(), CliError> {
    if args.from == args.to {
        return Err(CliError::usage("--from and --to must be different CRMs"));
    }
    let mut search_lag = Vec::new();
    for s in &args.search_lag {
        if !(s.is_finite() && (0.0..=3600.0).contains(s)) {
            return Err(CliError::usage(format!(
                "--search-lag takes seconds between 0 and 3600, got {s}"
            )));
        }
        search_lag.push(std::time::Duration::from_secs_f64(*s));
    }
    let source = connect::connect(&args.from, args.from_base_url.as_deref())?;
    let target = connect::connect(&args.to, args.to_base_url.as_deref())?;
    let state = migrate::state::State::connect(&args.state, args.dry_run).await?;
    let report = migrate::Migrator::new(
        source.as_ref(),
        target.as_ref(),
        state,
        migrate::Options {
            dry_run: args.dry_run,
            progress: migrate::Migrator::stderr_is_terminal(),
            strict: args.strict,
            search_lag,
            ..Default::default()
        },
    )
    .run()
    .await?;
    let mut out = output::Stdout::new();
    if args.dry_run {
        for (name, r) in &report.resources {
            out.line(&format!(
                "plan: {name}: create {}, already migrated {}, cannot migrate {}",
                r.planned,
                r.skipped_existing,
                r.failed.len()
            ))?;
        }
    }
    out.line(&serde_json::to_string(&report)?)?;
    if let Some(why) = &report.stopped {
        return Err(CliError::runtime(format!(
            "the migration stopped: {why}; rerun with the same --state to resume"
        )));
    }
    if !args.dry_run && !report.complete {
        return Err(CliError::runtime(format!(
            "{} record(s) not migrated yet, {} link(s) to fill (see the summary); rerun with the same --state to finish",
            report.failed(),
            report
                .resources
                .values()
                .map(|r| r.links_pending)
                .sum::<u64>()
        )));
    }
    Ok(())
}

fn clone_cmd(c: &cli::ResourceCmd) -> cli::ResourceCmd {
    // Actions are plain data; re-parse-free copy.
    cli::ResourceCmd {
        action: c.action.clone(),
    }
}

fn clone_changes(a: &cli::ChangesArgs) -> cli::ChangesArgs {
    cli::ChangesArgs {
        resource: a.resource,
        since: a.since.clone(),
        save: a.save.clone(),
    }
}

/// Parses the command line, runs it, and returns the exit code.
pub fn main() -> ExitCode {
    main_from(std::env::args_os())
}

/// Runs the command line `args` (the program name first), and returns the exit code.
///
/// A binary that ships a third-party adapter registers it first, and every command (the
/// resources, `changes`, `migrate`, `whoami`) then takes its name:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     // my_adapter::register();
///     unicrm_cli::main_from(std::env::args_os())
/// }
/// ```
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print and exit 0; usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_tracing(cli.verbose);
    // A bug must still end in one line on stderr, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!(
            "unicrm: internal error: {} (please report it)",
            msg.replace('\n', " ")
        );
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return CliError::runtime(format!("cannot start the runtime: {e}")).report(),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runtime.block_on(run(cli)))) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => e.report(),
        Err(_) => ExitCode::from(1),
    }
}
