#!/usr/bin/env bash
# Regenerates every fedledger pallet's `weights.rs` by running its benchmarks on this machine.
#
# The node binary carries no benchmarking CLI (it would pull Polkadot and Cumulus crates into
# every build). Instead this script builds the runtime wasm with `runtime-benchmarks` and
# runs it with `frame-omni-bencher` from the same polkadot-sdk line (stable2609), installed
# once into ~/.cache/fedledger/tools.
#
#   scripts/benchmark-weights.sh                                  # all three pallets
#   STEPS=10 REPEAT=5 scripts/benchmark-weights.sh pallet_model_registry
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(pallet_model_registry pallet_gradient_commitments pallet_contribution_rewards)

TOOLS="$HOME/.cache/fedledger/tools"
BENCHER="$TOOLS/bin/frame-omni-bencher"
if [ ! -x "$BENCHER" ]; then
	# Its dependency tree builds RocksDB through bindgen, which needs libclang (the node itself
	# has no RocksDB and needs neither).
	apt_install_missing libclang-dev clang
	echo "== installing frame-omni-bencher 0.28.0 (stable2609) into $TOOLS"
	# Its own test runtime's wasm build must not be pointed at this workspace's Cargo.lock
	# (scripts/env.sh sets the hint for the fedledger runtime).
	env -u WASM_BUILD_WORKSPACE_HINT CARGO_TARGET_DIR="$HOME/.cache/fedledger/target-bencher" \
		cargo install --locked frame-omni-bencher@0.28.0 --root "$TOOLS"
fi

echo "== building the runtime wasm with runtime-benchmarks"
# `check` runs the build script, which compiles the wasm; the native crates are only checked.
cargo check --release --locked -p fedledger-runtime --features runtime-benchmarks
WASM="$CARGO_TARGET_DIR/release/wbuild/fedledger-runtime/fedledger_runtime.compact.compressed.wasm"
[ -f "$WASM" ] || { echo "runtime wasm not found at $WASM" >&2; exit 1; }

for pallet in "${PALLETS[@]}"; do
	dir="pallets/$(echo "${pallet#pallet_}" | tr _ -)"
	[ -d "$dir" ] || { echo "no directory $dir for $pallet" >&2; exit 1; }
	echo "== $pallet → $dir/src/weights.rs"
	"$BENCHER" v1 benchmark pallet \
		--runtime "$WASM" \
		--genesis-builder runtime \
		--genesis-builder-preset development \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--heap-pages 4096 \
		--template scripts/weight-template.hbs \
		--output "$dir/src/weights.rs"
done
