//! The text vocabulary of aggregation rules and specs (`FromStr`/`Display`): examples, the
//! defaults the JavaScript helpers share, the errors, and round trips over every value.

use fedledger_primitives::rules::{
	names::defaults, AggregationRule as R, AggregationSpec, Clipping, Mixing, NumberError,
	RuleParseError, SampleWeighting, MICRO, PARTS_PER_BILLION, RULE_NAMES,
};
use proptest::prelude::*;

fn rule(s: &str) -> R {
	s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn spec(s: &str) -> AggregationSpec {
	s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

#[test]
fn bare_names_take_the_script_defaults() {
	// The same defaults as `parseRule` in scripts/e2e/lib/chain.mjs.
	assert_eq!(rule("fedavg"), R::FedAvg);
	assert_eq!(rule("median"), R::Median);
	assert_eq!(rule("trimmed-mean"), R::TrimmedMean { beta: 340_000_000 });
	assert_eq!(rule("krum"), R::Krum { f: 1 });
	assert_eq!(rule("multi-krum"), R::MultiKrum { f: 1, m: 1 });
	assert_eq!(rule("multi-krum:2"), R::MultiKrum { f: 2, m: 1 });
	assert_eq!(rule("bulyan"), R::Bulyan { f: 1 });
	assert_eq!(
		rule("geometric-median"),
		R::GeometricMedian { iters: 8, eps: 1 }
	);
	assert_eq!(
		rule("geometric-median:20"),
		R::GeometricMedian { iters: 20, eps: 1 }
	);
	assert_eq!(
		rule("centered-clipping"),
		R::CenteredClipping {
			tau: 500_000,
			iters: 3
		}
	);
	assert_eq!(
		rule("centered-clipping:1.5"),
		R::CenteredClipping {
			tau: 1_500_000,
			iters: 3
		}
	);
	assert_eq!(rule("norm-bounding"), R::NormBounding { max_norm: MICRO });
	assert_eq!(defaults::TRIMMED_MEAN_BETA, PARTS_PER_BILLION / 100 * 34);
	assert_eq!(defaults::GEOMETRIC_MEDIAN_EPS, 1);
}

#[test]
fn parameters_are_exact_decimals() {
	assert_eq!(
		rule("trimmed-mean:0.25"),
		R::TrimmedMean { beta: 250_000_000 }
	);
	assert_eq!(rule("trimmed-mean:0.000000001"), R::TrimmedMean { beta: 1 });
	assert_eq!(
		rule("trimmed-mean:0.1"),
		R::TrimmedMean { beta: 100_000_000 }
	);
	assert_eq!(rule("trimmed-mean:0"), R::TrimmedMean { beta: 0 });
	assert_eq!(rule("krum:2"), R::Krum { f: 2 });
	assert_eq!(rule("multi-krum:1:9"), R::MultiKrum { f: 1, m: 9 });
	assert_eq!(
		rule("geometric-median:5:0.000001"),
		R::GeometricMedian { iters: 5, eps: 1 }
	);
	assert_eq!(
		rule("geometric-median:5:0.01"),
		R::GeometricMedian {
			iters: 5,
			eps: 10_000
		}
	);
	assert_eq!(
		rule("centered-clipping:0.5:10"),
		R::CenteredClipping {
			tau: 500_000,
			iters: 10
		}
	);
	assert_eq!(
		rule("norm-bounding:1"),
		R::NormBounding {
			max_norm: 1_000_000
		}
	);
	assert_eq!(
		rule("norm-bounding:2.75"),
		R::NormBounding {
			max_norm: 2_750_000
		}
	);
	assert_eq!(
		rule("norm-bounding:4294.967295"),
		R::NormBounding { max_norm: u32::MAX }
	);
}

#[test]
fn specs_take_a_bucket_suffix() {
	assert_eq!(spec("median"), AggregationSpec::plain(R::Median));
	assert_eq!(
		spec("krum:2+bucket:2"),
		AggregationSpec::bucketed(R::Krum { f: 2 }, 2)
	);
	assert_eq!(
		spec("krum+bucket:3"),
		AggregationSpec::bucketed(R::Krum { f: 1 }, 3)
	);
	// Parsing accepts a zero bucket size; validation refuses it.
	assert_eq!(spec("fedavg+bucket:0").bucket_size(), Some(0));
	assert!(spec("fedavg+bucket:0").validate(10).is_err());
	// Likewise β ≥ 50 % parses and fails validation.
	assert!(spec("trimmed-mean:0.5").validate(10).is_err());
}

#[test]
fn specs_take_the_pipeline_stages_in_order() {
	assert_eq!(
		spec("median+arc+nnm+weighted"),
		AggregationSpec {
			clipping: Some(Clipping::Adaptive { f: 1 }),
			mixing: Some(Mixing::NearestNeighbours { f: 1 }),
			weighting: SampleWeighting::Capped { cap: 2 * MICRO },
			..AggregationSpec::plain(R::Median)
		}
	);
	assert_eq!(
		spec("krum:2+clip:0.5+bucket:2+weighted:1.5"),
		AggregationSpec {
			clipping: Some(Clipping::Fixed {
				max_norm: MICRO / 2
			}),
			weighting: SampleWeighting::Capped { cap: 1_500_000 },
			..AggregationSpec::bucketed(R::Krum { f: 2 }, 2)
		}
	);
	assert_eq!(spec("median+arc:5+nnm:5").to_string(), "median+arc:5+nnm:5");
	// Out of order, repeated, or both of one stage's alternatives: refused.
	for bad in [
		"median+bucket:2+arc",
		"median+nnm+bucket:2",
		"median+arc+clip:1",
		"median+weighted+weighted",
		"median+clip",
		"median+clip:x",
	] {
		assert!(bad.parse::<AggregationSpec>().is_err(), "{bad:?} parsed");
	}
}

#[test]
fn display_is_canonical_with_every_parameter() {
	let cases = [
		("fedavg", "fedavg"),
		("trimmed-mean", "trimmed-mean:0.34"),
		("trimmed-mean:0.340000000", "trimmed-mean:0.34"),
		("trimmed-mean:00.5", "trimmed-mean:0.5"),
		("krum", "krum:1"),
		("krum:007", "krum:7"),
		("multi-krum", "multi-krum:1:1"),
		("bulyan:2", "bulyan:2"),
		("geometric-median", "geometric-median:8:0.000001"),
		("centered-clipping", "centered-clipping:0.5:3"),
		("centered-clipping:1.50", "centered-clipping:1.5:3"),
		("norm-bounding", "norm-bounding:1"),
		("norm-bounding:1.0", "norm-bounding:1"),
		("median+bucket:2", "median+bucket:2"),
		(
			"geometric-median+bucket:02",
			"geometric-median:8:0.000001+bucket:2",
		),
	];
	for (text, canonical) in cases {
		assert_eq!(spec(text).to_string(), canonical, "{text:?}");
		assert_eq!(spec(canonical).to_string(), canonical);
	}
	for name in RULE_NAMES {
		assert_eq!(rule(name).name(), name);
		assert!(rule(name).to_string().starts_with(name));
	}
}

#[test]
fn errors_name_the_bad_token() {
	let err = |s: &str| s.parse::<AggregationSpec>().unwrap_err();
	assert_eq!(
		err("geomed"),
		RuleParseError::UnknownRule {
			name: "geomed".into()
		}
	);
	let text = err("geomed").to_string();
	assert!(text.contains("\"geomed\""), "{text}");
	for name in RULE_NAMES {
		assert!(text.contains(name), "{text} lacks {name}");
	}
	assert!(text.contains("+bucket:"), "{text}");
	assert_eq!(
		err("Krum"),
		RuleParseError::UnknownRule {
			name: "Krum".into()
		}
	);
	assert_eq!(err(""), RuleParseError::UnknownRule { name: "".into() });
	assert_eq!(
		err("fedavg:1"),
		RuleParseError::TooManyParameters {
			rule: "fedavg",
			token: "1".into()
		}
	);
	assert_eq!(
		err("krum:1:2"),
		RuleParseError::TooManyParameters {
			rule: "krum",
			token: "2".into()
		}
	);
	assert_eq!(
		err("krum:"),
		RuleParseError::BadParameter {
			rule: "krum",
			param: "f",
			token: "".into(),
			error: NumberError::NotAnInteger
		}
	);
	assert_eq!(
		err("krum:-1"),
		RuleParseError::BadParameter {
			rule: "krum",
			param: "f",
			token: "-1".into(),
			error: NumberError::NotAnInteger
		}
	);
	assert_eq!(
		err("krum:+1"),
		RuleParseError::BadParameter {
			rule: "krum",
			param: "f",
			token: "+1".into(),
			error: NumberError::NotAnInteger
		}
	);
	assert_eq!(
		err("median+"),
		RuleParseError::BadSuffix { token: "+".into() }
	);
	assert_eq!(
		err("median+bucket:2:3"),
		RuleParseError::BadParameter {
			rule: "bucket",
			param: "s",
			token: "2:3".into(),
			error: NumberError::NotAnInteger
		}
	);
	assert_eq!(
		err("krum:4294967296"),
		RuleParseError::BadParameter {
			rule: "krum",
			param: "f",
			token: "4294967296".into(),
			error: NumberError::Overflow
		}
	);
	assert_eq!(
		err("trimmed-mean:0.0000000001"),
		RuleParseError::BadParameter {
			rule: "trimmed-mean",
			param: "beta",
			token: "0.0000000001".into(),
			error: NumberError::TooManyDecimals { max: 9 }
		}
	);
	assert_eq!(
		err("geometric-median:8:1e-6"),
		RuleParseError::BadParameter {
			rule: "geometric-median",
			param: "eps",
			token: "1e-6".into(),
			error: NumberError::NotADecimal
		}
	);
	assert_eq!(
		err("geometric-median:8:0.0000001"),
		RuleParseError::BadParameter {
			rule: "geometric-median",
			param: "eps",
			token: "0.0000001".into(),
			error: NumberError::TooManyDecimals { max: 6 }
		}
	);
	assert_eq!(
		err("norm-bounding:4294.967296"),
		RuleParseError::BadParameter {
			rule: "norm-bounding",
			param: "max_norm",
			token: "4294.967296".into(),
			error: NumberError::Overflow
		}
	);
	assert_eq!(
		err("median+bucket:x"),
		RuleParseError::BadParameter {
			rule: "bucket",
			param: "s",
			token: "x".into(),
			error: NumberError::NotAnInteger
		}
	);
	// A stage given twice (or out of order) is a suffix that may not follow.
	assert_eq!(
		err("median+bucket:2+bucket:3"),
		RuleParseError::BadSuffix {
			token: "+bucket:3".into()
		}
	);
	assert_eq!(
		err("median+buckets:2"),
		RuleParseError::BadSuffix {
			token: "+buckets:2".into()
		}
	);
	let text = err("centered-clipping:fast").to_string();
	assert!(text.contains("\"fast\"") && text.contains("tau"), "{text}");
	assert!(text.contains("centered-clipping[:tau[:iters]]"), "{text}");
	// A rule alone does not take a suffix.
	assert!("median+bucket:2".parse::<R>().is_err());
}

fn any_rule() -> impl Strategy<Value = R> {
	let n = any::<u32>;
	prop_oneof![
		Just(R::FedAvg),
		Just(R::Median),
		n().prop_map(|beta| R::TrimmedMean { beta }),
		n().prop_map(|f| R::Krum { f }),
		(n(), n()).prop_map(|(f, m)| R::MultiKrum { f, m }),
		n().prop_map(|f| R::Bulyan { f }),
		(n(), n()).prop_map(|(iters, eps)| R::GeometricMedian { iters, eps }),
		(n(), n()).prop_map(|(tau, iters)| R::CenteredClipping { tau, iters }),
		n().prop_map(|max_norm| R::NormBounding { max_norm }),
		// Small and round values, where trailing-zero stripping matters.
		(0u32..4, 0u32..1000).prop_map(|(k, v)| R::TrimmedMean {
			beta: v * 10u32.pow(k * 2)
		}),
		(0u32..4, 0u32..1000).prop_map(|(k, v)| R::NormBounding {
			max_norm: v * 10u32.pow(k * 2)
		}),
	]
}

fn any_spec() -> impl Strategy<Value = AggregationSpec> {
	let n = any::<u32>;
	let clipping = proptest::option::of(prop_oneof![
		n().prop_map(|max_norm| Clipping::Fixed { max_norm }),
		n().prop_map(|f| Clipping::Adaptive { f }),
	]);
	let mixing = proptest::option::of(prop_oneof![
		n().prop_map(|size| Mixing::Bucketing { size }),
		n().prop_map(|f| Mixing::NearestNeighbours { f }),
	]);
	let weighting = prop_oneof![
		Just(SampleWeighting::Unweighted),
		n().prop_map(|cap| SampleWeighting::Capped { cap }),
	];
	(any_rule(), clipping, mixing, weighting).prop_map(|(rule, clipping, mixing, weighting)| {
		AggregationSpec {
			rule,
			clipping,
			mixing,
			weighting,
		}
	})
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(4096))]

	/// `parse(display(x)) == x` for every rule and spec, and display of that is the same text.
	#[test]
	fn display_parse_round_trip(spec in any_spec()) {
		let text = spec.to_string();
		let parsed: AggregationSpec = text.parse().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
		prop_assert_eq!(parsed, spec);
		prop_assert_eq!(parsed.to_string(), text.clone());
		let rule_text = spec.rule.to_string();
		prop_assert_eq!(rule_text.parse::<R>(), Ok(spec.rule));
		prop_assert!(!rule_text.contains('+'));
	}

	/// Any text either fails to parse or parses to a value whose display parses back to it.
	#[test]
	fn parsing_never_panics(text in "[a-z+:.0-9-]{0,40}") {
		if let Ok(spec) = text.parse::<AggregationSpec>() {
			prop_assert_eq!(spec.to_string().parse::<AggregationSpec>(), Ok(spec));
		}
	}

	/// Text built from the grammar always parses.
	#[test]
	fn grammar_texts_parse(
		name in prop::sample::select(RULE_NAMES.to_vec()),
		a in 0u32..100_000,
		b in 0u32..1000,
		w in 0u32..4,
		frac in "[0-9]{1,6}",
		bucket in proptest::option::of(0u32..64),
	) {
		let params: Vec<String> = match name {
			"fedavg" | "median" => vec![],
			"trimmed-mean" | "norm-bounding" => vec![format!("{w}.{frac}")],
			"krum" | "bulyan" => vec![a.to_string()],
			"multi-krum" => vec![a.to_string(), b.to_string()],
			"geometric-median" => vec![a.to_string(), format!("{w}.{frac}")],
			_ => vec![format!("{w}.{frac}"), a.to_string()],
		};
		let mut text = name.to_string();
		for p in &params {
			text.push(':');
			text.push_str(p);
		}
		if let Some(s) = bucket {
			text.push_str(&format!("+bucket:{s}"));
		}
		let spec: AggregationSpec = text.parse().map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
		prop_assert_eq!(spec.rule.name(), name);
		prop_assert_eq!(spec.bucket_size(), bucket);
		// The decimal lands exactly in its unit.
		let padded = |places: usize| format!("{frac:0<places$}").parse::<u32>().unwrap();
		match spec.rule {
			R::TrimmedMean { beta } => prop_assert_eq!(beta, w * PARTS_PER_BILLION + padded(9)),
			R::NormBounding { max_norm } => prop_assert_eq!(max_norm, w * MICRO + padded(6)),
			R::CenteredClipping { tau, iters } => {
				prop_assert_eq!(tau, w * MICRO + padded(6));
				prop_assert_eq!(iters, a);
			}
			_ => {}
		}
	}
}
