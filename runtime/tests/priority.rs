//! FL calls in their phase against ordinary transactions, in the real runtime (issue #12,
//! item 3): block space, pool priority, and fees under sustained full blocks.
//!
//! `cargo test --release -p fedledger-runtime --test priority -- --nocapture` prints the
//! priorities and the fee multiplier's path.

use fedledger_primitives::{model::TrainingConfig, tensor_codec};
use fedledger_runtime::{
	configs::RuntimeBlockWeights, AccountId, GradientCommitments, ModelRegistry, Runtime,
	RuntimeCall, RuntimeOrigin, System, TransactionPayment, TxExtension, UNIT,
};
use frame_support::{
	assert_ok,
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::OnFinalize,
};
use pallet_transaction_payment::Multiplier;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{TransactionPriority, TransactionSource},
	FixedPointNumber,
};

mod common;
use common::{account, ext, run_to};

/// The pool priority the runtime's transaction extensions give `call` from `who` with `tip`.
fn priority(who: &AccountId, call: RuntimeCall, tip: u128) -> TransactionPriority {
	let mut extension: TxExtension = fedledger_runtime::immortal_tx_extension(0);
	extension.7 = pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(tip);
	let info = call.get_dispatch_info();
	let (valid, _, _) = extension
		.validate_only(
			RuntimeOrigin::signed(who.clone()),
			&call,
			&info,
			200,
			TransactionSource::External,
			0,
		)
		.expect("valid transaction");
	valid.priority
}

#[test]
fn a_commitment_in_its_phase_outranks_a_heavily_tipped_transfer() {
	ext().execute_with(|| {
		let owner = account(Sr25519Keyring::Alice);
		let trainer = account(Sr25519Keyring::Bob);
		let spammer = account(Sr25519Keyring::Charlie);
		let weights = tensor_codec::encode_zeros(7850).unwrap();
		assert_ok!(ModelRegistry::register_model(
			RuntimeOrigin::signed(owner),
			TrainingConfig::example(784, 10, 1, 100 * UNIT),
			weights.try_into().unwrap(),
			None
		));
		assert_ok!(GradientCommitments::bond_trainer(
			RuntimeOrigin::signed(trainer.clone()),
			0,
			50 * UNIT
		));
		run_to(3);
		let commit =
			RuntimeCall::GradientCommitments(pallet_gradient_commitments::Call::commit_update {
				model: 0,
				round: 0,
				commitment: [1; 32],
			});
		assert_eq!(commit.get_dispatch_info().class, DispatchClass::Operational);
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: account(Sr25519Keyring::Dave).into(),
			value: UNIT,
		});
		let fl = priority(&trainer, commit.clone(), 0);
		let tipped = priority(&spammer, transfer, 10 * UNIT);
		// The same commitment from an account that cannot make it is not put first.
		let junk = priority(&spammer, commit, 0);
		println!("commitment in phase, no tip: {fl}");
		println!("transfer tipping 10 UNIT:     {tipped}");
		println!("commitment from an unbonded account: {junk}");
		assert!(fl > tipped);
		assert!(junk < tipped);
	});
}

#[test]
fn fees_rise_under_sustained_full_blocks_and_fall_back_to_the_base() {
	ext().execute_with(|| {
		let normal = RuntimeBlockWeights::get()
			.get(DispatchClass::Normal)
			.max_total
			.expect("the normal class is bounded");
		let mut path = Vec::new();
		for block in 1..=200u32 {
			// The first 100 blocks full of ordinary transactions, the next 100 empty.
			let used = if block <= 100 {
				normal
			} else {
				Default::default()
			};
			System::set_block_consumed_resources(used, 0);
			<TransactionPayment as OnFinalize<u32>>::on_finalize(block);
			path.push(pallet_transaction_payment::NextFeeMultiplier::<Runtime>::get());
		}
		let after_full = path[99];
		let after_empty = path[199];
		println!(
			"fee multiplier: 1 → {} after 100 full blocks → {} after 100 empty ones",
			after_full.to_float(),
			after_empty.to_float()
		);
		assert!(after_full > Multiplier::saturating_from_rational(107, 100));
		assert!(path.windows(2).take(99).all(|w| w[1] > w[0]));
		assert!(after_empty < after_full);
		assert!(after_empty >= Multiplier::from_u32(1));
	});
}

/// Filling a block's ordinary share with a remark: bytes are priced, so stuffing a reveal
/// window costs UNITs per block (it cost 0.000004 UNIT of length fee when a byte cost one
/// planck).
#[test]
fn stuffing_a_block_costs_what_its_bytes_are_worth() {
	ext().execute_with(|| {
		let length = *fedledger_runtime::configs::RuntimeBlockLength::get()
			.max
			.get(DispatchClass::Normal) as usize;
		let remark = RuntimeCall::System(frame_system::Call::remark {
			remark: vec![0u8; length - 200],
		});
		let info = remark.get_dispatch_info();
		let fee = TransactionPayment::compute_fee(length as u32, &info, 0);
		println!(
			"a remark filling the normal class ({length} B) pays {:.3} UNIT",
			fee as f64 / UNIT as f64
		);
		assert!(fee >= 3 * UNIT);
	});
}
