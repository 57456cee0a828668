#!/usr/bin/env bash
# bench/loadtest.sh: smtpkit against emersion/go-smtp and Postfix under load.
#
# Part 1, servers: Postfix's smtp-source (-s 20, no pipelining) sends to
# smtpkit serve --discard, to a go-smtp discard server (bench/compare's
# gosmtp-sink) and to Postfix's smtp-sink, with 1 KiB and 100 KiB bodies,
# first with one new connection per message (smtp-source's default: connect,
# HELO, MAIL, RCPT, DATA, QUIT), then with -d (20 sessions kept open).
# Part 2, clients: smtpkit load (pipelined; BDAT where CHUNKING is offered)
# and go-smtp's client (bench/compare's gosmtp-load, lock-step), 20
# connections each, against each of the three servers.
#
# Each run gets a fresh server on a free 127.0.0.1 port; each row is the
# best of LOADTEST_REPEAT runs (other load on the machine only ever makes a
# figure worse). Reported: msgs/s
# (accepted messages over the client command's wall time), the server
# process's CPU (utime+stime of all its threads, /proc/PID/stat, read before
# and after the client ran) per message and the client's CPU per message
# (bash's time: user+sys of the client and its children). A run fails when
# the client did not get every message accepted or the server counted a
# different number (smtpkit serve's "stopped messages=N" log line,
# gosmtp-sink's "accepted N"; smtp-sink keeps no count without -c, whose
# per-event output would cost it CPU, so smtp-source's counter stands in).
#
# usage: bench/loadtest.sh [--quick]
#   --quick  small counts (CI; well under a minute in all)
# environment (defaults full/quick):
#   LOADTEST_SESSIONS      smtp-source -s and the load clients' connections (20)
#   LOADTEST_MSGS          1 KiB messages per smtp-source run (20000/2000)
#   LOADTEST_BIG_MSGS      100 KiB messages per smtp-source run (2000/200)
#   LOADTEST_CLIENT_MSGS   1 KiB messages per load-client run (50000/3000)
#   LOADTEST_CLIENT_BIG_MSGS 100 KiB messages per load-client run (2000/200)
#   LOADTEST_SIZE, LOADTEST_BIG_SIZE   body sizes in bytes (1024, 102400)
#   LOADTEST_TIMEOUT       hard bound in seconds on each command (300/60)
#   LOADTEST_REPEAT        runs per row, the best figures kept (3/1)
#   LOADTEST_OUT           also write the markdown report to this file
# Needs go, smtp-source and smtp-sink (apt-get install postfix), ss, pgrep.
# Exit status: 0 when every run delivered every message, 1 otherwise.
set -euo pipefail

usage() { sed -n '/^# usage:/,/^# Exit status/p' "$0" | sed 's/^# \{0,1\}//'; }

quick=0
case ${1:-} in
'') ;;
--quick) quick=1 ;;
-h | --help)
	usage
	exit 0
	;;
*)
	usage >&2
	exit 2
	;;
esac

pick() { if ((quick)); then echo "$2"; else echo "$1"; fi; }
SESSIONS=${LOADTEST_SESSIONS:-20}
MSGS=${LOADTEST_MSGS:-$(pick 20000 2000)}
BIG_MSGS=${LOADTEST_BIG_MSGS:-$(pick 2000 200)}
CLIENT_MSGS=${LOADTEST_CLIENT_MSGS:-$(pick 50000 3000)}
CLIENT_BIG_MSGS=${LOADTEST_CLIENT_BIG_MSGS:-$(pick 2000 200)}
SIZE=${LOADTEST_SIZE:-1024}
BIG_SIZE=${LOADTEST_BIG_SIZE:-102400}
STEP=${LOADTEST_TIMEOUT:-$(pick 300 60)}
REPEAT=${LOADTEST_REPEAT:-$(pick 3 1)}
for v in SESSIONS MSGS BIG_MSGS CLIENT_MSGS CLIENT_BIG_MSGS SIZE BIG_SIZE STEP REPEAT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || {
		echo "loadtest: $v=${!v} is not a positive integer" >&2
		exit 2
	}
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TICK=$(getconf CLK_TCK)
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
for t in go ss pgrep "$SOURCE" "$SINK"; do
	command -v "$t" >/dev/null || {
		echo "loadtest: $t not found (smtp-source, smtp-sink: apt-get install postfix)" >&2
		exit 1
	}
done

tmp=$(mktemp -d)
started=() # the timeout(1) processes wrapping each server
# shellcheck disable=SC2317 # cleanup runs from the EXIT trap
cleanup() {
	local p
	for p in "${started[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${started[@]}"; do
		stop_wait "$p" || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "loadtest: $*" >&2; }

# stop_wait PID: waits up to 10 s for PID (a timeout(1) we started) to exit,
# then kills it and its child; reaps it.
stop_wait() {
	local p=$1 child i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		child=$(pgrep -P "$p" || true)
		[[ -z $child ]] || kill -KILL "$child" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	fi
	wait "$p" 2>/dev/null || true
}

# free_port prints a 127.0.0.1 TCP port below the ephemeral range that
# nothing listens on.
free_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 12000))
		if [[ -z $(ss -Htan "sport = :$p") ]]; then
			echo "$p"
			return 0
		fi
	done
	echo "loadtest: no free port found" >&2
	return 1
}

# ticks PID prints the utime and stime of PID's thread group in clock
# ticks (proc(5): fields 14 and 15, counted after the parenthesised name).
ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo "loadtest: server process $1 is gone" >&2
		echo 0 0
		return
	}
	stat=${stat##*) }
	awk '{ print $12, $13 }' <<<"$stat"
}

# start_server KIND: starts a fresh server under timeout(1) (outliving the
# one client run it serves) on a free port and waits until it listens; sets
# SRV_ADDR, SRV_TPID, SRV_PID, SRV_LOG.
start_server() {
	local kind=$1 port i life=$((STEP + 30))
	port=$(free_port)
	SRV_ADDR=127.0.0.1:$port
	SRV_LOG=$tmp/server-$kind
	case $kind in
	smtpkit) timeout "$life" "$tmp/smtpkit" serve --discard --tls off --hostname loadtest \
		--listen "$SRV_ADDR" >"$SRV_LOG.out" 2>"$SRV_LOG.err" & ;;
	go-smtp) timeout "$life" "$tmp/gosmtp-sink" -listen "$SRV_ADDR" >"$SRV_LOG.out" 2>"$SRV_LOG.err" & ;;
	smtp-sink)
		local as=()
		if ((EUID == 0)); then as=(-u nobody); fi # it refuses root
		timeout "$life" "$SINK" "${as[@]}" -h loadtest "$SRV_ADDR" 1024 >"$SRV_LOG.out" 2>"$SRV_LOG.err" &
		;;
	esac
	SRV_TPID=$!
	started+=("$SRV_TPID")
	SRV_PID=
	for ((i = 0; i < 100; i++)); do
		[[ -n $SRV_PID ]] || SRV_PID=$(pgrep -P "$SRV_TPID" || true)
		if [[ -n $SRV_PID && -n $(ss -Htln "sport = :$port") ]]; then
			return 0
		fi
		kill -0 "$SRV_TPID" 2>/dev/null || break
		sleep 0.05
	done
	log "$kind did not listen on $SRV_ADDR: $(cat "$SRV_LOG.err")"
	return 1
}

# stop_server KIND: SIGTERM, a bounded wait, then SRV_COUNT is the number of
# messages the server says it accepted (empty when it keeps no count).
stop_server() {
	kill -TERM "$SRV_TPID" 2>/dev/null || true
	stop_wait "$SRV_TPID"
	local keep=() p
	for p in "${started[@]}"; do [[ $p == "$SRV_TPID" ]] || keep+=("$p"); done
	started=("${keep[@]}")
	SRV_COUNT=
	case $1 in
	smtpkit) SRV_COUNT=$(sed -n 's/.*msg=stopped messages=\([0-9]*\).*/\1/p' "$SRV_LOG.err") ;;
	go-smtp) SRV_COUNT=$(sed -n 's/^accepted \([0-9]*\)$/\1/p' "$SRV_LOG.out") ;;
	esac
	[[ $1 == smtp-sink || -n $SRV_COUNT ]] || SRV_COUNT=missing
}

# timed NAME CMD...: runs CMD under timeout(1) with stdout in $tmp/NAME.out;
# sets RUN_RC, RUN_WALL and RUN_CPU (seconds; user+sys of CMD).
timed() {
	local name=$1 t
	shift
	RUN_RC=0
	{
		TIMEFORMAT='%3R %3U %3S'
		time timeout "$STEP" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	} 2>"$tmp/$name.time" || RUN_RC=$?
	t=$(tail -n 1 "$tmp/$name.time")
	RUN_WALL=$(awk '{ print $1 }' <<<"$t")
	RUN_CPU=$(awk '{ print $2 + $3 }' <<<"$t")
}

# json_int FILE KEY prints the integer value of "KEY" in a JSON line.
json_int() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1" | head -n 1; }

failed=0
report=$tmp/report.md
declare -A RATE CPU # by run key: msgs/s and server CPU µs/msg

# once KEY SERVER CLIENT SIZE COUNT [smtp-source options]: one run against a
# fresh server; sets O_WALL, O_RATE (msgs/s), O_SCPU and O_SYS (server CPU
# µs/msg and its system share in %), O_CCPU (client CPU µs/msg) and O_NOTE
# (empty when every message was accepted and counted).
once() {
	local key=$1 server=$2 client=$3 size=$4 count=$5 got u0 s0 u1 s1 d
	shift 5
	start_server "$server"
	read -r u0 s0 < <(ticks "$SRV_PID")
	case $client in
	smtp-source) timed "$key" "$SOURCE" -c "$@" -s "$SESSIONS" -m "$count" -l "$size" \
		-f load@example.org -t sink@example.net "$SRV_ADDR" ;;
	smtpkit-load) timed "$key" "$tmp/smtpkit" load --server "$SRV_ADDR" --tls off \
		--connections "$SESSIONS" --messages "$count" --size "$size" --timeout "${STEP}s" --json ;;
	gosmtp-load) timed "$key" "$tmp/gosmtp-load" -addr "$SRV_ADDR" -c "$SESSIONS" -n "$count" \
		-size "$size" -timeout "${STEP}s" ;;
	esac
	read -r u1 s1 < <(ticks "$SRV_PID")
	stop_server "$server"
	case $client in
	smtp-source) got=$(tr '\r' '\n' <"$tmp/$key.out" | grep -E '^[0-9]+$' | tail -n 1 || true) ;;
	smtpkit-load) got=$(json_int "$tmp/$key.out" ok) ;;
	gosmtp-load) got=$(json_int "$tmp/$key.out" accepted) ;;
	esac
	got=${got:-0}
	O_NOTE=
	if ((RUN_RC != 0)); then O_NOTE="exit $RUN_RC: $(head -c 200 "$tmp/$key.err" | tr '\n|' '  ')"; fi
	if ((got != count)); then O_NOTE="$O_NOTE client counted $got"; fi
	if [[ -n $SRV_COUNT && $SRV_COUNT != "$count" ]]; then O_NOTE="$O_NOTE server counted $SRV_COUNT"; fi
	((got > 0)) || got=1
	d=$((u1 - u0 + s1 - s0))
	O_SYS=$((d > 0 ? (s1 - s0) * 100 / d : 0))
	O_WALL=$RUN_WALL
	read -r O_RATE O_SCPU O_CCPU < <(awk -v n="$got" -v w="$RUN_WALL" -v d="$d" -v hz="$TICK" -v c="$RUN_CPU" \
		'BEGIN { printf "%.0f %.1f %.1f\n", (w > 0) ? n / w : 0, d * 1e6 / hz / n, c * 1e6 / n }')
}

# measure KEY SERVER CLIENT SIZE COUNT [smtp-source options]: REPEAT runs;
# adds a table row with the best of each figure (the highest msgs/s, the
# lowest CPU per message: what the software does when the machine's other
# load gets least in the way) and sets RATE[KEY] and CPU[KEY].
measure() {
	local key=$1 server=$2 client=$3 size=$4 count=$5 i wall=0 rate=0 scpu='' sys=0 ccpu='' ok=yes note=''
	log "$client -> $server: $count x $size bytes, $REPEAT run(s)"
	for ((i = 1; i <= REPEAT; i++)); do
		once "$@"
		if [[ -n $O_NOTE ]]; then ok=FAIL note="$note run $i:$O_NOTE"; fi
		if ((O_RATE > rate)); then rate=$O_RATE wall=$O_WALL; fi
		if [[ -z $scpu ]] || awk -v a="$O_SCPU" -v b="$scpu" 'BEGIN { exit !(a < b) }'; then scpu=$O_SCPU sys=$O_SYS; fi
		if [[ -z $ccpu ]] || awk -v a="$O_CCPU" -v b="$ccpu" 'BEGIN { exit !(a < b) }'; then ccpu=$O_CCPU; fi
	done
	[[ $ok == yes ]] || failed=1
	[[ $ok == FAIL || -z $SRV_COUNT ]] || ok="yes ($SRV_COUNT each)"
	RATE[$key]=$rate
	CPU[$key]=$scpu
	printf '| %s | %s | %d | %d | %.2f | %d | %s | %d%% | %s | %s |\n' "$client" "$server" "$size" "$count" \
		"$wall" "$rate" "$scpu" "$sys" "$ccpu" "$ok$note" >>"$report"
}

# ratio A B prints A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# verdict VALUE OP TARGET prints "met" or "MISSED" (or "n/a").
verdict() {
	awk -v v="$1" -v t="$3" -v op="$2" 'BEGIN {
		if (v == "n/a") { print "n/a"; exit }
		m = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)
		print m ? "met" : "MISSED" }'
}

header() {
	printf '\n%s\n\n' "$1"
	echo '| client | server | body bytes | messages | wall s | msgs/s | server CPU µs/msg | server sys | client CPU µs/msg | all accepted |'
	echo '|---|---|--:|--:|--:|--:|--:|--:|--:|---|'
}

log "building into $tmp"
(cd "$ROOT" && timeout 600 go build -o "$tmp/smtpkit" ./cmd/smtpkit)
(cd "$ROOT/bench/compare" && timeout 600 go build -o "$tmp" ./cmd/gosmtp-sink ./cmd/gosmtp-load)

{
	echo "# smtpkit load test"
	echo
	echo "$(date -u +%FT%TZ), $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(go version | cut -d' ' -f3-4)," \
		"smtpkit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), go-smtp v0.26.0, Postfix $(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo '?')."
	echo "Every server and client runs on 127.0.0.1 on the same machine; CPU from /proc (clock tick $((1000 / TICK)) ms);" \
		"each row is the best of $REPEAT run(s), each figure on its own; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
} >"$report"

servers=(smtpkit go-smtp smtp-sink)
header "## Servers under Postfix smtp-source -s $SESSIONS (no pipelining; without -d every message is a new connection: connect, HELO, MAIL, RCPT, DATA, QUIT)" >>"$report"
for s in "${servers[@]}"; do measure "src-small-$s" "$s" smtp-source "$SIZE" "$MSGS"; done
for s in "${servers[@]}"; do measure "src-big-$s" "$s" smtp-source "$BIG_SIZE" "$BIG_MSGS"; done
header "## Servers under smtp-source -d -s $SESSIONS ($SESSIONS sessions kept open, messages one after another on each)" >>"$report"
for s in "${servers[@]}"; do measure "srcd-small-$s" "$s" smtp-source "$SIZE" "$MSGS" -d; done

header "## Clients, $SESSIONS connections each, every connection kept open (smtpkit load pipelines MAIL/RCPT/DATA, BDAT to smtpkit serve; go-smtp is lock-step)" >>"$report"
for c in smtpkit-load gosmtp-load; do
	for s in "${servers[@]}"; do measure "cli-small-$c-$s" "$s" "$c" "$SIZE" "$CLIENT_MSGS"; done
done
for c in smtpkit-load gosmtp-load; do
	for s in "${servers[@]}"; do measure "cli-big-$c-$s" "$s" "$c" "$BIG_SIZE" "$CLIENT_BIG_MSGS"; done
done

{
	echo
	echo "## Ratios"
	echo
	echo '| measure | value | target | verdict |'
	echo '|---|--:|--:|---|'
	for run in src-small src-big srcd-small; do
		case $run in
		src-small) what="smtp-source $SIZE B" ;;
		src-big) what="smtp-source $BIG_SIZE B" ;;
		*) what="smtp-source -d $SIZE B" ;;
		esac
		v=$(ratio "${CPU[$run-smtp-sink]}" "${CPU[$run-smtpkit]}")
		t='' verd=''
		if [[ $run == src-small ]]; then t='≥ 2' verd=$(verdict "$v" '>=' 2); fi
		echo "| $what: server CPU/msg smtp-sink ÷ smtpkit | $v | $t | $verd |"
		v=$(ratio "${CPU[$run-go-smtp]}" "${CPU[$run-smtpkit]}")
		t='' verd=''
		if [[ $run == src-small ]]; then t='≥ 3' verd=$(verdict "$v" '>=' 3); fi
		echo "| $what: server CPU/msg go-smtp ÷ smtpkit | $v | $t | $verd |"
		echo "| $what: msgs/s smtpkit ÷ smtp-sink | $(ratio "${RATE[$run-smtpkit]}" "${RATE[$run-smtp-sink]}") | | |"
		echo "| $what: msgs/s smtpkit ÷ go-smtp | $(ratio "${RATE[$run-smtpkit]}" "${RATE[$run-go-smtp]}") | | |"
	done
	for run in cli-small cli-big; do
		if [[ $run == cli-small ]]; then b=$SIZE; else b=$BIG_SIZE; fi
		v=$(ratio "${RATE[$run-smtpkit-load-smtp-sink]}" "${RATE[$run-gosmtp-load-smtp-sink]}")
		t='' verd=''
		if [[ $run == cli-small ]]; then t='≥ 2' verd=$(verdict "$v" '>=' 2); fi
		echo "| $b B: msgs/s against smtp-sink, smtpkit load ÷ gosmtp-load | $v | $t | $verd |"
		echo "| $b B: msgs/s, smtpkit load→serve ÷ gosmtp-load→gosmtp-sink | $(ratio "${RATE[$run-smtpkit-load-smtpkit]}" "${RATE[$run-gosmtp-load-go-smtp]}") | | |"
		echo "| $b B: server CPU/msg, gosmtp-sink ÷ smtpkit serve (own clients) | $(ratio "${CPU[$run-gosmtp-load-go-smtp]}" "${CPU[$run-smtpkit-load-smtpkit]}") | | |"
	done
	((failed == 0)) || printf '\n**Some runs did not deliver every message (see "all accepted").**\n'
} >>"$report"

cat "$report"
if [[ -n ${LOADTEST_OUT:-} ]]; then cp "$report" "$LOADTEST_OUT"; fi
exit "$failed"
