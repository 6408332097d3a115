//! `autopilot seller add|update|show|list|pause|resume|remove`.
//!
//! Everything is checked before anything is written: the seller id, marketplaces, e-mail
//! addresses and settings, the credentials' shape and one LWA exchange with them, and that the
//! deployment names its notification queues. Then the secret, the account and the
//! subscriptions are written in that order; if a later step fails, what this run wrote is put
//! back as it was.

use std::collections::BTreeSet;
use std::time::Duration;

use autopilot_shared::domain::{
    AlertDelivery, DigestFrequency, EmailAddress, Marketplace, ReviewRequestPolicy, SellerAccount, SellerId,
};
use autopilot_shared::onboarding::{NotificationType, Onboarding, SellerSecret};
use autopilot_shared::spapi::LwaCredentials;
use autopilot_shared::store::SellerDirectory;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata};
use clap::{Args, Subcommand};
use serde_json::json;
use tokio::time::Instant;

use crate::output::{json as print_json, line, table};
use crate::{CliError, Ctx, Io, failed};

#[derive(Subcommand)]
pub enum SellerCommand {
    /// Onboard a seller: credentials (from --credentials FILE or - for standard input) to
    /// Secrets Manager, the account to the table, ORDER_CHANGE and REPORT_PROCESSING_FINISHED
    /// subscribed. Running it again with the same input changes nothing.
    Add {
        seller_id: String,
        #[command(flatten)]
        settings: Settings,
        /// A JSON file with client_id, client_secret and refresh_token (- reads standard input).
        #[arg(long, value_name = "FILE")]
        credentials: String,
    },
    /// Change only what is given.
    Update {
        seller_id: String,
        #[command(flatten)]
        settings: Settings,
        /// New credentials (a JSON file, or - for standard input).
        #[arg(long, value_name = "FILE")]
        credentials: Option<String>,
    },
    /// One seller's account (never its credentials).
    Show {
        seller_id: String,
    },
    /// Every seller account.
    List,
    /// Stop all SP-API work for the seller (review requests, polls, reports) until resumed.
    Pause {
        seller_id: String,
    },
    Resume {
        seller_id: String,
    },
    /// Unsubscribe the seller's notifications, delete its credentials and its account (its
    /// orders and feedback stay until their retention ends).
    Remove {
        seller_id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// The account's settings; each flag given replaces that setting (lists: the whole list).
#[derive(Args, Default)]
pub struct Settings {
    /// A name for people (e-mails, this tool's output).
    #[arg(long)]
    name: Option<String>,
    /// A marketplace the seller sells in (code like US, DE, JP, or its id); repeat for more.
    #[arg(long = "marketplace", value_name = "MARKETPLACE")]
    marketplaces: Vec<String>,
    /// Where alerts go; repeat for more.
    #[arg(long = "alert-to", value_name = "EMAIL")]
    alert_to: Vec<String>,
    /// instant (each alert as it happens) or digest (only in the digest).
    #[arg(long)]
    delivery: Option<String>,
    /// off, daily or weekly.
    #[arg(long)]
    digest: Option<String>,
    /// The weekly digest's day (Mon ... Sun).
    #[arg(long)]
    digest_day: Option<String>,
    /// Days after the latest delivery estimate before a review request.
    #[arg(long)]
    delay_days: Option<u16>,
    /// Marketplaces where review requests are sent (default: all of the seller's).
    #[arg(long = "requests-in", value_name = "MARKETPLACE")]
    requests_in: Vec<String>,
    /// A SKU never asked for a review; repeat for more.
    #[arg(long = "do-not-solicit-sku", value_name = "SKU")]
    skus: Vec<String>,
    /// An order program or type left alone (e.g. Business, Preorder); repeat for more.
    #[arg(long = "exclude-program", value_name = "NAME")]
    programs: Vec<String>,
    /// Alert when the 365-day positive share falls below this (0 to 1).
    #[arg(long)]
    min_positive_share: Option<f64>,
    /// Alert when negatives in 30 days reach this many.
    #[arg(long)]
    max_negatives_30: Option<u64>,
    /// Alert when the ODR negative-feedback rate reaches this (0 to 1).
    #[arg(long)]
    max_odr_negative_rate: Option<f64>,
}

fn refused(message: impl Into<String>) -> CliError {
    CliError::Refused(message.into())
}

fn marketplaces(flag: &str, values: &[String]) -> Result<Vec<Marketplace>, CliError> {
    let mut out = Vec::new();
    for value in values {
        let marketplace = Marketplace::from_id_or_code(value).map_err(|err| {
            let known: Vec<&str> = Marketplace::ALL.iter().map(|m| m.code()).collect();
            refused(format!("--{flag}: {err} (known: {})", known.join(", ")))
        })?;
        if !out.contains(&marketplace) {
            out.push(marketplace);
        }
    }
    Ok(out)
}

fn share(flag: &str, value: Option<f64>) -> Result<Option<f64>, CliError> {
    match value {
        Some(v) if !(0.0..=1.0).contains(&v) => Err(refused(format!("--{flag}: {v} is not a share from 0 to 1"))),
        other => Ok(other),
    }
}

impl Settings {
    /// `account` with these settings applied, every value checked.
    fn apply(&self, mut account: SellerAccount) -> Result<SellerAccount, CliError> {
        if let Some(name) = &self.name {
            if name.trim().is_empty() {
                return Err(refused("--name: empty"));
            }
            account.display_name = name.trim().to_string();
        }
        if !self.marketplaces.is_empty() {
            let new = marketplaces("marketplace", &self.marketplaces)?;
            let policy = &mut account.review_requests;
            // Marketplaces that were switched off stay off; new ones are on.
            let off: BTreeSet<Marketplace> =
                account.marketplaces.iter().filter(|m| !policy.enabled_marketplaces.contains(m)).copied().collect();
            policy.enabled_marketplaces = new.iter().filter(|m| !off.contains(m)).copied().collect();
            account.marketplaces = new;
        }
        if !self.requests_in.is_empty() {
            let enabled = marketplaces("requests-in", &self.requests_in)?;
            if let Some(stray) = enabled.iter().find(|m| !account.marketplaces.contains(m)) {
                return Err(refused(format!(
                    "--requests-in: {} is not one of the seller's marketplaces",
                    stray.code()
                )));
            }
            account.review_requests.enabled_marketplaces = enabled.into_iter().collect();
        }
        if !self.alert_to.is_empty() {
            let mut recipients = Vec::new();
            for address in &self.alert_to {
                recipients.push(EmailAddress::parse(address).map_err(|err| refused(format!("--alert-to: {err}")))?);
            }
            account.alert_recipients = recipients;
        }
        if let Some(delivery) = &self.delivery {
            account.alert_delivery = match delivery.as_str() {
                "instant" => AlertDelivery::Instant,
                "digest" => AlertDelivery::Digest,
                other => return Err(refused(format!("--delivery: {other:?} is not instant or digest"))),
            };
        }
        if let Some(digest) = &self.digest {
            account.digest.frequency = match digest.as_str() {
                "off" => DigestFrequency::Off,
                "daily" => DigestFrequency::Daily,
                "weekly" => DigestFrequency::Weekly,
                other => return Err(refused(format!("--digest: {other:?} is not off, daily or weekly"))),
            };
        }
        if let Some(day) = &self.digest_day {
            account.digest.weekday =
                day.parse().map_err(|_| refused(format!("--digest-day: {day:?} is not a weekday (Mon ... Sun)")))?;
        }
        if let Some(days) = self.delay_days {
            if days > 30 {
                return Err(refused(format!(
                    "--delay-days: {days} is past Amazon's window (30 days after the latest delivery)"
                )));
            }
            account.review_requests.delay_days = days;
        }
        if !self.skus.is_empty() {
            account.review_requests.do_not_solicit_skus = self.skus.iter().cloned().collect();
        }
        if !self.programs.is_empty() {
            account.review_requests.excluded_programs = self.programs.iter().cloned().collect();
        }
        let thresholds = &mut account.feedback.thresholds;
        if let Some(v) = share("min-positive-share", self.min_positive_share)? {
            thresholds.min_positive_share_365 = v;
        }
        if let Some(v) = self.max_negatives_30 {
            thresholds.max_negatives_30 = v;
        }
        if let Some(v) = share("max-odr-negative-rate", self.max_odr_negative_rate)? {
            thresholds.max_odr_negative_rate = v;
        }
        if account.marketplaces.is_empty() {
            return Err(refused("--marketplace: a seller needs at least one marketplace"));
        }
        Ok(account)
    }
}

fn seller_id(value: &str) -> Result<SellerId, CliError> {
    SellerId::parse(value).map_err(|err| refused(format!("SELLER_ID: {err}")))
}

/// The credentials from a file or standard input, checked for shape (never echoed).
fn read_credentials(path: &str, io: &mut Io<'_>) -> Result<SellerSecret, CliError> {
    let mut text = String::new();
    if path == "-" {
        io.stdin.read_to_string(&mut text).map_err(|err| refused(format!("--credentials -: {err}")))?;
    } else {
        text = std::fs::read_to_string(path).map_err(|err| refused(format!("--credentials {path}: {err}")))?;
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        refused(format!("--credentials {path}: not a JSON object (client_id, client_secret, refresh_token)"))
    })?;
    let field = |name: &str| -> Result<String, CliError> {
        match value.get(name).and_then(|v| v.as_str()).map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(refused(format!("--credentials {path}: {name} is missing or empty"))),
        }
    };
    Ok(SellerSecret {
        client_id: field("client_id")?,
        client_secret: field("client_secret")?,
        refresh_token: field("refresh_token")?,
    })
}

/// One LWA exchange with the credentials: refused with Amazon's reason when it fails.
async fn check_with_amazon(ctx: &Ctx, secret: &SellerSecret) -> Result<(), CliError> {
    let credentials = LwaCredentials {
        client_id: secret.client_id.clone(),
        client_secret: secret.client_secret.clone(),
        refresh_token: Some(secret.refresh_token.clone()),
    };
    ctx.api
        .check_credentials(&credentials)
        .await
        .map_err(|err| refused(format!("--credentials: Login with Amazon refused them: {err}")))
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(120)
}

/// The queues notifications go to, by type, with their ARNs (asked of SQS).
async fn notification_queues(ctx: &Ctx) -> Result<Vec<(NotificationType, String)>, CliError> {
    let sqs = aws_sdk_sqs::Client::new(&ctx.aws);
    let d = &ctx.deployment;
    let wanted = [
        (
            NotificationType::OrderChange,
            d.order_events_queue.as_deref(),
            "OrderEventsQueueUrl / AUTOPILOT_ORDER_EVENTS_QUEUE_URL",
        ),
        (
            NotificationType::ReportProcessingFinished,
            d.report_events_queue.as_deref(),
            "ReportEventsQueueUrl / AUTOPILOT_REPORT_EVENTS_QUEUE_URL",
        ),
    ];
    let mut queues = Vec::new();
    for (kind, url, setting) in wanted {
        let url = url.ok_or_else(|| {
            CliError::Usage(format!("the deployment names no queue for {} ({setting})", kind.as_str()))
        })?;
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .map_err(crate::dlq::sqs_error(format!("queue {url}")))?;
        let arn = attributes
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .ok_or_else(|| CliError::Failed(format!("queue {url}: SQS gave no QueueArn")))?;
        queues.push((kind, arn));
    }
    Ok(queues)
}

/// The secret's current value, if it exists.
async fn current_secret(ctx: &Ctx, name: &str) -> Result<Option<SellerSecret>, CliError> {
    let secrets = aws_sdk_secretsmanager::Client::new(&ctx.aws);
    match secrets.get_secret_value().secret_id(name).send().await {
        Ok(output) => {
            let value: Option<serde_json::Value> = output.secret_string().and_then(|s| serde_json::from_str(s).ok());
            let field =
                |n: &str| value.as_ref().and_then(|v| v.get(n)).and_then(|v| v.as_str()).unwrap_or("").to_string();
            Ok(Some(SellerSecret {
                client_id: field("client_id"),
                client_secret: field("client_secret"),
                refresh_token: field("refresh_token"),
            }))
        }
        Err(err) if err.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(err) => Err(CliError::Failed(format!("secret {name}: {}", DisplayErrorContext(&err)))),
    }
}

fn same_secret(a: &SellerSecret, b: &SellerSecret) -> bool {
    (&a.client_id, &a.client_secret, &a.refresh_token) == (&b.client_id, &b.client_secret, &b.refresh_token)
}

/// What a write did, for the report and the undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Unchanged,
    Created,
    Replaced,
}

impl Change {
    fn word(self) -> &'static str {
        match self {
            Change::Unchanged => "unchanged",
            Change::Created => "created",
            Change::Replaced => "replaced",
        }
    }
}

/// Writes one seller's secret, account and subscriptions, undoing its own writes on failure.
struct Writer<'a> {
    ctx: &'a Ctx,
    onboarding: Onboarding,
    previous_secret: Option<SellerSecret>,
    previous_account: Option<SellerAccount>,
    secret: Change,
    account: Change,
}

impl<'a> Writer<'a> {
    fn new(ctx: &'a Ctx, previous_secret: Option<SellerSecret>, previous_account: Option<SellerAccount>) -> Self {
        let onboarding = Onboarding { secrets: aws_sdk_secretsmanager::Client::new(&ctx.aws), api: ctx.api.clone() };
        Self {
            ctx,
            onboarding,
            previous_secret,
            previous_account,
            secret: Change::Unchanged,
            account: Change::Unchanged,
        }
    }

    async fn secret(&mut self, name: &str, secret: Option<&SellerSecret>) -> Result<(), CliError> {
        let Some(secret) = secret else { return Ok(()) };
        if self.previous_secret.as_ref().is_some_and(|p| same_secret(p, secret)) {
            return Ok(());
        }
        self.onboarding.store_credentials(name, secret).await.map_err(failed("storing the credentials"))?;
        self.secret = if self.previous_secret.is_some() { Change::Replaced } else { Change::Created };
        Ok(())
    }

    async fn account(&mut self, account: &SellerAccount) -> Result<(), CliError> {
        if self.previous_account.as_ref() == Some(account) {
            return Ok(());
        }
        self.ctx.store.put_seller(account).await.map_err(failed("saving the account"))?;
        self.account = if self.previous_account.is_some() { Change::Replaced } else { Change::Created };
        Ok(())
    }

    /// Put back what this run changed (best effort; what could not be undone is reported).
    async fn undo(&self, name: &str, seller: &SellerId, io: &mut Io<'_>) {
        let secret_undone = match (self.secret, &self.previous_secret) {
            (Change::Unchanged, _) => Ok(()),
            (_, Some(previous)) => self.onboarding.store_credentials(name, previous).await.map_err(|e| e.to_string()),
            (_, None) => self.onboarding.delete_credentials(name).await.map_err(|e| e.to_string()),
        };
        let account_undone = match (self.account, &self.previous_account) {
            (Change::Unchanged, _) => Ok(()),
            (_, Some(previous)) => self.ctx.store.put_seller(previous).await.map_err(|e| e.to_string()),
            (_, None) => self.ctx.store.delete_seller(seller).await.map_err(|e| e.to_string()),
        };
        for (what, result) in [("credentials", secret_undone), ("account", account_undone)] {
            if let Err(err) = result {
                let _ = line(io.err, format!("autopilot: could not put the {what} back as they were: {err}"));
            }
        }
    }
}

pub async fn run(ctx: &Ctx, command: SellerCommand, io: &mut Io<'_>) -> Result<(), CliError> {
    match command {
        SellerCommand::Add { seller_id: id, settings, credentials } => {
            let id = seller_id(&id)?;
            let name = format!("{}{id}", ctx.deployment.secrets_prefix);
            let fresh = SellerAccount {
                seller_id: id.clone(),
                display_name: id.to_string(),
                marketplaces: Vec::new(),
                alert_recipients: Vec::new(),
                alert_delivery: AlertDelivery::default(),
                digest: Default::default(),
                review_requests: ReviewRequestPolicy::for_marketplaces(&[]),
                credentials_secret: name.clone(),
                feedback: Default::default(),
                paused: false,
            };
            let account = settings.apply(fresh)?;
            let secret = read_credentials(&credentials, io)?;
            save(ctx, account, Some(secret), Mode::Add, io).await
        }
        SellerCommand::Update { seller_id: id, settings, credentials } => {
            let id = seller_id(&id)?;
            let existing = existing(ctx, &id).await?;
            let account = settings.apply(existing)?;
            let secret = credentials.map(|path| read_credentials(&path, io)).transpose()?;
            save(ctx, account, secret, Mode::Update, io).await
        }
        SellerCommand::Show { seller_id: id } => show(ctx, &existing(ctx, &seller_id(&id)?).await?, io).await,
        SellerCommand::List => list(ctx, io).await,
        SellerCommand::Pause { seller_id: id } => pause(ctx, &seller_id(&id)?, true, io).await,
        SellerCommand::Resume { seller_id: id } => pause(ctx, &seller_id(&id)?, false, io).await,
        SellerCommand::Remove { seller_id: id, yes } => remove(ctx, &seller_id(&id)?, yes, io).await,
    }
}

async fn existing(ctx: &Ctx, id: &SellerId) -> Result<SellerAccount, CliError> {
    ctx.store
        .get_seller(id)
        .await
        .map_err(failed("reading the account"))?
        .ok_or_else(|| refused(format!("no seller {id} in this deployment (add it with `autopilot seller add`)")))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    Update,
}

async fn save(
    ctx: &Ctx,
    account: SellerAccount,
    secret: Option<SellerSecret>,
    mode: Mode,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
    let queues = notification_queues(ctx).await?;
    if let Some(secret) = &secret {
        check_with_amazon(ctx, secret).await?;
    }
    let previous_account = ctx.store.get_seller(&account.seller_id).await.map_err(failed("reading the account"))?;
    if mode == Mode::Add
        && let Some(previous) = &previous_account
        && *previous != account
    {
        return Err(refused(format!(
            "seller {} exists with other settings; change them with `autopilot seller update`",
            account.seller_id
        )));
    }
    let name = account.credentials_secret.clone();
    let previous_secret = current_secret(ctx, &name).await?;
    if secret.is_none() && previous_secret.is_none() {
        return Err(refused(format!("seller {}: no credentials stored; give --credentials", account.seller_id)));
    }
    let mut writer = Writer::new(ctx, previous_secret, previous_account);
    let written = async {
        writer.secret(&name, secret.as_ref()).await?;
        writer.account(&account).await?;
        let mut subscribed = Vec::new();
        for (kind, arn) in &queues {
            let done = writer
                .onboarding
                .subscribe(&account, *kind, &ctx.deployment.name, arn, deadline())
                .await
                .map_err(failed("subscribing"))?;
            subscribed.push(done);
        }
        Ok::<_, CliError>(subscribed)
    }
    .await;
    let subscribed = match written {
        Ok(subscribed) => subscribed,
        Err(err) => {
            writer.undo(&name, &account.seller_id, io).await;
            return Err(err);
        }
    };
    let changed = writer.secret != Change::Unchanged
        || writer.account != Change::Unchanged
        || subscribed.iter().any(|s| s.created);
    if ctx.json {
        let subscriptions: Vec<_> = subscribed
            .iter()
            .map(|s| json!({"notification_type": s.notification_type.as_str(), "destination_id": s.destination_id, "created": s.created}))
            .collect();
        return print_json(
            io.out,
            &json!({
                "seller_id": account.seller_id,
                "changed": changed,
                "credentials": writer.secret.word(),
                "account": writer.account.word(),
                "subscriptions": subscriptions,
            }),
        );
    }
    let mut rows = vec![
        vec!["credentials".into(), writer.secret.word().into(), format!("secret {name}")],
        vec!["account".into(), writer.account.word().into(), format!("table {}", ctx.deployment.table)],
    ];
    for s in &subscribed {
        let state = if s.created { "subscribed" } else { "unchanged" };
        rows.push(vec![s.notification_type.as_str().into(), state.into(), format!("destination {}", s.destination_id)]);
    }
    line(io.out, table(&["step", "result", "where"], &rows))?;
    line(
        io.out,
        if changed {
            format!("seller {} saved", account.seller_id)
        } else {
            format!("seller {}: nothing to change", account.seller_id)
        },
    )
}

fn account_json(account: &SellerAccount) -> serde_json::Value {
    serde_json::to_value(account).unwrap_or_default()
}

async fn show(ctx: &Ctx, account: &SellerAccount, io: &mut Io<'_>) -> Result<(), CliError> {
    let stored = current_secret(ctx, &account.credentials_secret).await?.is_some();
    if ctx.json {
        let mut value = account_json(account);
        value["credentials_stored"] = json!(stored);
        return print_json(io.out, &value);
    }
    let policy = &account.review_requests;
    let codes = |ms: &mut dyn Iterator<Item = &Marketplace>| ms.map(|m| m.code()).collect::<Vec<_>>().join(", ");
    let list = |items: &BTreeSet<String>| {
        if items.is_empty() { "-".to_string() } else { items.iter().cloned().collect::<Vec<_>>().join(", ") }
    };
    let t = &account.feedback.thresholds;
    let rows = vec![
        vec!["seller".into(), format!("{} ({})", account.seller_id, account.display_name)],
        vec!["state".into(), if account.paused { "paused".into() } else { "active".into() }],
        vec!["marketplaces".into(), codes(&mut account.marketplaces.iter())],
        vec!["review requests in".into(), codes(&mut policy.enabled_marketplaces.iter())],
        vec!["delay".into(), format!("{} days after the latest delivery estimate", policy.delay_days)],
        vec!["do-not-solicit SKUs".into(), list(&policy.do_not_solicit_skus)],
        vec!["excluded programs".into(), list(&policy.excluded_programs)],
        vec!["alerts to".into(), account.alert_recipients.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")],
        vec!["delivery".into(), format!("{:?}", account.alert_delivery).to_lowercase()],
        vec!["digest".into(), format!("{:?} ({})", account.digest.frequency, account.digest.weekday).to_lowercase()],
        vec![
            "rating alerts".into(),
            format!(
                "positive share (365 d) < {:.0} %, negatives (30 d) >= {}, ODR negative rate >= {:.1} %",
                t.min_positive_share_365 * 100.0,
                t.max_negatives_30,
                t.max_odr_negative_rate * 100.0
            ),
        ],
        vec![
            "credentials".into(),
            format!("{} ({})", account.credentials_secret, if stored { "stored" } else { "MISSING" }),
        ],
    ];
    line(io.out, table(&["setting", "value"], &rows))
}

async fn list(ctx: &Ctx, io: &mut Io<'_>) -> Result<(), CliError> {
    let sellers = ctx.store.list_sellers().await.map_err(failed("listing the sellers"))?;
    if ctx.json {
        return print_json(io.out, &json!(sellers.iter().map(account_json).collect::<Vec<_>>()));
    }
    let rows: Vec<Vec<String>> = sellers
        .iter()
        .map(|s| {
            vec![
                s.seller_id.to_string(),
                s.display_name.clone(),
                s.marketplaces.iter().map(|m| m.code()).collect::<Vec<_>>().join(","),
                if s.paused { "paused".into() } else { "active".into() },
                s.alert_recipients.len().to_string(),
            ]
        })
        .collect();
    line(io.out, table(&["seller", "name", "marketplaces", "state", "recipients"], &rows))?;
    line(io.out, format!("{} seller(s)", sellers.len()))
}

async fn pause(ctx: &Ctx, id: &SellerId, paused: bool, io: &mut Io<'_>) -> Result<(), CliError> {
    let mut account = existing(ctx, id).await?;
    let changed = account.paused != paused;
    if changed {
        account.paused = paused;
        ctx.store.put_seller(&account).await.map_err(failed("saving the account"))?;
    }
    let state = if paused { "paused" } else { "active" };
    if ctx.json {
        return print_json(io.out, &json!({"seller_id": id, "state": state, "changed": changed}));
    }
    line(io.out, format!("seller {id}: {state}{}", if changed { "" } else { " (unchanged)" }))
}

async fn remove(ctx: &Ctx, id: &SellerId, yes: bool, io: &mut Io<'_>) -> Result<(), CliError> {
    let account = existing(ctx, id).await?;
    if !yes {
        let _ = write!(
            io.err,
            "Remove seller {id} ({}): unsubscribe its notifications, delete its credentials and account? Type the seller id to confirm: ",
            account.display_name
        );
        let _ = io.err.flush();
        let mut answer = String::new();
        let mut byte = [0u8; 1];
        while io.stdin.read(&mut byte).map_err(|err| refused(format!("reading the confirmation: {err}")))? == 1 {
            if byte[0] == b'\n' {
                break;
            }
            answer.push(char::from(byte[0]));
        }
        if answer.trim() != id.as_str() {
            return Err(refused(format!("not confirmed; seller {id} was not removed")));
        }
    }
    let onboarding = Onboarding { secrets: aws_sdk_secretsmanager::Client::new(&ctx.aws), api: ctx.api.clone() };
    let mut unsubscribed = Vec::new();
    for kind in [NotificationType::OrderChange, NotificationType::ReportProcessingFinished] {
        let deleted = onboarding.unsubscribe(&account, kind, deadline()).await.map_err(failed("unsubscribing"))?;
        unsubscribed.push((kind.as_str(), deleted));
    }
    onboarding.delete_credentials(&account.credentials_secret).await.map_err(failed("deleting the credentials"))?;
    ctx.store.delete_seller(id).await.map_err(failed("deleting the account"))?;
    if ctx.json {
        let subs: Vec<_> = unsubscribed.iter().map(|(k, d)| json!({"notification_type": k, "deleted": d})).collect();
        return print_json(io.out, &json!({"seller_id": id, "removed": true, "unsubscribed": subs}));
    }
    for (kind, deleted) in &unsubscribed {
        line(io.out, format!("{kind}: {}", if *deleted { "unsubscribed" } else { "no subscription" }))?;
    }
    line(
        io.out,
        format!("seller {id} removed (credentials deleted; its orders and feedback stay until their retention ends)"),
    )
}
