//! Unit tests of the model registry: every call's happy path and every error path, split
//! like the pallet's code; the helpers here register models for all of them.

use crate::{mock::*, Error, Event, Models, NextModelId, PendingTerms, Versions};
use fedledger_primitives::{
	model::{ModelKind, RewardSplit, Schedule, TrainingConfig},
	rules::{AggregationRule, AggregationSpec},
	tensor_codec,
	traits::{ModelProvider, ModelStatus},
	Digest,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};

mod hostile;
mod lifecycle;
mod registration;
mod versions;

/// The hash of [`weights`]: version 0 of every model registered here.
fn initial() -> Digest {
	tensor_codec::digest(&weights())
}

fn config() -> TrainingConfig<Balance> {
	TrainingConfig::example(784, 10, 3, 1_000)
}

fn register(owner: AccountId) -> u32 {
	let id = NextModelId::<Test>::get();
	assert_ok!(ModelRegistry::register_model(
		RuntimeOrigin::signed(owner),
		config(),
		weights(),
		None
	));
	id
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::ModelDeposit.into(), &who)
}
