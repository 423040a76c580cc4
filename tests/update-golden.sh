#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerate the expected output of one golden test (or all, with no
# argument) from the current build.  Review the diff before committing.
set -eu
cd "$(dirname "$0")/.."
export TZ=UTC LC_ALL=C
want=${1:-}
while read -r name code args; do
	case "$name" in ''|'#'*) continue ;; esac
	[ -z "$want" ] || [ "$want" = "$name" ] || continue
	eval "set -- $args"
	rc=0
	./relayscope "$@" >"tests/golden/$name.out" \
	    2>"tests/golden/$name.err" </dev/null || rc=$?
	[ -s "tests/golden/$name.err" ] || rm -f "tests/golden/$name.err"
	[ "$rc" = "$code" ] || echo "warning: $name exited $rc, TESTLIST says $code"
	echo "updated tests/golden/$name"
done <tests/TESTLIST
