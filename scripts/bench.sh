#!/usr/bin/env bash
# Times overlab on fresh local hosts: each command's wall time and each of
# its phases (from overlab's own progress lines), for 3, 6 and 10 hosts (or
# the counts given as arguments), RUNS times each on new hosts, and prints
# min-max ranges. Also: overlab's peak RSS during check, the largest probe
# container's RSS, and the machine's load while it ran (the figures are only
# as quiet as the machine). Each lab is created and removed here.
#
#   BENCH_RUNS=2 (runs per host count)  BENCH_STATE=/var/lib/overlab/bench
#   BENCH_NET=192.168 (underlay N hosts: $BENCH_NET.(100+N).0/24), or
#   BENCH_SUBNET=CIDR (one underlay for every count: the runs are in turn)
#   BENCH_ENGINE=26.1 or 28.5 (local up --engine; default: this machine's dockerd)
#   BENCH_LOGS=DIR (keep each command's progress output there, and each
#   run's engine logs)
#   BENCH_BIN=PATH (another overlab binary, to compare two builds)
#   BENCH_FLOOR=1 (after each run, the engines' own floor for the same work
#   on the same hosts: scripts/enginefloor, the same API calls with nothing
#   of overlab in between, timed from the engines' event streams)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BENCH_BIN:-./bin/overlab}
STATE=${BENCH_STATE:-/var/lib/overlab/bench}
NET=${BENCH_NET:-192.168}
RUNS=${BENCH_RUNS:-2}
ENGINE=${BENCH_ENGINE:-}
LOGS=${BENCH_LOGS:-}
FLOOR=${BENCH_FLOOR:-}
[[ -z $LOGS ]] || mkdir -p "$LOGS"
counts=("${@:-3 6 10}")
read -r -a counts <<<"${counts[*]}"
OUT=$(mktemp -d /tmp/overlab-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
TIME=$(command -v /usr/bin/time || true)
if [[ -n $FLOOR ]]; then
	CGO_ENABLED=0 go build -o "$OUT/enginefloor" ./scripts/enginefloor
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# V[key] holds every run's value, space-separated.
declare -A V ORDER
add() { V[$1]="${V[$1]:-} $2"; }

# run KEY COMMAND...: wall time of the command, and its phases from the
# progress lines ("HH:MM:SS.mmm ✓ probe image 2.31s (3 hosts)").
run() {
	local key=$1; shift
	local s; s=$(now)
	if ! "$@" >"$OUT/out" 2>"$OUT/err"; then
		echo "bench: $key failed:" >&2; cat "$OUT/err" "$OUT/out" >&2; return 1
	fi
	LAST=$(secs "$s" "$(now)")
	[[ -z $LOGS ]] || cp "$OUT/err" "$LOGS/$(date +%H%M%S)-${key// /-}.log"
	add "$key" "$LAST"
	local cmd=${key#* }
	while IFS=$'\t' read -r phase d; do
		add "$key/$phase" "$d"
		[[ "|${ORDER[$cmd]:-}|" == *"|$phase|"* ]] || ORDER[$cmd]="${ORDER[$cmd]:-}|$phase"
	done < <(awk '
		/^[0-9:.]+ (✓|✗) / {  # a phase line; per-host lines are indented
			sub(/ \([^)]*\)$/, ""); d = $NF; name = ""
			for (i = 3; i < NF; i++) name = name (name ? " " : "") $i
			if (d ~ /ms$/) { sub(/ms$/, "", d); d = d / 1000 } else if (d ~ /s$/) { sub(/s$/, "", d) } else next
			printf "%s\t%.2f\n", name, d
		}' "$OUT/err")
}

# probe_rss NAME: the largest RSS (MiB) of the lab's probe processes.
probe_rss() {
	local max=0 pid rss
	for pid in $(grep -l "/overlab/$1/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
		grep -qa 'probe.serve' "/proc/$pid/cmdline" 2>/dev/null || continue
		rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		((rss > max)) && max=$rss
	done
	awk -v k="$max" 'BEGIN { printf "%.1f", k / 1024 }'
}

load() { cut -d' ' -f1 /proc/loadavg; }

# one N NAME: one run on fresh hosts; a failed command ends the run (the
# error is printed and counted), never the whole benchmark.
one() {
	local n=$1 name=$2 inv="$STATE/$2/inventory.yaml"
	run "$n local-up" $BIN local up --state-dir "$STATE" --name "$name" --hosts "$n" --subnet "${BENCH_SUBNET:-$NET.$((100 + n)).0/24}" ${ENGINE:+--engine "$ENGINE"} || return 1
	add "$n mem" "$($BIN local status --state-dir "$STATE" --name "$name" | awk 'NR>1 { for (i = 2; i <= NF; i++) if ($i == "MiB") sum += $(i-1) } END { printf "%.0f", sum / (NR-1) }')"
	run "$n up" $BIN up -i "$inv" || return 1
	local up=$LAST
	if [[ -n $TIME ]]; then
		run "$n check" "$TIME" -f 'rss %M' -o "$OUT/rss" $BIN check -i "$inv" --results "$OUT/results" || return 1
		add "$n rss" "$(awk '/^rss/ { printf "%.0f", $2 / 1024 }' "$OUT/rss")"
	else
		run "$n check" $BIN check -i "$inv" --results "$OUT/results" || return 1
	fi
	add "$n up+check" "$(awk -v a="$up" -v b="$LAST" 'BEGIN { printf "%.2f", a + b }')"
	add "$n probe-rss" "$(probe_rss "$name")"
	run "$n up-again" $BIN up -i "$inv" || return 1
	run "$n down" $BIN down -i "$inv" || return 1
	[[ -z $FLOOR ]] || floor "$n" "$inv"
}

# floor N INVENTORY: the engines' own floor on the same hosts, once overlab
# is down ("floor hosts=3 swarm=0.81 ... down=2.9"), one value per key.
floor() {
	local line kv
	if ! line=$(timeout 300 "$OUT/enginefloor" -i "$2" 2>"$OUT/err"); then
		echo "bench: enginefloor failed:" >&2; cat "$OUT/err" >&2; return 1
	fi
	for kv in ${line#floor }; do
		[[ ${kv%%=*} == hosts ]] || add "$1 floor/${kv%%=*}" "${kv#*=}"
	done
}

# keep_engine_logs NAME: with BENCH_LOGS, each host's dockerd log of the
# run, before local down removes it (an outlier's cause is in there).
keep_engine_logs() {
	[[ -n $LOGS ]] || return 0
	local d f
	d="$LOGS/$(date +%H%M%S)-$1-engines"
	mkdir -p "$d"
	for f in "$STATE/$1"/hosts/*/dockerd.log; do
		[[ -f $f ]] && cp "$f" "$d/$(basename "$(dirname "$f")").log"
	done
}

declare -A FAILED
for n in "${counts[@]}"; do
	for ((r = 1; r <= RUNS; r++)); do
		name="bench$n"
		trap '$BIN local down --state-dir $STATE --name '"$name"' -q >/dev/null 2>&1 || true; rm -rf "$OUT"' EXIT
		add "$n load" "$(load)"
		one "$n" "$name" || FAILED[$n]=$((${FAILED[$n]:-0} + 1))
		keep_engine_logs "$name"
		run "$n local-down" $BIN local down --state-dir "$STATE" --name "$name" || true
		add "$n load" "$(load)"
		trap 'rm -rf "$OUT"' EXIT
	done
done

# range KEY: "min-max" of the runs (one value: itself), "" when none.
range() {
	local v=${V[$1]:-}
	[[ -z ${v// /} ]] && return 0
	tr ' ' '\n' <<<"$v" | awk 'NF { if (n == 0 || $1 < lo) lo = $1; if (n == 0 || $1 > hi) hi = $1; n++ }
		END { if (lo == hi) print lo; else print lo "-" hi }'
}
row() { # label, key
	printf '%-44s' "$1"
	for n in "${counts[@]}"; do printf '%14s' "$(range "$n $2")"; done
	echo
}
phases() { tr '|' '\n' <<<"${ORDER[$1]:-}"; } # a command's phases, in the order they appeared

printf '%-44s' "seconds (range of $RUNS runs)"; for n in "${counts[@]}"; do printf '%14s' "$n hosts"; done; echo
for cmd in local-up up check up-again down local-down; do
	row "overlab $cmd" "$cmd"
	while read -r ph; do [[ -n $ph ]] && row "  $ph" "$cmd/$ph"; done < <(phases "$cmd")
done
row "up + check (same run)" up+check
if [[ -n $FLOOR ]]; then
	for k in swarm networks tasks up up+check remove leave down; do row "engine floor: $k" "floor/$k"; done
fi
row "memory per idle host (MiB, PSS)" mem
row "overlab peak RSS during check (MiB)" rss
row "largest probe container RSS (MiB)" probe-rss
row "load average (1 min) before/after runs" load
printf '%-44s' "failed runs (error printed above)"; for n in "${counts[@]}"; do printf '%14s' "${FAILED[$n]:-0}"; done; echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(uname -r), $(dockerd --version 2>/dev/null | cut -d, -f1)${ENGINE:+ (hosts: --engine $ENGINE)}"
