//! `autopilot`, the operator's tool: onboard sellers, see what the deployment is doing, explain
//! any order, backfill past orders, and empty the dead-letter queues. `autopilot --help` lists
//! the commands; README shows a session.
//!
//! Every command prints a readable table, or JSON with `--json`. Exit status: 0 on success;
//! 1 when the input was refused or the deployment failed (the message names what); 2 on usage
//! errors; 130 when interrupted (Ctrl-C; a backfill resumes where it stopped).
//!
//! The deployment comes from `--stack NAME` (the stack's outputs, with the AWS profile and
//! region of the environment) or, for the local stack, from the `AUTOPILOT_*` variables.

mod backfill;
pub mod deployment;
mod dlq;
mod explain;
mod offline;
mod output;
mod seller;
mod status;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use autopilot_shared::domain::{Clock, SellerAccount, SellerId};
use autopilot_shared::spapi::{SecretsManagerCredentials, SpApi, SpApiConfig, UsagePlans};
use autopilot_shared::store::{DynamoStore, SellerDirectory, StoreConfig};
use clap::{Parser, Subcommand};
use thiserror::Error;

pub use deployment::Deployment;

#[derive(Debug, Error)]
pub enum CliError {
    /// The command line is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The input was refused; nothing was written (exit 1).
    #[error("{0}")]
    Refused(String),
    /// The deployment or Amazon failed (exit 1).
    #[error("{0}")]
    Failed(String),
    /// Ctrl-C (exit 130).
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Refused(_) | CliError::Failed(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

/// A failure of the deployment, with its context.
pub(crate) fn failed<E: std::fmt::Display>(context: &'static str) -> impl Fn(E) -> CliError {
    move |err| CliError::Failed(format!("{context}: {err}"))
}

#[derive(Parser)]
#[command(name = "autopilot", version, about = "Feedback Autopilot's operator tool")]
struct Cli {
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    json: bool,
    /// The deployed CloudFormation stack (its outputs name the table, bus and queues). Without
    /// it, the AUTOPILOT_* variables name a local stack.
    #[arg(long, global = true, value_name = "NAME")]
    stack: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Onboard, change, pause or remove seller accounts.
    Seller {
        #[command(subcommand)]
        command: Box<seller::SellerCommand>,
    },
    /// Per seller and marketplace: orders, review requests, syncs, ratings; and the DLQs.
    Status {
        #[arg(long, value_name = "SELLER_ID")]
        seller: Option<String>,
    },
    /// An order's story: changes recorded, the review-request decision, Amazon's answers, its
    /// feedback. Never buyer data.
    Explain {
        order_id: String,
        #[arg(long, value_name = "SELLER_ID")]
        seller: Option<String>,
    },
    /// Record a seller's past orders (searchOrders) from a date; Ctrl-C stops, running it again
    /// resumes.
    Backfill(backfill::BackfillArgs),
    /// What sits in the dead-letter queues, and replaying it.
    Dlq {
        #[command(subcommand)]
        command: dlq::DlqCommand,
    },
    /// Parse one ORDER_CHANGE notification (FILE or - for standard input) and print it
    /// normalized.
    Notification { file: String },
    /// Parse a GET_SELLER_FEEDBACK_DATA report (plain or gzip, any of Amazon's encodings).
    FeedbackReport {
        #[arg(long)]
        marketplace: String,
        #[arg(long)]
        encoding: Option<String>,
        file: String,
    },
    /// Triage JSON lines {"comment", "rating"} from standard input.
    Triage {
        #[arg(long)]
        marketplace: String,
        #[arg(long)]
        fulfillment: String,
    },
}

/// What a command reads and writes: the streams, whether standard output is a terminal (for
/// progress bars), the environment, the clock, and the Ctrl-C flag.
pub struct Io<'a> {
    pub out: &'a mut (dyn Write + Send),
    pub err: &'a mut (dyn Write + Send),
    pub stdin: &'a mut (dyn Read + Send),
    pub tty: bool,
    pub vars: BTreeMap<String, String>,
    pub clock: Arc<dyn Clock>,
    pub interrupted: Arc<AtomicBool>,
}

/// A deployment's clients, built once per command.
pub(crate) struct Ctx {
    pub deployment: Deployment,
    pub store: Arc<DynamoStore>,
    pub aws: aws_config::SdkConfig,
    pub api: Arc<SpApi>,
    pub clock: Arc<dyn Clock>,
    pub json: bool,
}

impl Ctx {
    async fn connect(stack: Option<&str>, io: &Io<'_>, json: bool) -> Result<Self, CliError> {
        let (deployment, from_env) = match stack {
            Some(stack) => {
                let sdk = autopilot_shared::aws::from_env().await;
                (Deployment::from_stack(stack, &sdk, &io.vars).await?, Some(sdk))
            }
            None => (Deployment::from_vars(&io.vars)?, None),
        };
        let aws = match (&deployment.aws_endpoint, from_env) {
            (Some(endpoint), _) => autopilot_shared::aws::local(endpoint).await,
            // The profile and region were loaded once for the stack's outputs.
            (None, Some(sdk)) => sdk,
            (None, None) => autopilot_shared::aws::from_env().await,
        };
        let dynamodb = match &deployment.dynamodb_endpoint {
            Some(endpoint) => autopilot_shared::aws::local(endpoint).await,
            None => aws.clone(),
        };
        let store = Arc::new(DynamoStore::connect(&dynamodb, StoreConfig::new(&deployment.table), io.clock.clone()));
        let mut config = match &deployment.spapi_endpoint {
            Some(endpoint) => SpApiConfig::local(endpoint),
            None => SpApiConfig::default(),
        };
        if let Some(scale) = deployment.spapi_rate_scale {
            config.usage_plans = UsagePlans::scaled(scale);
        }
        let credentials = Arc::new(SecretsManagerCredentials::new(&aws));
        let api = Arc::new(SpApi::new(config, credentials, io.clock.clone()));
        Ok(Self { deployment, store, aws, api, clock: io.clock.clone(), json })
    }
}

/// The seller `--seller` names: refused when the id is malformed or unknown.
pub(crate) async fn seller_flag(ctx: &Ctx, id: &str) -> Result<SellerAccount, CliError> {
    let id = SellerId::parse(id).map_err(|err| CliError::Refused(format!("--seller: {err}")))?;
    let account = ctx.store.get_seller(&id).await.map_err(failed("reading the account"))?;
    account.ok_or_else(|| CliError::Refused(format!("--seller: no seller {id} in this deployment")))
}

/// The sellers a command covers: the one `--seller` names, or every seller.
pub(crate) async fn sellers_covered(ctx: &Ctx, seller: Option<&str>) -> Result<Vec<SellerAccount>, CliError> {
    match seller {
        Some(id) => Ok(vec![seller_flag(ctx, id).await?]),
        None => ctx.store.list_sellers().await.map_err(failed("listing the sellers")),
    }
}

/// Run one command line (without the program name). Returns the exit status; messages went to
/// `io.err`.
pub async fn run(args: Vec<String>, io: &mut Io<'_>) -> u8 {
    match run_command(args, io).await {
        Ok(code) => code,
        Err(err) => {
            let _ = writeln!(io.err, "autopilot: {err}");
            err.exit_code()
        }
    }
}

async fn run_command(args: Vec<String>, io: &mut Io<'_>) -> Result<u8, CliError> {
    let cli = match Cli::try_parse_from(std::iter::once("autopilot".to_string()).chain(args)) {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let text = err.render().to_string();
            let stream: &mut dyn Write = if code == 0 { io.out } else { io.err };
            let _ = write!(stream, "{text}");
            return Ok(code);
        }
    };
    let offline = match &cli.command {
        Command::Notification { file } => Some(offline::notification(file)),
        Command::FeedbackReport { marketplace, encoding, file } => {
            Some(offline::feedback_report(marketplace, encoding.as_deref(), file))
        }
        Command::Triage { marketplace, fulfillment } => Some(offline::triage_lines(marketplace, fulfillment)),
        _ => None,
    };
    if let Some(result) = offline {
        let done = result.map_err(CliError::Refused)?;
        if !done.output.is_empty() {
            let _ = writeln!(io.out, "{}", done.output);
        }
        return Ok(u8::from(done.rejected > 0));
    }
    let ctx = Ctx::connect(cli.stack.as_deref(), io, cli.json).await?;
    match cli.command {
        Command::Seller { command } => seller::run(&ctx, *command, io).await?,
        Command::Status { seller } => status::run(&ctx, seller.as_deref(), io).await?,
        Command::Explain { order_id, seller } => explain::run(&ctx, &order_id, seller.as_deref(), io).await?,
        Command::Backfill(args) => backfill::run(&ctx, args, io).await?,
        Command::Dlq { command } => dlq::run(&ctx, command, io).await?,
        Command::Notification { .. } | Command::FeedbackReport { .. } | Command::Triage { .. } => {}
    }
    Ok(0)
}
