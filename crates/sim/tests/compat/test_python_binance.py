"""Compatibility check of `tradeward sim` with python-binance, a Binance client nobody here wrote.

The client is used unchanged; only its base URLs point at the sim. Run by the Rust test
crates/sim/tests/compat_python.rs, which starts the sim and passes:
  SIM_URL, SIM_API_KEY, SIM_API_SECRET, SIM_ED25519_API_KEY, SIM_ED25519_PRIVATE_PEM
Exits non-zero on the first failed check; prints 'N passed, N failed'.
"""

import os
import sys
import time
from decimal import Decimal

from binance.client import Client
from binance.exceptions import BinanceAPIException

URL = os.environ["SIM_URL"]


def client(key, secret=None, private_key=None):
    c = Client(key, secret, private_key=private_key, ping=False)
    # The only change: point the client's REST bases at the sim.
    c.API_URL = URL + "/api"
    c.MARGIN_API_URL = URL + "/sapi"
    return c


def balances(c):
    acct = c.get_account()
    return {b["asset"]: (Decimal(b["free"]), Decimal(b["locked"])) for b in acct["balances"]}


def expect_error(code, fn):
    try:
        fn()
    except BinanceAPIException as e:
        assert e.code == code, f"expected {code}, got {e.code} {e.message}"
        return e
    raise AssertionError(f"expected Binance error {code}, got success")


C = client(os.environ["SIM_API_KEY"], os.environ["SIM_API_SECRET"])


def test_markets():
    C.ping()
    assert abs(C.get_server_time()["serverTime"] - time.time() * 1000) < 5000
    info = C.get_exchange_info()
    symbols = {s["symbol"] for s in info["symbols"]}
    assert {"BTCUSDT", "ETHUSDT"} <= symbols, symbols
    s = C.get_symbol_info("BTCUSDT")
    kinds = {f["filterType"]: f for f in s["filters"]}
    assert Decimal(kinds["PRICE_FILTER"]["tickSize"]) == Decimal("0.01")
    assert Decimal(kinds["LOT_SIZE"]["stepSize"]) == Decimal("0.00001")
    assert Decimal(kinds["NOTIONAL"]["minNotional"]) == Decimal("5")


def test_tickers_and_book():
    assert Decimal(C.get_symbol_ticker(symbol="BTCUSDT")["price"]) > 0
    bt = C.get_orderbook_ticker(symbol="BTCUSDT")
    assert Decimal(bt["bidPrice"]) < Decimal(bt["askPrice"])
    book = C.get_order_book(symbol="BTCUSDT", limit=5)
    assert len(book["bids"]) == 5 and len(book["asks"]) == 5
    assert Decimal(book["bids"][0][0]) == Decimal(bt["bidPrice"])
    t = C.get_ticker(symbol="BTCUSDT")
    assert Decimal(t["lastPrice"]) > 0
    assert isinstance(C.get_klines(symbol="BTCUSDT", interval=Client.KLINE_INTERVAL_1MINUTE), list)
    assert isinstance(C.get_recent_trades(symbol="BTCUSDT"), list)


def test_limit_order_lifecycle():
    before = balances(C)
    o = C.order_limit_buy(symbol="BTCUSDT", quantity="0.01", price="40000", newClientOrderId="compat-limit-1")
    assert o["status"] == "NEW" and o["clientOrderId"] == "compat-limit-1", o
    mid = balances(C)
    assert mid["USDT"][0] == before["USDT"][0] - 400 and mid["USDT"][1] == before["USDT"][1] + 400, mid
    q = C.get_order(symbol="BTCUSDT", orderId=o["orderId"])
    assert q["status"] == "NEW" and Decimal(q["price"]) == 40000
    assert any(x["orderId"] == o["orderId"] for x in C.get_open_orders(symbol="BTCUSDT"))
    c = C.cancel_order(symbol="BTCUSDT", orderId=o["orderId"])
    assert c["status"] == "CANCELED", c
    after = balances(C)
    assert after["USDT"] == before["USDT"], (before, after)
    expect_error(-2011, lambda: C.cancel_order(symbol="BTCUSDT", orderId=o["orderId"]))
    expect_error(-2013, lambda: C.get_order(symbol="BTCUSDT", orderId=987654321))


def test_market_orders_move_balances():
    before = balances(C)
    o = C.order_market_buy(symbol="BTCUSDT", quantity="0.1")
    assert o["status"] == "FILLED", o
    qty = sum(Decimal(f["qty"]) for f in o["fills"])
    fee = sum(Decimal(f["commission"]) for f in o["fills"])
    spent = Decimal(o["cummulativeQuoteQty"])
    assert qty == Decimal("0.1")
    after = balances(C)
    assert after["BTC"][0] == before["BTC"][0] + qty - fee, (before["BTC"], after["BTC"], qty, fee)
    assert after["USDT"][0] == before["USDT"][0] - spent
    s = C.order_market_sell(symbol="BTCUSDT", quantity="0.05")
    assert s["status"] == "FILLED"
    got = Decimal(s["cummulativeQuoteQty"]) - sum(Decimal(f["commission"]) for f in s["fills"])
    final = balances(C)
    assert final["BTC"][0] == after["BTC"][0] - Decimal("0.05")
    assert final["USDT"][0] == after["USDT"][0] + got
    assert len(C.get_my_trades(symbol="BTCUSDT")) >= 2
    assert Decimal(C.get_asset_balance(asset="BTC")["free"]) == final["BTC"][0]


def test_errors_have_binance_codes():
    expect_error(-1013, lambda: C.order_limit_buy(symbol="BTCUSDT", quantity="0.01", price="40000.001"))
    expect_error(-2010, lambda: C.order_limit_buy(symbol="BTCUSDT", quantity="100", price="40000"))
    expect_error(-1121, lambda: C.get_order_book(symbol="NOPEUSDT"))
    wrong = client(os.environ["SIM_API_KEY"], "wrong-secret")
    expect_error(-1022, wrong.get_account)
    late = client(os.environ["SIM_API_KEY"], os.environ["SIM_API_SECRET"])
    late.timestamp_offset = -120_000
    expect_error(-1021, late.get_account)
    expect_error(-2015, client("unknownkey", "x").get_account)


def test_api_restrictions():
    r = C.get_account_api_permissions()
    assert r["enableWithdrawals"] is False and r["ipRestrict"] is False and r["enableReading"] is True, r


def test_ed25519_key():
    ed = client(os.environ["SIM_ED25519_API_KEY"], private_key=os.environ["SIM_ED25519_PRIVATE_PEM"].strip())
    assert balances(ed)["USDT"][0] == Decimal("1000")
    o = ed.order_market_buy(symbol="ETHUSDT", quantity="0.01")
    assert o["status"] == "FILLED"


def main():
    """Runs every check; exits non-zero if any failed."""
    tests = [v for k, v in sorted(globals().items()) if k.startswith("test_")]
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok   {t.__name__}")
        except Exception as e:  # report every failing check, then fail the run
            failed += 1
            print(f"FAIL {t.__name__}: {type(e).__name__}: {e}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
