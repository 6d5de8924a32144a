//! Command-line definitions (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// unicrm: list, export, create, update, delete and migrate CRM data through one unified API.
#[derive(Debug, Parser)]
#[command(
    name = "unicrm",
    version,
    about,
    after_help = "Examples:
  unicrm demo
  unicrm sandbox --vendor all --records 500
  CAPSULE_TOKEN=… unicrm --vendor capsule contacts list --format jsonl > contacts.jsonl
  INSIGHTLY_API_KEY=… unicrm --vendor insightly opportunities get 42
  unicrm --vendor capsule contacts update 7 --json patch.json
  unicrm --vendor capsule contacts list --columns name,emails.0.address,cf:Region
  unicrm --vendor insightly opportunities list --format csv > deals.csv
  unicrm --vendor insightly whoami
  unicrm migrate --from capsule --to insightly --state migration.sqlite --dry-run

Credentials come from the environment: CAPSULE_TOKEN, CAPSULE_BASE_URL; INSIGHTLY_API_KEY,
INSIGHTLY_POD, INSIGHTLY_BASE_URL, INSIGHTLY_REQUESTS_PER_SECOND (client pace; default about 9.5, one request per 105 ms).
Tables fit COLUMNS when set, else the terminal; written to a file or pipe they keep whole cells."
)]
pub struct Cli {
    /// The CRM to talk to (resource and `changes` commands): a vendor name in the registry.
    #[arg(long, value_parser = crate::connect::vendor_parser())]
    pub vendor: Option<String>,
    /// Override the vendor's API base URL (else CAPSULE_BASE_URL / INSIGHTLY_BASE_URL, else the
    /// vendor's public API).
    #[arg(long)]
    pub base_url: Option<String>,
    /// More logging on stderr (-v debug, -vv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Which simulators `sandbox` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxVendor {
    /// Capsule only.
    Capsule,
    /// Insightly only.
    Insightly,
    /// HighLevel only.
    #[value(name = "highlevel")]
    HighLevel,
    /// All three.
    All,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned table of chosen columns, fitted to the terminal (default on a terminal).
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line (default when not a terminal).
    Jsonl,
    /// CSV with a header row; nested values flattened into columns (money as amount and
    /// currency, first email and phone, tags joined, one `cf:<name>` per custom field).
    Csv,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the three simulators in-process, list from each, migrate Capsule → Insightly and
    /// Capsule → HighLevel, summarise.
    Demo(DemoArgs),
    /// Start simulators on free local ports; print one JSON line per vendor; serve until interrupted.
    Sandbox(SandboxArgs),
    /// Contacts (people).
    Contacts(ResourceCmd),
    /// Accounts (organisations).
    Accounts(ResourceCmd),
    /// Opportunities (deals).
    Opportunities(ResourceCmd),
    /// Tasks.
    Tasks(ResourceCmd),
    /// Notes.
    Notes(ResourceCmd),
    /// Users.
    Users(ResourceCmd),
    /// Pipelines with their stages.
    Pipelines(ResourceCmd),
    /// Leads.
    Leads(ResourceCmd),
    /// Projects (Capsule projects, Insightly projects).
    Projects(ResourceCmd),
    /// Engagements: calls, meetings, emails, appointments.
    Engagements(ResourceCmd),
    /// Engagement types (Capsule activity types).
    #[command(name = "engagement-types")]
    EngagementTypes(ResourceCmd),
    /// Custom field definitions (`fields list --of contacts`).
    Fields(ResourceCmd),
    /// Print the change feed (upserts and deletions) since a checkpoint, as JSON lines.
    Changes(ChangesArgs),
    /// Copy a whole CRM into another, idempotently and resumably.
    Migrate(MigrateArgs),
    /// Keep a copy in step: mirror creates, updates and deletions from one CRM into another.
    Sync(SyncArgs),
    /// Check the credentials: print the vendor, the account, the user and the rate budget left.
    Whoami(WhoamiArgs),
    /// Print a shell completion script (`unicrm completions bash > /etc/bash_completion.d/unicrm`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `whoami` options.
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// Output format: table (default) or json.
    #[arg(long, value_enum, default_value = "table")]
    pub format: WhoamiFormat,
}

/// Formats of `whoami`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WhoamiFormat {
    /// Two columns: what, and its value.
    Table,
    /// One JSON object.
    Json,
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// People seeded into the Capsule simulator.
    #[arg(long, default_value_t = 30)]
    pub records: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// `sandbox` options.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Which simulators to start.
    #[arg(long, value_enum, default_value = "all")]
    pub vendor: SandboxVendor,
    /// People to seed per simulator.
    #[arg(long, default_value_t = 200)]
    pub records: usize,
    /// Seed of the generated data (and of the faults).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Fixed latency added to every response, in ms.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Random extra latency, up to this many ms.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Probability of a 5xx answer.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Probability that a request starts a burst of 429s.
    #[arg(long, default_value_t = 0.0)]
    pub burst_429_rate: f64,
    /// Length of a 429 burst.
    #[arg(long, default_value_t = 3)]
    pub burst_429_len: u32,
    /// Probability of a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Probability of a malformed JSON body.
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Probability of a truncated body.
    #[arg(long, default_value_t = 0.0)]
    pub truncate_rate: f64,
    /// Probability that a successful answer is replaced by a 5xx after the write was applied.
    #[arg(long, default_value_t = 0.0)]
    pub after_commit_error_rate: f64,
    /// Probability that the connection is dropped after the write was applied.
    #[arg(long, default_value_t = 0.0)]
    pub after_commit_drop_rate: f64,
    /// Delay between body chunks, in ms (slow bodies).
    #[arg(long, default_value_t = 0)]
    pub slow_body_ms: u64,
    /// Capsule's hourly request budget.
    #[arg(long, default_value_t = 4000)]
    pub capsule_hourly_budget: u32,
    /// Insightly's requests per second.
    #[arg(long, default_value_t = 10)]
    pub insightly_rps: u32,
    /// Insightly's daily quota.
    #[arg(long, default_value_t = 100_000)]
    pub insightly_daily_quota: u32,
}

/// A resource command.
#[derive(Debug, Args)]
pub struct ResourceCmd {
    /// The action.
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with a resource.
#[derive(Debug, Clone, Subcommand)]
pub enum Action {
    /// List records (every page, streamed).
    List(ListArgs),
    /// Show one record.
    Get {
        /// Record id.
        id: String,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Include the vendor's raw payload.
        #[arg(long)]
        raw: bool,
        /// Table and CSV columns, comma-separated: field names (`first_name`), aliases
        /// (`name`, `email`, `owner`, `updated`), paths (`emails.0.address`,
        /// `custom_fields.<name>`, `amount.currency`), `cf:<name>`, or `all`.
        #[arg(long, value_name = "A,B,C")]
        columns: Option<String>,
    },
    /// Create a record from unified JSON.
    Create {
        /// File with the unified JSON of the new record, or `-` for stdin.
        #[arg(long)]
        json: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Update a record with a unified JSON patch (absent fields untouched, null clears).
    Update {
        /// Record id.
        id: String,
        /// File with the JSON patch, or `-` for stdin.
        #[arg(long)]
        json: PathBuf,
        /// Output format.
        #[arg(long, value_enum)]
        format: Option<Format>,
    },
    /// Delete a record.
    Delete {
        /// Record id.
        id: String,
    },
}

/// `list` options.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Stop after this many records.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only records updated after this instant (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Vendor search text.
    #[arg(long)]
    pub search: Option<String>,
    /// Output format (table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Include the vendor's raw payload.
    #[arg(long)]
    pub raw: bool,
    /// Table and CSV columns, comma-separated: field names (`first_name`), aliases (`name`,
    /// `email`, `account`, `owner`, `updated`), paths (`emails.0.address`,
    /// `custom_fields.<name>`, `amount.currency`), `cf:<name>`, or `all` for every field.
    #[arg(long, value_name = "A,B,C")]
    pub columns: Option<String>,
    /// `fields list` only: the definitions of this resource's records.
    #[arg(long, value_enum, value_name = "RESOURCE")]
    pub of: Option<ResourceName>,
}

/// Resources for `changes` and `fields list --of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResourceName {
    /// Contacts.
    Contacts,
    /// Accounts.
    Accounts,
    /// Opportunities.
    Opportunities,
    /// Tasks.
    Tasks,
    /// Notes.
    Notes,
    /// Leads.
    Leads,
    /// Projects.
    Projects,
    /// Engagements.
    Engagements,
}

impl ResourceName {
    /// The unified kind of record.
    pub fn kind(self) -> unicrm_core::ResourceKind {
        use unicrm_core::ResourceKind as K;
        match self {
            ResourceName::Contacts => K::Contact,
            ResourceName::Accounts => K::Account,
            ResourceName::Opportunities => K::Opportunity,
            ResourceName::Tasks => K::Task,
            ResourceName::Notes => K::Note,
            ResourceName::Leads => K::Lead,
            ResourceName::Projects => K::Project,
            ResourceName::Engagements => K::Engagement,
        }
    }
}

/// `changes` options.
#[derive(Debug, Args)]
pub struct ChangesArgs {
    /// Which resource.
    #[arg(long, value_enum, default_value = "contacts")]
    pub resource: ResourceName,
    /// An RFC 3339 instant, or `@FILE` holding a checkpoint printed by an earlier run.
    #[arg(long)]
    pub since: String,
    /// Write the next checkpoint to this file.
    #[arg(long)]
    pub save: Option<PathBuf>,
}

/// What `sync` does with deletions at the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeletesArg {
    /// Delete the mirrored record.
    Propagate,
    /// Keep the mirrored record.
    Ignore,
}

/// `sync` options.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Source CRM (a registered vendor name).
    #[arg(long, value_parser = crate::connect::vendor_parser())]
    pub from: String,
    /// Target CRM (a registered vendor name).
    #[arg(long, value_parser = crate::connect::vendor_parser())]
    pub to: String,
    /// SQLite file holding the id map and the checkpoints (the migration's state works too), or a
    /// `postgres://…` URL of a database shared by several workers.
    #[arg(long)]
    pub state: PathBuf,
    /// Run one cycle and exit.
    #[arg(long, conflicts_with = "interval")]
    pub once: bool,
    /// Seconds between the starts of two cycles (default 60).
    #[arg(long, value_name = "SECONDS")]
    pub interval: Option<f64>,
    /// Deletions at the source.
    #[arg(long, value_enum, default_value = "propagate")]
    pub deletes: DeletesArg,
    /// Source base URL (else the vendor's environment variable).
    #[arg(long)]
    pub from_base_url: Option<String>,
    /// Target base URL (else the vendor's environment variable).
    #[arg(long)]
    pub to_base_url: Option<String>,
}

/// `migrate` options.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Source CRM (a registered vendor name).
    #[arg(long, value_parser = crate::connect::vendor_parser())]
    pub from: String,
    /// Target CRM (a registered vendor name).
    #[arg(long, value_parser = crate::connect::vendor_parser())]
    pub to: String,
    /// SQLite file holding the id map (created if missing), or a `postgres://…` URL of a database
    /// shared by several workers; rerunning with it creates nothing twice.
    #[arg(long)]
    pub state: PathBuf,
    /// Print the plan; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse to write a record the target cannot hold entirely (extra emails, phones,
    /// addresses, websites, fields without a place): it is reported instead, not written.
    #[arg(long)]
    pub strict: bool,
    /// Seconds to wait before each further look for a record whose create had an unknown
    /// outcome, when a look did not find it (the target's listings lag behind its writes).
    #[arg(long, value_delimiter = ',', default_value = "2,5")]
    pub search_lag: Vec<f64>,
    /// Source base URL (else the vendor's environment variable).
    #[arg(long)]
    pub from_base_url: Option<String>,
    /// Target base URL (else the vendor's environment variable).
    #[arg(long)]
    pub to_base_url: Option<String>,
}
