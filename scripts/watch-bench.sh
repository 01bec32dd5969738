#!/usr/bin/env bash
# The figures of `overlab watch` (docs/figures.md#watch), on fresh local
# hosts with the swarm lab up:
#   - the hosts' CPU that the watch costs per round (cpuacct: every process
#     of each host, its containers included, during the watch minus the same
#     hosts idle for as long), per host and as a share of one core;
#   - overlab's own CPU per round and its resident memory, sampled from its
#     /metrics (process_resident_memory_bytes) every 30 s;
#   - the time from a fault (4789/udp blocked on the last host, at a random
#     moment of the interval) to overlab_probe_up changing, FAULTS times.
# The lab, the watch and the accounting cgroups are made and removed here.
#
#   WB_HOSTS=10 WB_INTERVAL=15s WB_MINUTES=10 WB_IDLE_MINUTES=5 WB_FAULTS=5
#   WB_STATE=/var/lib/overlab/bench WB_NAME=wbench WB_SUBNET=192.168.110.0/24
#   WB_OUT=DIR (keeps the watch's output, samples and events there)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin/overlab
HOSTS=${WB_HOSTS:-10}
INTERVAL=${WB_INTERVAL:-15s}
MINUTES=${WB_MINUTES:-10}
IDLE=${WB_IDLE_MINUTES:-5}
FAULTS=${WB_FAULTS:-5}
STATE=${WB_STATE:-/var/lib/overlab/bench}
NAME=${WB_NAME:-wbench}
SUBNET=${WB_SUBNET:-192.168.110.0/24}
OUT=${WB_OUT:-$(mktemp -d /var/tmp/overlab-watch-bench.XXXXXX)}
PORT=${WB_PORT:-19470}
INV=$STATE/$NAME/inventory.yaml
CG=/sys/fs/cgroup/cpuacct/overlab-watch-bench-$NAME
mkdir -p "$OUT"
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
now() { date +%s.%N; }
ival=${INTERVAL%s}

WPID=
cleanup() {
	[[ -z $WPID ]] || { kill -INT "$WPID" 2>/dev/null || true; wait "$WPID" 2>/dev/null || true; }
	$BIN fault heal -i "$INV" -q >/dev/null 2>&1 || true
	$BIN down -i "$INV" -q >/dev/null 2>&1 || true
	$BIN local down --state-dir "$STATE" --name "$NAME" >/dev/null 2>&1 || true
	# The hosts' processes are gone: the accounting groups are empty.
	for d in "$CG"/node*; do [[ -d $d ]] && rmdir "$d" 2>/dev/null || true; done
	[[ -d $CG ]] && rmdir "$CG" 2>/dev/null || true
}
trap cleanup EXIT
trap "exit 2" INT TERM

$BIN local up --state-dir "$STATE" --name "$NAME" --hosts "$HOSTS" --subnet "$SUBNET" >"$OUT/local-up.log" 2>&1
$BIN up -i "$INV" >"$OUT/up.log" 2>&1

# Every process of host i outside its containers (dockerd, containerd, the
# shims, sshd and its sessions) shares the host's network namespace: into
# an accounting group of its own, which their children inherit. The
# containers are in the host's own cgroup parent, /overlab/NAME/nodeI.
mkdir -p "$CG"
for i in $(seq 1 "$HOSTS"); do
	mkdir -p "$CG/node$i"
	ns=$(stat -L -c %i "/var/run/netns/$NAME-node$i")
	for p in /proc/[0-9]*; do
		[[ $(stat -L -c %i "$p/ns/net" 2>/dev/null) == "$ns" ]] && echo "${p#/proc/}" >"$CG/node$i/cgroup.procs" 2>/dev/null || true
	done
done
usage() { # nanoseconds of CPU of every host, processes and containers
	local sum=0 i v c
	for i in $(seq 1 "$HOSTS"); do
		v=$(cat "$CG/node$i/cpuacct.usage")
		c=$(cat "/sys/fs/cgroup/cpuacct/overlab/$NAME/node$i/cpuacct.usage" 2>/dev/null || echo 0)
		sum=$((sum + v + c))
	done
	echo "$sum"
}

echo "idle: ${IDLE} min with the lab up and no watch"
u0=$(usage); t0=$(now)
sleep $((IDLE * 60))
u1=$(usage); t1=$(now)
idle_rate=$(awk -v u="$((u1 - u0))" -v t="$(secs "$t0" "$t1")" 'BEGIN { print u / 1e9 / t }')

echo "watch: ${MINUTES} min every $INTERVAL"
$BIN watch -i "$INV" --interval "$INTERVAL" --listen "127.0.0.1:$PORT" --results "$OUT/results" --events "$OUT/events.jsonl" >"$OUT/watch.out" 2>"$OUT/watch.err" &
WPID=$!
metric() { curl -s "127.0.0.1:$PORT/metrics" | awk -v s="$1" '$1 == s { v = $2 } END { print v }'; }
until [[ $(metric overlab_checks_total) -ge 1 ]] 2>/dev/null; do sleep 0.5; done
u2=$(usage); t2=$(now); c2=$(metric overlab_checks_total)
cpu0=$(awk '{ print $14 + $15 }' "/proc/$WPID/stat")
echo "minute rss_mib rounds" >"$OUT/rss.txt"
for s in $(seq 1 $((MINUTES * 2))); do
	sleep 30
	curl -s "127.0.0.1:$PORT/metrics" | awk -v m="$(awk -v s="$s" 'BEGIN { print s / 2 }')" '
		$1 == "process_resident_memory_bytes" { rss = $2 } $1 == "overlab_checks_total" { n = $2 }
		END { printf "%s %.1f %d\n", m, rss / 1048576, n }' >>"$OUT/rss.txt"
done
u3=$(usage); t3=$(now); c3=$(metric overlab_checks_total)
cpu1=$(awk '{ print $14 + $15 }' "/proc/$WPID/stat")
hz=$(getconf CLK_TCK)
rounds=$((c3 - c2))
dur=$(secs "$t2" "$t3")
awk -v u="$((u3 - u2))" -v t="$dur" -v idle="$idle_rate" -v n="$rounds" -v h="$HOSTS" -v iv="$ival" -v oc="$((cpu1 - cpu0))" -v hz="$hz" 'BEGIN {
	watch = u / 1e9 - idle * t
	printf "CPU of the hosts, idle lab: %.3f core (%.4f per host)\n", idle, idle / h
	printf "CPU of the hosts during the watch: %.1f s in %.0f s, %d rounds\n", u / 1e9, t, n
	printf "cost of the watch on the hosts: %.3f CPU-s per round, %.4f per host per round = %.2f%% of one core per host at %ss\n", watch / n, watch / n / h, 100 * watch / n / h / iv, iv
	printf "CPU of overlab itself: %.3f s per round\n", oc / hz / n
}' | tee "$OUT/summary.txt"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/summary.txt"
echo "overlab's RSS (MiB) every 30 s:" | tee -a "$OUT/summary.txt"
awk 'NR > 1 { printf "%s ", $2 } END { print "" }' "$OUT/rss.txt" | tee -a "$OUT/summary.txt"

echo "fault to metric, $FAULTS times (4789/udp blocked on node$HOSTS)" | tee -a "$OUT/summary.txt"
series="overlab_probe_up{from=\"node1\",kind=\"udp\",network=\"overlab-overlay\",to=\"node$HOSTS\"}"
value() { metric "$series"; }
for f in $(seq 1 "$FAULTS"); do
	sleep "$(awk -v r="$RANDOM" -v iv="$ival" 'BEGIN { printf "%.2f", r % (iv * 100) / 100 }')"
	$BIN fault block "node$HOSTS" 4789/udp -i "$INV" -q >/dev/null
	s=$(now)
	until [[ $(value) == 0 ]]; do sleep 0.1; done
	e=$(now)
	$BIN fault heal "node$HOSTS" -i "$INV" -q >/dev/null
	until [[ $(value) == 1 ]]; do sleep 0.2; done
	echo "fault $f: $(secs "$s" "$e") s to overlab_probe_up 0 (interval $INTERVAL)" | tee -a "$OUT/summary.txt"
done
echo "runs stored: $(find "$OUT/results" -mindepth 1 -maxdepth 1 -type d | wc -l); transitions: $(wc -l <"$OUT/events.jsonl")" | tee -a "$OUT/summary.txt"
echo "output: $OUT"
