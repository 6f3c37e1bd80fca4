//! What the runtime's integration tests share: a genesis with every dev account funded, and
//! blocks advanced the way the executive advances them.

use fedledger_runtime::{AccountId, BuildStorage, RuntimeGenesisConfig, System, UNIT};
use frame_support::traits::OnInitialize;
use sp_keyring::Sr25519Keyring;

/// A dev account.
pub fn account(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

/// Every dev account funded with a million UNIT, at block 1.
pub fn ext() -> sp_io::TestExternalities {
	let genesis = RuntimeGenesisConfig {
		balances: pallet_balances::GenesisConfig {
			balances: Sr25519Keyring::iter()
				.map(|k| (k.to_account_id(), 1_000_000 * UNIT))
				.collect(),
			..Default::default()
		},
		..Default::default()
	};
	let mut ext: sp_io::TestExternalities = genesis.build_storage().unwrap().into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Advances to block `n`, running every pallet's `on_initialize` like the executive.
pub fn run_to(n: u32) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		<fedledger_runtime::AllPalletsWithSystem as OnInitialize<u32>>::on_initialize(next);
	}
}
