"""The networks and their optimizer: the architecture flags, CleanRL's initial weights, a prior of another architecture
in Residual PPO, and FlatAdam across a move of the parameters' storage."""
import numpy as np
import pytest
import torch
import torch.nn as nn
import tyro

import ppo_continuous as ppo
import prior_train
import residual_ppo_continuous as residual
import soft_ppo_continuous as soft

MODULES = [ppo, soft, residual]  # every algorithm file has its own networks and FlatAdam


def cleanrl_agent(obs_dim, act_dim):
    """CleanRL's ppo_continuous_action.py networks, as it writes them (its Agent's layers, in its order)."""
    def layer_init(layer, std=np.sqrt(2), bias_const=0.0):
        torch.nn.init.orthogonal_(layer.weight, std)
        torch.nn.init.constant_(layer.bias, bias_const)
        return layer

    critic = nn.Sequential(layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(), layer_init(nn.Linear(64, 64)), nn.Tanh(),
                           layer_init(nn.Linear(64, 1), std=1.0))
    actor_mean = nn.Sequential(layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(), layer_init(nn.Linear(64, 64)), nn.Tanh(),
                               layer_init(nn.Linear(64, act_dim), std=0.01))
    return {**{f"critic.{k}": v for k, v in critic.state_dict().items()},
            **{f"actor_mean.{k}": v for k, v in actor_mean.state_dict().items()}, "actor_logstd": torch.zeros(1, act_dim)}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_default_networks_are_cleanrls_weight_for_weight(module):
    args = module.Args()
    assert (args.hidden_sizes, args.activation, args.log_std_init, args.ortho_init) == ((64, 64), "tanh", 0.0, True)
    for seed in (1, 7):
        torch.manual_seed(seed)
        reference = cleanrl_agent(17, 6)
        torch.manual_seed(seed)
        agent = module.Agent(17, 6, args.hidden_sizes, args.activation, args.log_std_init, args.ortho_init)
        state = agent.state_dict()
        assert sorted(state) == sorted(reference)  # the keys of checkpoints written before the flags
        for name, value in reference.items():
            assert torch.equal(state[name], value), name  # bit for bit


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_architecture_flags(module):
    args = tyro.cli(module.Args, args=["--hidden-sizes", "32", "16", "--activation", "relu", "--log-std-init", "-2",
                                       "--no-ortho-init"])
    assert (args.hidden_sizes, args.activation, args.log_std_init, args.ortho_init) == ((32, 16), "relu", -2.0, False)
    torch.manual_seed(0)
    agent = module.Agent(5, 2, args.hidden_sizes, args.activation, args.log_std_init, args.ortho_init)
    for net, out in ((agent.actor_mean, 2), (agent.critic, 1)):
        assert [m.out_features for m in net if isinstance(m, nn.Linear)] == [32, 16, out]
        assert [type(m) for m in net if not isinstance(m, nn.Linear)] == [nn.ReLU, nn.ReLU]
    assert torch.equal(agent.actor_logstd.detach(), torch.full((1, 2), -2.0))
    assert agent.actor_mean[-1].weight.abs().max() > 0.05  # torch's default init, not orthogonal at 0.01
    x = np.random.default_rng(0).normal(size=(8, 5)).astype(np.float32)
    with torch.no_grad():  # the numpy forward the rollouts use computes the same ReLU network
        np.testing.assert_allclose(module.numpy_forward(agent.actor_mean)(x), agent.actor_mean(torch.from_numpy(x)).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert module.network({}) == ((64, 64), "tanh")  # a checkpoint written before the flags existed


def test_bad_hidden_sizes_are_refused_in_one_line(tmp_path):
    from tests.cli import main_exit

    code, err = main_exit(ppo.main, ["--hidden-sizes", "64", "0", "--runs-dir", str(tmp_path)])
    assert code == 2 and err == ["error: --hidden-sizes must be positive layer widths, got 64 0"]


def test_a_prior_of_another_architecture_customizes(tmp_path):
    """A prior with 32-16 ReLU networks, trained by prior_train.py: Residual PPO builds the learner (and the prior's
    own network) with that architecture, and its evaluation before the first update is the prior's."""
    path = tmp_path / "prior.pt"
    prior_train.main(["--env-id", "Hopper-v4", "--out", str(path), "--runs-dir", str(tmp_path / "runs"), "--total-timesteps",
                      "1024", "--num-steps", "512", "--eval-episodes", "2", "--measure-steps", "1000", "--no-progress",
                      "--hidden-sizes", "32", "16", "--activation", "relu"])
    ckpt = residual.load_checkpoint(str(path))
    assert residual.network(ckpt["args"]) == ((32, 16), "relu") and ckpt["actor"]["actor_mean"]["0.weight"].shape == (32, 11)
    agents = []
    summary = residual.train(residual.Args(env_id="Hopper-v4", prior_path=str(path), total_timesteps=512, num_steps=256,
                                           num_minibatches=4, update_epochs=1, eval_episodes=2, progress=False,
                                           runs_dir=str(tmp_path / "residual")), inspect=lambda r: agents.append(r["agent"]))
    assert (tuple(summary["args"]["hidden_sizes"]), summary["args"]["activation"]) == ((32, 16), "relu")
    assert [type(m) for m in agents[0].critic] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    for key in ("basic_return", "addon_return", "length"):
        assert summary["eval_initial"][key] == pytest.approx(ckpt["eval_task"][key]), key


def adam_step(agent, optimizer, seed):
    g = torch.Generator().manual_seed(seed)
    obs, action = torch.randn(64, 17, generator=g) * 3, torch.randn(64, 6, generator=g)
    logprob, _ = agent.get_log_prob_entropy(obs, action)
    loss = -logprob.mean() + (agent.get_value(obs) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    if isinstance(optimizer, torch.optim.Adam):
        torch.nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
    else:
        optimizer.clip_grad_norm_(0.5)
    optimizer.step()


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
@pytest.mark.parametrize("round_trip", ["double-float", "to-copy"])
def test_flat_adam_keeps_training_after_the_parameters_storage_moves(module, round_trip):
    """A device move (`--cuda` and an evaluation on the CPU) gives every parameter new storage; on the CPU a dtype
    round trip or `.to(copy=True)` does the same. The optimizer must follow: the next step changes every parameter,
    the parameters and gradients are views of its flat buffers again, and Adam's moments carry over (the steps equal
    torch.optim.Adam's, which keys its state by parameter and so never loses it)."""
    torch.manual_seed(0)
    agent, reference = module.Agent(17, 6), module.Agent(17, 6)
    reference.load_state_dict(agent.state_dict())
    optimizer = module.FlatAdam(agent.parameters(), lr=1e-3, eps=1e-5)
    torch_adam = torch.optim.Adam(reference.parameters(), lr=1e-3, eps=1e-5)
    for net, opt in ((agent, optimizer), (reference, torch_adam)):
        adam_step(net, opt, seed=1)  # moments that are not zero
    old_storage = optimizer.param.untyped_storage().data_ptr()
    if round_trip == "double-float":
        agent.double().float()
    else:
        for p in agent.parameters():  # what Module.to does for a real device move: new storage, same Parameter
            p.data = p.data.to(copy=True)
    assert next(agent.parameters()).untyped_storage().data_ptr() != old_storage  # the storage did move
    before = [p.detach().clone() for p in agent.parameters()]
    for net, opt in ((agent, optimizer), (reference, torch_adam)):
        adam_step(net, opt, seed=2)
    storage, grad_storage = optimizer.param.untyped_storage().data_ptr(), optimizer.grad.untyped_storage().data_ptr()
    for (name, p), q, b in zip(agent.named_parameters(), reference.parameters(), before, strict=True):
        assert not torch.equal(p.detach(), b), f"{name} did not change"
        assert p.untyped_storage().data_ptr() == storage and p.grad.untyped_storage().data_ptr() == grad_storage, name
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-5, atol=1e-6, msg=name)
    assert optimizer.t == 2


def test_residual_ppo_trains_when_the_evaluation_moves_the_agent(tmp_path, monkeypatch):
    """With --cuda the evaluation before the first update used to move the agent to the CPU and back, which left the
    optimizer stepping buffers no parameter used: the run finished and nothing trained. Here the evaluation does a
    storage-changing round trip on the CPU; the actor and critic must still change from one rollout to the next."""
    evaluate = residual.evaluate

    def moving_evaluate(agent, *args, **kwargs):
        agent.double().float()
        return evaluate(agent, *args, **kwargs)

    monkeypatch.setattr(residual, "evaluate", moving_evaluate)
    snapshots = []
    args = residual.Args(env_id="Hopper-v4", total_timesteps=512, num_steps=256, num_minibatches=4, update_epochs=2,
                         eval_episodes=1, progress=False, runs_dir=str(tmp_path))  # the shipped prior, read only
    residual.train(args, inspect=lambda r: snapshots.append({k: v.clone() for k, v in r["agent"].state_dict().items()}))
    first, second = snapshots
    for name in first:
        assert not torch.equal(first[name], second[name]), f"{name} did not train"
