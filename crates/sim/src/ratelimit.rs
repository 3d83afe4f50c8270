//! Binance's rate limits: REQUEST_WEIGHT per minute per IP (429 with Retry-After, then 418
//! bans for clients that keep going) and ORDERS per 10 s / per day per account; plus the
//! weight table of the endpoints.

use crate::api::error::ApiError;
use crate::config::RateLimitConfig;
use crate::engine::AccountId;
use axum::http::Method;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Debug, Default)]
struct IpWindow {
    minute: u64,
    used: u32,
    strikes: u32,
    banned_until_ms: u64,
}

#[derive(Debug, Default)]
struct OrderWindow {
    ten_s: u64,
    count_10s: u32,
    day: u64,
    count_day: u32,
}

/// The limiter shared by every request.
#[derive(Debug)]
pub struct RateLimiter {
    cfg: RateLimitConfig,
    ips: Mutex<HashMap<IpAddr, IpWindow>>,
    orders: Mutex<HashMap<AccountId, OrderWindow>>,
}

/// Counts after one order, for the `X-MBX-ORDER-COUNT-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCounts {
    /// Orders in the current 10 s window.
    pub ten_s: u32,
    /// Orders today.
    pub day: u32,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(cfg: RateLimitConfig) -> Self {
        Self {
            cfg,
            ips: Mutex::new(HashMap::new()),
            orders: Mutex::new(HashMap::new()),
        }
    }

    /// The limits.
    pub fn config(&self) -> &RateLimitConfig {
        &self.cfg
    }

    /// Adds `weight` for `ip`; the used weight after it, or 429/418.
    pub fn charge(&self, ip: IpAddr, weight: u32, now_ms: u64) -> Result<u32, ApiError> {
        let limit = self.cfg.request_weight_per_minute;
        let mut ips = crate::state::lock(&self.ips);
        let w = ips.entry(ip).or_default();
        let minute = now_ms / 60_000;
        if w.minute != minute {
            w.minute = minute;
            w.used = 0;
            w.strikes = 0;
        }
        if w.banned_until_ms > now_ms {
            return Err(ApiError::banned(
                w.banned_until_ms,
                (w.banned_until_ms - now_ms).div_ceil(1000),
            ));
        }
        if limit > 0 && w.used.saturating_add(weight) > limit {
            w.strikes += 1;
            if self.cfg.ban_after_429s > 0
                && w.strikes > self.cfg.ban_after_429s
                && self.cfg.ban_secs > 0
            {
                w.banned_until_ms = now_ms + self.cfg.ban_secs * 1000;
                return Err(ApiError::banned(w.banned_until_ms, self.cfg.ban_secs));
            }
            let retry = (60_000 - now_ms % 60_000).div_ceil(1000);
            return Err(ApiError::too_much_weight(limit, retry));
        }
        w.used = w.used.saturating_add(weight);
        Ok(w.used)
    }

    /// Weight used by `ip` in the current minute.
    pub fn used(&self, ip: IpAddr, now_ms: u64) -> u32 {
        let ips = crate::state::lock(&self.ips);
        ips.get(&ip)
            .filter(|w| w.minute == now_ms / 60_000)
            .map(|w| w.used)
            .unwrap_or(0)
    }

    /// Counts one new order of `account`; -1015 when over a limit.
    pub fn order(&self, account: AccountId, now_ms: u64) -> Result<OrderCounts, ApiError> {
        let mut orders = crate::state::lock(&self.orders);
        let w = orders.entry(account).or_default();
        let (ten_s, day) = (now_ms / 10_000, now_ms / 86_400_000);
        if w.ten_s != ten_s {
            w.ten_s = ten_s;
            w.count_10s = 0;
        }
        if w.day != day {
            w.day = day;
            w.count_day = 0;
        }
        let l10 = self.cfg.orders_per_10s;
        if l10 > 0 && w.count_10s >= l10 {
            return Err(ApiError::too_many_orders(
                l10,
                "10 SECOND",
                (10_000 - now_ms % 10_000).div_ceil(1000),
            ));
        }
        let ld = self.cfg.orders_per_day;
        if ld > 0 && w.count_day >= ld {
            return Err(ApiError::too_many_orders(
                ld,
                "1 DAY",
                (86_400_000 - now_ms % 86_400_000).div_ceil(1000),
            ));
        }
        w.count_10s += 1;
        w.count_day += 1;
        Ok(OrderCounts {
            ten_s: w.count_10s,
            day: w.count_day,
        })
    }
}

/// REQUEST_WEIGHT of an endpoint (Binance's published weights; `has` tells whether a query
/// parameter is present, `limit` its `limit` value).
pub fn weight(method: &Method, path: &str, has: impl Fn(&str) -> bool, limit: Option<u64>) -> u32 {
    let many = !has("symbol") && !has("symbols");
    match (method.as_str(), path) {
        (_, "/api/v3/ping") | (_, "/api/v3/time") => 1,
        (_, "/api/v3/exchangeInfo") => 20,
        (_, "/api/v3/depth") => match limit.unwrap_or(100) {
            0..=100 => 5,
            101..=500 => 25,
            501..=1000 => 50,
            _ => 250,
        },
        (_, "/api/v3/trades") => 25,
        (_, "/api/v3/klines") => 2,
        (_, "/api/v3/ticker/24hr") => {
            if many {
                80
            } else {
                2
            }
        }
        (_, "/api/v3/ticker/price") | (_, "/api/v3/ticker/bookTicker") => {
            if many {
                4
            } else {
                2
            }
        }
        (_, "/api/v3/account") => 20,
        ("GET", "/api/v3/order") => 4,
        ("GET", "/api/v3/openOrders") => {
            if many {
                80
            } else {
                6
            }
        }
        ("GET", "/api/v3/allOrders") | ("GET", "/api/v3/myTrades") => 20,
        (_, "/api/v3/userDataStream") => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip() -> IpAddr {
        IpAddr::from([127, 0, 0, 1])
    }

    #[test]
    fn weight_limit_then_429_then_418() {
        let rl = RateLimiter::new(RateLimitConfig {
            request_weight_per_minute: 10,
            ban_after_429s: 2,
            ban_secs: 120,
            ..RateLimitConfig::default()
        });
        let t = 60_000 * 1000 + 30_000; // 30 s into a minute
        assert_eq!(rl.charge(ip(), 6, t).unwrap(), 6);
        assert_eq!(rl.charge(ip(), 4, t).unwrap(), 10);
        let e = rl.charge(ip(), 1, t).unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code, e.retry_after),
            (429, -1003, Some(30))
        );
        assert_eq!(rl.charge(ip(), 1, t).unwrap_err().status.as_u16(), 429);
        let ban = rl.charge(ip(), 1, t).unwrap_err();
        assert_eq!((ban.status.as_u16(), ban.retry_after), (418, Some(120)));
        // Still banned in the next minute.
        assert_eq!(
            rl.charge(ip(), 1, t + 60_000).unwrap_err().status.as_u16(),
            418
        );
        assert_eq!(rl.charge(ip(), 1, t + 121_000).unwrap(), 1);
        assert_eq!(rl.used(ip(), t + 121_000), 1);
    }

    #[test]
    fn order_limits() {
        let rl = RateLimiter::new(RateLimitConfig {
            orders_per_10s: 2,
            ..RateLimitConfig::default()
        });
        let a = AccountId(2);
        assert_eq!(
            rl.order(a, 5_000).unwrap(),
            OrderCounts { ten_s: 1, day: 1 }
        );
        rl.order(a, 5_001).unwrap();
        assert_eq!(rl.order(a, 5_002).unwrap_err().code, -1015);
        assert_eq!(
            rl.order(a, 10_000).unwrap(),
            OrderCounts { ten_s: 1, day: 3 }
        );
    }

    #[test]
    fn weights_follow_binance() {
        let none = |_: &str| false;
        let sym = |p: &str| p == "symbol";
        assert_eq!(weight(&Method::GET, "/api/v3/exchangeInfo", none, None), 20);
        assert_eq!(weight(&Method::GET, "/api/v3/depth", sym, Some(5000)), 250);
        assert_eq!(weight(&Method::GET, "/api/v3/ticker/24hr", none, None), 80);
        assert_eq!(weight(&Method::GET, "/api/v3/ticker/24hr", sym, None), 2);
        assert_eq!(weight(&Method::POST, "/api/v3/order", sym, None), 1);
    }
}
