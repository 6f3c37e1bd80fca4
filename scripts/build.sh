#!/usr/bin/env bash
# Builds, in release mode: the node (and with it the runtime wasm), `fedledger-sim` (the
# evaluation and simulation CLI), and `fedledger-node-attacks` — the same node with the
# `attacks` feature, whose `--fl-attack` makes a trainer poison its updates. The attacking
# variant exists for the local testnet, the demo and the end-to-end tests only; the
# production binary `fedledger-node` cannot attack.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
RELEASE="$CARGO_TARGET_DIR/release"

# Only the node crate differs between the two variants: cargo keeps both builds apart, so
# switching between them relinks instead of recompiling the dependency graph.
cargo build --release --locked -p fedledger-node --features attacks
cp -f "$RELEASE/fedledger-node" "$RELEASE/fedledger-node-attacks"
cargo build --release --locked -p fedledger-node -p fedledger-sim --bin fedledger-node --bin fedledger-sim
