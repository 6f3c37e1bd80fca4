//! Per-round CSV and an SVG accuracy plot.

use std::io::Write;
use std::path::Path;

use plotters::prelude::*;

use crate::run::{RoundRecord, SimOutcome};

/// CSV header of [`write_csv`].
pub const CSV_HEADER: &str = "round,test_accuracy,test_loss,train_loss,accepted_count,\
byzantine_accepted,dropped_stale,mean_staleness,honest_score_mean,byzantine_score_mean,\
members,accepted,byzantine,scores";

fn join<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
	items.iter().map(f).collect::<Vec<_>>().join(";")
}

/// One CSV line for a round (lists are `;`-separated, aligned with `members`).
pub fn csv_line(r: &RoundRecord) -> String {
	format!(
		"{},{:.6},{:.6},{:.6},{},{},{},{:.3},{:.6},{:.6},{},{},{},{}",
		r.round,
		r.eval.accuracy,
		r.eval.loss,
		r.train_loss,
		r.accepted_count(),
		r.byzantine_accepted(),
		r.dropped_stale,
		r.mean_staleness,
		r.mean_score(false),
		r.mean_score(true),
		join(&r.members, |m| m.to_string()),
		join(&r.accepted, |&a| u8::from(a).to_string()),
		join(&r.byzantine, |&b| u8::from(b).to_string()),
		join(&r.scores, |s| format!("{s:.6}")),
	)
}

/// Writes the initial model (round 0) and every round.
pub fn write_csv(path: &Path, outcome: &SimOutcome) -> std::io::Result<()> {
	let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
	writeln!(out, "{CSV_HEADER}")?;
	writeln!(
		out,
		"0,{:.6},{:.6},,0,0,0,0,,,,,,",
		outcome.initial.accuracy, outcome.initial.loss
	)?;
	for r in &outcome.rounds {
		writeln!(out, "{}", csv_line(r))?;
	}
	out.flush()
}

/// Draws test accuracy per round for one or more runs into an SVG file.
///
/// SVG needs no font or image system libraries, so this works on a bare Debian.
pub fn write_accuracy_plot(
	path: &Path,
	title: &str,
	series: &[(String, Vec<(usize, f64)>)],
) -> Result<(), String> {
	let max_round = series
		.iter()
		.flat_map(|(_, s)| s.iter().map(|p| p.0))
		.max()
		.unwrap_or(1)
		.max(1);
	let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
	let err = |e: &dyn std::fmt::Display| e.to_string();
	root.fill(&WHITE).map_err(|e| err(&e))?;
	let mut chart = ChartBuilder::on(&root)
		.caption(title, ("sans-serif", 22))
		.margin(16)
		.x_label_area_size(40)
		.y_label_area_size(56)
		.build_cartesian_2d(0usize..max_round, 0f64..1f64)
		.map_err(|e| err(&e))?;
	chart
		.configure_mesh()
		.x_desc("round")
		.y_desc("test accuracy")
		.draw()
		.map_err(|e| err(&e))?;
	for (k, (label, points)) in series.iter().enumerate() {
		let color = Palette99::pick(k).to_rgba();
		chart
			.draw_series(LineSeries::new(
				points.iter().copied(),
				color.stroke_width(2),
			))
			.map_err(|e| err(&e))?
			.label(label.clone())
			.legend(move |(x, y)| {
				PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
			});
	}
	chart
		.configure_series_labels()
		.background_style(WHITE.mix(0.85))
		.border_style(BLACK)
		.position(SeriesLabelPosition::LowerRight)
		.draw()
		.map_err(|e| err(&e))?;
	root.present().map_err(|e| err(&e))
}

/// The (round, accuracy) points of an outcome, starting with the initial model at round 0.
pub fn accuracy_series(outcome: &SimOutcome) -> Vec<(usize, f64)> {
	std::iter::once((0, outcome.initial.accuracy))
		.chain(outcome.rounds.iter().map(|r| (r.round, r.eval.accuracy)))
		.collect()
}
