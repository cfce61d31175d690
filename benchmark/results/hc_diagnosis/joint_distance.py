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
from addon_tasks import AddonRewardWrapper, evaluate_on_task, get_task  # noqa: E402

ENV, EPISODES = "HalfCheetah-v4", 3
JOINTS = ("bthigh", "bshin", "bfoot", "fthigh", "fshin", "ffoot")  # the action order; ffoot is the add-on's joint
# the runs measured (rule 2's omega' = 0.003): where they lie in benchmark/results/customization since rule 3
RUNS = {("Greedy PPO", 1): "runs/customization__HalfCheetah-v4__Greedy_PPO__s1",
        ("Residual PPO", 1): "runs/omega_sweep__HalfCheetah-v4__omega0.003__s1",
        ("KL PPO", 1): "rule2_runs/customization__HalfCheetah-v4__KL_PPO__s1",
        ("Greedy PPO", 2): "runs/customization__HalfCheetah-v4__Greedy_PPO__s2",
        ("Residual PPO", 2): "rule2_runs/customization__HalfCheetah-v4__Residual_PPO__s2",
        ("KL PPO", 2): "rule2_runs/customization__HalfCheetah-v4__KL_PPO__s2"}


def distances(policy, prior, seed):
    env = AddonRewardWrapper(gym.make(ENV), get_task(ENV, None))
    per_step = []

    def act(obs):  # the policy's mean action, recording its distance from the prior's on the way
        mean = policy.actor_mean(policy.normalizer.obs(obs[None], update=False))[0]
        prior_mean = prior.actor_mean(prior.normalizer.obs(obs[None], update=False))[0]
        per_step.append(np.abs(mean - prior_mean) / np.exp(prior.logstd))
        return np.clip(mean, env.action_space.low, env.action_space.high)

    result = evaluate_on_task(act, env, EPISODES, seed + 10_000)  # the runs' evaluation seeds
    return np.mean(per_step, 0), result["total_return_mean"]


def main():
    prior = residual.Prior(residual.load_checkpoint(os.path.join(ROOT, "priors", f"{ENV}.pt")))
    results = os.path.join(ROOT, "benchmark", "results", "customization")
    print(f"| run | total (these {EPISODES} episodes) | " + " | ".join(JOINTS) + " | mean of the five non-foot joints |")
    print("| --- | ---: | " + " | ".join("---:" for _ in JOINTS) + " | ---: |")
    for (row, seed), folder in RUNS.items():
        (agent,) = glob.glob(os.path.join(results, folder, "*", "agent.pt"))
        d, total = distances(residual.Prior(residual.load_checkpoint(agent)), prior, seed)
        print(f"| {row}, seed {seed} | {total:.0f} | " + " | ".join(f"{x:.2f}" for x in d) + f" | {d[:5].mean():.2f} |")


if __name__ == "__main__":
    main()
