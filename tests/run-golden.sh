#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden tests (tcpdump's TESTrun idea): run every line of tests/TESTLIST,
# compare stdout, exit status and (where expected) stderr.  Current outputs
# go to tests/NEW/, differences to tests/DIFF/.  Prints one line
# "golden: N passed, N failed" and exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
BIN=${RELAYSCOPE:-./relayscope}
export TZ=UTC LC_ALL=C
rm -rf tests/NEW tests/DIFF
mkdir -p tests/NEW tests/DIFF
pass=0
fail=0
while read -r name code args; do
	case "$name" in ''|'#'*) continue ;; esac
	eval "set -- $args"
	"$BIN" "$@" >"tests/NEW/$name.out" 2>"tests/NEW/$name.err" </dev/null
	rc=$?
	bad=""
	[ "$rc" = "$code" ] || bad="exit $rc, expected $code"
	if ! diff -u "tests/golden/$name.out" "tests/NEW/$name.out" \
	    >"tests/DIFF/$name.out.diff" 2>&1; then
		bad="${bad:+$bad; }stdout differs (tests/DIFF/$name.out.diff)"
	fi
	if [ -f "tests/golden/$name.err" ] && ! diff -u \
	    "tests/golden/$name.err" "tests/NEW/$name.err" \
	    >"tests/DIFF/$name.err.diff" 2>&1; then
		bad="${bad:+$bad; }stderr differs (tests/DIFF/$name.err.diff)"
	fi
	if [ -z "$bad" ]; then
		pass=$((pass + 1))
		rm -f "tests/DIFF/$name.out.diff" "tests/DIFF/$name.err.diff"
	else
		fail=$((fail + 1))
		echo "FAIL golden/$name: $bad"
	fi
done <tests/TESTLIST
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
