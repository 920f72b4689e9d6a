#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""contrib/ monitoring files (suite 'monitor').

- the systemd units pass `systemd-analyze verify`, and the ExecStart line
  of each check and audit unit runs against the lab and leaves a
  Prometheus file that `promtool check metrics` accepts;
- every Icinga 2 CheckCommand of contrib/icinga2/danekit.conf and every
  Nagios command of contrib/nagios/danekit.cfg, with the macros filled in
  the way Icinga and Nagios fill them, runs against the lab and prints a
  Monitoring Plugins status line whose state is its exit status.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

DANEKIT = os.environ["DANEKIT"]
SRC = os.environ["DK_SRCDIR"]
CONTRIB = os.path.join(SRC, "contrib")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
STATUS = re.compile(r"^DANEKIT [A-Z]+ (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+"
                    r"(?: \| .*)?$")
STATES = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)


def lab_env():
    lab = os.path.join(SRC, "testzones", "lab")
    subprocess.run(["bash", lab, "up"], check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run(["bash", lab, "env"], check=True,
                         capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


LAB = lab_env()


def plugin(argv, name, want):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    first = p.stdout.splitlines()[0] if p.stdout else ""
    m = STATUS.match(first)
    check(m is not None, "%s: status line %r (stderr %r)" %
          (name, first, p.stderr))
    if m:
        check(STATES[m.group(1)] == p.returncode,
              "%s: %s but exit %d" % (name, m.group(1), p.returncode))
        check(m.group(1) == want, "%s: %s, expected %s" %
              (name, m.group(1), want))


# --------------------------------------------------------------------
# systemd


def test_systemd(tmp):
    units = [f for f in sorted(os.listdir(os.path.join(CONTRIB, "systemd")))
             if f.endswith((".service", ".timer"))]
    mine = [u for u in units if u.startswith(("danekit-check-smtp@",
                                              "danekit-audit@"))]
    check(len(mine) == 4, "units missing: %s" % mine)
    d = os.path.join(tmp, "units")
    os.makedirs(d)
    for u in units:
        text = open(os.path.join(CONTRIB, "systemd", u)).read()
        with open(os.path.join(d, u), "w") as f:
            f.write(text.replace("/usr/bin/danekit", DANEKIT))
    if shutil.which("systemd-analyze"):
        p = subprocess.run(["systemd-analyze", "verify", "--man=no"] +
                           [os.path.join(d, u) for u in mine],
                           capture_output=True, text=True, cwd=d)
        check(p.returncode == 0 and not p.stderr.strip(),
              "systemd-analyze verify: %s%s" % (p.stdout, p.stderr))
    else:
        print("SKIP: no systemd-analyze")
    # the ExecStart lines, with the lab's resolver and a textfile folder
    textdir = os.path.join(tmp, "node-exporter")
    os.makedirs(textdir)
    for unit, inst, ok in (("danekit-check-smtp@.service", "dane-ok.test",
                            (0,)),
                           ("danekit-check-smtp@.service", "mismatch.test",
                            (1,)),
                           ("danekit-audit@.service", "secure.test", (1,))):
        text = open(os.path.join(CONTRIB, "systemd", unit)).read()
        cmd = re.search(r"^ExecStart=(.*)$", text, re.M).group(1)
        succ = re.search(r"^SuccessExitStatus=(.*)$", text, re.M)
        succ = [int(x) for x in succ.group(1).split()] if succ else []
        cmd = cmd.replace("%i", inst)
        cmd = cmd.replace("/var/lib/prometheus/node-exporter", textdir)
        argv = shlex.split(cmd)
        check(argv[0] == "/usr/bin/danekit", "%s: runs %s" % (unit, argv[0]))
        conf = (LAB["DK_LAB_MAIL_CONF"] if "audit" in unit
                else LAB["DK_LAB_CONF"])
        argv = [DANEKIT, "--unbound-conf", conf] + argv[1:]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        name = "%s %s" % (unit, inst)
        check(p.returncode in ok and p.returncode in [0] + succ,
              "%s: exit %d (%s)" % (name, p.returncode, p.stderr))
        prom = [a for a in argv if a.startswith(textdir)]
        check(len(prom) == 1 and os.path.isfile(prom[0]),
              "%s: no metrics file in %s" % (name, os.listdir(textdir)))
        if prom and os.path.isfile(prom[0]):
            q = subprocess.run([PROMTOOL, "check", "metrics"],
                               stdin=open(prom[0]), capture_output=True,
                               text=True)
            check(q.returncode == 0, "%s: promtool: %s%s" %
                  (name, q.stdout, q.stderr))
    check(sorted(os.listdir(textdir)) == [
        "danekit-audit-secure.test.prom", "danekit-smtp-dane-ok.test.prom",
        "danekit-smtp-mismatch.test.prom"],
        "textfile folder: %s" % os.listdir(textdir))


# --------------------------------------------------------------------
# Icinga 2: the subset of its configuration language the file uses


TOKEN = re.compile(r'\s*(?:(/\*.*?\*/)|(//[^\n]*)|("(?:[^"\\]|\\.)*")|'
                   r'([A-Za-z_][A-Za-z0-9_.]*)|([0-9]+[a-z]*)|(.))', re.S)


def tokens(text):
    out = []
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        if m.group(1) or m.group(2):
            continue
        if m.group(3):
            out.append(("str", m.group(3)[1:-1]))
        elif m.group(4):
            out.append(("id", m.group(4)))
        elif m.group(5):
            out.append(("num", m.group(5)))
        elif m.group(6).strip():
            out.append(("p", m.group(6)))
    return out


def parse_value(t, i):
    kind, v = t[i]
    if kind == "p" and v == "[":
        items, i = [], i + 1
        while t[i] != ("p", "]"):
            val, i = parse_value(t, i)
            items.append(val)
            if t[i] == ("p", ","):
                i += 1
        return items, i + 1
    if kind == "p" and v == "{":
        return parse_dict(t, i + 1)
    return v, i + 1


def parse_dict(t, i):
    d = {}
    while t[i] != ("p", "}"):
        key = t[i][1]
        check(t[i + 1] == ("p", "="), "icinga2: '=' expected after %s" % key)
        val, i = parse_value(t, i + 2)
        d[key] = val
    return d, i + 1


def icinga_commands(path):
    t = tokens(open(path).read())
    cmds, i = {}, 0
    while i < len(t):
        if t[i] == ("id", "object") and t[i + 1] == ("id", "CheckCommand"):
            name = t[i + 2][1]
            check(t[i + 3] == ("p", "{"), "icinga2: { after %s" % name)
            body, i = parse_dict(t, i + 4)
            cmds[name] = body
        else:
            i += 1
    return cmds


def macro(value, vars):
    """Icinga's runtime macros: "$name$" alone may be an array."""
    m = re.fullmatch(r"\$([a-z_.]+)\$", value)
    if m:
        return vars.get(m.group(1))
    return re.sub(r"\$([a-z_.]+)\$", lambda m: str(vars.get(m.group(1), "")),
                  value)


def icinga_argv(cmd, vars):
    """The command line Icinga 2 builds (lib/icinga/pluginutility.cpp):
    arguments by order, then by key; values from macros; set_if; skip_key;
    repeat_key for arrays; an argument whose value is empty is left out."""
    vars = dict(vars)
    for k, v in cmd.items():
        if k.startswith("vars."):
            vars.setdefault(k[5:], macro(v, vars))
    argv = list(cmd["command"])
    args = []
    for key, spec in cmd.get("arguments", {}).items():
        if isinstance(spec, str):
            spec = {"value": spec}
        args.append((int(spec.get("order", "0")), key, spec))
    for _, key, spec in sorted(args, key=lambda a: (a[0], a[1])):
        if "set_if" in spec:
            if macro(spec["set_if"], vars) in (True, "true", "1", 1):
                argv.append(key)
            continue
        val = macro(spec.get("value", ""), vars)
        if val in (None, "", []):
            check(spec.get("required") != "true",
                  "icinga2: required %s has no value" % key)
            continue
        vals = val if isinstance(val, list) else [val]
        for j, v in enumerate(vals):
            if spec.get("skip_key") != "true" and (
                    j == 0 or spec.get("repeat_key", "true") == "true"):
                argv.append(key)
            argv.append(str(v))
    return argv


def test_icinga(tmp):
    cmds = icinga_commands(os.path.join(CONTRIB, "icinga2", "danekit.conf"))
    check(sorted(cmds) == ["danekit-audit", "danekit-doctor",
                           "danekit-rollover", "danekit-smtp", "danekit-tls"],
          "icinga2 commands: %s" % sorted(cmds))
    conf = LAB["DK_LAB_CONF"]
    pki = LAB["DK_LAB_PKI"]
    prom = os.path.join(tmp, "icinga.prom")
    cases = [
        ("danekit-smtp", {"host.name": "secure.test"}, "OK"),
        ("danekit-smtp", {"host.name": "insecure.test",
                          "danekit_allow_insecure": True}, "OK"),
        ("danekit-smtp", {"danekit_domain": "expiring.test",
                          "danekit_crit_days": "1",
                          "danekit_prometheus": prom}, "WARNING"),
        ("danekit-smtp", {"danekit_domain": "mismatch.test"}, "CRITICAL"),
        ("danekit-tls", {"host.name": "www.tls-mismatch.test"}, "CRITICAL"),
        ("danekit-tls", {"danekit_host": "www.tls-ok.test:443"}, "WARNING"),
        ("danekit-rollover", {"host.name": "mail.secure.test",
                              "danekit_current": pki + "/chain.pem",
                              "danekit_next": pki + "/chain.pem",
                              "danekit_auth_port": LAB["DK_LAB_PORT"],
                              "danekit_state": tmp + "/icinga.state"},
         "OK"),
        ("danekit-audit", {"host.name": "good.sts.test",
                           "danekit_unbound_conf": LAB["DK_LAB_MAIL_CONF"],
                           "danekit_connect_port": LAB["DK_LAB_SMTP_PORT"],
                           "danekit_https_port": LAB.get(
                               "DK_LAB_HTTPS_PORT", "443"),
                           "danekit_https_ca": pki + "/ca.pem",
                           "danekit_allow_private": ["127.53.0.0/16"]},
         "OK"),
        ("danekit-audit", {"host.name": "secure.test",
                           "danekit_unbound_conf": LAB["DK_LAB_MAIL_CONF"],
                           "danekit_no_connect": True,
                           "danekit_dkim_selectors": ["sel1", "ed"],
                           "danekit_sending_ips": ["127.53.5.1"]},
         "CRITICAL"),
        ("danekit-doctor", {}, "WARNING"),
    ]
    for name, vars, want in cases:
        vars = dict(vars)
        vars.setdefault("danekit_unbound_conf", conf)
        argv = icinga_argv(cmds[name], vars)
        check(argv[0] == "/usr/bin/danekit", "%s runs %s" % (name, argv[0]))
        plugin([DANEKIT] + argv[1:], "icinga2 %s %s" % (name, vars), want)
    check(os.path.isfile(prom), "icinga2 danekit_prometheus: no file")


def test_nagios():
    text = open(os.path.join(CONTRIB, "nagios", "danekit.cfg")).read()
    cmds = dict(re.findall(r"define command \{\s*command_name\s+(\S+)\s+"
                           r"command_line\s+([^\n]+)\n\s*\}", text))
    check(sorted(cmds) == ["check_danekit_audit", "check_danekit_doctor",
                           "check_danekit_rollover", "check_danekit_smtp",
                           "check_danekit_tls"],
          "nagios commands: %s" % sorted(cmds))
    conf = "--unbound-conf " + LAB["DK_LAB_CONF"]
    pki = LAB["DK_LAB_PKI"]
    cases = [
        ("check_danekit_smtp", ["secure.test", conf], "OK"),
        ("check_danekit_smtp", ["insecure.test", conf], "CRITICAL"),
        ("check_danekit_tls", ["www.tls-ok.test:443", conf], "WARNING"),
        ("check_danekit_rollover", ["mail.secure.test", pki + "/chain.pem",
                                    pki + "/chain.pem",
                                    conf + " --auth-port " +
                                    LAB["DK_LAB_PORT"]], "OK"),
        ("check_danekit_audit", ["secure.test", "--unbound-conf " +
                                 LAB["DK_LAB_MAIL_CONF"]], "CRITICAL"),
        ("check_danekit_doctor", [conf], "WARNING"),
    ]
    for name, args, want in cases:
        line = cmds[name]
        for i, a in enumerate(args):
            line = line.replace("$ARG%d$" % (i + 1), a)
        check("$" not in line, "%s: macro left in %s" % (name, line))
        check(line.startswith("/usr/bin/danekit "), "%s: %s" % (name, line))
        line = DANEKIT + line[len("/usr/bin/danekit"):]
        # Nagios hands a command line with quotes to /bin/sh -c
        plugin(["/bin/sh", "-c", line], "nagios %s" % name, want)


def test_install():
    """meson installs contrib/ to share/danekit/."""
    build = os.environ.get("DK_BUILDDIR")
    if not build:
        return
    dest = tempfile.mkdtemp(prefix="dk-install-")
    try:
        p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                            "--destdir", dest, "--quiet"],
                           capture_output=True, text=True)
        check(p.returncode == 0, "meson install: %s%s" % (p.stdout, p.stderr))
        found = []
        for root, _, files in os.walk(dest):
            found += [os.path.relpath(os.path.join(root, f), dest)
                      for f in files]
        for want in ("systemd/danekit-check-smtp@.service",
                     "systemd/danekit-check-smtp@.timer",
                     "systemd/danekit-audit@.service",
                     "systemd/danekit-audit@.timer",
                     "icinga2/danekit.conf", "nagios/danekit.cfg"):
            check(any(f.endswith("share/danekit/" + want) for f in found),
                  "not installed: share/danekit/%s" % want)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def main():
    tmp = tempfile.mkdtemp(prefix="dk-monitor-contrib-")
    try:
        test_systemd(tmp)
        test_icinga(tmp)
        test_nagios()
        test_install()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
