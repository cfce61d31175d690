"""The rollout code every algorithm file carries its own copy of: episode boundaries under Gymnasium's auto-reset,
bootstrapping of truncated episodes, log-probs of clipped actions, observation and reward normalisation.

Each test runs against ppo_continuous.py, soft_ppo_continuous.py and residual_ppo_continuous.py alike. The toy envs
(tests/toy_envs.py) make every stored quantity computable by hand: the observation is [step in episode, episode].
Soft PPO and Residual PPO add their own log-prob terms to the reward; the tests subtract those (known from the
stored log-probs) and check what is left against the env's reward, so a reward stored on the wrong step, a
bootstrap where none belongs or a missing one shows up in every file.
"""
import copy
import importlib
import math

import numpy as np
import pytest
import torch

import tests.toy_envs  # noqa: F401  (registers the toy envs in this process)
from tests.toy_envs import CounterEnv

ALGORITHMS = ["ppo_continuous", "soft_ppo_continuous", "residual_ppo_continuous"]
ALPHA = 0.1  # Soft PPO's temperature: reward - ALPHA log pi
OMEGA_PRIME, ALPHA_HAT = 0.1, 0.05  # Residual PPO's literal terms: r_R + OMEGA_PRIME log pi_prior - ALPHA_HAT log pi
# the hand-made prior's observation statistics, which the residual learner's normaliser starts from
PRIOR_OBS_MEAN, PRIOR_OBS_VAR, PRIOR_OBS_COUNT = np.array([2.0, 1.0]), np.array([4.0, 0.5]), 3.0


def hand_made_prior(path, env_id, norm_obs=True):
    """A prior for a counter env: mean 0 and std 1 in every state (the last layers are zero), so log pi_prior(a|s) is
    log N(a; 0, 1) whatever s. Its recorded observation statistics are PRIOR_OBS_*; the learner takes its `norm_obs`."""
    residual = importlib.import_module("residual_ppo_continuous")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        agent = residual.Agent(2, 1)
    torch.nn.init.zeros_(agent.actor_mean[-1].weight)
    torch.nn.init.zeros_(agent.actor_mean[-1].bias)
    soft_args = vars(importlib.import_module("soft_ppo_continuous").Args())
    residual.save_checkpoint(str(path), {
        "format": 1, "algorithm": "hand-made", "env_id": env_id, "obs_shape": [2], "action_shape": [1],
        "actor": {"actor_mean": agent.actor_mean.state_dict(), "actor_logstd": agent.actor_logstd.detach().clone()},
        "critic": agent.critic.state_dict(), "alpha": ALPHA_HAT, "args": dict(soft_args, norm_obs=norm_obs),
        "basic_return_scale": 1.0, "basic_reward_mean": 0.0,
        "obs_rms": {"mean": torch.tensor(PRIOR_OBS_MEAN), "var": torch.tensor(PRIOR_OBS_VAR), "count": PRIOR_OBS_COUNT},
    })
    return str(path)


def collect(name, tmp_path, env_id="Counter-v0", **kw):
    """Trains `name` on a toy env with tiny settings; returns a copy of every rollout (the buffers are reused)."""
    module = importlib.import_module(name)
    args = dict(env_id=env_id, total_timesteps=128, num_steps=64, num_minibatches=4, update_epochs=2,
                runs_dir=str(tmp_path / "runs"), progress=False, eval_episodes=0)
    if name == "soft_ppo_continuous":
        args.update(alpha=ALPHA)
    elif name == "residual_ppo_continuous":  # the learner starts as the prior, with its observation settings
        args.update(prior_path=hand_made_prior(tmp_path / "prior.pt", env_id, kw.get("norm_obs", True)),
                    addon_task="tests.toy_envs:counter_addon", addon_scale="running", omega_prime=OMEGA_PRIME,
                    alpha_hat=ALPHA_HAT, prior_term="literal", entropy_term="literal")
    args.update(kw)
    rollouts = []
    module.train(module.Args(**args), inspect=lambda r: rollouts.append(copy.deepcopy(r)))
    return rollouts


def own_terms(name, ro):
    """What the algorithm adds to the (normalised) env reward at every step, from the log-probs it stored."""
    if name == "soft_ppo_continuous":
        return -ALPHA * ro["logprobs"]
    if name == "residual_ppo_continuous":
        return OMEGA_PRIME * ro["prior_logprobs"] - ALPHA_HAT * ro["logprobs"]
    return np.zeros_like(ro["rewards"])


def env_reward(name, t):
    """The raw reward of the step taken from a state whose step counter is t: the counter env pays 1 per step;
    Residual PPO learns from the add-on reward alone, counter_addon's half the next step counter."""
    return 0.5 * (t + 1) if name == "residual_ppo_continuous" else np.ones_like(t)


def standard_normal_log_prob(a):
    return -0.5 * a**2 - 0.5 * math.log(2 * math.pi)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_no_transition_crosses_an_episode_boundary(tmp_path, name):
    # Gymnasium 1.x resets an ended env on the *next* step() unless told otherwise. A naive port of pre-1.0 code
    # stores the terminal obs (t=5) as a state acted from, followed by a reset step with reward 0: both are caught
    # here. Counter-v0 terminates, so no step may bootstrap either (bootstrap_truncated is on by default).
    for ro in collect(name, tmp_path, norm_obs=False, norm_reward=False):
        obs, dones = ro["obs"][:, 0], ro["dones"][:, 0]
        assert obs[:, 0].max() <= 4, "a terminal observation was stored as a state to act from"
        np.testing.assert_array_equal(dones, obs[:, 0] == 4)  # done exactly on the 5th step of an episode
        for k in range(len(obs) - 1):
            if dones[k]:
                assert obs[k + 1, 0] == 0 and obs[k + 1, 1] == obs[k, 1] + 1
            else:
                assert obs[k + 1, 0] == obs[k, 0] + 1 and obs[k + 1, 1] == obs[k, 1]
        # every stored reward is the one of the step taken from its stored state: no bogus reset transitions
        extra = own_terms(name, ro)[:, 0]
        np.testing.assert_allclose(ro["rewards"][:, 0] - extra, env_reward(name, obs[:, 0]), rtol=1e-5, atol=1e-5)
        assert name == "ppo_continuous" or np.abs(extra).min() > 1e-3  # the subtracted terms are really there


@pytest.mark.parametrize("name", ALGORITHMS)
@pytest.mark.parametrize("env_id, bootstrap_truncated", [("EndlessCounter-v0", True), ("EndlessCounter-v0", False),
                                                         ("Counter-v0", True)])
def test_only_a_truncated_episode_bootstraps_from_its_final_observation(tmp_path, name, env_id, bootstrap_truncated):
    # EndlessCounter-v0 never terminates and its time limit truncates it after 3 steps: with bootstrap_truncated the
    # last step's reward gains gamma V(final obs), the value of the observation the episode was cut at (not the
    # reset one). Counter-v0 terminates after 5 steps: its last step gains nothing, whatever the flag.
    (ro,) = collect(name, tmp_path, env_id=env_id, norm_obs=False, norm_reward=False, total_timesteps=64, gamma=0.9,
                    bootstrap_truncated=bootstrap_truncated)
    truncated = env_id == "EndlessCounter-v0"
    obs, dones = ro["obs"][:, 0], ro["dones"][:, 0].astype(bool)
    np.testing.assert_array_equal(dones, obs[:, 0] == (2 if truncated else 4))
    reward = ro["rewards"][:, 0] - own_terms(name, ro)[:, 0]
    expected = env_reward(name, obs[:, 0])
    np.testing.assert_allclose(reward[~dones], expected[~dones], rtol=1e-5, atol=1e-5)
    final = torch.from_numpy(np.stack([obs[dones, 0] + 1, obs[dones, 1]], 1).astype(np.float32))
    with torch.no_grad():
        bootstrap = 0.9 * ro["agent"].get_value(final).numpy()  # the agent that collected this rollout
    assert np.abs(bootstrap).min() > 1e-3  # large enough for the check below to tell
    if truncated and bootstrap_truncated:
        expected[dones] += bootstrap
    np.testing.assert_allclose(reward[dones], expected[dones], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ALGORITHMS)
def test_log_probs_are_of_the_unclipped_sample_and_the_env_gets_the_clipped_action(tmp_path, name):
    # TightCounter-v0's bounds are +-0.01: most samples fall outside them. The env must be given the clipped action,
    # while log pi (and Residual PPO's log pi_prior) must be the density of the sample itself.
    CounterEnv.received_actions.clear()
    ro = collect(name, tmp_path, env_id="TightCounter-v0")[-1]
    acts = ro["actions"][:, 0]  # the second rollout: the network has had one update
    assert (np.abs(acts) > 0.01).mean() > 0.5, "most samples should fall outside the tight bounds"
    received = np.stack(CounterEnv.received_actions)
    assert len(received) == 128
    np.testing.assert_allclose(received[64:], np.clip(acts, -0.01, 0.01))
    x = torch.from_numpy(ro["obs"][:, 0])
    with torch.no_grad():
        logp, _ = ro["agent"].get_log_prob_entropy(x, torch.from_numpy(acts))
        logp_clipped, _ = ro["agent"].get_log_prob_entropy(x, torch.from_numpy(np.clip(acts, -0.01, 0.01)))
    np.testing.assert_allclose(ro["logprobs"][:, 0], logp.numpy(), rtol=1e-5, atol=1e-5)
    assert np.abs(ro["logprobs"][:, 0] - logp_clipped.numpy()).max() > 0.1  # the clipped action's would differ
    if name == "residual_ppo_continuous":
        np.testing.assert_allclose(ro["prior_logprobs"][:, 0], standard_normal_log_prob(acts[:, 0]), rtol=1e-5, atol=1e-5)


def running_stats(stream, mean, var, count):
    """Mean and variance after each prefix of `stream` (rows), merged into starting statistics (mean, var, count):
    what a running mean-std tracker must hold, in closed form."""
    n = np.arange(1, len(stream) + 1)[:, None]
    prefix_mean = np.cumsum(stream, 0) / n
    prefix_var = np.cumsum(stream**2, 0) / n - prefix_mean**2
    total = count + n
    merged_mean = (count * mean + n * prefix_mean) / total
    merged_var = (count * var + n * prefix_var + (prefix_mean - mean) ** 2 * count * n / total) / total
    return merged_mean, merged_var


@pytest.mark.parametrize("name", ALGORITHMS)
def test_observation_and_reward_normalisation(tmp_path, name):
    # One rollout on Counter-v0 with both normalisations on (the default). Observation k, raw [k mod 5, k div 5], is
    # stored as (raw - mean) / std over the observations seen so far, itself included (Residual PPO's statistics
    # start from its prior's). The reward is divided by the running std of the discounted return, which restarts
    # after each episode's last step.
    (ro,) = collect(name, tmp_path, total_timesteps=64, gamma=0.9)
    steps = np.arange(64)
    raw_obs = np.stack([steps % 5, steps // 5], 1).astype(np.float64)
    start = ((PRIOR_OBS_MEAN, PRIOR_OBS_VAR, PRIOR_OBS_COUNT) if name == "residual_ppo_continuous"
             else (np.zeros(2), np.ones(2), 1e-4))
    mean, var = running_stats(raw_obs, *start)
    expected_obs = np.clip((raw_obs - mean) / np.sqrt(var + 1e-8), -10, 10)
    np.testing.assert_allclose(ro["obs"][:, 0], expected_obs, rtol=1e-4, atol=1e-5)

    raw_reward = env_reward(name, raw_obs[:, 0])
    returns, ret = np.zeros(64), 0.0
    for k in steps:
        ret = 0.9 * ret + raw_reward[k]
        returns[k] = ret
        ret = 0.0 if k % 5 == 4 else ret  # the episode's last step
    _, ret_var = running_stats(returns[:, None], np.zeros(1), np.ones(1), 1e-4)
    expected_reward = np.clip(raw_reward / np.sqrt(ret_var[:, 0] + 1e-8), -10, 10)
    np.testing.assert_allclose(ro["rewards"][:, 0] - own_terms(name, ro)[:, 0], expected_reward, rtol=1e-4, atol=1e-5)
    assert np.ptp(expected_reward) > 0.1  # the scale moves during the rollout: a fixed one would fail
