"""Add-on tasks for policy customization (SPEC section 2): the extra reward r_R a user adds to a prior.

Each task computes, from the observation returned by a step, an add-on reward and an add-on metric.
Tasks are keyed by the env's name without version, so one entry serves both `-v4` and `-v5` ids
(the observation indices used here are the same in both; tests/test_addon_tasks.py checks them).

Add your own task without touching an algorithm file, either way:
  * registry entry: `addon_tasks.TASKS["Swimmer"] = AddonTask(...)` in a module you import, or
  * command line: `--addon-task my_module:my_function`, where `my_function(obs) -> float` is the add-on
    reward (its metric is then the mean add-on reward per step) or `my_function` is an `AddonTask`.
A reward or metric must be one finite number: anything else, or an exception, stops the run (TaskFailed).
"""
import importlib
import math
import numbers
import os
import reprlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import gymnasium as gym
import numpy as np


@dataclass(frozen=True)
class AddonTask:
    name: str
    """short name of the task"""
    reward: Callable[[np.ndarray], float]
    """add-on reward r_R computed from the observation returned by the step"""
    metric: Callable[[np.ndarray], float]
    """per-step add-on metric; an episode's metric is its mean over the episode's steps"""
    metric_name: str
    """what the metric measures, for tables"""


TASKS = {
    "HalfCheetah": AddonTask("stiff front foot", lambda o: -10.0 * abs(o[7]), lambda o: abs(o[7]),
                             "mean |front foot angle|"),
    "Hopper": AddonTask("hop higher", lambda o: 10.0 * (o[0] - 1.0), lambda o: o[0], "mean torso height"),
    "Ant": AddonTask("drift toward -y", lambda o: -o[14], lambda o: -o[14], "mean -y velocity"),
    "Walker2d": AddonTask("walk upright", lambda o: -10.0 * abs(o[1]), lambda o: abs(o[1]), "mean |torso pitch|"),
}


class TaskError(ValueError):
    """No task for this env, or a `module:function` that cannot be loaded."""


class TaskFailed(TaskError):
    """The task's code raised or returned something other than a finite number, during a step."""


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
            raise TaskError(f"add-on task {spec!r} is neither an AddonTask nor a function obs -> reward")
        return AddonTask(spec, obj, obj, "mean add-on reward")
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
        self.task, self.mode, self.steps = task, reward, 0

    def _call(self, what, obs):
        """The task's `what` ("reward" or "metric") at obs, as a float; TaskFailed names the task, step and value."""
        where = f"add-on task {self.task.name!r}: its {what} at step {self.steps} of this env"
        try:
            value = getattr(self.task, what)(obs)
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

    def step(self, action):
        obs, basic, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        addon = self._call("reward", obs)
        info = dict(info, basic_reward=float(basic), addon_reward=addon, addon_metric=self._call("metric", obs))
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
