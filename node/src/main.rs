//! `fedledger-node`: the fedledger chain's node binary.
#![warn(missing_docs)]
// The large error types are `sc_cli::Error` and `sc_service::Error`, whose shapes the Substrate
// CLI runner and service builder dictate; boxing them here would only convert back and forth.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod fl;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
