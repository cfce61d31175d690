"""Priors from Stable-Baselines3 (prior_train.py --from-sb3): the converted prior is SB3's policy, on raw observations.

Tiny SB3 models are trained here (a few hundred steps) and converted; log pi(a|s), the mean action and the value
must equal SB3's own (`policy.evaluate_actions`, `predict(deterministic=True)`) to float tolerance, SB3 being fed
the observations its VecNormalize makes of the same raw ones. Then the command line and its one-line errors."""
import os
import zipfile
from dataclasses import fields

import gymnasium as gym
import numpy as np
import pytest
import torch

import prior_train
import residual_ppo_continuous as residual
from tests.cli import run_main

sb3 = pytest.importorskip("stable_baselines3")
from stable_baselines3.common.env_util import make_vec_env  # noqa: E402
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize  # noqa: E402

ENV = "Hopper-v4"
# the prior loader builds the network the checkpoint's args name (hidden_sizes, activation); where it builds only the
# 64-64 tanh network, the other architectures are checked against a reference forward of the checkpoint alone
LOADER_TAKES_ARCHITECTURES = "hidden_sizes" in {f.name for f in fields(residual.Args)}


def train(folder, name, algo="PPO", normalise=False, steps=256, record_env_id=True, **kwargs):
    """Trains a tiny SB3 model on ENV and saves it (and its VecNormalize) in folder: (zip path, pkl path or None)."""
    venv = make_vec_env(ENV, n_envs=1, seed=0)
    if normalise:  # an epsilon and clip_obs other than the defaults: the conversion must carry both exactly
        venv = VecNormalize(venv, epsilon=1e-4, clip_obs=5.0)
    cls = getattr(sb3, algo)
    settings = dict(n_steps=128, batch_size=64, n_epochs=2) if algo == "PPO" else dict(n_steps=16)
    model = cls("MlpPolicy", venv, seed=0, device="cpu", **settings, **kwargs)
    model.learn(steps)
    if record_env_id:
        model.env_id = ENV  # as benchmark/train_sb3.py records it
    model.save(os.path.join(folder, f"{name}.zip"))
    if normalise:
        venv.save(os.path.join(folder, f"{name}.pkl"))
    return os.path.join(folder, f"{name}.zip"), os.path.join(folder, f"{name}.pkl") if normalise else None


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("sb3"))
    relu = dict(net_arch=dict(pi=[32, 16], vf=[8]), activation_fn=torch.nn.ReLU, log_std_init=-1.0, ortho_init=False)
    return {
        "plain": train(d, "plain"),
        "normalised": train(d, "normalised", normalise=True),
        "a2c": train(d, "a2c", algo="A2C", normalise=True, steps=64),
        "relu": train(d, "relu", normalise=True, policy_kwargs=relu),
        "tanh_small": train(d, "tanh_small", policy_kwargs=dict(net_arch=[16, 16])),
        "no_id": train(d, "no_id", record_env_id=False),
    }


def raw_observations(n=300):
    """Raw ENV observations: random-action states, and some far outside the statistics (normalised ones clip)."""
    env = gym.make(ENV)
    obs, _ = env.reset(seed=1)
    env.action_space.seed(1)
    out = []
    for _ in range(n):
        out.append(obs)
        obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, _ = env.reset()
    out = np.asarray(out, np.float64)
    out[-20:] *= 40.0
    return out


def sb3_side(model_path, stats_path, raw, actions):
    """SB3's own numbers for raw observations: the model as SB3 loads it, fed what its VecNormalize makes of them."""
    model = getattr(sb3, "PPO" if "a2c" not in model_path else "A2C").load(model_path, device="cpu")
    seen = raw.astype(np.float32)
    if stats_path:
        seen = VecNormalize.load(stats_path, DummyVecEnv([lambda: gym.make(ENV)])).normalize_obs(raw)
    with torch.no_grad():
        obs_t = torch.as_tensor(seen, dtype=torch.float32)
        values, log_prob, entropy = model.policy.evaluate_actions(obs_t, torch.as_tensor(actions, dtype=torch.float32))
        mean = model.policy.get_distribution(obs_t).distribution.mean.numpy()
    predicted, _ = model.predict(seen, deterministic=True)
    return dict(log_prob=log_prob.numpy(), mean=mean, predicted=predicted, values=values.numpy().ravel(),
                entropy=entropy.numpy())


def reference_forward(ckpt, raw):
    """The checkpoint read as the format says: normaliser, then Linear/activation layers of args.hidden_sizes."""
    a, rms = ckpt["args"], ckpt["obs_rms"]
    x = raw
    if a["norm_obs"]:
        x = np.clip((raw - rms["mean"].numpy()) / np.sqrt(rms["var"].numpy() + 1e-8), -a["clip_obs"], a["clip_obs"])
    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[a["activation"]]
    sizes = [ckpt["obs_shape"][0], *a["hidden_sizes"]]
    layers = [m for i, o in zip(sizes[:-1], sizes[1:], strict=True) for m in (torch.nn.Linear(i, o), act())]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], ckpt["action_shape"][0]))
    net.load_state_dict(ckpt["actor"]["actor_mean"])
    with torch.no_grad():
        return net(torch.as_tensor(x, dtype=torch.float32)).numpy(), ckpt["actor"]["actor_logstd"].numpy()[0]


def gaussian_log_prob(actions, mean, logstd):
    return (-0.5 * ((actions - mean) / np.exp(logstd)) ** 2 - logstd - 0.5 * np.log(2 * np.pi)).sum(-1)


def check_same_policy(mean, logstd, log_prob, theirs, low, high):
    np.testing.assert_allclose(mean, theirs["mean"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.clip(mean, low, high), theirs["predicted"], rtol=1e-5, atol=1e-5)  # predict clips
    np.testing.assert_allclose(log_prob, theirs["log_prob"], rtol=1e-5, atol=1e-4)
    assert np.allclose(np.clip(mean, low, high), np.clip(theirs["mean"], low, high), atol=1e-5)


@pytest.mark.parametrize("name", ["plain", "normalised", "a2c"])
def test_converted_prior_is_the_sb3_policy_on_raw_observations(models, name):
    model_path, stats_path = models[name]
    ckpt, critic = prior_train.prior_from_sb3(model_path, ENV, stats_path)
    raw = raw_observations()
    actions = np.random.default_rng(0).normal(0.0, 1.5, (len(raw), 3))  # unclipped samples, some beyond the bounds
    theirs = sb3_side(model_path, stats_path, raw, actions)
    prior = residual.Prior(ckpt)  # as Residual PPO loads it
    mean, logstd = prior.policy(prior.normalizer.obs(raw, update=False))
    check_same_policy(mean, logstd, prior.log_prob(raw, actions), theirs, -1.0, 1.0)
    assert prior.entropy == pytest.approx(float(theirs["entropy"][0]), rel=1e-5)
    # the critic, stored in the project's layout (the same architecture as the actor here) and as SB3's module
    agent_critic = residual.Agent(11, 3).critic
    agent_critic.load_state_dict(ckpt["critic"])
    x = torch.from_numpy(prior.normalizer.obs(raw, update=False))
    with torch.no_grad():
        np.testing.assert_allclose(agent_critic(x).numpy().ravel(), theirs["values"], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(critic(x).numpy().ravel(), theirs["values"], rtol=1e-5, atol=1e-4)
    assert ckpt["algorithm"] == ("sb3_a2c" if name == "a2c" else "sb3_ppo")
    assert ckpt["args"]["norm_obs"] == (stats_path is not None)
    if stats_path:  # the epsilon folded into the variance: SB3's 1e-4 becomes ours 1e-8
        stats = VecNormalize.load(stats_path, DummyVecEnv([lambda: gym.make(ENV)]))
        np.testing.assert_allclose(ckpt["obs_rms"]["var"].numpy() + 1e-8, stats.obs_rms.var + 1e-4, rtol=1e-12)
        assert ckpt["args"]["clip_obs"] == 5.0 and ckpt["sb3"]["vecnormalize"]["epsilon"] == 1e-4


@pytest.mark.parametrize("name", ["relu", "tanh_small"])
def test_other_architectures_convert_exactly(models, name):
    model_path, stats_path = models[name]
    ckpt, _, _, _ = prior_train.sb3_checkpoint(model_path, ENV, stats_path)
    a = ckpt["args"]
    if name == "relu":
        assert (a["hidden_sizes"], a["activation"], a["log_std_init"], a["ortho_init"]) == ([32, 16], "relu", -1.0, False)
        assert "critic" not in ckpt and ckpt["sb3"]["critic_hidden_sizes"] == [8]  # another architecture than the actor's
    else:
        assert (a["hidden_sizes"], a["activation"], a["log_std_init"], a["ortho_init"]) == ([16, 16], "tanh", 0.0, True)
    raw = raw_observations()
    actions = np.random.default_rng(0).normal(0.0, 1.5, (len(raw), 3))
    theirs = sb3_side(model_path, stats_path, raw, actions)
    mean, logstd = reference_forward(ckpt, raw)
    check_same_policy(mean, logstd, gaussian_log_prob(actions, mean, logstd), theirs, -1.0, 1.0)
    if LOADER_TAKES_ARCHITECTURES:
        ckpt, _ = prior_train.prior_from_sb3(model_path, ENV, stats_path)
        prior = residual.Prior(ckpt)
        mean, logstd = prior.policy(prior.normalizer.obs(raw, update=False))
        check_same_policy(mean, logstd, prior.log_prob(raw, actions), theirs, -1.0, 1.0)
    else:  # the loader of this version builds 64-64 tanh networks only: refused in one line, never a wrong prior
        with pytest.raises(prior_train.soft.UserError, match="does not load as this project's prior"):
            prior_train.prior_from_sb3(model_path, ENV, stats_path)


def test_command_line_writes_a_measured_evaluated_prior_that_residual_ppo_loads(models, tmp_path):
    model_path, stats_path = models["normalised"]
    out = tmp_path / "prior.pt"
    argv = ["--env-id", ENV, "--from-sb3", model_path, "--sb3-vecnormalize", stats_path, "--out", str(out),
            "--measure-steps", "1000", "--eval-episodes", "1"]
    result = run_main(prior_train.main, *argv)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} from {model_path}" in result.stdout
    ckpt = torch.load(out, map_location="cpu", weights_only=True)  # tensors and plain types only
    assert set(prior_train.MEASURED) <= set(ckpt) and ckpt["measure_steps"] == 1000
    assert ckpt["eval_task"]["episodes"] == 1 and "eval_task_stochastic" in ckpt and ckpt["eval"]["episodes"] == 1
    assert ckpt["alpha"] == 0.001 and ckpt["env_id"] == ENV and ckpt["sb3"]["trained_on"] == ENV
    assert ckpt["sb3"]["hyperparameters"]["n_steps"] == 128 and ckpt["sb3"]["hyperparameters"]["clip_range"] == 0.2
    residual.load_prior(str(out), ENV, (11,), (3,))
    assert not [p for p in os.listdir(tmp_path) if p != "prior.pt"]  # no temporary file left behind
    before = out.read_bytes()
    again = run_main(prior_train.main, *argv)  # never replaces a prior without --force
    assert again.returncode == 2 and "exists: pass --force" in again.stderr and out.read_bytes() == before


def test_a_model_without_env_id_is_checked_by_its_spaces(models, tmp_path):
    result = run_main(prior_train.main, "--env-id", ENV, "--from-sb3", models["no_id"][0], "--out",
                      str(tmp_path / "p.pt"), "--measure-steps", "0", "--eval-episodes", "0")
    assert result.returncode == 0, result.stderr
    assert "records no env id; its observation and action spaces match Hopper-v4's" in result.stdout
    result = run_main(prior_train.main, "--env-id", "Walker2d-v4", "--from-sb3", models["no_id"][0], "--out",
                      str(tmp_path / "w.pt"))
    assert result.returncode == 2 and "takes observations (11,)" in result.stderr and "Walker2d-v4 has (17,)" in result.stderr


class ImageEnv(gym.Env):
    observation_space = gym.spaces.Box(0, 255, (36, 36, 3), np.uint8)
    action_space = gym.spaces.Box(-1, 1, (3,), np.float32)

    def reset(self, *, seed=None, options=None):
        return self.observation_space.sample(), {}

    def step(self, action):
        return self.observation_space.sample(), 0.0, False, False, {}


class DictEnv(ImageEnv):
    observation_space = gym.spaces.Dict({"x": gym.spaces.Box(-1, 1, (11,), np.float32)})


def saved(folder, name, model):
    path = os.path.join(folder, f"{name}.zip")
    model.save(path)
    return path


@pytest.fixture(scope="module")
def unsupported(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("sb3_bad"))
    hopper = gym.make(ENV)
    not_a_zip = os.path.join(d, "notes.zip")
    with open(not_a_zip, "w") as f:
        f.write("not a model\n")
    other_zip = os.path.join(d, "other.zip")
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    return {
        "sac": saved(d, "sac", sb3.SAC("MlpPolicy", hopper, buffer_size=100, device="cpu")),
        "td3": saved(d, "td3", sb3.TD3("MlpPolicy", hopper, buffer_size=100, device="cpu")),
        "sde": saved(d, "sde", sb3.PPO("MlpPolicy", hopper, use_sde=True, device="cpu")),
        "elu": saved(d, "elu", sb3.PPO("MlpPolicy", hopper, policy_kwargs=dict(activation_fn=torch.nn.ELU), device="cpu")),
        "image": saved(d, "image", sb3.PPO("MlpPolicy", ImageEnv(), device="cpu")),
        "cnn": saved(d, "cnn", sb3.PPO("CnnPolicy", ImageEnv(), device="cpu")),
        "dict": saved(d, "dict", sb3.PPO("MultiInputPolicy", DictEnv(), device="cpu")),
        "not_a_zip": not_a_zip, "other_zip": other_zip, "missing": os.path.join(d, "missing.zip"),
    }


@pytest.mark.parametrize("case, message", [
    ("sac", "holds a SAC model: --from-sb3 converts a PPO or A2C model with MlpPolicy"),
    ("td3", "holds a TD3 model: --from-sb3 converts a PPO or A2C model"),
    ("sde", "uses gSDE (use_sde=True): its std depends on the state; --from-sb3 converts"),
    ("elu", "unsupported activation ELU in the model's policy network: --from-sb3 converts"),
    ("image", "takes Box(0, 255, (3, 36, 36), uint8) observations (image or dict observations)"),
    ("cnn", "holds a model with policy ActorCriticCnnPolicy: --from-sb3 converts"),
    ("dict", "holds a model with policy MultiInputActorCriticPolicy: --from-sb3 converts"),
    ("not_a_zip", "is not a zip file: give the .zip that an SB3 model's save() writes"),
    ("other_zip", "is not a Stable-Baselines3 model"),
    ("missing", "missing.zip does not exist"),
])
def test_what_the_converter_cannot_take_is_one_line(unsupported, tmp_path, case, message):
    out = tmp_path / "p.pt"
    result = run_main(prior_train.main, "--env-id", ENV, "--from-sb3", unsupported[case], "--out", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert not out.exists()


def test_statistics_and_env_mismatches_are_one_line(models, tmp_path):
    model_path, stats_path = models["normalised"]
    cases = [
        (["--env-id", "Walker2d-v4", "--from-sb3", model_path, "--sb3-vecnormalize", stats_path],
         f"{model_path} was trained on Hopper-v4, not on --env-id Walker2d-v4"),
        (["--env-id", ENV, "--from-sb3", model_path],
         "was trained with VecNormalize: pass its statistics with --sb3-vecnormalize STATS.pkl"),
        (["--env-id", ENV, "--from-sb3", models["plain"][0], "--sb3-vecnormalize", stats_path],
         "was trained without VecNormalize: drop --sb3-vecnormalize"),
        (["--env-id", ENV, "--from-sb3", model_path, "--sb3-vecnormalize", str(tmp_path / "none.pkl")],
         "none.pkl does not exist"),
        (["--env-id", ENV, "--from-sb3", model_path, "--sb3-vecnormalize", model_path],
         "is not a VecNormalize statistics file"),
        (["--env-id", ENV, "--from-sb3", model_path, "--sb3-vecnormalize", stats_path, "--reward", "total"],
         "--reward total and --measure-only do not apply"),
    ]
    for argv, message in cases:
        result = run_main(prior_train.main, *argv, "--out", str(tmp_path / "p.pt"))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, (argv, result.stderr)
        assert message in result.stderr, result.stderr
    assert not (tmp_path / "p.pt").exists()


def test_train_sb3_writes_what_the_converter_takes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_sb3", os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))), "benchmark", "train_sb3.py"))
    train_sb3 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_sb3)
    out = tmp_path / "agent"
    result = run_main(train_sb3.main, "--env-id", "Walker2d-v4", "--total-timesteps", "512", "--out", str(out),
                      "--report-every", "0")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(out)) == ["command.txt", "model.zip", "vecnormalize.pkl"]
    assert "python" in (out / "command.txt").read_text() and "5.05041e-05" in (out / "command.txt").read_text()
    again = run_main(train_sb3.main, "--env-id", "Walker2d-v4", "--total-timesteps", "512", "--out", str(out))
    assert again.returncode == 2 and "exists: pass --force" in again.stderr
    ckpt, _ = prior_train.prior_from_sb3(str(out / "model.zip"), "Walker2d-v4", str(out / "vecnormalize.pkl"))
    assert ckpt["sb3"]["trained_on"] == "Walker2d-v4" and ckpt["sb3"]["hyperparameters"]["n_epochs"] == 20
    assert ckpt["args"]["hidden_sizes"] == [64, 64] and ckpt["args"]["norm_obs"]
