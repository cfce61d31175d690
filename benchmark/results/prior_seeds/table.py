"""The priors' table: every seed of every env, as Residual PPO loads them (deterministic and stochastic evaluation on
the add-on task, 10 episodes each, seed + 10000 as prior_train.py does), and what prior_train.py measured.
    python benchmark/results/prior_seeds/table.py > benchmark/results/prior_seeds/table.md"""
import glob
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
import prior_train  # noqa: E402
from addon_tasks import get_task  # noqa: E402

print("| env | seed | basic | add-on | total | metric | length | basic, stochastic | length, stochastic "
      "| basic-return scale | advantage temperature | entropy | shipped |")
print("| --- " * 13 + "|")
for path in sorted(glob.glob(os.path.join(HERE, "*_s*.pt"))):
    env, seed = os.path.basename(path)[:-3].rsplit("_s", 1)
    ckpt = torch.load(path, weights_only=True)
    shipped = torch.load(os.path.join(HERE, "..", "..", "..", "priors", f"{env}.pt"), weights_only=True)
    same = all(torch.equal(ckpt["actor"]["actor_mean"][k], v) for k, v in shipped["actor"]["actor_mean"].items())
    eval_seed = int(seed.removesuffix("ablation")) + 10_000  # s2ablation: the Soft PPO ablation's seed-2 run
    det, sto = (prior_train.evaluate_prior(ckpt, env, get_task(env), 10, eval_seed, s) for s in (False, True))
    cells = [f"{det[k + '_mean']:.{d}f}" for k, d in (("basic_return", 1), ("addon_return", 1), ("total_return", 1),
                                                       ("addon_metric", 3), ("length", 0))]
    cells += [f"{sto['basic_return_mean']:.1f}", f"{sto['length_mean']:.0f}", f"{ckpt['basic_return_scale']:.1f}",
              f"{ckpt['advantage_temperature']:.4f} ± {ckpt['advantage_temperature_stderr']:.4f}", f"{ckpt['entropy']:.2f}"]
    print(f"| {env} | {seed} | " + " | ".join(cells) + f" | {'yes' if same else ''} |")
