//! One module per subcommand family; shared set-up lives in `deployment`.

pub mod admin;
pub mod audit;
pub mod demo;
pub mod deployment;
pub mod engine;
pub mod lockdown;
pub mod report;
pub mod serve;
pub mod signer;
pub mod sim;
pub mod vault;
