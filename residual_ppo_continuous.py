# Residual PPO (Residual Policy Gradient, arXiv 2503.11019): customise a prior policy to an add-on reward r_R.
# Soft PPO on r_R + omega' * log pi_prior(a|s) - alpha_hat * log pi_theta(a|s); a diff of soft_ppo_continuous.py.
import copy
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, fields
from types import SimpleNamespace
from typing import Literal, Optional

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import tyro
from torch.utils.tensorboard import SummaryWriter

from addon_tasks import AddonRewardWrapper, TaskError, before_after_table, evaluate_on_task, get_task


@dataclass
class Args:
    exp_name: str = os.path.basename(__file__)[: -len(".py")]
    """the name of this experiment (part of the run name)"""
    seed: int = 1
    """seed of the experiment (torch, numpy and the envs)"""
    torch_deterministic: bool = True
    """if toggled, `torch.backends.cudnn.deterministic=True`"""
    cuda: bool = False
    """if toggled and CUDA is available, train on the GPU (64-64 MLPs run faster on the CPU, hence off)"""
    torch_threads: int = 1
    """torch intra-op threads; one is fastest for these tiny networks and lets runs share cores"""
    track: bool = False
    """if toggled, log to Weights & Biases (works with WANDB_MODE=offline)"""
    wandb_project_name: str = "residual-policy-gradient"
    """the wandb project name"""
    wandb_entity: Optional[str] = None
    """the entity (team) of the wandb project"""
    wandb_group: Optional[str] = None
    """the wandb group (the benchmark groups runs by algorithm and env)"""
    save_model: bool = False
    """if toggled, save a checkpoint to `{runs_dir}/{run_name}/agent.pt`"""
    capture_video: bool = False
    """if toggled, save the first evaluation episode as a GIF in `{runs_dir}/{run_name}/videos/`"""
    runs_dir: str = "runs"
    """folder that holds one sub-folder per run (TensorBoard events, summary.json, checkpoint)"""
    eval_episodes: int = 10
    """deterministic evaluation episodes at the end of the run (frozen normaliser)"""
    progress: bool = True
    """show a progress line with steps/s, recent return and ETA"""

    # Algorithm specific arguments
    env_id: str = "HalfCheetah-v4"
    """the id of the environment (any Gymnasium env with a Box action space)"""
    total_timesteps: Optional[int] = None
    """environment steps of fine-tuning (default: with the env's own add-on task, the budget the prior records, the
    fewest steps that kept 95% of a 1M-step run's gain (benchmark/choose_budget.py); otherwise 1M)"""
    learning_rate: float = 3e-4
    """the learning rate of the optimizer"""
    num_envs: int = 1
    """the number of parallel game environments"""
    num_steps: int = 2048
    """the number of steps to run in each environment per policy rollout"""
    anneal_lr: bool = True
    """Toggle learning rate annealing for policy and value networks"""
    gamma: float = 0.99
    """the discount factor gamma"""
    gae_lambda: float = 0.95
    """the lambda for the general advantage estimation"""
    num_minibatches: int = 32
    """the number of mini-batches"""
    update_epochs: int = 10
    """the K epochs to update the policy"""
    norm_adv: bool = True
    """Toggles advantages normalization"""
    clip_coef: float = 0.2
    """the surrogate clipping coefficient"""
    clip_vloss: bool = True
    """Toggles whether or not to use a clipped loss for the value function, as per the paper."""
    ent_coef: float = 0.0
    """coefficient of the entropy bonus in the actor loss (0 for Soft PPO: the reward already holds the entropy)"""
    prior_path: Optional[str] = None
    """prior checkpoint written by prior_train.py (default: priors/{env_id}.pt beside this file)"""
    addon_task: Optional[str] = None
    """add-on task as module:function (default: the env's task in addon_tasks.py)"""
    omega_prime: Optional[float] = None
    """weight of the prior term, in the prior's normalised basic-reward units (default: the value the prior's checkpoint
    records, else 0.03; docs/residual_ppo.md says how to choose it for a prior)"""
    alpha_hat: Optional[float] = None
    """temperature of the customised policy, normalised-reward units (default: the prior's alpha)"""
    prior_term: Optional[Literal["centred", "literal", "learner"]] = None
    """literal: omega' * log pi_prior (the paper); centred: omega' * (log pi_prior + H(pi_prior)), zero-mean under the
    prior, so it neither pays nor charges for staying alive; learner: omega' * (log pi_prior + CE), CE the prior's
    cross-entropy under pi_theta, zero-mean under the learner's actions (default: the form the prior records, else centred)"""
    entropy_term: Literal["centred", "literal"] = "centred"
    """literal: -alpha_hat * log pi_theta (the paper); centred: -alpha_hat * (log pi_theta + H(pi_theta)), zero-mean
    under the learner's own actions, so it neither pays nor charges for staying alive either"""
    addon_scale: Literal["prior", "running"] = "prior"
    """prior: r_R divided by the prior's basic-return std (measured by prior_train.py), the prior term's units;
    running: by r_R's own running return std (--norm-reward acts only here)"""
    kl_coef: Optional[float] = None
    """KL PPO: the reward r_R - kl_coef * log(pi_theta / pi_prior) exactly (omega' = alpha_hat = kl_coef, both terms literal)"""
    init_from_prior: bool = True
    """start the actor (--hidden-sizes and --activation too) and the observation normaliser (--norm-obs and --clip-obs
    too) from the prior; the critic always starts from scratch"""
    vf_coef: float = 0.5
    """coefficient of the value function"""
    max_grad_norm: float = 0.5
    """the maximum norm for the gradient clipping"""
    target_kl: Optional[float] = None
    """the target KL divergence threshold (stops an update's epochs early when exceeded)"""
    norm_obs: bool = True
    """normalise observations with running mean/std (as CleanRL's NormalizeObservation)"""
    norm_reward: bool = True
    """scale rewards by the running std of the discounted return (as CleanRL's NormalizeReward)"""
    clip_obs: float = 10.0
    """normalised observations are clipped to [-clip_obs, clip_obs]"""
    clip_reward: float = 10.0
    """normalised rewards are clipped to [-clip_reward, clip_reward]"""
    bootstrap_truncated: bool = True
    """on a time-limit truncation add gamma * V(final obs) to the reward (CleanRL treats it as a termination)"""
    hidden_sizes: tuple[int, ...] = (64, 64)
    """widths of the hidden layers of the actor's mean and of the critic (two networks of this shape)"""
    activation: Literal["tanh", "relu"] = "tanh"
    """the activation after each hidden layer"""
    log_std_init: float = 0.0
    """initial log-std of the policy, every action dimension"""
    ortho_init: bool = True
    """CleanRL's orthogonal initialisation (gain sqrt(2); last layers 0.01 for the actor, 1 for the critic; zero
    biases); off: torch's default initialisation"""

    # to be filled in runtime
    batch_size: int = 0
    """the batch size (computed in runtime)"""
    minibatch_size: int = 0
    """the mini-batch size (computed in runtime)"""
    num_iterations: int = 0
    """the number of iterations (computed in runtime)"""


class UserError(Exception):
    """Bad input: reported as one line on stderr and exit status 2, never a traceback."""


class Diverged(Exception):
    """Training produced nan or inf: reported as one line and exit status 1, and no checkpoint is written."""


def check_args(args):
    for field in fields(args):  # every float flag, Optional ones included: nan passes any range check below
        value = getattr(args, field.name)
        if isinstance(value, float) and not math.isfinite(value):
            raise UserError(f"--{field.name.replace('_', '-')} must be a finite number, got {value}")
    if not 0 <= args.seed < 2**32:
        raise UserError(f"--seed must lie in [0, 2**32), got {args.seed}")  # numpy's seeding range
    if args.num_envs <= 0 or args.num_steps <= 0:
        raise UserError("--num-envs and --num-steps must be positive")
    if any(n <= 0 for n in args.hidden_sizes):
        raise UserError(f"--hidden-sizes must be positive layer widths, got {' '.join(map(str, args.hidden_sizes))}")
    if args.num_minibatches <= 0 or args.update_epochs <= 0 or args.torch_threads <= 0 or args.eval_episodes < 0:
        raise UserError("--num-minibatches, --update-epochs and --torch-threads must be positive, --eval-episodes >= 0")
    args.batch_size = args.num_envs * args.num_steps
    if args.batch_size % args.num_minibatches:
        raise UserError(f"--num-minibatches {args.num_minibatches} does not divide the batch "
                        f"(num_envs * num_steps = {args.batch_size})")
    args.minibatch_size = args.batch_size // args.num_minibatches
    if args.norm_adv and args.minibatch_size < 2:
        raise UserError("--norm-adv needs minibatches of 2 or more samples (the std of one is nan): lower --num-minibatches")
    if args.total_timesteps is not None:  # else the prior's budget, checked once the prior is loaded
        set_iterations(args, f"--total-timesteps {args.total_timesteps}")
    if args.kl_coef is not None and (args.omega_prime is not None or args.alpha_hat is not None):
        raise UserError("--kl-coef sets --omega-prime and --alpha-hat itself: give either it or them")
    if args.kl_coef is not None:
        args.omega_prime = args.alpha_hat = args.kl_coef
        args.prior_term = args.entropy_term = "literal"
    for name in ("learning_rate", "clip_coef", "ent_coef", "omega_prime", "alpha_hat", "vf_coef",
                 "max_grad_norm", "clip_obs", "clip_reward"):
        if getattr(args, name) is not None and getattr(args, name) < 0:
            raise UserError(f"--{name.replace('_', '-')} must be non-negative, got {getattr(args, name)}")
    if not (0 <= args.gamma <= 1 and 0 <= args.gae_lambda <= 1):
        raise UserError("--gamma and --gae-lambda must lie in [0, 1]")
    if args.target_kl is not None and args.target_kl <= 0:  # would cut every update to one epoch
        raise UserError(f"--target-kl must be positive, got {args.target_kl}")


def set_iterations(args, source):
    """The number of iterations of `args.total_timesteps`; `source` names where the budget came from."""
    if not isinstance(args.total_timesteps, int) or args.total_timesteps < args.batch_size:
        raise UserError(f"{source} is less than one batch: the smallest valid value is {args.batch_size} "
                        "(--num-envs x --num-steps)")
    args.num_iterations = args.total_timesteps // args.batch_size


def make_env(env_id, task, **kwargs):
    try:
        env = AddonRewardWrapper(gym.make(env_id, **kwargs), task)  # the reward is r_R; info carries basic and add-on
    except gym.error.Error as e:
        raise UserError(f"cannot make env {env_id!r}: {e}") from None
    if not isinstance(env.action_space, gym.spaces.Box) or not isinstance(env.observation_space, gym.spaces.Box):
        raise UserError(f"{env_id} needs Box observation and action spaces, has {env.observation_space} and {env.action_space}")
    return env


class RunningMeanStd:
    """Running mean and variance (parallel-variance update), as in Gymnasium's normalisation wrappers."""

    def __init__(self, shape=()):
        self.mean, self.var, self.count = np.zeros(shape), np.ones(shape), 1e-4

    def update(self, x):
        # plain arithmetic instead of x.var(0): this runs every env step and numpy's var is slow on tiny arrays
        n = x.shape[0]
        if n == 1:  # one env (the default): the batch variance is 0, and the same update takes half the numpy calls
            delta, total = x[0] - self.mean, self.count + 1
            self.mean = self.mean + delta / total
            self.var = (self.var + delta**2 / total) * (self.count / total)
            self.count = total
            return
        batch_mean = x.sum(0) / n
        batch_var = ((x - batch_mean) ** 2).sum(0) / n
        delta, total = batch_mean - self.mean, self.count + n
        self.mean = self.mean + delta * n / total
        self.var = (self.var * self.count + batch_var * n + delta**2 * self.count * n / total) / total
        self.count = total


class Normalizer:
    """Observation and reward normalisation done here rather than by wrappers: it is the same maths as
    CleanRL's wrapper stack at a fraction of the per-step cost, and the statistics go into the checkpoint."""

    def __init__(self, obs_dim, num_envs, args):
        self.args, self.obs_rms, self.ret_rms = args, RunningMeanStd((obs_dim,)), RunningMeanStd()
        self.returns = np.zeros(num_envs)  # discounted return per env, whose std scales the reward

    def obs(self, raw, update=True):
        if not self.args.norm_obs:
            return raw.astype(np.float32)
        if update:
            self.obs_rms.update(raw)
        z = (raw - self.obs_rms.mean) / np.sqrt(self.obs_rms.var + 1e-8)
        return np.clip(z, -self.args.clip_obs, self.args.clip_obs).astype(np.float32)

    def reward(self, raw, done):
        if not self.args.norm_reward:
            return raw.astype(np.float32)
        self.returns = self.returns * self.args.gamma + raw
        self.ret_rms.update(self.returns)
        self.returns[done] = 0.0
        scaled = raw / np.sqrt(self.ret_rms.var + 1e-8)
        return np.clip(scaled, -self.args.clip_reward, self.args.clip_reward).astype(np.float32)


def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def gaussian_log_prob(action, mean, logstd):
    """log N(action; mean, exp(logstd)) summed over action dims; `action` is the *unclipped* sample."""
    return (-0.5 * ((action - mean) / logstd.exp()) ** 2 - logstd - LOG_SQRT_2PI).sum(-1)


def gaussian_entropy(logstd):
    """Entropy of the diagonal Gaussian with log-std `logstd`, summed over action dims (the mean does not enter)."""
    return (logstd + 0.5 + LOG_SQRT_2PI).sum(-1)


def numpy_forward(net):
    """The Linear/Tanh/ReLU stack `net` as a numpy function of the parameters' values now. Built once per rollout (the
    policy does not change during collection): a numpy matmul on one observation costs a few microseconds, a torch
    call on a 64-unit MLP ~30, almost all of it dispatch overhead."""
    ops = []
    for m in net:
        if isinstance(m, nn.Linear):
            w, b = m.weight.detach().cpu().numpy().T, m.bias.detach().cpu().numpy()
            ops.append(lambda x, w=w, b=b: x @ w + b)
        else:
            assert isinstance(m, (nn.Tanh, nn.ReLU)), f"numpy_forward knows Linear, Tanh and ReLU, not {m}"
            ops.append(np.tanh if isinstance(m, nn.Tanh) else lambda x: np.maximum(x, 0))

    def forward(x):
        for op in ops:
            x = op(x)
        return x
    return forward


def numpy_policy(agent):
    """The actor as a numpy function obs -> (mean, log-std) (see numpy_forward); the log-std is one vector for every state."""
    actor_mean, logstd = numpy_forward(agent.actor_mean), agent.actor_logstd.detach().cpu().numpy()[0]
    return lambda x: (actor_mean(x), logstd)


def mlp(sizes, activation, last_std, ortho_init):
    """Linear layers of widths `sizes`, the activation after each but the last; each layer is made and initialised
    in turn, so CleanRL's sizes and initialisation give CleanRL's initial weights."""
    layers = []
    for i in range(len(sizes) - 1):
        last, layer = i == len(sizes) - 2, nn.Linear(sizes[i], sizes[i + 1])
        layers.append(layer_init(layer, last_std if last else np.sqrt(2)) if ortho_init else layer)
        if not last:
            layers.append(nn.Tanh() if activation == "tanh" else nn.ReLU())
    return nn.Sequential(*layers)


def network(ckpt_args):
    """The hidden sizes and activation a checkpoint's args record (64 64 tanh in one written before they were)."""
    return tuple(ckpt_args.get("hidden_sizes", (64, 64))), ckpt_args.get("activation", "tanh")


class Agent(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden_sizes=(64, 64), activation="tanh", log_std_init=0.0, ortho_init=True):
        super().__init__()
        self.critic = mlp([obs_dim, *hidden_sizes, 1], activation, 1.0, ortho_init)
        self.actor_mean = mlp([obs_dim, *hidden_sizes, act_dim], activation, 0.01, ortho_init)
        self.actor_logstd = nn.Parameter(torch.full((1, act_dim), float(log_std_init)))

    def get_value(self, x):
        return self.critic(x).squeeze(-1)

    def get_log_prob_entropy(self, x, action):
        """log pi(action|x) per sample, and the policy entropy (averaged over the samples' states)."""
        mean = self.actor_mean(x)
        return gaussian_log_prob(action, mean, self.actor_logstd), gaussian_entropy(self.actor_logstd).mean()


class FlatAdam:
    """torch.optim.Adam (no weight decay) plus clip_grad_norm_, on one flat buffer of every parameter and one of every
    gradient: each minibatch is a handful of whole-buffer ops instead of per-tensor loops (the update is
    dispatch-bound), and torch.optim's first call, which imports torch._dynamo (~1 s of a short run), never happens.
    Whatever gives a parameter new storage (Module.to for a device move, a dtype round trip) cuts it off the buffers;
    zero_grad, which starts every minibatch, checks for that and binds the parameters again, Adam's moments carried along."""

    def __init__(self, params, lr, eps, betas=(0.9, 0.999)):
        self.params, self.m, self.v = list(params), None, None
        self.bind()
        self.lr, self.eps, self.betas, self.t = lr, eps, betas, 0

    def bind(self):
        """Each parameter and its gradient become views into flat buffers that start with their current values."""
        self.param = torch.cat([p.detach().reshape(-1) for p in self.params])
        self.grad = torch.cat([(torch.zeros_like(p) if p.grad is None else p.grad.detach()).reshape(-1) for p in self.params])
        self.m, self.v = (torch.zeros_like(self.param) if t is None else t.to(self.param) for t in (self.m, self.v))
        offset = 0
        for p in self.params:
            n = p.numel()
            p.data, p.grad = self.param[offset:offset + n].view_as(p), self.grad[offset:offset + n].view_as(p)
            offset += n
        self.bound = [(p, p.data_ptr(), p.grad.data_ptr()) for p in self.params]

    def zero_grad(self):
        if any(p.data_ptr() != d or p.grad is None or p.grad.data_ptr() != g for p, d, g in self.bound):
            self.bind()
        self.grad.zero_()  # backward accumulates into the views in place

    def clip_grad_norm_(self, max_norm):
        norm = torch.linalg.vector_norm(self.grad)
        self.grad.mul_(torch.clamp(max_norm / (norm + 1e-6), max=1.0))
        return norm

    def step(self):
        (beta1, beta2), self.t = self.betas, self.t + 1
        self.m.lerp_(self.grad, 1 - beta1)
        self.v.mul_(beta2).addcmul_(self.grad, self.grad, value=1 - beta2)
        denom = (self.v.sqrt() / math.sqrt(1 - beta2**self.t)).add_(self.eps)
        self.param.addcdiv_(self.m, denom, value=-self.lr / (1 - beta1**self.t))


def compute_gae(rewards, values, dones, next_value, gamma, gae_lambda):
    """GAE over a [T, N] rollout. dones[t] = 1 means the episode ended at step t, so step t+1 is a
    new episode's first step and nothing flows back across it. Returns (advantages, returns)."""
    advantages = np.zeros_like(rewards)
    lastgaelam = 0.0
    for t in reversed(range(rewards.shape[0])):
        nextvalues = next_value if t == rewards.shape[0] - 1 else values[t + 1]
        nextnonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * nextvalues * nextnonterminal - values[t]
        advantages[t] = lastgaelam = delta + gamma * gae_lambda * nextnonterminal * lastgaelam
    return advantages, advantages + values


def check_finite(iteration, step, **quantities):
    """Raises Diverged naming the first quantity (a tensor) that holds nan or inf."""
    for name, value in quantities.items():
        bad = value[~torch.isfinite(value)]
        if len(bad):
            raise Diverged(f"training diverged at iteration {iteration} (step {step}): the {name.replace('_', ' ')} became "
                           f"{bad[0].item()}; no checkpoint written (a smaller --learning-rate or reward scale may help)")


def save_checkpoint(path, payload):
    """Atomic write: a crash mid-save leaves the old file (if any) intact, never a half-written one."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    torch.save(payload, tmp)
    os.replace(tmp, path)


CHECKPOINT_KEYS = ("format", "algorithm", "env_id", "obs_shape", "action_shape", "actor", "obs_rms", "args")


def default_omega_prime(prior_ckpt):
    """The prior's calibrated omega' (benchmark/calibrate_omega.py writes it), else 0.03."""
    return float(prior_ckpt.get("omega_prime", 0.03))


def load_checkpoint(path):
    """Load and check a checkpoint (tensors and plain types only). Raises UserError with one line."""
    if not os.path.isfile(path):
        raise UserError(f"checkpoint {path} does not exist")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise UserError(f"checkpoint {path} is corrupt or not a checkpoint of this project ({type(e).__name__})") from None
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise UserError(f"checkpoint {path} lacks {', '.join(missing)}")
    # the loaded weights and statistics only: other entries (evaluations) may hold a legitimate nan
    bad = nonfinite({k: v for k, v in ckpt.items() if k in ("actor", "critic", "obs_rms", "alpha")})
    if bad:
        raise UserError(f"checkpoint {path} holds nan or inf (in {', '.join(bad[:3])}): it comes from a diverged run")
    if "actor_logstd_net" in ckpt["actor"]:  # the --state-dependent-std option, removed: it measured no benefit
        raise UserError(f"checkpoint {path} has a state-dependent std, which this version no longer supports")
    return ckpt


def nonfinite(tree, prefix=""):
    """Names of the tensors and floats in a nested dict that hold nan or inf."""
    names = []
    for key, value in tree.items():
        if isinstance(value, dict):
            names += nonfinite(value, f"{prefix}{key}.")
        elif (isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all()) or (
                isinstance(value, float) and not math.isfinite(value)):
            names.append(f"{prefix}{key}")
    return names


def agent_from_checkpoint(ckpt):
    agent = Agent(int(np.prod(ckpt["obs_shape"])), int(np.prod(ckpt["action_shape"])), *network(ckpt["args"]))
    agent.actor_mean.load_state_dict(ckpt["actor"]["actor_mean"])
    agent.actor_logstd.data.copy_(ckpt["actor"]["actor_logstd"])
    return agent


class Prior:
    """The frozen prior pi_prior: its own actor and its own frozen normaliser, fed raw observations."""

    def __init__(self, ckpt):
        self.agent = agent_from_checkpoint(ckpt)
        self.normalizer = Normalizer(int(np.prod(ckpt["obs_shape"])), 1, SimpleNamespace(**ckpt["args"]))
        rms, saved = self.normalizer.obs_rms, ckpt["obs_rms"]
        rms.mean, rms.var, rms.count = saved["mean"].double().numpy(), saved["var"].double().numpy(), saved["count"]
        self.basic_return_scale = ckpt.get("basic_return_scale")  # written by prior_train.py's measurement
        # frozen, so built once: in numpy the prior costs each step about what the actor's numpy forward does
        self.policy = numpy_policy(self.agent)
        self.entropy = float(gaussian_entropy(self.agent.actor_logstd.detach()))  # H(pi_prior(.|s)): the same for every s

    def log_prob_entropy(self, raw_obs, action, learner=None):
        """log pi_prior(action|obs) per row (`action`: the unclipped sample) and H(pi_prior), the same for every row;
        with `learner`, pi_theta's (mean, logstd) per row, the cross-entropy E_theta[-log pi_prior] per row in place of H."""
        mean, logstd = self.policy(self.normalizer.obs(raw_obs, update=False))
        z = (action - mean) / np.exp(logstd)
        entropy = self.entropy if learner is None else (  # Gaussians in closed form
            logstd + LOG_SQRT_2PI + 0.5 * (np.exp(2 * learner[1]) + (learner[0] - mean) ** 2) * np.exp(-2 * logstd)).sum(-1)
        return -0.5 * (z**2).sum(-1) - logstd.sum(-1) - mean.shape[-1] * LOG_SQRT_2PI, entropy

    def log_prob(self, raw_obs, action):
        return self.log_prob_entropy(raw_obs, action)[0]


def load_prior(path, env_id, obs_shape, action_shape):
    if not os.path.isfile(path):
        raise UserError(f"no prior at {path}: train one with `python prior_train.py --env-id {env_id}`")
    ckpt = load_checkpoint(path)
    if (ckpt["env_id"], list(ckpt["obs_shape"]), list(ckpt["action_shape"])) != (env_id, list(obs_shape), list(action_shape)):
        raise UserError(f"prior {path} is for {ckpt['env_id']} (obs/action shapes {ckpt['obs_shape']}/{ckpt['action_shape']}), "
                        f"not {env_id} ({list(obs_shape)}/{list(action_shape)})")
    return ckpt


@torch.inference_mode()
def evaluate(agent, normalizer, env_id, episodes, seed, task, video_path=None, stochastic=False):
    """Deterministic policy (the Gaussian mean) or, with `stochastic`, sampled actions (the policy a max-entropy
    objective optimises), clipped to the bounds, frozen normaliser, fresh env; the episodes' returns and lengths; with
    video_path, the first episode as a GIF."""
    env = make_video_env(env_id, task) if video_path else make_env(env_id, task)
    low, high, frames, every = env.action_space.low, env.action_space.high, [] if video_path else None, frame_every(env)
    rng, policy = np.random.default_rng(seed), numpy_policy(agent)

    def act(obs):
        mean, logstd = policy(normalizer.obs(obs[None], update=False))
        noise = rng.standard_normal(mean.shape[-1], dtype=np.float32)
        return np.clip((mean + stochastic * np.exp(logstd) * noise)[0], low, high)

    result = evaluate_on_task(act, env, episodes, seed, frames, every)
    if frames:
        save_gif(frames, video_path, env.metadata.get("render_fps", 30) / every)
    env.close()
    return result


def make_video_env(*make_args):
    """--capture-video: an rgb_array env; on MuJoCo, small frames (fast) from camera 0, which follows the body."""
    env = make_env(*make_args, render_mode="rgb_array")
    renderer = getattr(env.unwrapped, "mujoco_renderer", None)
    if renderer is not None:
        renderer.width = renderer.height = 240
        if env.unwrapped.model.ncam > 0:
            renderer.camera_id = 0
    return env


def frame_every(env, max_fps=25):
    """Render every n-th step only: a GIF plays at most max_fps, and rendering is the slow part."""
    return max(1, round(env.metadata.get("render_fps", 30) / max_fps))


def save_gif(frames, path, fps, max_frames=250):
    """Frames (already at most 25 fps) cut at max_frames (10 s or more), so a GIF stays small."""
    import imageio.v3 as iio  # imported here: only --capture-video needs it

    os.makedirs(os.path.dirname(path), exist_ok=True)
    iio.imwrite(path, frames[:max_frames], duration=1000 / fps, loop=0)


class Progress:
    """One updating line on a terminal; on a pipe or file, a line every 10% so logs stay short."""

    def __init__(self, total, enabled):
        self.total, self.enabled, self.tty = total, enabled, sys.stderr.isatty()
        self.start, self.last_print, self.next_tenth, self.last_step = time.time(), 0.0, 1, -1

    def update(self, step, recent, force=False):
        """`recent`: {name: mean over the recent episodes}, e.g. {"return": 1234.5}; empty before the first one."""
        now = time.time()
        if not self.enabled or step == self.last_step or (self.tty and now - self.last_print < 0.5 and not force):
            return
        if not self.tty and step < self.next_tenth * self.total / 10 and not force:
            return
        self.last_print, self.next_tenth, self.last_step = now, int(10 * step / self.total) + 1, step
        sps = step / max(now - self.start, 1e-9)
        eta = (self.total - step) / max(sps, 1e-9)
        stats = "".join(f"{name} {value:8.1f}  " for name, value in recent.items()) or "return n/a  "
        line = f"step {step:>9,}/{self.total:,} ({step / self.total:6.1%}) {sps:6.0f} steps/s  {stats}ETA {eta / 60:.1f} min"
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self):
        if self.enabled and self.tty:
            print(file=sys.stderr)


def git_commit():
    """The commit this file runs from, with "+dirty" if the file differs from it (None outside a git checkout)."""
    try:
        here, run = os.path.dirname(os.path.abspath(__file__)), dict(capture_output=True, text=True, timeout=5)
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, **run).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", os.path.abspath(__file__)], cwd=here, **run).stdout.strip()
        return (head + ("+dirty" if dirty else "")) or None
    except Exception:
        return None


def train(args, inspect=None):
    """Runs one experiment; returns its summary dict (also written to `{run_dir}/summary.json`).
    `inspect`, if given, is called with each finished rollout (buffers and agent): the tests use it."""
    check_args(args)
    commit = git_commit()  # at the start: the code that ran, not whatever is checked out when it ends
    if args.capture_video and sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        os.environ.setdefault("MUJOCO_GL", "egl")  # headless Linux: MuJoCo renders off-screen through EGL
    task = get_task(args.env_id, args.addon_task)
    envs = [make_env(args.env_id, task) for _ in range(args.num_envs)]
    args.prior_path = args.prior_path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "priors", f"{args.env_id}.pt")
    prior_ckpt = load_prior(args.prior_path, args.env_id, envs[0].observation_space.shape, envs[0].action_space.shape)
    if args.alpha_hat is None and "alpha" not in prior_ckpt:
        raise UserError(f"prior {args.prior_path} records no alpha: pass --alpha-hat")
    args.alpha_hat = prior_ckpt["alpha"] if args.alpha_hat is None else args.alpha_hat  # RQL: the prior's temperature
    if args.omega_prime is None:
        args.omega_prime = default_omega_prime(prior_ckpt)
        if not (math.isfinite(args.omega_prime) and args.omega_prime >= 0):
            raise UserError(f"prior {args.prior_path} records omega_prime {args.omega_prime}: pass --omega-prime")
    if args.total_timesteps is None:  # measured on the env's own task: says nothing of how fast another one converges
        args.total_timesteps = prior_ckpt.get("total_timesteps", 1_000_000) if args.addon_task is None else 1_000_000
        set_iterations(args, f"the budget prior {args.prior_path} records (total_timesteps {args.total_timesteps})")
    if args.prior_term is None:
        args.prior_term = prior_ckpt.get("prior_term", "centred")
        if args.prior_term not in ("centred", "literal", "learner"):
            raise UserError(f"prior {args.prior_path} records prior_term {args.prior_term!r}: pass --prior-term")
    measured_at = prior_ckpt.get("measure_gamma", 0.99) if "basic_return_scale" in prior_ckpt else None
    if args.addon_scale == "prior" and measured_at != args.gamma:  # r_R's scale: the prior's return std at this gamma
        has = "none" if measured_at is None else f"one at {measured_at}"
        raise UserError(f"prior {args.prior_path} has no basic-return scale measured at --gamma {args.gamma} (it has {has}): "
                        f"`cp {args.prior_path} my_prior.pt && python prior_train.py --env-id {args.env_id} --out my_prior.pt "
                        f"--measure-only --gamma {args.gamma}` measures a copy to pass as --prior-path")
    if args.init_from_prior:  # the learner is the prior's network and sees the observations as the prior did
        args.norm_obs, args.clip_obs = prior_ckpt["args"]["norm_obs"], prior_ckpt["args"]["clip_obs"]
        args.hidden_sizes, args.activation = network(prior_ckpt["args"])
    obs_dim = int(np.prod(envs[0].observation_space.shape))
    act_dim = int(np.prod(envs[0].action_space.shape))
    run_name = f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}"
    run_dir = os.path.join(args.runs_dir, run_name)
    if args.track:
        import wandb

        wandb.init(project=args.wandb_project_name, entity=args.wandb_entity, group=args.wandb_group,
                   sync_tensorboard=True, config=vars(args), name=run_name, save_code=True)
    writer = SummaryWriter(run_dir)
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n%s" % "\n".join(f"|{k}|{v}|" for k, v in vars(args).items()))

    # seeding: python, numpy (action noise, minibatch order), torch (init), envs
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = args.torch_deterministic
    torch.set_num_threads(args.torch_threads)
    rng = np.random.default_rng(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() and args.cuda else "cpu")

    agent = Agent(obs_dim, act_dim, args.hidden_sizes, args.activation, args.log_std_init, args.ortho_init).to(device)
    # torch.optim.Adam's maths on flat buffers: far fewer ops per minibatch (the update is dispatch-bound)
    optimizer = FlatAdam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    normalizer = Normalizer(obs_dim, args.num_envs, args)

    def evaluate_both(step, video):
        """Deterministic and stochastic evaluation (summary keys eval... and eval..._stochastic), logged at `step`."""
        results = {}
        for suffix, stochastic in (("", False), ("_stochastic", True)):
            results[suffix] = r = evaluate(agent, normalizer, args.env_id, args.eval_episodes, args.seed + 10_000,
                                           task, video if args.capture_video and not stochastic else None, stochastic)
            if r["episodes"]:
                for key in ("basic_return", "addon_return", "total_return", "addon_metric", "length"):
                    writer.add_scalar(f"eval{suffix}/{key}", r[f"{key}_mean"], step)
        return results[""], results["_stochastic"]

    prior = Prior(prior_ckpt)
    if args.init_from_prior:  # actor and observation normaliser start as the prior's; the critic from scratch
        agent.actor_mean.load_state_dict(prior.agent.actor_mean.state_dict())
        agent.actor_logstd.data.copy_(prior.agent.actor_logstd.data)
        normalizer.obs_rms = copy.deepcopy(prior.normalizer.obs_rms)
    # evaluate before the first update, so every run shows where it started (the prior, by default)
    eval_initial, eval_initial_stochastic = evaluate_both(0, os.path.join(run_dir, "videos", "initial.gif"))
    low, high = envs[0].action_space.low, envs[0].action_space.high

    # Rollout storage, [num_steps, num_envs, ...]. dones[t] = 1 marks the *last* step of an episode.
    obs = np.zeros((args.num_steps, args.num_envs, obs_dim), dtype=np.float32)
    actions = np.zeros((args.num_steps, args.num_envs, act_dim), dtype=np.float32)
    logprobs = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)
    prior_logprobs = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)
    rewards = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)
    dones = np.zeros((args.num_steps, args.num_envs), dtype=np.float32)

    global_step, start_time, recent_returns, recent_task = 0, time.time(), [], []

    def recent_means():  # the last 20 training episodes: basic and add-on returns, length (progress and summary)
        return dict(zip(("basic", "add-on", "length"), np.mean(recent_task, 0).tolist(), strict=True)) if recent_task else {}

    raw_obs = np.stack([env.reset(seed=args.seed + i)[0] for i, env in enumerate(envs)]).reshape(args.num_envs, -1)
    for i, env in enumerate(envs):
        env.action_space.seed(args.seed + i)
    next_obs = normalizer.obs(raw_obs)
    ep_return, ep_length = np.zeros(args.num_envs), np.zeros(args.num_envs, dtype=np.int64)
    ep_soft_return = np.zeros(args.num_envs)  # sum of the soft rewards the learner sees (normalised units)
    ep_task = np.zeros((args.num_envs, 3))  # basic return, add-on return, add-on metric sum
    progress = Progress(args.num_iterations * args.batch_size, args.progress)

    for iteration in range(1, args.num_iterations + 1):
        if args.anneal_lr:
            frac = 1.0 - (iteration - 1.0) / args.num_iterations
            optimizer.lr = frac * args.learning_rate

        with torch.inference_mode():
            policy = numpy_policy(agent)
            for step in range(args.num_steps):
                global_step += args.num_envs
                obs[step] = next_obs
                mean, logstd = policy(next_obs)
                # a = mean + std * eps, so the log-prob of the (unclipped) sample is a function of eps and std alone
                noise = rng.standard_normal((args.num_envs, act_dim), dtype=np.float32)
                actions[step] = mean + np.exp(logstd) * noise
                logprobs[step] = -0.5 * (noise**2).sum(-1) - logstd.sum(-1) - act_dim * LOG_SQRT_2PI
                prior_logprobs[step], prior_entropy = prior.log_prob_entropy(  # unclipped, raw obs; CE for `learner`
                    raw_obs, actions[step], (mean, logstd) if args.prior_term == "learner" else None)

                # Step every env; the env sees the action clipped to its bounds, the buffer keeps the sample.
                # Same-step auto-reset: an ended episode is reset *now*, so the next stored obs is the new
                # episode's first one and no transition from a terminal obs to a reset obs is ever stored.
                reward, done = np.zeros(args.num_envs), np.zeros(args.num_envs, dtype=bool)
                bootstrap_obs = {}
                for i, env in enumerate(envs):
                    o, r, terminated, truncated, info = env.step(np.clip(actions[step, i], low, high))
                    ep_task[i] += (info["basic_reward"], info["addon_reward"], info["addon_metric"])
                    reward[i], done[i] = r, terminated or truncated
                    ep_return[i] += r
                    ep_length[i] += 1
                    if done[i]:
                        if truncated and not terminated and args.bootstrap_truncated:
                            bootstrap_obs[i] = np.asarray(o).reshape(-1)
                        recent_returns = (recent_returns + [ep_return[i]])[-20:]
                        recent_task = (recent_task + [(*ep_task[i, :2], ep_length[i])])[-20:]
                        writer.add_scalar("charts/episodic_return", ep_return[i], global_step)
                        writer.add_scalar("charts/episodic_length", ep_length[i], global_step)
                        writer.add_scalar("charts/episodic_basic_return", ep_task[i, 0], global_step)
                        writer.add_scalar("charts/episodic_addon_return", ep_task[i, 1], global_step)
                        writer.add_scalar("charts/episodic_total_return", ep_task[i, :2].sum(), global_step)
                        writer.add_scalar("charts/episodic_addon_metric", ep_task[i, 2] / ep_length[i], global_step)
                        ep_return[i], ep_length[i], ep_task[i] = 0.0, 0, 0.0
                        o, _ = env.reset()
                    raw_obs[i] = np.asarray(o).reshape(-1)
                # Soft Policy Gradient: the entropy enters through the reward, after normalisation, using the
                # log-prob stored at collection time (a constant for the gradient), so GAE and critic see it.
                # Residual: r_R + omega' log pi_prior - alpha_hat log pi_theta; a centred term adds its entropy back, so
                # that it neither pays nor charges for each step survived (docs/residual_ppo.md).
                addon = (normalizer.reward(reward, done) if args.addon_scale == "running" else
                         np.clip(reward / prior.basic_return_scale, -args.clip_reward, args.clip_reward))
                prior_offset = 0.0 if args.prior_term == "literal" else prior_entropy  # H(pi_prior(.|s)), or CE
                entropy_offset = 0.0 if args.entropy_term == "literal" else gaussian_entropy(logstd)  # H(pi_theta(.|s))
                rewards[step] = (addon + args.omega_prime * (prior_logprobs[step] + prior_offset)
                                 - args.alpha_hat * (logprobs[step] + entropy_offset))
                ep_soft_return += rewards[step]
                for i in np.flatnonzero(done):
                    writer.add_scalar("charts/episodic_soft_return", ep_soft_return[i], global_step)
                    ep_soft_return[i] = 0.0
                dones[step] = done
                for i, o in bootstrap_obs.items():
                    # The episode was cut by the time limit, not ended by the MDP: its value carries on.
                    final = torch.from_numpy(normalizer.obs(o[None], update=False)).to(device)
                    rewards[step, i] += args.gamma * agent.get_value(final).item()
                next_obs = normalizer.obs(raw_obs)
            progress.update(global_step, recent_means())

            # Values of the whole rollout in one batched pass (the critic does not change during collection).
            values = agent.get_value(torch.from_numpy(obs).to(device)).cpu().numpy()
            next_value = agent.get_value(torch.from_numpy(next_obs).to(device)).cpu().numpy()
        advantages, returns = compute_gae(rewards, values, dones, next_value, args.gamma, args.gae_lambda)
        if inspect is not None:
            inspect(dict(obs=obs, actions=actions, logprobs=logprobs, rewards=rewards, dones=dones, values=values,
                         advantages=advantages, agent=agent, normalizer=normalizer, prior_logprobs=prior_logprobs))

        # flatten the batch
        b_obs = torch.from_numpy(obs.reshape(-1, obs_dim)).to(device)
        b_logprobs = torch.from_numpy(logprobs.reshape(-1)).to(device)
        b_actions = torch.from_numpy(actions.reshape(-1, act_dim)).to(device)
        b_advantages = torch.from_numpy(advantages.reshape(-1)).to(device)
        b_returns = torch.from_numpy(returns.reshape(-1)).to(device)
        b_values = torch.from_numpy(values.reshape(-1)).to(device)

        # Optimizing the policy and value network
        logratios, losses, grad_norms = [], [], []
        for epoch in range(args.update_epochs):
            # Shuffle by one gather per epoch; each minibatch is then a slice (a view): the same minibatches as
            # indexing with b_inds[start:end], with a dozen fewer ops each (the update is dispatch-bound).
            b_inds = torch.from_numpy(rng.permutation(args.batch_size)).to(device)
            e_obs, e_actions, e_logprobs, e_advantages, e_returns, e_values = (
                t[b_inds] for t in (b_obs, b_actions, b_logprobs, b_advantages, b_returns, b_values))
            if args.norm_adv:  # each minibatch's advantages by its own mean and std, all minibatches in one go
                e_advantages = e_advantages.view(args.num_minibatches, -1)
                e_advantages = (e_advantages - e_advantages.mean(1, keepdim=True)) / (e_advantages.std(1, keepdim=True) + 1e-8)
                e_advantages = e_advantages.view(-1)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb = slice(start, start + args.minibatch_size)
                newlogprob, entropy = agent.get_log_prob_entropy(e_obs[mb], e_actions[mb])
                newvalue = agent.get_value(e_obs[mb])
                logratio = newlogprob - e_logprobs[mb]
                ratio = logratio.exp()
                logratios.append(logratio.detach())  # KL and clip-fraction statistics: computed once, below

                mb_advantages = e_advantages[mb]

                # Policy loss
                pg_loss1 = -mb_advantages * ratio
                pg_loss2 = -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)
                pg_loss = torch.max(pg_loss1, pg_loss2).mean()

                # Value loss
                if args.clip_vloss:
                    v_loss_unclipped = (newvalue - e_returns[mb]) ** 2
                    v_clipped = e_values[mb] + torch.clamp(newvalue - e_values[mb], -args.clip_coef, args.clip_coef)
                    v_loss_clipped = (v_clipped - e_returns[mb]) ** 2
                    v_loss = 0.5 * torch.max(v_loss_unclipped, v_loss_clipped).mean()
                else:
                    v_loss = 0.5 * ((newvalue - e_returns[mb]) ** 2).mean()

                loss = pg_loss - args.ent_coef * entropy + v_loss * args.vf_coef

                optimizer.zero_grad()
                loss.backward()
                grad_norms.append(optimizer.clip_grad_norm_(args.max_grad_norm))
                losses.append(loss.detach())
                optimizer.step()

            # approx_kl of the epoch's last minibatch, as CleanRL: http://joschu.net/blog/kl-approx.html
            approx_kl = ((logratios[-1].exp() - 1) - logratios[-1]).mean()
            if args.target_kl is not None and approx_kl > args.target_kl:
                break
        # checked once per iteration, not per minibatch (each check syncs): a diverged run stops here, unsaved
        check_finite(iteration, global_step, loss=torch.stack(losses), gradient_norm=torch.stack(grad_norms),
                     parameters=optimizer.param)

        y_pred, y_true = values.reshape(-1), returns.reshape(-1)
        var_y = np.var(y_true)
        explained_var = np.nan if var_y == 0 else 1 - np.var(y_true - y_pred) / var_y

        writer.add_scalar("charts/learning_rate", optimizer.lr, global_step)
        writer.add_scalar("losses/value_loss", v_loss.item(), global_step)
        writer.add_scalar("losses/policy_loss", pg_loss.item(), global_step)
        writer.add_scalar("losses/entropy", entropy.item(), global_step)
        writer.add_scalar("losses/old_approx_kl", (-logratios[-1]).mean().item(), global_step)
        writer.add_scalar("losses/approx_kl", approx_kl.item(), global_step)
        clipfrac = ((torch.cat(logratios).exp() - 1.0).abs() > args.clip_coef).float().mean()  # over all minibatches
        writer.add_scalar("losses/clipfrac", clipfrac.item(), global_step)
        writer.add_scalar("losses/explained_variance", explained_var, global_step)
        writer.add_scalar("charts/mean_logprob", logprobs.mean(), global_step)
        writer.add_scalar("charts/mean_prior_logprob", prior_logprobs.mean(), global_step)
        writer.add_scalar("charts/kl_to_prior", (logprobs - prior_logprobs).mean(), global_step)  # on the rollout's samples
        writer.add_scalar("charts/SPS", int(global_step / (time.time() - start_time)), global_step)
    progress.update(global_step, recent_means(), force=True)
    progress.close()
    train_time = time.time() - start_time

    agent.cpu()  # training is over: evaluate and save from the CPU (FlatAdam would follow the move anyway)
    eval_result, eval_stochastic = evaluate_both(global_step, os.path.join(run_dir, "videos", "final.gif"))
    summary = {
        "algorithm": args.exp_name, "env_id": args.env_id, "seed": args.seed, "run_name": run_name,
        "global_step": global_step, "train_time_s": train_time, "sps": global_step / train_time,
        "train_return_last20": float(np.mean(recent_returns)) if recent_returns else None,
        "eval": eval_result, "eval_stochastic": eval_stochastic, "commit": commit, "args": asdict(args),
        "eval_initial": eval_initial, "eval_initial_stochastic": eval_initial_stochastic, "train_last20": recent_means(),
        "task": task.name, "metric_name": task.metric_name,
    }
    if args.save_model:
        summary["checkpoint"] = os.path.join(run_dir, "agent.pt")
        save_checkpoint(summary["checkpoint"], {
            "format": 1, "algorithm": args.exp_name, "env_id": args.env_id,
            "obs_shape": list(envs[0].observation_space.shape), "action_shape": list(envs[0].action_space.shape),
            "actor": {"actor_mean": agent.actor_mean.state_dict(), "actor_logstd": agent.actor_logstd.detach().clone()},
            "critic": agent.critic.state_dict(),
            "obs_rms": {"mean": torch.from_numpy(normalizer.obs_rms.mean), "var": torch.from_numpy(normalizer.obs_rms.var),
                        "count": float(normalizer.obs_rms.count)},
            "args": asdict(args), "eval": eval_result, "alpha": args.alpha_hat,
        })
    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    for env in envs:
        env.close()
    writer.close()
    if args.track:
        wandb.finish()
    return summary


def main(argv=None):
    args = tyro.cli(Args, args=argv)
    try:
        summary = train(args)
    except (UserError, TaskError) as e:  # TaskError: the add-on task failed (user code), named in one line
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    except (Diverged, OSError) as e:  # OSError: a --runs-dir that is a file, a full disk: one line, not a traceback
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing saved for this run (existing files untouched)", file=sys.stderr)
        sys.exit(130)
    print(f"{summary['run_name']}: {summary['global_step']:,} steps in {summary['train_time_s'] / 60:.1f} min "
          f"({summary['sps']:.0f} steps/s)")
    if summary["eval"]["episodes"]:
        table = before_after_table(summary)  # its "prior (before)" is a fresh policy under --no-init-from-prior
        print(table if args.init_from_prior else table.replace("prior (before)", "fresh policy (before)", 1))


if __name__ == "__main__":
    main()
