"""Train a max-entropy prior policy (Soft PPO on the basic reward) and write `priors/{env_id}.pt`.

    python prior_train.py --env-id Walker2d-v4 --total-timesteps 1000000
    python prior_train.py --env-id Walker2d-v4 --reward total      # the "full policy" reference: r + r_R

A driver around soft_ppo_continuous.py (every flag of that script works here). The checkpoint holds what
Residual PPO needs to evaluate log pi_prior(a|s) on raw observations: actor weights, the frozen observation
normaliser, alpha, shapes, env id, the training args and evaluation returns (basic, add-on and total when the
env has an add-on task). It is written atomically and never replaces an existing file without --force.
"""
import json
import os
import sys
from dataclasses import dataclass
from typing import Literal, Optional

import numpy as np
import torch
import tyro

import residual_ppo_continuous as residual
import soft_ppo_continuous as soft
from addon_tasks import AddonRewardWrapper, TaskError, get_task, register_task_env

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Args(soft.Args):
    exp_name: str = "prior_train"
    """the name of this experiment (part of the run name)"""
    env_id: str = "Walker2d-v4"
    """the id of the environment (any Gymnasium env with a Box action space)"""
    reward: Literal["basic", "total"] = "basic"
    """train on the basic reward (a prior) or on basic + add-on reward (the full-policy reference)"""
    addon_task: Optional[str] = None
    """add-on task as module:function, for --reward total and the add-on evaluation (default: addon_tasks.py)"""
    out: Optional[str] = None
    """where to write the checkpoint (default: priors/{env_id}.pt, or priors/{env_id}-full.pt for --reward total)"""
    force: bool = False
    """replace an existing checkpoint at --out"""
    measure_steps: int = 50_000
    """env steps of the prior's own stochastic actions for its measured statistics (see measure_prior); 50k gives the
    return scale within 10% of a 1M-step measurement but the advantage temperature only to about +/-0.0017 (1M:
    +/-0.0004)"""
    measure_only: bool = False
    """train nothing: add the measured statistics (at --gamma) to the existing checkpoint at --out (weights untouched)"""


def evaluate_prior(ckpt, env_id, task, episodes, seed, stochastic=False):
    """Evaluate the saved checkpoint (as Residual PPO will load it) on the add-on task."""
    prior = residual.Prior(ckpt)
    return residual.evaluate(prior.agent, prior.normalizer, env_id, episodes, seed, task, stochastic=stochastic)


MEASURED = ("basic_return_scale", "basic_reward_mean", "advantage_temperature", "advantage_temperature_stderr", "entropy")


@torch.inference_mode()
def measure_prior(ckpt, env_id, steps, seed, gamma=0.99):
    """Statistics of the prior under its own stochastic actions on the basic reward r, which only the prior's
    trainer sees (Residual PPO has no access to r), at discount `gamma` (recorded as measure_gamma: Residual PPO
    refuses a --gamma other than the one its return scale was measured at):
    - basic_return_scale: the std of the discounted basic return, as the running reward normaliser computes it;
      `--addon-scale prior` divides r_R by it, so r_R lives in the prior's normalised basic-reward units.
    - basic_reward_mean: the mean basic reward per step under the prior (what staying alive is worth to r per
      step; docs/residual_ppo.md).
    - advantage_temperature: the least-squares slope of the prior's advantage (r / scale units) on
      log pi_prior(a|s) + H(pi_prior): the alpha for which alpha * (log pi + H) best matches the advantage, i.e.
      the temperature at which the prior looks soft-optimal (RQL assumes it equals the training alpha).
      The noise z of a = mean + std * z is independent of the state, so any state baseline (the prior's critic
      here, rescaled by least squares) leaves the slope unbiased and only removes variance.
    - entropy: H(pi_prior(.|s)) averaged over the measured states (one value for all s with a state-independent std)."""
    prior = residual.Prior(ckpt)
    critic = residual.agent_from_checkpoint(ckpt).critic  # the prior's architecture
    critic.load_state_dict(ckpt["critic"])
    env = soft.make_env(env_id)
    low, high = env.action_space.low, env.action_space.high
    rng, rms = np.random.default_rng(seed), residual.RunningMeanStd()
    rewards, xs, values, ends, entropies = (np.zeros(steps) for _ in range(5))
    obs, _ = env.reset(seed=seed)
    ret = 0.0
    for t in range(steps):
        x = prior.normalizer.obs(np.asarray(obs, dtype=np.float64).reshape(1, -1), update=False)
        mean, logstd = prior.policy(x)  # the std is the same in every state
        mean, logstd = mean[0], np.broadcast_to(logstd, mean.shape)[0]
        z = rng.standard_normal(mean.shape)
        obs, rewards[t], terminated, truncated, _ = env.step(np.clip(mean + np.exp(logstd) * z, low, high))
        # log pi + H = -z^2/2 + d/2 whatever the std, so the regressor is a function of z alone
        xs[t], ends[t] = -0.5 * (z**2).sum() + 0.5 * z.size, terminated or truncated
        values[t], entropies[t] = critic(torch.from_numpy(x)).item(), residual.gaussian_entropy(logstd)
        ret = ret * gamma + rewards[t]
        rms.update(np.array([ret]))
        if ends[t]:
            ret, (obs, _) = 0.0, env.reset()
    env.close()
    scale = float(np.sqrt(rms.var))
    returns, g = np.zeros(steps), 0.0  # Monte Carlo returns to the episode's end, in r / scale units
    for t in reversed(range(steps)):
        returns[t] = g = rewards[t] / scale + gamma * g * (1.0 - ends[t])
    residuals = returns - np.polyval(np.polyfit(values, returns, 1), values)
    xc = xs - xs.mean()
    slope = float((xc * residuals).sum() / (xc**2).sum())
    stderr = float(np.std(residuals - slope * xc) / (np.std(xs) * np.sqrt(steps)))
    return {"basic_return_scale": scale, "basic_reward_mean": float(rewards.mean()),
            "advantage_temperature": slope, "advantage_temperature_stderr": stderr,
            "entropy": float(entropies.mean()), "measure_steps": steps, "measure_gamma": gamma}


def main(argv=None):
    args = tyro.cli(Args, args=argv)
    base_env_id = args.env_id
    out = args.out or os.path.join(HERE, "priors", f"{base_env_id}{'-full' if args.reward == 'total' else ''}.pt")
    try:
        if args.measure_only:  # add (or refresh) the measured statistics of an existing prior; weights untouched
            ckpt = soft.load_checkpoint(out)
            if ckpt["env_id"] != base_env_id:
                raise soft.UserError(f"{out} is a prior for {ckpt['env_id']}, not {base_env_id}")
            ckpt.update(measure_prior(ckpt, base_env_id, args.measure_steps, args.seed + 20_000, args.gamma))
            soft.save_checkpoint(out, ckpt)
            print(f"measured {out}: " + ", ".join(f"{k} {ckpt[k]:.4g}" for k in MEASURED))
            return
        if os.path.exists(out) and not args.force:
            raise soft.UserError(f"{out} exists: pass --force to replace it, or --out to write elsewhere")
        if os.path.isdir(out):
            raise soft.UserError(f"--out {out} is a folder: give the checkpoint's file name")
        soft.check_args(args)
        soft.make_env(base_env_id).close()  # fail on a bad env id before anything else
        try:
            task = get_task(base_env_id, args.addon_task)
        except TaskError as e:
            if args.reward == "total":
                raise soft.UserError(str(e)) from None
            task = None  # a prior for an env without add-on task: fine, evaluated on its basic reward only
        if task is not None:  # one step of the add-on task now: a broken one fails in seconds, not after training
            probe = AddonRewardWrapper(soft.make_env(base_env_id), task)
            probe.reset(seed=args.seed)
            probe.step(probe.action_space.sample())
            probe.close()
        if args.reward == "total":
            args.env_id = register_task_env(base_env_id, "total", args.addon_task)
        args.save_model = True
        summary = soft.train(args)
        ckpt = soft.load_checkpoint(summary["checkpoint"])  # refuses nan/inf weights: no nan prior is ever written
        if os.path.exists(out) and not args.force:  # someone wrote it while we trained: keep theirs
            out = f"{out}.new-{summary['run_name']}"
        ckpt.update(env_id=base_env_id, reward=args.reward, training_env_id=args.env_id)  # soft saved alpha
        if args.reward == "basic" and args.measure_steps:
            ckpt.update(measure_prior(ckpt, base_env_id, args.measure_steps, args.seed + 20_000, args.gamma))
        if task is not None and args.eval_episodes:
            for key, stochastic in (("eval_task", False), ("eval_task_stochastic", True)):
                ckpt[key] = evaluate_prior(ckpt, base_env_id, task, args.eval_episodes, args.seed + 10_000, stochastic)
            summary_path = os.path.join(os.path.dirname(summary["checkpoint"]), "summary.json")
            with open(summary_path, "w") as f:  # the run's summary gets the same task evaluation, for the reports
                json.dump(dict(summary, eval_task=ckpt["eval_task"], eval_task_stochastic=ckpt["eval_task_stochastic"],
                               prior_path=out), f, indent=1)
        soft.save_checkpoint(out, ckpt)
    except (soft.UserError, TaskError) as e:  # TaskError: the add-on task failed (user code), named in one line
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except (soft.Diverged, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted: no prior written (existing files untouched)", file=sys.stderr)
        sys.exit(130)
    if "advantage_temperature" in ckpt:
        print("measured: " + ", ".join(f"{k} {ckpt[k]:.4g}" for k in MEASURED))
    ev = ckpt.get("eval_task") or ckpt["eval"]
    keys = ("basic_return", "addon_return", "total_return", "addon_metric", "return")
    print(f"wrote {out}: eval over {ev['episodes']} episodes: " + ", ".join(
        f"{k} {ev[k + '_mean']:.4g} +/- {ev[k + '_std']:.3g}" for k in keys if ev.get(k + "_mean") is not None))


if __name__ == "__main__":
    main()
