"""Helpers of the scan tests' comparisons of JSON documents."""


def scrub(x):
    """Drop what differs from run to run: handshake times."""
    if isinstance(x, dict):
        x.pop("handshake_seconds", None)
        for v in x.values():
            scrub(v)
    elif isinstance(x, list):
        for v in x:
            scrub(v)
