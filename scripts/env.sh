# Sourced by the other scripts: one persistent target directory and one profile (release) for
# every build, so the Substrate dependency graph is compiled once per machine, not per clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fedledger/target}"
export FEDLEDGER_NODE="${FEDLEDGER_NODE:-$CARGO_TARGET_DIR/release/fedledger-node}"
if [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi
# The runtime's wasm build looks for Cargo.lock above the target directory; ours lives outside
# the clone, so point it at the workspace.
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
