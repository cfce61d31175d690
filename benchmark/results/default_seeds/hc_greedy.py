"""HalfCheetah's Greedy PPO against the default Residual PPO on nine seeds a side, all on the AMD VM (hypothesis.md,
"HalfCheetah's Greedy PPO on seeds 8-13"): seeds 1-3 from ../hc_budget (Greedy PPO `runs_1M/greedy__sS`, Residual
PPO at rule 7's omega' = 0.001 `runs_rule7/omega0.001__sS`) and seeds 8-13 from this preset's runs. Each run's own
10 evaluation episodes and 100 more (reeval_100.json, written where missing exactly as benchmark/reevaluate.py
does), then the nine-seed means, Welch's t on the 100-episode totals, and an exact permutation test of the
difference of means (every split of the 18 seeds into two groups of nine).

    python benchmark/results/default_seeds/hc_greedy.py > benchmark/results/default_seeds/hc_greedy.md
"""
import glob
import itertools
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
import reevaluate  # noqa: E402  (benchmark/reevaluate.py)

ENV = "HalfCheetah-v4"
BUDGET = os.path.join(HERE, "..", "hc_budget")
METHODS = {
    "Greedy PPO": [os.path.join(BUDGET, "runs_1M", f"greedy__s{s}") for s in (1, 2, 3)]
    + [os.path.join(HERE, "runs", f"customization__{ENV}__Greedy_PPO__s{s}") for s in range(8, 14)],
    "Residual PPO (default)": [os.path.join(BUDGET, "runs_rule7", f"omega0.001__s{s}") for s in (1, 2, 3)]
    + [os.path.join(HERE, "runs", f"customization__{ENV}__Residual_PPO__s{s}") for s in range(8, 14)],
}


def run_dir(job_dir):
    (summary,) = glob.glob(os.path.join(job_dir, f"{ENV}__*", "summary.json"))
    return os.path.dirname(summary)


def welch(a, b):
    """Welch's t of mean(a) - mean(b), its degrees of freedom, and the two-sided p from Student's t (integrated)."""
    va, vb = np.var(a, ddof=1) / len(a), np.var(b, ddof=1) / len(b)
    t = (np.mean(a) - np.mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    x = np.linspace(abs(t), abs(t) + 200.0, 2_000_001)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    tail = np.trapezoid(np.exp(log_c - (df + 1) / 2 * np.log1p(x**2 / df)), x)
    return t, df, 2 * tail


def permutation_p(a, b):
    """Two-sided exact permutation p of |mean(a) - mean(b)| over every split of a + b into groups of len(a)."""
    pooled, n = np.concatenate([a, b]), len(a)
    observed = abs(np.mean(a) - np.mean(b))
    total = pooled.sum()
    diffs = [abs(pooled[list(c)].sum() / n - (total - pooled[list(c)].sum()) / (len(pooled) - n))
             for c in itertools.combinations(range(len(pooled)), n)]
    return float(np.mean(np.asarray(diffs) >= observed - 1e-9)), len(diffs)


def main():
    totals = {}
    print("| method | seed | basic | add-on | total, 10 episodes | metric | total, 100 episodes | basic, 100 episodes "
          "| metric, 100 episodes | length, 100 episodes | commit |")
    print("| --- " * 11 + "|")
    for label, jobs in METHODS.items():
        totals[label] = []
        for job in jobs:
            d = run_dir(job)
            with open(os.path.join(d, "summary.json")) as f:
                summary = json.load(f)
            ev, ev100 = summary["eval"], reevaluate.cached(d, ENV, 100)
            totals[label].append(ev100["total_return_mean"])
            print(f"| {label} | {summary['seed']} | {ev['basic_return_mean']:.0f} | {ev['addon_return_mean']:.0f} | "
                  f"{ev['total_return_mean']:.0f} | {ev['addon_metric_mean']:.3f} | {ev100['total_return_mean']:.0f} | "
                  f"{ev100['basic_return_mean']:.0f} | {ev100['addon_metric_mean']:.3f} | {ev100['length_mean']:.0f} | "
                  f"`{summary['commit'][:7]}` |")
    print()
    print("| method | seeds | total, 100 episodes: mean ± std over seeds | median | lowest | highest |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, x in totals.items():
        x = np.asarray(x)
        print(f"| {label} | {len(x)} | {x.mean():.0f} ± {x.std(ddof=1):.0f} | {np.median(x):.0f} | {x.min():.0f} | "
              f"{x.max():.0f} |")
    g, r = (np.asarray(totals[k]) for k in METHODS)
    t, df, p = welch(g, r)
    p_perm, n_splits = permutation_p(g, r)
    print()
    print(f"Greedy PPO minus Residual PPO, nine seeds a side: {g.mean() - r.mean():+.0f}; Welch's t = {t:.2f} "
          f"(df {df:.1f}), two-sided p = {p:.3f}; exact permutation test over all {n_splits} splits: p = {p_perm:.3f}.")


if __name__ == "__main__":
    main()
