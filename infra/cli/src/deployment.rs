//! Where the deployment is: its table, secrets prefix, bus and queues, from a CloudFormation
//! stack's outputs (`--stack NAME`, with the AWS profile and region of the environment) or from
//! the `AUTOPILOT_*` variables the functions use (the local stack).

use std::collections::BTreeMap;

use crate::CliError;

/// The stack outputs (template.yaml `Outputs`) and the variables each setting comes from.
pub const SETTINGS: [(&str, &str); 9] = [
    ("TableName", "AUTOPILOT_TABLE"),
    ("EventBusName", "AUTOPILOT_EVENT_BUS"),
    ("CredentialsSecretPrefix", "AUTOPILOT_SECRETS_PREFIX"),
    ("OrderEventsQueueUrl", "AUTOPILOT_ORDER_EVENTS_QUEUE_URL"),
    ("OrderEventsDeadLetterQueueUrl", "AUTOPILOT_ORDER_EVENTS_DLQ_URL"),
    ("ReportEventsQueueUrl", "AUTOPILOT_REPORT_EVENTS_QUEUE_URL"),
    ("ReportEventsDeadLetterQueueUrl", "AUTOPILOT_REPORT_EVENTS_DLQ_URL"),
    ("AlertsDeadLetterQueueUrl", "AUTOPILOT_ALERTS_DLQ_URL"),
    ("StackName", "AUTOPILOT_STAGE_NAME"),
];

/// One deployment of Feedback Autopilot, as the operator's commands need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    pub table: String,
    pub event_bus: Option<String>,
    /// Secrets Manager name prefix of the sellers' credentials (`CredentialsSecretPrefix` output).
    pub secrets_prefix: String,
    pub order_events_queue: Option<String>,
    pub order_events_dlq: Option<String>,
    pub report_events_queue: Option<String>,
    pub report_events_dlq: Option<String>,
    pub alerts_dlq: Option<String>,
    /// The name SP-API destinations are created under.
    pub name: String,
    /// Local runs only: DynamoDB Local, moto, the simulator.
    pub dynamodb_endpoint: Option<String>,
    pub aws_endpoint: Option<String>,
    pub spapi_endpoint: Option<String>,
    /// Local runs only (`AUTOPILOT_SPAPI_RATE_SCALE`): the simulator's usage plans run this much
    /// faster than Amazon's, and the client paces itself the same.
    pub spapi_rate_scale: Option<f64>,
}

pub const DEFAULT_SECRETS_PREFIX: &str = "feedback-autopilot/sellers/";

impl Deployment {
    /// From named settings (stack outputs or variables, by output name), with the local
    /// endpoints from `vars`.
    fn from_settings(settings: &BTreeMap<&str, String>, vars: &BTreeMap<String, String>) -> Result<Self, CliError> {
        let get = |name: &str| settings.get(name).cloned().filter(|v| !v.is_empty());
        let var = |name: &str| vars.get(name).cloned().filter(|v| !v.is_empty());
        let table = get("TableName").ok_or_else(|| {
            CliError::Usage("no deployment: give --stack NAME, or set AUTOPILOT_TABLE (and the other AUTOPILOT_* variables) for a local stack".into())
        })?;
        let spapi_rate_scale = match var("AUTOPILOT_SPAPI_RATE_SCALE") {
            Some(v) => Some(v.parse::<f64>().ok().filter(|f| f.is_finite() && *f > 0.0).ok_or_else(|| {
                CliError::Usage(format!("AUTOPILOT_SPAPI_RATE_SCALE: {v:?} is not a positive number"))
            })?),
            None => None,
        };
        Ok(Self {
            name: get("StackName").unwrap_or_else(|| table.clone()),
            table,
            event_bus: get("EventBusName"),
            secrets_prefix: get("CredentialsSecretPrefix").unwrap_or_else(|| DEFAULT_SECRETS_PREFIX.to_string()),
            order_events_queue: get("OrderEventsQueueUrl"),
            order_events_dlq: get("OrderEventsDeadLetterQueueUrl"),
            report_events_queue: get("ReportEventsQueueUrl"),
            report_events_dlq: get("ReportEventsDeadLetterQueueUrl"),
            alerts_dlq: get("AlertsDeadLetterQueueUrl"),
            dynamodb_endpoint: var("AUTOPILOT_DYNAMODB_ENDPOINT"),
            aws_endpoint: var("AUTOPILOT_AWS_ENDPOINT"),
            spapi_endpoint: var("AUTOPILOT_SPAPI_ENDPOINT"),
            spapi_rate_scale,
        })
    }

    /// The local stack's deployment, from the `AUTOPILOT_*` variables.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, CliError> {
        let settings: BTreeMap<&str, String> =
            SETTINGS.iter().filter_map(|(output, var)| vars.get(*var).map(|value| (*output, value.clone()))).collect();
        Self::from_settings(&settings, vars)
    }

    /// A deployed stack's outputs (DescribeStacks) name everything.
    pub async fn from_stack(
        stack: &str,
        sdk: &aws_config::SdkConfig,
        vars: &BTreeMap<String, String>,
    ) -> Result<Self, CliError> {
        let client = aws_sdk_cloudformation::Client::new(sdk);
        let described = client.describe_stacks().stack_name(stack).send().await.map_err(|err| {
            CliError::Failed(format!("--stack {stack}: {}", aws_sdk_cloudformation::error::DisplayErrorContext(&err)))
        })?;
        let found =
            described.stacks().first().ok_or_else(|| CliError::Failed(format!("--stack {stack}: no such stack")))?;
        let mut settings: BTreeMap<&str, String> = BTreeMap::new();
        for output in found.outputs() {
            let (Some(key), Some(value)) = (output.output_key(), output.output_value()) else { continue };
            if let Some((name, _)) = SETTINGS.iter().find(|(name, _)| *name == key) {
                settings.insert(name, value.to_string());
            }
        }
        settings.entry("StackName").or_insert_with(|| stack.to_string());
        if !settings.contains_key("TableName") {
            return Err(CliError::Failed(format!(
                "--stack {stack}: the stack has no TableName output; is it a Feedback Autopilot stack?"
            )));
        }
        // A deployed stack never uses local endpoints.
        let mut remote = vars.clone();
        for local in ["AUTOPILOT_DYNAMODB_ENDPOINT", "AUTOPILOT_AWS_ENDPOINT", "AUTOPILOT_SPAPI_ENDPOINT"] {
            remote.remove(local);
        }
        Self::from_settings(&settings, &remote)
    }

    /// The dead-letter queues by the names the `dlq` commands take, with their source queue.
    pub fn dead_letter_queues(&self) -> Vec<(&'static str, Option<&str>, Option<&str>)> {
        vec![
            ("order-events", self.order_events_dlq.as_deref(), self.order_events_queue.as_deref()),
            ("report-events", self.report_events_dlq.as_deref(), self.report_events_queue.as_deref()),
            ("alerts", self.alerts_dlq.as_deref(), None),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_local_stack_is_named_by_variables() {
        let d = Deployment::from_vars(&vars(&[
            ("AUTOPILOT_TABLE", "t"),
            ("AUTOPILOT_ORDER_EVENTS_DLQ_URL", "http://q/dlq"),
            ("AUTOPILOT_AWS_ENDPOINT", "http://127.0.0.1:1"),
        ]))
        .unwrap();
        assert_eq!((d.table.as_str(), d.secrets_prefix.as_str(), d.name.as_str()), ("t", DEFAULT_SECRETS_PREFIX, "t"));
        assert_eq!(d.order_events_dlq.as_deref(), Some("http://q/dlq"));
        assert_eq!(d.aws_endpoint.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn no_table_is_a_usage_error_naming_both_ways() {
        let err = Deployment::from_vars(&vars(&[])).unwrap_err().to_string();
        assert!(err.contains("--stack") && err.contains("AUTOPILOT_TABLE"), "{err}");
        let err = Deployment::from_vars(&vars(&[("AUTOPILOT_TABLE", "t"), ("AUTOPILOT_SPAPI_RATE_SCALE", "fast")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("AUTOPILOT_SPAPI_RATE_SCALE"), "{err}");
    }
}
