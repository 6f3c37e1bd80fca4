#!/usr/bin/env bash
# Installs everything fedledger needs on a fresh Debian machine (run as root, or with sudo
# available). Idempotent: re-running it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
# protobuf-compiler: prost-build in the networking stack; clang: none needed (no RocksDB, no
# bindgen); dataset-fashion-mnist: the training data of the demo and the simulator.
APT_PACKAGES=(build-essential pkg-config git curl ca-certificates protobuf-compiler
	python3 python3-pip dataset-fashion-mnist)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)
apt_install_missing "${APT_PACKAGES[@]}"
log "Debian packages present"

# --- Rust ------------------------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
	log "installing rustup (stable)"
	curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
	# shellcheck disable=SC1091
	. "$HOME/.cargo/env"
fi
if ! rustup target list --installed | grep -qx wasm32v1-none; then
	log "rustup target add wasm32v1-none (the runtime's wasm target)"
	rustup target add wasm32v1-none
fi
for component in rustfmt clippy; do
	rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

# --- Python (benchmark comparison against numpy) ---------------------------------------------
if ! python3 -c 'import numpy' >/dev/null 2>&1; then
	log "pip install numpy"
	python3 -m pip install --quiet numpy || python3 -m pip install --quiet --break-system-packages numpy
fi

# --- npm packages of the end-to-end tests ----------------------------------------------------
ensure_e2e_npm
log "npm packages present"

log "done"
