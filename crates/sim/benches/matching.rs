//! Matching throughput: orders per second through `Engine::place_order`/`cancel_order`.
fn main() {}
