//! The exchange core: order books, matching, accounts and balances, price process. No I/O.
