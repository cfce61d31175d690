"""The learned policy's std against the prior's, per env and method, from the customization preset's saved agents.
Written when Residual PPO's default had the learner's term literal (before 752c0a8) and HalfCheetah's omega' was rule
6's 0.0003: its "Residual PPO" rows are the runs now named `Residual PPO (literal entropy term)`, HalfCheetah's in
customization/rule6_runs/ since rule 7, so policy_std.md regenerates as it was written.

    python benchmark/results/hc_diagnosis/policy_std.py

Prediction (the soft-optimal policy of r_R + omega' log pi_prior - alpha_hat log pi is proportional to
pi_prior^(omega'/alpha_hat) exp(Q_R/alpha_hat)): where Q_R is flat in the action, a Gaussian prior raised to the power
omega'/alpha_hat has its std times sqrt(alpha_hat/omega'); Q_R's own curvature can only narrow it further.
"""
import glob
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CUSTOMIZATION = os.path.join(ROOT, "benchmark", "results", "customization")


def runs_folder(env, label):
    """Written under rule 6: HalfCheetah's Residual PPO and KL PPO at its then default 0.0003 are in rule6_runs/ since
    rule 7 (0.001) replaced them in runs/."""
    moved = env == "HalfCheetah-v4" and not label.startswith("Greedy")
    return os.path.join(CUSTOMIZATION, "rule6_runs" if moved else "runs")


def std_of(path):
    return torch.load(path, weights_only=False)["actor"]["actor_logstd"].exp().numpy().ravel()


print("| env | method | omega' / alpha_hat | sqrt(alpha_hat / omega') | learned std / prior std, per seed (median "
      "over the action dimensions) |")
print("| --- | --- | ---: | ---: | --- |")
for env in ("HalfCheetah-v4", "Ant-v4", "Walker2d-v4", "Hopper-v4"):
    prior = std_of(os.path.join(ROOT, "priors", f"{env}.pt"))
    for label in ("Greedy_PPO", "KL_PPO", "Residual_PPO_(literal_entropy_term)"):
        ratios, weights = [], None
        folder = runs_folder(env, label)
        for seed in (1, 2, 3):
            for path in glob.glob(os.path.join(folder, f"customization__{env}__{label}__s{seed}", "*", "agent.pt")):
                ckpt = torch.load(path, weights_only=False)
                weights = ckpt["args"]["omega_prime"], ckpt["args"]["alpha_hat"]
                ratios.append(float(np.median(std_of(path) / prior)))
        if not ratios:
            continue
        w, a = weights
        power = "n/a" if a == 0 else f"{w / a:g}"
        predicted = "n/a" if w == 0 or a == 0 else f"{np.sqrt(a / w):.2f}"
        method = label.replace("_(literal_entropy_term)", "").replace("_", " ")
        print(f"| {env} | {method} | {power} | {predicted} | {' / '.join(f'{r:.2f}' for r in ratios)} |")
