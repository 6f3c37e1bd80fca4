//! `fedledger-node`: the fedledger chain's node binary.
#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod fl_rpc;
mod fl_worker;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
