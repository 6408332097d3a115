//! `spapi-sim`: the SP-API simulator as a standalone server on 127.0.0.1, driven through its
//! admin API (`/_sim/...`). Options: `--port N` (default 47802), `--sqs-endpoint URL` (moto, for
//! notification delivery), `--rate-scale X` (multiply every usage-plan rate).

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use autopilot_shared::spapi::plans::UsagePlans;
use spapi_sim::Simulator;

#[tokio::main]
async fn main() -> ExitCode {
    let mut port: u16 = 47802;
    let mut sqs_endpoint: Option<String> = None;
    let mut rate_scale = 1.0f64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value) {
            ("--port", Some(v)) => v.parse().map(|v| port = v).map_err(|_| format!("--port {v}: not a port")),
            ("--sqs-endpoint", Some(v)) => {
                sqs_endpoint = Some(v);
                Ok(())
            }
            ("--rate-scale", Some(v)) => {
                v.parse().map(|v| rate_scale = v).map_err(|_| format!("--rate-scale {v}: not a number"))
            }
            (other, _) => Err(format!("unknown or incomplete option {other:?}")),
        };
        if let Err(message) = parsed {
            eprintln!("spapi-sim: {message}");
            return ExitCode::from(2);
        }
    }
    let sqs = match &sqs_endpoint {
        Some(endpoint) => Some(aws_sdk_sqs::Client::new(&autopilot_shared::aws::local(endpoint).await)),
        None => None,
    };
    let simulator = Simulator::new(chrono::Utc::now(), UsagePlans::scaled(rate_scale), sqs);
    let running = match simulator.start(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
        Ok(r) => r,
        Err(err) => {
            eprintln!("spapi-sim: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("spapi-sim listening on {}", running.base_url());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
