"""The default command against the baseline closest to it, on nine seeds a side (hypothesis.md: "HalfCheetah's
Greedy PPO on seeds 8-13", "Hopper's KL PPO on seeds 8-13"): seeds 8-13 from this preset's runs, seeds 1-3 from where
they ran before. HalfCheetah, all on the AMD VM: seeds 1-3 from ../hc_budget (Greedy PPO `runs_1M/greedy__sS`,
Residual PPO at rule 7's omega' = 0.001 `runs_rule7/omega0.001__sS`). Hopper: seeds 1-3 from ../customization, all
on the earlier VM except KL PPO's seeds 8-13 (AMD VM). Each run's own 10 evaluation episodes and 100 more
(reeval_100.json, written where missing exactly as benchmark/reevaluate.py does), then the nine-seed means, Welch's
t on the 100-episode totals, and an exact permutation test of the difference of means (every split of the 18 seeds
into two groups of nine).

    python benchmark/results/default_seeds/nine_seeds.py > benchmark/results/default_seeds/nine_seeds.md
"""
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
from presets import DEFAULT_SEEDS  # noqa: E402
from run import find_summary  # noqa: E402  (the summary.json a job's folder holds, None before it finishes)

BUDGET, CUSTOM = os.path.join(HERE, "..", "hc_budget"), os.path.join(HERE, "..", "customization", "runs")


def fresh(env, label):
    return [os.path.join(HERE, "runs", f"customization__{env}__{label.replace(' ', '_')}__s{s}") for s in DEFAULT_SEEDS]


def reported(env, label):
    return [os.path.join(CUSTOM, f"customization__{env}__{label.replace(' ', '_')}__s{s}") for s in (1, 2, 3)]


# env -> (baseline label, its job folders), (the default's job folders)
COMPARISONS = {
    "HalfCheetah-v4": (("Greedy PPO", [os.path.join(BUDGET, "runs_1M", f"greedy__s{s}") for s in (1, 2, 3)]
                        + fresh("HalfCheetah-v4", "Greedy PPO")),
                       [os.path.join(BUDGET, "runs_rule7", f"omega0.001__s{s}") for s in (1, 2, 3)]
                       + fresh("HalfCheetah-v4", "Residual PPO")),
    "Hopper-v4": (("KL PPO", reported("Hopper-v4", "KL PPO") + fresh("Hopper-v4", "KL PPO")),
                  reported("Hopper-v4", "Residual PPO") + fresh("Hopper-v4", "Residual PPO")),
}


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


def compare(env, baseline, baseline_jobs, default_jobs, label="Residual PPO (default)"):
    methods = {baseline: baseline_jobs, label: default_jobs}
    totals = {}
    print(f"**{env}**\n")
    print("| method | seed | basic | add-on | total, 10 episodes | metric | total, 100 episodes | basic, 100 episodes "
          "| metric, 100 episodes | length, 100 episodes | commit |")
    print("| --- " * 11 + "|")
    for label, jobs in methods.items():
        totals[label] = []
        for job in jobs:
            d = os.path.dirname(find_summary(job))
            with open(os.path.join(d, "summary.json")) as f:
                summary = json.load(f)
            ev, ev100 = summary["eval"], reevaluate.cached(d, env, 100)
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
    b, r = (np.asarray(totals[k]) for k in methods)
    t, df, p = welch(b, r)
    p_perm, n_splits = permutation_p(b, r)
    print()
    def fmt(x):
        return f"{x:.3f}" if x >= 0.001 else f"{x:.1e}"

    print(f"{baseline} minus {label}, nine seeds a side: {b.mean() - r.mean():+.0f}; Welch's t = {t:.2f} "
          f"(df {df:.1f}), two-sided p = {fmt(p)}; exact permutation test over all {n_splits} splits: p = {fmt(p_perm)}.")
    print()


def main():
    for env, ((baseline, baseline_jobs), default_jobs) in COMPARISONS.items():
        if all(find_summary(job) for job in baseline_jobs + default_jobs):
            compare(env, baseline, baseline_jobs, default_jobs)
        else:
            print(f"**{env}**: {baseline}'s or the default's runs are not all finished yet.\n")


if __name__ == "__main__":
    main()
