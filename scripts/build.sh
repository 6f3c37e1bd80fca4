#!/usr/bin/env bash
# Builds the node (and with it the runtime wasm) in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
cargo build --release --locked -p fedledger-node
