#!/usr/bin/env bash
# The survey examples of contrib/scan/ run as their batch engine would run
# them, against the lab: each task's own environment and command, nothing
# rewritten but the paths and the danekit on PATH (the lab's set-up).
#   slurm  contrib/scan/slurm-array.sh as the 4 tasks of a job array
#          (SLURM_ARRAY_TASK_ID 0..3, SLURM_ARRAY_TASK_COUNT 4), one task
#          requeued (run again: it resumes, no line twice)
#   k8s    the pod script of contrib/scan/k8s-indexed-job.yaml (read with
#          python3-yaml) as the N pods of the Indexed Job
#          (JOB_COMPLETION_INDEX 0..N-1), /in and /out moved to a folder
# Each: the shards are disjoint and their union is an unsharded run.
# Needs: $DANEKIT, $DK_SRCDIR (meson test sets them); python3-yaml.
set -euo pipefail
what="${1:?slurm|k8s}"

: "${DK_SRCDIR:?run through meson test}"
# shellcheck source=tests/scan/lib.sh
. "$DK_SRCDIR/tests/scan/lib.sh" dk-scan-contrib

# the danekit of the task's machine: the build, with the lab's resolver
# set-up (what /etc/danekit would hold on a real node)
mkdir "$W/bin"
cat >"$W/bin/danekit" <<EOF
#!/bin/sh
exec "$DANEKIT" --unbound-conf "$DK_LAB_CONF" --timeout 5 "\$@"
EOF
chmod +x "$W/bin/danekit"
export PATH="$W/bin:$PATH"

# the list: lab domains, the synthetic ones, NXDOMAIN names
{
	sed -n 's/^[[:space:]]*name: "\(.*\)\."$/\1/p' "$DK_LAB_RUN/nsd.conf" |
		grep -v 'arpa$'
	head -n 400 "$DK_LAB_RUN/synth-domains.txt"
	seq 1 200 | sed 's/^/n/; s/$/.nxd.test/'
} >"$W/domains.txt"
n=$(wc -l <"$W/domains.txt")
danekit --json scan --no-progress --no-connect "$W/domains.txt" |
	jq -r .domain | sort >"$W/all" || fail "the unsharded scan failed"
[ "$(wc -l <"$W/all")" -eq "$n" ] || fail "unsharded: $(wc -l <"$W/all") lines for $n"

# the union of the shard files out/shard-*.jsonl against the whole run
check_union() { # DIR SHARDS
	local k
	for ((k = 0; k < $2; k++)); do
		[ -s "$1/shard-$k.jsonl" ] || fail "shard $k wrote nothing"
		python3 "$DK_SRCDIR/tests/schema/validate.py" "$DK_SRCDIR/doc/schema" \
			"$1/shard-$k.jsonl" >/dev/null || fail "shard $k: lines against doc/schema"
	done
	cat "$1"/shard-*.jsonl | jq -r .domain | sort >"$W/union"
	[ "$(sort -u "$W/union" | wc -l)" -eq "$(wc -l <"$W/union")" ] ||
		fail "a domain is in two shard files (or twice in one)"
	cmp -s "$W/union" "$W/all" || fail "the union of the shards is not the whole run"
}

case "$what" in
slurm)
	# the script's scan has connections; the lab's Postfix listens on 25
	mkdir "$W/job"
	cd "$W/job"
	for k in 0 1 2 3; do
		SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=4 \
			bash "$DK_SRCDIR/contrib/scan/slurm-array.sh" "$W/domains.txt" \
			2>"$W/task.$k.err" || fail "task $k: exit $? ($(tail -n 1 "$W/task.$k.err"))"
	done
	# task 2 requeued (Slurm's --requeue): it resumes with --skip-done
	before=$(wc -l <out/shard-2.jsonl)
	SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 \
		bash "$DK_SRCDIR/contrib/scan/slurm-array.sh" "$W/domains.txt" \
		2>"$W/task.2b.err" || fail "requeued task 2: exit $?"
	[ "$(wc -l <out/shard-2.jsonl)" -eq "$before" ] ||
		fail "the requeued task added lines ($before -> $(wc -l <out/shard-2.jsonl))"
	# its own domains skipped as done, the others as other shards'
	grep -q "scan: 0 domains in .*; $n skipped;" "$W/task.2b.err" ||
		fail "the requeued task did not skip all $n lines: $(tail -n 1 "$W/task.2b.err")"
	# outside an array the script refuses to run
	if (unset SLURM_ARRAY_TASK_ID; bash "$DK_SRCDIR/contrib/scan/slurm-array.sh" \
		"$W/domains.txt") 2>/dev/null; then
		fail "the script ran outside a job array"
	fi
	check_union "$W/job/out" 4
	echo "slurm: 4 tasks, $(wc -l <"$W/union") domains, requeue resumed"
	;;
k8s)
	python3 - "$DK_SRCDIR/contrib/scan/k8s-indexed-job.yaml" "$W" <<'EOF' ||
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))
spec = job["spec"]
assert job["kind"] == "Job" and spec["completionMode"] == "Indexed"
assert spec["completions"] == spec["parallelism"]
c = spec["template"]["spec"]["containers"][0]
assert c["command"] == ["/bin/sh", "-c"]
mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
open(sys.argv[2] + "/pod.sh", "w").write(c["args"][0])
open(sys.argv[2] + "/pod.env", "w").write(
    "N=%d\nIN=%s\nOUT=%s\n" % (spec["completions"], mounts["in"], mounts["out"]))
EOF
		fail "contrib/scan/k8s-indexed-job.yaml is not the Indexed Job expected"
	# shellcheck disable=SC1091
	. "$W/pod.env"
	grep -q "N=$N" "$W/pod.sh" || fail "the pod script's N is not the job's completions ($N)"
	mkdir "$W/in" "$W/out"
	cp "$W/domains.txt" "$W/in/domains.txt"
	sed "s#$IN/#$W/in/#g; s#$OUT/#$W/out/#g" "$W/pod.sh" >"$W/pod.local.sh"
	for ((k = 0; k < N; k++)); do
		JOB_COMPLETION_INDEX=$k /bin/sh "$W/pod.local.sh" 2>"$W/pod.$k.err" ||
			fail "pod $k: exit $? ($(tail -n 1 "$W/pod.$k.err"))"
	done
	# a pod restarted (restartPolicy OnFailure) resumes
	before=$(wc -l <"$W/out/shard-0.jsonl")
	JOB_COMPLETION_INDEX=0 /bin/sh "$W/pod.local.sh" 2>"$W/pod.0b.err" ||
		fail "restarted pod 0: exit $?"
	[ "$(wc -l <"$W/out/shard-0.jsonl")" -eq "$before" ] ||
		fail "the restarted pod added lines"
	check_union "$W/out" "$N"
	echo "k8s: $N pods, $(wc -l <"$W/union") domains, restart resumed"
	;;
*)
	fail "unknown test $what"
	;;
esac
