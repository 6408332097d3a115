//! The monthly AWS bill of a deployment, from measured usage and list prices: what the cost
//! bench prints. Every price is in [`PRICES`] with the date it was read; every figure that is
//! not measured by the bench is in [`Assumptions`] with its reason, and the printout says which
//! is which.

/// List prices, us-east-1, on-demand, without free tiers.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    /// When and where they were read.
    pub as_of: &'static str,
    /// DynamoDB on-demand, per million write / read request units.
    pub dynamodb_write_million: f64,
    pub dynamodb_read_million: f64,
    /// Lambda on arm64, per GB-second, and per million requests.
    pub lambda_arm_gb_second: f64,
    pub lambda_request_million: f64,
    /// SQS, per million requests (a request carries up to ten messages).
    pub sqs_standard_million: f64,
    pub sqs_fifo_million: f64,
    /// EventBridge, per million custom events put (scheduled rules are free).
    pub eventbridge_event_million: f64,
    /// SES, per thousand e-mails.
    pub ses_thousand: f64,
    /// CloudWatch Logs, per GB ingested (standard class).
    pub logs_ingested_gb: f64,
    /// Secrets Manager, per secret a month and per 10,000 API calls.
    pub secret_month: f64,
    pub secrets_calls_10k: f64,
    /// X-Ray, per million traces recorded (the template turns active tracing on).
    pub xray_trace_million: f64,
}

pub const PRICES: Prices = Prices {
    as_of: "AWS pricing pages, us-east-1, read 2026-11-25",
    dynamodb_write_million: 0.625,
    dynamodb_read_million: 0.125,
    lambda_arm_gb_second: 0.000_013_333_4,
    lambda_request_million: 0.20,
    sqs_standard_million: 0.40,
    sqs_fifo_million: 0.50,
    eventbridge_event_million: 1.00,
    ses_thousand: 0.10,
    logs_ingested_gb: 0.50,
    secret_month: 0.40,
    secrets_calls_10k: 0.05,
    xray_trace_million: 5.00,
};

/// What a seller pays a SaaS tool for the same job, for comparison: FeedbackFive Pro, a month,
/// and the e-mails it includes (the figure issue 17 quotes).
pub const FEEDBACKFIVE_PRO: (f64, u32) = (29.99, 1_500);

/// What the deployment serves.
#[derive(Debug, Clone, Copy)]
pub struct Volume {
    pub sellers: u32,
    pub orders_per_month: u32,
}

impl Default for Volume {
    fn default() -> Self {
        Self { sellers: 100, orders_per_month: 100_000 }
    }
}

/// What the bench measures, per order or per work unit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Measured {
    /// DynamoDB units over an order's life (messages, dispatch, outcome).
    pub order_writes: f64,
    pub order_reads: f64,
    /// DynamoDB units of counting one seller's orders of one day in one marketplace (the ODR's
    /// denominator, once a day, whatever the orders).
    pub day_count_writes: f64,
    pub day_count_reads: f64,
    /// ORDER_CHANGE messages per order, and order-events invocations per order.
    pub messages_per_order: f64,
    pub capture_invocations_per_order: f64,
    /// order-events billed seconds per invocation.
    pub capture_seconds_per_invocation: f64,
    /// solicit billed seconds per order at Amazon's own rates (paced calls included).
    pub solicit_seconds_per_order: f64,
    /// Events on the bus per dispatch run of one seller.
    pub events_per_seller_run: f64,
    /// The coordinator: billed seconds per run, and DynamoDB reads per run per seller.
    pub fan_out_seconds_per_run: f64,
    pub fan_out_reads_per_seller: f64,
}

/// Figures the bench does not measure, each with why it is what it is.
#[derive(Debug, Clone, Copy)]
pub struct Assumptions {
    /// Runs a month of each scheduled job, from template.yaml's default schedules.
    pub solicit_runs: f64,
    pub order_sync_runs: f64,
    pub feedback_sync_runs: f64,
    pub digest_runs: f64,
    /// Units a worker invocation takes (the event source's BatchSize; fewer when few sellers).
    pub units_per_invocation: f64,
    /// Billed seconds and DynamoDB units of a worker's unit with nothing to do (a seller's
    /// empty dispatch run, an order-sync poll finding nothing new, a feedback run between
    /// reports).
    pub idle_unit_seconds: f64,
    pub idle_unit_reads: f64,
    pub idle_unit_writes: f64,
    /// Lambda memory (MB) of the workers and order-events, from template.yaml.
    pub memory_mb: f64,
    /// Log bytes per invocation at info (the start line when cold, the summary line).
    pub log_bytes_per_invocation: f64,
    /// E-mails: a daily digest per seller, plus alerts for one order in 200 (about 5 % of
    /// buyers leave feedback, about 10 % of those are negative).
    pub digests_per_seller: f64,
    pub alerts_per_order: f64,
    /// Lambda's SQS pollers: long polls (20 s) from each queue's event source even when idle,
    /// five pollers each, 3 a minute: requests a month per queue.
    pub idle_polls_per_queue: f64,
    pub standard_queues: f64,
    pub fifo_queues: f64,
    /// GetSecretValue: once per seller per SP-API worker process; processes assumed to last an
    /// hour, three SP-API workers.
    pub secret_reads_per_seller: f64,
}

pub const ASSUMPTIONS: Assumptions = Assumptions {
    solicit_runs: 30.0 * 48.0,
    order_sync_runs: 30.0 * 96.0,
    feedback_sync_runs: 30.0 * 24.0,
    digest_runs: 30.0,
    units_per_invocation: 10.0,
    idle_unit_seconds: 0.05,
    idle_unit_reads: 3.0,
    idle_unit_writes: 0.5,
    memory_mb: 256.0,
    log_bytes_per_invocation: 700.0,
    digests_per_seller: 30.0,
    alerts_per_order: 0.005,
    idle_polls_per_queue: 5.0 * 3.0 * 60.0 * 24.0 * 30.0,
    standard_queues: 2.0,
    fifo_queues: 4.0,
    secret_reads_per_seller: 3.0 * 24.0 * 30.0,
};

/// One line of the bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub service: &'static str,
    pub what: String,
    pub dollars: f64,
    /// Grows with orders (true) or with sellers and time (false).
    pub per_order: bool,
}

/// The month's bill, line by line.
pub fn monthly(volume: Volume, m: &Measured, a: &Assumptions, p: &Prices) -> Vec<Line> {
    let orders = f64::from(volume.orders_per_month);
    let sellers = f64::from(volume.sellers);
    let gb = a.memory_mb / 1024.0;
    let unit_runs = a.solicit_runs + a.order_sync_runs + a.feedback_sync_runs;
    let units = sellers * (unit_runs + a.digest_runs);
    let worker_invocations = units / a.units_per_invocation;
    let capture_invocations = orders * m.capture_invocations_per_order;
    let fan_out_runs = unit_runs + a.digest_runs;
    let invocations = worker_invocations + capture_invocations + fan_out_runs;
    let line = |service, what: String, dollars, per_order| Line { service, what, dollars, per_order };
    vec![
        line(
            "DynamoDB",
            format!("{:.2} W + {:.2} R units per order (measured)", m.order_writes, m.order_reads),
            orders * (m.order_writes * p.dynamodb_write_million + m.order_reads * p.dynamodb_read_million) / 1e6,
            true,
        ),
        line(
            "DynamoDB",
            format!(
                "orders per day counted, {:.0} seller-days (a marketplace each) x {:.2} W + {:.2} R (measured)",
                sellers * 30.0,
                m.day_count_writes,
                m.day_count_reads
            ),
            sellers
                * 30.0
                * (m.day_count_writes * p.dynamodb_write_million + m.day_count_reads * p.dynamodb_read_million)
                / 1e6,
            false,
        ),
        line(
            "DynamoDB",
            format!("work units and fan-out reads, {units:.0} units"),
            (units * (a.idle_unit_writes * p.dynamodb_write_million + a.idle_unit_reads * p.dynamodb_read_million)
                + fan_out_runs * sellers * m.fan_out_reads_per_seller * p.dynamodb_read_million)
                / 1e6,
            false,
        ),
        line(
            "Lambda",
            format!(
                "order-events {capture_invocations:.0} invocations x {:.3} s, solicit {:.2} s per order (measured)",
                m.capture_seconds_per_invocation, m.solicit_seconds_per_order
            ),
            orders
                * (m.capture_invocations_per_order * m.capture_seconds_per_invocation + m.solicit_seconds_per_order)
                * gb
                * p.lambda_arm_gb_second,
            true,
        ),
        line(
            "Lambda",
            format!("{worker_invocations:.0} worker + {fan_out_runs:.0} fan-out invocations"),
            (units * a.idle_unit_seconds + fan_out_runs * m.fan_out_seconds_per_run) * gb * p.lambda_arm_gb_second,
            false,
        ),
        line("Lambda", format!("{invocations:.0} requests"), invocations * p.lambda_request_million / 1e6, false),
        line(
            "SQS",
            format!("{:.0} ORDER_CHANGE messages received and deleted by batch", orders * m.messages_per_order),
            capture_invocations * 2.0 * p.sqs_standard_million / 1e6,
            true,
        ),
        line(
            "SQS",
            format!(
                "work units (send, receive, delete by ten) and idle long polls of {} queues",
                a.standard_queues + a.fifo_queues
            ),
            (units / 10.0 * 3.0 * p.sqs_fifo_million
                + a.idle_polls_per_queue
                    * (a.standard_queues * p.sqs_standard_million + a.fifo_queues * p.sqs_fifo_million))
                / 1e6,
            false,
        ),
        line(
            "EventBridge",
            format!("{:.1} events per seller run (measured)", m.events_per_seller_run),
            sellers * a.solicit_runs * m.events_per_seller_run * p.eventbridge_event_million / 1e6,
            false,
        ),
        line(
            "SES",
            format!("{:.0} digests + {:.0} alerts", sellers * a.digests_per_seller, orders * a.alerts_per_order),
            (sellers * a.digests_per_seller + orders * a.alerts_per_order) * p.ses_thousand / 1000.0,
            false,
        ),
        line(
            "CloudWatch Logs",
            format!("{:.0} bytes per invocation", a.log_bytes_per_invocation),
            invocations * a.log_bytes_per_invocation / 1e9 * p.logs_ingested_gb,
            false,
        ),
        line("X-Ray", "a trace per invocation (at most)".to_string(), invocations * p.xray_trace_million / 1e6, false),
        line(
            "Secrets Manager",
            format!("{sellers:.0} seller secrets, {:.0} reads", sellers * a.secret_reads_per_seller),
            sellers * (p.secret_month + a.secret_reads_per_seller * p.secrets_calls_10k / 1e4),
            false,
        ),
    ]
}

/// The bill's total, and the part that grows with orders.
pub fn totals(lines: &[Line]) -> (f64, f64) {
    let total = lines.iter().map(|l| l.dollars).sum();
    let per_order = lines.iter().filter(|l| l.per_order).map(|l| l.dollars).sum();
    (total, per_order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured() -> Measured {
        Measured {
            order_writes: 7.0,
            order_reads: 4.0,
            day_count_writes: 1.0,
            day_count_reads: 1.0,
            messages_per_order: 3.0,
            capture_invocations_per_order: 0.3,
            capture_seconds_per_invocation: 0.05,
            solicit_seconds_per_order: 2.0,
            events_per_seller_run: 1.0,
            fan_out_seconds_per_run: 0.1,
            fan_out_reads_per_seller: 0.5,
        }
    }

    #[test]
    fn dynamodb_per_order_is_units_times_list_price() {
        let lines = monthly(Volume { sellers: 1, orders_per_month: 1_000_000 }, &measured(), &ASSUMPTIONS, &PRICES);
        // 7 million writes at $0.625 and 4 million reads at $0.125
        assert!((lines[0].dollars - (7.0 * 0.625 + 4.0 * 0.125)).abs() < 1e-9, "{:?}", lines[0]);
    }

    #[test]
    fn order_lines_grow_with_orders_and_seller_lines_with_sellers() {
        let base = monthly(Volume { sellers: 10, orders_per_month: 10_000 }, &measured(), &ASSUMPTIONS, &PRICES);
        let more_orders = monthly(Volume { sellers: 10, orders_per_month: 20_000 }, &measured(), &ASSUMPTIONS, &PRICES);
        let more_sellers =
            monthly(Volume { sellers: 20, orders_per_month: 10_000 }, &measured(), &ASSUMPTIONS, &PRICES);
        let (total, per_order) = totals(&base);
        let (total_o, per_order_o) = totals(&more_orders);
        let (total_s, per_order_s) = totals(&more_sellers);
        assert!((per_order_o - 2.0 * per_order).abs() < 1e-9);
        assert!((per_order_s - per_order).abs() < 1e-9, "orders' lines ignore sellers");
        assert!(total_o > total && total_s > total);
        let secrets = |lines: &[Line]| lines.iter().find(|l| l.service == "Secrets Manager").unwrap().dollars;
        assert!((secrets(&more_sellers) - 2.0 * secrets(&base)).abs() < 1e-9);
    }
}
