#!/usr/bin/env bash
# reliability/run.sh [short|long|fuzz] runs the reliability suite of
# docs/RELIABILITY.md: the tests under reliability/ (build tag reliability)
# against the real `smtpkit serve` process and the client, on 127.0.0.1.
#
#   short  the form .ci/run runs (a few minutes): reduced counts.
#   long   the issue's figures: 1,000 sessions x 20 messages into a
#          Maildir, 10,000 idle connections, 500 slow-trickle connections,
#          1,000 cut points per mode; then every fuzz target of the module
#          for 10 minutes (fuzz/run.sh 10m; FUZZ_JOBS=n runs n at once).
#   fuzz   only the 10-minute fuzzing of every target.
#
# It prints the RESULT lines the tests log (the figures of
# docs/RELIABILITY.md) and, after fuzzing, the fuzz table. RELIABILITY_OUT=dir
# keeps the test log (test.log), the figures (results.txt) and the fuzz table
# (fuzz.md) there. The disk-full case mounts a tmpfs: it needs root, and is
# skipped with the reason otherwise. The exit status is 1 when a test or a
# fuzz target failed.
set -uo pipefail
cd "$(dirname "$0")/.."

form=${1:-short}
case $form in
short) timeout=15m ;;
long) timeout=90m ;;
fuzz) ;;
*)
	echo "usage: bash reliability/run.sh [short|long|fuzz]" >&2
	exit 2
	;;
esac
out=${RELIABILITY_OUT:-$(mktemp -d)}
mkdir -p "$out"
status=0

if [ "$form" != fuzz ]; then
	echo "reliability suite, $form form (log: $out/test.log)"
	SMTPKIT_RELIABILITY=$form go test -tags reliability -count=1 -v -timeout "$timeout" ./reliability/... >"$out/test.log" 2>&1 || status=1
	grep -E -- '^(--- FAIL|FAIL|ok|panic)' "$out/test.log" || true
	grep -o 'RESULT .*' "$out/test.log" | sed 's/^RESULT //' >"$out/results.txt" || true
	printf '\nfigures:\n'
	sed 's/^/  /' "$out/results.txt"
	if [ "$status" != 0 ]; then
		printf '\nfailures (last 80 lines of the log):\n'
		tail -n 80 "$out/test.log"
	fi
fi

if [ "$form" != short ]; then
	FUZZ_SUMMARY=$out/fuzz.md bash fuzz/run.sh 10m || status=1
fi
exit "$status"
