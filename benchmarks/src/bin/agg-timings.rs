//! Times selected rules on selected shapes and prints one JSON object per line, for
//! `compare_numpy.py`.
//!
//! ```text
//! agg-timings [--shapes 100x1000000,1000x100000] [--rules median,trimmed_mean,krum,bulyan]
//!             [--reps 3]
//! ```
//! Each line: `{"rule", "n", "d", "threads", "best_s", "median_s", "reps", "cpu_best_s"}`
//! (wall-clock seconds; `cpu_best_s` is the least process CPU time, all threads, of a run).

use fedledger_benchmarks::{rules_for, synthetic_updates};
use fedledger_ml::aggregation::aggregate;
use std::time::Instant;

fn arg(args: &[String], name: &str, default: &str) -> String {
	args.iter()
		.position(|a| a == name)
		.and_then(|i| args.get(i + 1).cloned())
		.unwrap_or_else(|| default.to_string())
}

/// CPU time of this process in seconds: the sum over its threads of the nanoseconds spent on a
/// CPU (`/proc/self/task/*/schedstat`, first field); `None` where that is not available.
fn process_cpu_seconds() -> Option<f64> {
	let mut ns = 0u64;
	for t in std::fs::read_dir("/proc/self/task").ok()? {
		let s = std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok()?;
		ns += s.split_whitespace().next()?.parse::<u64>().ok()?;
	}
	Some(ns as f64 * 1e-9)
}

fn main() {
	let args: Vec<String> = std::env::args().collect();
	let shapes: Vec<(usize, usize)> = arg(&args, "--shapes", "100x1000000,1000x100000")
		.split(',')
		.map(|s| {
			let (n, d) = s.split_once('x').expect("shape like 100x1000000");
			(n.parse().expect("n"), d.parse().expect("d"))
		})
		.collect();
	let rules: Vec<String> = arg(&args, "--rules", "median,trimmed_mean,krum,bulyan")
		.split(',')
		.map(str::to_string)
		.collect();
	let reps: usize = arg(&args, "--reps", "3").parse().expect("reps");
	for (n, d) in shapes {
		let x = synthetic_updates(n, d, 42);
		let w = vec![1.0f64; n];
		for (name, spec) in rules_for(n) {
			if !rules.iter().any(|r| r == name) {
				continue;
			}
			let mut times = Vec::with_capacity(reps);
			let mut cpu = Vec::with_capacity(reps);
			// One untimed warm-up run (page faults of the output, thread pool start-up).
			std::hint::black_box(aggregate(&spec, x.view(), &w).expect("aggregate"));
			for _ in 0..reps {
				let c = process_cpu_seconds();
				let t = Instant::now();
				std::hint::black_box(aggregate(&spec, x.view(), &w).expect("aggregate"));
				times.push(t.elapsed().as_secs_f64());
				if let (Some(a), Some(b)) = (c, process_cpu_seconds()) {
					cpu.push(b - a);
				}
			}
			times.sort_by(f64::total_cmp);
			cpu.sort_by(f64::total_cmp);
			let line = serde_json::json!({
				"rule": name, "n": n, "d": d,
				"threads": rayon::current_num_threads(),
				"best_s": times[0], "median_s": times[times.len() / 2], "reps": reps,
				"cpu_best_s": cpu.first(),
			});
			println!("{line}");
		}
	}
}
