"""Add-on tasks: each reward and metric against hand-computed values from known MuJoCo states, -v4 and -v5."""
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import addon_tasks
import tests.toy_envs  # noqa: F401
from addon_tasks import AddonRewardWrapper, TaskError, TaskFailed, get_task


def state_obs(env_id, set_state):
    """The observation of env_id after `set_state(model, qpos, qvel)` edits the initial state."""
    env = gym.make(env_id)
    env.reset(seed=0)
    u = env.unwrapped
    qpos, qvel = u.data.qpos.copy(), u.data.qvel.copy()
    set_state(u.model, qpos, qvel)
    u.set_state(qpos, qvel)
    return u._get_obs()


def joint_qpos_adr(model, name):
    return model.jnt_qposadr[model.joint(name).id]


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_halfcheetah_stiff_front_foot(version):
    obs = state_obs(f"HalfCheetah-{version}",
                    lambda m, q, v: q.__setitem__(joint_qpos_adr(m, "ffoot"), -0.3))
    task = get_task(f"HalfCheetah-{version}")
    assert task.reward(obs) == pytest.approx(-10 * 0.3) and task.metric(obs) == pytest.approx(0.3)


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_hopper_hop_higher(version):
    obs = state_obs(f"Hopper-{version}", lambda m, q, v: q.__setitem__(joint_qpos_adr(m, "rootz"), 1.4))
    task = get_task(f"Hopper-{version}")
    assert task.reward(obs) == pytest.approx(10 * (1.4 - 1.0)) and task.metric(obs) == pytest.approx(1.4)


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_ant_drift_toward_minus_y(version):
    def set_vy(m, q, v):
        v[1] = 0.7  # free joint velocity: (vx, vy, vz, wx, wy, wz)

    obs = state_obs(f"Ant-{version}", set_vy)
    task = get_task(f"Ant-{version}")
    assert task.reward(obs) == pytest.approx(-0.7) and task.metric(obs) == pytest.approx(-0.7)


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_walker_upright(version):
    obs = state_obs(f"Walker2d-{version}", lambda m, q, v: q.__setitem__(joint_qpos_adr(m, "rooty"), 0.2))
    task = get_task(f"Walker2d-{version}")
    assert task.reward(obs) == pytest.approx(-10 * 0.2) and task.metric(obs) == pytest.approx(0.2)


@pytest.mark.parametrize("mode", ["addon", "total", "basic"])
def test_wrapper_reports_all_rewards_and_pays_the_chosen_one(mode):
    task = get_task("Hopper-v4")
    env = AddonRewardWrapper(gym.make("Hopper-v4"), task, reward=mode)
    env.reset(seed=0)
    plain = gym.make("Hopper-v4")
    plain.reset(seed=0)
    action = np.full(3, 0.3, dtype=np.float32)
    obs, reward, *_, info = env.step(action)
    _, basic, *_ = plain.step(action)
    assert info["basic_reward"] == pytest.approx(basic)
    assert info["addon_reward"] == pytest.approx(10 * (obs[0] - 1.0)) and info["addon_metric"] == pytest.approx(obs[0])
    expected = {"addon": info["addon_reward"], "total": basic + info["addon_reward"], "basic": basic}[mode]
    assert reward == pytest.approx(expected)


def test_user_task_from_module_function():
    task = get_task("Counter-v0", "tests.toy_envs:counter_addon")
    assert task.reward(np.array([4.0, 0.0])) == 2.0
    with pytest.raises(TaskError, match="module:function"):
        get_task("Hopper-v4", "tests.toy_envs:no_such_function")
    with pytest.raises(TaskError, match="no add-on task for Swimmer-v4"):
        get_task("Swimmer-v4")


def test_registry_entry_serves_a_new_env():
    addon_tasks.TASKS["Swimmer"] = addon_tasks.AddonTask("faster", lambda o: o[3], lambda o: o[3], "mean vx")
    try:
        assert get_task("Swimmer-v5").name == "faster"
        env_id = addon_tasks.register_task_env("Swimmer-v5", "total")
        env = gym.make(env_id)
        env.reset(seed=0)
        obs, reward, *_, info = env.step(env.action_space.sample())
        assert reward == pytest.approx(info["basic_reward"] + obs[3])
    finally:
        del addon_tasks.TASKS["Swimmer"]


def test_evaluate_on_task_sums_per_episode():
    env = AddonRewardWrapper(gym.make("tests.toy_envs:Counter-v0"), get_task("Counter-v0", "tests.toy_envs:counter_addon"))
    out = addon_tasks.evaluate_on_task(lambda o: np.zeros(1, np.float32), env, episodes=2, seed=0)
    # 5 steps, obs[0] = 1..5 after each step: add-on 0.5 * 15 = 7.5, basic 5, metric mean 0.5 * 3 = 1.5
    assert out["basic_return"] == [5.0, 5.0] and out["addon_return_mean"] == 7.5
    assert out["total_return_mean"] == 12.5 and out["addon_metric_mean"] == 1.5 and out["length"] == [5, 5]


@pytest.mark.parametrize("name", sorted(addon_tasks.TASKS))
@pytest.mark.parametrize("version", ["v4", "v5"])
def test_wrapper_passes_gymnasiums_env_checker(name, version):
    # the render check is skipped: "human" mode needs a display; the close check still re-creates the
    # wrapper from env.spec, which needs the recorded constructor arguments
    env = AddonRewardWrapper(gym.make(f"{name}-{version}"), addon_tasks.TASKS[name], reward="total")
    with pytest.warns(UserWarning):  # Gymnasium's own notes on wrapped envs and infinite bounds, nothing of ours
        check_env(env, skip_render_check=True)
    again = env.spec.make()
    assert isinstance(again, AddonRewardWrapper) and again.task == env.task and again.mode == "total"


def counter_with(reward, metric=None):
    task = addon_tasks.AddonTask("my task", reward, metric or (lambda o: 0.0), "m")
    env = AddonRewardWrapper(gym.make("tests.toy_envs:Counter-v0"), task)
    env.reset(seed=0)
    return env


@pytest.mark.parametrize("value, shown", [
    (float("nan"), "nan (float)"), (float("inf"), "inf (float)"), (np.float32("-inf"), "-inf) (float32)"),
    ("fast", "'fast' (str)"), (None, "None (NoneType)"), (np.ones(2), "array([1., 1.]) (ndarray)"),
])
def test_task_returning_a_non_finite_or_non_number_stops_with_one_line(value, shown):
    for reward, metric in ((lambda o: value, None), (lambda o: 1.0, lambda o: value)):
        with pytest.raises(TaskFailed) as e:
            counter_with(reward, metric).step(np.zeros(1, np.float32))
        what = "reward" if metric is None else "metric"
        assert f"add-on task 'my task': its {what} at step 1 of this env returned " in str(e.value)
        assert f"{shown}; it must return one finite number" in str(e.value)
        assert "\n" not in str(e.value) and isinstance(e.value, TaskError)


def test_task_that_raises_is_named_with_the_step_and_the_line():
    env = AddonRewardWrapper(gym.make("tests.toy_envs:Counter-v0"), get_task("Counter-v0", "tests.toy_envs:addon_raises"))
    env.reset(seed=0)
    with pytest.raises(TaskFailed, match=r"'tests.toy_envs:addon_raises': its reward at step 1 of this env raised "
                                         r"IndexError: .* \(toy_envs.py:\d+\)$"):
        env.step(np.zeros(1, np.float32))
    late = AddonRewardWrapper(gym.make("tests.toy_envs:Counter-v0"),
                              get_task("Counter-v0", "tests.toy_envs:addon_nan_at_third_step"))
    late.reset(seed=0)
    late.step(np.zeros(1, np.float32))
    late.step(np.zeros(1, np.float32))
    with pytest.raises(TaskFailed, match="at step 3 of this env returned nan"):
        late.step(np.zeros(1, np.float32))


def test_any_real_number_type_is_accepted():
    for value in (2, 2.5, np.float32(2.5), np.int64(2), np.array(2.5), np.bool_(True), True):
        _, reward, *_, info = counter_with(lambda o, v=value: v).step(np.zeros(1, np.float32))
        assert reward == float(value) and type(reward) is float and type(info["addon_reward"]) is float


def test_module_that_fails_to_import_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "broken_task_module.py").write_text("raise RuntimeError('oops at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TaskError, match="cannot load add-on task 'broken_task_module:f' \\(RuntimeError: oops at import\\)"):
        get_task("Hopper-v4", "broken_task_module:f")
    sys.modules.pop("broken_task_module", None)


# --- tasks of the transition: f(obs, action, next_obs, info) beside f(next_obs) ---

def needs_action(obs, action):  # the two-argument task a user may try first: refused when loaded, in one line
    return -0.1 * float(np.sum(np.square(action)))


def action_cost(obs, action, next_obs, info):
    return -float(np.sum(np.square(action)))


class Recorder:
    """A task of the transition that records every call's arguments."""

    def __init__(self):
        self.calls = []

    def __call__(self, obs, action, next_obs, info):
        self.calls.append((np.copy(obs), np.copy(action), np.copy(next_obs), info))
        return 0.5


def test_transition_task_gets_obs_clipped_action_next_obs_and_the_envs_own_info():
    record = Recorder()
    env = AddonRewardWrapper(gym.make("HalfCheetah-v4"), addon_tasks.AddonTask("rec", record, lambda o: 1.0, "m"))
    plain = gym.make("HalfCheetah-v4")
    obs0, _ = env.reset(seed=3)
    plain_obs0, _ = plain.reset(seed=3)
    actions = [np.array([2.0, -3.0, 0.5, 1.0, -1.0, 0.0], np.float32), np.full(6, 0.2, np.float32)]
    obs1, reward, *_, info1 = env.step(actions[0])
    obs2, *_ = env.step(actions[1])
    plain_obs1, *_, plain_info1 = plain.step(np.clip(actions[0], -1, 1))  # MuJoCo clamps: same motion
    assert reward == 0.5 and info1["addon_reward"] == 0.5 and info1["addon_metric"] == 1.0
    (o, a, n, i), (o2, a2, n2, _) = record.calls
    np.testing.assert_array_equal(o, obs0)
    np.testing.assert_array_equal(o, plain_obs0)
    np.testing.assert_array_equal(a, [1.0, -1.0, 0.5, 1.0, -1.0, 0.0])  # clipped to the bounds
    np.testing.assert_array_equal(n, obs1)
    np.testing.assert_allclose(n, plain_obs1)
    np.testing.assert_array_equal(o2, obs1)  # the next transition starts where this one ended
    np.testing.assert_array_equal(a2, actions[1])
    np.testing.assert_array_equal(n2, obs2)
    # the env's own info: its keys and values, not the wrapper's additions
    assert set(i) == set(plain_info1) and "x_velocity" in i and "addon_reward" not in i
    assert i["x_velocity"] == pytest.approx(plain_info1["x_velocity"])
    env.reset(seed=4)  # a reset starts a new first transition
    env.step(actions[1])
    assert record.calls[-1][0].tolist() == plain.reset(seed=4)[0].tolist()


def test_both_forms_mix_in_one_task_and_from_the_command_line():
    task = addon_tasks.AddonTask("mixed", action_cost, lambda next_obs: next_obs[0], "t")
    assert task.arity == {"reward": 4, "metric": 1}
    env = AddonRewardWrapper(gym.make("tests.toy_envs:Counter-v0"), task, reward="total")
    env.reset(seed=0)
    obs, reward, *_, info = env.step(np.array([3.0], np.float32))  # clipped to 1 for the task
    assert info["addon_reward"] == -1.0 and reward == 1.0 - 1.0 and info["addon_metric"] == obs[0] == 1.0
    loaded = get_task("Counter-v0", "tests.test_addon_tasks:action_cost")
    assert loaded.arity == {"reward": 4, "metric": 4} and loaded.name == "tests.test_addon_tasks:action_cost"
    old_form = get_task("Counter-v0", "tests.toy_envs:counter_addon")  # f(next_obs) works unchanged
    assert old_form.arity == {"reward": 1, "metric": 1}
    assert all(t.arity == {"reward": 1, "metric": 1} for t in addon_tasks.TASKS.values())
    # *args takes the whole transition; an optional second argument keeps the next-observation form
    assert addon_tasks.AddonTask("v", lambda *a: 0.0, lambda o, k=2: 0.0, "m").arity == {"reward": 4, "metric": 1}


@pytest.mark.parametrize("fn, shown", [
    (needs_action, "(obs, action)"), (lambda: 1.0, "()"), (lambda o, a, n: 1.0, "(o, a, n)"),
    (lambda o, a, n, i, extra: 1.0, "(o, a, n, i, extra)"), (lambda o, *, scale: 1.0, "(o, *, scale)"),
])
def test_a_task_of_any_other_signature_is_refused_when_loaded_in_one_line(fn, shown):
    for what in ("reward", "metric"):
        with pytest.raises(TaskError) as e:
            addon_tasks.AddonTask("bad", fn, lambda o: 0.0, "m") if what == "reward" else (
                addon_tasks.AddonTask("bad", lambda o: 0.0, fn, "m"))
        assert str(e.value) == (f"add-on task 'bad': its {what} takes {shown}; it must take (next_obs) or "
                                "(obs, action, next_obs, info)")
    with pytest.raises(TaskError, match=r"^add-on task 'tests.test_addon_tasks:needs_action': its reward takes "
                                        r"\(obs, action\); it must take"):
        get_task("HalfCheetah-v4", "tests.test_addon_tasks:needs_action")
    with pytest.raises(TaskError, match="its metric is 3, not a function"):
        addon_tasks.AddonTask("bad", lambda o: 0.0, 3, "m")


def test_transition_task_returning_a_non_number_or_raising_is_one_line():
    with pytest.raises(TaskFailed, match=r"its metric at step 1 of this env returned 'x' \(str\); it must return one "):
        counter_with(action_cost, lambda o, a, n, i: "x").step(np.zeros(1, np.float32))
    with pytest.raises(TaskFailed, match=r"its reward at step 1 of this env raised KeyError: 'x_velocity' \(addon_tasks"):
        counter_with(addon_tasks.target_speed_error).step(np.zeros(1, np.float32))  # the toy env's info is empty


@pytest.mark.parametrize("version", ["v4", "v5"])
def test_shipped_transition_tasks_on_halfcheetah(version):
    assert get_task(f"HalfCheetah-{version}", "addon_tasks:halfcheetah_energy") is addon_tasks.halfcheetah_energy
    for task in (addon_tasks.halfcheetah_energy, addon_tasks.halfcheetah_target_speed):
        env = AddonRewardWrapper(gym.make(f"HalfCheetah-{version}"), task)
        env.reset(seed=0)
        env.action_space.seed(0)
        rewards = []
        for _ in range(50):
            action = 1.5 * env.action_space.sample()  # some beyond the bounds: the task prices the clipped one
            _, reward, *_, info = env.step(action)
            clipped = np.clip(action, -1, 1)
            if task is addon_tasks.halfcheetah_energy:
                assert reward == pytest.approx(-0.1 * np.sum(clipped**2))
                assert info["addon_metric"] == pytest.approx(np.mean(clipped**2))
            else:
                assert info["addon_metric"] == pytest.approx(info["x_velocity"])
                assert reward == pytest.approx(-abs(info["x_velocity"] - 2.0))
            rewards.append(reward)
        # the shipped tasks' order of size per step (stiff front foot: about -3 under the prior)
        assert -5.0 < np.mean(rewards) < -0.3


def test_scripts_refuse_a_task_of_the_wrong_signature_before_training(tmp_path):
    import prior_train
    import residual_ppo_continuous as residual
    from tests.cli import main_exit

    expected = ("error: add-on task 'tests.test_addon_tasks:needs_action': its reward takes (obs, action); it must take "
                "(next_obs) or (obs, action, next_obs, info)")
    for main in (prior_train.main, residual.main):
        code, err = main_exit(main, ["--env-id", "Hopper-v4", "--addon-task", "tests.test_addon_tasks:needs_action",
                                     "--runs-dir", str(tmp_path / "runs"), "--out" if main is prior_train.main else
                                     "--prior-path", str(tmp_path / "p.pt")])
        assert (code, err) == (2, [expected])
    assert not (tmp_path / "runs").exists()
