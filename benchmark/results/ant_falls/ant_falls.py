"""How often do the customized Ant-v4 policies fall? Each saved policy's deterministic evaluation over many episodes.

    python benchmark/results/ant_falls/ant_falls.py [--episodes 100] [--part 0 --parts 1] > part.txt

Hypothesis, written before running this (README, "The four default commands", Ant): the 10-episode evaluations
saw 3 falls in 70 episodes at omega' = 0.001 (all on reported seeds 1-2) and none in 40 at 0.01, so at 0.001 a
policy falls in a few percent of its episodes, at 0.01 in under 1%, the prior never; KL PPO and Greedy PPO fall
at least as often as Residual PPO at 0.001. Evaluation seeds start at 50,000, which no run's own evaluation used
(runs evaluate from seed + 10,000). One line per policy: what it is, episodes, falls, mean length, mean total.
"""
import argparse
import glob
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT)
import residual_ppo_continuous as residual  # noqa: E402
from addon_tasks import get_task  # noqa: E402

R = os.path.join(ROOT, "benchmark", "results")
POLICIES = [("prior", os.path.join(ROOT, "priors", "Ant-v4.pt"))]
POLICIES += [(f"Residual PPO 0.001 s{s}", f"{R}/customization/runs/customization__Ant-v4__Residual_PPO__s{s}") for s in (1, 2, 3)]
POLICIES += [(f"Residual PPO 0.001 s{s}", f"{R}/calibration_1m/runs/calibration__Ant-v4__omega0.001__s{s}") for s in (4, 5)]
POLICIES += [(f"Residual PPO 0.001 s{s}", f"{R}/calibration_confirm/runs/calibration__Ant-v4__omega0.001__s{s}") for s in (6, 7)]
POLICIES += [("Residual PPO 0.01 s1", f"{R}/customization/runs/omega_sweep__Ant-v4__omega0.01__s1"),
             ("Residual PPO 0.01 s2", f"{R}/customization/rule2_runs/customization__Ant-v4__Residual_PPO__s2")]
POLICIES += [(f"Residual PPO 0.01 s{s}", f"{R}/calibration_1m/runs/calibration__Ant-v4__omega0.01__s{s}") for s in (4, 5)]
POLICIES += [("Residual PPO 0.003 s1", f"{R}/customization/runs/omega_sweep__Ant-v4__omega0.003__s1")]
POLICIES += [(f"Residual PPO 0.003 s{s}", f"{R}/calibration_1m/runs/calibration__Ant-v4__omega0.003__s{s}") for s in (4, 5)]
POLICIES += [(f"KL PPO 0.001 s{s}", f"{R}/customization/runs/customization__Ant-v4__KL_PPO__s{s}") for s in (1, 2, 3)]
POLICIES += [(f"Greedy PPO s{s}", f"{R}/customization/runs/customization__Ant-v4__Greedy_PPO__s{s}") for s in (1, 2, 3)]


def checkpoint(path):
    if path.endswith(".pt"):
        return path
    found = glob.glob(os.path.join(path, "*", "agent.pt"))
    if len(found) != 1:
        sys.exit(f"error: expected one agent.pt under {path}, found {len(found)}")
    return found[0]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--part", type=int, default=0, help="run every --parts-th policy from this one (parallel parts)")
    p.add_argument("--parts", type=int, default=1)
    args = p.parse_args()
    task = get_task("Ant-v4", None)
    for name, path in POLICIES[args.part::args.parts]:
        policy = residual.Prior(residual.load_checkpoint(checkpoint(path)))  # any checkpoint: actor + normaliser
        r = residual.evaluate(policy.agent, policy.normalizer, "Ant-v4", args.episodes, 50_000, task)
        lengths = np.array(r["length"])
        print(f"{name}: {args.episodes} episodes, {int((lengths < 1000).sum())} fall, mean length {lengths.mean():.0f}, "
              f"mean total {r['total_return_mean']:.0f}", flush=True)


if __name__ == "__main__":
    main()
