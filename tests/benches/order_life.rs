//! DynamoDB capacity units per order over its whole life (see `autopilot_tests::life`). Run:
//! `cargo bench -p autopilot-tests --bench order_life`.

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let life = runtime.block_on(autopilot_tests::life::order_life(300, 50.0));
    println!("{}", life.summary());
}
