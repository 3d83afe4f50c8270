//! Binance's JSON, parsed into typed structs and then into Tradeward's types.
//!
//! Every parser takes untrusted bytes and returns `Result`: numbers that carry money must be
//! strings holding a decimal (never JSON floats), ids must fit their integer types, enums must
//! be known values, unknown fields are ignored, and nothing is ever echoed into an error.

pub(crate) mod de;
pub(crate) mod enums;
pub mod rest;
pub mod stream;

pub use rest::{
    parse_account, parse_api_restrictions, parse_error, parse_exchange_info, parse_listen_key,
    parse_order, parse_orders, parse_server_time, ListenKey,
};
pub use stream::{parse_market_frame, parse_user_frame, UserFrame};
