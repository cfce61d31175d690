"""The alive_payment experiment's table (README here): `--prior-term learner` against the default (the `customization`
preset's Residual PPO runs, same seeds), Walker2d and Hopper, seeds 1-2. Each run's own 10 evaluation episodes and
100 more (reeval_100.json, computed where missing exactly as benchmark/reevaluate.py does), and, over the last 10% of
training iterations, the rollout mean of log pi_prior at the learner's actions and the add-on reward per step on the
prior's scale.

    python benchmark/results/alive_payment/table.py > benchmark/results/alive_payment/table.md
"""
import glob
import importlib.util
import json
import os
import sys

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

DEFAULT = os.path.join(ROOT, "benchmark", "results", "customization", "runs", "customization__{env}__Residual_PPO__s{seed}")
LEARNER = os.path.join(HERE, "runs", "{env}__learner__s{seed}")


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
    print(f"| {env} | {label} | {seed} | {args['prior_term']} | {ev['basic_return_mean']:.0f} | "
          f"{ev['addon_return_mean']:.0f} | {ev['total_return_mean']:.0f} | {ev['length_mean']:.0f} | "
          f"{ev100['total_return_mean']:.0f} | {ev100['addon_metric_mean']:.3f} | {ev100['length_mean']:.0f} ({falls}) | "
          f"{last_mean(ea, 'charts/mean_prior_logprob') + prior['entropy']:+.2f} | "
          f"{addon / prior['basic_return_scale']:+.4f} |")


def main():
    print("| env | run | seed | prior term | basic | add-on | total | length | total, 100 episodes | metric, 100 "
          "episodes | length, 100 episodes (falls) | mean log pi_prior + H_prior, last 10% | add-on per step, r_R / "
          "s_prior, last 10% |")
    print("| --- " * 13 + "|")
    for env in ("Walker2d-v4", "Hopper-v4"):
        for label, folder in (("default", DEFAULT), ("centred under the learner", LEARNER)):
            for seed in (1, 2):
                if glob.glob(os.path.join(folder.format(env=env, seed=seed), "*", "summary.json")):
                    row(label, folder, env, seed)


if __name__ == "__main__":
    main()
