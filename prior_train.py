"""Train a max-entropy prior policy (Soft PPO on the basic reward) and write `priors/{env_id}.pt`.

    python prior_train.py --env-id Walker2d-v4 --total-timesteps 1000000
    python prior_train.py --env-id Walker2d-v4 --reward total      # the "full policy" reference: r + r_R
    python prior_train.py --env-id Walker2d-v4 --from-sb3 MODEL.zip --sb3-vecnormalize STATS.pkl --out PRIOR.pt

A driver around soft_ppo_continuous.py (every flag of that script works here). The checkpoint holds what
Residual PPO needs to evaluate log pi_prior(a|s) on raw observations: actor weights, the frozen observation
normaliser, alpha, shapes, env id, the training args and evaluation returns (basic, add-on and total when the
env has an add-on task). It is written atomically and never replaces an existing file without --force.
With --from-sb3 nothing is trained: a Stable-Baselines3 agent becomes the prior (section "Priors from
Stable-Baselines3" below).
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
    from_sb3: Optional[str] = None
    """train nothing: convert this Stable-Baselines3 PPO or A2C MlpPolicy model (.zip) into the prior, then measure
    and evaluate it as a trained prior; its temperature alpha_hat is --alpha (SB3's PPO has none)"""
    sb3_vecnormalize: Optional[str] = None
    """with --from-sb3: the VecNormalize statistics (.pkl) the model was trained with; they become the prior's frozen
    observation normaliser"""


def evaluate_prior(ckpt, env_id, task, episodes, seed, stochastic=False):
    """Evaluate the saved checkpoint (as Residual PPO will load it) on the add-on task."""
    prior = residual.Prior(ckpt)
    return residual.evaluate(prior.agent, prior.normalizer, env_id, episodes, seed, task, stochastic=stochastic)


MEASURED = ("basic_return_scale", "basic_reward_mean", "advantage_temperature", "advantage_temperature_stderr", "entropy")


@torch.inference_mode()
def measure_prior(ckpt, env_id, steps, seed, gamma=0.99, critic=None):
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
    - entropy: H(pi_prior(.|s)) averaged over the measured states (one value for all s with a state-independent std).
    `critic`: a module of the normalised observation in place of the checkpoint's (a converted SB3 prior's own)."""
    prior = residual.Prior(ckpt)
    if critic is None:
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
    if args.from_sb3 is not None:
        return main_from_sb3(args)
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
            if args.reward == "total" or args.addon_task:  # a task asked for by name must load
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


# ---------------------------------------------------------------------------------------------------------------------
# Priors from Stable-Baselines3. `--from-sb3 MODEL.zip [--sb3-vecnormalize STATS.pkl]` converts an SB3 PPO or A2C
# MlpPolicy (a diagonal Gaussian with a state-independent log-std: the mean is a Linear/activation stack then a
# Linear, the log-std one vector) and its VecNormalize observation statistics into this project's checkpoint, so that
# Residual PPO loads it as it loads a prior trained here. stable_baselines3 is imported only in this section.

SB3_SUPPORTED = ("--from-sb3 converts a PPO or A2C model with MlpPolicy: a diagonal Gaussian with a state-independent "
                 "std (no gSDE, no squashing), Tanh or ReLU layers, flat Box observations and actions")
OUR_OBS_EPSILON = 1e-8  # the normaliser divides by sqrt(var + 1e-8) (residual_ppo_continuous.Normalizer.obs)
SB3_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu"}


def sb3_load(model_path):
    """The SB3 model at `model_path`, loaded by its own class; refuses what the converter cannot take."""
    import zipfile

    from stable_baselines3 import A2C, PPO
    from stable_baselines3.common.policies import ActorCriticPolicy
    from stable_baselines3.common.save_util import load_from_zip_file

    if not os.path.isfile(model_path):
        raise soft.UserError(f"--from-sb3 {model_path} does not exist")
    if not zipfile.is_zipfile(model_path):
        raise soft.UserError(f"--from-sb3 {model_path} is not a zip file: give the .zip that an SB3 model's save() writes")
    try:
        data, _, _ = load_from_zip_file(model_path, device="cpu", load_data=True, print_system_info=False)
    except Exception as e:  # a zip of something else: one line, not SB3's traceback
        raise soft.UserError(f"--from-sb3 {model_path} is not a Stable-Baselines3 model "
                             f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    policy_class = (data or {}).get("policy_class")
    if policy_class is None:
        raise soft.UserError(f"--from-sb3 {model_path} is not a Stable-Baselines3 model (it records no policy class)")
    if policy_class is not ActorCriticPolicy:
        module = getattr(policy_class, "__module__", "")
        algo = module.split(".")[1].upper() if module.count(".") >= 2 and ".common." not in module else None
        held = f"a {algo} model" if algo else f"a model with policy {getattr(policy_class, '__name__', policy_class)}"
        raise soft.UserError(f"{model_path} holds {held}: {SB3_SUPPORTED}")
    if "clip_range" in data and "n_epochs" in data:
        cls = PPO
    elif not any(k.startswith(("cg_", "line_search", "n_critic")) for k in data) and "n_steps" in data:
        cls = A2C  # an on-policy model with none of PPO's or TRPO's settings
    else:
        raise soft.UserError(f"{model_path} holds a model of another algorithm (neither PPO nor A2C): {SB3_SUPPORTED}")
    if data.get("use_sde"):
        raise soft.UserError(f"{model_path} uses gSDE (use_sde=True): its std depends on the state"
                             f"{' and its actions are squashed' if data.get('policy_kwargs', {}).get('squash_output') else ''}; "
                             f"{SB3_SUPPORTED}")
    try:
        return cls.load(model_path, device="cpu")
    except Exception as e:
        raise soft.UserError(f"--from-sb3 {model_path} does not load as an SB3 {cls.__name__} model "
                             f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None


def sb3_layers(net, what):
    """(hidden sizes, activation name) of an SB3 mlp_extractor net: Linear, activation, Linear, activation, ..."""
    import torch.nn as nn

    sizes, names = [], set()
    for i, m in enumerate(net):
        if i % 2 == 0 and isinstance(m, nn.Linear):
            sizes.append(m.out_features)
        elif i % 2 == 1:
            names.add(type(m).__name__)
        else:
            raise soft.UserError(f"the model's {what} network is not a Linear/activation stack ({m}): {SB3_SUPPORTED}")
    unsupported = sorted(names - set(SB3_ACTIVATIONS))
    if unsupported:
        raise soft.UserError(f"unsupported activation {', '.join(unsupported)} in the model's {what} network: "
                             f"{SB3_SUPPORTED}")
    return sizes, SB3_ACTIVATIONS[names.pop()] if names else "tanh"


def sb3_env_id(model, model_path):
    """The env id the model was trained on, where it is recorded: the model's `env_id` (benchmark/train_sb3.py sets
    it), else RL Baselines3 Zoo's args.yml beside the zip or in the Zoo's folder named like the zip; else None."""
    if isinstance(getattr(model, "env_id", None), str):
        return model.env_id
    import re

    folder, stem = os.path.dirname(os.path.abspath(model_path)), os.path.splitext(os.path.basename(model_path))[0]
    for path in (os.path.join(folder, "args.yml"), os.path.join(folder, stem, "args.yml")):
        if os.path.isfile(path):
            with open(path) as f:
                found = re.search(r"-\s+env\s*\n\s*-\s+(\S+)", f.read())
            if found:
                return found.group(1)
    return None


def sb3_vecnormalize_stats(path, obs_dim):
    """(norm_obs, mean, var, count, clip_obs, epsilon, reward settings) of a VecNormalize pickle."""
    import pickle

    from stable_baselines3.common.vec_env import VecNormalize

    if not os.path.isfile(path):
        raise soft.UserError(f"--sb3-vecnormalize {path} does not exist")
    try:
        with open(path, "rb") as f:
            stats = pickle.load(f)
    except Exception as e:
        raise soft.UserError(f"--sb3-vecnormalize {path} is not a VecNormalize statistics file ({type(e).__name__})") from None
    if not isinstance(stats, VecNormalize):
        raise soft.UserError(f"--sb3-vecnormalize {path} holds a {type(stats).__name__}, not the VecNormalize that "
                             "VecNormalize.save writes")
    if isinstance(stats.obs_rms, dict):
        raise soft.UserError(f"--sb3-vecnormalize {path} normalises dict observations: {SB3_SUPPORTED}")
    if tuple(np.shape(stats.obs_rms.mean)) != (obs_dim,):
        raise soft.UserError(f"--sb3-vecnormalize {path} holds statistics of {np.shape(stats.obs_rms.mean)} "
                             f"observations, the model takes ({obs_dim},)")
    return stats


def sb3_checkpoint(model_path, env_id, vecnormalize_path=None, alpha=0.001):
    """The checkpoint of the SB3 model at `model_path` for `env_id` (no measurements, no evaluations yet), SB3's
    value network as a module of the normalised observation (the baseline measure_prior uses), the SB3 model and
    its VecNormalize (or None).
    The prior sees raw observations through the frozen normaliser (raw - mean) / sqrt(var + 1e-8), clipped: SB3's
    VecNormalize divides by sqrt(var + epsilon), so the stored variance is var + epsilon - 1e-8 and the normalised
    observation is SB3's exactly. Stored as floats and tensors only (torch.load(weights_only=True) loads it)."""
    import gymnasium as gym
    import stable_baselines3
    import torch.nn as nn
    from stable_baselines3.common.distributions import DiagGaussianDistribution
    from stable_baselines3.common.torch_layers import FlattenExtractor

    model = sb3_load(model_path)
    policy, algo = model.policy, type(model).__name__
    obs_space, act_space = model.observation_space, model.action_space
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        raise soft.UserError(f"{model_path} takes {obs_space} observations (image or dict observations): {SB3_SUPPORTED}")
    if not isinstance(act_space, gym.spaces.Box) or len(act_space.shape) != 1:
        raise soft.UserError(f"{model_path} acts in {act_space}: {SB3_SUPPORTED}")
    if policy.squash_output or not isinstance(policy.action_dist, DiagGaussianDistribution):
        raise soft.UserError(f"{model_path}'s policy is a {type(policy.action_dist).__name__}"
                             f"{' with squashed actions' if policy.squash_output else ''}: {SB3_SUPPORTED}")
    if not all(isinstance(f, FlattenExtractor) for f in (policy.features_extractor, policy.vf_features_extractor)):
        raise soft.UserError(f"{model_path} uses the features extractor {type(policy.features_extractor).__name__}: "
                             f"{SB3_SUPPORTED}")
    hidden, activation = sb3_layers(policy.mlp_extractor.policy_net, "policy")
    critic_hidden, critic_activation = sb3_layers(policy.mlp_extractor.value_net, "value")
    trained_on = sb3_env_id(model, model_path)

    def name(env):  # the env's namespace and name without the version: a Zoo agent of Walker2d-v3 serves Walker2d-v4
        try:
            return gym.envs.registration.parse_env_id(env.split(":")[-1])[:2]
        except gym.error.Error:
            return env

    if trained_on is not None and name(trained_on) != name(env_id):
        raise soft.UserError(f"{model_path} was trained on {trained_on}, not on --env-id {env_id}")
    env = soft.make_env(env_id)
    spaces_match = (env.observation_space.shape == obs_space.shape and env.action_space.shape == act_space.shape
                    and np.array_equal(env.action_space.low, act_space.low)
                    and np.array_equal(env.action_space.high, act_space.high))
    if not spaces_match:
        raise soft.UserError(f"{model_path} takes observations {obs_space.shape} and actions in {act_space}; {env_id} has "
                             f"{env.observation_space.shape} and {env.action_space}"
                             f"{f' (the model was trained on {trained_on})' if trained_on else ''}")
    if trained_on is None:
        print(f"note: {model_path} records no env id; its observation and action spaces match {env_id}'s")
    elif trained_on != env_id:
        print(f"note: {model_path} was trained on {trained_on}; converting it for {env_id} (same env, same spaces)")

    obs_dim, act_dim = obs_space.shape[0], act_space.shape[0]
    trained_with_stats = getattr(model, "_last_original_obs", None) is not None  # set only under VecNormalize
    if vecnormalize_path is None and trained_with_stats:
        raise soft.UserError(f"{model_path} was trained with VecNormalize: pass its statistics with --sb3-vecnormalize "
                             "STATS.pkl (the policy takes normalised observations)")
    if vecnormalize_path is not None and not trained_with_stats and getattr(model, "_last_obs", None) is not None:
        raise soft.UserError(f"{model_path} was trained without VecNormalize: drop --sb3-vecnormalize")
    stats = None if vecnormalize_path is None else sb3_vecnormalize_stats(vecnormalize_path, obs_dim)
    norm_obs = bool(stats is not None and stats.norm_obs)
    if norm_obs:
        var = np.asarray(stats.obs_rms.var, np.float64) + float(stats.epsilon) - OUR_OBS_EPSILON
        if (var < 0).any():  # only with an epsilon below 1e-8 and a variance below the difference
            raise soft.UserError(f"--sb3-vecnormalize {vecnormalize_path}: epsilon {stats.epsilon} with a variance of "
                                 f"{np.min(stats.obs_rms.var):.3g} cannot be represented (this project's epsilon is 1e-8)")
        obs_rms = {"mean": torch.tensor(np.asarray(stats.obs_rms.mean, np.float64)), "var": torch.tensor(var),
                   "count": float(stats.obs_rms.count)}
    else:  # no normalisation: the stored statistics are never used (args.norm_obs is False)
        obs_rms = {"mean": torch.zeros(obs_dim, dtype=torch.float64), "var": torch.ones(obs_dim, dtype=torch.float64),
                   "count": 0.0}

    def copied(modules):  # our Sequential layout: Linear, activation, ..., Linear (keys 0, 2, 4, ...)
        return {k: v.detach().clone().float() for k, v in nn.Sequential(*modules).state_dict().items()}

    def plain(value):  # hyper-parameters as plain types; a schedule as its value at the start of training
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (np.integer, np.floating, np.bool_)):
            return value.item()
        if callable(value):
            try:
                return float(value(1.0))
            except Exception:
                return repr(value)
        return repr(value)

    hyper = {k: plain(getattr(model, k, None)) for k in (
        "learning_rate", "n_steps", "batch_size", "n_epochs", "gamma", "gae_lambda", "clip_range", "clip_range_vf",
        "normalize_advantage", "ent_coef", "vf_coef", "max_grad_norm", "target_kl", "n_envs", "seed", "num_timesteps")}
    ckpt = {
        "format": 1, "algorithm": f"sb3_{algo.lower()}", "env_id": env_id,
        "obs_shape": [obs_dim], "action_shape": [act_dim],
        "actor": {"actor_mean": copied([*policy.mlp_extractor.policy_net, policy.action_net]),
                  "actor_logstd": policy.log_std.detach().clone().float().reshape(1, act_dim)},
        "obs_rms": obs_rms,
        "args": {"env_id": env_id, "seed": hyper["seed"], "total_timesteps": hyper["num_timesteps"],
                 "gamma": hyper["gamma"], "alpha": float(alpha),
                 "hidden_sizes": list(hidden), "activation": activation,
                 "log_std_init": float(policy.log_std_init), "ortho_init": bool(policy.ortho_init),
                 "norm_obs": norm_obs, "clip_obs": float(stats.clip_obs) if stats is not None else 10.0,
                 "norm_reward": bool(stats is not None and stats.norm_reward),
                 "clip_reward": float(stats.clip_reward) if stats is not None else 10.0,
                 "from_sb3": os.path.abspath(model_path),
                 "sb3_vecnormalize": None if vecnormalize_path is None else os.path.abspath(vecnormalize_path)},
        "alpha": float(alpha),  # Residual PPO's alpha_hat: SB3's PPO has no temperature (its ent_coef is below)
        "reward": "basic", "training_env_id": trained_on or env_id,
        "sb3": {"algorithm": algo, "trained_on": trained_on, "converted_with": stable_baselines3.__version__,
                "policy_kwargs": repr(model.policy_kwargs), "critic_hidden_sizes": list(critic_hidden),
                "hyperparameters": hyper,
                "vecnormalize": None if stats is None else {
                    "norm_obs": bool(stats.norm_obs), "norm_reward": bool(stats.norm_reward),
                    "clip_obs": float(stats.clip_obs), "clip_reward": float(stats.clip_reward),
                    "epsilon": float(stats.epsilon), "gamma": float(stats.gamma)}},
    }
    if (critic_hidden, critic_activation) == (hidden, activation):  # the loaders build one architecture for both
        ckpt["critic"] = copied([*policy.mlp_extractor.value_net, policy.value_net])
    env.close()
    return ckpt, nn.Sequential(*policy.mlp_extractor.value_net, policy.value_net).eval(), model, stats if norm_obs else None


def prior_from_sb3(model_path, env_id, vecnormalize_path=None, alpha=0.001):
    """sb3_checkpoint's checkpoint and critic, once the converted prior, loaded as Residual PPO loads it, is seen to act
    as SB3's policy does on the same raw observations (200 states of random actions): a one-line error otherwise."""
    ckpt, critic, model, stats = sb3_checkpoint(model_path, env_id, vecnormalize_path, alpha)
    policy, args = model.policy, ckpt["args"]
    hidden, activation, algo = args["hidden_sizes"], args["activation"], ckpt["sb3"]["algorithm"]
    env = soft.make_env(env_id)
    raw = [env.reset(seed=0)[0]]
    env.action_space.seed(0)
    for _ in range(199):
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        raw.append(env.reset()[0] if terminated or truncated else obs)
    env.close()
    raw = np.asarray(raw, np.float64)
    seen = stats.normalize_obs(raw) if stats is not None else raw.astype(np.float32)
    with torch.no_grad():
        expected = policy.get_distribution(torch.as_tensor(seen, dtype=torch.float32)).distribution.mean.numpy()
    try:
        prior = residual.Prior(ckpt)
        mean, logstd = prior.policy(prior.normalizer.obs(raw, update=False))
    except Exception as e:  # a network the loader does not build: one line, not a traceback
        raise soft.UserError(f"the converted prior ({algo}, hidden sizes {hidden}, {activation}) does not load as this "
                             f"project's prior ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    gap = float(np.max(np.abs(mean - expected)))
    if gap > 1e-4 * (1.0 + float(np.max(np.abs(expected)))) or not np.allclose(logstd, policy.log_std.detach().numpy()):
        raise soft.UserError(f"the converted prior does not act as the SB3 policy (largest gap in the mean action "
                             f"{gap:.3g}, hidden sizes {hidden}, {activation}): the loader builds another network")
    return ckpt, critic


def main_from_sb3(args):
    """`--from-sb3`: convert, measure and evaluate as a trained prior, write atomically; one-line errors."""
    env_id = args.env_id
    out = args.out or os.path.join(HERE, "priors", f"{env_id}.pt")
    try:
        if args.reward != "basic" or args.measure_only:
            raise soft.UserError("--from-sb3 converts a prior: --reward total and --measure-only do not apply")
        if os.path.exists(out) and not args.force:
            raise soft.UserError(f"{out} exists: pass --force to replace it, or --out to write elsewhere")
        if os.path.isdir(out):
            raise soft.UserError(f"--out {out} is a folder: give the checkpoint's file name")
        soft.make_env(env_id).close()  # a bad env id fails before SB3 is imported
        try:
            task = get_task(env_id, args.addon_task)
        except TaskError:
            if args.addon_task:
                raise
            task = None  # an env without add-on task: evaluated on its basic reward only
        ckpt, critic = prior_from_sb3(args.from_sb3, env_id, args.sb3_vecnormalize, args.alpha)
        if args.measure_steps:
            ckpt.update(measure_prior(ckpt, env_id, args.measure_steps, args.seed + 20_000, critic=critic))
        prior = residual.Prior(ckpt)
        ckpt["eval"] = soft.evaluate(prior.agent, prior.normalizer, env_id, args.eval_episodes, args.seed + 10_000)
        if task is not None and args.eval_episodes:
            for key, stochastic in (("eval_task", False), ("eval_task_stochastic", True)):
                ckpt[key] = evaluate_prior(ckpt, env_id, task, args.eval_episodes, args.seed + 10_000, stochastic)
        if os.path.exists(out) and not args.force:  # someone wrote it while we converted: keep theirs
            raise soft.UserError(f"{out} appeared while converting: pass --force to replace it, or --out")
        soft.save_checkpoint(out, ckpt)
    except (soft.UserError, residual.UserError, TaskError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted: no prior written (existing files untouched)", file=sys.stderr)
        sys.exit(130)
    if "advantage_temperature" in ckpt:
        print("measured: " + ", ".join(f"{k} {ckpt[k]:.4g}" for k in MEASURED))
    ev = ckpt.get("eval_task") or ckpt["eval"]
    keys = ("basic_return", "addon_return", "total_return", "addon_metric", "return")
    print(f"wrote {out} from {args.from_sb3}: eval over {ev['episodes']} episodes: " + ", ".join(
        f"{k} {ev[k + '_mean']:.4g} +/- {ev[k + '_std']:.3g}" for k in keys if ev.get(k + "_mean") is not None))


if __name__ == "__main__":
    main()
