"""What the centred prior term pays per step under the learner's own actions (hypothesis.md, written first).

    python benchmark/results/prior_term_under_learner/prior_term.py > benchmark/results/prior_term_under_learner/table.md

Reads the `customization` preset's default Residual PPO runs (seeds 1-3): their TensorBoard logs (the rollout mean of
log pi_prior at the learner's sampled actions, the episodes' add-on returns and lengths) and their saved agents (the
learner's std). Over the last 10% of training iterations it compares the measured prior term,
omega' * (mean log pi_prior + H(pi_prior)), with its bound for a learner that has not moved its mean,
omega' / 2 * sum_i (1 - s_i^2), s_i the learner's std over the prior's, and with the add-on reward per step on the
prior's scale (r_R / s_prior, what the learner is trained on).
"""
import glob
import os

import numpy as np
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
RUNS = os.path.join(ROOT, "benchmark", "results", "customization", "runs")
LAST = 0.1  # the last 10% of iterations


def last_mean(ea, tag):
    values = [e.value for e in ea.Scalars(tag)]
    return float(np.mean(values[-max(1, int(len(values) * LAST)):]))


def scalars(run):
    """The TensorBoard scalars of a run folder (its one events file), loaded in full."""
    (events,) = glob.glob(os.path.join(run, "events.out.tfevents.*"))
    ea = EventAccumulator(events, size_guidance={"scalars": 0})
    ea.Reload()
    return ea


def main():
    print("| env | seed | omega' / alpha_hat | learner std / prior's (median) | prior term per step, measured | "
          "bound, mean unmoved | measured / bound | add-on per step, r_R / s_prior |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for env in ("Hopper-v4", "Walker2d-v4", "Ant-v4", "HalfCheetah-v4"):
        prior = torch.load(os.path.join(ROOT, "priors", f"{env}.pt"), weights_only=True)
        prior_std = prior["actor"]["actor_logstd"].exp().numpy().ravel()
        for seed in (1, 2, 3):
            (run,) = glob.glob(os.path.join(RUNS, f"customization__{env}__Residual_PPO__s{seed}", "*", ""))
            agent = torch.load(os.path.join(run, "agent.pt"), weights_only=True)
            args = agent["args"]
            assert args["prior_term"] == args["entropy_term"] == "centred" and args["addon_scale"] == "prior", run
            s = agent["actor"]["actor_logstd"].exp().numpy().ravel() / prior_std
            ea = scalars(run)
            w = args["omega_prime"]
            measured = w * (last_mean(ea, "charts/mean_prior_logprob") + prior["entropy"])
            bound = w / 2 * float(np.sum(1 - s**2))
            addon = last_mean(ea, "charts/episodic_addon_return") / last_mean(ea, "charts/episodic_length")
            addon /= prior["basic_return_scale"]
            ratio = f"{measured / bound:.2f}" if abs(bound) > 1e-9 else "n/a"
            print(f"| {env} | {seed} | {w:g} / {args['alpha_hat']:g} | {np.median(s):.2f} | {measured:+.4f} | "
                  f"{bound:+.4f} | {ratio} | {addon:+.4f} |")


if __name__ == "__main__":
    main()
