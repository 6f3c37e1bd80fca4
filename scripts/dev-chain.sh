#!/usr/bin/env bash
# Builds and starts a single-node development chain (Alice authors and finalizes blocks).
# Point polkadot.js Apps at ws://127.0.0.1:9944. Extra arguments go to the node.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/build.sh
exec "$FEDLEDGER_NODE" --dev --rpc-port 9944 "$@"
