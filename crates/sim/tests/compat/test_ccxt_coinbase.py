"""Compatibility check of the sim's Coinbase Advanced Trade dialect with ccxt's `coinbase`
class (Advanced Trade, EdDSA API keys), a client nobody here wrote.

The client is used unchanged; only `urls['api']['rest']` points at the sim. Run by the Rust
test crates/sim/tests/compat_ccxt.rs, which starts the sim and passes SIM_URL,
SIM_COINBASE_KEY, SIM_COINBASE_SECRET (base64 of the Ed25519 seed and public key, the form
Coinbase issues). Exits non-zero on the first failed check; prints 'N passed, N failed'.
"""

import os
import sys
import traceback

import ccxt

URL = os.environ["SIM_URL"]


def client(key, secret):
    c = ccxt.coinbase({"apiKey": key, "secret": secret, "enableRateLimit": False, "timeout": 10000})
    # The only change: point the client's REST base at the sim.
    c.urls["api"] = {"rest": URL}
    # ccxt's own switch from the v2 wallet accounts to Advanced Trade's accounts endpoint.
    c.options["fetchBalance"] = "v3PrivateGetBrokerageAccounts"
    return c


C = client(os.environ["SIM_COINBASE_KEY"], os.environ["SIM_COINBASE_SECRET"])


def test_markets():
    markets = C.load_markets()
    assert "BTC/USDT" in markets, list(markets)
    m = C.market("BTC/USDT")
    assert m["id"] == "BTC-USDT" and m["spot"] and m["active"], m
    assert m["precision"]["price"] == 0.01 and m["precision"]["amount"] == 0.00001, m["precision"]
    assert m["limits"]["cost"]["min"] == 5, m["limits"]


def test_ticker_and_book():
    t = C.fetch_ticker("BTC/USDT")
    assert t["bid"] and t["ask"] and 0 < t["bid"] < t["ask"], t
    book = C.fetch_order_book("BTC/USDT", limit=5)
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5, book
    assert book["bids"][0][0] == t["bid"], (book["bids"][0], t)


def test_balance():
    b = C.fetch_balance()
    assert b["total"]["USDT"] == 100000 and b["free"]["USDT"] == 100000, b["total"]
    assert b["total"]["BTC"] == 2, b["total"]


def test_limit_order_lifecycle():
    o = C.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"client_order_id": "ccxt-cb-limit-1"})
    assert o["id"], o
    b = C.fetch_balance()
    assert b["used"]["USDT"] == 400, b["used"]
    q = C.fetch_order(o["id"], "BTC/USDT")
    assert q["status"] == "open" and q["price"] == 40000 and q["amount"] == 0.01, q
    assert q["clientOrderId"] == "ccxt-cb-limit-1", q
    opened = C.fetch_open_orders("BTC/USDT")
    assert any(x["id"] == o["id"] for x in opened), opened
    # The same client order id again creates nothing and answers with the first order.
    again = C.create_order("BTC/USDT", "limit", "buy", 0.01, 40000, {"client_order_id": "ccxt-cb-limit-1"})
    assert again["id"] == o["id"], (again, o)
    C.cancel_order(o["id"], "BTC/USDT")
    q = C.fetch_order(o["id"], "BTC/USDT")
    assert q["status"] == "canceled", q
    assert C.fetch_balance()["used"]["USDT"] == 0


def test_market_order():
    before = C.fetch_balance()
    o = C.create_order("BTC/USDT", "market", "sell", 0.01)
    q = C.fetch_order(o["id"], "BTC/USDT")
    assert q["status"] == "closed" and q["filled"] == 0.01, q
    after = C.fetch_balance()
    assert after["total"]["BTC"] < before["total"]["BTC"], (before["total"], after["total"])
    assert after["total"]["USDT"] > before["total"]["USDT"], (before["total"], after["total"])


def test_errors():
    try:
        C.create_order("BTC/USDT", "limit", "buy", 1000, 40000)
        raise AssertionError("an order beyond the balance was accepted")
    except ccxt.InsufficientFunds:
        pass
    except ccxt.ExchangeError as e:
        assert "INSUFFICIENT_FUND" in str(e), e
    # A key the sim does not know.
    bad = client("nosuchkey", os.environ["SIM_COINBASE_SECRET"])
    try:
        bad.fetch_balance()
        raise AssertionError("an unknown key was accepted")
    except ccxt.AuthenticationError:
        pass


def main():
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
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
