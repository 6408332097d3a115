//! Cold starts, side by side with the floor: each function's release binary (x86_64, the
//! workspace's release profile) and a hello-world `lambda_runtime` binary
//! (`infra/local/lambda-local/src/bin/hello-lambda.rs`) are started again and again, round
//! robin, under the project's Lambda Runtime API (infra/local/lambda-local) with the
//! environment template.yaml gives them and the local stack's endpoints. For each it prints the
//! median time from spawning the process to its first `/runtime/invocation/next` (Lambda's init
//! phase), the resident memory then, the first invocation (an event that makes the function
//! reach its store: the scheduled jobs over a table with no seller, one ORDER_CHANGE message for
//! order-events), and init and init + first invocation as a multiple of hello-world's.
//!
//! Run: `cargo bench -p autopilot-tests --bench cold_start [-- ROUNDS]` (default 15). It builds
//! the release binaries first (`cargo build --release`, into this bench's own target dir).
//! Under `cargo test` (no `--bench` argument) it is a smoke run: one round of debug builds, so
//! the suite checks the bench works without timing anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use autopilot_shared::domain::SystemClock;
use autopilot_tests::sim::{EventTap, aws_config, fifo_queue};
use autopilot_tests::{fresh_store, local_stack, workspace_root};
use lambda_local::{Deadline, FunctionSpec, LocalLambda, Outcome};
use serde_json::{Value, json};

const SCHEDULED: &str = include_str!("../fixtures/events/scheduled.json");
const ORDER_CHANGE: &str = include_str!("../fixtures/events/order_change_batch.json");
const FUNCTIONS: [&str; 6] = ["order-events", "order-sync", "solicit", "feedback-sync", "alerts", "fan-out"];
const HELLO: &str = "hello-lambda";

/// `<target>/<profile>`, where this bench binary's own build put the binaries (`release` under
/// `cargo bench`).
fn profile_dir() -> PathBuf {
    // <target>/<profile>/deps/cold_start-<hash>
    let exe = std::env::current_exe().expect("the bench's path");
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).expect("<target>/release")
}

/// The binaries into `dir`: release builds when measuring, else the test profile's (debug).
fn build(dir: &Path, release: bool) {
    let target = dir.parent().expect("<target>");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace_root()).args(["build", "--quiet", "--target-dir"]).arg(target);
    if release {
        command.arg("--release");
    }
    for package in FUNCTIONS {
        command.args(["-p", package, "--bin", package]);
    }
    command.args(["-p", "lambda-local", "--bin", HELLO]);
    let status = command.status().expect("cargo runs");
    assert!(status.success(), "the release build failed");
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

#[derive(Default)]
struct Samples {
    init_ms: Vec<f64>,
    rss_mb: Vec<f64>,
    first_ms: Vec<f64>,
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let rounds: usize = if measuring { std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(15) } else { 1 };
    let release = profile_dir();
    build(&release, measuring);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let stack = local_stack();
        // An empty table, a bus and the coordinator's queues: each function's first invocation
        // reaches its store and answers without SP-API work.
        let store = fresh_store(Arc::new(SystemClock), |_| {}).await;
        let tap = EventTap::new().await;
        let sqs = aws_sdk_sqs::Client::new(&aws_config().await);
        let mut references = BTreeMap::from([
            ("Table".to_string(), store.config().table_name.clone()),
            ("EventBus".to_string(), tap.bus.clone()),
        ]);
        for queue in ["SolicitWorkQueue", "OrderSyncWorkQueue", "FeedbackSyncWorkQueue", "DigestWorkQueue"] {
            references.insert(queue.to_string(), fifo_queue(&sqs, queue).await);
        }
        let extra = BTreeMap::from([
            ("AUTOPILOT_DYNAMODB_ENDPOINT".to_string(), stack.dynamodb_endpoint.clone()),
            ("AUTOPILOT_AWS_ENDPOINT".to_string(), stack.aws_endpoint.clone()),
            // Nothing listens there: no invocation here reaches the SP-API.
            ("AUTOPILOT_SPAPI_ENDPOINT".to_string(), "http://127.0.0.1:9".to_string()),
        ]);
        let template = workspace_root().join("template.yaml");
        let mut specs = vec![FunctionSpec {
            logical_id: "HelloWorld".into(),
            binary: HELLO.into(),
            bootstrap: release.join(HELLO),
            environment: BTreeMap::new(),
            timeout: Duration::from_secs(30),
            memory_mb: 128,
        }];
        for name in FUNCTIONS {
            let mut spec = FunctionSpec::from_template(&template, &release, name, &references)
                .unwrap_or_else(|e| panic!("{name} in template.yaml: {e}"));
            spec.bootstrap = release.join(name);
            specs.push(spec);
        }
        let event = |binary: &str| -> Value {
            match binary {
                "order-events" => serde_json::from_str(ORDER_CHANGE).expect("fixture"),
                "fan-out" => json!({"job": "solicit"}),
                _ => serde_json::from_str(SCHEDULED).expect("fixture"),
            }
        };
        let mut samples: BTreeMap<String, Samples> = BTreeMap::new();
        for round in 0..=rounds {
            for spec in &specs {
                let mut lambda = LocalLambda::start(spec.clone(), &extra).await.expect("the binary starts");
                let (init, rss) = lambda.wait_init(Duration::from_secs(30)).await.expect("init");
                let invocation = lambda.invoke(&event(&spec.binary), Deadline::Timeout).await.expect("an answer");
                if let Outcome::Error { error_type, error_message } = &invocation.outcome {
                    panic!("{} failed its first invocation: {error_type}: {error_message}", spec.binary);
                }
                lambda.stop().await;
                // Round 0 warms the page cache and the local stack: not counted.
                if round == 0 {
                    continue;
                }
                let s = samples.entry(spec.binary.clone()).or_default();
                s.init_ms.push(init.as_secs_f64() * 1e3);
                s.rss_mb.extend(rss.map(|b| b as f64 / 1e6));
                s.first_ms.push(invocation.duration.as_secs_f64() * 1e3);
            }
        }
        let mut floor = (f64::NAN, f64::NAN);
        println!(
            "cold start, {rounds} starts each (medians; x86_64 {} binaries, round robin with {HELLO}):\n  {:<14} {:>8} {:>10} {:>12} {:>12} {:>14}",
            if measuring { "release" } else { "debug (a smoke run, not a measure)" },
            "binary", "init ms", "RSS MB", "1st call ms", "init ratio", "init+1st ratio"
        );
        for name in std::iter::once(HELLO).chain(FUNCTIONS) {
            let s = samples.get_mut(name).expect("samples");
            let (init, rss, first) = (median(&mut s.init_ms), median(&mut s.rss_mb), median(&mut s.first_ms));
            if name == HELLO {
                floor = (init, init + first);
            }
            println!(
                "  {name:<14} {init:>8.2} {rss:>10.1} {first:>12.2} {:>11.2}x {:>13.2}x",
                init / floor.0,
                (init + first) / floor.1
            );
        }
    });
}
