//! Prometheus metrics of the worker (served on the node's `--prometheus-port`).

use prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, GaugeVec, Histogram, HistogramOpts, Opts,
	PrometheusError, Registry, U64,
};

/// The worker's metrics, all prefixed `fedledger_worker_`.
#[derive(Clone)]
pub struct Metrics {
	pub rounds_seen: Counter<U64>,
	pub rounds_finalized: Counter<U64>,
	pub rounds_failed: Counter<U64>,
	pub updates_revealed: Counter<U64>,
	pub updates_accepted: Counter<U64>,
	pub updates_rejected: Counter<U64>,
	pub training_seconds: Histogram,
	pub aggregation_seconds: Histogram,
	pub model_version: GaugeVec<U64>,
	pub versions_verified: Counter<U64>,
	pub version_mismatches: Counter<U64>,
	pub submissions: CounterVec<U64>,
	pub last_block: Gauge<U64>,
	/// Failed duties, by duty (`follow`, `validate`, `train`, `resend`, `register`, `prune`)
	/// and kind (`error`, `panic`, `over_budget`): counted once per (model, round, duty,
	/// kind), not once per block. Labelled by duty, never by model, so its cardinality is
	/// fixed whatever models get registered.
	pub model_failures: CounterVec<U64>,
	/// Models not followed because they declare more parameters than `--fl-max-params`.
	pub models_over_cap: Counter<U64>,
	/// Heavy duties (training, aggregation, rebuilds) put off to a later wake-up because the
	/// wake-up's time budget was spent.
	pub heavy_deferred: Counter<U64>,
	/// Files the store's retention window deleted.
	pub store_pruned_files: Counter<U64>,
}

fn seconds_histogram(name: &str, help: &str) -> Result<Histogram, PrometheusError> {
	Histogram::with_opts(HistogramOpts::new(name, help).buckets(vec![
		0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
	]))
}

impl Metrics {
	/// Registers the metrics in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		let counter = |name: &str, help: &str| -> Result<Counter<U64>, PrometheusError> {
			register(Counter::new(name, help)?, registry)
		};
		Ok(Self {
			rounds_seen: counter(
				"fedledger_worker_rounds_seen_total",
				"Rounds the worker saw open",
			)?,
			rounds_finalized: counter(
				"fedledger_worker_rounds_finalized_total",
				"Rounds that finalized with a new version",
			)?,
			rounds_failed: counter(
				"fedledger_worker_rounds_failed_total",
				"Rounds that closed without a new version",
			)?,
			updates_revealed: counter(
				"fedledger_worker_updates_revealed_total",
				"Updates revealed in rounds this worker aggregated or rebuilt",
			)?,
			updates_accepted: counter(
				"fedledger_worker_updates_accepted_total",
				"Updates the robust rule accepted",
			)?,
			updates_rejected: counter(
				"fedledger_worker_updates_rejected_total",
				"Updates the robust rule rejected",
			)?,
			training_seconds: register(
				seconds_histogram(
					"fedledger_worker_training_seconds",
					"Local training time per round",
				)?,
				registry,
			)?,
			aggregation_seconds: register(
				seconds_histogram(
					"fedledger_worker_aggregation_seconds",
					"Time to decode, aggregate and hash one round",
				)?,
				registry,
			)?,
			model_version: register(
				GaugeVec::new(
					Opts::new(
						"fedledger_worker_model_version",
						"Latest verified local model version",
					),
					&["model"],
				)?,
				registry,
			)?,
			versions_verified: counter(
				"fedledger_worker_versions_verified_total",
				"Model versions rebuilt or computed locally and matched with the chain",
			)?,
			version_mismatches: counter(
				"fedledger_worker_version_mismatches_total",
				"Model versions whose local rebuild did not match the on-chain hash",
			)?,
			submissions: register(
				CounterVec::new(
					Opts::new(
						"fedledger_worker_submissions_total",
						"Extrinsics the worker signed, by kind",
					),
					&["kind"],
				)?,
				registry,
			)?,
			last_block: register(
				Gauge::new(
					"fedledger_worker_last_block",
					"Best block the worker last processed",
				)?,
				registry,
			)?,
			model_failures: register(
				CounterVec::new(
					Opts::new(
						"fedledger_worker_model_failures_total",
						"Failed duties (once per model, round, duty and kind), by duty and kind",
					),
					&["duty", "kind"],
				)?,
				registry,
			)?,
			models_over_cap: counter(
				"fedledger_worker_models_over_cap_total",
				"Models not followed: more parameters than this node's --fl-max-params",
			)?,
			heavy_deferred: counter(
				"fedledger_worker_heavy_deferred_total",
				"Heavy duties deferred to a later wake-up by the wake-up time budget",
			)?,
			store_pruned_files: counter(
				"fedledger_worker_store_pruned_files_total",
				"Files deleted by the store's retention window",
			)?,
		})
	}
}
