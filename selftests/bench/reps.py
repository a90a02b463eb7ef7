# SPDX-License-Identifier: GPL-2.0
# Helpers of the bench sections' tables (BENCH_REPS: several runs per case).


def median(v):
    """The median of a non-empty list of numbers."""
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
