"""Per-call cost of the per-step normalisation and of the prior log-prob in residual_ppo_continuous.py at a checkout:

    python benchmark/results/speed_check/time_norm_prior.py ROOT   (ROOT = a checkout, e.g. a git worktree of ae10f16)
"""
import importlib
import sys
import time

import numpy as np


def per_call(fn, k=20000):
    fn()
    start = time.perf_counter()
    for _ in range(k):
        fn()
    return (time.perf_counter() - start) / k * 1e6


def main(root):
    sys.path.insert(0, root)
    r = importlib.import_module("residual_ppo_continuous")
    n = r.Normalizer(17, 1, r.Args())
    raw = np.random.default_rng(0).normal(size=(1, 17))
    obs = per_call(lambda: n.obs(raw))
    rew = per_call(lambda: n.reward(np.ones(1), np.zeros(1, bool)))
    prior = r.Prior(r.load_checkpoint(root + "/priors/Walker2d-v4.pt"))
    a = np.random.default_rng(1).normal(size=(1, 6)).astype(np.float32)
    lp = per_call(lambda: prior.log_prob(raw, a), 5000)
    print(f"{root}: obs norm {obs:.1f} us, reward norm {rew:.1f} us, prior log-prob {lp:.1f} us")


if __name__ == "__main__":
    main(sys.argv[1])
