//! Passwords: the policy, argon2id hashing, and the bounded pool hashing runs on.

mod common;
mod hash;
mod policy;
mod pool;

pub use common::{common_password_count, is_common};
pub use hash::{hash_password, verify_password, HashParams, Verification};
pub use policy::{check_password, MAX_CHARS, MIN_CHARS};
pub use pool::HashingPool;
