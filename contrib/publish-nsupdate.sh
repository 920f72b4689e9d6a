#!/usr/bin/env bash
# publish-nsupdate.sh: an example publisher for `danekit publish --via exec`
# (and the hook's `publish-via = exec`): it reads the changes danekit gives
# on standard input as JSON and sends them with nsupdate(1) (Debian
# package bind9-dnsutils), signed with a TSIG key. Needs jq.
#
# Usage (danekit runs the --exec command line with /bin/sh -c):
#
#   danekit publish --via exec \
#       --exec '/usr/share/danekit/publish-nsupdate.sh -k /etc/danekit/tsig.key' \
#       --host mail.example.com --add cert.pem
#
#   # in /etc/danekit/postfix.conf:
#   publish-via = exec
#   publish-exec = /usr/share/danekit/publish-nsupdate.sh -k /etc/danekit/tsig.key
#
# Options:
#   -k FILE          TSIG key file for nsupdate -k (key "name" { ... };)
#   -s ADDR[@PORT]   the server to update (default: where danekit read the
#                    RRset: "server" and "port" of the JSON, i.e. its
#                    --server or the zone's SOA MNAME)
#   -n               print the nsupdate script, send nothing
#
# The input (one JSON document; `danekit publish --via exec --dry-run`
# prints it):
#   {"schema_version": 1, "zone": "example.com.",
#    "owner": "_25._tcp.mail.example.com.", "ttl": 3600,
#    "add":    [{"usage": 3, "selector": 1, "mtype": 1, "data": "<hex>",
#                "text": "3 1 1 <hex>"}, ...],
#    "remove": [...], "before": [...], "before_ttl": 3600,
#    "server": "192.0.2.53", "port": 53}
#
# Like danekit's own RFC 2136 publisher, the update carries the RRset as
# it was ("before") as a prerequisite, so a change made meanwhile by
# someone else is never overwritten.
#
# Exit status (danekit reads it): 0 published; 75 try again later (the
# RRset changed meanwhile, the server could not be reached); 1 refused
# (bad key, not authoritative...); 64 usage error; 65 bad input.
set -uo pipefail

key='' server='' dry=''
while getopts 'k:s:n' o; do
    case "$o" in
        k) key="$OPTARG" ;;
        s) server="$OPTARG" ;;
        n) dry=1 ;;
        *) echo "usage: $0 [-k KEYFILE] [-s ADDR[@PORT]] [-n] <changes.json" >&2; exit 64 ;;
    esac
done
command -v jq >/dev/null 2>&1 || { echo "publish-nsupdate: jq is missing" >&2; exit 1; }
command -v nsupdate >/dev/null 2>&1 || [[ -n "$dry" ]] ||
    { echo "publish-nsupdate: nsupdate is missing (bind9-dnsutils)" >&2; exit 1; }
[[ -z "$key" || -r "$key" ]] || { echo "publish-nsupdate: $key: not readable" >&2; exit 66; }

in="$(cat)"
get() { jq -er "$1" <<<"$in"; }
bad() { echo "publish-nsupdate: bad input: $*" >&2; exit 65; }

zone="$(get .zone)" || bad "no zone"
owner="$(get .owner)" || bad "no owner"
ttl="$(get .ttl)" || bad "no ttl"
# nothing from the input reaches nsupdate unchecked: names, numbers, hex
name_re='^([A-Za-z0-9_-]+\.)+$'
[[ "$zone" =~ $name_re ]] || bad "zone '$zone'"
[[ "$owner" =~ $name_re ]] || bad "owner '$owner'"
[[ "$ttl" =~ ^[0-9]+$ ]] || bad "ttl '$ttl'"
if [[ -z "$server" ]]; then
    server="$(get .server)@$(get .port)" || bad "no server: give -s ADDR[@PORT]"
fi
addr="${server%@*}"
port=53
[[ "$server" == *@* ]] && port="${server##*@}"
[[ "$addr" =~ ^[0-9A-Fa-f.:]+$ ]] || bad "server '$addr' (a numeric address)"
[[ "$port" =~ ^[0-9]+$ ]] || bad "port '$port'"

records() {
    local list="$1" rd
    jq -r ".${list}[]?.text" <<<"$in" | while IFS= read -r rd; do
        [[ "$rd" =~ ^[0-9]{1,3}\ [0-9]{1,3}\ [0-9]{1,3}\ [0-9A-Fa-f]+$ ]] || { echo "!"; continue; }
        echo "$rd"
    done
}
before="$(records before)"
remove="$(records remove)"
add="$(records add)"
grep -qx '!' <<<"$before$remove$add" && bad "a record that is not 'U S M HEX'"

script="server $addr $port
zone $zone
"
if [[ -z "$before" ]]; then
    script+="prereq nxrrset $owner IN TLSA
"
else
    while IFS= read -r rd; do
        script+="prereq yxrrset $owner IN TLSA $rd
"
    done <<<"$before"
fi
if [[ -n "$remove" ]]; then
    while IFS= read -r rd; do
        script+="update delete $owner IN TLSA $rd
"
    done <<<"$remove"
fi
if [[ -n "$add" ]]; then
    while IFS= read -r rd; do
        script+="update add $owner $ttl IN TLSA $rd
"
    done <<<"$add"
fi
script+="send
"
if [[ -n "$dry" ]]; then
    printf '%s' "$script"
    exit 0
fi

out="$(printf '%s' "$script" | nsupdate ${key:+-k "$key"} -t 10 2>&1)"
st=$?
[[ $st -eq 0 ]] && exit 0
echo "publish-nsupdate: nsupdate failed: $(tr '\n' ' ' <<<"$out")" >&2
case "$out" in
    *NXRRSET* | *YXRRSET* | *"timed out"* | *"communications error"* | *"connection refused"* | *SERVFAIL*)
        exit 75 ;;
esac
exit 1
