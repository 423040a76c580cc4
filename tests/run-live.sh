#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Live capture against a real Postfix, inside private namespaces (traffic
# only on a loopback nobody else sees): relayscope -i lo sees one finished
# session and one still open; SIGINT stops it cleanly, exit 0, and the open
# session is reported as capture-ended.  -w writes their packets, which
# read again give the same two sessions.  Then -c N stops by itself.
# Prints "live: N passed, N failed".  Needs root and Postfix (sh tests/deps.sh test).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/pcaps/recipes/lib.sh"
rs_test_namespace live postfix
RECIPES=$TOP/pcaps/recipes
set +e
rs_setup_net
rs_postfix_config
rs_postfix_start
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL live/$1"
	for f in "$RS_WORK"/live.err "$RS_WORK"/count.err; do
		[ -s "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | head -20
	done
}
wait_for() {	# file pattern
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

"$TOP/relayscope" -i lo --no-promisc --format json -w "$RS_WORK/live.pcap" \
    >"$RS_WORK/live.json" 2>"$RS_WORK/live.err" &
rs=$!
RS_PIDS="$RS_PIDS $rs"
wait_for "$RS_WORK/live.err" 'capturing on lo' || bad started
rs_client --source 127.0.0.2 'EHLO done.example.org' \
    'MAIL FROM:<a@example.org>' 'RCPT TO:<alice@example.com>' 'QUIT' \
    >/dev/null
rs_client --source 127.0.0.3 'EHLO open.example.org' \
    'MAIL FROM:<b@example.org>' 'SLEEP:30' >"$RS_WORK/open.log" &
client=$!
RS_PIDS="$RS_PIDS $client"
wait_for "$RS_WORK/open.log" '^S: 250 2.1.0' || bad open-session
sleep 0.5
kill -INT "$rs"
wait "$rs"
rc=$?
[ "$rc" = 0 ] && ok || bad "exit-status-$rc"
python3 - "$RS_WORK/live.json" <<'PY' && ok || bad json
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
s = [r for r in recs if r["type"] == "session"]
assert [r["end"] for r in s] == ["closed", "capture-ended"], s
assert s[0]["helo"]["name"] == "done.example.org"
assert s[0]["transactions"][0]["rcpts"][0]["reply"]["code"] == 250
assert s[1]["helo"]["name"] == "open.example.org"
assert s[1]["transactions"][0]["mail_from"] == "b@example.org"
assert s[1]["transactions"][0]["mail_reply"]["code"] == 250
assert recs[-1]["type"] == "summary" and recs[-1]["complete"]
PY
kill "$client" 2>/dev/null
# -w: the frames kept while capturing, the sessions' written at the end.
"$TOP/relayscope" --format json "$RS_WORK/live.pcap" >"$RS_WORK/again.json" \
    2>>"$RS_WORK/live.err"
python3 - "$RS_WORK/live.json" "$RS_WORK/again.json" "$RS_WORK/live.pcap" \
    <<'PY' && ok || bad write
import json, os, sys
def sessions(p):
    recs = [json.loads(l) for l in open(p)]
    out = []
    for r in recs:
        if r["type"] == "session":
            r.pop("seq")
            out.append(r)
    return out, recs[-1]
live, summary = sessions(sys.argv[1])
again, _ = sessions(sys.argv[2])
assert summary["written"]["format"] == "pcap", summary["written"]
assert summary["written"]["sessions"] == 2, summary["written"]
assert summary["written"]["packets"] > 10, summary["written"]
assert [r["id"] for r in again] == [r["id"] for r in live], again
assert [r["end"] for r in again] == ["closed", "capture-ended"], again
assert again[0]["transactions"] == live[0]["transactions"]
PY

# -c: stop after N packets without a signal (a session gives > 10).
"$TOP/relayscope" -i lo --no-promisc -c 10 >"$RS_WORK/count.txt" \
    2>"$RS_WORK/count.err" &
rs=$!
RS_PIDS="$RS_PIDS $rs"
wait_for "$RS_WORK/count.err" 'capturing on lo' || bad count-started
rs_client --source 127.0.0.2 'EHLO count.example.org' 'QUIT' >/dev/null
i=0
while kill -0 "$rs" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$rs" 2>/dev/null; then
	bad count-did-not-stop
else
	wait "$rs" && grep -q '^  packets: 10 read' "$RS_WORK/count.txt" &&
	    ok || bad count-output
fi
echo "live: $pass passed, $fail failed"
