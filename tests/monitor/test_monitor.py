#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--nagios and --prometheus against the lab (suite 'monitor').

Expected values come from elsewhere, never from danekit: certificate
expiry from `openssl x509 -enddate`, RRSIG expiry and record counts from
`kdig +dnssec` at the lab's NSD, verdicts from testzones/README.md. The
Nagios output is checked against the Monitoring Plugins guidelines'
grammar (written out below) and through the plugins' own `negate`; every
Prometheus file goes through `promtool check metrics`.
"""
import datetime
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

DANEKIT = os.environ["DANEKIT"]
SRC = os.environ["DK_SRCDIR"]
NEGATE = "/usr/lib/nagios/plugins/negate"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)


def lab_env():
    subprocess.run(["bash", os.path.join(SRC, "testzones", "lab"), "up"],
                   check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["bash", os.path.join(SRC, "testzones", "lab"),
                          "env"], check=True, capture_output=True,
                         text=True).stdout
    env = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        env[k] = v
    return env


LAB = lab_env()
CONF = LAB["DK_LAB_CONF"]
PKI = LAB["DK_LAB_PKI"]


def run(*args, conf=None, env=None):
    cmd = [DANEKIT, "--unbound-conf", conf or CONF] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


# --------------------------------------------------------------------
# The Monitoring Plugins output grammar (monitoring-plugins.org, "Plugin
# Output" and "Performance data"):
#   'label'=value[UOM];[warn];[crit];[min];[max]
# label: any characters but '=' and "'"; quoted with ' when it has a
# space, a quote inside doubled; value [-0-9.] or U; UOM one of
# s ms us % B KB MB TB c (or none); warn and crit are ranges
# ([@][start:]end, start may be ~), min and max numbers; trailing
# semicolons may be left out; items separated by spaces.
NUM = r"-?[0-9]+(?:\.[0-9]+)?"
RANGE = r"@?(?:(?:%s|~):(?:%s)?|%s)" % (NUM, NUM, NUM)
LABEL = r"(?:'(?:[^'=]|'')+'|[^'= |]+)"
UOM = r"(?:s|ms|us|%|B|KB|MB|TB|c)?"
ITEM = (r"%s=(?:%s|U)%s(?:;(?:%s)?(?:;(?:%s)?(?:;(?:%s)?(?:;(?:%s)?)?)?)?)?"
        % (LABEL, NUM, UOM, RANGE, RANGE, NUM, NUM))
PERF = re.compile(r"^%s(?: %s)*$" % (ITEM, ITEM))
STATUS = re.compile(r"^DANEKIT ([A-Z]+) (OK|WARNING|CRITICAL|UNKNOWN) - "
                    r"([^|]+?)(?: \| (.*))?$")
STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}


def nagios(args, want_state, want_service=None, conf=None, name=None):
    """Run with --nagios, check the grammar, return the perfdata dict."""
    name = name or " ".join(args)
    rc, out, err = run("--nagios", *args, conf=conf)
    lines = out.splitlines()
    check(len(lines) >= 1, "%s: no output" % name)
    if not lines:
        return {}
    m = STATUS.match(lines[0])
    check(m is not None, "%s: status line %r" % (name, lines[0]))
    if not m:
        return {}
    check(m.group(2) == want_state,
          "%s: state %s, expected %s (%s)" % (name, m.group(2), want_state,
                                               lines[0]))
    check(rc == STATES[m.group(2)],
          "%s: exit %d for %s" % (name, rc, m.group(2)))
    if want_service:
        check(m.group(1) == want_service,
              "%s: service %s, expected %s" % (name, m.group(1),
                                               want_service))
    check(err == "", "%s: stderr %r" % (name, err))
    for line in lines[1:]:
        check("|" not in line, "%s: '|' in a detail line %r" % (name, line))
    perf = {}
    if m.group(4) is not None:
        check(PERF.match(m.group(4)) is not None,
              "%s: perfdata %r breaks the grammar" % (name, m.group(4)))
        for item in m.group(4).split(" "):
            label, _, rest = item.partition("=")
            value = re.match(r"-?[0-9.]+", rest).group(0)
            perf[label.strip("'")] = (float(value), rest)
    return perf


def grammar_self_test():
    """The regex against the guidelines' own examples, good and bad."""
    good = ["time=0.002722s;;;0.000000 size=12345B;;;0",
            "'label with space'=5;10;20;0;100",
            "'it''s'=1", "load1=0.5;15.000;30.000;0;", "users=2;5:;~:10;0",
            "pct=50%;@10:20", "rta=U"]
    bad = ["time=1d", "a=1;;;;;", "'x=y'=1", "a=", "a=1 ;", "a=1e5",
           "a=1;10:20:30"]
    for g in good:
        check(PERF.match(g) is not None, "grammar rejects %r" % g)
    for b in bad:
        check(PERF.match(b) is None, "grammar accepts %r" % b)


# --------------------------------------------------------------------
# Independent values


def enddate(pem):
    out = subprocess.run(["openssl", "x509", "-enddate", "-noout", "-in",
                          pem], check=True, capture_output=True,
                         text=True).stdout.strip()
    s = out.split("=", 1)[1]
    dt = datetime.datetime.strptime(s, "%b %d %H:%M:%S %Y GMT")
    return int(dt.replace(tzinfo=datetime.timezone.utc).timestamp())


def kdig(qtype, name):
    """(records, RRSIG expirations) of an RRset at the lab's NSD."""
    out = subprocess.run(["kdig", "@" + LAB["DK_LAB_NS"], "-p",
                          LAB["DK_LAB_PORT"], "+dnssec", "+norec", "+short",
                          qtype, name], check=True, capture_output=True,
                         text=True).stdout
    recs, exps = [], []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == qtype and len(f) > 5 and re.match(r"^\d{14}$", f[4]):
            dt = datetime.datetime.strptime(f[4], "%Y%m%d%H%M%S")
            exps.append(int(dt.replace(
                tzinfo=datetime.timezone.utc).timestamp()))
        elif f:
            recs.append(f)
    return recs, exps


def path_sig_expiry(qtype, name, zone):
    """Earliest RRSIG expiration from test. down to name/qtype in zone."""
    exps = kdig(qtype, name)[1]
    exps += kdig("DNSKEY", zone)[1]
    if zone != "test.":
        exps += kdig("DS", zone)[1]
    exps += kdig("DNSKEY", "test.")[1]
    return min(exps)


# --------------------------------------------------------------------
# Prometheus


def promtool(path, name):
    p = subprocess.run([PROMTOOL, "check", "metrics"], stdin=open(path),
                       capture_output=True, text=True)
    check(p.returncode == 0, "%s: promtool check metrics: %s%s" %
          (name, p.stdout, p.stderr))


SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')


def samples(path):
    """{(name, frozenset(labels)): value} of a textfile."""
    out = {}
    for line in open(path):
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line.rstrip("\n"))
        check(m is not None, "%s: bad line %r" % (path, line))
        if not m:
            continue
        labels = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"',
                                      m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def find(smp, name, **labels):
    want = set(labels.items())
    return [v for (n, ls), v in smp.items()
            if n == name and want <= set(ls)]


def stateset_ok(smp, name, path):
    """Exactly one state at 1 for each label set of a state set."""
    groups = {}
    for (n, ls), v in smp.items():
        if n != name:
            continue
        key = frozenset(x for x in ls if x[0] != name)
        groups.setdefault(key, []).append(v)
    for key, vals in groups.items():
        check(sorted(vals)[-1] == 1 and sum(vals) == 1,
              "%s: %s %s is not a state set: %s" % (path, name, dict(key),
                                                    vals))


# --------------------------------------------------------------------


def test_check_nagios():
    now = time.time()
    # dane-ok.test: valid, one record (no cover for the next key): WARNING
    perf = nagios(["check", "smtp", "dane-ok.test"], "WARNING", "SMTP")
    cert = enddate(os.path.join(PKI, "hosts", "dane-ok.pem"))
    check(abs(perf["cert_days"][0] - (cert - now) / 86400) < 0.02,
          "dane-ok cert_days %s, openssl says %.2f" %
          (perf.get("cert_days"), (cert - now) / 86400))
    sig = min(path_sig_expiry("TLSA", "_25._tcp.mail.dane-ok.test",
                              "dane-ok.test."),
              path_sig_expiry("MX", "dane-ok.test", "dane-ok.test."))
    check(abs(perf["rrsig_days"][0] - (sig - now) / 86400) < 0.02,
          "dane-ok rrsig_days %s, kdig says %.2f" %
          (perf.get("rrsig_days"), (sig - now) / 86400))
    tlsa = kdig("TLSA", "_25._tcp.mail.dane-ok.test")[0]
    addrs = (kdig("A", "mail.dane-ok.test")[0] +
             kdig("AAAA", "mail.dane-ok.test")[0])
    check(perf["records"][0] == len(tlsa), "dane-ok records %s, kdig %d" %
          (perf["records"], len(tlsa)))
    check(perf["records_usable"][0] ==
          len([r for r in tlsa if r[0] in ("2", "3")]),
          "dane-ok records_usable %s" % (perf["records_usable"],))
    check(perf["addresses_verified"][0] == len(addrs),
          "dane-ok addresses_verified %s, kdig %d addresses" %
          (perf["addresses_verified"], len(addrs)))
    check(perf["addresses_failed"][0] == 0, "dane-ok addresses_failed")
    check(perf["time"][1].split(";")[0].endswith("s"), "time has no unit s")
    # a handshake happened at each address (openssl s_client reaches
    # them in the interop tests): its time is there, in seconds, and
    # within the whole check's
    check("handshake" in perf and 0 < perf["handshake"][0] <=
          perf["time"][0] and
          perf["handshake"][1].split(";")[0].endswith("s"),
          "dane-ok handshake %s (time %s)" % (perf.get("handshake"),
                                              perf.get("time")))
    check(perf["cert_days"][1].split(";")[2] == "3:",
          "cert_days crit range is not 3: (%s)" % perf["cert_days"][1])
    check(perf["rrsig_days"][1].split(";")[1:3] == ["7:", "3:"],
          "rrsig_days ranges are not 7: and 3: (%s)" % perf["rrsig_days"][1])
    perf = nagios(["--crit-days", "10", "check", "smtp", "--warn-days",
                   "900", "--sig-warn-days", "40", "dane-ok.test"],
                  "WARNING")
    check(perf["cert_days"][1].split(";")[1:3] == ["900:", "10:"],
          "cert_days ranges with options: %s" % perf["cert_days"][1])

    # two records (3 1 1 and 2 1 1), every address verified: OK
    perf = nagios(["check", "smtp", "secure.test"], "OK", "SMTP")
    addrs = (kdig("A", "mail.secure.test")[0] +
             kdig("AAAA", "mail.secure.test")[0])
    check(perf["addresses_verified"][0] == len(addrs),
          "secure addresses_verified %s, kdig %d" %
          (perf["addresses_verified"], len(addrs)))
    # mismatch, bogus TLSA, one failing MX host: CRITICAL
    perf = nagios(["check", "smtp", "mismatch.test"], "CRITICAL")
    check(perf["addresses_failed"][0] == 1, "mismatch addresses_failed")
    nagios(["check", "smtp", "tampered.test"], "CRITICAL")
    nagios(["check", "smtp", "two-mx.test"], "CRITICAL")
    perf = nagios(["check", "smtp", "nostarttls.test"], "CRITICAL")
    check("handshake" not in perf, "nostarttls.test: a handshake time "
          "without a handshake: %s" % (perf.get("handshake"),))
    # DANE does not apply: CRITICAL, OK with --allow-insecure
    nagios(["check", "smtp", "insecure.test"], "CRITICAL")
    nagios(["--allow-insecure", "check", "smtp", "insecure.test"], "OK")
    nagios(["check", "smtp", "pkix-only.test"], "CRITICAL")
    # RRSIGs expiring in 2 days: within the default --crit-days 3
    perf = nagios(["check", "smtp", "expiring.test"], "CRITICAL")
    sig = path_sig_expiry("TLSA", "_25._tcp.mail.expiring.test",
                          "expiring.test.")
    check(abs(perf["rrsig_days"][0] - (sig - now) / 86400) < 0.05,
          "expiring rrsig_days %s, kdig %.2f" %
          (perf.get("rrsig_days"), (sig - now) / 86400))
    # within the warning window (7 days) only: WARNING
    nagios(["--crit-days", "1", "check", "smtp", "expiring.test"],
           "WARNING")
    # an expired certificate (DANE-EE still valid): CRITICAL
    perf = nagios(["check", "smtp", "expired-cert.test"], "CRITICAL")
    cert = enddate(os.path.join(PKI, "hosts", "expired-cert.pem"))
    check(abs(perf["cert_days"][0] - (cert - now) / 86400) < 0.02,
          "expired-cert cert_days %s" % (perf.get("cert_days"),))
    # could not finish (SERVFAIL): UNKNOWN
    nagios(["check", "smtp", "nonexistent.lame.test"], "UNKNOWN")
    # check tls
    perf = nagios(["check", "tls", "www.tls-ok.test"], "WARNING", "TLS")
    cert = enddate(os.path.join(PKI, "hosts", "tls-ok.pem"))
    check(abs(perf["cert_days"][0] - (cert - now) / 86400) < 0.02,
          "tls-ok cert_days %s" % (perf.get("cert_days"),))
    nagios(["check", "tls", "www.tls-mismatch.test"], "CRITICAL", "TLS")


def test_partial():
    """MX hosts with DANE (mail.dane-ok.test) and without
    (mail.insecure.test, unsigned), made in dyn.test. by DNS UPDATE at the
    lab's primary: CRITICAL; WARNING under --allow-partial."""
    subprocess.run(["flock", "/tmp/danekit-renew-tests.lock", "bash",
                    os.path.join(SRC, "testzones", "primary"), "up"],
                   check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["bash", os.path.join(SRC, "testzones", "primary"),
                          "env"], check=True, capture_output=True,
                         text=True).stdout
    prim = dict(line.split("=", 1) for line in out.splitlines()
                if "=" in line)
    addr, port = prim["DK_PRIMARY_SERVER"].split("@")
    dom = "monitor-partial-%d.dyn.test" % os.getpid()

    def nsupdate(lines):
        p = subprocess.run(["nsupdate", "-k", prim["DK_PRIMARY_KEY"]],
                           input="server %s %s\nzone dyn.test.\n%s\nsend\n"
                           % (addr, port, lines), capture_output=True,
                           text=True)
        check(p.returncode == 0, "nsupdate: %s" % p.stderr)

    nsupdate("update add %s. 60 MX 10 mail.dane-ok.test.\n"
             "update add %s. 60 MX 20 mail.insecure.test." % (dom, dom))
    try:
        conf = prim["DK_PRIMARY_CONF"]
        smtp = ["--connect-port", LAB["DK_LAB_SMTP_PORT"]]
        perf = nagios(["check", "smtp"] + smtp + [dom], "CRITICAL",
                      conf=conf, name="partial")
        check(perf.get("addresses_verified", (0,))[0] >= 1,
              "partial: nothing verified %s" % perf)
        nagios(["check", "smtp", "--allow-partial"] + smtp + [dom],
               "WARNING", conf=conf, name="partial --allow-partial")
    finally:
        nsupdate("update delete %s. MX" % dom)


def test_usage_errors():
    for args in (["--nagios", "check", "smtp"],
                 ["--nagios", "check", "smtp", "--bogus", "x"],
                 ["check", "smtp", "--bogus", "--nagios", "x"],
                 ["--nagios", "tlsa", "x.pem"],
                 ["lookup", "--nagios", "x"],
                 ["--nagios", "--json", "check", "smtp", "x"],
                 ["--nagios", "--crit-days", "x", "check", "smtp", "y"],
                 ["--nagios", "rollover", "--unsafe-hours", "0"],
                 ["--nagios"],
                 ["--nagios", "nosuchcommand"]):
        rc, out, err = run(*args)
        name = " ".join(args)
        check(rc == 3, "%s: exit %d, expected 3" % (name, rc))
        check(len(out.splitlines()) == 1 and
              re.match(r"^DANEKIT (?:[A-Z]+ )?UNKNOWN - \S", out),
              "%s: output %r" % (name, out))
        check(err == "", "%s: stderr %r" % (name, err))
    # without --nagios: the usual one line on stderr and 64
    for args in (["--crit-days", "3", "check", "smtp", "dane-ok.test"],
                 ["--allow-insecure", "check", "smtp", "dane-ok.test"],
                 ["--prometheus", "x.prom", "tlsa", "x.pem"]):
        rc, out, err = run(*args)
        check(rc == 64 and out == "" and len(err.splitlines()) == 1,
              "%s: %d %r %r" % (" ".join(args), rc, out, err))


def test_negate():
    """The Monitoring Plugins' negate reads our states as plugin states."""
    if not os.access(NEGATE, os.X_OK):
        print("SKIP: no negate")
        return
    base = [NEGATE, "-s", "-t", "60", DANEKIT, "--unbound-conf", CONF,
            "--nagios"]
    p = subprocess.run(base + ["check", "smtp", "secure.test"],
                       capture_output=True, text=True)
    check(p.returncode == 2 and
          p.stdout.startswith("DANEKIT SMTP CRITICAL - "),
          "negate OK -> CRITICAL: %d %r" % (p.returncode, p.stdout[:80]))
    p = subprocess.run(base + ["check", "smtp", "mismatch.test"],
                       capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("DANEKIT SMTP OK - "),
          "negate CRITICAL -> OK: %d %r" % (p.returncode, p.stdout[:80]))
    p = subprocess.run(base + ["check", "smtp", "dane-ok.test"],
                       capture_output=True, text=True)
    check(p.returncode == 1 and
          p.stdout.startswith("DANEKIT SMTP WARNING - "),
          "negate WARNING stays: %d %r" % (p.returncode, p.stdout[:80]))


def test_prometheus(tmp):
    os.makedirs(tmp)
    path = os.path.join(tmp, "check.prom")
    old = os.umask(0o077)
    try:
        rc, out, err = run("--prometheus", path, "check", "smtp",
                           "dane-ok.test")
    finally:
        os.umask(old)
    check(rc == 0, "check smtp dane-ok.test --prometheus: exit %d" % rc)
    check(out.startswith("check smtp dane-ok.test."),
          "the normal output is kept: %r" % out[:60])
    check(stat.S_IMODE(os.stat(path).st_mode) == 0o644,
          "mode %o, expected 644" % stat.S_IMODE(os.stat(path).st_mode))
    check(sorted(os.listdir(tmp)) == ["check.prom"],
          "other files left: %s" % os.listdir(tmp))
    promtool(path, "check smtp dane-ok.test")
    smp = samples(path)
    cert = enddate(os.path.join(PKI, "hosts", "dane-ok.pem"))
    v = find(smp, "danekit_check_cert_expiry_timestamp_seconds",
             domain="dane-ok.test", host="mail.dane-ok.test",
             address="127.53.1.16", port="25")
    check(v == [cert], "cert expiry %s, openssl says %d" % (v, cert))
    sig = path_sig_expiry("TLSA", "_25._tcp.mail.dane-ok.test",
                          "dane-ok.test.")
    v = find(smp, "danekit_check_tlsa_rrsig_expiry_timestamp_seconds",
             host="mail.dane-ok.test")
    check(v == [sig], "TLSA RRSIG expiry %s, kdig says %d" % (v, sig))
    sig = path_sig_expiry("MX", "dane-ok.test", "dane-ok.test.")
    v = find(smp, "danekit_check_mx_rrsig_expiry_timestamp_seconds",
             domain="dane-ok.test")
    check(v == [sig], "MX RRSIG expiry %s, kdig says %d" % (v, sig))
    v = find(smp, "danekit_check_verdict", domain="dane-ok.test",
             danekit_check_verdict="valid")
    check(v == [1], "verdict valid: %s" % v)
    v = find(smp, "danekit_check_tlsa_records_usable",
             host="mail.dane-ok.test")
    check(v == [1], "records usable %s" % v)
    for name in ("danekit_check_verdict", "danekit_check_host_verdict",
                 "danekit_check_address_status",
                 "danekit_check_tlsa_dnssec"):
        stateset_ok(smp, name, path)

    # replaced by rename: a hard link keeps the old content
    keep = os.path.join(tmp, "keep")
    os.link(path, keep)
    before = open(path).read()
    rc, _, _ = run("--prometheus", path, "check", "smtp", "mismatch.test")
    check(rc == 1, "mismatch --prometheus exit %d" % rc)
    check(open(keep).read() == before, "the old file was written in place")
    check(os.stat(path).st_ino != os.stat(keep).st_ino, "not renamed")
    smp = samples(path)
    check(find(smp, "danekit_check_verdict", domain="mismatch.test",
               danekit_check_verdict="failed") == [1], "mismatch failed")
    check(find(smp, "danekit_check_address_status",
               address="127.53.1.18",
               danekit_check_address_status="mismatch") == [1],
          "address mismatch state")
    promtool(path, "check smtp mismatch.test")
    os.unlink(keep)

    # a usage error leaves the file alone; so does nothing to write
    before = open(path).read()
    rc, out, err = run("--prometheus", path, "check", "smtp", "--bogus",
                       "dane-ok.test")
    check(rc == 64 and open(path).read() == before,
          "usage error touched the file (%d)" % rc)
    # only regular files are replaced: a folder, a symlink, a FIFO
    target = os.path.join(tmp, "target")
    with open(target, "w") as f:
        f.write("precious\n")
    link = os.path.join(tmp, "link.prom")
    os.symlink(target, link)
    fifo = os.path.join(tmp, "fifo.prom")
    os.mkfifo(fifo)
    for p in (tmp, link, fifo):
        rc, out, err = run("--prometheus", p, "check", "smtp",
                           "dane-ok.test")
        check(rc == 64 and out == "" and len(err.splitlines()) == 1,
              "--prometheus %s: %d %r %r" % (p, rc, out, err))
    check(open(target).read() == "precious\n", "symlink target written")
    check(os.path.islink(link), "symlink replaced")
    rc, out, err = run("--prometheus", os.path.join(tmp, "no", "x.prom"),
                       "check", "smtp", "dane-ok.test")
    check(rc == 64 and out == "", "missing folder: %d %r" % (rc, err))
    for p in (link, fifo, target):
        os.unlink(p)
    # with --nagios: both outputs
    rc, out, err = run("--nagios", "--prometheus", path, "check", "tls",
                       "www.tls-ok.test")
    check(rc == 1 and out.startswith("DANEKIT TLS WARNING - "),
          "--nagios --prometheus: %d %r" % (rc, out[:60]))
    promtool(path, "check tls www.tls-ok.test")
    smp = samples(path)
    cert = enddate(os.path.join(PKI, "hosts", "tls-ok.pem"))
    check(find(smp, "danekit_check_cert_expiry_timestamp_seconds",
               check="tls", port="443") == [cert], "tls-ok cert expiry")
    # the run's time, not the --at moment of the certificate checks
    t0 = int(time.time())
    rc, _, _ = run("--prometheus", path, "check", "smtp", "--at", "+10d",
                   "dane-ok.test")
    t1 = int(time.time())
    v = find(samples(path), "danekit_check_timestamp_seconds",
             domain="dane-ok.test")
    check(len(v) == 1 and t0 <= v[0] <= t1,
          "check timestamp %s not within [%d, %d]" % (v, t0, t1))
    # more cases through promtool
    for i, d in enumerate(("insecure.test", "tampered.test", "two-mx.test",
                           "dual-key.test", "nullmx.test",
                           "nonexistent.lame.test")):
        p = os.path.join(tmp, "c%d.prom" % i)
        run("--prometheus", p, "check", "smtp", d)
        check(os.path.exists(p), "no file for %s" % d)
        if os.path.exists(p):
            promtool(p, "check smtp " + d)
            smp = samples(p)
            for name in ("danekit_check_verdict",
                         "danekit_check_host_verdict",
                         "danekit_check_address_status"):
                stateset_ok(smp, name, p)


def test_rollover(tmp):
    state = os.path.join(tmp, "rollover.state")
    prom = os.path.join(tmp, "rollover.prom")
    common = ["rollover", "--host", "mail.secure.test", "--auth-port",
              LAB["DK_LAB_PORT"], "--state", state]
    chain = os.path.join(PKI, "chain.pem")
    t0 = int(time.time())
    perf = nagios(["--prometheus", prom] + common +
                  ["--current", chain, "--next", chain], "OK", "ROLLOVER",
                  name="rollover done")
    t1 = int(time.time())
    tlsa = kdig("TLSA", "_25._tcp.mail.secure.test")[0]
    check(perf.get("records", (None,))[0] == len(tlsa),
          "rollover records %s, kdig %d" % (perf.get("records"), len(tlsa)))
    promtool(prom, "rollover")
    smp = samples(prom)
    stateset_ok(smp, "danekit_rollover_stage", prom)
    check(find(smp, "danekit_rollover_stage",
               danekit_rollover_stage="done") == [1], "stage done")
    seen = find(smp, "danekit_tlsa_first_seen_timestamp_seconds",
                host="mail.secure.test")
    # (first seen when every server was asked, rounded up to the second)
    check(len(seen) == len(tlsa) and all(t0 < s <= t1 + 1 for s in seen),
          "first seen %s not within ]%d, %d]" % (seen, t0, t1 + 1))
    # a next key with no record: WARNING, and CRITICAL once the rollover
    # is older than --unsafe-hours (the age of the --next file)
    nxt = os.path.join(tmp, "next.pem")
    shutil.copy(os.path.join(PKI, "hosts", "dane-ok.pem"), nxt)
    perf = nagios(common + ["--current", chain, "--next", nxt], "WARNING",
                  name="rollover next-missing")
    check(perf.get("records_next", (None,))[0] == 0, "records_next")
    old = time.time() - 2 * 86400
    os.utime(nxt, (old, old))
    nagios(common + ["--current", chain, "--next", nxt], "CRITICAL",
           name="rollover next-missing 2 days")
    nagios(common + ["--unsafe-hours", "72", "--current", chain, "--next",
                     nxt], "WARNING", name="rollover --unsafe-hours 72")
    # the live certificate matches no record: CRITICAL
    mm = os.path.join(PKI, "hosts", "mismatch.pem")
    nagios(["rollover", "--host", "mail.mismatch.test", "--auth-port",
            LAB["DK_LAB_PORT"], "--state", state, "--current", mm,
            "--next", mm], "CRITICAL", name="rollover broken")
    # insecure: CRITICAL, OK with --allow-insecure
    ins = ["rollover", "--host", "mail.insecure.test", "--auth-port",
           LAB["DK_LAB_PORT"], "--state", state, "--current", chain,
           "--next", chain]
    nagios(ins, "CRITICAL", name="rollover insecure")
    nagios(["--allow-insecure"] + ins, "OK",
           name="rollover insecure --allow-insecure")


def test_audit_doctor(tmp):
    mail = LAB["DK_LAB_MAIL_CONF"]
    prom = os.path.join(tmp, "audit.prom")
    # README.md and testzones/README.md: good.sts.test, with the lab's
    # ports, CA and private addresses allowed, audits clean (info only);
    # secure.test has neither SPF nor DMARC
    perf = nagios(["--prometheus", prom, "audit", "good.sts.test",
                   "--connect-port", LAB["DK_LAB_SMTP_PORT"],
                   "--https-port", LAB.get("DK_LAB_HTTPS_PORT", "443"),
                   "--https-ca", os.path.join(PKI, "ca.pem"),
                   "--allow-private", "127.53.0.0/16"], "OK", "AUDIT",
                  conf=mail, name="audit good.sts.test")
    check(perf.get("errors", (None,))[0] == 0 and
          perf.get("warnings", (None,))[0] == 0,
          "good.sts.test counts %s" % perf)
    promtool(prom, "audit good.sts.test")
    smp = samples(prom)
    for sev in ("warning", "error", "critical"):
        check(find(smp, "danekit_audit_findings", domain="good.sts.test",
                   severity=sev) == [0], "good.sts.test %s findings" % sev)
    stateset_ok(smp, "danekit_audit_area", prom)
    nagios(["--prometheus", prom, "audit", "secure.test"], "CRITICAL",
           "AUDIT", conf=mail)
    promtool(prom, "audit secure.test")
    smp = samples(prom)
    check(find(smp, "danekit_audit_findings", domain="secure.test",
               severity="error")[0] >= 2, "secure.test errors")
    # doctor: this libunbound has no Ed448 (testzones/README.md): WARNING
    prom = os.path.join(tmp, "doctor.prom")
    perf = nagios(["--prometheus", prom, "doctor"], "WARNING", "DOCTOR")
    check(perf.get("failed", (None,))[0] == 0, "doctor failed count")
    promtool(prom, "doctor")
    smp = samples(prom)
    stateset_ok(smp, "danekit_doctor_verdict", prom)
    stateset_ok(smp, "danekit_doctor_check", prom)
    check(find(smp, "danekit_doctor_verdict",
               danekit_doctor_verdict="warning") == [1], "doctor warning")


def test_scan(tmp):
    # testzones/README.md: dane-ok and dane-ta are valid, mismatch fails,
    # insecure.test is unsigned (DANE does not apply); "no such" is no
    # domain name, an error line
    lst = os.path.join(tmp, "scan.txt")
    with open(lst, "w") as f:
        f.write("dane-ok.test\ndane-ta.test\nmismatch.test\n"
                "insecure.test\n# a comment\nno such\n")
    prom = os.path.join(tmp, "scan.prom")
    rc, out, err = run("--prometheus", prom, "scan", "--no-progress",
                       "--connect-port", LAB["DK_LAB_SMTP_PORT"], lst)
    check(rc == 0, "scan --prometheus: exit %d %s" % (rc, err))
    promtool(prom, "scan")
    smp = samples(prom)
    want = {"valid": 2, "partial": 0, "failed": 1, "not-applicable": 1,
            "incomplete": 0}
    for verdict, n in want.items():
        check(find(smp, "danekit_scan_domains",
                   danekit_scan_verdict=verdict) == [n],
              "scan totals: %s %s" % (verdict, smp))
    check(find(smp, "danekit_scan_errors") == [1], "scan errors %s" % smp)
    check(find(smp, "danekit_scan_skipped") == [0], "scan skipped")
    ts = find(smp, "danekit_scan_timestamp_seconds")
    check(len(ts) == 1 and abs(ts[0] - time.time()) < 600, "scan time")
    # a survey is not a check: --nagios is refused with UNKNOWN (3)
    rc, out, err = run("--nagios", "scan", lst)
    check(rc == 3 and out.startswith("DANEKIT") and " UNKNOWN - " in out,
          "scan --nagios: %d %r" % (rc, out))


def main():
    grammar_self_test()
    tmp = tempfile.mkdtemp(prefix="dk-monitor-")
    try:
        test_check_nagios()
        test_partial()
        test_usage_errors()
        test_negate()
        test_prometheus(os.path.join(tmp, "p"))
        test_rollover(tmp)
        test_audit_doctor(tmp)
        test_scan(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d checks, %d failed" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
