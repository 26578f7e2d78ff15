#!/usr/bin/env bash
# bench/analyze.sh — what `carve analyze` costs on a big monolith, beside the go command's own
# passes over the same tree. Run by `make bench-analyze` (after `make build` put carve in bin/).
#
# 1. Generates a synthetic monolith with samples/gen (default 50 services × 20 packages = 1,000
#    service packages, about 210k lines: the coupling code alone is ~190 lines a package) into a
#    temporary directory; the generation is timed on its own.
# 2. Warms the build cache (go build, go list -export, go vet and one carve run, unmeasured).
# 3. Measures wall time and peak memory (GNU time: %e seconds, %M max RSS in KiB) of
#        carve analyze DIR -o json --out /dev/null              (facts from carve's cache, as
#                                                               go vet's from the build cache)
#        carve analyze DIR -o json --out /dev/null --no-cache   (load, type-check, signals)
#        go list -deps -export ./...
#        go vet ./...
#    RUNS times each (default 3), rotating the order every round so that no command always runs
#    first or last, and prints the medians and the ratios carve/go-list and carve/go-vet.
#
# Peak memory is the largest single process of the command's tree (getrusage of children
# reports the largest one, not the sum): for go vet that is the go command or one vet process.
#
# Knobs (environment): BENCH_SERVICES, BENCH_PACKAGES (per service), BENCH_LINES (per package),
# BENCH_MU, BENCH_SEED, BENCH_RUNS, BENCH_KEEP=1 to keep the generated tree, CARVE (binary).
# TREE=dir measures a real module instead (e.g. a corpus tree: TREE=../trees/tempo), with
# TRUTH=file to score the plan; nothing is generated then.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
services=${BENCH_SERVICES:-50}
per=${BENCH_PACKAGES:-20}
lines=${BENCH_LINES:-120}
mu=${BENCH_MU:-0.3}
seed=${BENCH_SEED:-1}
runs=${BENCH_RUNS:-3}
carve=${CARVE:-$root/bin/carve}

if [[ ! -x $carve ]]; then
	echo "bench/analyze.sh: $carve not found: run 'make build' first" >&2
	exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
	echo "bench/analyze.sh: installing GNU time" >&2
	if ! { apt-get install -y -qq time >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }; }; then
		echo "bench/analyze.sh: /usr/bin/time is missing and could not be installed" >&2
		exit 1
	fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/carve-bench-analyze.XXXXXX")
if [[ ${BENCH_KEEP:-0} != 1 ]]; then
	trap 'rm -rf "$work"' EXIT
fi
tree=$work/synth

# seconds since the epoch with fractions, for the steps not measured with GNU time
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [[ -n ${TREE:-} ]]; then
	# A real module (a corpus tree rebuilt as ../shared/corpus/README.md says): measured as it is.
	tree=$(cd "$TREE" && pwd)
	gen_s=0
	go_files=$(find "$tree" -name '*.go' -not -path '*/vendor/*' | wc -l)
	go_lines=$(find "$tree" -name '*.go' -not -path '*/vendor/*' -print0 | xargs -0 cat | wc -l)
	echo "== measuring $tree: $go_files Go files, $go_lines lines (vendor excluded)"
else
	echo "== generating $services services × $per packages, μ=$mu, seed $seed, ~$lines lines per package"
	(cd "$root" && go build -o "$work/carve-gen" ./samples/gen/cmd/carve-gen)
	# The generated module stands alone: no workspace, no vendor directory, no dependencies.
	export GOWORK=off GOFLAGS=-mod=mod
	t0=$(now)
	"$work/carve-gen" -k "$services" -p "$per" -mu "$mu" -kernel 3 -seed "$seed" -lines "$lines" -out "$tree"
	t1=$(now)
	gen_s=$(elapsed "$t0" "$t1")
	go_files=$(find "$tree" -name '*.go' | wc -l)
	go_lines=$(find "$tree" -name '*.go' -print0 | xargs -0 cat | wc -l)
	echo "generated in ${gen_s}s: $go_files Go files, $go_lines lines"
fi

# carve's facts cache lives in the scratch directory: the user's own cache is left alone.
export CARVE_CACHE_DIR=$work/carve-cache

echo "== warming the build cache"
t0=$(now)
(cd "$tree" && go build ./...)
t1=$(now)
build_s=$(elapsed "$t0" "$t1")
echo "go build ./... (first build of this tree; cold unless an earlier run built the same seed): ${build_s}s"
# A real tree may have vet findings of its own: they do not make the timing wrong.
(cd "$tree" && go list -deps -export ./... >/dev/null && { go vet ./... || [[ -n ${TREE:-} ]]; })
# The warm-up run of carve also scores its plan against the planted decomposition.
truth=${TRUTH:-$tree/truth.json}
if [[ -f $truth ]]; then
	"$carve" analyze "$tree" -o json --out "$work/plan.json" --truth "$truth"
else
	"$carve" analyze "$tree" -o json --out "$work/plan.json"
fi
ari=$(grep -o '"ari": *[-0-9.e]*' "$work/plan.json" | head -1 | awk '{ print $2 }')
services_found=$(grep -c '"cohesion"' "$work/plan.json" || true)

# measure NAME CMD... runs CMD in the tree under GNU time and appends "NAME seconds KiB".
results=$work/results
: >"$results"
measure() {
	local name=$1
	shift
	local out=$work/time.out
	if ! (cd "$tree" && /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$work/stderr") &&
		! [[ $name == go-vet && -n ${TREE:-} ]]; then # a real tree's own vet findings
		echo "bench/analyze.sh: $name failed:" >&2
		cat "$work/stderr" >&2
		exit 1
	fi
	read -r secs kib < <(tail -n 1 "$out") # after "Command exited with non-zero status" for vet
	echo "$name $secs $kib" >>"$results"
	printf '  %-10s %6.2fs %8.0f MiB\n' "$name" "$secs" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')"
}

names=(carve carve-cold go-list go-vet)
run_one() {
	case $1 in
	carve) measure carve "$carve" analyze . -o json --out /dev/null ;;
	carve-cold) measure carve-cold "$carve" analyze . -o json --out /dev/null --no-cache ;;
	go-list) measure go-list go list -deps -export ./... ;;
	go-vet) measure go-vet go vet ./... ;;
	esac
}
echo "== measuring, $runs rounds, order rotated each round"
for ((r = 0; r < runs; r++)); do
	echo " round $((r + 1))"
	for ((i = 0; i < ${#names[@]}; i++)); do
		run_one "${names[$(((i + r) % ${#names[@]}))]}"
	done
done

# median NAME FIELD prints the median of a field (2: seconds, 3: KiB) over NAME's runs.
median() {
	awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$results" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
if [[ -n ${TREE:-} ]]; then
	echo "carve analyze on $tree: $go_files files, $go_lines lines; first go build ${build_s}s; medians of $runs warm runs."
	echo "carve's plan: $services_found services, ARI ${ari:-n/a} against the truth (TRUTH=${TRUTH:-none})."
else
	echo "carve analyze on a generated monolith: $services services × $per packages (+3 kernel, 1 main),"
	echo "$go_files files, $go_lines lines; generation ${gen_s}s, first go build ${build_s}s; medians of $runs warm runs."
	echo "carve's plan: $services_found services, ARI ${ari:-n/a} against the planted decomposition."
fi
echo
printf '%-40s %10s %14s\n' "command" "wall (s)" "peak RSS (MiB)"
declare -A secs mib
for n in "${names[@]}"; do
	secs[$n]=$(median "$n" 2)
	mib[$n]=$(awk -v k="$(median "$n" 3)" 'BEGIN { printf "%.0f", k / 1024 }')
done
printf '%-40s %10.2f %14s\n' "carve analyze (facts cached)" "${secs[carve]}" "${mib[carve]}"
printf '%-40s %10.2f %14s\n' "carve analyze --no-cache" "${secs[carve-cold]}" "${mib[carve-cold]}"
printf '%-40s %10.2f %14s\n' "go list -deps -export ./..." "${secs[go-list]}" "${mib[go-list]}"
printf '%-40s %10.2f %14s\n' "go vet ./..." "${secs[go-vet]}" "${mib[go-vet]}"
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
printf '%-40s %10s %14s\n' "ratio" "wall" "peak RSS"
printf '%-40s %10s %14s\n' "carve --no-cache / go list -deps -export" "$(ratio "${secs[carve-cold]}" "${secs[go-list]}")" "$(ratio "${mib[carve-cold]}" "${mib[go-list]}")"
printf '%-40s %10s %14s\n' "carve (facts cached) / go vet" "$(ratio "${secs[carve]}" "${secs[go-vet]}")" "$(ratio "${mib[carve]}" "${mib[go-vet]}")"
printf '%-40s %10s %14s\n' "carve --no-cache / go vet" "$(ratio "${secs[carve-cold]}" "${secs[go-vet]}")" "$(ratio "${mib[carve-cold]}" "${mib[go-vet]}")"
echo "(go vet's warm runs are served from the build cache's vet results; carve's cached run is the"
echo " same kind of run: the tree is unchanged since the warm-up)"
if [[ ${BENCH_KEEP:-0} == 1 ]]; then
	echo
	echo "tree kept in $tree"
fi
