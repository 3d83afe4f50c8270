"""Compatibility check of the sim's Kraken dialect with ccxt's `kraken` class, a Kraken client
nobody here wrote.

The client is used unchanged; only `urls['api']` points at the sim. Run by the Rust test
crates/sim/tests/compat_ccxt.rs, which starts the sim and passes SIM_URL, SIM_KRAKEN_KEY,
SIM_KRAKEN_SECRET. Exits non-zero on the first failed check; prints 'N passed, N failed'.
"""

import os
import sys
import traceback
from decimal import Decimal

import ccxt

URL = os.environ["SIM_URL"]


def client(key, secret):
    k = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False, "timeout": 10000})
    # The only change: point the client's REST bases at the sim.
    k.urls["api"] = {"public": URL, "private": URL}
    return k


K = client(os.environ["SIM_KRAKEN_KEY"], os.environ["SIM_KRAKEN_SECRET"])


def test_markets():
    markets = K.load_markets()
    assert "BTC/USDT" in markets and "ETH/USDT" in markets, list(markets)
    m = K.market("BTC/USDT")
    assert m["id"] == "BTCUSDT" and m["base"] == "BTC" and m["quote"] == "USDT", m
    assert m["active"], m
    assert Decimal(str(m["precision"]["price"])) == Decimal("0.01"), m["precision"]
    assert Decimal(str(m["precision"]["amount"])) == Decimal("0.00001"), m["precision"]
    assert Decimal(str(m["limits"]["cost"]["min"])) == Decimal("5"), m["limits"]
    assert abs(K.fetch_time() - K.milliseconds()) < 5000


def test_ticker_book_trades():
    t = K.fetch_ticker("BTC/USDT")
    assert 0 < t["bid"] < t["ask"], t
    book = K.fetch_order_book("BTC/USDT", limit=5)
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5, book
    assert book["bids"][0][0] == t["bid"], (book["bids"][0], t["bid"])
    assert isinstance(K.fetch_trades("BTC/USDT"), list)


def test_balance():
    b = K.fetch_balance()
    assert b["total"]["USDT"] == 100000, b["total"]
    assert b["total"]["BTC"] == 2, b["total"]


def test_limit_order_lifecycle():
    before = K.fetch_balance()
    o = K.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"clientOrderId": "ccxt-limit-1"})
    assert o["id"], o
    mid = K.fetch_balance()
    assert mid["used"]["USDT"] == before["used"]["USDT"] + 400, (before["used"], mid["used"])
    opened = K.fetch_open_orders("BTC/USDT")
    mine = [x for x in opened if x["id"] == o["id"]]
    assert mine and mine[0]["status"] == "open" and mine[0]["price"] == 40000, opened
    assert mine[0]["clientOrderId"] == "ccxt-limit-1", mine[0]
    q = K.fetch_order(o["id"])
    assert q["status"] == "open" and q["amount"] == 0.01 and q["side"] == "buy", q
    K.cancel_order(o["id"])
    q = K.fetch_order(o["id"])
    assert q["status"] == "canceled", q
    after = K.fetch_balance()
    assert after["used"]["USDT"] == before["used"]["USDT"], (before["used"], after["used"])
    try:
        K.cancel_order(o["id"])
        raise AssertionError("second cancel succeeded")
    except ccxt.OrderNotFound:
        pass


def test_market_order():
    before = K.fetch_balance()
    o = K.create_order("BTC/USDT", "market", "buy", 0.01)
    q = K.fetch_order(o["id"])
    assert q["status"] == "closed" and q["filled"] == 0.01, q
    after = K.fetch_balance()
    assert after["total"]["BTC"] > before["total"]["BTC"], (before["total"], after["total"])
    assert after["total"]["USDT"] < before["total"]["USDT"], (before["total"], after["total"])
    closed = K.fetch_closed_orders("BTC/USDT")
    assert any(x["id"] == o["id"] for x in closed), closed


def test_errors():
    try:
        K.create_order("BTC/USDT", "limit", "buy", 1000, 40000)
        raise AssertionError("an order beyond the balance was accepted")
    except ccxt.InsufficientFunds:
        pass
    bad = client(os.environ["SIM_KRAKEN_KEY"], "A" * 86 + "==")
    try:
        bad.fetch_balance()
        raise AssertionError("a wrong secret was accepted")
    except ccxt.ExchangeError as e:
        # ccxt has no class for this string; Kraken's own text is what it reports.
        assert "EAPI:Invalid signature" in str(e), e
    unknown = client("nosuchkey", os.environ["SIM_KRAKEN_SECRET"])
    try:
        unknown.fetch_balance()
        raise AssertionError("an unknown key was accepted")
    except ccxt.AuthenticationError:
        pass


def main():
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    # Markets first: later tests use them.
    tests.sort(key=lambda f: f.__name__ != "test_markets")
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print("PASS", t.__name__)
        except Exception:
            failed += 1
            print("FAIL", t.__name__)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
