//! The SP-API simulator with a client wired to it the way production wires Amazon: credentials
//! from Secrets Manager (moto), the client's clock shared with the simulator's.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use autopilot_shared::domain::{Marketplace, ReviewRequestPolicy, SellerAccount, SellerId};
use autopilot_shared::onboarding::{NotificationType, Onboarding, SellerSecret};
use autopilot_shared::spapi::{SecretsManagerCredentials, SpApi, SpApiConfig, UsagePlans};
use spapi_sim::{RunningSimulator, Simulator};
use tokio::time::Instant;

use crate::fixtures::at;
use crate::local_stack;

pub const CLIENT_ID: &str = "amzn1.application-oa2-client.feedbackautopilottest";
pub const CLIENT_SECRET: &str = "amzn1.oa2-cs.v1.test-secret";
pub const SIM_START: &str = "2026-03-01T00:00:00Z";

pub struct SimHarness {
    pub sim: RunningSimulator,
    pub api: Arc<SpApi>,
    pub seller: SellerAccount,
    pub refresh_token: String,
}

impl SimHarness {
    pub fn simulator(&self) -> &Simulator {
        &self.sim.simulator
    }

    pub fn base_url(&self) -> String {
        self.sim.base_url()
    }
}

pub async fn aws_config() -> aws_config::SdkConfig {
    autopilot_shared::aws::local(&local_stack().aws_endpoint).await
}

pub fn unique_seller_id() -> SellerId {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    SellerId::parse(format!("A{}", &id[..13])).expect("valid seller id")
}

/// A simulator on a free loopback port with one application and one seller registered, the
/// seller's credentials stored in moto's Secrets Manager, and a client for it.
pub async fn sim_harness(plans: UsagePlans, configure: impl FnOnce(&mut SpApiConfig)) -> SimHarness {
    sim_harness_at(at(SIM_START), plans, configure).await
}

/// [`sim_harness`] with the simulator's clock starting at `start` (the wall clock, for
/// functions that run as processes of their own on the system clock).
pub async fn sim_harness_at(
    start: chrono::DateTime<chrono::Utc>,
    plans: UsagePlans,
    configure: impl FnOnce(&mut SpApiConfig),
) -> SimHarness {
    let sdk = aws_config().await;
    let simulator = Simulator::new(start, plans.clone(), Some(aws_sdk_sqs::Client::new(&sdk)));
    let sim = simulator.start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await.expect("simulator starts");
    let seller_id = unique_seller_id();
    let refresh_token = format!("Atzr|test-{}", uuid::Uuid::new_v4().simple());
    sim.simulator.register_application(CLIENT_ID, CLIENT_SECRET);
    sim.simulator.register_seller(seller_id.as_str(), &refresh_token);

    let secret_name = format!("feedback-autopilot/test/{seller_id}");
    let marketplaces = vec![Marketplace::Us, Marketplace::De];
    let seller = SellerAccount {
        seller_id,
        display_name: "Simulated seller".into(),
        review_requests: ReviewRequestPolicy::for_marketplaces(&marketplaces),
        marketplaces,
        alert_recipients: vec![],
        alert_delivery: Default::default(),
        digest: Default::default(),
        credentials_secret: secret_name,
        feedback: Default::default(),
        paused: false,
    };
    let mut config = SpApiConfig::local(&sim.base_url());
    config.usage_plans = plans;
    config.backoff_base = Duration::from_millis(20);
    config.backoff_cap = Duration::from_millis(400);
    configure(&mut config);
    let api = Arc::new(SpApi::new(config, Arc::new(SecretsManagerCredentials::new(&sdk)), sim.simulator.clock()));
    let secret = SellerSecret {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        refresh_token: refresh_token.clone(),
    };
    onboarding(&sdk, &api)
        .store_credentials(&seller.credentials_secret, &secret)
        .await
        .expect("store the seller's secret in moto");
    SimHarness { sim, api, seller, refresh_token }
}

/// Onboarding against moto's Secrets Manager and the simulator.
pub fn onboarding(sdk: &aws_config::SdkConfig, api: &Arc<SpApi>) -> Onboarding {
    Onboarding { secrets: aws_sdk_secretsmanager::Client::new(sdk), api: api.clone() }
}

pub fn deadline_in(seconds: f64) -> Instant {
    Instant::now() + Duration::from_secs_f64(seconds)
}

/// EventBridge's scheduled event, as a schedule invokes a function (the fixture the demo and
/// the handler tests share).
pub const SCHEDULED_EVENT: &str = include_str!("../fixtures/events/scheduled.json");

/// An invocation of a function with `payload` read from JSON, as the Lambda runtime reads it,
/// ending `seconds` from now.
pub fn invocation_of<T: serde::de::DeserializeOwned>(
    payload: serde_json::Value,
    request_id: &str,
    seconds: f64,
) -> lambda_runtime::LambdaEvent<T> {
    let payload = serde_json::from_value(payload).expect("the payload reads as the function's event");
    autopilot_shared::lambda::invocation(payload, request_id, deadline_in(seconds))
}

/// A shipped MFN order in the simulator: bought at `purchased`, delivered 2 to 4 days later,
/// last changed (shipped) an hour after purchase.
pub fn sim_order(seller: &SellerId, order_id: &str, purchased: chrono::DateTime<chrono::Utc>) -> spapi_sim::SimOrder {
    use chrono::Duration as Days;
    spapi_sim::SimOrder {
        seller_id: seller.to_string(),
        order: spapi_sim::AmazonOrder {
            amazon_order_id: order_id.to_string(),
            purchase_date: purchased,
            last_update_date: purchased + Days::hours(1),
            order_status: "Shipped".into(),
            fulfillment_channel: Some("MFN".into()),
            marketplace_id: Some(Marketplace::Us.id().into()),
            order_type: Some("StandardOrder".into()),
            earliest_delivery_date: Some(purchased + Days::days(2)),
            latest_delivery_date: Some(purchased + Days::days(4)),
            is_business_order: Some(false),
            is_replacement_order: Some(false),
            is_prime: Some(false),
        },
        skus: vec!["SKU-1".into()],
        destination_postal_code: Some("98101".into()),
        buyer_requested_cancel: false,
        omit_delivery_dates_in_notifications: false,
        null_nullable_fields: false,
        solicitation_eligible: true,
        shipped_at: None,
        refunded_at: None,
    }
}

/// The change an ORDER_CHANGE notification of `order` carries, as the model shapes it: delivery
/// dates only for seller-fulfilled orders.
pub fn as_notified(order: &spapi_sim::SimOrder) -> autopilot_shared::domain::OrderChange {
    use autopilot_shared::domain::{
        ChangeSource, DeliveryWindow, FulfillmentChannel, OrderChange, OrderId, OrderStatus,
    };
    let o = &order.order;
    let afn = o.is_afn();
    OrderChange {
        seller_id: SellerId::parse(order.seller_id.clone()).expect("seller id"),
        marketplace: Marketplace::from_id(o.marketplace_id.as_deref().unwrap_or_default()).expect("marketplace"),
        order_id: OrderId::parse(o.amazon_order_id.clone()).expect("order id"),
        status: serde_json::from_value::<OrderStatus>(serde_json::json!(o.order_status)).expect("status"),
        fulfillment: if afn { FulfillmentChannel::Afn } else { FulfillmentChannel::Mfn },
        purchase_date: Some(o.purchase_date),
        delivery: if afn {
            DeliveryWindow::default()
        } else {
            DeliveryWindow { earliest: o.earliest_delivery_date, latest: o.latest_delivery_date }
        },
        changed_at: o.last_update_date,
        order_type: o.order_type.clone(),
        programs: vec![],
        skus: order.skus.clone(),
        buyer_cancel_requested: order.buyer_requested_cancel,
        source: ChangeSource::Notification,
        notification_id: None,
    }
}

/// The same order fulfilled by Amazon: Amazon's own delivery estimate (2 to 4 days after
/// purchase) decides its window, but no answer shows it.
pub fn fba_sim_order(
    seller: &SellerId,
    order_id: &str,
    purchased: chrono::DateTime<chrono::Utc>,
) -> spapi_sim::SimOrder {
    let mut order = sim_order(seller, order_id, purchased);
    order.order.fulfillment_channel = Some("AFN".into());
    order.destination_postal_code = None;
    order
}

impl SimHarness {
    /// An access token straight from the simulator's LWA endpoint, for calls that go around the
    /// client: the seller's (`refresh_token` grant) or the application's grantless one.
    pub async fn raw_access_token(&self, grantless: bool) -> String {
        let mut form = vec![("client_id", CLIENT_ID.to_string()), ("client_secret", CLIENT_SECRET.to_string())];
        if grantless {
            form.push(("grant_type", "client_credentials".into()));
            form.push(("scope", "sellingpartnerapi::notifications".into()));
        } else {
            form.push(("grant_type", "refresh_token".into()));
            form.push(("refresh_token", self.refresh_token.clone()));
        }
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/auth/o2/token", self.base_url()))
            .form(&form)
            .send()
            .await
            .expect("LWA endpoint answers")
            .json()
            .await
            .expect("LWA answers JSON");
        answer["access_token"].as_str().expect("an access token").to_string()
    }
}

impl SimHarness {
    /// The dispatcher over `store`, this harness's SP-API client and the simulator's clock.
    pub fn dispatcher(
        &self,
        store: &autopilot_shared::store::DynamoStore,
        events: Arc<dyn autopilot_shared::events::EventPublisher>,
    ) -> autopilot_shared::dispatch::Dispatcher {
        autopilot_shared::dispatch::Dispatcher {
            orders: Arc::new(store.clone()),
            due: Arc::new(store.clone()),
            outcomes: Arc::new(store.clone()),
            sellers: Arc::new(store.clone()),
            events,
            api: self.api.clone(),
            clock: self.simulator().clock(),
            settings: Default::default(),
        }
    }

    /// A fresh SQS queue that `seller`'s ORDER_CHANGE notifications are subscribed to.
    pub async fn order_change_queue(&self, seller: &SellerAccount, name: &str) -> (aws_sdk_sqs::Client, String) {
        let sdk = aws_config().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue_name = format!("{name}-{}", uuid::Uuid::new_v4().simple());
        let created = sqs.create_queue().queue_name(queue_name).send().await.expect("create the queue");
        let queue = created.queue_url.expect("a queue URL");
        let arn = queue_arn(&sqs, &queue).await;
        onboarding(&sdk, &self.api)
            .subscribe(seller, NotificationType::OrderChange, name, &arn, deadline_in(5.0))
            .await
            .expect("subscribe ORDER_CHANGE");
        (sqs, queue)
    }

    /// The reconciliation poll over `store`, looking back `lookback` on a seller's first run.
    pub fn order_sync(
        &self,
        store: &autopilot_shared::store::DynamoStore,
        lookback: chrono::Duration,
    ) -> autopilot_shared::capture::OrderSync {
        autopilot_shared::capture::OrderSync {
            api: self.api.clone(),
            orders: Arc::new(store.clone()),
            sellers: Arc::new(store.clone()),
            checkpoints: Arc::new(store.clone()),
            volume: Arc::new(store.clone()),
            outcomes: Arc::new(store.clone()),
            clock: self.simulator().clock(),
            settings: autopilot_shared::capture::SyncSettings {
                initial_lookback: lookback,
                ..autopilot_shared::capture::SyncSettings::default()
            },
        }
    }

    /// A fresh table on the simulator's clock holding the harness's seller, selling in the US
    /// marketplace only.
    pub async fn us_seller_store(&self) -> (autopilot_shared::store::DynamoStore, SellerAccount) {
        use autopilot_shared::store::SellerDirectory;
        let store = crate::fresh_store(self.simulator().clock(), |_| {}).await;
        let mut account = self.seller.clone();
        account.marketplaces = vec![Marketplace::Us];
        store.put_seller(&account).await.expect("save the seller");
        (store, account)
    }
}

/// An EventBridge bus on moto with a rule sending every Feedback Autopilot event to an SQS
/// queue, so tests read published events back.
pub struct EventTap {
    pub bus: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl EventTap {
    pub async fn new() -> Self {
        let sdk = aws_config().await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let bus = format!("autopilot-test-{suffix}");
        let events = aws_sdk_eventbridge::Client::new(&sdk);
        events.create_event_bus().name(&bus).send().await.expect("create bus");
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("events-{suffix}"))
            .send()
            .await
            .expect("queue")
            .queue_url
            .unwrap_or_default();
        let arn = queue_arn(&sqs, &queue_url).await;
        events
            .put_rule()
            .name("all")
            .event_bus_name(&bus)
            .event_pattern(r#"{"source": ["feedback-autopilot"]}"#)
            .send()
            .await
            .expect("rule");
        events
            .put_targets()
            .rule("all")
            .event_bus_name(&bus)
            .targets(aws_sdk_eventbridge::types::Target::builder().id("queue").arn(arn).build().expect("target"))
            .send()
            .await
            .expect("target");
        Self { bus, queue_url, sqs }
    }

    pub async fn publisher(&self) -> autopilot_shared::events::EventBridgePublisher {
        autopilot_shared::events::EventBridgePublisher::new(&aws_config().await, &self.bus)
    }

    /// Every event delivered so far (EventBridge's envelope, with `detail-type` and `detail`).
    pub async fn drain(&self) -> Vec<serde_json::Value> {
        receive_all(&self.sqs, &self.queue_url)
            .await
            .iter()
            .filter_map(|m| m.body().and_then(|b| serde_json::from_str(b).ok()))
            .collect()
    }
}

/// A new FIFO queue in moto, named `prefix-<unique>.fifo`; its URL.
pub async fn fifo_queue(sqs: &aws_sdk_sqs::Client, prefix: &str) -> String {
    sqs.create_queue()
        .queue_name(format!("{prefix}-{}.fifo", uuid::Uuid::new_v4().simple()))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("create a FIFO queue in moto")
        .queue_url
        .unwrap_or_default()
}

/// Order `n` of the benches' mix, bought at `purchased`: one in three seller-fulfilled, the
/// rest FBA.
pub fn mixed_order(
    seller: &SellerId,
    id: &str,
    n: u32,
    purchased: chrono::DateTime<chrono::Utc>,
) -> spapi_sim::SimOrder {
    if n.is_multiple_of(3) { sim_order(seller, id, purchased) } else { fba_sim_order(seller, id, purchased) }
}

/// Every message waiting in an SQS queue, deleted as it is read.
pub async fn receive_all(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Vec<aws_sdk_sqs::types::Message> {
    spapi_sim::queues::drain_queue(sqs, queue_url).await.expect("drain the queue")
}

/// The ARN of an SQS queue, as destinations and rule targets name it.
pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> String {
    use aws_sdk_sqs::types::QueueAttributeName;
    sqs.get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .unwrap_or_default()
        .remove(&QueueAttributeName::QueueArn)
        .expect("a queue ARN")
}
