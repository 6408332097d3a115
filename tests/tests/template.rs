//! template.yaml declares the table the code expects, and passes cfn-lint.

use std::collections::BTreeSet;

use autopilot_shared::fanout::Job;
use autopilot_shared::permissions::{self, Grant, Resource};
use autopilot_shared::store::schema::{self, KeyType, Projection};
use autopilot_tests::{local_stack, workspace_root};
use serde_yaml::Value;

fn template() -> Value {
    let path = workspace_root().join("template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("parse {}: {err}", path.display()))
}

fn str_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("missing {key} in {value:?}"))
}

fn key_schema(value: &Value) -> (String, String) {
    let elements = value.as_sequence().expect("KeySchema is a list");
    let find = |kind: &str| {
        elements
            .iter()
            .find(|e| str_at(e, "KeyType") == kind)
            .map(|e| str_at(e, "AttributeName").to_string())
            .unwrap_or_else(|| panic!("no {kind} key in {value:?}"))
    };
    (find("HASH"), find("RANGE"))
}

#[test]
fn the_template_table_matches_the_schema_the_code_uses() {
    let template = template();
    let table = &template["Resources"]["Table"];
    assert_eq!(str_at(table, "Type"), "AWS::DynamoDB::Table");
    let props = &table["Properties"];
    let def = schema::TABLE;

    assert_eq!(str_at(props, "BillingMode"), "PAY_PER_REQUEST");
    assert_eq!(key_schema(&props["KeySchema"]), (def.key.partition.to_string(), def.key.sort.to_string()));

    let mut declared: Vec<(String, String)> = props["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions is a list")
        .iter()
        .map(|a| (str_at(a, "AttributeName").to_string(), str_at(a, "AttributeType").to_string()))
        .collect();
    let mut expected: Vec<(String, String)> = def
        .attributes
        .iter()
        .map(|(name, kind)| {
            let kind = match kind {
                KeyType::String => "S",
            };
            (name.to_string(), kind.to_string())
        })
        .collect();
    declared.sort();
    expected.sort();
    assert_eq!(declared, expected);

    let indexes = props["GlobalSecondaryIndexes"].as_sequence().expect("GlobalSecondaryIndexes is a list");
    assert_eq!(indexes.len(), def.indexes.len());
    for index in def.indexes {
        let declared = indexes
            .iter()
            .find(|i| str_at(i, "IndexName") == index.name)
            .unwrap_or_else(|| panic!("index {} missing from template.yaml", index.name));
        assert_eq!(key_schema(&declared["KeySchema"]), (index.key.partition.to_string(), index.key.sort.to_string()));
        let projection = match index.projection {
            Projection::KeysOnly => "KEYS_ONLY",
        };
        assert_eq!(str_at(&declared["Projection"], "ProjectionType"), projection);
    }

    assert_eq!(str_at(&props["TimeToLiveSpecification"], "AttributeName"), def.ttl_attribute);
    assert_eq!(props["TimeToLiveSpecification"]["Enabled"], Value::Bool(true));
    assert_eq!(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], Value::Bool(true));
    assert_eq!(props["SSESpecification"]["SSEEnabled"], Value::Bool(true));
}

/// cfn-lint's exit code is a bit mask: 2 = error, 4 = warning, 8 = informational.
#[test]
fn the_template_passes_cfn_lint_without_errors_or_warnings() {
    let cfn_lint = local_stack().cfn_lint.clone().expect("the local stack installs cfn-lint");
    let output = std::process::Command::new(&cfn_lint)
        .arg(workspace_root().join("template.yaml"))
        .output()
        .unwrap_or_else(|err| panic!("run {cfn_lint}: {err}"));
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code & 0b0110 == 0 && code >= 0,
        "cfn-lint exit {code}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Both queues Amazon delivers to (ORDER_CHANGE, REPORT_PROCESSING_FINISHED): Amazon's
/// account may send, a DLQ catches what keeps failing, and bad messages fail alone.
#[test]
fn amazon_may_send_notifications_and_bad_messages_fail_alone() {
    let template = template();
    let resources = &template["Resources"];
    for (queue, function, event) in [
        ("OrderEvents", "OrderEventsFunction", "OrderChanges"),
        ("ReportEvents", "FeedbackSyncFunction", "ReportFinished"),
    ] {
        let policy = &resources[format!("{queue}QueuePolicy").as_str()]["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(policy["Principal"]["AWS"], Value::String("arn:aws:iam::437568002678:root".into()), "{queue}");
        let actions: Vec<&str> = policy["Action"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(actions, vec!["sqs:SendMessage", "sqs:GetQueueAttributes"], "{queue}");

        let properties = &resources[format!("{queue}Queue").as_str()]["Properties"];
        assert!(
            properties["RedrivePolicy"]["maxReceiveCount"].as_u64().is_some(),
            "{queue}: a DLQ after bounded receives"
        );

        let events = &resources[function]["Properties"]["Events"][event]["Properties"];
        let types: Vec<&str> =
            events["FunctionResponseTypes"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(types, vec!["ReportBatchItemFailures"], "{function}");
    }
}

/// The function crates, by the `Binary` each template function builds, with the AWS calls
/// each declares beside its code.
fn declared_permissions(binary: &str) -> &'static [Grant] {
    match binary {
        "alerts" => alerts::AWS_PERMISSIONS,
        "fan-out" => fan_out::AWS_PERMISSIONS,
        "feedback-sync" => feedback_sync::AWS_PERMISSIONS,
        "order-events" => order_events::AWS_PERMISSIONS,
        "order-sync" => order_sync::AWS_PERMISSIONS,
        "solicit" => solicit::AWS_PERMISSIONS,
        other => panic!("template.yaml builds a binary no function crate declares: {other}"),
    }
}

/// The stack resource a policy statement's `Resource` names, as the code's declarations name it.
fn policy_resource(function: &str, value: &Value) -> Resource {
    let text = match value {
        Value::Tagged(t) => format!("{} {}", t.tag, t.value.as_str().unwrap_or_default()),
        other => panic!("{function}: a policy resource that is not a template reference: {other:?}"),
    };
    match text.as_str() {
        "!GetAtt Table.Arn" => Resource::Table,
        "!Sub ${Table.Arn}/index/due" => Resource::DueIndex,
        "!Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${SellerSecretsPrefix}*" => {
            Resource::SellerSecrets
        }
        "!GetAtt EventBus.Arn" => Resource::EventBus,
        "!GetAtt SolicitWorkQueue.Arn" => Resource::WorkQueue(Job::Solicit),
        "!GetAtt OrderSyncWorkQueue.Arn" => Resource::WorkQueue(Job::OrderSync),
        "!GetAtt FeedbackSyncWorkQueue.Arn" => Resource::WorkQueue(Job::FeedbackSync),
        "!GetAtt DigestWorkQueue.Arn" => Resource::WorkQueue(Job::Digest),
        "!Sub arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${AlertSenderIdentity}" => {
            Resource::AlertSenderIdentity
        }
        other => panic!("{function}: a policy resource no declaration names: {other}"),
    }
}

fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(list) => list.iter().filter_map(Value::as_str).map(String::from).collect(),
        Value::String(one) => vec![one.clone()],
        other => panic!("expected a string or a list of strings, found {other:?}"),
    }
}

/// What a function's template policy grants, as (action, resource) pairs.
fn granted(name: &str, function: &Value) -> BTreeSet<(String, Resource)> {
    let mut pairs = BTreeSet::new();
    for policy in function["Properties"]["Policies"].as_sequence().expect("Policies") {
        for statement in policy["Statement"].as_sequence().expect("Statement") {
            assert_eq!(str_at(statement, "Effect"), "Allow", "{name}");
            let resources = match &statement["Resource"] {
                Value::Sequence(list) => list.iter().map(|r| policy_resource(name, r)).collect(),
                one => vec![policy_resource(name, one)],
            };
            for action in string_list(&statement["Action"]) {
                for resource in &resources {
                    assert!(pairs.insert((action.clone(), *resource)), "{name} grants {action} on {resource:?} twice");
                }
            }
        }
    }
    pairs
}

/// Every function's policy grants exactly the AWS calls its code declares, on exactly the
/// resources it declares: no more, no fewer. (That the running function calls nothing else is
/// checked by tests/tests/lambda_local.rs.)
#[test]
fn function_policies_grant_exactly_what_the_code_declares() {
    let template = template();
    let mut checked = 0;
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != Value::String("AWS::Serverless::Function".into()) {
            continue;
        }
        let name = name.as_str().unwrap_or_default();
        let binary = str_at(&resource["Metadata"]["BuildProperties"], "Binary");
        let declared = permissions::pairs(declared_permissions(binary));
        let granted = granted(name, resource);
        let extra: Vec<_> = granted.difference(&declared).collect();
        let missing: Vec<_> = declared.difference(&granted).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{name}: granted but not declared {extra:?}; declared but not granted {missing:?}"
        );
        assert!(granted.iter().all(|(action, _)| !action.contains('*') && action != "dynamodb:Scan"), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}

/// Each function's deadline bound (`AUTOPILOT_TIMEOUT_SECONDS`) is its configured `Timeout`.
#[test]
fn every_function_knows_its_timeout() {
    let template = template();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != Value::String("AWS::Serverless::Function".into()) {
            continue;
        }
        let timeout = resource["Properties"]["Timeout"].as_u64().unwrap_or_else(|| panic!("{name:?} has no Timeout"));
        let variable = resource["Properties"]["Environment"]["Variables"]["AUTOPILOT_TIMEOUT_SECONDS"].as_str();
        assert_eq!(variable, Some(timeout.to_string().as_str()), "{name:?}");
    }
}

/// The alerts function sends only as the configured identity, and its events are retried then
/// kept in a DLQ.
#[test]
fn alerts_may_send_only_as_the_sender_and_failed_events_are_kept() {
    let template = template();
    let function = &template["Resources"]["AlertsFunction"]["Properties"];
    let statements = function["Policies"][0]["Statement"].as_sequence().unwrap();
    let ses =
        statements.iter().find(|s| s["Action"] == Value::String("ses:SendEmail".into())).expect("an SES statement");
    let resource = ses["Resource"]["Fn::Sub"].as_str().or(ses["Resource"].as_str()).unwrap_or_default();
    assert!(resource.contains(":identity/${AlertSenderIdentity}"), "{resource}");
    assert!(!ses["Condition"]["StringEquals"]["ses:FromAddress"].is_null(), "only the sender address");
    let rule = &function["Events"]["FeedbackEvents"]["Properties"];
    assert!(rule["RetryPolicy"]["MaximumRetryAttempts"].as_u64().unwrap() > 0);
    assert_eq!(
        get_att(&rule["DeadLetterConfig"]["Arn"]).as_deref(),
        Some("AlertsDeadLetterQueue"),
        "failed deliveries kept"
    );
    // failed invocations (the function's errors) go to the same queue after Lambda's retries
    let on_failure = &function["EventInvokeConfig"]["DestinationConfig"]["OnFailure"];
    assert_eq!(get_att(&on_failure["Destination"]).as_deref(), Some("AlertsDeadLetterQueue"));
    assert!(function["EventInvokeConfig"]["MaximumRetryAttempts"].as_u64().unwrap() > 0);
    let detail_types = rule["Pattern"]["detail-type"].as_sequence().unwrap();
    for kind in [
        "NegativeFeedbackReceived",
        "FeedbackDeadlineApproaching",
        "FeedbackRemoved",
        "RatingThresholdCrossed",
        "ReviewRequestsProcessed",
    ] {
        assert!(detail_types.contains(&Value::String(kind.into())), "{kind} reaches the alerts function");
    }
    assert_eq!(function["Events"]["Digests"]["Type"], Value::String("SQS".into()), "digest units from the fan-out");
    // what the code does to the table, and no more
    let table =
        statements.iter().find(|s| get_att(&s["Resource"]).as_deref() == Some("Table")).expect("a table statement");
    let actions: Vec<&str> = table["Action"].as_sequence().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(
        actions,
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    );
}

#[test]
fn every_function_logs_to_a_group_with_a_retention_and_dead_letters_are_kept() {
    let template = template();
    let parameter = &template["Parameters"]["LogRetentionDays"];
    assert_eq!(parameter["Default"].as_u64(), Some(30), "30 days unless the deployer says otherwise");
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut functions = 0;
    for (name, resource) in resources {
        let name = name.as_str().unwrap_or_default();
        match resource.get("Type").and_then(Value::as_str) {
            Some("AWS::Serverless::Function") => {
                functions += 1;
                let group = reference(&resource["Properties"]["LoggingConfig"]["LogGroup"])
                    .unwrap_or_else(|| panic!("{name} has no LoggingConfig.LogGroup !Ref"));
                let log_group = &template["Resources"][group.as_str()];
                assert_eq!(str_at(log_group, "Type"), "AWS::Logs::LogGroup", "{name}");
                let retention = reference(&log_group["Properties"]["RetentionInDays"]);
                assert_eq!(retention.as_deref(), Some("LogRetentionDays"), "{name}");
            }
            Some("AWS::SQS::Queue") if name.contains("DeadLetter") => {
                assert_eq!(str_at(resource, "DeletionPolicy"), "Retain", "{name}");
                assert_eq!(str_at(resource, "UpdateReplacePolicy"), "Retain", "{name}");
            }
            _ => {}
        }
    }
    assert_eq!(functions, 6);
}

/// Each scheduled job fans out: a schedule invokes the coordinator with an input it accepts, the
/// coordinator knows the job's FIFO queue and may send to it, and the job's worker takes the
/// units (bad ones failing alone, concurrency bounded, a visibility timeout past its own
/// timeout). No worker runs on a schedule of its own or reserves concurrency any more.
#[test]
fn every_scheduled_job_fans_out_to_its_worker_through_a_fifo_queue() {
    let template = template();
    let resources = &template["Resources"];
    let coordinator = &resources["FanOutFunction"]["Properties"];
    // Each schedule's job, as the coordinator reads its input.
    let mut schedules = std::collections::BTreeMap::new();
    for (_, event) in coordinator["Events"].as_mapping().expect("the coordinator's events") {
        assert_eq!(str_at(event, "Type"), "Schedule");
        let input: serde_json::Value = serde_json::from_str(str_at(&event["Properties"], "Input")).expect("JSON input");
        let trigger = fan_out::Trigger::parse(input).expect("an input the coordinator accepts");
        assert!(schedules.insert(trigger.job, event).is_none(), "two schedules for {:?}", trigger.job);
    }
    assert_eq!(schedules.len(), Job::ALL.len());
    for (job, queue, worker) in [
        (Job::Solicit, "SolicitWorkQueue", "SolicitFunction"),
        (Job::OrderSync, "OrderSyncWorkQueue", "OrderSyncFunction"),
        (Job::FeedbackSync, "FeedbackSyncWorkQueue", "FeedbackSyncFunction"),
        (Job::Digest, "DigestWorkQueue", "AlertsFunction"),
    ] {
        let schedule = schedules.get(&job).unwrap_or_else(|| panic!("no schedule for {job:?}"));
        assert!(reference(&schedule["Properties"]["Schedule"]).is_some(), "{job:?}: a schedule parameter");
        assert_eq!(
            reference(&coordinator["Environment"]["Variables"][job.queue_variable()]).as_deref(),
            Some(queue),
            "{job:?}"
        );
        let properties = &resources[queue]["Properties"];
        assert_eq!(properties["FifoQueue"], Value::Bool(true), "{queue}");
        assert!(queue_name_is_fifo(&properties["QueueName"]), "{queue}: SQS wants a .fifo name");
        let dlq = get_att(&properties["RedrivePolicy"]["deadLetterTargetArn"]).expect("a DLQ");
        assert_eq!(resources[dlq.as_str()]["Properties"]["FifoQueue"], Value::Bool(true), "{queue}: a FIFO DLQ");

        let function = &resources[worker]["Properties"];
        let timeout = function["Timeout"].as_u64().unwrap();
        assert!(properties["VisibilityTimeout"].as_u64().unwrap() >= 6 * timeout, "{queue}");
        let events: Vec<&Value> = function["Events"].as_mapping().unwrap().values().collect();
        assert!(events.iter().all(|e| e["Type"] != Value::String("Schedule".into())), "{worker} has no schedule");
        let work = events
            .iter()
            .find(|e| get_att(&e["Properties"]["Queue"]).as_deref() == Some(queue))
            .unwrap_or_else(|| panic!("{worker} takes no units from {queue}"));
        assert_eq!(str_at(work, "Type"), "SQS");
        // The worker runs a batch's sellers at once (DispatchSettings::concurrent_sellers).
        assert_eq!(
            work["Properties"]["BatchSize"].as_u64(),
            Some(autopilot_shared::fanout::UNITS_PER_BATCH as u64),
            "{worker}"
        );
        assert_eq!(work["Properties"]["FunctionResponseTypes"][0], Value::String("ReportBatchItemFailures".into()));
        assert_eq!(
            reference(&work["Properties"]["ScalingConfig"]["MaximumConcurrency"]).as_deref(),
            Some("WorkerConcurrency")
        );
        assert!(function["ReservedConcurrentExecutions"].is_null(), "{worker}");
    }
}

/// `!Sub name.fifo`: the queue name, whatever its tag, ends in `.fifo` (SQS requires it).
fn queue_name_is_fifo(value: &Value) -> bool {
    match value {
        Value::Tagged(t) => t.value.as_str().is_some_and(|s| s.ends_with(".fifo")),
        Value::String(s) => s.ends_with(".fifo"),
        _ => false,
    }
}

/// The name a `!Ref` names.
fn reference(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(String::from),
        _ => None,
    }
}

/// The resource a `!GetAtt Name.Arn` names (`Name`).
fn get_att(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == "GetAtt" => t.value.as_str().and_then(|s| s.split('.').next()).map(String::from),
        _ => None,
    }
}
