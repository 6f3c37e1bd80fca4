//! Chain specifications built from the runtime's genesis presets.

use fedledger_runtime::{TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY};
use sc_service::{ChainType, Properties};

/// The chain-spec type of fedledger (no extensions).
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol, decimals and address format, so polkadot.js shows balances in FLT.
fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn from_preset(name: &str, id: &str, kind: ChainType, preset: &str) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| {
		"the runtime wasm is missing: the node was built with SKIP_WASM_BUILD".to_string()
	})?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(kind)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: Alice alone authors and finalizes blocks.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"fedledger development",
		"fedledger_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `--chain local`: Alice, Bob and Charlie author and finalize blocks.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	from_preset(
		"fedledger local testnet",
		"fedledger_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}
