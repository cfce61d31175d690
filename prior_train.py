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


def evaluate_prior(ckpt, env_id, task, episodes, seed):
    """Evaluate the saved checkpoint (as Residual PPO will load it) on the add-on task."""
    prior = residual.Prior(ckpt)
    return residual.evaluate(prior.agent, prior.normalizer, env_id, episodes, seed, task)


def main(argv=None):
    args = tyro.cli(Args, args=argv)
    base_env_id = args.env_id
    out = args.out or os.path.join(HERE, "priors", f"{base_env_id}{'-full' if args.reward == 'total' else ''}.pt")
    try:
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
        ckpt.update(env_id=base_env_id, reward=args.reward, training_env_id=args.env_id, alpha=args.alpha)
        if task is not None and args.eval_episodes:
            ckpt["eval_task"] = evaluate_prior(ckpt, base_env_id, task, args.eval_episodes, args.seed + 10_000)
            summary_path = os.path.join(os.path.dirname(summary["checkpoint"]), "summary.json")
            with open(summary_path, "w") as f:  # the run's summary gets the same task evaluation, for the reports
                json.dump(dict(summary, eval_task=ckpt["eval_task"], prior_path=out), f, indent=1)
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
    ev = ckpt.get("eval_task") or ckpt["eval"]
    keys = ("basic_return", "addon_return", "total_return", "addon_metric", "return")
    print(f"wrote {out}: eval over {ev['episodes']} episodes: " + ", ".join(
        f"{k} {ev[k + '_mean']:.4g} +/- {ev[k + '_std']:.3g}" for k in keys if ev.get(k + "_mean") is not None))


if __name__ == "__main__":
    main()
