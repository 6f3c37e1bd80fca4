//! The text names of aggregation rules and specs: the one vocabulary of the simulator CLI, the
//! scripts (`scripts/e2e/lib/chain.mjs` follows the same grammar) and log lines.
//!
//! ```text
//! spec  = rule [ clip ] [ mix ] [ weight ]                 stages in this order, each at most once
//! clip  = "+clip:" real                                    fixed L2 bound on every update
//!       | "+arc" [ ":" f ]                                 adaptive clipping, f default 1
//! mix   = "+bucket:" count                                 bucketing, bucket size
//!       | "+nnm" [ ":" f ]                                 nearest-neighbour mixing, f default 1
//! weight = "+weighted" [ ":" cap ]                         capped sample weighting, cap real,
//!                                                          default 2 (unweighted without it)
//! rule  = "fedavg"
//!       | "median"
//!       | "trimmed-mean"      [ ":" beta ]                  beta     fraction, default 0.34
//!       | "krum"              [ ":" f ]                     f        count,    default 1
//!       | "multi-krum"        [ ":" f [ ":" m ] ]           f, m     counts,   default 1, 1
//!       | "bulyan"            [ ":" f ]                     f        count,    default 1
//!       | "geometric-median"  [ ":" iters [ ":" eps ] ]     iters    count,    default 8
//!                                                           eps      real,     default 0.000001
//!       | "centered-clipping" [ ":" tau [ ":" iters ] ]     tau      real,     default 0.5
//!                                                           iters    count,    default 3
//!       | "norm-bounding"     [ ":" max_norm ]              max_norm real,     default 1
//! count = digit { digit }                                   a u32
//! real  = digit { digit } [ "." digit { digit } ]           at most 6 decimals (micro units)
//! fraction = real, but at most 9 decimals (parts per billion)
//! ```
//!
//! Names are lower case; there is no whitespace, sign or exponent. Missing trailing parameters
//! take the defaults above. Decimals are converted exactly into the integer unit ([`MICRO`],
//! [`PARTS_PER_BILLION`]) without floating point; more decimal places than the unit holds, or a
//! value above `u32::MAX` units, is an error.
//!
//! [`Display`](core::fmt::Display) prints every parameter in canonical form (no trailing
//! decimal zeros, no leading zeros), so `parse(display(x)) == x` for every value and
//! `display(parse(s)) == s` for every canonical `s`. Parsing does not check that a spec is
//! usable (e.g. β < 50 %); that is [`AggregationSpec::validate`].

use super::{
	AggregationRule, AggregationSpec, Clipping, Mixing, SampleWeighting, MICRO, PARTS_PER_BILLION,
};
use alloc::string::{String, ToString};
use core::{fmt, str::FromStr};

/// The rule names, in the order of [`AggregationRule`]'s variants.
pub const RULE_NAMES: [&str; 9] = [
	"fedavg",
	"median",
	"trimmed-mean",
	"krum",
	"multi-krum",
	"bulyan",
	"geometric-median",
	"centered-clipping",
	"norm-bounding",
];

/// The syntax of each rule (same order as [`RULE_NAMES`]), for help texts and errors.
pub const RULE_SYNTAX: [&str; 9] = [
	"fedavg",
	"median",
	"trimmed-mean[:beta]",
	"krum[:f]",
	"multi-krum[:f[:m]]",
	"bulyan[:f]",
	"geometric-median[:iters[:eps]]",
	"centered-clipping[:tau[:iters]]",
	"norm-bounding[:max_norm]",
];

/// What separates a rule from its bucketing in a spec: `krum:1+bucket:2`.
pub const BUCKET_SUFFIX: &str = "+bucket:";

/// Stage names after the rule (see the grammar above).
pub const CLIP_STAGE: &str = "clip";
/// ARC clipping.
pub const ARC_STAGE: &str = "arc";
/// Bucketing.
pub const BUCKET_STAGE: &str = "bucket";
/// Nearest-neighbour mixing.
pub const NNM_STAGE: &str = "nnm";
/// Capped sample weighting.
pub const WEIGHTED_STAGE: &str = "weighted";

/// The value a parameter takes when the text leaves it out (in its integer unit).
pub mod defaults {
	/// `trimmed-mean` β = 0.34, parts per billion.
	pub const TRIMMED_MEAN_BETA: u32 = 340_000_000;
	/// `krum` f.
	pub const KRUM_F: u32 = 1;
	/// `multi-krum` f.
	pub const MULTI_KRUM_F: u32 = 1;
	/// `multi-krum` m.
	pub const MULTI_KRUM_M: u32 = 1;
	/// `bulyan` f.
	pub const BULYAN_F: u32 = 1;
	/// `geometric-median` iterations.
	pub const GEOMETRIC_MEDIAN_ITERS: u32 = 8;
	/// `geometric-median` ν = 0.000001, micro units.
	pub const GEOMETRIC_MEDIAN_EPS: u32 = 1;
	/// `centered-clipping` τ = 0.5, micro units.
	pub const CENTERED_CLIPPING_TAU: u32 = 500_000;
	/// `centered-clipping` iterations.
	pub const CENTERED_CLIPPING_ITERS: u32 = 3;
	/// `norm-bounding` maximum norm = 1, micro units.
	pub const NORM_BOUNDING_MAX_NORM: u32 = 1_000_000;
	/// `+arc` f.
	pub const ARC_F: u32 = 1;
	/// `+nnm` f.
	pub const NNM_F: u32 = 1;
	/// `+weighted` cap = 2 (twice the median count), micro units.
	pub const WEIGHTED_CAP: u32 = 2_000_000;
}

/// The unit a parameter's text is converted into.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unit {
	/// A plain unsigned integer.
	Count,
	/// A decimal with up to 9 places, in parts per billion.
	Ppb,
	/// A decimal with up to 6 places, in micro units.
	Micro,
}

impl Unit {
	/// Decimal places the unit holds (0 for a count).
	fn places(self) -> u32 {
		match self {
			Self::Count => 0,
			Self::Ppb => 9,
			Self::Micro => 6,
		}
	}
}

/// One parameter of a rule: its name, unit and default.
struct Param {
	name: &'static str,
	unit: Unit,
	default: u32,
}

const fn param(name: &'static str, unit: Unit, default: u32) -> Param {
	Param {
		name,
		unit,
		default,
	}
}

/// The parameters of each rule, in text order (same order as [`RULE_NAMES`]).
const SIGNATURES: [&[Param]; 9] = {
	use defaults::*;
	use Unit::*;
	[
		&[],
		&[],
		&[param("beta", Ppb, TRIMMED_MEAN_BETA)],
		&[param("f", Count, KRUM_F)],
		&[
			param("f", Count, MULTI_KRUM_F),
			param("m", Count, MULTI_KRUM_M),
		],
		&[param("f", Count, BULYAN_F)],
		&[
			param("iters", Count, GEOMETRIC_MEDIAN_ITERS),
			param("eps", Micro, GEOMETRIC_MEDIAN_EPS),
		],
		&[
			param("tau", Micro, CENTERED_CLIPPING_TAU),
			param("iters", Count, CENTERED_CLIPPING_ITERS),
		],
		&[param("max_norm", Micro, NORM_BOUNDING_MAX_NORM)],
	]
};

/// Index of the rule in [`RULE_NAMES`] and its parameters in text order.
fn split(rule: &AggregationRule) -> (usize, [u32; 2]) {
	use AggregationRule::*;
	match *rule {
		FedAvg => (0, [0, 0]),
		Median => (1, [0, 0]),
		TrimmedMean { beta } => (2, [beta, 0]),
		Krum { f } => (3, [f, 0]),
		MultiKrum { f, m } => (4, [f, m]),
		Bulyan { f } => (5, [f, 0]),
		GeometricMedian { iters, eps } => (6, [iters, eps]),
		CenteredClipping { tau, iters } => (7, [tau, iters]),
		NormBounding { max_norm } => (8, [max_norm, 0]),
	}
}

/// The rule with index `index` in [`RULE_NAMES`] and parameters `p` in text order.
fn build(index: usize, p: [u32; 2]) -> AggregationRule {
	use AggregationRule::*;
	match index {
		0 => FedAvg,
		1 => Median,
		2 => TrimmedMean { beta: p[0] },
		3 => Krum { f: p[0] },
		4 => MultiKrum { f: p[0], m: p[1] },
		5 => Bulyan { f: p[0] },
		6 => GeometricMedian {
			iters: p[0],
			eps: p[1],
		},
		7 => CenteredClipping {
			tau: p[0],
			iters: p[1],
		},
		_ => NormBounding { max_norm: p[0] },
	}
}

impl AggregationRule {
	/// The rule's name, e.g. `"geometric-median"` (without parameters; `to_string()` has them).
	pub fn name(&self) -> &'static str {
		RULE_NAMES[split(self).0]
	}
}

/// Why a parameter's text is not a value of its unit.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NumberError {
	/// Not an unsigned decimal integer (`[0-9]+`).
	NotAnInteger,
	/// Not a plain decimal (`[0-9]+` or `[0-9]+.[0-9]+`).
	NotADecimal,
	/// More decimal places than the unit holds.
	TooManyDecimals {
		/// Decimal places the unit holds (6 for micro units, 9 for parts per billion).
		max: u32,
	},
	/// The value does not fit a `u32` in its unit.
	Overflow,
}

impl fmt::Display for NumberError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::NotAnInteger => write!(f, "not an unsigned integer"),
			Self::NotADecimal => write!(f, "not a plain decimal number such as 0.5"),
			Self::TooManyDecimals { max } => write!(f, "more than {max} decimal places"),
			Self::Overflow => write!(f, "too large"),
		}
	}
}

/// Why a text is not an [`AggregationRule`] or [`AggregationSpec`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RuleParseError {
	/// The rule name is not one of [`RULE_NAMES`].
	UnknownRule {
		/// The name as given.
		name: String,
	},
	/// More `:`-separated parameters than the rule takes.
	TooManyParameters {
		/// The rule.
		rule: &'static str,
		/// The first parameter too many, as given.
		token: String,
	},
	/// A parameter (of the rule or of a stage) is not a value of its unit.
	BadParameter {
		/// The rule, or the stage (`"bucket"`, `"clip"`, …).
		rule: &'static str,
		/// The parameter's name.
		param: &'static str,
		/// The parameter as given.
		token: String,
		/// What is wrong with it.
		error: NumberError,
	},
	/// Something other than the pipeline's stages, in their order, follows the rule.
	BadSuffix {
		/// Everything from the `+` on.
		token: String,
	},
}

/// The syntax of each pipeline stage (same order as the stages in the grammar), for errors.
const STAGE_SYNTAX: [(&str, &str); 5] = [
	(CLIP_STAGE, "RULE+clip:max_norm"),
	(ARC_STAGE, "RULE+arc[:f]"),
	(BUCKET_STAGE, "RULE+bucket:S"),
	(NNM_STAGE, "RULE+nnm[:f]"),
	(WEIGHTED_STAGE, "RULE+weighted[:cap]"),
];

impl RuleParseError {
	fn syntax(rule: &str) -> &'static str {
		match RULE_NAMES.iter().position(|n| *n == rule) {
			Some(i) => RULE_SYNTAX[i],
			None => STAGE_SYNTAX
				.iter()
				.find(|(stage, _)| *stage == rule)
				.map_or("RULE+bucket:S", |(_, syntax)| syntax),
		}
	}
}

impl fmt::Display for RuleParseError {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::UnknownRule { name } => {
				write!(f, "unknown aggregation rule {name:?}; valid rules: ")?;
				for (i, syntax) in RULE_SYNTAX.iter().enumerate() {
					let sep = if i == 0 { "" } else { ", " };
					write!(f, "{sep}{syntax}")?;
				}
				write!(
					f,
					", each optionally followed by +clip:N or +arc[:f], +bucket:S or +nnm[:f], \
					 +weighted[:cap]"
				)
			}
			Self::TooManyParameters { rule, token } => write!(
				f,
				"too many parameters for {rule} at {token:?} (syntax: {})",
				Self::syntax(rule)
			),
			Self::BadParameter {
				rule,
				param,
				token,
				error,
			} => write!(
				f,
				"bad {rule} parameter {param} {token:?}: {error} (syntax: {})",
				Self::syntax(rule)
			),
			Self::BadSuffix { token } => write!(
				f,
				"unexpected {token:?} after the rule; only +clip:N or +arc[:f], then +bucket:S or \
				 +nnm[:f], then +weighted[:cap] may follow it, in that order"
			),
		}
	}
}

#[cfg(feature = "std")]
impl std::error::Error for RuleParseError {}

/// Parses `[0-9]+` into a `u32`.
fn parse_count(text: &str) -> Result<u32, NumberError> {
	if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
		return Err(NumberError::NotAnInteger);
	}
	text.bytes().try_fold(0u32, |acc, b| {
		acc.checked_mul(10)
			.and_then(|acc| acc.checked_add(u32::from(b - b'0')))
			.ok_or(NumberError::Overflow)
	})
}

/// Parses `[0-9]+(.[0-9]+)?` exactly into units of `10^-places`.
fn parse_fixed(text: &str, places: u32) -> Result<u32, NumberError> {
	let (int, frac) = match text.split_once('.') {
		Some((int, frac)) => (int, frac),
		None => (text, ""),
	};
	let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
	if !digits(int) || (text.contains('.') && !digits(frac)) {
		return Err(NumberError::NotADecimal);
	}
	if frac.len() > places as usize {
		return Err(NumberError::TooManyDecimals { max: places });
	}
	let mut whole: u64 = 0;
	for b in int.bytes() {
		whole = whole * 10 + u64::from(b - b'0');
		if whole > u64::from(u32::MAX) {
			return Err(NumberError::Overflow);
		}
	}
	let mut fraction: u64 = 0;
	for b in frac.bytes() {
		fraction = fraction * 10 + u64::from(b - b'0');
	}
	// `frac` has at most `places` digits; pad it to exactly `places`.
	fraction *= 10u64.pow(places - frac.len() as u32);
	let units = whole * 10u64.pow(places) + fraction;
	u32::try_from(units).map_err(|_| NumberError::Overflow)
}

fn parse_value(text: &str, unit: Unit) -> Result<u32, NumberError> {
	match unit {
		Unit::Count => parse_count(text),
		Unit::Ppb | Unit::Micro => parse_fixed(text, unit.places()),
	}
}

/// Writes `value` units of `10^-places` as a decimal without trailing zeros.
fn write_value(f: &mut fmt::Formatter<'_>, value: u32, unit: Unit) -> fmt::Result {
	let places = unit.places();
	let scale = 10u32.pow(places);
	let (whole, mut fraction) = (value / scale, value % scale);
	if fraction == 0 {
		return write!(f, "{whole}");
	}
	let mut width = places as usize;
	while fraction % 10 == 0 {
		fraction /= 10;
		width -= 1;
	}
	write!(f, "{whole}.{fraction:0width$}")
}

impl FromStr for AggregationRule {
	type Err = RuleParseError;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let mut parts = s.split(':');
		let name = parts.next().unwrap_or_default();
		let index = RULE_NAMES.iter().position(|n| *n == name).ok_or_else(|| {
			RuleParseError::UnknownRule {
				name: name.to_string(),
			}
		})?;
		let rule = RULE_NAMES[index];
		let signature = SIGNATURES[index];
		let mut values = [0u32; 2];
		for (value, p) in values.iter_mut().zip(signature) {
			*value = p.default;
		}
		for (i, token) in parts.enumerate() {
			let Some(p) = signature.get(i) else {
				return Err(RuleParseError::TooManyParameters {
					rule,
					token: token.to_string(),
				});
			};
			values[i] =
				parse_value(token, p.unit).map_err(|error| RuleParseError::BadParameter {
					rule,
					param: p.name,
					token: token.to_string(),
					error,
				})?;
		}
		Ok(build(index, values))
	}
}

impl fmt::Display for AggregationRule {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		let (index, values) = split(self);
		f.write_str(RULE_NAMES[index])?;
		for (p, value) in SIGNATURES[index].iter().zip(values) {
			f.write_str(":")?;
			write_value(f, value, p.unit)?;
		}
		Ok(())
	}
}

/// The stages that may follow the rule in a spec: (name, stage rank, parameter, default).
/// A stage's parameter is given after a `:`; `None` as default means it must be given.
const STAGES: [(&str, u8, Param, Option<u32>); 5] = {
	use Unit::*;
	[
		(CLIP_STAGE, 0, param("max_norm", Micro, 0), None),
		(ARC_STAGE, 0, param("f", Count, 0), Some(defaults::ARC_F)),
		(BUCKET_STAGE, 1, param("s", Count, 0), None),
		(NNM_STAGE, 1, param("f", Count, 0), Some(defaults::NNM_F)),
		(
			WEIGHTED_STAGE,
			2,
			param("cap", Micro, 0),
			Some(defaults::WEIGHTED_CAP),
		),
	]
};

/// Whether `rest` (from a `+` on) starts with a stage name, ended by `:`, `+` or the text's end.
fn starts_with_stage(rest: &str) -> bool {
	let name = rest[1..].split([':', '+']).next().unwrap_or_default();
	STAGES.iter().any(|st| st.0 == name)
}

impl FromStr for AggregationSpec {
	type Err = RuleParseError;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		let Some(plus) = s.find('+') else {
			return Ok(Self::plain(s.parse()?));
		};
		let rule = match s[..plus].parse() {
			Ok(rule) => rule,
			// `+` is not part of any rule's text: either stages follow a bad rule (report the
			// rule), or the `+` belongs to a bad parameter (`krum:+1`: report the whole text).
			Err(e) if starts_with_stage(&s[plus..]) => return Err(e),
			Err(_) => return Err(s.parse::<AggregationRule>().unwrap_err()),
		};
		let mut pieces = s.split('+');
		pieces.next();
		let mut spec = Self::plain(rule);
		let mut next_rank = 0u8;
		// Byte offset of the current piece's `+`, for error tokens that quote the rest.
		let mut at = s.find('+').unwrap_or(s.len());
		for piece in pieces {
			let rest = || s[at..].to_string();
			let (name, value) = match piece.split_once(':') {
				Some((name, value)) => (name, Some(value)),
				None => (piece, None),
			};
			let Some((stage, rank, p, default)) = STAGES.iter().find(|st| st.0 == name) else {
				return Err(RuleParseError::BadSuffix { token: rest() });
			};
			if *rank < next_rank {
				return Err(RuleParseError::BadSuffix { token: rest() });
			}
			next_rank = rank + 1;
			let bad = |token: &str, error| RuleParseError::BadParameter {
				rule: stage,
				param: p.name,
				token: token.to_string(),
				error,
			};
			let v = match (value, default) {
				(Some(text), _) => parse_value(text, p.unit).map_err(|e| bad(text, e))?,
				(None, Some(d)) => *d,
				(None, None) => parse_value("", p.unit).map_err(|e| bad("", e))?,
			};
			match *stage {
				CLIP_STAGE => spec.clipping = Some(Clipping::Fixed { max_norm: v }),
				ARC_STAGE => spec.clipping = Some(Clipping::Adaptive { f: v }),
				BUCKET_STAGE => spec.mixing = Some(Mixing::Bucketing { size: v }),
				NNM_STAGE => spec.mixing = Some(Mixing::NearestNeighbours { f: v }),
				_ => spec.weighting = SampleWeighting::Capped { cap: v },
			}
			at += 1 + piece.len();
		}
		Ok(spec)
	}
}

impl fmt::Display for AggregationSpec {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		write!(f, "{}", self.rule)?;
		let stage = |f: &mut fmt::Formatter<'_>, name: &str, v: u32, unit: Unit| {
			write!(f, "+{name}:")?;
			write_value(f, v, unit)
		};
		match self.clipping {
			Some(Clipping::Fixed { max_norm }) => stage(f, CLIP_STAGE, max_norm, Unit::Micro)?,
			Some(Clipping::Adaptive { f: byz }) => stage(f, ARC_STAGE, byz, Unit::Count)?,
			None => {}
		}
		match self.mixing {
			Some(Mixing::Bucketing { size }) => stage(f, BUCKET_STAGE, size, Unit::Count)?,
			Some(Mixing::NearestNeighbours { f: byz }) => stage(f, NNM_STAGE, byz, Unit::Count)?,
			None => {}
		}
		if let SampleWeighting::Capped { cap } = self.weighting {
			stage(f, WEIGHTED_STAGE, cap, Unit::Micro)?;
		}
		Ok(())
	}
}

// The units the text grammar converts into are the crate's units.
const _: () = assert!(10u32.pow(9) == PARTS_PER_BILLION && 10u32.pow(6) == MICRO);

#[cfg(test)]
mod tests {
	use super::*;
	use alloc::string::ToString;

	#[test]
	fn fixed_point_is_exact() {
		assert_eq!(parse_fixed("0.34", 9), Ok(340_000_000));
		assert_eq!(parse_fixed("0.000000001", 9), Ok(1));
		assert_eq!(parse_fixed("4.294967295", 9), Ok(u32::MAX));
		assert_eq!(parse_fixed("4.294967296", 9), Err(NumberError::Overflow));
		assert_eq!(
			parse_fixed("0.0000000001", 9),
			Err(NumberError::TooManyDecimals { max: 9 })
		);
		assert_eq!(parse_fixed("4294.967295", 6), Ok(u32::MAX));
		assert_eq!(
			parse_fixed("99999999999999999999", 6),
			Err(NumberError::Overflow)
		);
		assert_eq!(parse_fixed("007.50", 6), Ok(7_500_000));
		for bad in [
			"", ".", ".5", "5.", "1e-6", "+1", "-1", " 1", "1,5", "0x1", "1.2.3",
		] {
			assert_eq!(
				parse_fixed(bad, 6),
				Err(NumberError::NotADecimal),
				"{bad:?}"
			);
		}
		assert_eq!(parse_count("4294967295"), Ok(u32::MAX));
		assert_eq!(parse_count("4294967296"), Err(NumberError::Overflow));
		for bad in ["", "+1", "1.0", " 1", "٣"] {
			assert_eq!(parse_count(bad), Err(NumberError::NotAnInteger), "{bad:?}");
		}
	}

	#[test]
	fn every_variant_has_a_name_in_order() {
		for (i, name) in RULE_NAMES.iter().enumerate() {
			let rule = build(i, [7, 9]);
			assert_eq!(rule.name(), *name);
			assert_eq!(split(&rule).0, i);
			assert!(RULE_SYNTAX[i].starts_with(name));
			assert_eq!(rule.to_string().parse::<AggregationRule>(), Ok(rule));
		}
	}
}
