"""Soft PPO: the Soft Policy Gradient identity, the soft reward, the variants, end to end and learning."""
import copy
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import ppo_continuous as ppo
import soft_ppo_continuous as soft
import tests.toy_envs  # noqa: F401
from tests.cli import run_main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def spg_estimate(mu, logstd, alpha, n=400_000, sign=-1.0, seed=0):
    """Monte-Carlo SPG on a one-step Gaussian bandit with r(a) = -(a-2)^2: the mean of
    grad log pi(a) * (r(a) + sign * alpha * log pi(a)), the log pi in the reward held constant."""
    g = torch.Generator().manual_seed(seed)
    mu, logstd = torch.tensor([mu], requires_grad=True), torch.tensor([logstd], requires_grad=True)
    a = (mu + logstd.exp() * torch.randn(n, 1, generator=g)).detach()
    logp = soft.gaussian_log_prob(a, mu, logstd)
    soft_reward = -((a[:, 0] - 2.0) ** 2) + sign * alpha * logp.detach()
    (logp * soft_reward).mean().backward()
    return mu.grad.item(), logstd.grad.item()


def exact_gradient(mu, logstd, alpha):
    """Gradient of E[r] + alpha * H, in closed form through autograd: E[-(a-2)^2] = -((mu-2)^2 + sigma^2)."""
    mu, logstd = torch.tensor(mu, requires_grad=True), torch.tensor(logstd, requires_grad=True)
    entropy = 0.5 + 0.5 * math.log(2 * math.pi) + logstd
    (-((mu - 2.0) ** 2 + (2 * logstd).exp()) + alpha * entropy).backward()
    return mu.grad.item(), logstd.grad.item()


@pytest.mark.parametrize("mu, logstd, alpha", [(0.5, 0.0, 1.0), (1.0, -0.5, 0.3), (2.5, 0.2, 2.0)])
def test_soft_policy_gradient_matches_exact_gradient(mu, logstd, alpha):
    est, exact = spg_estimate(mu, logstd, alpha), exact_gradient(mu, logstd, alpha)
    # Monte-Carlo error with 400k samples is ~0.01-0.03 here; alpha's own contribution is 0.3 to 2.
    np.testing.assert_allclose(est, exact, atol=0.06)


def test_soft_policy_gradient_fails_with_wrong_sign_or_missing_term():
    exact = exact_gradient(0.5, 0.0, 1.0)
    wrong_sign = spg_estimate(0.5, 0.0, 1.0, sign=+1.0)
    missing = spg_estimate(0.5, 0.0, 0.0)
    assert abs(wrong_sign[1] - exact[1]) > 0.5 and abs(missing[1] - exact[1]) > 0.5


def test_rollout_reward_is_reward_minus_alpha_logprob(tmp_path):
    rollouts = []
    args = soft.Args(env_id="Counter-v0", total_timesteps=128, num_steps=64, num_minibatches=4, update_epochs=2,
                     runs_dir=str(tmp_path), progress=False, eval_episodes=0, norm_obs=False, norm_reward=False,
                     alpha=0.3)
    soft.train(args, inspect=lambda r: rollouts.append(copy.deepcopy(r)))
    for ro in rollouts:  # the toy env pays 1 per step
        np.testing.assert_allclose(ro["rewards"], 1.0 - 0.3 * ro["logprobs"], rtol=1e-6)
        assert np.abs(ro["logprobs"]).min() > 0.01  # the term is really there


def test_alpha_zero_is_plain_ppo_bit_for_bit(tmp_path):
    kw = dict(env_id="Hopper-v4", total_timesteps=512, num_steps=128, num_minibatches=4, update_epochs=2,
              progress=False, eval_episodes=2)
    a = ppo.train(ppo.Args(runs_dir=str(tmp_path / "a"), **kw))
    b = soft.train(soft.Args(runs_dir=str(tmp_path / "b"), alpha=0.0, **kw))
    c = soft.train(soft.Args(runs_dir=str(tmp_path / "c"), alpha=0.05, **kw))
    assert a["eval"]["returns"] == b["eval"]["returns"]
    assert c["eval"]["returns"] != a["eval"]["returns"]


def test_end_to_end_logs_soft_quantities_and_records_alpha(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "soft_ppo_continuous.py"), "--env-id", "Hopper-v4",
                          "--total-timesteps", "1024", "--num-steps", "512", "--alpha", "0.02", "--ent-coef", "0.01",
                          "--eval-episodes", "1", "--runs-dir", str(tmp_path), "--save-model"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    (run_dir,) = list(tmp_path.iterdir())
    assert json.loads((run_dir / "summary.json").read_text())["args"]["alpha"] == 0.02
    assert torch.load(run_dir / "agent.pt", weights_only=True)["alpha"] == 0.02
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = EventAccumulator(str(run_dir)).Reload().Tags()["scalars"]
    for tag in ("charts/episodic_return", "charts/episodic_soft_return", "charts/mean_logprob", "losses/entropy"):
        assert tag in tags


def test_negative_alpha_is_refused(tmp_path):
    out = run_main(soft.main, "--alpha", "-0.1", "--runs-dir", str(tmp_path))
    assert out.returncode == 2 and "Traceback" not in out.stderr and "alpha" in out.stderr


@pytest.mark.slow
def test_soft_ppo_learns_inverted_pendulum(tmp_path):
    # Same budget and bar as the plain PPO check (see tests/test_ppo.py); a small temperature must not stop learning.
    summary = soft.train(soft.Args(env_id="InvertedPendulum-v4", total_timesteps=30720, runs_dir=str(tmp_path),
                                   progress=False, eval_episodes=5, alpha=0.01))
    assert summary["eval"]["return_mean"] >= 500, summary["eval"]


def test_non_finite_alpha_is_refused(tmp_path):
    # a real process (the other bad-input checks run in this one, tests/cli.py): exactly one line on stderr
    out = subprocess.run([sys.executable, os.path.join(ROOT, "soft_ppo_continuous.py"), "--alpha", "nan",
                          "--runs-dir", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip() == "error: --alpha must be a finite number, got nan"


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")  # expected here
def test_a_reward_scale_that_overflows_stops_training_unsaved(tmp_path):
    # alpha * log pi overflows float32: the rollout rewards are inf, the value loss with them
    args = soft.Args(env_id="Counter-v0", total_timesteps=128, num_steps=64, num_minibatches=4, update_epochs=2,
                     runs_dir=str(tmp_path), progress=False, eval_episodes=0, alpha=1e38, save_model=True)
    with pytest.raises(soft.Diverged, match=r"iteration 1 \(step 64\): the loss became"):
        soft.train(args)
    (run_dir,) = list(tmp_path.iterdir())
    assert not (run_dir / "agent.pt").exists() and not (run_dir / "summary.json").exists()
