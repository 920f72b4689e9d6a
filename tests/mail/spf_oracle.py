#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The independent SPF oracle of the audit tests: pyspf (Debian
python3-spf) evaluating check_host() with dnspython pointed straight at the
lab's name server.

    spf_oracle.py SERVER PORT DOMAIN IP [HELO]

prints one line: "<result> <lookups> <void_lookups>", where lookups and
void lookups are pyspf's own counters after the evaluation (for an address
that matches no term, the whole tree up to 'all' is evaluated).
"""
import sys

import dns.resolver
import spf


def main():
    server, port, domain, ip = sys.argv[1:5]
    helo = sys.argv[5] if len(sys.argv) > 5 else domain
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [server]
    r.port = int(port)
    r.lifetime = 10
    dns.resolver.default_resolver = r
    q = spf.query(i=ip, s="postmaster@" + domain, h=helo, querytime=20)
    res = q.check()
    print(res[0], q.lookups, q.void_lookups)


if __name__ == "__main__":
    main()
