//! DynamoDB capacity units per order over its whole life (see `autopilot_tests::life`). Run:
//! `cargo bench -p autopilot-tests --bench order_life [-- BATCH_SIZE]` (SQS batches of ten
//! messages by default; 1 is a quiet hour, one message an invocation).

fn main() {
    let batch = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok()).unwrap_or(10);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let life = runtime.block_on(autopilot_tests::life::order_life(300, 50.0, batch));
    println!("{}", life.summary());
}
