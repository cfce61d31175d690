"""The Walker2d state-dependent-std prior's entropy H(pi_prior(.|s)) on three state distributions: its own
deterministic episodes, its own sampled actions, and uniform random actions (off its states: the robot falls in ~20
steps); 20 episodes each from reset seeds 100-119, against the checkpoint's recorded mean (prior_train.py's measurement).

    python benchmark/results/sds_walker/prior_entropy_off_states.py > benchmark/results/sds_walker/prior_entropy_off_states.md
"""
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
import residual_ppo_continuous as residual  # noqa: E402
from addon_tasks import get_task  # noqa: E402

PRIOR = os.path.join(HERE, "priors", "s4", "Walker2d-v4_sds_s4.pt")


def main(episodes=20):
    ckpt = torch.load(PRIOR, weights_only=True)
    prior, rng = residual.Prior(ckpt), np.random.default_rng(0)
    env = residual.make_env("Walker2d-v4", get_task("Walker2d-v4"))
    print(f"The prior's recorded mean entropy (its own states, sampled actions, 50k steps): {ckpt['entropy']:.2f}\n")
    print("| actions | mean episode length | H_prior(s): mean | p10 | p90 | max |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind in ("the prior's mean action", "the prior's sampled action", "uniform random"):
        entropies, lengths = [], []
        for ep in range(episodes):
            obs, _ = env.reset(seed=100 + ep)
            done, n = False, 0
            while not done:
                mean, logstd = prior.policy(prior.normalizer.obs(np.asarray(obs)[None], update=False))
                entropies.append(float(residual.gaussian_entropy(logstd)[0]))
                action = {"the prior's mean action": mean[0],
                          "the prior's sampled action": mean[0] + np.exp(logstd[0]) * rng.standard_normal(mean.shape[-1]),
                          "uniform random": rng.uniform(-1.0, 1.0, mean.shape[-1])}[kind]
                obs, _, terminated, truncated, _ = env.step(np.clip(action, -1.0, 1.0))
                done, n = terminated or truncated, n + 1
            lengths.append(n)
        h = np.array(entropies)
        print(f"| {kind} | {np.mean(lengths):.0f} | {h.mean():.2f} | {np.percentile(h, 10):.2f} | "
              f"{np.percentile(h, 90):.2f} | {h.max():.2f} |")


if __name__ == "__main__":
    main()
