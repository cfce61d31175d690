"""The networks and their optimizer: FlatAdam across a move of the parameters' storage."""
import pytest
import torch

import ppo_continuous as ppo
import residual_ppo_continuous as residual
import soft_ppo_continuous as soft

MODULES = [ppo, soft, residual]  # every algorithm file has its own FlatAdam


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
