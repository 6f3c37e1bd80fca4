#!/usr/bin/env bash
# The fedledger demo: a small chain trains a Fashion-MNIST classifier without any node
# sharing its data, and you watch the global model improve round by round.
#
#   scripts/demo.sh                      # until Ctrl-C
#   TRAINERS=4 ROUNDS=10 scripts/demo.sh # four trainers, stop after ten finalized rounds
#
# It sets up the machine if needed (scripts/setup.sh), builds (scripts/build.sh), then starts
# one validator — Alice, the single authority of the `dev` chain, also the FL validator — and
# TRAINERS trainer nodes joining it, each with its own Dirichlet shard of Fashion-MNIST. It
# registers and funds a logistic-regression model, then prints one line per finalized round:
# the version and its hash, the test accuracy of the new global model, the updates accepted
# and rejected, and the reward released. Ctrl-C (or the end of ROUNDS) stops every node.
#
# Knobs: TRAINERS (default 3, at most 5), ROUNDS (default 0 = forever), FEDLEDGER_DEMO_DIR
# (default /tmp/fedledger-demo: base paths and logs), FEDLEDGER_DATASET, FEDLEDGER_SKIP_BUILD=1.
# polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944#/explorer
set -euo pipefail
cd "$(dirname "$0")/.."

TRAINERS="${TRAINERS:-3}"
ROUNDS="${ROUNDS:-0}"
DEMO_DIR="${FEDLEDGER_DEMO_DIR:-/tmp/fedledger-demo}"
DATASET="${FEDLEDGER_DATASET:-/usr/share/datasets/fashion-mnist}"
CHAIN=dev
RPC_PORT=9944
P2P_PORT=30333
PROM_PORT=9615
MARKER=.fedledger-demo

[[ "$TRAINERS" =~ ^[1-5]$ ]] || {
	echo "TRAINERS must be 1..5" >&2
	exit 1
}
[[ "$ROUNDS" =~ ^[0-9]+$ ]] || {
	echo "ROUNDS must be a number (0 = forever)" >&2
	exit 1
}

# --- set up and build ----------------------------------------------------------------------

needs_setup() {
	! command -v cargo >/dev/null 2>&1 && [ ! -f "$HOME/.cargo/env" ] && return 0
	! ls "$DATASET"/train-images-idx3-ubyte* >/dev/null 2>&1 && return 0
	[ ! -d scripts/e2e/node_modules/@polkadot/api ] && return 0
	! command -v curl >/dev/null 2>&1 && return 0
	return 1
}

if needs_setup; then
	echo "[demo] setting up the machine (scripts/setup.sh)" >&2
	scripts/setup.sh
fi
. scripts/env.sh
. scripts/lib/nodes.sh
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh
FL_LOG_TAG=demo
if [ "${FEDLEDGER_SKIP_BUILD:-0}" != 1 ]; then
	fl_log "building (scripts/build.sh; quick when nothing changed)"
	scripts/build.sh
fi
SIM="$CARGO_TARGET_DIR/release/fedledger-sim"
[ -x "$SIM" ] || fl_log "warning: $SIM is missing; rounds will show no accuracy"
ensure_e2e_npm

# --- nodes ---------------------------------------------------------------------------------

stop_all() {
	trap - EXIT INT TERM
	fl_log "stopping the nodes"
	stop_nodes "$DEMO_DIR"
	fl_log "logs kept in $DEMO_DIR"
}

start_validator() {
	insert_fl_key "$DEMO_DIR/alice" "$CHAIN" //Alice
	# --alice puts Alice's aura and grandpa keys in the keystore; as the only authority she
	# authors and finalizes alone (--force-authoring: also before any trainer connects).
	start_node_bg "$DEMO_DIR" alice "$FEDLEDGER_NODE" \
		--chain "$CHAIN" --validator --alice --force-authoring \
		--node-key "$(validator_node_key 0)" \
		--fl-validator \
		--rpc-port "$RPC_PORT" --prometheus-port "$PROM_PORT" \
		--listen-addr "/ip4/127.0.0.1/tcp/$P2P_PORT"
}

start_trainer() {
	local i=$1 name=${TRAINER_NAMES[$1]} bootnode=$2
	mkdir -p "$DEMO_DIR/$name"
	insert_fl_key "$DEMO_DIR/$name" "$CHAIN" "${TRAINER_SURIS[$i]}"
	start_node_bg "$DEMO_DIR" "$name" "$FEDLEDGER_NODE" \
		--chain "$CHAIN" \
		--fl-trainer --fl-models all --fl-dataset "$DATASET" --fl-shard "$i/$TRAINERS" \
		--rpc-port $((RPC_PORT + 1 + i)) --prometheus-port $((PROM_PORT + 1 + i)) \
		--listen-addr "/ip4/127.0.0.1/tcp/$((P2P_PORT + 1 + i))" \
		--bootnodes "$bootnode"
}

demo_ports() {
	local k
	for ((k = 0; k <= TRAINERS; k++)); do
		echo $((RPC_PORT + k)) $((P2P_PORT + k)) $((PROM_PORT + k))
	done
}

# shellcheck disable=SC2046
require_free_ports $(demo_ports)
claim_run_dir "$DEMO_DIR" "$MARKER"
# Whatever ends the demo — Ctrl-C, ROUNDS reached, a failed step — stops every node it started.
trap stop_all EXIT
trap 'stop_all; exit 130' INT TERM

mkdir -p "$DEMO_DIR/alice"
BOOTNODE="/ip4/127.0.0.1/tcp/$P2P_PORT/p2p/$(peer_id_of "$(validator_node_key 0)" "$DEMO_DIR/alice")"
start_validator
for ((i = 0; i < TRAINERS; i++)); do start_trainer "$i" "$BOOTNODE"; done
wait_for_rpc "$DEMO_DIR" alice "$RPC_PORT"
for ((i = 0; i < TRAINERS; i++)); do wait_for_rpc "$DEMO_DIR" "${TRAINER_NAMES[$i]}" $((RPC_PORT + 1 + i)); done
fl_log "1 validator + $TRAINERS trainers up; logs in $DEMO_DIR/<node>.log"
fl_log "polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:$RPC_PORT#/explorer"

# --- model and watch -------------------------------------------------------------------------

# A round needs all but one trainer, so one slow trainer does not fail it.
MIN_UPDATES=$((TRAINERS > 1 ? TRAINERS - 1 : 1))
REGISTERED=$(node scripts/e2e/bin/register-model.mjs --ws "ws://127.0.0.1:$RPC_PORT" \
	--wait-validators 1 --min-updates "$MIN_UPDATES" | tail -n 1)
MODEL=$(printf '%s' "$REGISTERED" | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).model));')
fl_log "model $MODEL registered and funded; rounds take ~10 blocks (~30 s). Ctrl-C stops the demo."

node scripts/e2e/bin/watch.mjs --ws "ws://127.0.0.1:$RPC_PORT" --model "$MODEL" --rounds "$ROUNDS" --sim "$SIM" --data "$DATASET"
