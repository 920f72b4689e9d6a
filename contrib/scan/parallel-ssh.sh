#!/usr/bin/env bash
# danekit scan over several machines with GNU parallel and ssh: N shards,
# each job the shard of its number (K = 0..N-1), spread over the hosts of
# an --sshloginfile. The list goes to each host once (--basefile); each
# shard's output so far goes with its job (--skip-done: running the
# script again resumes) and its new lines come back (--return), appended
# here to out/shard-K.jsonl.
#
# Usage: contrib/scan/parallel-ssh.sh DOMAINS SSHLOGINFILE [N]
#   DOMAINS       a relative path (the same path is used on every host)
#   SSHLOGINFILE  GNU parallel's format: "2/scan1.example" per line (2 jobs
#                 there at once), ":" for this machine; danekit must be
#                 installed on every host
#   N             shards (default: the sum of the jobs of the hosts)
set -euo pipefail
list="${1:?usage: parallel-ssh.sh DOMAINS SSHLOGINFILE [N]}"
hosts="${2:?usage: parallel-ssh.sh DOMAINS SSHLOGINFILE [N]}"
n="${3:-$(awk -F/ '!/^#/ && NF { s += (NF > 1 ? $1 : 1) } END { print s }' "$hosts")}"
mkdir -p out
for ((k = 0; k < n; k++)); do
	touch "out/shard-$k.jsonl"
	rm -f "out/shard-$k.new"
done
seq 0 $((n - 1)) | parallel --sshloginfile "$hosts" --retries 3 \
	--halt soon,fail=1 --basefile "$list" \
	--transferfile 'out/shard-{}.jsonl' --return 'out/shard-{}.new' \
	--cleanup \
	"danekit --json scan --no-progress --shard {}/$n --skip-done out/shard-{}.jsonl $list > out/shard-{}.new"
for ((k = 0; k < n; k++)); do
	if [[ -f "out/shard-$k.new" ]]; then
		cat "out/shard-$k.new" >>"out/shard-$k.jsonl"
		rm -f "out/shard-$k.new"
	fi
done
echo "survey: $(cat out/shard-*.jsonl | wc -l) domains in out/shard-*.jsonl" >&2
