"""Add-on tasks for policy customization (SPEC section 2): the extra reward r_R a user adds to a prior.

Each task computes, from one env step, an add-on reward and an add-on metric. Tasks are keyed by the env's
name without version, so one entry serves both `-v4` and `-v5` ids (the observation indices used here are the
same in both; tests/test_addon_tasks.py checks them).

The contract. A task's reward and its metric are each a function of either
  * `f(next_obs)`: the observation the step returned (what the shipped tasks use), or
  * `f(obs, action, next_obs, info)`: the whole transition: the observation before the step, the action as the
    env received it (clipped to the action space's bounds), the observation after it, and the env's own `info`
    dict of that step (Gymnasium's MuJoCo envs report `x_velocity`, the control cost and more there).
Which form is read once from the function's signature when the task is made: one required positional argument
is the first form, four (or only `*args`) the second; any other signature is refused then, in one line (TaskError). A reward or
metric must return one finite number: anything else, or an exception, stops the run (TaskFailed, one line).
An episode's metric is the mean of the per-step metric over its steps.

Add your own task without touching an algorithm file, either way:
  * registry entry: `addon_tasks.TASKS["Swimmer"] = AddonTask(...)` in a module you import, or
  * command line: `--addon-task my_module:my_function`, where `my_function` is the add-on reward (its metric is
    then the mean add-on reward per step) or an `AddonTask`, e.g. `--addon-task addon_tasks:halfcheetah_energy`.
"""
import importlib
import inspect
import math
import numbers
import os
import reprlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

import gymnasium as gym
import numpy as np


class TaskError(ValueError):
    """No task for this env, a `module:function` that cannot be loaded, or a function of the wrong signature."""


class TaskFailed(TaskError):
    """The task's code raised or returned something other than a finite number, during a step."""


def transition_arity(fn, task_name: str, what: str) -> int:
    """1 if `fn` is f(next_obs), 4 if it is f(obs, action, next_obs, info), read from its signature; anything
    else is a TaskError naming the task and the signature."""
    if not callable(fn):
        raise TaskError(f"add-on task {task_name!r}: its {what} is {reprlib.repr(fn)}, not a function")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a readable signature: called with next_obs, as always
        return 1
    params = signature.parameters.values()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = sum(p.default is p.empty for p in positional)
    most = math.inf if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional)
    keyword_only = any(p.kind is p.KEYWORD_ONLY and p.default is p.empty for p in params)
    if not keyword_only:
        if required == 4 or (required == 0 and most >= 4):
            return 4
        if required <= 1 <= most:
            return 1
    raise TaskError(f"add-on task {task_name!r}: its {what} takes {signature}; it must take (next_obs) "
                    "or (obs, action, next_obs, info)")


@dataclass(frozen=True)
class AddonTask:
    name: str
    """short name of the task"""
    reward: Callable[..., float]
    """add-on reward r_R of the step: f(next_obs) or f(obs, action, next_obs, info) (the module's docstring)"""
    metric: Callable[..., float]
    """per-step add-on metric, same two forms; an episode's metric is its mean over the episode's steps"""
    metric_name: str
    """what the metric measures, for tables"""
    arity: dict = field(init=False, repr=False, compare=False)
    """reward and metric -> 1 or 4 arguments, read from their signatures once, when the task is made"""

    def __post_init__(self):
        object.__setattr__(self, "arity", {what: transition_arity(getattr(self, what), self.name, what)
                                           for what in ("reward", "metric")})

    def compute(self, what: str, obs, action, next_obs, info):
        """The task's `what` ("reward" or "metric") of one transition, called in the function's own form."""
        fn = getattr(self, what)
        return fn(obs, action, next_obs, info) if self.arity[what] == 4 else fn(next_obs)


TASKS = {
    "HalfCheetah": AddonTask("stiff front foot", lambda o: -10.0 * abs(o[7]), lambda o: abs(o[7]),
                             "mean |front foot angle|"),
    "Hopper": AddonTask("hop higher", lambda o: 10.0 * (o[0] - 1.0), lambda o: o[0], "mean torso height"),
    "Ant": AddonTask("drift toward -y", lambda o: -o[14], lambda o: -o[14], "mean -y velocity"),
    "Walker2d": AddonTask("walk upright", lambda o: -10.0 * abs(o[1]), lambda o: abs(o[1]), "mean |torso pitch|"),
}

# Two tasks of the transition, passed as `--addon-task addon_tasks:halfcheetah_energy` (or `:halfcheetah_target_speed`).
# The shipped HalfCheetah prior runs at ~5 m/s with a mean squared action of ~0.75.

def energy_penalty(obs, action, next_obs, info):
    """Save energy: a penalty on the squared action with HalfCheetah's own control-cost weight, so the add-on doubles
    the cost the basic reward already charges (about -0.45 a step under the shipped prior). Five times that weight
    makes standing still the best the add-on alone can do, and every method stops running
    (docs/research/addon_examples.md)."""
    return -0.1 * float(np.sum(np.square(action)))


def mean_squared_action(obs, action, next_obs, info):
    return float(np.mean(np.square(action)))


halfcheetah_energy = AddonTask("save energy", energy_penalty, mean_squared_action, "mean squared action")

TARGET_SPEED = 2.0
"""m/s: well below what the shipped HalfCheetah prior runs at, so the task asks it to slow down and stay steady"""


def target_speed_error(obs, action, next_obs, info):
    """Run at TARGET_SPEED: minus the distance of the forward speed the env reports in info from the target."""
    return -abs(float(info["x_velocity"]) - TARGET_SPEED)


def forward_speed(obs, action, next_obs, info):
    return float(info["x_velocity"])


halfcheetah_target_speed = AddonTask(f"run at {TARGET_SPEED:g} m/s", target_speed_error, forward_speed,
                                     "mean forward speed (m/s)")


def get_task(env_id: str, spec: Optional[str] = None) -> AddonTask:
    """The task named by `spec` ("module:function") if given, else the registered task for `env_id`."""
    if spec:
        module_name, _, attr = spec.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except Exception as e:  # the user's module may fail to import in any way: one line, not our traceback
            raise TaskError(f"cannot load add-on task {spec!r} ({type(e).__name__}: {e}); expected module:function, "
                            "the module in the scripts' folder or on PYTHONPATH") from None
        if isinstance(obj, AddonTask):
            return obj
        if not callable(obj):
            raise TaskError(f"add-on task {spec!r} is neither an AddonTask nor a function (next_obs) or "
                            "(obs, action, next_obs, info) -> reward")
        return AddonTask(spec, obj, obj, "mean add-on reward")  # its signature is checked here, once
    name = gym.envs.registration.parse_env_id(env_id.split(":")[-1])[1]
    if name not in TASKS:
        raise TaskError(f"no add-on task for {env_id}: known envs are {', '.join(sorted(TASKS))}; "
                        "pass --addon-task module:function for your own")
    return TASKS[name]


class AddonRewardWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Replaces the env's reward by the add-on reward ("addon"), basic + add-on ("total") or keeps it ("basic").
    Every step's info carries `basic_reward`, `addon_reward` and `addon_metric`, whatever the mode.
    A task that raises or returns anything but a finite number stops the run with TaskFailed (one line)."""

    def __init__(self, env, task: AddonTask, reward: str = "addon"):
        # recorded so that env.spec can re-create the wrapper (Gymnasium's convention; check_env relies on it)
        gym.utils.RecordConstructorArgs.__init__(self, task=task, reward=reward)
        gym.Wrapper.__init__(self, env)
        if reward not in ("addon", "total", "basic"):
            raise ValueError(f"reward must be addon, total or basic, not {reward!r}")
        self.task, self.mode, self.steps, self.obs = task, reward, 0, None

    def _call(self, what, obs, action, next_obs, info):
        """The task's `what` ("reward" or "metric") of the transition, as a float; TaskFailed names the task, step
        and value."""
        where = f"add-on task {self.task.name!r}: its {what} at step {self.steps} of this env"
        try:
            value = self.task.compute(what, obs, action, next_obs, info)
        except Exception as e:  # the user's code: one line that points into it, not a traceback of ours
            frame = traceback.extract_tb(e.__traceback__)[-1]
            raise TaskFailed(f"{where} raised {type(e).__name__}: {e} "
                             f"({os.path.basename(frame.filename)}:{frame.lineno})") from e
        is_number = isinstance(value, numbers.Real) or (
            isinstance(value, (np.ndarray, np.generic)) and np.shape(value) == () and np.asarray(value).dtype.kind in "biuf")
        if not is_number or not math.isfinite(value):
            raise TaskFailed(f"{where} returned {reprlib.repr(value)} ({type(value).__name__}); "
                             "it must return one finite number")
        return float(value)

    def reset(self, **kwargs):
        self.obs, info = self.env.reset(**kwargs)  # the `obs` of the first transition
        return self.obs, info

    def step(self, action):
        obs, basic, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        # the task sees the action within the bounds: the algorithms clip before stepping, and an env given more
        # than its bounds (MuJoCo clamps its controls) acts on the clipped action anyway
        space = self.action_space
        clipped = np.clip(action, space.low, space.high) if isinstance(space, gym.spaces.Box) else action
        prev, self.obs = self.obs, obs
        addon = self._call("reward", prev, clipped, obs, info)
        metric = self._call("metric", prev, clipped, obs, info)
        info = dict(info, basic_reward=float(basic), addon_reward=addon, addon_metric=metric)
        reward = {"addon": addon, "total": float(basic) + addon, "basic": float(basic)}[self.mode]
        return obs, reward, terminated, truncated, info


def register_task_env(env_id: str, reward: str, spec: Optional[str] = None) -> str:
    """Registers `rpg/{env_id}-{reward}`: `env_id` with the add-on wrapper in that reward mode (used to train
    the full policy on basic + add-on reward with an unmodified algorithm file). Returns the new id."""
    task = get_task(env_id, spec)
    new_id = f"rpg/{env_id.split(':')[-1]}-{reward}"
    if new_id not in gym.registry:
        gym.register(new_id, entry_point=lambda **kw: AddonRewardWrapper(gym.make(env_id, **kw), task, reward))
    return new_id


def evaluate_on_task(act, env, episodes: int, seed: int, frames: Optional[list] = None, frame_every: int = 1) -> dict:
    """Runs `act(raw_obs) -> action` for `episodes` episodes on `env` (an AddonRewardWrapper) and reports
    basic, add-on and total returns and the add-on metric: mean and std over episodes, and the lists.
    With a `frames` list (env made with render_mode="rgb_array"), every `frame_every`-th frame of the first
    episode is appended.
    `return_mean` / `return_std` repeat the total return, the customization's headline number."""
    per_ep = {"basic_return": [], "addon_return": [], "total_return": [], "addon_metric": [], "length": []}
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, sums, metric, n = False, np.zeros(2), 0.0, 0
        while not done:
            if frames is not None and ep == 0 and n % frame_every == 0:
                frames.append(env.render())
            obs, _, terminated, truncated, info = env.step(act(obs))
            sums += (info["basic_reward"], info["addon_reward"])
            metric, n, done = metric + info["addon_metric"], n + 1, terminated or truncated
        for key, value in zip(per_ep, (sums[0], sums[1], sums.sum(), metric / n, n), strict=True):
            per_ep[key].append(float(value))
    out = {"episodes": episodes}
    for key, values in per_ep.items():
        out[f"{key}_mean"] = float(np.mean(values)) if values else None
        out[f"{key}_std"] = float(np.std(values)) if values else None
        out[key] = values
    out["return_mean"], out["return_std"] = out["total_return_mean"], out["total_return_std"]  # the headline
    return out


def before_after_table(summary: dict) -> str:
    """The closing lines of a Residual PPO run: the prior (its evaluation before the first update) -> the customized
    policy, for every task quantity, deterministic and stochastic evaluation side by side."""
    rows = [("basic return", "basic_return", ".1f"), (f"add-on return ({summary['task']})", "addon_return", ".1f"),
            ("total return (basic + add-on)", "total_return", ".1f"), (summary["metric_name"], "addon_metric", ".3f"),
            ("episode length", "length", ".0f")]
    lines = [f"evaluation over {summary['eval']['episodes']} episodes, prior (before) -> customized (after):",
             f"{'':34}{'deterministic (mean action)':>30}{'stochastic (sampled actions)':>32}"]
    for name, key, fmt in rows:
        cells = [f"{summary[f'eval_initial{s}'][key + '_mean']:{fmt}} -> {summary[f'eval{s}'][key + '_mean']:{fmt}}"
                 for s in ("", "_stochastic")]
        lines.append(f"  {name:32}{cells[0]:>30}{cells[1]:>32}")
    return "\n".join(lines)
