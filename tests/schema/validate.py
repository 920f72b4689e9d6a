#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Validate danekit --json documents against doc/schema/ (JSON Schema
2020-12) with python3-jsonschema, an implementation independent of ours.

usage: validate.py [--clean] SCHEMA_DIR PATH...
A PATH is a file holding one JSON document, or JSON lines (scan), or a
directory of such files. The schema is chosen by the document's "command"
member ("check smtp" -> check.json). Exit 0 when every document is valid
and at least one was seen; 1 otherwise, with one line per problem.
--clean: remove the files of a directory PATH once read (the suite's
capture directory: the next run starts empty)."""
import json
import warnings
import os
import sys

import jsonschema
from jsonschema.validators import Draft202012Validator


warnings.simplefilter("ignore", DeprecationWarning)


def load_schemas(d):
    store, by_name = {}, {}
    for f in sorted(os.listdir(d)):
        if f.endswith(".json"):
            with open(os.path.join(d, f)) as fh:
                s = json.load(fh)
            Draft202012Validator.check_schema(s)
            store[s["$id"]] = s
            by_name[f[:-5]] = s
    return store, by_name


def documents(path):
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        yield json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield json.loads(line)


def main():
    args = sys.argv[1:]
    clean = bool(args) and args[0] == "--clean"
    if clean:
        args = args[1:]
    if len(args) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    store, by_name = load_schemas(args[0])
    files, captured = [], []
    for p in args[1:]:
        if os.path.isdir(p):
            here = [os.path.join(p, f) for f in sorted(os.listdir(p))]
            files += here
            captured += here
        elif os.path.exists(p) or not clean:
            files.append(p)
    seen, bad, per = 0, 0, {}
    for f in files:
        try:
            docs = list(documents(f))
        except (ValueError, OSError) as e:
            print("%s: not JSON: %s" % (f, e))
            bad += 1
            continue
        for doc in docs:
            seen += 1
            cmd = doc.get("command") if isinstance(doc, dict) else None
            name = cmd.split()[0] if isinstance(cmd, str) else None
            if name not in by_name:
                print("%s: no schema for command %r" % (f, cmd))
                bad += 1
                continue
            schema = by_name[name]
            resolver = jsonschema.RefResolver(schema["$id"], schema,
                                              store=store)
            v = Draft202012Validator(schema, resolver=resolver)
            errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
            per[name] = per.get(name, 0) + 1
            for e in errs[:5]:
                print("%s: %s at /%s: %s" % (
                    f, cmd, "/".join(str(x) for x in e.absolute_path),
                    e.message[:300]))
            if errs:
                bad += 1
    if clean:
        for f in captured:
            os.unlink(f)
    print("validated %d documents (%s), %d invalid" % (
        seen, ", ".join("%s %d" % kv for kv in sorted(per.items())), bad))
    return 1 if bad or not seen else 0


if __name__ == "__main__":
    sys.exit(main())
