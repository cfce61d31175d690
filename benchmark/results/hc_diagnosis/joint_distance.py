"""How far each customized HalfCheetah policy moves each joint from the prior (hc_diagnosis, second hypothesis).

On a policy's own deterministic episodes (evaluation seeds, as the runs' evaluation), per action dimension: the
mean of |mu_theta(s) - mu_prior(s)| / sigma_prior, the distance in the prior's own std units, which is what
omega' * log pi_prior charges (quadratically). Reads the `customization` preset's saved agents.

    python benchmark/results/hc_diagnosis/joint_distance.py
"""
import glob
import os
import sys

import gymnasium as gym
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)
import residual_ppo_continuous as residual  # noqa: E402
from addon_tasks import AddonRewardWrapper, get_task  # noqa: E402

ENV, EPISODES = "HalfCheetah-v4", 3
JOINTS = ("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")  # the action order; ffoot is the add-on's joint
ROWS = ("Greedy_PPO", "Residual_PPO", "KL_PPO")


def distances(policy, prior, seed):
    env = AddonRewardWrapper(gym.make(ENV), get_task(ENV, None))
    per_step, returns = [], []
    for ep in range(EPISODES):
        obs, _ = env.reset(seed=seed + 10_000 + ep)  # the runs' evaluation seeds
        done, total = False, 0.0
        while not done:
            mean = policy.actor_mean(policy.normalizer.obs(obs[None], update=False))[0]
            prior_mean = prior.actor_mean(prior.normalizer.obs(obs[None], update=False))[0]
            per_step.append(np.abs(mean - prior_mean) / np.exp(prior.logstd))
            obs, _, terminated, truncated, info = env.step(np.clip(mean, env.action_space.low, env.action_space.high))
            total += info["basic_reward"] + info["addon_reward"]
            done = terminated or truncated
        returns.append(total)
    return np.mean(per_step, 0), float(np.mean(returns))


def main():
    prior = residual.Prior(residual.load_checkpoint(os.path.join(ROOT, "priors", f"{ENV}.pt")))
    runs = os.path.join(ROOT, "benchmark", "results", "customization", "runs")
    print(f"| run | total (these {EPISODES} episodes) | " + " | ".join(JOINTS) + " | mean of the five non-foot joints |")
    print("| --- | ---: | " + " | ".join("---:" for _ in JOINTS) + " | ---: |")
    for seed in (1, 2):
        for row in ROWS:
            found = glob.glob(os.path.join(runs, f"customization__{ENV}__{row}__s{seed}", "*", "agent.pt"))
            if not found:
                continue
            d, total = distances(residual.Prior(residual.load_checkpoint(found[0])), prior, seed)
            print(f"| {row.replace('_', ' ')}, seed {seed} | {total:.0f} | " + " | ".join(f"{x:.2f}" for x in d)
                  + f" | {d[:5].mean():.2f} |")


if __name__ == "__main__":
    main()
