# Sourced by the other scripts: one persistent target directory and one profile (release) for
# every build, so the Substrate dependency graph is compiled once per machine, not per clone.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fedledger/target}"
export FEDLEDGER_NODE="${FEDLEDGER_NODE:-$CARGO_TARGET_DIR/release/fedledger-node}"
if [ -f "$HOME/.cargo/env" ]; then
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi
