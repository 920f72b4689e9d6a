# Sourced by the scan test scripts: fail(), the lab up (serialised with the
# other tests) and its environment, and a work folder $W removed at exit.
# Usage: . lib.sh PREFIX
: "${DANEKIT:?run through meson test}" "${DK_SRCDIR:?run through meson test}"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
flock /tmp/danekit-lab.lock bash "$DK_SRCDIR/testzones/lab" up >/dev/null 2>&1 ||
	fail "lab up failed"
eval "$(bash "$DK_SRCDIR/testzones/lab" env)"
W="$(mktemp -d "/tmp/${1:-dk-scan}-XXXXXX")"
trap 'rm -rf "$W"' EXIT
