#!/usr/bin/env bash
# Times each phase of overlab on fresh local hosts, for 3 and 6 hosts (or the
# counts given as arguments), and prints one table. Each lab is created and
# removed here; nothing is left behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./bin/overlab
STATE=/var/lib/overlab/bench
counts=("${@:-3 6}")
read -r -a counts <<<"${counts[*]}"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

declare -A T
run() { # key, command...
	local key=$1; shift
	local s; s=$(now)
	if ! "$@" >/tmp/overlab-bench.out 2>&1; then
		echo "bench: $key failed:" >&2; cat /tmp/overlab-bench.out >&2; return 1
	fi
	T[$key]=$(secs "$s" "$(now)")
}

for n in "${counts[@]}"; do
	name="bench$n"
	inv="$STATE/$name/inventory.yaml"
	subnet="192.168.$((100 + n)).0/24"
	trap '$BIN local down --state-dir $STATE --name '"$name"' -q >/dev/null 2>&1 || true' EXIT
	run "$n local-up" $BIN local up --state-dir "$STATE" --name "$name" --hosts "$n" --subnet "$subnet" -q
	mem=$($BIN local status --state-dir "$STATE" --name "$name" | awk 'NR>1 { sum += $5 } END { printf "%.0f", sum / (NR-1) }')
	T["$n mem"]="$mem MiB"
	run "$n up" $BIN up -i "$inv" -q
	run "$n check" $BIN check -i "$inv" -q --results /tmp/overlab-bench-results
	run "$n up-again" $BIN up -i "$inv" -q
	run "$n down" $BIN down -i "$inv" -q
	run "$n local-down" $BIN local down --state-dir "$STATE" --name "$name" -q
	trap - EXIT
done

printf '%-34s' "phase (seconds)"; for n in "${counts[@]}"; do printf '%12s' "$n hosts"; done; echo
for k in "local-up:overlab local up" "mem:memory per idle host" "up:overlab up (from nothing)" "check:overlab check" "up-again:overlab up (nothing to change)" "down:overlab down" "local-down:overlab local down"; do
	printf '%-34s' "${k#*:}"
	for n in "${counts[@]}"; do printf '%12s' "${T[$n ${k%%:*}]}"; done
	echo
done
printf '%-34s' "up + check"
for n in "${counts[@]}"; do printf '%12s' "$(awk -v a="${T[$n up]}" -v b="${T[$n check]}" 'BEGIN { printf "%.2f", a + b }')"; done
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), $(uname -r), $(dockerd --version 2>/dev/null | cut -d, -f1)"
