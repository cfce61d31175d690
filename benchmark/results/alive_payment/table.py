"""The alive_payment experiment's table (README here): `--prior-term learner` against the default on the same seeds
(the `customization` preset's Residual PPO runs; HalfCheetah's from ../hc_budget and ../default_seeds, with Greedy PPO
beside them): Walker2d and Hopper seeds 1-2 (part 1), Ant and HalfCheetah seeds 1-3 (part 2), HalfCheetah seeds 8-9
(part 3). Each run's own 10 evaluation episodes and 100 more (reeval_100.json, computed where missing exactly as
benchmark/reevaluate.py does), and, over the last 10% of training iterations, the rollout mean of log pi_prior at the
learner's actions and the add-on reward per step on the prior's scale.

    python benchmark/results/alive_payment/table.py > benchmark/results/alive_payment/table.md
"""
import glob
import importlib.util
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmark"))
import reevaluate  # noqa: E402

# the last-10%-of-training means and the events loader of ../prior_term_under_learner (its folder is not a package)
_spec = importlib.util.spec_from_file_location(
    "prior_term", os.path.join(HERE, "..", "prior_term_under_learner", "prior_term.py"))
prior_term = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prior_term)
last_mean = prior_term.last_mean

RESULTS = os.path.join(ROOT, "benchmark", "results")
DEFAULT = os.path.join(RESULTS, "customization", "runs", "customization__{env}__Residual_PPO__s{seed}")
LEARNER = os.path.join(HERE, "runs", "{env}__learner__s{seed}")
FRESH = os.path.join(RESULTS, "default_seeds", "runs", "customization__{env}__{label}__s{seed}")


def halfcheetah(label, reported):
    """HalfCheetah's default at rule 7's 0.001 and Greedy PPO ran on the AMD VM, as the learner runs did: seeds 1-3
    in ../hc_budget, the fresh seeds 8-13 in ../default_seeds."""
    return lambda seed: (os.path.join(RESULTS, "hc_budget", reported) if seed <= 3 else FRESH.replace("{label}", label))


ROWS = {"Walker2d-v4": [("default", lambda seed: DEFAULT), ("centred under the learner", lambda seed: LEARNER)],
        "Hopper-v4": [("default", lambda seed: DEFAULT), ("centred under the learner", lambda seed: LEARNER)],
        "Ant-v4": [("default", lambda seed: DEFAULT), ("centred under the learner", lambda seed: LEARNER)],
        "HalfCheetah-v4": [("default", halfcheetah("Residual_PPO", "runs_rule7/omega0.001__s{seed}")),
                           ("Greedy PPO", halfcheetah("Greedy_PPO", "runs_1M/greedy__s{seed}")),
                           ("centred under the learner", lambda seed: LEARNER)]}
SEEDS = {"Walker2d-v4": (1, 2), "Hopper-v4": (1, 2), "Ant-v4": (1, 2, 3), "HalfCheetah-v4": (1, 2, 3, 8, 9)}


def row(label, folder, env, seed):
    (run,) = glob.glob(os.path.join(folder.format(env=env, seed=seed), "*", ""))
    args = torch.load(os.path.join(run, "agent.pt"), weights_only=True)["args"]
    with open(os.path.join(run, "summary.json")) as f:
        ev = json.load(f)["eval"]
    ev100 = reevaluate.cached(run, env)
    ea = prior_term.scalars(run)
    prior = torch.load(os.path.join(ROOT, "priors", f"{env}.pt"), weights_only=True)
    addon = last_mean(ea, "charts/episodic_addon_return") / last_mean(ea, "charts/episodic_length")
    falls = sum(n < 1000 for n in ev100["length"])
    settings = f"{args['prior_term']}, {args['omega_prime']:g} / {args['alpha_hat']:g}"
    print(f"| {env} | {label} | {seed} | {settings} | {ev['basic_return_mean']:.0f} | "
          f"{ev['addon_return_mean']:.0f} | {ev['total_return_mean']:.0f} | {ev['length_mean']:.0f} | "
          f"{ev100['total_return_mean']:.0f} | {ev100['addon_metric_mean']:.3f} | {ev100['length_mean']:.0f} ({falls}) | "
          f"{last_mean(ea, 'charts/mean_prior_logprob') + prior['entropy']:+.2f} | "
          f"{addon / prior['basic_return_scale']:+.4f} |")
    return ev100["total_return_mean"], falls


def main():
    print("| env | run | seed | prior term, omega' / alpha_hat | basic | add-on | total | length | total, 100 episodes | "
          "metric, 100 episodes | length, 100 episodes (falls) | mean log pi_prior + H_prior, last 10% | add-on per step, r_R / "
          "s_prior, last 10% |")
    print("| --- " * 13 + "|")
    means = []
    for env, rows in ROWS.items():
        for label, folder in rows:
            done = [seed for seed in SEEDS[env]
                    if glob.glob(os.path.join(folder(seed).format(env=env, seed=seed), "*", "summary.json"))]
            results = [row(label, folder(seed), env, seed) for seed in done]
            if results:
                means.append((env, label, done, np.mean([r[0] for r in results]), sum(r[1] for r in results)))
    print("\n| env | run | seeds | total, 100 episodes: mean over seeds | falls in the seeds' 100-episode evaluations |")
    print("| --- | --- | --- | ---: | ---: |")
    for env, label, done, total, falls in means:
        print(f"| {env} | {label} | {', '.join(map(str, done))} | {total:.0f} | {falls} |")


if __name__ == "__main__":
    main()
