#!/usr/bin/env bash
# Times `overlab check --networks` (the temporary, hardened probes of a check
# of existing networks: deployed, probing, removed) beside `overlab check` of
# the lab that owns the same networks (probes already up), on fresh local
# hosts, for 3 and 10 hosts (or the counts given), RUNS times each. Also the
# CPU-seconds the containers of the hosts used during each command (their
# cgroups: the probes' serve and every probe run), overlab's peak RSS, and
# the largest probe process's RSS seen while the check ran.
#
#   BENCH_RUNS=3  BENCH_STATE=/var/lib/overlab/bench  BENCH_ENGINE=26.1 (local up --engine)
#   BENCH_NAME=bx: lab names are BENCH_NAME plus the host count; names are
#     machine-wide (network namespaces, cgroups), so give each run its own.
#   BENCH_NET=192.168: each count n gets 192.168.(140+n).0/24; three octets
#     (BENCH_NET=192.168.120) give every count 192.168.120.0/24 (one lab at a
#     time, each is down before the next comes up).
#   BENCH_KEEP=DIR: keep each command's output and result document (--json)
#     in DIR, to count what a check did.
# The table is printed after each count, so a count that fails (its error is
# printed) leaves the figures of the counts before it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./bin/overlab
STATE=${BENCH_STATE:-/var/lib/overlab/bench}
NET=${BENCH_NET:-192.168}
RUNS=${BENCH_RUNS:-3}
ENGINE=${BENCH_ENGINE:-}
PREFIX=${BENCH_NAME:-bx}
KEEP=${BENCH_KEEP:-}
counts=("${@:-3 10}")
read -r -a counts <<<"${counts[*]}"
OUT=$(mktemp -d /tmp/overlab-bench-existing.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
NETWORKS=overlab-overlay,overlab-macvlan

# cpu NAME: CPU-seconds the lab's containers used so far (cgroup v1 cpuacct,
# or v2 cpu.stat), over every host.
cpu() {
	local f
	for f in /sys/fs/cgroup/cpu,cpuacct/overlab/"$1"/cpuacct.usage /sys/fs/cgroup/cpuacct/overlab/"$1"/cpuacct.usage; do
		[[ -r $f ]] && { awk '{ printf "%.3f", $1 / 1e9 }' "$f"; return; }
	done
	f=/sys/fs/cgroup/overlab/"$1"/cpu.stat
	[[ -r $f ]] && awk '/^usage_usec/ { printf "%.3f", $2 / 1e6 }' "$f" || echo 0
}

# sample NAME FILE: the largest RSS (KiB) of a probe process of the lab, every
# 50 ms, into FILE, until killed.
sample() {
	local max=0 pid rss
	while :; do
		for pid in $(grep -l "/overlab/$1/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
			grep -qa 'probe' "/proc/$pid/cmdline" 2>/dev/null || continue
			rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
			((rss > max)) && { max=$rss; echo "$max" >"$2"; }
		done
		sleep 0.05
	done
}

declare -A V
done_counts=()
add() { V[$1]="${V[$1]:-} $2"; }

# keep KEY: copy the last command's output, errors and result document to
# $KEEP (run $r).
keep() {
	[[ -n $KEEP ]] || return 0
	local f="$KEEP/${1// /_}.$r"
	mkdir -p "$KEEP"
	cp "$OUT/out" "$f.out"; cp "$OUT/err" "$f.err"
	[[ ! -e $OUT/json ]] || cp "$OUT/json" "$f.json"
}

# timed KEY NAME COMMAND...: wall seconds, containers' CPU-seconds, peak RSS
# of overlab and of a probe process.
timed() {
	local key=$1 name=$2; shift 2
	local c0 s rss
	c0=$(cpu "$name"); s=$(date +%s.%N)
	sample "$name" "$OUT/probe" & local sp=$!
	echo 0 >"$OUT/probe"
	rm -f "$OUT/json"
	if ! /usr/bin/time -f 'rss %M' -o "$OUT/rss" "$@" >"$OUT/out" 2>"$OUT/err"; then
		keep "$key"
		echo "bench: $key failed:" >&2; cat "$OUT/err" >&2; kill $sp; return 1
	fi
	kill $sp; wait $sp 2>/dev/null || true
	keep "$key"
	add "$key" "$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
	add "$key cpu" "$(awk -v a="$c0" -v b="$(cpu "$name")" 'BEGIN { printf "%.2f", b - a }')"
	add "$key rss" "$(awk '/^rss/ { printf "%.0f", $2 / 1024 }' "$OUT/rss")"
	add "$key probe-rss" "$(awk '{ printf "%.1f", $1 / 1024 }' "$OUT/probe")"
}

range() {
	tr ' ' '\n' <<<"${V[$1]:-}" | awk 'NF { if (n == 0 || $1 < lo) lo = $1; if (n == 0 || $1 > hi) hi = $1; n++ }
		END { if (n == 0) print "-"; else if (lo == hi) print lo; else print lo "-" hi }'
}
report() {
	printf '%-48s' "(range of $RUNS runs)"; for n in "${done_counts[@]}"; do printf '%14s' "$n hosts"; done; echo
	for what in "lab check" "check --networks"; do
		for m in "" " cpu" " rss" " probe-rss"; do
			label="$what${m:- (s)}"
			case $m in " cpu") label="  containers' CPU-seconds";; " rss") label="  overlab peak RSS (MiB)";; " probe-rss") label="  largest probe process RSS (MiB)";; esac
			printf '%-48s' "$label"
			for n in "${done_counts[@]}"; do printf '%14s' "$(range "$n $what$m")"; done
			echo
		done
	done
	echo "machine: $(nproc) cores, $(uname -r)${ENGINE:+, hosts: --engine $ENGINE}; load now $(cut -d' ' -f1 /proc/loadavg)"
}

for n in "${counts[@]}"; do
	name="$PREFIX$n" inv="$STATE/$PREFIX$n/inventory.yaml"
	subnet="$NET.$((140 + n)).0/24"
	[[ $NET == *.*.* ]] && subnet="$NET.0/24"
	trap '$BIN local down --state-dir $STATE --name '"$name"' -q >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
	$BIN local up -q --state-dir "$STATE" --name "$name" --hosts "$n" --subnet "$subnet" ${ENGINE:+--engine "$ENGINE"} >/dev/null
	$BIN up -q -i "$inv" >/dev/null
	for ((r = 1; r <= RUNS; r++)); do
		timed "$n lab check" "$name" $BIN check -i "$inv" --results "$OUT/results" --json "$OUT/json"
		timed "$n check --networks" "$name" $BIN check -i "$inv" --networks "$NETWORKS" --results "$OUT/results" --json "$OUT/json"
	done
	$BIN down -q -i "$inv" >/dev/null || true
	$BIN local down -q --state-dir "$STATE" --name "$name" >/dev/null
	trap 'rm -rf "$OUT"' EXIT
	done_counts+=("$n")
	report
done
