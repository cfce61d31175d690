"""The 16 HalfCheetah priors with a state-dependent std (device_priors.sh): what prior_train.py evaluated and
measured (stored in each checkpoint), and how much the std moves with the state: over the states of one
deterministic episode (evaluation seed 10000), the spread of each action dimension's log-std, as the ratio of its
90th to its 10th percentile std (1.0 would be a state-independent std), median over the six joints.
    python benchmark/results/hc_state_std/prior_table.py > benchmark/results/hc_state_std/prior_table.md"""
import glob
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
import residual_ppo_continuous as residual  # noqa: E402
from addon_tasks import get_task  # noqa: E402


def std_spread(ckpt, seed=10_000, env_id="HalfCheetah-v4"):
    """90th / 10th percentile of each joint's std over one deterministic episode's states (median over joints)."""
    prior = residual.Prior(ckpt)
    env = residual.make_env(env_id, get_task(env_id))
    obs, _ = env.reset(seed=seed)
    logstds, done = [], False
    while not done:
        mean, logstd = prior.policy(prior.normalizer.obs(np.asarray(obs)[None], update=False))
        logstds.append(np.broadcast_to(logstd, mean.shape)[0])
        obs, _, terminated, truncated, _ = env.step(np.clip(mean[0], -1, 1))
        done = terminated or truncated
    env.close()
    q10, q90 = np.percentile(np.exp(np.array(logstds)), [10, 90], axis=0)
    return float(np.median(q90 / q10)), float(np.exp(np.array(logstds)).mean())


def stored_cells(ckpt):
    """What prior_train.py evaluated and measured (stored in the checkpoint), formatted, by column name."""
    det, sto = ckpt["eval_task"], ckpt["eval_task_stochastic"]
    return {"basic": f"{det['basic_return_mean']:.1f}", "add-on": f"{det['addon_return_mean']:.1f}",
            "total": f"{det['total_return_mean']:.1f}", "metric": f"{det['addon_metric_mean']:.3f}",
            "length": f"{det['length_mean']:.0f}", "basic, stochastic": f"{sto['basic_return_mean']:.1f}",
            "length, stochastic": f"{sto['length_mean']:.0f}", "basic-return scale": f"{ckpt['basic_return_scale']:.1f}",
            "advantage temperature": f"{ckpt['advantage_temperature']:.4f} ± {ckpt['advantage_temperature_stderr']:.4f}",
            "entropy": f"{ckpt['entropy']:.2f}"}


def main():
    paths = sorted(glob.glob(os.path.join(HERE, "device1", "priors", "*.pt")), key=lambda p: int(p[:-3].rsplit("_s", 1)[1]))
    best = max(paths, key=lambda p: torch.load(p, weights_only=True)["eval_task"]["basic_return_mean"])
    print("| seed | basic | add-on | total | metric | basic, stochastic | basic-return scale | advantage temperature "
          "| entropy | std p90/p10 over states | mean std | used |")
    print("| --- " * 12 + "|")
    for path in paths:
        ckpt = torch.load(path, weights_only=True)
        stored, (spread, mean_std) = stored_cells(ckpt), std_spread(ckpt)
        cells = [stored[k] for k in ("basic", "add-on", "total", "metric", "basic, stochastic", "basic-return scale",
                                     "advantage temperature", "entropy")] + [f"{spread:.2f}", f"{mean_std:.3f}"]
        seed = path[:-3].rsplit("_s", 1)[1]
        print(f"| {seed} | " + " | ".join(cells) + f" | {'yes' if path == best else ''} |")


if __name__ == "__main__":
    main()
