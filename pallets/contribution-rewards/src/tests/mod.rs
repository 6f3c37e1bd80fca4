//! Unit tests of funding, the reward split, score consensus, claims and conservation.

use crate::{mock::*, *};
use fedledger_primitives::{
	model::{RewardSplit, TrainingConfig},
	traits::{RoundRewards, TrainerScores},
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect};

mod claims;
mod conservation;
mod distribution;
mod pools;
mod refunds;

fn config(reward: Balance) -> TrainingConfig<Balance> {
	TrainingConfig::example(4, 2, 1, reward)
}

fn scores(trainer: AccountId, s: &[(u32, Balance)]) -> TrainerScores<AccountId, Balance> {
	TrainerScores {
		trainer,
		scores: s.to_vec(),
	}
}
