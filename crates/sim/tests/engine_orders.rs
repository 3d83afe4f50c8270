//! Unit tests of each order type, of price jumps and stops, and of every reject reason with
//! Binance's code and message. Books are built by hand (house disabled) unless a test needs
//! the house, so every fill price and balance below is a known answer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly on purpose

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tradeward_sim::engine::*;

const S: &str = "BTCUSDT";

fn engine(house_levels: u32) -> (Engine, AccountId, AccountId) {
    let mut cfg = EngineConfig::new(
        7,
        vec![MarketConfig::new(
            S,
            "BTC",
            "USDT",
            dec!(50000),
            dec!(0.01),
            dec!(0.00001),
            dec!(5),
        )],
    );
    cfg.house.levels = house_levels;
    let mut e = Engine::new(cfg).unwrap();
    let a = e
        .add_account("a", &[("USDT", dec!(100000)), ("BTC", dec!(2))])
        .unwrap();
    let b = e
        .add_account("b", &[("USDT", dec!(100000)), ("BTC", dec!(2))])
        .unwrap();
    (e, a, b)
}

fn bal(e: &Engine, a: AccountId, asset: &str) -> (Decimal, Decimal) {
    let b = e.balance(a, asset);
    (b.free, b.locked)
}

fn place(e: &mut Engine, a: AccountId, o: NewOrder) -> OrderResult {
    let r = e.place_order(a, &o, 1_000).unwrap();
    e.check_invariants().unwrap();
    r
}

fn reject(e: &mut Engine, a: AccountId, o: NewOrder) -> RejectReason {
    let before = e.total_by_asset();
    let r = e.place_order(a, &o, 1_000).unwrap_err();
    assert_eq!(e.total_by_asset(), before);
    r
}

fn typed(mut o: NewOrder, t: OrderType, stop: Decimal, price: Option<Decimal>) -> NewOrder {
    o.order_type = t;
    o.stop_price = Some(stop);
    o.price = price;
    o.time_in_force = price.map(|_| TimeInForce::Gtc);
    o.quote_order_qty = None;
    o
}

#[test]
fn limit_gtc_rests_locks_and_cancel_releases_exactly() {
    let (mut e, a, _) = engine(0);
    let r = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.5), dec!(49000)).client_id("my-1"),
    );
    assert_eq!(r.order.status, OrderStatus::New);
    assert_eq!(bal(&e, a, "USDT"), (dec!(75500), dec!(24500)));
    assert_eq!(e.depth(S, 5).unwrap().bids, vec![(dec!(49000), dec!(0.5))]);
    let q = e.order(a, S, &OrderRef::ClientId("my-1".into())).unwrap();
    assert_eq!(q.order_id, r.order.order_id);
    let (c, events) = e
        .cancel_order(a, S, &OrderRef::ClientId("my-1".into()), None, 2_000)
        .unwrap();
    assert_eq!(c.status, OrderStatus::Canceled);
    assert_eq!(bal(&e, a, "USDT"), (dec!(100000), dec!(0)));
    assert!(events.iter().any(|ev| matches!(ev, EngineEvent::ExecutionReport(x) if x.execution_type == ExecutionType::Canceled)));
    assert!(events.iter().any(
        |ev| matches!(ev, EngineEvent::DepthUpdate(d) if d.bids[..] == [(dec!(49000), dec!(0))])
    ));
    assert!(events
        .iter()
        .any(|ev| matches!(ev, EngineEvent::AccountPosition(p) if p.account == a)));
    // Closed orders stay queryable; a second cancel is -2011.
    assert_eq!(
        e.order(a, S, &OrderRef::Id(c.order_id)).unwrap().status,
        OrderStatus::Canceled
    );
    assert_eq!(
        e.cancel_order(a, S, &OrderRef::Id(c.order_id), None, 3_000)
            .unwrap_err()
            .binance_code(),
        -2011
    );
}

#[test]
fn crossing_limit_fills_at_maker_price_with_commissions() {
    let (mut e, a, b) = engine(0);
    let totals = e.total_by_asset();
    let maker = place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(1), dec!(50000)),
    );
    let r = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.4), dec!(50100)),
    );
    assert_eq!(r.order.status, OrderStatus::Filled);
    assert_eq!(r.fills.len(), 1);
    let f = r.fills[0];
    assert_eq!(
        (
            f.price,
            f.qty,
            f.commission,
            f.commission_asset.as_str(),
            f.is_maker
        ),
        (dec!(50000), dec!(0.4), dec!(0.0004), "BTC", false)
    );
    // Buyer: paid 20000 (not 20040: the better price frees the difference), got 0.3996 BTC.
    assert_eq!(bal(&e, a, "USDT"), (dec!(80000), dec!(0)));
    assert_eq!(bal(&e, a, "BTC"), (dec!(2.3996), dec!(0)));
    // Seller: still 0.6 BTC locked, received 20000 − 20 fee.
    assert_eq!(bal(&e, b, "BTC"), (dec!(1), dec!(0.6)));
    assert_eq!(bal(&e, b, "USDT"), (dec!(119980), dec!(0)));
    assert_eq!(bal(&e, FEE_ACCOUNT, "BTC").0, dec!(0.0004));
    assert_eq!(bal(&e, FEE_ACCOUNT, "USDT").0, dec!(20));
    assert_eq!(e.total_by_asset(), totals);
    let m = e.order(b, S, &OrderRef::Id(maker.order.order_id)).unwrap();
    assert_eq!(
        (m.status, m.executed_qty),
        (OrderStatus::PartiallyFilled, dec!(0.4))
    );
    let t = e.my_trades(b, S, None, None, None, 10).unwrap();
    assert_eq!(t.len(), 1);
    assert!(t[0].fill.is_maker);
    let tape = e.recent_trades(S, 10).unwrap();
    assert_eq!(
        (tape[0].price, tape[0].qty, tape[0].is_buyer_maker),
        (dec!(50000), dec!(0.4), false)
    );
    assert_eq!(e.last_price(S).unwrap(), dec!(50000));
    assert!(r
        .events
        .iter()
        .any(|ev| matches!(ev, EngineEvent::Trade(t) if t.price == dec!(50000))));
}

#[test]
fn price_time_priority_within_a_level() {
    let (mut e, a, b) = engine(0);
    let first = place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50000)),
    );
    let second = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50000)),
    );
    let better = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(49999)),
    );
    let r = place(&mut e, b, NewOrder::market(S, Side::Buy, dec!(0.15)));
    assert_eq!(
        r.fills.iter().map(|f| (f.price, f.qty)).collect::<Vec<_>>(),
        vec![(dec!(49999), dec!(0.1)), (dec!(50000), dec!(0.05))]
    );
    assert_eq!(
        e.order(a, S, &OrderRef::Id(better.order.order_id))
            .unwrap()
            .status,
        OrderStatus::Filled
    );
    assert_eq!(
        e.order(b, S, &OrderRef::Id(first.order.order_id))
            .unwrap()
            .executed_qty,
        dec!(0.05)
    );
    assert_eq!(
        e.order(a, S, &OrderRef::Id(second.order.order_id))
            .unwrap()
            .executed_qty,
        dec!(0)
    );
}

#[test]
fn ioc_expires_the_rest_and_fok_is_all_or_nothing() {
    let (mut e, a, b) = engine(0);
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50000)),
    );
    let fok = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.2), dec!(50000)).tif(TimeInForce::Fok),
    );
    assert_eq!(
        (fok.order.status, fok.fills.len()),
        (OrderStatus::Expired, 0)
    );
    assert_eq!(bal(&e, a, "USDT"), (dec!(100000), dec!(0)));
    let ioc = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.2), dec!(50000)).tif(TimeInForce::Ioc),
    );
    assert_eq!(
        (ioc.order.status, ioc.order.executed_qty),
        (OrderStatus::Expired, dec!(0.1))
    );
    assert_eq!(bal(&e, a, "USDT"), (dec!(95000), dec!(0)));
    assert!(e.depth(S, 5).unwrap().bids.is_empty());
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.3), dec!(50001)),
    );
    let fok = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.3), dec!(50001)).tif(TimeInForce::Fok),
    );
    assert_eq!(fok.order.status, OrderStatus::Filled);
}

#[test]
fn limit_maker_rests_or_is_rejected_when_it_would_take() {
    let (mut e, a, b) = engine(0);
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50000)),
    );
    let mut o = NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(50000));
    o.order_type = OrderType::LimitMaker;
    o.time_in_force = None;
    let r = reject(&mut e, a, o.clone());
    assert_eq!(
        (r.binance_code(), r.binance_msg().as_str()),
        (-2010, "Order would immediately match and take.")
    );
    o.price = Some(dec!(49999.99));
    assert_eq!(place(&mut e, a, o).order.status, OrderStatus::New);
}

#[test]
fn market_orders_walk_the_book_by_quantity_and_by_quote() {
    let (mut e, a, b) = engine(0);
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50000)),
    );
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50010)),
    );
    let r = place(&mut e, a, NewOrder::market(S, Side::Buy, dec!(0.15)));
    assert_eq!(
        (r.order.status, r.order.cummulative_quote_qty),
        (OrderStatus::Filled, dec!(7500.5))
    );
    // 0.05 left at 50010: a quote order of 1000 buys floor(1000/50010, step) = 0.01999.
    let r = place(&mut e, a, NewOrder::market_quote(S, Side::Buy, dec!(1000)));
    assert_eq!(
        (
            r.order.status,
            r.order.executed_qty,
            r.order.orig_quote_order_qty
        ),
        (OrderStatus::Filled, dec!(0.01999), dec!(1000))
    );
    assert_eq!(r.order.cummulative_quote_qty, dec!(999.6999));
    // More than the book holds: executes what there is and EXPIRES the rest.
    let r = place(&mut e, a, NewOrder::market(S, Side::Buy, dec!(1)));
    assert_eq!(
        (r.order.status, r.order.executed_qty),
        (OrderStatus::Expired, dec!(0.03001))
    );
    assert_eq!(bal(&e, a, "USDT").1, dec!(0));
    // Selling into an empty bid side: nothing executes.
    let r = place(&mut e, a, NewOrder::market(S, Side::Sell, dec!(0.1)));
    assert_eq!(
        (r.order.status, r.order.executed_qty),
        (OrderStatus::Expired, dec!(0))
    );
    assert_eq!(bal(&e, a, "BTC").1, dec!(0));
}

#[test]
fn trade_at_fills_crossed_resting_orders_and_requotes_the_house() {
    let (mut e, a, _) = engine(5);
    let buy = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(49500)),
    );
    let sell = place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(50500)),
    );
    let events = e.trade_at(S, dec!(49000), 5_000).unwrap();
    e.check_invariants().unwrap();
    let b = e.order(a, S, &OrderRef::Id(buy.order.order_id)).unwrap();
    assert_eq!(
        (b.status, b.cummulative_quote_qty),
        (OrderStatus::Filled, dec!(4950)),
        "filled at its own limit price"
    );
    assert_eq!(
        e.order(a, S, &OrderRef::Id(sell.order.order_id))
            .unwrap()
            .status,
        OrderStatus::New
    );
    assert_eq!(e.last_price(S).unwrap(), dec!(49000));
    let t = e.book_ticker(S).unwrap();
    assert!(t.bid_price < dec!(49000) && t.ask_price > dec!(49000) && t.ask_price < dec!(49100));
    assert!(events
        .iter()
        .any(|ev| matches!(ev, EngineEvent::Trade(t) if t.price == dec!(49000))));
    assert!(events
        .iter()
        .any(|ev| matches!(ev, EngineEvent::BookTicker(_))));
    assert!(events.iter().any(|ev| matches!(ev, EngineEvent::ExecutionReport(r) if r.account == a && r.execution_type == ExecutionType::Trade)));
}

#[test]
fn stop_loss_sell_fires_through_a_gap_and_fills_below_its_stop() {
    let (mut e, a, _) = engine(5);
    let o = typed(
        NewOrder::market(S, Side::Sell, dec!(0.5)),
        OrderType::StopLoss,
        dec!(49000),
        None,
    );
    let r = place(&mut e, a, o);
    assert_eq!(
        (r.order.status, r.order.is_working),
        (OrderStatus::New, false)
    );
    assert_eq!(bal(&e, a, "BTC"), (dec!(1.5), dec!(0.5)));
    e.trade_at(S, dec!(49500), 2_000).unwrap();
    assert_eq!(
        e.order(a, S, &OrderRef::Id(r.order.order_id))
            .unwrap()
            .status,
        OrderStatus::New,
        "not crossed yet"
    );
    let events = e.trade_at(S, dec!(45000), 3_000).unwrap();
    e.check_invariants().unwrap();
    let o = e.order(a, S, &OrderRef::Id(r.order.order_id)).unwrap();
    assert_eq!(
        (o.status, o.is_working, o.working_time),
        (OrderStatus::Filled, true, 3_000)
    );
    let fills = e.my_trades(a, S, None, None, None, 10).unwrap();
    assert!(
        !fills.is_empty() && fills.iter().all(|t| t.fill.price < dec!(45000)),
        "gapped: fills at the new market, not at the stop"
    );
    assert_eq!(bal(&e, a, "BTC"), (dec!(1.5), dec!(0)));
    assert!(events
        .iter()
        .any(|ev| matches!(ev, EngineEvent::ExecutionReport(r) if r.order.order_id == o.order_id)));
}

#[test]
fn each_stop_type_triggers_in_binance_direction() {
    // (type, side, stop, jump that fires it, jump that does not)
    let cases = [
        (
            OrderType::StopLoss,
            Side::Buy,
            dec!(51000),
            dec!(51000),
            dec!(50900),
        ),
        (
            OrderType::StopLossLimit,
            Side::Sell,
            dec!(49000),
            dec!(48000),
            dec!(49100),
        ),
        (
            OrderType::TakeProfit,
            Side::Sell,
            dec!(51000),
            dec!(52000),
            dec!(50500),
        ),
        (
            OrderType::TakeProfitLimit,
            Side::Buy,
            dec!(49000),
            dec!(49000),
            dec!(49500),
        ),
    ];
    for (t, side, stop, fire, hold) in cases {
        let (mut e, a, _) = engine(5);
        let limit = t.has_limit_price().then(|| {
            if side == Side::Buy {
                fire + dec!(1000)
            } else {
                fire - dec!(1000)
            }
        });
        let r = place(
            &mut e,
            a,
            typed(NewOrder::market(S, side, dec!(0.1)), t, stop, limit),
        );
        e.trade_at(S, hold, 2_000).unwrap();
        assert_eq!(
            e.order(a, S, &OrderRef::Id(r.order.order_id))
                .unwrap()
                .status,
            OrderStatus::New,
            "{t} {side} held at {hold}"
        );
        e.trade_at(S, fire, 3_000).unwrap();
        e.check_invariants().unwrap();
        assert_eq!(
            e.order(a, S, &OrderRef::Id(r.order.order_id))
                .unwrap()
                .status,
            OrderStatus::Filled,
            "{t} {side} fired at {fire}"
        );
    }
}

#[test]
fn stop_limit_that_cannot_fill_rests_as_a_limit_order() {
    let (mut e, a, _) = engine(5);
    let o = typed(
        NewOrder::market(S, Side::Sell, dec!(0.1)),
        OrderType::StopLossLimit,
        dec!(49000),
        Some(dec!(48900)),
    );
    let r = place(&mut e, a, o);
    e.trade_at(S, dec!(45000), 2_000).unwrap();
    let o = e.order(a, S, &OrderRef::Id(r.order.order_id)).unwrap();
    assert_eq!((o.status, o.is_working), (OrderStatus::New, true));
    assert!(e
        .depth(S, 100)
        .unwrap()
        .asks
        .iter()
        .any(|(p, q)| *p == dec!(48900) && *q == dec!(0.1)));
}

#[test]
fn queries_list_open_all_orders_and_trades() {
    let (mut e, a, b) = engine(0);
    place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(40000)),
    );
    place(
        &mut e,
        a,
        NewOrder::limit(S, Side::Buy, dec!(0.1), dec!(41000)),
    );
    place(
        &mut e,
        b,
        NewOrder::limit(S, Side::Sell, dec!(0.1), dec!(41000)),
    );
    assert_eq!(e.open_orders(a, Some(S)).unwrap().len(), 1);
    assert_eq!(e.open_orders(a, None).unwrap().len(), 1);
    let all = e.all_orders(a, S, None, None, None, 500).unwrap();
    assert_eq!(
        all.iter().map(|o| o.status).collect::<Vec<_>>(),
        vec![OrderStatus::New, OrderStatus::Filled]
    );
    assert_eq!(
        e.all_orders(a, S, Some(2), None, None, 500).unwrap().len(),
        1
    );
    assert_eq!(e.my_trades(a, S, None, None, None, 500).unwrap().len(), 1);
    let (canceled, _) = e.cancel_all(a, S, 2_000).unwrap();
    assert_eq!(canceled.len(), 1);
    assert_eq!(e.cancel_all(a, S, 2_000).unwrap_err().binance_code(), -2011);
    let k = e.klines(S, KlineInterval::M1, None, None, 10).unwrap();
    assert_eq!(
        (k.len(), k[0].open, k[0].volume, k[0].trades),
        (1, dec!(41000), dec!(0.1), 1)
    );
    let t = e.ticker_24h(S, 3_000).unwrap();
    assert_eq!(
        (t.last_price, t.count, t.volume, t.first_id, t.last_id),
        (dec!(41000), 1, dec!(0.1), 1, 1)
    );
}

#[test]
fn every_reject_reason_has_binance_code_and_message() {
    let (mut e, a, _) = engine(0);
    let lim = |p: Decimal, q: Decimal| NewOrder::limit(S, Side::Buy, q, p);
    let cases: Vec<(NewOrder, i32, &str)> = vec![
        (NewOrder::limit("NOPE", Side::Buy, dec!(1), dec!(1)), -1121, "Invalid symbol."),
        (lim(dec!(50000.001), dec!(0.1)), -1013, "Filter failure: PRICE_FILTER"),
        (lim(dec!(2000000), dec!(0.001)), -1013, "Filter failure: PRICE_FILTER"),
        (lim(dec!(50000), dec!(0.000001)), -1013, "Filter failure: LOT_SIZE"),
        (lim(dec!(50000), dec!(10000)), -1013, "Filter failure: LOT_SIZE"),
        (lim(dec!(100), dec!(0.01)), -1013, "Filter failure: NOTIONAL"),
        (NewOrder::market_quote(S, Side::Buy, dec!(4)), -1013, "Filter failure: NOTIONAL"),
        (lim(dec!(50000), dec!(3)), -2010, "Account has insufficient balance for requested action."),
        (NewOrder::limit(S, Side::Sell, dec!(3), dec!(50000)), -2010, "Account has insufficient balance for requested action."),
        (lim(dec!(0), dec!(1)), -1013, "Invalid price."),
        (lim(dec!(50000), dec!(0)), -1013, "Invalid quantity."),
        (typed(NewOrder::market(S, Side::Sell, dec!(0.1)), OrderType::StopLoss, dec!(50000), None), -2010, "Stop price would trigger immediately."),
        (typed(NewOrder::market(S, Side::Buy, dec!(0.1)), OrderType::TakeProfit, dec!(50001), None), -2010, "Stop price would trigger immediately."),
        (NewOrder { time_in_force: None, ..lim(dec!(50000), dec!(0.1)) }, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."),
        (NewOrder { price: None, ..lim(dec!(50000), dec!(0.1)) }, -1102, "Mandatory parameter 'price' was not sent, was empty/null, or malformed."),
        (NewOrder { price: Some(dec!(1)), ..NewOrder::market(S, Side::Buy, dec!(0.1)) }, -1106, "Parameter 'price' sent when not required."),
        (NewOrder { quantity: None, ..NewOrder::market(S, Side::Buy, dec!(0.1)) }, -1102, "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"),
        (NewOrder { quote_order_qty: Some(dec!(10)), ..NewOrder::market(S, Side::Buy, dec!(0.1)) }, -1128, "Combination of optional parameters invalid."),
        (lim(dec!(50000), dec!(0.1)).client_id("bad id!"), -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'."),
    ];
    for (o, code, msg) in cases {
        let r = reject(&mut e, a, o.clone());
        assert_eq!(
            (r.binance_code(), r.binance_msg().as_str()),
            (code, msg),
            "{o:?}"
        );
        // test_order validates the same way without placing.
        assert_eq!(e.test_order(a, &o).unwrap_err(), r);
    }
    place(&mut e, a, lim(dec!(40000), dec!(0.1)).client_id("dup"));
    let r = reject(&mut e, a, lim(dec!(40000), dec!(0.1)).client_id("dup"));
    assert_eq!(
        (r.binance_code(), r.binance_msg().as_str()),
        (-2010, "Duplicate order sent.")
    );
    let r = e.order(a, S, &OrderRef::Id(999)).unwrap_err();
    assert_eq!(
        (r.binance_code(), r.binance_msg().as_str()),
        (-2013, "Order does not exist.")
    );
    let r = e
        .cancel_order(a, S, &OrderRef::ClientId("nope".into()), None, 1)
        .unwrap_err();
    assert_eq!(
        (r.binance_code(), r.binance_msg().as_str()),
        (-2011, "Unknown order sent.")
    );
    assert!(e.test_order(a, &lim(dec!(40000), dec!(0.1))).is_ok());
}
