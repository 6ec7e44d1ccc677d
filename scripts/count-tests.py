#!/usr/bin/env python3
"""Reads meson's testlog.json files and prints 'N passed, N failed', counting
TAP subtests of every test program (a program that crashed or timed out
counts as one failure on top of its subtests); skipped tests and known gaps
marked TODO are counted apart. Exit status 1 when anything failed."""
import json
import re
import sys


def count(path, totals):
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            out = t.get("stdout") or ""
            ok = len(re.findall(r"^ok \d+", out, re.M))
            nok = len(re.findall(r"^not ok \d+(?!.*# TODO)", out, re.M))
            # A known gap marked "# TODO" is reported with the skipped ones,
            # not as a pass and not as a failure (TAP's meaning).
            todo = len(re.findall(r"^not ok \d+.*# TODO", out, re.M))
            skip = len(re.findall(r"^ok \d+.*# SKIP", out, re.M)) + todo
            totals["passed"] += ok - (skip - todo)
            totals["skipped"] += skip
            totals["failed"] += nok
            if t["result"] not in ("OK", "EXPECTEDFAIL", "SKIP") and nok == 0:
                totals["failed"] += 1


totals = {"passed": 0, "failed": 0, "skipped": 0}
for p in sys.argv[1:]:
    try:
        count(p, totals)
    except OSError as e:
        print(f"count-tests: {e}", file=sys.stderr)
        totals["failed"] += 1
# The last line is exactly "N passed, N failed" (CI reads it); skips, when
# there are any, are said on the line before.
if totals["skipped"]:
    print(f"({totals['skipped']} skipped)")
print(f"{totals['passed']} passed, {totals['failed']} failed")
sys.exit(1 if totals["failed"] else 0)
