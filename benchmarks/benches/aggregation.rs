//! Criterion benches of every aggregation rule on the n × d grid.
//!
//! `cargo bench -p fedledger-benchmarks --bench aggregation` runs the whole feasible grid
//! (bounded: 10 samples, short measurement); pass a criterion filter such as `median/100x`
//! to run a part. Skipped shapes are printed with the reason.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fedledger_benchmarks::{feasible_shapes, rules_for, skip_reason, synthetic_updates, DS, NS};
use fedledger_ml::aggregation::aggregate;
use std::time::Duration;

fn bench(c: &mut Criterion) {
	for &n in &NS {
		for &d in &DS {
			if let Some(why) = skip_reason(n, d) {
				eprintln!("skipping n={n} d={d}: {why}");
			}
		}
	}
	for (n, d) in feasible_shapes() {
		let x = synthetic_updates(n, d, 42);
		let w = vec![1.0f64; n];
		for (name, spec) in rules_for(n) {
			let mut g = c.benchmark_group(name);
			let big = n * d >= 10_000_000;
			g.sample_size(10)
				.warm_up_time(Duration::from_millis(if big { 200 } else { 500 }))
				.measurement_time(Duration::from_secs(if big { 2 } else { 1 }))
				.throughput(Throughput::Bytes((n * d * 4) as u64));
			g.bench_with_input(
				BenchmarkId::from_parameter(format!("{n}x{d}")),
				&x,
				|b, x| b.iter(|| aggregate(&spec, x.view(), &w).expect("aggregate")),
			);
			g.finish();
		}
	}
}

criterion_group!(benches, bench);
criterion_main!(benches);
