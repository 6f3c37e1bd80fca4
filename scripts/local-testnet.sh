#!/usr/bin/env bash
# A local fedledger testnet in the background, on 127.0.0.1: three validators (Alice, Bob and
# Charlie — the Aura/GRANDPA authorities of the `local` chain — each also an FL validator) and
# TRAINERS trainer nodes, each training on its own Dirichlet shard of Fashion-MNIST. Once the
# nodes are up, a model is registered and its reward pool funded (unless --no-model).
#
#   scripts/local-testnet.sh start [--trainers N] [--malicious [ATTACK]] [--no-model] [-- REGISTER_ARGS…]
#   scripts/local-testnet.sh status
#   scripts/local-testnet.sh stop [--clean]
#
# --malicious makes the last trainer run the attacks build with --fl-attack ATTACK (sign-flip,
# scaling or gaussian; default sign-flip). Arguments after `--` go to
# scripts/e2e/bin/register-model.mjs (e.g. `-- --rule median --reward 500`).
#
# Everything lives in ${FEDLEDGER_RUN_DIR:-/tmp/fedledger-testnet}: one base path, log and pid
# file per node. Ports: RPC 9944+k, p2p 30333+k, Prometheus 9615+k for node k (validators
# first), moved with RPC_PORT_BASE, P2P_PORT_BASE, PROMETHEUS_PORT_BASE.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
. scripts/lib/nodes.sh
# shellcheck source=lib/deps.sh
. scripts/lib/deps.sh
FL_LOG_TAG=testnet

RUN_DIR="${FEDLEDGER_RUN_DIR:-/tmp/fedledger-testnet}"
DATASET="${FEDLEDGER_DATASET:-/usr/share/datasets/fashion-mnist}"
ATTACKS_NODE="${FEDLEDGER_NODE_ATTACKS:-$CARGO_TARGET_DIR/release/fedledger-node-attacks}"
RPC_BASE="${RPC_PORT_BASE:-9944}"
P2P_BASE="${P2P_PORT_BASE:-30333}"
PROM_BASE="${PROMETHEUS_PORT_BASE:-9615}"
CHAIN=local
MARKER=.fedledger-testnet

VALIDATOR_NAMES=(alice bob charlie)
VALIDATOR_SURIS=(//Alice //Bob //Charlie)
VALIDATOR_FLAGS=(--alice --bob --charlie)

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

# --- start -------------------------------------------------------------------------------

trainers=${TRAINERS:-4}
malicious=""
register=1
register_args=()

parse_start_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--trainers)
			trainers=$2
			shift 2
			;;
		--malicious)
			malicious=sign-flip
			if [ $# -gt 1 ] && [[ "$2" =~ ^(sign-flip|scaling|gaussian)$ ]]; then
				malicious=$2
				shift
			fi
			shift
			;;
		--no-model)
			register=0
			shift
			;;
		--)
			shift
			register_args=("$@")
			break
			;;
		-h | --help) usage 0 ;;
		*)
			fl_log "unknown option $1"
			usage 1
			;;
		esac
	done
	if ! [[ "$trainers" =~ ^[1-5]$ ]]; then
		fl_die "--trainers must be 1..5 (there are five endowed trainer accounts)"
	fi
}

check_prerequisites() {
	if [ ! -x "$FEDLEDGER_NODE" ] || { [ -n "$malicious" ] && [ ! -x "$ATTACKS_NODE" ]; }; then
		fl_log "building the node (scripts/build.sh)"
		scripts/build.sh
	fi
	ls "$DATASET"/train-images-idx3-ubyte* >/dev/null 2>&1 ||
		fl_die "no Fashion-MNIST in $DATASET: run scripts/setup.sh (dataset-fashion-mnist) or set FEDLEDGER_DATASET"
	command -v curl >/dev/null || fl_die "curl is needed (scripts/setup.sh installs it)"
}

any_running() {
	local pid_file
	for pid_file in "$RUN_DIR"/*.pid; do
		[ -e "$pid_file" ] && is_fedledger_node "$(cat "$pid_file")" && return 0
	done
	return 1
}

# Ports of node k (validators are 0..2, trainers follow).
rpc_port() { echo $((RPC_BASE + $1)); }
p2p_port() { echo $((P2P_BASE + $1)); }
prom_port() { echo $((PROM_BASE + $1)); }

# Common flags of node k: its ports on loopback.
port_flags() {
	echo --rpc-port "$(rpc_port "$1")" --prometheus-port "$(prom_port "$1")" \
		--listen-addr "/ip4/127.0.0.1/tcp/$(p2p_port "$1")"
}

BOOTNODES=()

# Derives the validators' peer ids from their fixed node keys: every node gets all three
# validators (but itself) as bootnodes, so the network does not hang on any one of them.
plan_bootnodes() {
	local i dir
	for i in 0 1 2; do
		dir="$RUN_DIR/${VALIDATOR_NAMES[$i]}"
		mkdir -p "$dir"
		BOOTNODES+=("/ip4/127.0.0.1/tcp/$(p2p_port "$i")/p2p/$(peer_id_of "$(validator_node_key "$i")" "$dir")")
	done
}

start_validator() {
	local i=$1 name=${VALIDATOR_NAMES[$1]} j others=()
	for j in 0 1 2; do [ "$j" -eq "$i" ] || others+=("${BOOTNODES[$j]}"); done
	insert_fl_key "$RUN_DIR/$name" "$CHAIN" "${VALIDATOR_SURIS[$i]}"
	# The --alice/--bob/--charlie flag puts the authority's aura and grandpa keys in the
	# keystore; authorities need a persistent network key, given by --node-key.
	# shellcheck disable=SC2046 # port_flags is a word list on purpose
	start_node_bg "$RUN_DIR" "$name" "$FEDLEDGER_NODE" \
		--chain "$CHAIN" --validator "${VALIDATOR_FLAGS[$i]}" \
		--node-key "$(validator_node_key "$i")" \
		--fl-validator \
		$(port_flags "$i") \
		--bootnodes "${others[@]}"
}

start_trainer() {
	local i=$1 k=$(($1 + 3)) name=${TRAINER_NAMES[$1]}
	local binary=$FEDLEDGER_NODE attack=()
	if [ -n "$malicious" ] && [ "$i" -eq $((trainers - 1)) ]; then
		binary=$ATTACKS_NODE
		attack=(--fl-attack "$malicious")
		fl_log "$name is malicious: --fl-attack $malicious"
	fi
	mkdir -p "$RUN_DIR/$name"
	insert_fl_key "$RUN_DIR/$name" "$CHAIN" "${TRAINER_SURIS[$i]}"
	# shellcheck disable=SC2046
	start_node_bg "$RUN_DIR" "$name" "$binary" \
		--chain "$CHAIN" \
		--fl-trainer --fl-models all --fl-dataset "$DATASET" --fl-shard "$i/$trainers" \
		"${attack[@]}" \
		$(port_flags "$k") \
		--bootnodes "${BOOTNODES[@]}"
}

all_ports() {
	local k
	for ((k = 0; k < 3 + trainers; k++)); do
		echo "$(rpc_port "$k") $(p2p_port "$k") $(prom_port "$k")"
	done
}

register_model() {
	ensure_e2e_npm
	# A straggler must not fail a round: one trainer fewer than there are suffices.
	local min_updates=$((trainers > 1 ? trainers - 1 : 1))
	fl_log "registering and funding a model (owner //Ferdie//stash)"
	node scripts/e2e/bin/register-model.mjs --ws "ws://127.0.0.1:$(rpc_port 0)" \
		--wait-validators 3 --min-updates "$min_updates" "${register_args[@]}" \
		| tee "$RUN_DIR/model.json"
}

print_summary() {
	local k name
	cat >&2 <<EOF

fedledger local testnet is running ($((3 + trainers)) nodes, chain '$CHAIN').
  polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:$(rpc_port 0)#/explorer
  logs:             $RUN_DIR/<node>.log   (e.g. tail -f $RUN_DIR/alice.log)
  status / stop:    scripts/local-testnet.sh status | stop
  watch training:   node scripts/e2e/bin/watch.mjs --ws ws://127.0.0.1:$(rpc_port 0)
EOF
	for ((k = 0; k < 3 + trainers; k++)); do
		if [ "$k" -lt 3 ]; then name=${VALIDATOR_NAMES[$k]}; else name=${TRAINER_NAMES[$((k - 3))]}; fi
		printf '  %-12s rpc ws://127.0.0.1:%s  prometheus http://127.0.0.1:%s/metrics\n' \
			"$name" "$(rpc_port "$k")" "$(prom_port "$k")" >&2
	done
}

cmd_start() {
	parse_start_args "$@"
	any_running && fl_die "a testnet is already running in $RUN_DIR (scripts/local-testnet.sh stop)"
	check_prerequisites
	# shellcheck disable=SC2046
	require_free_ports $(all_ports)
	claim_run_dir "$RUN_DIR" "$MARKER"
	plan_bootnodes

	# If start-up fails or is interrupted, do not leave half a testnet running.
	trap 'stop_nodes "$RUN_DIR"' EXIT
	local i
	for i in 0 1 2; do start_validator "$i"; done
	for ((i = 0; i < trainers; i++)); do start_trainer "$i"; done
	for i in 0 1 2; do wait_for_rpc "$RUN_DIR" "${VALIDATOR_NAMES[$i]}" "$(rpc_port "$i")"; done
	for ((i = 0; i < trainers; i++)); do wait_for_rpc "$RUN_DIR" "${TRAINER_NAMES[$i]}" "$(rpc_port $((i + 3)))"; done
	trap - EXIT
	fl_log "all $((3 + trainers)) nodes answer RPC"

	if [ "$register" -eq 1 ]; then
		register_model || fl_log "model registration failed; the nodes keep running (scripts/local-testnet.sh stop)"
	fi
	print_summary
}

# --- status and stop ---------------------------------------------------------------------

cmd_status() {
	local pid_file name pid state
	[ -d "$RUN_DIR" ] || fl_die "no testnet in $RUN_DIR"
	for pid_file in "$RUN_DIR"/*.pid; do
		[ -e "$pid_file" ] || {
			fl_log "no node running in $RUN_DIR"
			return
		}
		name=$(basename "$pid_file" .pid)
		pid=$(cat "$pid_file")
		state=stopped
		is_fedledger_node "$pid" && state="running (pid $pid)"
		printf '%-12s %s\n' "$name" "$state"
	done
	if [ -e "$RUN_DIR/alice.pid" ]; then
		printf 'best block (alice): %s\n' "$(best_block_of "$RPC_BASE")"
	fi
}

cmd_stop() {
	[ -d "$RUN_DIR" ] || fl_die "no testnet in $RUN_DIR"
	stop_nodes "$RUN_DIR"
	if [ "${1:-}" = "--clean" ]; then
		[ -e "$RUN_DIR/$MARKER" ] && rm -rf "$RUN_DIR" && fl_log "removed $RUN_DIR"
	else
		fl_log "logs and chain data kept in $RUN_DIR (stop --clean removes them)"
	fi
}

case "${1:-}" in
start)
	shift
	cmd_start "$@"
	;;
stop)
	shift
	cmd_stop "$@"
	;;
status) cmd_status ;;
-h | --help | "") usage 0 ;;
*) usage 1 ;;
esac
