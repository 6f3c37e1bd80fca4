#!/usr/bin/env bash
# Runs every test: formatting, the Rust unit and integration tests, and the end-to-end tests
# that start real nodes and drive them with @polkadot/api.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== build the node, its attacking test variant, fedledger-sim and every test (release)"
bash scripts/build.sh

echo "== cargo test (release, the whole workspace: the build above compiled it all)"
cargo test --release --locked --workspace

echo "== pallet benchmarks, run as tests in the pallets' mock runtimes"
cargo test --release --locked -p pallet-model-registry -p pallet-gradient-commitments \
	-p pallet-contribution-rewards \
	--features pallet-model-registry/runtime-benchmarks,pallet-gradient-commitments/runtime-benchmarks,pallet-contribution-rewards/runtime-benchmarks \
	benchmark

echo "== end-to-end tests (scripts/e2e, real nodes on loopback)"
(cd scripts/e2e && npm test)
