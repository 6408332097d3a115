//! The operator's side of the demo: `autopilot` commands run against the demo's deployment, on
//! the simulated clock, printed as a shell session (the command, then what it printed).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use autopilot_shared::domain::Clock;

use crate::scenario::e;

/// The demo's deployment as `autopilot` finds a local stack: the `AUTOPILOT_*` variables.
pub struct Operator {
    vars: BTreeMap<String, String>,
    clock: Arc<dyn Clock>,
}

/// The demo's deployment: its table, queues, bus and endpoints.
pub struct DemoDeployment<'a> {
    pub table: &'a str,
    pub bus: &'a str,
    pub dynamodb_endpoint: &'a str,
    pub aws_endpoint: &'a str,
    pub spapi_endpoint: &'a str,
    pub rate_scale: f64,
    pub order_events_queue: &'a str,
    pub order_events_dlq: &'a str,
    pub report_events_queue: &'a str,
    pub report_events_dlq: &'a str,
    pub alerts_dlq: &'a str,
}

impl Operator {
    pub fn new(d: &DemoDeployment<'_>, clock: Arc<dyn Clock>) -> Self {
        let vars = [
            ("AUTOPILOT_TABLE", d.table.to_string()),
            ("AUTOPILOT_EVENT_BUS", d.bus.to_string()),
            ("AUTOPILOT_DYNAMODB_ENDPOINT", d.dynamodb_endpoint.to_string()),
            ("AUTOPILOT_AWS_ENDPOINT", d.aws_endpoint.to_string()),
            ("AUTOPILOT_SPAPI_ENDPOINT", d.spapi_endpoint.to_string()),
            ("AUTOPILOT_SPAPI_RATE_SCALE", d.rate_scale.to_string()),
            ("AUTOPILOT_ORDER_EVENTS_QUEUE_URL", d.order_events_queue.to_string()),
            ("AUTOPILOT_ORDER_EVENTS_DLQ_URL", d.order_events_dlq.to_string()),
            ("AUTOPILOT_REPORT_EVENTS_QUEUE_URL", d.report_events_queue.to_string()),
            ("AUTOPILOT_REPORT_EVENTS_DLQ_URL", d.report_events_dlq.to_string()),
            ("AUTOPILOT_ALERTS_DLQ_URL", d.alerts_dlq.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self { vars, clock }
    }

    /// Runs `autopilot ARGS` (standard input `stdin`, shown as `< shown_input`), prints the
    /// command and its output indented, and fails with its error output on a non-zero exit.
    pub async fn run(&self, args: &[&str], stdin: &[u8], shown_input: Option<&str>) -> Result<(), String> {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut input = stdin;
        let mut io = autopilot_cli::Io {
            out: &mut out,
            err: &mut err,
            stdin: &mut input,
            tty: false,
            vars: self.vars.clone(),
            clock: self.clock.clone(),
            interrupted: Arc::new(AtomicBool::new(false)),
        };
        let code = autopilot_cli::run(args.iter().map(|a| a.to_string()).collect(), &mut io).await;
        let redirect = shown_input.map(|f| format!(" < {f}")).unwrap_or_default();
        let shown: Vec<String> = args.iter().map(|a| shell_word(a)).collect();
        println!("   $ autopilot {}{redirect}", shown.join(" "));
        for line in String::from_utf8(out).map_err(e("autopilot output"))?.lines() {
            println!("   {line}");
        }
        if code != 0 {
            let err = String::from_utf8_lossy(&err);
            return Err(format!("autopilot {} exited {code}: {}", args.join(" "), err.trim()));
        }
        Ok(())
    }
}

/// `word` as a shell reads it back: quoted when it holds anything but plain characters.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./@:=,+".contains(c));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', "'\\''")) }
}
