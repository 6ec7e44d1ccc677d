"""Shared by the Python benchmarks: one timed run of afmp-sim."""
import json
import os
import re
import subprocess
import time
import types


def run_sim(argv, out):
    """Runs afmp-sim (argv, whose --out is the folder |out|) and returns its
    wall time (s), exit code, output, this child's own peak RSS (KiB; os.wait4,
    since RUSAGE_CHILDREN keeps the largest child so far), the world's events
    from the summary line and results.json (None when unreadable)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         universal_newlines=True)
    text = p.stdout.read()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
    wall = time.monotonic() - t0
    m = re.search(r"simulated \S+, (\d+) events", text)
    try:
        with open(os.path.join(out, "results.json")) as f:
            results = json.load(f)
    except (OSError, ValueError):
        results = None
    return types.SimpleNamespace(wall=wall, returncode=p.returncode, stdout=text,
                                 rss=ru.ru_maxrss, events=int(m.group(1)) if m else 0,
                                 results=results)
