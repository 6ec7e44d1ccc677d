#!/usr/bin/env python3
"""Writes cellular-demo.trace, the delivery trace of scenarios/mptcp-cellular-trace.ini.

The format is Mahimahi's (mm-link): one line per delivery opportunity of
1500 bytes, holding the millisecond at which it occurs; the last line is
the period the trace repeats with. 12 Mbit/s is one opportunity per
millisecond.

The rate is made up for afmp, not measured: 4 s cut into 200 ms steps
whose rates, from 1 to 12 Mbit/s, follow a random walk (fixed seed, so
the file is the same on every run), with a 600 ms fade to 1 Mbit/s in the
middle, as a cellular link seen from a moving phone might show. Within a
step the opportunities are spread evenly with an integer accumulator.

    python3 scenarios/traces/make-cellular-demo.py [OUT]

prints the trace's average rate (written into the scenario's comment).
"""
import random
import sys

PERIOD_MS = 4000
STEP_MS = 200
MIN_KBIT, MAX_KBIT = 1000, 12000
KBIT_PER_OPPORTUNITY = 12  # 1500 B x 8 per ms = 12000 bit/s per opportunity/s


def rates(seed=5):
    """The rate of each step, in kbit/s."""
    rng = random.Random(seed)
    kbit = 5000
    out = []
    for step in range(PERIOD_MS // STEP_MS):
        kbit = min(MAX_KBIT, max(MIN_KBIT, kbit + rng.choice((-3000, -1500, 0, 1500, 3000))))
        fade = 9 <= step < 12  # 1800 ms to 2400 ms
        out.append(MIN_KBIT if fade else kbit)
    return out


def opportunities(step_rates):
    """Millisecond timestamps, one per 1500-byte opportunity."""
    out = []
    acc = 0
    for ms in range(1, PERIOD_MS + 1):
        acc += step_rates[(ms - 1) // STEP_MS]
        while acc >= KBIT_PER_OPPORTUNITY * 1000:
            acc -= KBIT_PER_OPPORTUNITY * 1000
            out.append(ms)
    if out[-1] != PERIOD_MS:
        out.append(PERIOD_MS)  # the last line sets the period
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/cellular-demo.trace"
    ts = opportunities(rates())
    with open(path, "w") as f:
        f.write("".join(f"{t}\n" for t in ts))
    avg_bps = len(ts) * 1500 * 8 * 1000 // ts[-1]
    print(f"{path}: {len(ts)} opportunities over {ts[-1]} ms, average {avg_bps / 1e6:.3f} Mbit/s")


if __name__ == "__main__":
    main()
