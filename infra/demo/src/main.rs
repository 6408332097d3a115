//! The main job, locally: runs Feedback Autopilot against the local stack (DynamoDB Local,
//! moto) and the SP-API simulator, and prints what it did. Started by `infra/local/demo.sh`,
//! which brings the stack up and passes its endpoints.
//!
//! Stages: onboarding a seller with `autopilot seller add` (credentials in Secrets Manager,
//! ORDER_CHANGE and REPORT_PROCESSING_FINISHED subscribed to SQS queues), a simulated week of
//! orders whose notifications arrive duplicated, shuffled and partly lost, the order-events handler
//! recording them, and the order-sync poll recovering what was lost, five weeks of review requests,
//! and the feedback stage: reports finished through REPORT_PROCESSING_FINISHED, triage, ratings,
//! reminders and a removal; then `autopilot status` and `autopilot explain` of an FBA order.

mod feedback;
mod mail;
mod operator;
mod scenario;

use std::path::PathBuf;
use std::process::ExitCode;

struct Args {
    dynamodb_endpoint: String,
    aws_endpoint: String,
    table: String,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        dynamodb_endpoint: std::env::var("AUTOPILOT_DYNAMODB_ENDPOINT").unwrap_or_default(),
        aws_endpoint: std::env::var("AUTOPILOT_AWS_ENDPOINT").unwrap_or_default(),
        table: "feedback-autopilot-demo".into(),
        out: PathBuf::from("out/demo"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--dynamodb-endpoint" => args.dynamodb_endpoint = value()?,
            "--aws-endpoint" => args.aws_endpoint = value()?,
            "--table" => args.table = value()?,
            "--out" => args.out = PathBuf::from(value()?),
            other => {
                return Err(format!(
                    "unknown argument {other:?} (known: --dynamodb-endpoint, --aws-endpoint, --table, --out)"
                ));
            }
        }
    }
    if args.dynamodb_endpoint.is_empty() || args.aws_endpoint.is_empty() {
        return Err(
            "no local stack: set AUTOPILOT_DYNAMODB_ENDPOINT and AUTOPILOT_AWS_ENDPOINT (infra/local/demo.sh does)"
                .into(),
        );
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> ExitCode {
    autopilot_shared::runtime::init_log_file("demo");
    let result = match parse_args() {
        Ok(args) => scenario::run(&args.dynamodb_endpoint, &args.aws_endpoint, &args.table, &args.out).await,
        Err(err) => Err(err),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("demo failed: {err}");
            ExitCode::FAILURE
        }
    }
}
