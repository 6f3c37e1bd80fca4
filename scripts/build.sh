#!/usr/bin/env bash
# Builds, in release mode, every target of the workspace: the node (and with it the runtime
# wasm), `fedledger-sim` (the evaluation and simulation CLI), every test and bench, and
# `fedledger-node-attacks` — the same node with the `attacks` feature, whose `--fl-attack`
# makes a trainer poison its updates and `--fl-lie` makes a validator lie in its reports. The attacking variant exists for the local testnet, the
# demo and the end-to-end tests only; the production binary `fedledger-node` cannot attack.
#
# Why every target, also for the demo: cargo resolves features once per invocation, and the
# test targets' dev-dependencies (proptest, criterion, tempfile, …) switch on features of
# crates the node shares (rand, zerocopy, … and through them sp-core and all of the SDK above
# it). A node built alone would get a second feature set, and `cargo test --workspace` would
# compile the SDK graph again. Built together, the node, the simulator and the tests share one
# graph, so the tests afterwards compile nothing new and a demo build is the test build.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
RELEASE="$CARGO_TARGET_DIR/release"

# Only the node crate differs between the two variants (`attacks` enables nothing in its
# dependencies): switching between them recompiles that one crate and relinks.
cargo build --release --locked --workspace --all-targets --features fedledger-node/attacks
cp -f "$RELEASE/fedledger-node" "$RELEASE/fedledger-node-attacks"
cargo build --release --locked --workspace --all-targets
