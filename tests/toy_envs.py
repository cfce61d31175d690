"""Tiny deterministic envs whose observations expose the episode structure, for boundary tests.

Made with `gym.make("tests.toy_envs:Counter-v0")`: Gymnasium imports this module, which registers them.
"""
import gymnasium as gym
import numpy as np


class CounterEnv(gym.Env):
    """obs = [t, episode index]; reward 1 every step; terminates after `length` steps.
    Records every action it receives, so tests can see what the env was really given."""

    received_actions = []

    def __init__(self, length=5, action_bound=1.0):
        self.length = length
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float64)
        self.action_space = gym.spaces.Box(-action_bound, action_bound, (1,), np.float32)
        self.episode = -1

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t, self.episode = 0, self.episode + 1
        return np.array([self.t, self.episode], dtype=np.float64), {}

    def step(self, action):
        CounterEnv.received_actions.append(np.array(action, dtype=np.float32))
        self.t += 1
        return np.array([self.t, self.episode], dtype=np.float64), 1.0, self.t >= self.length, False, {}


gym.register("Counter-v0", entry_point=CounterEnv, kwargs={"length": 5})
# never terminates; the TimeLimit wrapper truncates it after 3 steps
gym.register("EndlessCounter-v0", entry_point=CounterEnv, kwargs={"length": 10**9}, max_episode_steps=3)
# tight bounds: most Gaussian samples fall outside them and get clipped
gym.register("TightCounter-v0", entry_point=CounterEnv, kwargs={"length": 5, "action_bound": 0.01})


def counter_addon(obs):
    """Add-on reward for the counter envs: half the step index."""
    return 0.5 * obs[0]


def cart_right(obs):
    """Add-on reward for InvertedPendulum: move the cart to the right (obs[0] is the cart position)."""
    return float(obs[0])


class LedgeEnv(gym.Env):
    """obs = [fraction of the time limit used]; reward 0; the episode ends (terminates) as soon as the action
    exceeds `edge`. A policy sets its own episode length through its action mean and std: the test bed for
    what a per-step constant in the reward does where episodes can end early."""

    def __init__(self, edge=1.5, limit=50):
        self.edge, self.limit = edge, limit
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (1,), np.float64)
        self.action_space = gym.spaces.Box(-3.0, 3.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1), {}

    def step(self, action):
        self.t += 1
        return np.array([self.t / self.limit]), 0.0, bool(action[0] > self.edge), False, {}


gym.register("Ledge-v0", entry_point=LedgeEnv, max_episode_steps=50)
# an edge close to the mean action, so that a narrow policy (negative entropy) still steps over it now and then
gym.register("NarrowLedge-v0", entry_point=LedgeEnv, kwargs={"edge": 0.3}, max_episode_steps=50)


def zero_addon(obs):
    """No add-on reward: only the prior's and the entropy's log-prob terms drive the learner."""
    return 0.0


# Broken add-on tasks, as a user might write them (the runs must stop with one line naming them).
def addon_nan_at_third_step(obs):
    """Fine until the counter reaches 3, then nan."""
    return float("nan") if obs[0] == 3 else 0.0


def addon_string(obs):
    return "fast"


def addon_raises(obs):
    return obs[99]  # an index past the end of the observation: IndexError


class BowlEnv(LedgeEnv):
    """Ledge without the edge: reward -a^2 / 2, never terminates (the time limit truncates it). Under a prior
    N(0, sigma^2) the advantage of an action is -(a^2 - sigma^2) / 2 = sigma^2 (log pi + H): a known answer for
    prior_train.py's advantage temperature."""

    def __init__(self, limit=50):
        super().__init__(edge=np.inf, limit=limit)
        self.action_space = gym.spaces.Box(-50.0, 50.0, (1,), np.float32)

    def step(self, action):
        obs, _, _, _, info = super().step(action)
        return obs, -0.5 * float(action[0]) ** 2, False, False, info


gym.register("Bowl-v0", entry_point=BowlEnv, max_episode_steps=50)
