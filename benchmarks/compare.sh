#!/usr/bin/env bash
# Builds the timing bin and runs the side-by-side comparison with numpy in one invocation.
#   benchmarks/compare.sh [--shapes 100x1000000,1000x100000] [--reps 3]
# Needs python3 with numpy (threadpoolctl optional, to report the BLAS kernel).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."
python3 -c 'import numpy' 2>/dev/null || { echo "numpy missing: pip install numpy threadpoolctl" >&2; exit 1; }
. scripts/env.sh   # the one persistent target directory
cargo build --release -q -p fedledger-benchmarks --bin agg-timings
target_dir="$CARGO_TARGET_DIR"
# Some images set OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE for old OpenBLAS builds; they slow a
# current numpy, so this one command runs without them (the kernel used is printed).
exec env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	python3 "$here/compare_numpy.py" --bin "$target_dir/release/agg-timings" "$@"
