"""Train a Stable-Baselines3 PPO agent with RL Baselines3 Zoo's tuned hyper-parameters, to convert into a prior.

    python benchmark/train_sb3.py --env-id Walker2d-v4 --out runs/sb3_walker2d
    python prior_train.py --env-id Walker2d-v4 --from-sb3 runs/sb3_walker2d/model.zip \\
        --sb3-vecnormalize runs/sb3_walker2d/vecnormalize.pkl --out runs/sb3_walker2d/prior.pt

The hyper-parameters are those of RL Baselines3 Zoo's `hyperparams/ppo.yml` (DLR-RM/rl-baselines3-zoo, the
version at commit 208b6fd, entries Walker2d-v4, Hopper-v4 and HalfCheetah-v4), with the Zoo's `normalize: true`
as SB3's VecNormalize (observations and rewards, its discount the algorithm's, as the Zoo sets it). The Zoo's
Walker2d-v4 entry names no policy_kwargs: SB3's default MlpPolicy (64-64 tanh, orthogonal initialisation, initial
log-std 0). The Zoo also wraps each env in a Monitor, as make_vec_env does here.

The output folder gets `model.zip` (which records the env id the converter checks), `vecnormalize.pkl` and
`command.txt` (the command, the hyper-parameters, the library versions, the commit and the training time). Files
are written atomically; an existing model is never replaced without --force.
"""
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Optional

import tyro

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# RL Baselines3 Zoo, hyperparams/ppo.yml at commit 208b6fd (n_timesteps 1e6 and normalize: true in all three)
ZOO_PPO = {
    "Walker2d-v4": dict(n_envs=1, batch_size=32, n_steps=512, gamma=0.99, learning_rate=5.05041e-05,
                        ent_coef=0.000585045, clip_range=0.1, n_epochs=20, gae_lambda=0.95, max_grad_norm=1.0,
                        vf_coef=0.871923, policy_kwargs=None),
    "Hopper-v4": dict(n_envs=1, batch_size=32, n_steps=512, gamma=0.999, learning_rate=9.80828e-05,
                      ent_coef=0.00229519, clip_range=0.2, n_epochs=5, gae_lambda=0.99, max_grad_norm=0.7,
                      vf_coef=0.835671, policy_kwargs="relu256"),
    "HalfCheetah-v4": dict(n_envs=1, batch_size=64, n_steps=512, gamma=0.98, learning_rate=2.0633e-05,
                           ent_coef=0.000401762, clip_range=0.1, n_epochs=20, gae_lambda=0.92, max_grad_norm=0.8,
                           vf_coef=0.58096, policy_kwargs="relu256"),
}
class UserError(Exception):
    """Bad input: one line on stderr, exit status 2."""


ZOO_SOURCE = "RL Baselines3 Zoo, hyperparams/ppo.yml (DLR-RM/rl-baselines3-zoo at commit 208b6fd)"


@dataclass
class Args:
    env_id: str = "Walker2d-v4"
    """the env, one of the Zoo entries copied here: Walker2d-v4, Hopper-v4, HalfCheetah-v4"""
    out: Optional[str] = None
    """the output folder (default: runs/sb3_{env_id}_s{seed})"""
    total_timesteps: int = 1_000_000
    """env steps of training (the Zoo's n_timesteps: 1M)"""
    seed: int = 1
    """seed of SB3 (torch, numpy) and of the envs"""
    torch_threads: int = 1
    """torch intra-op threads (one is fastest for these small networks)"""
    report_every: int = 50_000
    """print the steps done and the mean return of the last 100 training episodes every this many steps (0: never)"""
    force: bool = False
    """replace a model already in --out"""


def policy_kwargs(name):
    import torch.nn as nn

    # the Zoo's "dict(log_std_init=-2, ortho_init=False, activation_fn=nn.ReLU, net_arch=dict(pi=[256, 256], vf=[256, 256]))"
    return None if name is None else dict(log_std_init=-2.0, ortho_init=False, activation_fn=nn.ReLU,
                                          net_arch=dict(pi=[256, 256], vf=[256, 256]))


def git_commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def train(args):
    """Trains and writes the three files; returns the output folder."""
    if args.env_id not in ZOO_PPO:
        raise UserError(f"no Zoo hyper-parameters for {args.env_id} here: known are {', '.join(ZOO_PPO)}")
    if args.total_timesteps <= 0:
        raise UserError(f"--total-timesteps must be positive, got {args.total_timesteps}")
    out = args.out or os.path.join(ROOT, "runs", f"sb3_{args.env_id}_s{args.seed}")
    model_path, stats_path = os.path.join(out, "model.zip"), os.path.join(out, "vecnormalize.pkl")
    if os.path.exists(model_path) and not args.force:
        raise UserError(f"{model_path} exists: pass --force to replace it, or --out to write elsewhere")
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out} is a file: give a folder")

    import gymnasium as gym
    import stable_baselines3 as sb3
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import VecNormalize

    torch.set_num_threads(args.torch_threads)
    hp = dict(ZOO_PPO[args.env_id])
    n_envs, kwargs_name = hp.pop("n_envs"), hp.pop("policy_kwargs")
    venv = VecNormalize(make_vec_env(args.env_id, n_envs=n_envs, seed=args.seed), gamma=hp["gamma"])
    model = sb3.PPO("MlpPolicy", venv, seed=args.seed, device="cpu", verbose=0, policy_kwargs=policy_kwargs(kwargs_name),
                    **hp)

    class Report(BaseCallback):
        def __init__(self):
            super().__init__()
            self.next = args.report_every

        def _on_step(self):
            if args.report_every and self.num_timesteps >= self.next:
                self.next += args.report_every
                returns = [e["r"] for e in self.model.ep_info_buffer]
                recent = f"{sum(returns) / len(returns):.1f}" if returns else "n/a"
                print(f"{self.num_timesteps:,} steps in {(time.time() - start) / 60:.1f} min, "
                      f"mean return of the last {len(returns)} episodes {recent}", flush=True)
            return True

    start = time.time()
    model.learn(args.total_timesteps, callback=Report())
    train_time = time.time() - start
    model.env_id = args.env_id  # saved in the zip: prior_train.py --from-sb3 checks it against --env-id

    os.makedirs(out, exist_ok=True)
    tmp = f"{os.getpid()}.tmp"
    model.save(os.path.join(out, f"model.{tmp}.zip"))  # SB3 adds .zip to a name without suffix: keep one
    venv.save(os.path.join(out, f"vecnormalize.{tmp}.pkl"))
    record = {
        "command": " ".join(["python", *sys.argv]), "env_id": args.env_id, "seed": args.seed,
        "total_timesteps": args.total_timesteps, "hyperparameters": dict(ZOO_PPO[args.env_id]),
        "policy_kwargs": repr(policy_kwargs(kwargs_name)), "vecnormalize": "VecNormalize(venv, gamma=gamma): "
        "observations and rewards normalised, clip 10, epsilon 1e-8", "source": ZOO_SOURCE,
        "train_time_s": round(train_time, 1), "commit": git_commit(),
        "versions": {"stable_baselines3": sb3.__version__, "gymnasium": gym.__version__, "torch": torch.__version__,
                     "python": platform.python_version()},
    }
    with open(os.path.join(out, f"command.{tmp}.txt"), "w") as f:
        f.write(record["command"] + "\n\n" + json.dumps(record, indent=1) + "\n")
    for name, ext in (("model", "zip"), ("vecnormalize", "pkl"), ("command", "txt")):
        os.replace(os.path.join(out, f"{name}.{tmp}.{ext}"), os.path.join(out, f"{name}.{ext}"))
    venv.close()
    print(f"wrote {model_path}, {stats_path} and command.txt after {model.num_timesteps:,} steps "
          f"({train_time / 60:.1f} min)")
    return out


def main(argv=None):
    args = tyro.cli(Args, args=argv)
    try:
        train(args)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing written", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()
