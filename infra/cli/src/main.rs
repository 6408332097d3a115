//! `autopilot`, the operator's tool.
//!
//! ```text
//! autopilot notification FILE|-   parse one ORDER_CHANGE notification (raw, or an SQS message
//!                                 with a Body) and print the normalized order change as JSON
//! ```
//! Exit status: 0 on success, 1 when the input is not a valid notification (the message names
//! the field at fault), 2 on usage errors.

use std::io::Read;
use std::process::ExitCode;

use autopilot_shared::notifications::{Notification, parse_notification, unwrap_sqs_envelope};

const USAGE: &str = "usage: autopilot notification FILE|-";

fn read_input(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|err| format!("reading standard input: {err}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|err| format!("reading {path}: {err}"))
    }
}

fn notification(path: &str) -> Result<String, String> {
    let text = read_input(path)?;
    let body = unwrap_sqs_envelope(&text).map_err(|err| format!("{path}: {err}"))?;
    match parse_notification(&body).map_err(|err| format!("{path}: {err}"))? {
        Notification::OrderChange(change) => serde_json::to_string_pretty(&change).map_err(|err| err.to_string()),
        Notification::Other { notification_type, .. } => {
            Err(format!("{path}: NotificationType: {notification_type:?} is not ORDER_CHANGE"))
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["notification", path] => notification(path),
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("autopilot: {message}");
            ExitCode::FAILURE
        }
    }
}
