//! Storage types of the contribution-rewards pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// What an account has earned from one model, by role, over all rounds.
#[derive(
	Clone,
	Default,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Attribution<Balance> {
	/// Earned as the model's owner.
	pub as_owner: Balance,
	/// Earned as a validator that reported the finalized model.
	pub as_validator: Balance,
	/// Earned as a trainer, by consensus score.
	pub as_trainer: Balance,
	/// Rounds in which the account earned anything from the model.
	pub rounds: u32,
}

/// The role an account was paid for.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub enum Role {
	/// Model owner.
	Owner,
	/// Validator that reported the finalized hash.
	Validator,
	/// Trainer with an accepted update.
	Trainer,
}
