#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The EHLO check's live resolver (--resolve) against real dnsmasq servers,
# inside private namespaces (only a loopback nobody else sees):
#   - without --resolve, no query reaches any DNS server (their query logs
#     prove it), also with --dns-map;
#   - with --resolve, through the system's resolvers (resolv.conf points
#     at 127.0.0.53) and through --dns-server 127.0.0.54:5353, the results
#     and the facts equal those taken from the capture's own DNS packets,
#     and every question is asked once (the cache);
#   - a server that never answers gives "timeout" facts and "unknown"
#     results within the timeout; one that refuses gives "error" facts;
#     after 16 lookups without a response, live lookups stop.
# The capture is pcaps/postfix-helo-checks.pcap read with -f "tcp port 25",
# i.e. without its DNS packets.  Prints "dns: N passed, N failed".
# Needs root and dnsmasq (sh tests/deps.sh test).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/pcaps/recipes/lib.sh"
rs_test_namespace dns dnsmasq
set +e
PCAP=$TOP/pcaps/postfix-helo-checks.pcap
RS=$TOP/relayscope
rs_setup_net
# shellcheck disable=SC2046 # the records are words without spaces
rs_start_dns --log-queries $(rs_helo_dns_records)
RS_DNS_ADDR=127.0.0.54
RS_DNS_PORT=5353
# shellcheck disable=SC2046
rs_start_dns --log-queries $(rs_helo_dns_records)
unset RS_DNS_ADDR RS_DNS_PORT
# A DNS server that reads every query and never answers.
python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.55", 53))
while True:
    s.recv(4096)
' &
RS_PIDS="$RS_PIDS $!"
LOG53=$RS_WORK/dnsmasq-127.0.0.53.log
LOG54=$RS_WORK/dnsmasq-127.0.0.54.log
i=0
until grep -q 'started' "$LOG53" 2>/dev/null &&
    grep -q 'started' "$LOG54" 2>/dev/null; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done

pass=0
fail=0
bad() {
	fail=$((fail + 1))
	echo "FAIL dns/$1${2:+: $2}"
}
queries() { grep -c 'query\[' "$1"; }
# Compare the helo_check of every session of two JSON outputs, without
# where each fact came from (source, time and time_epoch); check the
# expected results.
same_as_capture() {	# name file.json
	python3 - "$RS_WORK/capture.json" "$2" <<'PY' || bad "$1" "results differ"
import json, sys
def checks(path):
    out = []
    for line in open(path):
        r = json.loads(line)
        if r["type"] != "session":
            continue
        c = r["helo_check"]
        for e in c["evidence"]:
            del e["source"], e["time"], e["time_epoch"]
        out.append(c)
    return out
a, b = checks(sys.argv[1]), checks(sys.argv[2])
want = ["match", "mismatch", "not-fqdn", "mismatch", "match",
        "literal-mismatch", "literal-mismatch", "invalid", "mismatch"]
got = [c["result"] for c in b]
if got != want or a != b:
    print("    want", want, "\n    got ", got)
    for x, y in zip(a, b):
        if x != y:
            print("    capture:", x, "\n    live:   ", y)
    sys.exit(1)
PY
}
ok() { pass=$((pass + 1)); }

# The reference: the capture's own DNS packets.
"$RS" --format json "$PCAP" >"$RS_WORK/capture.json" 2>/dev/null

# No --resolve: no query, whatever else is given.
before53=$(queries "$LOG53")
before54=$(queries "$LOG54")
"$RS" --format json -f 'tcp port 25' "$PCAP" >"$RS_WORK/none.json" 2>&1
"$RS" --format json -f 'tcp port 25' \
    --dns-map "$TOP/tests/config/helo-checks.map" "$PCAP" \
    >"$RS_WORK/map.json" 2>&1
sleep 0.3
if [ "$(queries "$LOG53")" = "$before53" ] &&
    [ "$(queries "$LOG54")" = "$before54" ]; then ok; else
	bad no-lookup-without-resolve "queries were made"
fi
if grep -q '"result":"mismatch"' "$RS_WORK/none.json"; then
	bad no-evidence-no-verdict "a DNS verdict without DNS"
else ok; fi

# --resolve with the system's resolvers (127.0.0.53 in resolv.conf).
before53=$(queries "$LOG53")
if "$RS" --format json -f 'tcp port 25' --resolve "$PCAP" \
    >"$RS_WORK/system.json" 2>"$RS_WORK/system.err"; then ok; else
	bad resolve-system-exit "$(cat "$RS_WORK/system.err")"
fi
same_as_capture resolve-system "$RS_WORK/system.json" && ok
asked=$(($(queries "$LOG53") - before53))
made=$(python3 -c 'import json,sys; print([json.loads(l) for l in open(sys.argv[1])][-1]["dns"]["live"]["queries"])' "$RS_WORK/system.json")
if [ "$asked" -gt 0 ] && [ "$asked" = "$made" ]; then ok; else
	bad resolve-cache "server saw $asked queries, relayscope made $made"
fi
# Every question once: no name asked twice for the same type.
if [ "$(grep 'query\[' "$LOG53" | tail -n "$asked" |
    sed 's/.*query\[\([A-Z]*\)\] \([^ ]*\) .*/\1 \2/' | sort | uniq -d)" = "" ]
then ok; else bad resolve-once "a question was asked twice"; fi

# --resolve --dns-server on another address and port.
before53=$(queries "$LOG53")
before54=$(queries "$LOG54")
"$RS" --format json -f 'tcp port 25' --resolve --dns-server 127.0.0.54:5353 \
    "$PCAP" >"$RS_WORK/server.json" 2>"$RS_WORK/server.err"
same_as_capture resolve-dns-server "$RS_WORK/server.json" && ok
if [ "$(queries "$LOG54")" -gt "$before54" ] &&
    [ "$(queries "$LOG53")" = "$before53" ]; then ok; else
	bad dns-server-used "the queries did not go to 127.0.0.54:5353 only"
fi
# Live facts say so, with the time of the lookup.
if grep -q '"source":"live","time":"20[0-9-]*T' "$RS_WORK/server.json"; then ok
else bad live-source "facts not marked live, with their time"; fi

# The relay verdicts ask too: the hosted MX's domains, unknown from the
# capture alone, are local by the live MX (asked once each; the MX host
# is the server by the name it gives itself, so its address is not
# needed), and nothing is asked for a refused recipient.  The EHLO check
# asks for the client's name.
RS_DNS_ADDR=127.0.0.57
rs_start_dns --log-queries --mx-host=alpha.example,mx1.hoster.example,10 \
    --mx-host=bravo.test,mx1.hoster.example,10 \
    --host-record=mx1.hoster.example,192.0.2.30 --local=/example/ \
    --local=/test/ --local=/example.org/
unset RS_DNS_ADDR
LOG57=$RS_WORK/dnsmasq-127.0.0.57.log
i=0
until grep -q 'started' "$LOG57" 2>/dev/null || [ $i -gt 50 ]; do
	i=$((i + 1))
	sleep 0.1
done
HOSTED=$TOP/pcaps/postfix-hosted-mx.pcap
"$RS" --format json -f 'tcp port 25' --resolve --dns-server 127.0.0.57 \
    "$HOSTED" >"$RS_WORK/hosted.json" 2>"$RS_WORK/hosted.err"
rc=$?
python3 - "$RS_WORK/hosted.json" <<'PY' && [ "$rc" = 0 ] && ok ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
rc = [r for s in recs if s["type"] == "session"
      for t in s["transactions"] for r in t["rcpts"]]
got = [(r["address"], r["verdict"], r["local_source"]) for r in rc]
want = [("anna@alpha.example", "local-accepted", "dns:mx"),
        ("bert@bravo.test", "local-accepted", "dns:mx"),
        ("victim@example.org", "relay-denied", "server-reply")]
live = [f for r in rc for f in r["local_dns"] if f["source"] == "live"]
ok = (got == want and live and all(f["time"] for f in live)
      and not any(s.get("findings") and any(f["kind"] == "possible-open-relay"
                  for f in s["findings"]) for s in recs if s["type"] == "session"))
if not ok:
    print("    got", got)
sys.exit(0 if ok else 1)
PY
	bad relay-resolve "exit $rc $(cat "$RS_WORK/hosted.err")"
if [ "$(grep 'query\[' "$LOG57" | sed 's/.*query\[\([A-Z]*\)\] \([^ ]*\) .*/\1 \2/' |
    grep -v PTR | sort | tr '\n' ' ')" = \
    "A mail.sender.example MX alpha.example MX bravo.test " ]
then ok; else
	bad relay-resolve-once "$(grep 'query\[' "$LOG57" | grep -v PTR)"
fi

# A server that never answers: timeouts, unknown, exit 0, one warning.
"$RS" --format json -f 'tcp port 25' --resolve --dns-server 127.0.0.55 \
    --dns-timeout 100 "$PCAP" >"$RS_WORK/timeout.json" \
    2>"$RS_WORK/timeout.err"
rc=$?
python3 - "$RS_WORK/timeout.json" <<'PY' && [ "$rc" = 0 ] && ok ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
res = [r["helo_check"]["result"] for r in recs if r["type"] == "session"]
want = ["unknown", "unknown", "not-fqdn", "unknown", "match",
        "literal-mismatch", "literal-mismatch", "invalid", "unknown"]
st = {e["status"] for r in recs if r["type"] == "session"
      for e in r["helo_check"]["evidence"]}
live = recs[-1]["dns"]["live"]
sys.exit(0 if res == want and st == {"timeout"} and live["timeouts"] > 0
         and live["answered"] == 0 else 1)
PY
	bad timeout "exit $rc, $(cat "$RS_WORK/timeout.err")"
if grep -q '^relayscope: --resolve: [0-9]* of [0-9]* lookups got no answer ([0-9]* timed out, 0 refused or failed)$' \
    "$RS_WORK/timeout.err"; then ok; else
	bad timeout-warning "$(cat "$RS_WORK/timeout.err")"
fi

# Nothing listens: the lookups fail at once, "error" facts.
"$RS" --format json -f 'tcp port 25' --resolve --dns-server 127.0.0.56 \
    --dns-timeout 100 "$PCAP" >"$RS_WORK/refused.json" 2>/dev/null
rc=$?
python3 - "$RS_WORK/refused.json" <<'PY' && [ "$rc" = 0 ] && ok ||
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
st = {e["status"] for r in recs if r["type"] == "session"
      for e in r["helo_check"]["evidence"]}
sys.exit(0 if st == {"error"} else 1)
PY
	bad refused "exit $rc"

# A dead server and many clients (40 sessions on distinct addresses, from
# the benchmark's generator): live lookups stop after 16 without a
# response, instead of a timeout per session.
python3 "$TOP/tests/bench/gen-capture.py" "$RS_WORK/many.pcap" 40 >/dev/null
"$RS" --format json --resolve --dns-server 127.0.0.55 --dns-timeout 20 \
    "$RS_WORK/many.pcap" >"$RS_WORK/many.json" 2>"$RS_WORK/many.err"
rc=$?
live=$(tail -1 "$RS_WORK/many.json" | python3 -c \
    'import json,sys; l=json.load(sys.stdin)["dns"]["live"]; print(l["queries"], l["stopped"])')
if [ "$rc" = 0 ] && [ "$live" = "16 True" ] &&
    grep -q 'no response to 16 lookups in a row; no more live lookups' \
    "$RS_WORK/many.err"; then ok; else
	bad give-up "exit $rc, live: $live"
fi

echo "dns: $pass passed, $fail failed"
