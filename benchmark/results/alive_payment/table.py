"""The alive_payment experiment's table (README here): `--prior-term learner` against the default on the same seeds
(the `customization` preset's Residual PPO runs; HalfCheetah's from ../hc_budget and ../default_seeds, with Greedy PPO
beside them): Walker2d and Hopper seeds 1-2 (part 1), Ant and HalfCheetah seeds 1-3 (part 2), HalfCheetah seeds 8-9
(part 3). Each run's own 10 evaluation episodes and 100 more (reeval_100.json, computed where missing exactly as
benchmark/reevaluate.py does), and, over the last 10% of training iterations, the rollout mean of log pi_prior at the
learner's actions and the add-on reward per step on the prior's scale.

    python benchmark/results/alive_payment/table.py > benchmark/results/alive_payment/table.md
"""
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
from run import find_summary  # noqa: E402  (the summary.json a job's folder holds, None before it finishes)


def load(folder, name):
    """A results script of another experiment, as a module (the results folders are not packages)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", folder, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


prior_term = load("prior_term_under_learner", "prior_term")  # last_mean and the events loader
nine_seeds = load("default_seeds", "nine_seeds")  # where the default's and the baselines' runs of each seed are
last_mean = prior_term.last_mean
SEEDS = {"Walker2d-v4": (1, 2), "Hopper-v4": (1, 2), "Ant-v4": (1, 2, 3), "HalfCheetah-v4": (1, 2, 3, 8, 9)}


def jobs(env):
    """{run label: {seed: job folder}}: the default (HalfCheetah's at rule 7's 0.001 and its Greedy PPO on the AMD VM,
    as the learner runs; the other envs' from the `customization` preset) and the learner runs here."""
    learner = {seed: os.path.join(HERE, "runs", f"{env}__learner__s{seed}") for seed in SEEDS[env]}
    if env == "HalfCheetah-v4":
        (_, greedy), default = nine_seeds.COMPARISONS[env]
        order = (1, 2, 3, *nine_seeds.DEFAULT_SEEDS)
        return {"default": dict(zip(order, default, strict=True)), "Greedy PPO": dict(zip(order, greedy, strict=True)),
                "centred under the learner": learner}
    return {"default": dict(zip((1, 2, 3), nine_seeds.reported(env, "Residual PPO"), strict=True)),
            "centred under the learner": learner}


def row(label, job, env, seed):
    run = os.path.dirname(find_summary(job))
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
    for env in SEEDS:
        for label, folders in jobs(env).items():
            done = [seed for seed in SEEDS[env] if find_summary(folders[seed])]
            results = [row(label, folders[seed], env, seed) for seed in done]
            if results:
                means.append((env, label, done, np.mean([r[0] for r in results]), sum(r[1] for r in results)))
    print("\n| env | run | seeds | total, 100 episodes: mean over seeds | falls in the seeds' 100-episode evaluations |")
    print("| --- | --- | --- | ---: | ---: |")
    for env, label, done, total, falls in means:
        print(f"| {env} | {label} | {', '.join(map(str, done))} | {total:.0f} | {falls} |")


if __name__ == "__main__":
    main()
