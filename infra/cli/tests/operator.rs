//! The operator's commands as an operator runs them: the `autopilot` binary against the local
//! stack (DynamoDB Local, moto) and the SP-API simulator, every effect read back from the
//! store, moto and the simulator.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use autopilot_shared::domain::triage::triage;
use autopilot_shared::domain::{FulfillmentChannel, Marketplace, OrderId, SellerId, SystemClock};
use autopilot_shared::feedback_sync::FEEDBACK_REPORT_TYPE;
use autopilot_shared::onboarding::NotificationType;
use autopilot_shared::store::{
    DynamoStore, FeedbackStore, FollowUp, OrderDay, OrderRepository, OrderVolume, SellerDirectory, StoredFeedback,
};
use autopilot_tests::sim::{
    CLIENT_ID, CLIENT_SECRET, SimHarness, aws_config, fba_sim_order, onboarding, sim_harness_at, sim_order,
};
use chrono::{Duration, Utc};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Env {
    h: SimHarness,
    store: DynamoStore,
    sqs: aws_sdk_sqs::Client,
    secrets: aws_sdk_secretsmanager::Client,
    vars: Vec<(String, String)>,
    order_events: String,
    order_events_dlq: String,
    prefix: String,
}

struct Ran {
    code: i32,
    out: String,
    err: String,
}

impl Env {
    async fn new() -> Self {
        let stack = autopilot_tests::local_stack();
        // Ahead of the wall clock the binary runs on, as Amazon is of a client: searchOrders wants its
        // `lastUpdatedBefore` two minutes before Amazon's time.
        let h = sim_harness_at(
            Utc::now() + Duration::minutes(5),
            autopilot_shared::spapi::UsagePlans::scaled(60.0),
            |_| {},
        )
        .await;
        let store = autopilot_tests::fresh_store(Arc::new(SystemClock), |_| {}).await;
        let sdk = aws_config().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let queue = async |name: &str| {
            let created = sqs.create_queue().queue_name(format!("cli-{name}-{unique}")).send().await.unwrap();
            created.queue_url.unwrap()
        };
        let (order_events, order_events_dlq) = (queue("oe").await, queue("oe-dlq").await);
        let (report_events, report_events_dlq, alerts_dlq) =
            (queue("re").await, queue("re-dlq").await, queue("al-dlq").await);
        let prefix = format!("feedback-autopilot/cli-{unique}/");
        let vars = [
            ("AUTOPILOT_TABLE", store.table_name().to_string()),
            ("AUTOPILOT_DYNAMODB_ENDPOINT", stack.dynamodb_endpoint.clone()),
            ("AUTOPILOT_AWS_ENDPOINT", stack.aws_endpoint.clone()),
            ("AUTOPILOT_SPAPI_ENDPOINT", h.base_url()),
            ("AUTOPILOT_SPAPI_RATE_SCALE", "60".into()),
            ("AUTOPILOT_SECRETS_PREFIX", prefix.clone()),
            ("AUTOPILOT_ORDER_EVENTS_QUEUE_URL", order_events.clone()),
            ("AUTOPILOT_ORDER_EVENTS_DLQ_URL", order_events_dlq.clone()),
            ("AUTOPILOT_REPORT_EVENTS_QUEUE_URL", report_events),
            ("AUTOPILOT_REPORT_EVENTS_DLQ_URL", report_events_dlq),
            ("AUTOPILOT_ALERTS_DLQ_URL", alerts_dlq),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        Self { h, store, sqs, secrets, vars, order_events, order_events_dlq, prefix }
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_autopilot"));
        command.args(args).envs(self.vars.iter().cloned()).env_remove("RUST_LOG");
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    async fn run(&self, args: &[&str], stdin: &str) -> Ran {
        let mut child = self.command(args).spawn().expect("autopilot starts");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        let output = child.wait_with_output().await.unwrap();
        Ran {
            code: output.status.code().unwrap_or(-1),
            out: String::from_utf8(output.stdout).unwrap(),
            err: String::from_utf8(output.stderr).unwrap(),
        }
    }

    /// `autopilot ARGS` on a pseudo-terminal (util-linux `script`): what the terminal showed.
    async fn run_on_terminal(&self, args: &[&str]) -> Ran {
        let line = std::iter::once(env!("CARGO_BIN_EXE_autopilot")).chain(args.iter().copied()).collect::<Vec<_>>();
        assert!(line.iter().all(|a| !a.contains('\'')), "plain arguments");
        let line: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
        let output = tokio::process::Command::new("script")
            .args(["-qec", &line.join(" "), "/dev/null"])
            .envs(self.vars.iter().cloned())
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .output()
            .await
            .expect("script (util-linux) runs");
        Ran {
            code: output.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&output.stdout).into_owned(),
            err: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn seller(&self) -> &SellerId {
        &self.h.seller.seller_id
    }

    fn credentials(&self) -> String {
        serde_json::json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": self.h.refresh_token})
            .to_string()
    }

    async fn secret_exists(&self) -> bool {
        self.secrets.describe_secret().secret_id(format!("{}{}", self.prefix, self.seller())).send().await.is_ok()
    }

    async fn secret_token(&self) -> String {
        let name = format!("{}{}", self.prefix, self.seller());
        let value = self.secrets.get_secret_value().secret_id(name).send().await.unwrap();
        let secret: serde_json::Value = serde_json::from_str(value.secret_string().unwrap()).unwrap();
        secret["refresh_token"].as_str().unwrap().to_string()
    }

    async fn secret_versions(&self) -> usize {
        let name = format!("{}{}", self.prefix, self.seller());
        let listed = self.secrets.list_secret_version_ids().secret_id(name).send().await.unwrap();
        listed.versions().len()
    }

    async fn subscribed(&self) -> Vec<bool> {
        let sdk = aws_config().await;
        let mut out = Vec::new();
        for kind in [NotificationType::OrderChange, NotificationType::ReportProcessingFinished] {
            let found = onboarding(&sdk, &self.h.api)
                .subscription(&self.h.seller, kind, autopilot_tests::sim::deadline_in(10.0))
                .await
                .unwrap();
            out.push(found.is_some());
        }
        out
    }

    async fn depth(&self, url: &str) -> u64 {
        Self::queue_depth(&self.sqs, url).await
    }

    async fn queue_depth(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .unwrap();
        attributes.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages]
            .parse()
            .unwrap()
    }
}

fn ok(ran: &Ran) {
    assert_eq!(ran.code, 0, "exit {}\nstdout:\n{}\nstderr:\n{}", ran.code, ran.out, ran.err);
}

fn refused(ran: &Ran, names: &str) {
    assert_eq!(ran.code, 1, "expected a refusal naming {names}\nstdout:\n{}\nstderr:\n{}", ran.out, ran.err);
    assert!(ran.err.contains(names), "the message names {names}: {}", ran.err);
}

const ADD: [&str; 8] =
    ["seller", "add", "SELLER", "--marketplace", "US", "--alert-to", "owner@seller.example", "--credentials"];

fn add_args<'a>(seller: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = ADD.iter().map(|a| if *a == "SELLER" { seller } else { a }).collect();
    args.push("-");
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_onboards_inspects_backfills_replays_and_removes_a_seller() {
    let env = Env::new().await;
    let seller = env.seller().to_string();

    // -- bad input: refused, named, nothing written
    refused(&env.run(&add_args("not-a-seller", &[]), &env.credentials()).await, "SELLER_ID");
    let mut unknown = add_args(&seller, &[]);
    unknown[4] = "XX";
    refused(&env.run(&unknown, &env.credentials()).await, "--marketplace");
    let mut bad_mail = add_args(&seller, &[]);
    bad_mail[6] = "owner-at-seller";
    refused(&env.run(&bad_mail, &env.credentials()).await, "--alert-to");
    refused(&env.run(&add_args(&seller, &[]), r#"{"client_id": "x"}"#).await, "client_secret");
    let wrong =
        serde_json::json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": "Atzr|revoked"});
    let lwa = env.run(&add_args(&seller, &[]), &wrong.to_string()).await;
    refused(&lwa, "Login with Amazon");
    assert!(!lwa.err.contains("Atzr|revoked"), "the credentials are never echoed: {}", lwa.err);
    assert!(env.store.get_seller(env.seller()).await.unwrap().is_none(), "no account half-written");
    assert!(!env.secret_exists().await, "no secret half-written");
    assert_eq!(env.subscribed().await, [false, false], "no subscription half-written");
    let usage = env.run(&["seller", "add", &seller], "").await;
    assert_eq!(usage.code, 2, "a missing flag is a usage error: {}", usage.err);

    // -- add, add again, update
    let added = env.run(&add_args(&seller, &["--delay-days", "7"]), &env.credentials()).await;
    ok(&added);
    assert!(added.out.contains("created") && added.out.contains("subscribed"), "{}", added.out);
    assert!(!added.out.contains(&env.h.refresh_token), "never echoed");
    let account = env.store.get_seller(env.seller()).await.unwrap().expect("the account is saved");
    assert_eq!((account.marketplaces.as_slice(), account.review_requests.delay_days), (&[Marketplace::Us][..], 7));
    assert_eq!(account.credentials_secret, format!("{}{seller}", env.prefix));
    assert_eq!(env.subscribed().await, [true, true]);
    let versions = env.secret_versions().await;
    let again = env.run(&add_args(&seller, &["--delay-days", "7"]), &env.credentials()).await;
    ok(&again);
    assert!(again.out.contains("nothing to change"), "{}", again.out);
    assert_eq!(env.secret_versions().await, versions, "the secret is not written again");
    assert_eq!(env.store.get_seller(env.seller()).await.unwrap().unwrap(), account);
    refused(&env.run(&add_args(&seller, &["--delay-days", "9"]), &env.credentials()).await, "seller update");
    ok(&env.run(&["seller", "update", &seller, "--delay-days", "5", "--do-not-solicit-sku", "GIFT-1"], "").await);
    let updated = env.store.get_seller(env.seller()).await.unwrap().unwrap();
    assert_eq!(
        (updated.review_requests.delay_days, updated.alert_recipients.clone()),
        (5, account.alert_recipients.clone())
    );
    assert!(updated.review_requests.do_not_solicit_skus.contains("GIFT-1"));
    refused(&env.run(&["seller", "update", &seller, "--min-positive-share", "1.5"], "").await, "--min-positive-share");
    assert_eq!(env.store.get_seller(env.seller()).await.unwrap().unwrap(), updated, "a refused update writes nothing");
    // -- the seller re-authorizes the application: new credentials replace the secret, nothing else
    let rotated_token = format!("{}-reauthorized", env.h.refresh_token);
    env.h.simulator().register_seller(&seller, &rotated_token);
    let rotated =
        serde_json::json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": rotated_token});
    let rotation = env.run(&["seller", "update", &seller, "--credentials", "-"], &rotated.to_string()).await;
    ok(&rotation);
    assert!(rotation.out.lines().any(|l| l.starts_with("credentials") && l.contains("replaced")), "{}", rotation.out);
    assert_eq!(env.secret_token().await, rotated_token);
    assert_eq!(env.store.get_seller(env.seller()).await.unwrap().unwrap(), updated, "only the credentials changed");
    let unknown = serde_json::json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": "Atzr|never-issued"});
    refused(
        &env.run(&["seller", "update", &seller, "--credentials", "-"], &unknown.to_string()).await,
        "--credentials",
    );
    assert_eq!(env.secret_token().await, rotated_token, "refused credentials are not stored");
    let shown = env.run(&["seller", "show", &seller], "").await;
    ok(&shown);
    assert!(shown.out.contains("GIFT-1") && shown.out.contains("stored"), "{}", shown.out);
    let listed = env.run(&["seller", "list", "--json"], "").await;
    ok(&listed);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&listed.out).unwrap()[0]["seller_id"], seller);
    ok(&env.run(&["seller", "pause", &seller], "").await);
    assert!(env.store.get_seller(env.seller()).await.unwrap().unwrap().paused);
    ok(&env.run(&["seller", "resume", &seller], "").await);
    assert!(!env.store.get_seller(env.seller()).await.unwrap().unwrap().paused);

    // -- orders on Amazon, recorded by a backfill, then the solicit run
    let sim = env.h.simulator();
    let now = Utc::now();
    let sent_id = "111-0000001-0000001";
    let canceled_id = "111-0000002-0000002";
    let fba_id = "111-0000003-0000003";
    sim.upsert_order(sim_order(env.seller(), sent_id, now - Duration::days(20)));
    let mut canceled = sim_order(env.seller(), canceled_id, now - Duration::days(20));
    canceled.order.order_status = "Canceled".into();
    sim.upsert_order(canceled);
    sim.upsert_order(fba_sim_order(env.seller(), fba_id, now - Duration::days(2)));
    let since = (now - Duration::days(25)).format("%Y-%m-%d").to_string();
    let backfilled = env.run(&["backfill", "--seller", &seller, "--since", &since], "").await;
    ok(&backfilled);
    assert!(backfilled.out.contains("3 orders seen"), "{}", backfilled.out);
    let dispatched = env
        .h
        .dispatcher(&env.store, autopilot_shared::fakes::MemoryBus::new())
        .run("cli-test", autopilot_tests::sim::deadline_in(30.0))
        .await
        .unwrap();
    assert_eq!(dispatched.sent, 1, "{dispatched:?}");

    // -- a removable negative for the sent order
    let comment = "The zipper broke after one day, cheap product, the jacket itself is junk";
    let verdict = triage(comment, 1, "en", FulfillmentChannel::Mfn);
    assert!(verdict.removable, "a product review is removable: {verdict:?}");
    let feedback = autopilot_shared::domain::feedback::Feedback {
        marketplace: Marketplace::Us,
        order_id: OrderId::parse(sent_id).unwrap(),
        date: now.date_naive() - Duration::days(2),
        rating: 1,
        comment: comment.into(),
        response: None,
    };
    let mut stored = StoredFeedback::new(feedback, now);
    stored.follow_up = Some(FollowUp {
        order_date: None,
        fulfillment: Some(FulfillmentChannel::Mfn),
        triage: verdict.clone(),
        announced_at: now,
    });
    env.store.put_feedback(env.seller(), &stored).await.unwrap();

    // -- status: the orders per day as the regular poll counts them from searchOrders (the
    // backfill records orders, it does not count days); 31 days ago is outside the 30 shown.
    for (back, orders) in [(2, 2), (20, 1), (31, 7)] {
        let day = OrderDay { day: now.date_naive() - Duration::days(back), orders, resume: None };
        env.store.put_order_day(env.seller(), Marketplace::Us, &day).await.unwrap();
    }
    let cut = OrderDay { day: now.date_naive() - Duration::days(1), orders: 100, resume: Some("page-2".into()) };
    env.store.put_order_day(env.seller(), Marketplace::Us, &cut).await.unwrap();
    let status = env.run(&["status", "--json"], "").await;
    ok(&status);
    let status: serde_json::Value = serde_json::from_str(&status.out).unwrap();
    let us = &status["sellers"][0]["marketplaces"][0];
    assert_eq!(
        (us["orders"].as_u64(), us["sent"].as_u64()),
        (Some(3), Some(1)),
        "a day still being counted is left out: {status}"
    );
    assert_eq!(us["skipped"]["canceled"], 1, "{status}");
    assert_eq!(status["sellers"][0]["review_requests_pending"], 1, "the FBA order waits: {status}");
    assert!(us["orders_synced_until"].is_null(), "no regular poll ran yet");
    assert_eq!(status["dead_letter_queues"].as_array().unwrap().len(), 3);
    let table = env.run(&["status", "--seller", &seller], "").await;
    ok(&table);
    assert!(
        table.out.contains(&seller) && table.out.contains("1 canceled") && table.out.contains("dead-letter queue"),
        "{}",
        table.out
    );
    refused(&env.run(&["status", "--seller", "A0000NOSUCH"], "").await, "no seller");

    // -- explain: sent (with its removable negative), skipped, FBA
    let sent = env.run(&["explain", sent_id], "").await;
    ok(&sent);
    for expected in [
        "review request: sent",
        "request offered",
        "Shipped recorded from reconciliation",
        "triage: removable",
        "deadline removal_request",
        "days left",
    ] {
        assert!(sent.out.contains(expected), "explain names {expected:?}:\n{}", sent.out);
    }
    assert!(!sent.out.contains(comment), "the buyer's words are not repeated whole");
    let skipped = env.run(&["explain", canceled_id, "--seller", &seller], "").await;
    ok(&skipped);
    assert!(skipped.out.contains("not asked: canceled"), "{}", skipped.out);
    let fba = env.run(&["explain", fba_id, "--json"], "").await;
    ok(&fba);
    let fba: serde_json::Value = serde_json::from_str(&fba.out).unwrap();
    assert_eq!(fba["fulfillment"], "FBA (AFN)");
    assert!(
        fba["review_request"]["decision"].as_str().unwrap().contains("Amazon shows FBA orders no delivery dates"),
        "{fba}"
    );
    assert!(fba["review_request"]["next_due"].is_string(), "{fba}");
    refused(&env.run(&["explain", "not-an-order"], "").await, "ORDER_ID");
    refused(&env.run(&["explain", "111-9999999-9999999"], "").await, "not recorded");

    // -- backfill over several pages, interrupted with Ctrl-C and resumed
    for n in 0..45u32 {
        sim.upsert_order(sim_order(
            env.seller(),
            &format!("222-{:07}-0000001", n),
            now - Duration::days(40) + Duration::minutes(i64::from(n)),
        ));
    }
    refused(&env.run(&["backfill", "--seller", &seller, "--since", "yesterday"], "").await, "--since");
    sim.set_faults(spapi_sim::Faults { latency_ms: 400, ..Default::default() });
    let since = (now - Duration::days(41)).format("%Y-%m-%d").to_string();
    let args = ["backfill", "--seller", &seller, "--since", &since, "--page-size", "10"];
    let mut child = env.command(&args).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    while let Some(l) = tokio::time::timeout(StdDuration::from_secs(60), lines.next_line()).await.unwrap().unwrap() {
        seen.push(l.clone());
        if l.contains("page 2:") {
            break;
        }
    }
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let mut rest = String::new();
    while let Some(l) = lines.next_line().await.unwrap() {
        rest.push_str(&l);
        rest.push('\n');
    }
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(130), "Ctrl-C exits 130:\n{}\n{rest}", seen.join("\n"));
    assert!(rest.contains("interrupted") && rest.contains("resumes"), "{rest}");
    let recorded_before =
        (0..45u32).filter(|n| futures_ready(&env.store, env.seller(), &format!("222-{:07}-0000001", n))).count();
    assert!((20..45).contains(&recorded_before), "stopped part way: {recorded_before} of 45 recorded");
    // The resume runs on a terminal: a progress bar with its ETA instead of a line per page.
    sim.set_faults(spapi_sim::Faults { latency_ms: 300, ..Default::default() });
    let resumed = env.run_on_terminal(&args).await;
    sim.set_faults(spapi_sim::Faults::default());
    ok(&resumed);
    assert!(resumed.out.contains("(complete)"), "{}", resumed.out);
    assert!(resumed.out.contains("US [") && resumed.out.contains("ETA"), "a bar on a terminal: {}", resumed.out);
    assert!(!resumed.out.contains("US page 1:"), "no piped lines on a terminal: {}", resumed.out);
    let pages: u32 =
        resumed.out.split(" page(s)").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(pages < 5, "the resumed run starts at the next page, not the first: {}", resumed.out);
    for n in 0..45u32 {
        let id = OrderId::parse(format!("222-{:07}-0000001", n)).unwrap();
        assert!(env.store.get_order(env.seller(), &id).await.unwrap().is_some(), "order {id} recorded");
    }

    // -- a DLQ: an ORDER_CHANGE that failed while the table was throttled, and a malformed one
    let poisoned_id = "333-0000001-0000001";
    sim.upsert_order(sim_order(env.seller(), poisoned_id, now - Duration::days(1)));
    sim.deliver_notifications(&Default::default()).await.unwrap();
    // Amazon notified the subscribed queue of every order above (read and deleted here); the
    // poisoned one goes to the DLQ.
    let delivered = autopilot_tests::sim::receive_all(&env.sqs, &env.order_events).await;
    let poisoned = delivered.iter().find(|m| m.body().unwrap_or_default().contains(poisoned_id)).expect("notified");
    env.sqs
        .send_message()
        .queue_url(&env.order_events_dlq)
        .message_body(poisoned.body().unwrap())
        .send()
        .await
        .unwrap();
    env.sqs.send_message().queue_url(&env.order_events_dlq).message_body(r#"{"NotificationType":"ORDER_CHANGE","Payload":{"OrderChangeNotification":{"SellerId":"A1","AmazonOrderId":"x","Summary":{"DestinationPostalCode":"98101"}}}}"#).send().await.unwrap();
    let listed = env.run(&["dlq", "list"], "").await;
    ok(&listed);
    assert!(listed.out.lines().any(|l| l.starts_with("order-events") && l.contains(" 2 ")), "{}", listed.out);
    let shown = env.run(&["dlq", "show", "order-events"], "").await;
    ok(&shown);
    assert!(shown.out.contains("reads as a valid ORDER_CHANGE") && shown.out.contains("unreadable"), "{}", shown.out);
    assert!(!shown.out.contains("98101"), "no body content");
    refused(&env.run(&["dlq", "show", "nope"], "").await, "QUEUE");
    let dry = env.run(&["dlq", "replay", "order-events", "--dry-run"], "").await;
    ok(&dry);
    assert!(dry.out.contains("2 message(s) would be replayed"), "{}", dry.out);
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert_eq!(env.depth(&env.order_events_dlq).await, 2, "a dry run moves nothing");
    ok(&env.run(&["dlq", "replay", "order-events", "--limit", "1"], "").await);
    ok(&env.run(&["dlq", "replay", "order-events"], "").await);
    assert_eq!(env.depth(&env.order_events_dlq).await, 0);
    let recorder =
        autopilot_shared::capture::OrderRecorder::new(Arc::new(env.store.clone()), Arc::new(env.store.clone()));
    let replayed = autopilot_tests::sim::receive_all(&env.sqs, &env.order_events).await;
    assert_eq!(replayed.len(), 2);
    let mut recorded = 0;
    for message in &replayed {
        if order_events::handle_message(&recorder, message.body()).await.is_ok() {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1, "the good message is recorded after the replay; the malformed one fails again");
    assert!(env.store.get_order(env.seller(), &OrderId::parse(poisoned_id).unwrap()).await.unwrap().is_some());

    // -- remove: confirmation, then everything gone
    refused(&env.run(&["seller", "remove", &seller], "A0WRONG\n").await, "not confirmed");
    assert!(env.store.get_seller(env.seller()).await.unwrap().is_some());
    let removed = env.run(&["seller", "remove", &seller], &format!("{seller}\n")).await;
    ok(&removed);
    assert_eq!(env.subscribed().await, [false, false]);
    assert!(!env.secret_exists().await, "the secret is deleted");
    assert!(env.store.get_seller(env.seller()).await.unwrap().is_none());
    refused(&env.run(&["seller", "remove", &seller, "--yes"], "").await, "no seller");
    let _ = FEEDBACK_REPORT_TYPE;
}

fn futures_ready(store: &DynamoStore, seller: &SellerId, order: &str) -> bool {
    let store = store.clone();
    let seller = seller.clone();
    let order = OrderId::parse(order).unwrap();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move { store.get_order(&seller, &order).await.unwrap().is_some() })
    })
    .join()
    .unwrap()
}

#[test]
fn the_template_outputs_name_everything_autopilot_reads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml");
    let template: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (output, _) in autopilot_cli::deployment::SETTINGS {
        assert!(
            template["Outputs"][output]["Value"] != serde_yaml::Value::Null,
            "template.yaml has no output {output}"
        );
    }
}

/// `--stack NAME`: the deployment found from a CloudFormation stack's outputs (a stack in moto,
/// the SDK pointed at the local stack by AWS's own endpoint variables, no `AUTOPILOT_*`), and
/// an alerts DLQ message (Lambda's on-failure record) replayed onto the stack's bus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_stack_is_found_from_its_outputs_and_its_alerts_dlq_replays_to_the_bus() {
    let stack = autopilot_tests::local_stack();
    let store = autopilot_tests::fresh_store(Arc::new(SystemClock), |_| {}).await;
    let sdk = aws_config().await;
    let tap = autopilot_tests::sim::EventTap::new().await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("autopilot-{unique}");
    let template = serde_json::json!({
        "Resources": {"AlertsDeadLetterQueue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": format!("alerts-dlq-{unique}")}}},
        "Outputs": {
            "TableName": {"Value": store.table_name()},
            "EventBusName": {"Value": tap.bus},
            "AlertsDeadLetterQueueUrl": {"Value": {"Ref": "AlertsDeadLetterQueue"}},
        }
    });
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    cloudformation.create_stack().stack_name(&name).template_body(template.to_string()).send().await.unwrap();
    let outputs = cloudformation.describe_stacks().stack_name(&name).send().await.unwrap();
    let dlq = outputs.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("AlertsDeadLetterQueueUrl"))
        .and_then(|o| o.output_value())
        .unwrap()
        .to_string();
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let event = serde_json::json!({"version": "0", "source": "feedback-autopilot", "detail-type": "RatingThresholdCrossed", "detail": {"seller_id": "A2STACKSELLER1", "marketplace": "US"}});
    let record = serde_json::json!({
        "version": "1.0",
        "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
        "requestPayload": event,
        "responsePayload": {"errorType": "SesThrottled", "errorMessage": "SES refused the mail: throttled"},
    });
    sqs.send_message().queue_url(&dlq).message_body(record.to_string()).send().await.unwrap();

    let run = async |args: &[&str]| {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_autopilot"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("AUTOPILOT_") || k.starts_with("AWS_")) {
            command.env_remove(key);
        }
        command
            .args(args)
            .env("AWS_ENDPOINT_URL", &stack.aws_endpoint)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &stack.dynamodb_endpoint)
            .env("AWS_REGION", autopilot_shared::aws::LOCAL_REGION)
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("RUST_LOG");
        let output = command.output().await.unwrap();
        Ran {
            code: output.status.code().unwrap_or(-1),
            out: String::from_utf8(output.stdout).unwrap(),
            err: String::from_utf8(output.stderr).unwrap(),
        }
    };

    let missing = run(&["--stack", &format!("nope-{unique}"), "status"]).await;
    assert_eq!(missing.code, 1, "{}\n{}", missing.out, missing.err);
    assert!(missing.err.contains("--stack nope-"), "names the flag: {}", missing.err);

    let status = run(&["--stack", &name, "status", "--json"]).await;
    ok(&status);
    let value: serde_json::Value = serde_json::from_str(&status.out).unwrap();
    let alerts = value["dead_letter_queues"].as_array().unwrap().iter().find(|q| q["queue"] == "alerts").cloned();
    assert_eq!(alerts.map(|q| q["messages"].clone()), Some(serde_json::json!(1)), "{}", status.out);

    let shown = run(&["--stack", &name, "dlq", "show", "alerts"]).await;
    ok(&shown);
    assert!(shown.out.contains("SesThrottled"), "the failure Lambda recorded: {}", shown.out);
    let replayed = run(&["--stack", &name, "dlq", "replay", "alerts"]).await;
    ok(&replayed);
    assert!(replayed.out.contains("1 message(s) replayed"), "{}", replayed.out);
    let events = tap.drain().await;
    assert_eq!(events.len(), 1, "the event is back on the stack's bus: {events:?}");
    assert_eq!((&events[0]["detail-type"], &events[0]["detail"]), (&event["detail-type"], &event["detail"]));
    assert_eq!(Env::queue_depth(&sqs, &dlq).await, 0, "the replayed message left the DLQ");
}
