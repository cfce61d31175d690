"""The Walker2d state-dependent-std probe's tables (README here): the four priors (what prior_train.py evaluated and
measured, and how far the std moves with the state), and from the one used Residual PPO at omega' = 0.01 with both
terms centred by one number (`mean`) or per state (`centred`), Greedy PPO and KL PPO, seeds 1-2: each run's own 10
evaluation episodes and 100 more (reeval_100.json, written where missing exactly as benchmark/reevaluate.py does).

    python benchmark/results/sds_walker/table.py > benchmark/results/sds_walker/table.md
"""
import glob
import importlib.util
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = "Walker2d-v4"
METHODS = {"mean": "terms centred by one number (`mean`)", "state": "terms centred per state (`centred`)",
           "greedy": "Greedy PPO", "kl": "KL PPO (beta = 0.01)"}


def load(name):
    """A results script of the hc_state_std experiment, as a module (its folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", "hc_state_std", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def priors():
    prior_table = load("prior_table")
    paths = sorted(glob.glob(os.path.join(HERE, "priors", "s*", "*.pt")))
    chosen_txt = os.path.join(HERE, "priors", "chosen.txt")  # written by the run's chain: "best prior: PATH (...)"
    chosen = open(chosen_txt).read() if os.path.exists(chosen_txt) else ""
    print("| seed | basic | add-on | total | metric | length | basic, stochastic | length, stochastic | basic-return scale "
          "| advantage temperature | entropy | std p90/p10 over states | used |")
    print("| --- " * 13 + "|")
    for path in paths:
        ckpt = torch.load(path, weights_only=True)
        stored, (spread, _) = prior_table.stored_cells(ckpt), prior_table.std_spread(ckpt, env_id=ENV)
        cells = [stored[k] for k in ("basic", "add-on", "total", "metric", "length", "basic, stochastic",
                                     "length, stochastic", "basic-return scale", "advantage temperature", "entropy")]
        cells.append(f"{spread:.2f}")
        seed = path[:-3].rsplit("_s", 1)[1]
        print(f"| {seed} | " + " | ".join(cells) + f" | {'yes' if path in chosen else ''} |")


def runs():
    grid = load("table").grid(os.path.join(HERE, "runs"), True, METHODS)
    print("| run | seed | basic | add-on | total | metric | length (falls) | total, 100 episodes | "
          "length, 100 episodes (falls) | metric, 100 episodes | total, stochastic | length, stochastic |")
    print("| --- " * 12 + "|")
    for label in [m for m in METHODS.values() if m in grid]:
        for seed, ev, ev100, sto, _ in grid[label]:
            def cells(e):
                falls = sum(n < 1000 for n in e["length"])
                return f"{e['total_return_mean']:.0f}", f"{e['length_mean']:.0f} ({falls})", f"{e['addon_metric_mean']:.3f}"
            t, n, m = cells(ev)
            t100, n100, m100 = cells(ev100)
            print(f"| {label} | {seed} | {ev['basic_return_mean']:.0f} | {ev['addon_return_mean']:.0f} | {t} | {m} | {n} | "
                  f"{t100} | {n100} | {m100} | {sto['total_return_mean']:.0f} | {sto['length_mean']:.0f} |")
        print(f"| {label} | mean | | | {np.mean([x[1]['total_return_mean'] for x in grid[label]]):.0f} | | | "
              f"{np.mean([x[2]['total_return_mean'] for x in grid[label]]):.0f} | | | | |")


if __name__ == "__main__":
    print("## The priors (`prior_train.py --state-dependent-std`, 1M steps; the evaluation prior_train.py stored)\n")
    priors()
    print("\n## From the prior used, 1M steps: Residual PPO (omega' = 0.01, alpha_hat = 0.001), Greedy PPO, KL PPO\n")
    runs()
