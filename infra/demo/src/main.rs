//! The main job, locally: runs Feedback Autopilot against the local stack and prints what it
//! did. Started by `infra/local/demo.sh`, which brings the stack up and passes its endpoints.
//!
//! Today it creates the table, seeds a demo seller with a week of orders and prints the state
//! the store holds; each pipeline stage adds its part here as it lands.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use autopilot_shared::domain::{
    Clock, DeliveryWindow, EmailAddress, FulfillmentChannel, ManualClock, Marketplace, Order, OrderId, OrderStatus,
    ReviewRequest, ReviewRequestPolicy, SellerAccount, SellerId, SkipReason, SolicitationWindow,
};
use autopilot_shared::store::{DueReviewRequests, DynamoStore, Expect, OrderRepository, SellerDirectory, StoreConfig};
use chrono::{DateTime, Duration, Utc};

struct Args {
    dynamodb_endpoint: String,
    table: String,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        dynamodb_endpoint: std::env::var("AUTOPILOT_DYNAMODB_ENDPOINT").unwrap_or_default(),
        table: "feedback-autopilot-demo".into(),
        out: PathBuf::from("out/demo"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--dynamodb-endpoint" => args.dynamodb_endpoint = value()?,
            "--table" => args.table = value()?,
            "--out" => args.out = PathBuf::from(value()?),
            other => return Err(format!("unknown argument {other:?} (known: --dynamodb-endpoint, --table, --out)")),
        }
    }
    if args.dynamodb_endpoint.is_empty() {
        return Err("no DynamoDB endpoint: set AUTOPILOT_DYNAMODB_ENDPOINT or pass --dynamodb-endpoint (infra/local/demo.sh does)".into());
    }
    Ok(args)
}

fn demo_seller() -> Result<SellerAccount, String> {
    let marketplaces = vec![Marketplace::Us, Marketplace::De];
    Ok(SellerAccount {
        seller_id: SellerId::parse("A2DEMOSELLER01").map_err(|e| e.to_string())?,
        display_name: "Demo Outdoor Gear".into(),
        review_requests: ReviewRequestPolicy::for_marketplaces(&marketplaces),
        marketplaces,
        alert_recipients: vec![EmailAddress::parse("owner@demo-outdoor.example").map_err(|e| e.to_string())?],
        alert_delivery: Default::default(),
        credentials_secret: "feedback-autopilot/sellers/A2DEMOSELLER01".into(),
    })
}

/// A week of orders in different states, as order capture will record them.
fn demo_orders(seller: &SellerAccount, now: DateTime<Utc>) -> Result<Vec<Order>, String> {
    let mut orders = Vec::new();
    for n in 0..8u32 {
        let purchased = now - Duration::days(i64::from(14 - n));
        let order_id =
            OrderId::parse(format!("113-{:07}-{:07}", 4_200_000 + n, 9_100_000 + n * 37)).map_err(|e| e.to_string())?;
        let delivery = DeliveryWindow::new(purchased + Duration::days(2), purchased + Duration::days(4));
        let (status, review_request) = match n {
            0 => (
                OrderStatus::Canceled,
                ReviewRequest::Skipped { reason: SkipReason::Canceled, decided_at: purchased + Duration::hours(5) },
            ),
            7 => (OrderStatus::Unshipped, ReviewRequest::AwaitingShipment),
            _ => {
                let window = SolicitationWindow::for_delivery(&delivery).ok_or("delivery dates are set")?;
                let latest = delivery.latest.ok_or("latest delivery is set")?;
                let due_at = window.due_time(latest, seller.review_requests.delay());
                (OrderStatus::Shipped, ReviewRequest::Pending { due_at, needs_delivery_dates: false })
            }
        };
        orders.push(Order {
            seller_id: seller.seller_id.clone(),
            marketplace: if n % 3 == 0 { Marketplace::De } else { Marketplace::Us },
            order_id,
            status,
            fulfillment: if n % 2 == 0 { FulfillmentChannel::Afn } else { FulfillmentChannel::Mfn },
            purchase_date: purchased,
            delivery,
            last_changed_at: purchased + Duration::days(1),
            order_type: Some("StandardOrder".into()),
            programs: vec![],
            skus: vec![format!("TENT-{}", 100 + n)],
            buyer_cancel_requested: false,
            review_request,
        });
    }
    Ok(orders)
}

async fn run(args: Args) -> Result<(), String> {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let sdk = autopilot_shared::aws::local(&args.dynamodb_endpoint).await;
    let store = DynamoStore::connect(&sdk, StoreConfig::new(&args.table), clock.clone());
    // A fresh table each run, so the demo always tells the same story.
    store.delete_table_if_exists().await.map_err(|e| e.to_string())?;
    store.create_table_if_missing().await.map_err(|e| e.to_string())?;
    println!("table {} created on {}", args.table, args.dynamodb_endpoint);

    let seller = demo_seller()?;
    store.put_seller(&seller).await.map_err(|e| e.to_string())?;
    println!(
        "seller {} ({}) in {} with review requests {} days after delivery",
        seller.seller_id,
        seller.display_name,
        seller.marketplaces.iter().map(|m| m.code()).collect::<Vec<_>>().join(", "),
        seller.review_requests.delay_days
    );

    let now = clock.now();
    for order in demo_orders(&seller, now)? {
        store.put_order(&order, Expect::Absent).await.map_err(|e| e.to_string())?;
    }
    println!("\norders recorded:");
    let mut orders = Vec::new();
    for order in demo_orders(&seller, now)? {
        let stored = store
            .get_order(&seller.seller_id, &order.order_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("order just written is readable")?;
        orders.push(stored.value);
    }
    for order in &orders {
        let state = match &order.review_request {
            ReviewRequest::Pending { due_at, .. } => format!("review request due {}", due_at.format("%Y-%m-%d %H:%M")),
            ReviewRequest::Skipped { reason, .. } => format!("skipped: {}", reason.code()),
            other => other.state_name().replace('_', " "),
        };
        println!(
            "  {} {} {:?} {:<10} {}",
            order.order_id,
            order.marketplace.code(),
            order.fulfillment,
            format!("{:?}", order.status),
            state
        );
    }

    let due = store.due_review_requests(&seller.seller_id, now, 100).await.map_err(|e| e.to_string())?;
    println!("\nreview requests due now: {}", due.len());
    let in_a_week = now + Duration::days(7);
    let due_later = store.due_review_requests(&seller.seller_id, in_a_week, 100).await.map_err(|e| e.to_string())?;
    println!("review requests due within 7 days: {}", due_later.len());

    std::fs::create_dir_all(args.out.join("mail")).map_err(|e| format!("create {}: {e}", args.out.display()))?;
    println!("\nseller e-mails sent: none yet (written to {} once alerts exist)", args.out.join("mail").display());
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(args) => run(args).await,
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
