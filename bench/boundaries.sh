#!/usr/bin/env bash
# bench/boundaries.sh — how well `carve analyze` recovers the service boundaries of real Go
# projects whose split is known. Run by `make bench-boundaries TREES=dir` (after `make build`).
#
# For every case of the corpus (../shared/corpus beside the checkout: <case>.json truth files)
# whose tree is TREES/<case> (rebuild them as the corpus README says), bench/boundaries scores
# carve on the tree and on a path-blind copy (TREES/<case>-blind with TREES/<case>-blind.json
# when present, else made in a scratch directory with bench/pathblind's code), next to plain
# Louvain on the import graph (mean over 20 seeds), and prints one table.
#
# Knobs (environment): TREES (required), CORPUS (default ../shared/corpus from the checkout, or
# from the main checkout of a worktree),
# CARVE (binary, default bin/carve), BLIND (a directory of path-blind copies made before:
# BLIND/<case> and BLIND/<case>.json, e.g. with go run ./bench/pathblind; a vendored tree copied
# afresh compiles its dependencies again), BENCH_SEEDS (default 20), BENCH_KEEP=1 keeps the
# scratch directory (plans, path-blind copies).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The corpus sits beside the checkout: ../shared/corpus from its root; for a git worktree
# elsewhere, beside the main checkout (the directory holding the common .git).
corpus=${CORPUS:-$root/../shared/corpus}
if [[ -z ${CORPUS:-} && ! -d $corpus ]] && common=$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
	corpus=$(dirname "$common")/../shared/corpus
fi
carve=${CARVE:-$root/bin/carve}
seeds=${BENCH_SEEDS:-20}

if [[ -z ${TREES:-} ]]; then
	echo "bench/boundaries.sh: set TREES to the directory holding the corpus trees (TREES/jaeger, ...)" >&2
	exit 2
fi
if [[ ! -d $corpus ]]; then
	echo "bench/boundaries.sh: corpus directory $corpus not found: set CORPUS" >&2
	exit 2
fi
if [[ ! -x $carve ]]; then
	echo "bench/boundaries.sh: $carve not found: run 'make build' first" >&2
	exit 1
fi
corpus=$(cd "$corpus" && pwd)
trees=$(cd "$TREES" && pwd)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/carve-bench-boundaries.XXXXXX")
if [[ ${BENCH_KEEP:-0} != 1 ]]; then
	trap 'rm -rf "$scratch"' EXIT
else
	echo "bench/boundaries.sh: plans and copies kept in $scratch" >&2
fi

(cd "$root" && go build -o "$scratch/boundaries" ./bench/boundaries)
"$scratch/boundaries" -trees "$trees" -corpus "$corpus" -carve "$carve" -scratch "$scratch" -seeds "$seeds" -blind "${BLIND:-}"
