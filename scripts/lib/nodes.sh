# Shared by scripts/local-testnet.sh and scripts/demo.sh (sourced, after scripts/env.sh):
# starting fedledger nodes in the background with a log and a pid file each, waiting for their
# RPC, and stopping exactly the processes this run started.
#
# A run directory holds, per node NAME: NAME/ (base path: database, keystore, FL store),
# NAME.log and NAME.pid.

fl_log() { printf '\033[1;34m[%s]\033[0m %s\n' "${FL_LOG_TAG:-fedledger}" "$*" >&2; }
fl_die() {
	fl_log "error: $*"
	exit 1
}

# The trainer nodes' names and FL accounts: the five endowed accounts that are not authorities
# of the `local` chain, in the order scripts/e2e/lib/testnet.mjs uses (it adds //Charlie//stash
# for its six-trainer test).
# shellcheck disable=SC2034 # used by the scripts that source this file
TRAINER_NAMES=(dave eve ferdie alice-stash bob-stash)
# shellcheck disable=SC2034
TRAINER_SURIS=(//Dave //Eve //Ferdie //Alice//stash //Bob//stash)

# The libp2p secret of validator INDEX: sha256 of a fixed label, so its peer id is known before
# it starts (scripts/e2e/lib/testnet.mjs derives the same). Loopback use only.
validator_node_key() {
	printf 'fedledger-testnet-validator-%d' "$1" | sha256sum | cut -d' ' -f1
}

# peer_id_of HEX_KEY DIR: the peer id the node derives from a libp2p secret.
peer_id_of() {
	printf '%s' "$1" >"$2/node-key.hex"
	"$FEDLEDGER_NODE" key inspect-node-key --file "$2/node-key.hex"
}

# insert_fl_key BASE_PATH CHAIN SURI: the worker's FL identity (key type fedl, sr25519).
insert_fl_key() {
	"$FEDLEDGER_NODE" key insert --base-path "$1" --chain "$2" \
		--key-type fedl --scheme sr25519 --suri "$3"
}

# Whether something already listens on 127.0.0.1:PORT.
port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Fails unless every given port is free: a node that cannot bind dies right away, and an
# old node on the port would be silently talked to instead.
require_free_ports() {
	local port
	for port in "$@"; do
		if port_in_use "$port"; then
			fl_die "port $port is in use (another testnet or node?); stop it or pick other ports"
		fi
	done
}

# Whether PID is alive and a fedledger node (guards against a recycled pid).
is_fedledger_node() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q fedledger-node
}

# start_node_bg RUN_DIR NAME BINARY ARGS...: starts a node in the background on base path
# RUN_DIR/NAME, logging to RUN_DIR/NAME.log, its pid in RUN_DIR/NAME.pid. nohup keeps it
# running when the terminal closes; the pid is the node's own (nohup execs it).
start_node_bg() {
	local run_dir=$1 name=$2 binary=$3
	shift 3
	mkdir -p "$run_dir/$name"
	nohup "$binary" "$@" \
		--base-path "$run_dir/$name" \
		--name "$name" \
		--no-mdns \
		--no-telemetry \
		>"$run_dir/$name.log" 2>&1 </dev/null &
	echo $! >"$run_dir/$name.pid"
}

# wait_for_rpc RUN_DIR NAME PORT [TIMEOUT_S]: waits until the node answers system_health;
# fails with the end of its log if it exits or does not answer in time.
wait_for_rpc() {
	local run_dir=$1 name=$2 port=$3 timeout=${4:-120}
	local pid deadline=$((SECONDS + timeout))
	pid=$(cat "$run_dir/$name.pid")
	until curl -sf -H 'content-type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
		"http://127.0.0.1:$port" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$run_dir/$name.log" >&2
			fl_die "$name exited during start-up (log: $run_dir/$name.log)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail -n 30 "$run_dir/$name.log" >&2
			fl_die "$name: no RPC on port $port after ${timeout}s (log: $run_dir/$name.log)"
		fi
		sleep 0.5
	done
}

# The best block number a node reports, or "-" if it does not answer.
best_block_of() {
	local out
	out=$(curl -sf -H 'content-type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"chain_getHeader","params":[]}' \
		"http://127.0.0.1:$1" 2>/dev/null) || {
		echo "-"
		return
	}
	printf '%d\n' "$(printf '%s' "$out" | sed -E 's/.*"number":"(0x[0-9a-fA-F]+)".*/\1/')"
}

# stop_nodes RUN_DIR: SIGINT to every node of the run (a clean shutdown: the database is
# closed and the worker's journal flushed), then waits up to 30 s; whatever is still alive
# then gets SIGKILL. Only pids from the run's pid files are signalled.
stop_nodes() {
	local run_dir=$1 pid_file pid
	local pids=()
	for pid_file in "$run_dir"/*.pid; do
		[ -e "$pid_file" ] || continue
		pid=$(cat "$pid_file")
		if is_fedledger_node "$pid"; then
			kill -INT "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$pid_file"
	done
	local deadline=$((SECONDS + 30))
	for pid in "${pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			fl_log "pid $pid did not stop within 30 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	[ ${#pids[@]} -eq 0 ] || fl_log "stopped ${#pids[@]} node(s)"
}

# Whether a run directory may be wiped: absent, empty, or marked as ours.
claim_run_dir() {
	local dir=$1 marker=$2
	if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -e "$dir/$marker" ]; then
		fl_die "$dir exists and was not made by this script; choose another directory"
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	touch "$dir/$marker"
}
