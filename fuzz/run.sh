#!/usr/bin/env bash
# fuzz/run.sh [duration] runs every fuzz target of every package of the
# module, each for duration (a -fuzztime value: 1m by default; the long
# form of docs/RELIABILITY.md is `bash fuzz/run.sh 10m`), and prints one
# line per target as it ends and a markdown table at the end: package,
# target, result, elapsed time and the number of executions the fuzzer
# reported. The exit status is 1 when a target failed, and the new
# reproducers under testdata/fuzz are listed; check them in as regression
# seeds once the bug is fixed.
#
# Environment:
#   FUZZ_PKGS="./wire ./auth"  limit the run to those package patterns
#                              (default ./...).
#   FUZZ_JOBS=n                run n targets at once (default 1). Each then
#                              gets -parallel max(1, nproc/n) workers, so
#                              the machine is shared, not oversubscribed.
#   FUZZ_SUMMARY=file          also write the table to file.
#
# Go 1.26's fuzz coordinator can fail with a bare "context deadline
# exceeded" as -fuzztime ends, without writing a reproducer
# (golang/go#75804, fixed in Go 1.27). As in .ci/run, that one case is
# retried once; any other failure, or a second one, counts.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${1:-1m}
JOBS=${FUZZ_JOBS:-1}
PARALLEL=$(($(nproc) / JOBS))
[ "$PARALLEL" -ge 1 ] || PARALLEL=1

# The go test timeout must outlast -fuzztime: twice the duration plus five
# minutes for simple durations ("90s", "10m", "2h"); none otherwise (for
# counts such as "1000x").
timeout=0
if [[ $FUZZTIME =~ ^([0-9]+)(s|m|h)$ ]]; then
	n=${BASH_REMATCH[1]}
	case ${BASH_REMATCH[2]} in
	s) secs=$n ;;
	m) secs=$((n * 60)) ;;
	h) secs=$((n * 3600)) ;;
	esac
	timeout="$((2 * secs + 300))s"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# listing prints the files of a corpus directory, one a line.
listing() { ls "$1" 2>/dev/null | sort || true; }

# fuzz_one runs target number i, retrying once for golang/go#75804, and
# leaves its table row in $work/i.row and its new reproducers in
# $work/i.new.
fuzz_one() {
	local i=$1 pkg=$2 target=$3 dir try start result execs before after log
	log=$work/$i.log
	dir="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target"
	start=$SECONDS
	result=FAIL
	: >"$work/$i.new"
	for try in 1 2; do
		before=$(listing "$dir")
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -parallel "$PARALLEL" -timeout "$timeout" "$pkg" >"$log" 2>&1; then
			result=ok
			[ "$try" = 2 ] && result="ok (retried, go#75804)"
			break
		fi
		after=$(listing "$dir")
		grep -v '^fuzz: elapsed' "$log" | tail -n 40 | sed "s|^|   $target: |"
		if [ "$before" != "$after" ]; then
			comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -v '^$' |
				sed "s|^|${dir#"$PWD"/}/|" >"$work/$i.new"
			break
		fi
		if [ "$try" = 2 ] || ! grep -qx '    context deadline exceeded' "$log"; then
			break
		fi
		echo "   $target: no reproducer written (golang/go#75804 coordinator race); retrying once"
	done
	# The last progress line with a count; a run that spent its time
	# gathering baseline coverage has none.
	execs=$(grep '^fuzz: elapsed.*execs: ' "$log" | tail -n 1 | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	if [ -z "$execs" ]; then
		execs="0 (baseline only)"
		[ "${result:0:2}" = ok ] || execs=-
	fi
	printf -- '-- %s %s: %s, %ss, %s execs\n' "$pkg" "$target" "$result" "$((SECONDS - start))" "$execs"
	printf '| %s | %s | %s | %ss | %s |\n' "$pkg" "$target" "$result" "$((SECONDS - start))" "$execs" >"$work/$i.row"
}

echo "fuzzing every target for $FUZZTIME, $JOBS at a time with -parallel $PARALLEL"
failed=0
i=0
for pkg in $(go list ${FUZZ_PKGS:-./...}); do
	if ! targets=$(go test -list '^Fuzz' "$pkg" 2>&1); then
		printf '%s\n' "$targets" | tail -n 20
		printf -- '-- %s: cannot list the fuzz targets\n' "$pkg"
		i=$((i + 1))
		printf '| %s | (go test -list) | FAIL | - | - |\n' "$pkg" >"$work/$i.row"
		continue
	fi
	for target in $(printf '%s\n' "$targets" | grep '^Fuzz' || true); do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
			wait -n
		done
		i=$((i + 1))
		fuzz_one "$i" "$pkg" "$target" &
	done
done
wait

table=$(
	printf '| package | target | result | elapsed | execs |\n'
	printf '|---|---|---|---|---|\n'
	for j in $(seq 1 "$i"); do
		cat "$work/$j.row" 2>/dev/null || printf '| ? | (target %s) | FAIL | - | - |\n' "$j"
	done
)
grep -q '| FAIL |' <<<"$table" && failed=1
printf '\n%s\n' "$table"
if [ -n "${FUZZ_SUMMARY:-}" ]; then
	printf '%s\n' "$table" >"$FUZZ_SUMMARY"
fi
if cat "$work"/*.new 2>/dev/null | grep -q .; then
	printf '\nnew reproducers (check them in as regression seeds once fixed):\n'
	cat "$work"/*.new | sed 's/^/  /'
fi
exit "$failed"
