#!/usr/bin/env bash
# fuzz/run.sh [duration] runs every fuzz target of every package of the
# module in turn, each for duration (a -fuzztime value: 1m by default, e.g.
# `bash fuzz/run.sh 10m`), and prints one line per target as it ends and a
# markdown table at the end: package, target, result, elapsed time and the
# number of executions the fuzzer reported. FUZZ_SUMMARY=file also writes
# the table to that file. The exit status is 1 when a target failed, and
# the new reproducers under testdata/fuzz are listed; check them in as
# regression seeds once the bug is fixed. FUZZ_PKGS="./wire ./auth" limits
# the run to those package patterns (default ./...).
#
# Go 1.26's fuzz coordinator can fail with a bare "context deadline
# exceeded" as -fuzztime ends, without writing a reproducer
# (golang/go#75804, fixed in Go 1.27). As in .ci/run, that one case is
# retried once; any other failure, or a second one, counts.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZTIME=${1:-1m}

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

rows=()
reproducers=()
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# listing prints the files of a corpus directory, one a line.
listing() { ls "$1" 2>/dev/null | sort || true; }

# fuzz_one runs one target, retrying once for golang/go#75804, and adds
# its row to the table.
fuzz_one() {
	local pkg=$1 target=$2 dir try start result execs before after
	dir="$(go list -f '{{.Dir}}' "$pkg")/testdata/fuzz/$target"
	start=$SECONDS
	result=FAIL
	for try in 1 2; do
		before=$(listing "$dir")
		if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -timeout "$timeout" "$pkg" >"$log" 2>&1; then
			result=ok
			[ "$try" = 2 ] && result="ok (retried, go#75804)"
			break
		fi
		after=$(listing "$dir")
		grep -v '^fuzz: elapsed' "$log" | tail -n 40
		if [ "$before" != "$after" ]; then
			while read -r f; do
				reproducers+=("${dir#"$PWD"/}/$f")
			done < <(comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep -v '^$')
			break
		fi
		if [ "$try" = 2 ] || ! grep -qx '    context deadline exceeded' "$log"; then
			break
		fi
		echo "   (no reproducer written: golang/go#75804 coordinator race; retrying once)"
	done
	# The last progress line with a count; a run that spent its time
	# gathering baseline coverage has none.
	execs=$(grep '^fuzz: elapsed.*execs: ' "$log" | tail -n 1 | sed -nE 's/.*execs: ([0-9]+).*/\1/p')
	if [ -z "$execs" ]; then
		execs="0 (baseline only)"
		[ "${result:0:2}" = ok ] || execs=-
	fi
	[ "${result:0:2}" = ok ] || failed=1
	printf -- '-- %s %s: %s, %ss, %s execs\n' "$pkg" "$target" "$result" "$((SECONDS - start))" "$execs"
	rows+=("| $pkg | $target | $result | $((SECONDS - start))s | $execs |")
}

echo "fuzzing every target for $FUZZTIME"
for pkg in $(go list ${FUZZ_PKGS:-./...}); do
	if ! targets=$(go test -list '^Fuzz' "$pkg" 2>&1); then
		printf '%s\n' "$targets" | tail -n 20
		printf -- '-- %s: cannot list the fuzz targets\n' "$pkg"
		rows+=("| $pkg | (go test -list) | FAIL | - | - |")
		failed=1
		continue
	fi
	for target in $(printf '%s\n' "$targets" | grep '^Fuzz' || true); do
		fuzz_one "$pkg" "$target"
	done
done

table=$(
	printf '| package | target | result | elapsed | execs |\n'
	printf '|---|---|---|---|---|\n'
	printf '%s\n' "${rows[@]}"
)
printf '\n%s\n' "$table"
if [ -n "${FUZZ_SUMMARY:-}" ]; then
	printf '%s\n' "$table" >"$FUZZ_SUMMARY"
fi
if [ ${#reproducers[@]} -gt 0 ]; then
	printf '\nnew reproducers (check them in as regression seeds once fixed):\n'
	printf '  %s\n' "${reproducers[@]}"
fi
exit "$failed"
