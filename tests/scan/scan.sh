#!/usr/bin/env bash
# danekit scan against the lab (DK_LAB_RUN, else the lab is started):
#   agree      scan --json and check smtp --json give the same document
#              (and exit status) for every lab domain and 300 synthetic
#              ones, at concurrency 64
#   shards     4 shards run by GNU parallel are disjoint and their union
#              is an unsharded run
#   skipdone   a run cut short (its last line half written) resumed with
#              --skip-done: together they are the whole input, once each
#   bad        bad input: exit statuses 64/65/66, one stderr line, no stdout
#   audit      scan --audit --json lines are the documents of audit --json
#   memory     peak RSS streaming a long NXDOMAIN-heavy input (measured;
#              bounded under 200 MiB)
#   progress   the progress line on a terminal (script(1)), none with
#              --no-progress or when stderr is not a terminal
#   gone       a provider whose name servers never answer does not stop
#              a scan (exit 0, every line); the resolver's name server
#              dying in the middle of a scan (a private NSD serving the
#              lab's zones, killed after some lines) does: exit 75, one
#              stderr line saying so, every line printed a whole
#              document, no hang
#   pipe       the input from a pipe whose producer sleeps while a domain
#              with a slow name server is in flight: no time-out; empty,
#              closed early, /dev/null inputs
# Needs: $DANEKIT, $DK_SRCDIR (meson test sets them); python3; parallel.
set -euo pipefail
what="${1:?agree|shards|skipdone|bad|audit|memory|progress|gone|pipe}"

: "${DK_SRCDIR:?run through meson test}"
# shellcheck source=tests/scan/lib.sh
. "$DK_SRCDIR/tests/scan/lib.sh" dk-scan
DK=("$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 5)
# connect to the lab's Postfix port (the TLSA records stay at _25)
CP=()
if [ "${DK_LAB_SMTP_PORT:-25}" != 25 ]; then
	CP=(--connect-port "$DK_LAB_SMTP_PORT")
fi

# Every lab zone (not the reverse ones), names without MX, NXDOMAIN.
lab_domains() {
	sed -n 's/^[[:space:]]*name: "\(.*\)\."$/\1/p' "$DK_LAB_RUN/nsd.conf" |
		grep -v 'arpa$'
	printf '%s\n' mail.secure.test cname.secure.test nonexistent.test \
		nonexistent.secure.test
}

# N ports free for UDP and TCP on 127.0.0.1, on one line
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
ports, keep = [], []
for _ in range(200):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    keep += [u, t]
    ports.append(p)
    if len(ports) == int(sys.argv[1]):
        break
print(*ports)
PY
}

case "$what" in
agree)
	# the lab's zones, and the first 300 of the synthetic list (every
	# provider, mix and NXDOMAIN kind of testzones/synth)
	{
		lab_domains
		head -n 300 "$DK_LAB_RUN/synth-domains.txt"
	} >"$W/in"
	n=$(wc -l <"$W/in")
	"${DK[@]}" --json scan --no-progress --concurrency 64 "${CP[@]}" \
		"$W/in" >"$W/scan.json" 2>"$W/scan.err" ||
		fail "scan: exit $? ($(cat "$W/scan.err"))"
	[ "$(wc -l <"$W/scan.json")" -eq "$n" ] ||
		fail "scan gave $(wc -l <"$W/scan.json") lines for $n domains"
	# each line is a check smtp document: doc/schema/check.json says so
	# (python3-jsonschema)
	python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" \
		"$W/scan.json" || fail "scan lines against doc/schema"
	mkdir "$W/one"
	while read -r d; do
		set +e
		"${DK[@]}" --json check smtp "${CP[@]}" "$d" >"$W/one/$d.json" \
			2>"$W/one/$d.err"
		echo $? >"$W/one/$d.rc"
		set -e
	done <"$W/in"
	# the probe cache: 30 domains on the same MX host, each address x
	# key type probed once (2 addresses, at most 4 key types)
	for i in $(seq 1 30); do echo secure.test; done >"$W/same"
	"${DK[@]}" scan --no-progress "${CP[@]}" "$W/same" >/dev/null 2>"$W/same.err"
	conns=$(sed -n 's/.* \([0-9]*\) connections.*/\1/p' "$W/same.err")
	[ -n "$conns" ] && [ "$conns" -le 8 ] ||
		fail "30 domains on one MX host made ${conns:-?} connections: $(cat "$W/same.err")"
	echo "agree: 30 domains on one MX host, $conns connections"
	python3 - "$W" <<'PY' || exit 1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["DK_SRCDIR"], "tests", "scan"))
from docs import scrub

w = sys.argv[1]
docs = {}
for line in open(os.path.join(w, "scan.json")):
    d = json.loads(line)
    docs[d["domain"].rstrip(".").lower()] = d
bad = 0
for name in open(os.path.join(w, "in")).read().split():
    rc = int(open(os.path.join(w, "one", name + ".rc")).read())
    one = open(os.path.join(w, "one", name + ".json")).read()
    s = docs.get(name)
    if s is None:
        print("FAIL: no scan line for", name); bad += 1; continue
    if s["exit"] != rc:
        print("FAIL: %s: scan says exit %d, check smtp exited %d" % (name, s["exit"], rc)); bad += 1
    if not one.strip():
        print("FAIL: %s: check smtp printed nothing" % name); bad += 1; continue
    c = json.loads(one)
    for x in (s, c):
        x.pop("at", None)
        scrub(x)
    if s != c:
        print("FAIL: %s: the documents differ\n scan:  %s\n check: %s" % (name, json.dumps(s, sort_keys=True), json.dumps(c, sort_keys=True))); bad += 1
print("agree: %d domains compared" % len(docs))
sys.exit(1 if bad else 0)
PY
	;;
shards)
	command -v parallel >/dev/null || fail "GNU parallel is not installed"
	{
		lab_domains
		seq 1 3000 | sed 's/^/n/; s/$/.nxd.test/'
		seq 1 500 | sed 's/^/SHARD-/; s/$/.Secure.Test./'
	} >"$W/in"
	"${DK[@]}" scan --no-progress -q --no-connect "$W/in" |
		cut -d' ' -f1 | sort >"$W/all"
	export DANEKIT DK_LAB_CONF W
	parallel -j4 --halt now,fail=1 \
		'"$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 5 scan -q --no-progress --no-connect --shard {}/4 "$W/in" > "$W/shard.{}"' \
		::: 0 1 2 3 || fail "a shard failed"
	for k in 0 1 2 3; do
		[ -s "$W/shard.$k" ] || fail "shard $k is empty"
		cut -d' ' -f1 "$W/shard.$k" | sort >"$W/s.$k"
	done
	sort "$W"/s.[0-3] >"$W/union"
	[ "$(sort -u "$W/union" | wc -l)" -eq "$(wc -l <"$W/union")" ] ||
		fail "the shards overlap"
	cmp -s "$W/union" "$W/all" || fail "the union of the shards is not the whole run"
	# names are compared lower-case without the final dot
	grep -q '^shard-1.secure.test$' "$W/all" || fail "names are not normalised"
	echo "shards: $(wc -l <"$W/all") lines; shards of $(wc -l <"$W/s.0"), $(wc -l <"$W/s.1"), $(wc -l <"$W/s.2"), $(wc -l <"$W/s.3")"
	;;
skipdone)
	{
		lab_domains
		seq 1 2000 | sed 's/^/k/; s/$/.nxd.test/'
	} >"$W/in"
	"${DK[@]}" --json scan --no-progress --no-connect "$W/in" >"$W/all.json"
	total=$(wc -l <"$W/all.json")
	# a killed run: the first 700 lines, then half a line
	head -n 700 "$W/all.json" >"$W/part.json"
	sed -n 701p "$W/all.json" | head -c 40 >>"$W/part.json"
	"${DK[@]}" --json scan --no-progress --no-connect \
		--skip-done "$W/part.json" "$W/in" >"$W/rest.json" ||
		fail "resume: exit $?"
	python3 - "$W" "$total" <<'PY' || exit 1
import json, sys, os
w, total = sys.argv[1], int(sys.argv[2])
def names(f, cut=False):
    out = []
    for line in open(os.path.join(w, f)):
        try:
            out.append(json.loads(line)["domain"])
        except ValueError:
            if not cut: raise
    return out
part, rest, allv = names("part.json", True), names("rest.json"), names("all.json")
assert len(part) == 700, len(part)
assert not set(part) & set(rest), "resumed domains that were done"
assert len(part) + len(rest) == total == len(allv), (len(part), len(rest), total)
assert set(part) | set(rest) == set(allv)
print("skipdone: %d done + %d resumed = %d" % (len(part), len(rest), total))
PY
	# text output resumes too
	"${DK[@]}" scan --no-progress -q --no-connect "$W/in" >"$W/all.txt"
	head -n 100 "$W/all.txt" >"$W/part.txt"
	"${DK[@]}" scan --no-progress -q --no-connect --skip-done "$W/part.txt" \
		"$W/in" >"$W/rest.txt"
	[ $(($(wc -l <"$W/part.txt") + $(wc -l <"$W/rest.txt"))) -eq "$total" ] ||
		fail "text resume: $(wc -l <"$W/rest.txt") lines"
	;;
bad)
	printf 'secure.test\n' >"$W/in"
	printf '{"domain":"secure.test.","exit":0}\nthis is not scan output\n{"x":1}\n' >"$W/notscan"
	check() {
		local want="$1"
		shift
		set +e
		"$@" >"$W/out" 2>"$W/err"
		local rc=$?
		set -e
		[ "$rc" -eq "$want" ] || fail "$*: exit $rc, not $want ($(cat "$W/err"))"
		[ ! -s "$W/out" ] || fail "$*: wrote to stdout: $(head -c 200 "$W/out")"
		[ "$(wc -l <"$W/err")" -eq 1 ] || fail "$*: not one line on stderr: $(cat "$W/err")"
		grep -q '^danekit: scan: ' "$W/err" || fail "$*: $(cat "$W/err")"
	}
	check 66 "${DK[@]}" scan "$W/missing"
	check 66 "${DK[@]}" scan "$W"
	check 66 "${DK[@]}" scan --skip-done "$W/missing" "$W/in"
	check 65 "${DK[@]}" scan --skip-done "$W/notscan" "$W/in"
	check 64 "${DK[@]}" scan --shard 4/4 "$W/in"
	check 64 "${DK[@]}" scan --shard 1 "$W/in"
	check 64 "${DK[@]}" scan --shard x/2 "$W/in"
	check 64 "${DK[@]}" scan --concurrency 0 "$W/in"
	check 64 "${DK[@]}" scan --qps -1 "$W/in"
	check 64 "${DK[@]}" scan --bogus "$W/in"
	check 64 "${DK[@]}" scan "$W/in" "$W/in"
	check 64 "${DK[@]}" scan --progress --no-progress "$W/in"
	check 64 "${DK[@]}" scan --no-connect --connect-port 2525 "$W/in"
	check 64 "${DK[@]}" scan -4 -6 "$W/in"
	# stdin closed, or a directory: said before the scan starts
	check 66 "${DK[@]}" scan - <&-
	check 66 "${DK[@]}" scan <&-
	check 66 "${DK[@]}" scan - <"$W"
	grep -q 'stdin: Is a directory' "$W/err" || fail "stdin a directory: $(cat "$W/err")"
	# a line that is no domain name: its own line (exit 65), the scan goes on
	printf 'bad..name\nsecure.test\n' | "${DK[@]}" --json scan --no-connect >"$W/out" 2>/dev/null
	python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 2, lines
bad = [l for l in lines if l["domain"] == "bad..name"][0]
assert bad["exit"] == 65 and "error" in bad, bad
' "$W/out" || fail "bad line"
	echo "bad: ok"
	;;
audit)
	# scan --audit: each line is the document of audit --json
	printf '%s\n' mail-ok.test spf.test dkim.test dm.test nullmx.test \
		nonexistent.test >"$W/in"
	"${DK[@]}" --json scan --audit --no-progress "$W/in" >"$W/scan.json" \
		2>"$W/scan.err" || fail "scan --audit: exit $? ($(cat "$W/scan.err"))"
	mkdir "$W/one"
	while read -r d; do
		set +e
		"${DK[@]}" --json audit "$d" >"$W/one/$d.json" 2>/dev/null
		echo $? >"$W/one/$d.rc"
		set -e
	done <"$W/in"
	python3 - "$W" <<'PY' || exit 1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["DK_SRCDIR"], "tests", "scan"))
from docs import scrub

w = sys.argv[1]
docs = {json.loads(l)["domain"].rstrip("."): json.loads(l) for l in open(os.path.join(w, "scan.json"))}
names = open(os.path.join(w, "in")).read().split()
assert sorted(docs) == sorted(names), (sorted(docs), names)
for n in names:
    one = json.loads(open(os.path.join(w, "one", n + ".json")).read())
    rc = int(open(os.path.join(w, "one", n + ".rc")).read())
    s = docs[n]
    assert s["exit"] == rc, (n, s["exit"], rc)
    for x in (s, one):
        x.pop("at", None)
        scrub(x)
    assert s == one, "%s: the documents differ" % n
print("audit: %d domains agree with danekit audit" % len(names))
PY
	;;
memory)
	n=${DK_SCAN_MEMORY_LINES:-100000}
	lab_domains >"$W/lab"
	{
		for i in $(seq 1 20); do
			cat "$W/lab"
		done
		seq 1 "$n" | sed 's/^/m/; s/$/.nxd.test/'
	} >"$W/in"
	/usr/bin/time -f '%M %e' -o "$W/time" "${DK[@]}" --json scan --no-progress --no-connect \
		--concurrency 1000 "$W/in" >"$W/out"
	read -r kb secs <"$W/time"
	lines=$(wc -l <"$W/out")
	echo "memory: $lines lines in ${secs} s, peak RSS $((kb / 1024)) MiB"
	[ "$lines" -eq "$(wc -l <"$W/in")" ] || fail "$lines lines for $(wc -l <"$W/in")"
	# (AddressSanitizer's quarantine and shadow memory are not the scan's)
	if grep -q __asan_init "$DANEKIT" 2>/dev/null ||
		ldd "$DANEKIT" 2>/dev/null | grep -q libasan; then
		echo "memory: built with AddressSanitizer, the bound is not checked"
	else
		[ "$kb" -lt $((200 * 1024)) ] || fail "peak RSS $((kb / 1024)) MiB"
	fi
	;;
progress)
	# stderr a terminal (script(1) gives the scan a pty): the progress
	# line is redrawn in place (CR, erase line) with done/total, the rate
	# and the counts per verdict, then the summary; --no-progress and a
	# stderr that is not a terminal: no progress line
	head -n 400 "$DK_LAB_RUN/synth-domains.txt" >"$W/in"
	n=$(wc -l <"$W/in")
	export DANEKIT DK_LAB_CONF W
	script -qec '"$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 5 --json scan --no-connect --concurrency 8 "$W/in" 2>&1 >"$W/out.json"' \
		/dev/null >"$W/tty" </dev/null || fail "scan under script(1): exit $?"
	[ "$(wc -l <"$W/out.json")" -eq "$n" ] || fail "$(wc -l <"$W/out.json") lines for $n"
	grep -q $'\r\033\[K' "$W/tty" || fail "no progress line redrawn in place: $(head -c 300 "$W/tty" | od -c | head -5)"
	tr '\r' '\n' <"$W/tty" | sed $'s/^\033\\[K//' >"$W/lines"
	grep -q "^[0-9]*/$n domains, [0-9]*/s.*; valid [0-9]*, partial [0-9]*, failed [0-9]*, no DANE [0-9]*, incomplete [0-9]*, errors [0-9]*" \
		"$W/lines" || fail "no done/total, rate and counts: $(tail -n 3 "$W/lines")"
	grep -q "^$n/$n domains" "$W/lines" || fail "the last progress line is not $n/$n"
	grep -q "scan: $n domains in" "$W/tty" || fail "no summary"
	script -qec '"$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 5 --json scan --no-progress --no-connect "$W/in" 2>&1 >/dev/null' \
		/dev/null >"$W/tty2" </dev/null || fail "scan --no-progress under script(1): exit $?"
	# (the pty turns each newline into CR LF: look for the redraw)
	! grep -q $'\033\[K' "$W/tty2" && ! grep -q ' domains, [0-9]*/s' "$W/tty2" ||
		fail "--no-progress still drew a progress line"
	"${DK[@]}" --json scan --no-connect "$W/in" 2>"$W/err" >/dev/null
	[ "$(wc -l <"$W/err")" -eq 1 ] && ! grep -q $'\033\[K' "$W/err" ||
		fail "stderr not a terminal: more than the summary: $(head -c 300 "$W/err")"
	echo "progress: $(grep -c ' domains, ' "$W/lines") progress lines"
	;;
gone)
	# A private NSD (its own config, pid and log in $W; the lab's signed
	# zone files) on 127.0.0.1 at a free port, and a copy of the lab's
	# unbound.conf that forwards test. there (same trust anchor).
	# two ports free for UDP and TCP on 127.0.0.1: the private NSD's, and
	# one where nothing listens (the name servers of a dead provider)
	read -r port deadport < <(free_ports 2)
	[ -n "$port" ] && [ -n "$deadport" ] || fail "no free ports"
	mkdir "$W/nsd"
	sed -e "s|^\([[:space:]]*ip-address:\).*|\1 127.0.0.1|" \
		-e "s|^\([[:space:]]*port:\).*|\1 $port|" \
		-e "s|^\([[:space:]]*zonelistfile:\).*|\1 \"$W/nsd/zone.list\"|" \
		-e "s|^\([[:space:]]*xfrdfile:\).*|\1 \"$W/nsd/xfrd.state\"|" \
		-e "s|^\([[:space:]]*xfrdir:\).*|\1 \"$W/nsd\"|" \
		-e "s|^\([[:space:]]*pidfile:\).*|\1 \"$W/nsd/nsd.pid\"|" \
		-e "s|^\([[:space:]]*logfile:\).*|\1 \"$W/nsd/nsd.log\"|" \
		"$DK_LAB_RUN/nsd.conf" >"$W/nsd.conf"
	grep -q "port: $port" "$W/nsd.conf" &&
		grep -q "pidfile: \"$W/nsd/nsd.pid\"" "$W/nsd.conf" ||
		fail "cannot make the private nsd.conf"
	sed "s|forward-addr: $DK_LAB_NS@$DK_LAB_PORT\$|forward-addr: 127.0.0.1@$port|" \
		"$DK_LAB_CONF" >"$W/unbound.conf"
	grep -q "forward-addr: 127.0.0.1@$port" "$W/unbound.conf" ||
		fail "cannot make the private unbound.conf"
	printf 'stub-zone:\n    name: "deadprov.test."\n    stub-addr: 127.0.0.1@%s\n' \
		"$deadport" >>"$W/unbound.conf"
	nsd_pid=
	stop_nsd() {
		if [ -n "$nsd_pid" ]; then
			kill "$nsd_pid" 2>/dev/null || true
			# wait until it is gone (it is not our child)
			for _ in $(seq 1 50); do
				kill -0 "$nsd_pid" 2>/dev/null || break
				sleep 0.1
			done
			nsd_pid=
		fi
	}
	trap 'stop_nsd; rm -rf "$W"' EXIT
	nsd -c "$W/nsd.conf" || fail "private nsd did not start ($(tail -3 "$W/nsd/nsd.log" 2>/dev/null))"
	for _ in $(seq 1 100); do
		[ -s "$W/nsd/nsd.pid" ] &&
			dig +time=1 +tries=1 +short @127.0.0.1 -p "$port" test. SOA 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	nsd_pid=$(cat "$W/nsd/nsd.pid" 2>/dev/null || true)
	[ -n "$nsd_pid" ] && kill -0 "$nsd_pid" || fail "private nsd is not running"
	dig +time=1 +tries=1 +short @127.0.0.1 -p "$port" test. SOA | grep -q . ||
		fail "private nsd does not answer"
	G=("$DANEKIT" --unbound-conf "$W/unbound.conf" --timeout 1)
	# The converse first: a provider whose name servers never answer
	# (100 domains in a row whose MX lookups time out) does not stop the
	# scan: the self-test passes, the scan goes on to its end (exit 0),
	# and the other domains' lookups do not time out.
	{
		seq 1 100 | sed 's/^/p/; s/$/.deadprov.test/'
		head -n 300 "$DK_LAB_RUN/synth-domains.txt"
	} >"$W/slow.in"
	set +e
	timeout -k 5 60 "${G[@]}" -v --json scan --no-progress --no-connect \
		--concurrency 32 "$W/slow.in" >"$W/slow.out" 2>"$W/slow.err"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || fail "a dead provider: exit $rc, not 0 ($(cat "$W/slow.err"))"
	grep -q '^danekit: scan: the MX lookups of [0-9]* of the last 64 domains failed, but the resolver answers its self-test: going on$' \
		"$W/slow.err" || fail "a dead provider: no self-test: $(cat "$W/slow.err")"
	python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" \
		"$W/slow.out" || fail "a dead provider: lines against doc/schema"
	python3 - "$W/slow.in" "$W/slow.out" <<'PY' || fail "a dead provider"
import json, sys
want = [l.strip() for l in open(sys.argv[1])]
docs = {}
for line in open(sys.argv[2]):
    d = json.loads(line)
    docs[d["domain"].rstrip(".")] = d
assert sorted(docs) == sorted(want), "%d lines for %d domains" % (len(docs), len(want))
for name, d in docs.items():
    err = d["mx"]["error"]
    if name.endswith(".deadprov.test"):
        assert err == "timed out" and d["exit"] == 75, (name, err, d["exit"])
    else:
        assert err is None, (name, d["mx"])
print("gone: a dead provider: %d lines, exit 0, its 100 domains timed out, the other %d did not" % (len(docs), len(docs) - 100))
PY
	# the synthetic domains, slowed down by --qps so that the run is
	# still going when the name server dies
	cp "$DK_LAB_RUN/synth-domains.txt" "$W/in"
	n=$(wc -l <"$W/in")
: >"$W/out"
	set +e
	timeout -k 5 30 "${G[@]}" --json scan --no-progress --no-connect \
		--concurrency 32 --qps 300 "$W/in" >"$W/out" 2>"$W/err" &
	scan_pid=$!
	set -e
	for _ in $(seq 1 200); do
		[ "$(wc -l <"$W/out")" -ge 100 ] && break
		kill -0 "$scan_pid" 2>/dev/null || break
		sleep 0.05
	done
	before=$(wc -l <"$W/out")
	[ "$before" -ge 100 ] && [ "$before" -lt "$n" ] ||
		fail "the scan gave $before lines before the name server died (want 100 to $((n - 1)))"
	stop_nsd
	t0=$(date +%s)
	set +e
	wait "$scan_pid"
	rc=$?
	set -e
	t1=$(date +%s)
	lines=$(wc -l <"$W/out")
	echo "gone: $before lines before the name server died, $lines in all (of $n), exit $rc, $((t1 - t0)) s after"
	[ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "the scan hung: timeout fired (exit $rc)"
	[ "$rc" -eq 75 ] || fail "exit $rc, not 75 ($(cat "$W/err"))"
	[ "$lines" -lt "$n" ] || fail "the scan went through the whole input ($lines lines)"
	grep -v '^danekit: scan: [0-9]* domains in ' "$W/err" >"$W/err.other" || true
	[ "$(wc -l <"$W/err.other")" -eq 1 ] ||
		fail "not one stderr line besides the summary: $(cat "$W/err")"
	grep -q '^danekit: scan: the resolver stopped answering' "$W/err.other" ||
		fail "stderr: $(cat "$W/err")"
	# every line printed is a whole check smtp document
	python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" \
		"$W/out" || fail "scan lines against doc/schema"
	python3 -c '
import json, sys
names = set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert d["domain"] not in names, d["domain"]
    names.add(d["domain"])
' "$W/out" || fail "a line printed twice"
	cat "$W/err"
	;;
pipe)
	# The input from a pipe whose producer sleeps between lines, while a
	# domain whose name server is slow is in flight: the scan reads the
	# pipe on its event loop, so the lookups in flight go on while it
	# waits, and nothing times out that would not have.
	read -r pport < <(free_ports 1)
	[ -n "$pport" ] || fail "no free port"
	# secure.test.'s name server, 0.3 s slow: a UDP relay to the lab's NSD
	cat >"$W/relay.py" <<'PY'
import socket, sys, threading, time
port, up, up_port, delay = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))


def relay(q, client):
    time.sleep(delay)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    try:
        u.sendto(q, (up, up_port))
        s.sendto(u.recvfrom(65535)[0], client)
    except OSError:
        pass
    finally:
        u.close()


while True:
    q, client = s.recvfrom(65535)
    threading.Thread(target=relay, args=(q, client), daemon=True).start()
PY
	python3 "$W/relay.py" "$pport" "$DK_LAB_NS" "$DK_LAB_PORT" 0.3 &
	relay_pid=$!
	trap 'kill "$relay_pid" 2>/dev/null || true; rm -rf "$W"' EXIT
	for _ in $(seq 1 50); do
		dig +time=1 +tries=1 +short @127.0.0.1 -p "$pport" secure.test SOA 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	dig +time=2 +tries=1 +short @127.0.0.1 -p "$pport" secure.test SOA | grep -q . ||
		fail "the relay does not answer"
	cp "$DK_LAB_CONF" "$W/unbound.conf"
	printf 'stub-zone:\n    name: "secure.test."\n    stub-addr: 127.0.0.1@%s\n' \
		"$pport" >>"$W/unbound.conf"
	P=("$DANEKIT" --unbound-conf "$W/unbound.conf" --timeout 3)
	# (MX hosts of secure.test., from the lab's NSD itself)
	dig +short @"$DK_LAB_NS" -p "$DK_LAB_PORT" secure.test MX |
		awk '{print $2}' | sort >"$W/mx.dig"
	[ -s "$W/mx.dig" ] || fail "dig: no MX for secure.test"
	# two in flight: nonexistent.test ends at once, then the scan wants
	# a line while secure.test.'s lookups (0.3 s each) are in flight,
	# and the producer sleeps 4 s, longer than the time-out
	set +e
	# (while it sleeps, the two lines done are already in the output
	# file: a live input's output is written out as it goes)
	{
		echo nonexistent.test
		echo secure.test
		sleep 3
		wc -l <"$W/out" >"$W/lines-while-waiting"
		sleep 1
		echo mail-ok.test
	} | timeout -k 5 60 "${P[@]}" --json scan --no-progress --no-connect \
		--concurrency 2 - >"$W/out" 2>"$W/err"
	rc=${PIPESTATUS[1]}
	set -e
	[ "$rc" -eq 0 ] || fail "a slow producer: exit $rc ($(cat "$W/err"))"
	[ "$(cat "$W/lines-while-waiting")" -eq 2 ] ||
		fail "while the producer waited, the output held $(cat "$W/lines-while-waiting") lines, not the 2 domains done"
	python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" \
		"$W/out" || fail "a slow producer: lines against doc/schema"
	python3 - "$W/out" "$W/mx.dig" <<'PY' || fail "a slow producer"
import json, sys
docs = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    docs[d["domain"]] = d
assert sorted(docs) == ["mail-ok.test.", "nonexistent.test.", "secure.test."], sorted(docs)
for name, d in docs.items():
    assert "timed out" not in json.dumps(d) and " within " not in json.dumps(d), (name, d)
s = docs["secure.test."]
assert s["mx"]["dnssec"] == "secure" and s["mx"]["error"] is None, s["mx"]
mx = sorted(h["name"] for h in s["hosts"])
want = open(sys.argv[2]).read().split()
assert mx == want, (mx, want)
for h in s["hosts"]:
    assert h["tlsa"]["dnssec"] == "secure", h
assert docs["nonexistent.test."]["mx"]["nxdomain"] is True
print("pipe: a producer sleeping 4 s with secure.test. in flight: 3 lines, no time-out")
PY
	# empty input, a producer that closes at once, a last line without
	# newline: exit 0, the lines there are
	for input in '' 'secure.test'; do
		set +e
		printf '%s' "$input" | timeout -k 5 60 "${P[@]}" --json scan \
			--no-progress --no-connect - >"$W/out" 2>"$W/err"
		rc=${PIPESTATUS[1]}
		set -e
		[ "$rc" -eq 0 ] || fail "input '$input': exit $rc ($(cat "$W/err"))"
		[ "$(wc -l <"$W/out")" -eq "$(printf '%s' "$input" | grep -c .)" ] ||
			fail "input '$input': $(wc -l <"$W/out") lines"
	done
	set +e
	timeout -k 5 60 "${P[@]}" scan --no-progress - </dev/null >"$W/out" 2>"$W/err"
	rc=$?
	set -e
	[ "$rc" -eq 0 ] && [ ! -s "$W/out" ] || fail "stdin /dev/null: exit $rc, $(wc -l <"$W/out") lines"
	# a producer that dies before its last newline: that line counts
	set +e
	{
		printf 'nonexistent.test\nmail-ok.test'
		exit 3
	} | timeout -k 5 60 "${P[@]}" --json scan --no-progress --no-connect - \
		>"$W/out" 2>"$W/err"
	rc=${PIPESTATUS[1]}
	set -e
	[ "$rc" -eq 0 ] || fail "a producer that died: exit $rc ($(cat "$W/err"))"
	grep -q '"domain":"mail-ok.test."' "$W/out" && [ "$(wc -l <"$W/out")" -eq 2 ] ||
		fail "a producer that died: $(cat "$W/out")"
	echo "pipe: empty, closed, /dev/null and cut-short inputs: ok"
	;;
*)
	fail "unknown test $what"
	;;
esac
