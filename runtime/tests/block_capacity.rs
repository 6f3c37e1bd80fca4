//! How many `commit_update` / `reveal_update` extrinsics one block of the real runtime admits.
//!
//! Each case builds a real signed extrinsic (all of the runtime's transaction extensions, so its
//! length and extension weight are what a wallet would send), then books it against an empty
//! block with `frame_system::CheckWeight` — the same check block authorship applies — until the
//! block refuses it. The weights are the benchmarked ones in the pallets' `weights.rs`.
//!
//! `cargo test --release -p fedledger-runtime --test block_capacity -- --nocapture` prints the table.

use codec::Encode;
use fedledger_primitives::tensor_codec;
use fedledger_runtime::{
	configs::{RuntimeBlockLength, RuntimeBlockWeights, MAX_PAYLOAD_LEN},
	Address, BuildStorage, Runtime, RuntimeCall, RuntimeGenesisConfig, Signature, System,
	UncheckedExtrinsic,
};
use frame_support::dispatch::{DispatchClass, GetDispatchInfo};
use sp_keyring::Sr25519Keyring;

/// `MaxUpdatesPerRound` in the runtime: the most reveals one round can carry.
const MAX_UPDATES_PER_ROUND: u32 = 64;

/// Parameters of the demo's logistic regression (784 × 10 + 10).
const DEMO_PARAMS: u32 = 7850;

fn signed(call: RuntimeCall) -> UncheckedExtrinsic {
	// The extensions the node's FL worker signs with; the nonce only needs to encode as a
	// wallet's would (its compact length), not to be valid here.
	let extension = fedledger_runtime::immortal_tx_extension(u32::MAX);
	let signer = Sr25519Keyring::Alice;
	// `CheckWeight` never looks at the signature; a real one keeps the length exact.
	let signature = Signature::Sr25519(signer.sign(&call.encode()));
	UncheckedExtrinsic::new_signed(
		call,
		Address::Id(signer.to_account_id()),
		signature,
		extension,
	)
}

fn commit_update() -> UncheckedExtrinsic {
	signed(RuntimeCall::GradientCommitments(
		pallet_gradient_commitments::Call::commit_update {
			model: 0,
			round: 0,
			commitment: [7; 32],
		},
	))
}

fn reveal_update(payload_len: u32) -> UncheckedExtrinsic {
	let params = (payload_len - tensor_codec::HEADER_LEN as u32) / 4;
	let payload = tensor_codec::encode_zeros(params).expect("zeros encode");
	assert!(payload.len() as u32 <= payload_len);
	signed(RuntimeCall::GradientCommitments(
		pallet_gradient_commitments::Call::reveal_update {
			model: 0,
			round: 0,
			payload: payload.try_into().expect("within MaxPayloadLen"),
			salt: [9; 32],
			num_samples: 1_000,
		},
	))
}

/// What stopped the block from taking one more copy.
#[derive(Debug, PartialEq)]
enum Limit {
	Weight,
	Length,
}

/// A row of the capacity table.
struct Capacity {
	per_block: u32,
	limit: Limit,
	/// The call's benchmarked ref time.
	call_ps: u64,
	/// Call plus transaction extensions (what `CheckWeight` books, before the base extrinsic weight).
	ref_time_ps: u64,
	len: usize,
}

/// Books copies of `xt` into an empty block (base block weight already booked, as the
/// executive does) until `CheckWeight` refuses one.
fn fill_block(xt: &UncheckedExtrinsic) -> Capacity {
	let storage = RuntimeGenesisConfig::default().build_storage().unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		System::initialize(&1, &Default::default(), &Default::default());
		System::register_extra_weight_unchecked(
			RuntimeBlockWeights::get().base_block,
			DispatchClass::Mandatory,
		);
		let info = xt.get_dispatch_info();
		let len = xt.encoded_size();
		let mut per_block = 0;
		loop {
			let booked = frame_system::CheckWeight::<Runtime>::do_validate(&info, len).and_then(
				|(_, next_len)| {
					frame_system::CheckWeight::<Runtime>::do_prepare(&info, len, next_len)
				},
			);
			if booked.is_err() {
				break;
			}
			per_block += 1;
		}
		let max_len = *RuntimeBlockLength::get().max.get(info.class);
		let limit = if System::block_size() as usize + len > max_len as usize {
			Limit::Length
		} else {
			Limit::Weight
		};
		Capacity {
			per_block,
			limit,
			call_ps: info.call_weight.ref_time(),
			ref_time_ps: info.total_weight().ref_time(),
			len,
		}
	})
}

fn report(name: &str, c: &Capacity) {
	println!(
		"{name:<34} call {:>6.3} ms, with extensions {:>6.3} ms, {:>7} B: {:>5} per block ({:?}-bound)",
		c.call_ps as f64 / 1e9,
		c.ref_time_ps as f64 / 1e9,
		c.len,
		c.per_block,
		c.limit,
	);
}

#[test]
fn block_capacity_for_commits_and_reveals() {
	let weights = RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal);
	println!(
		"block: {} ms ref time (normal class: {} ms), {} B length (normal class: {} B)",
		weights.max_block.ref_time() / 1_000_000_000,
		normal.max_total.unwrap_or(weights.max_block).ref_time() / 1_000_000_000,
		RuntimeBlockLength::get()
			.max
			.get(DispatchClass::Operational),
		RuntimeBlockLength::get().max.get(DispatchClass::Normal),
	);

	let commit = fill_block(&commit_update());
	report("commit_update", &commit);
	let demo_len = tensor_codec::HEADER_LEN as u32 + 4 * DEMO_PARAMS;
	let demo = fill_block(&reveal_update(demo_len));
	report(&format!("reveal_update ({demo_len} B payload)"), &demo);
	let largest = fill_block(&reveal_update(MAX_PAYLOAD_LEN));
	report(
		&format!("reveal_update ({MAX_PAYLOAD_LEN} B payload)"),
		&largest,
	);
	println!(
		"a full round of {MAX_UPDATES_PER_ROUND} largest reveals needs {} blocks of reveal phase",
		MAX_UPDATES_PER_ROUND.div_ceil(largest.per_block),
	);

	// A whole round's commits, and a whole round's reveals of the demo model, fit in one block:
	// the commit and reveal phases are never throughput-bound for models of that size.
	assert!(commit.per_block >= MAX_UPDATES_PER_ROUND);
	assert!(demo.per_block >= MAX_UPDATES_PER_ROUND);
	// The largest payload the pallet accepts is also admitted by the block: no payload that
	// passes `MaxPayloadLen` can be unrevealable.
	assert!(largest.per_block >= 1);
	// A reveal's weight grows with its payload (hashing and validation are linear in it).
	assert!(largest.ref_time_ps > demo.ref_time_ps);
}

#[test]
fn a_reveal_declares_the_benchmarked_weight_of_its_payload_length() {
	// Guards the call/weight wiring: the call's weight is the benchmarked reveal weight at the
	// payload's actual length, not a constant.
	use pallet_gradient_commitments::WeightInfo as _;
	let xt = reveal_update(MAX_PAYLOAD_LEN);
	let payload_len = (MAX_PAYLOAD_LEN - tensor_codec::HEADER_LEN as u32) / 4 * 4
		+ tensor_codec::HEADER_LEN as u32;
	assert_eq!(
		xt.function.get_dispatch_info().call_weight,
		<Runtime as pallet_gradient_commitments::Config>::WeightInfo::reveal_update(payload_len)
	);
}
