"""Where the time of one PPO iteration goes (microseconds per environment step), piece by piece.

    python benchmark/profile_ppo.py --env-id Walker2d-v4

Times the pieces ppo_continuous.py is made of, each on its own, with the script's own classes, next to
the alternatives it avoids: CleanRL's wrapper stack around the env, torch.distributions.Normal on the hot
path, a torch forward pass per step instead of numpy on the weights, per-minibatch index gathers and
statistics instead of one gather per epoch, torch.optim.Adam (fused, or its default for-loop) instead of
FlatAdam. One thread, like the script. Then start-up, each in a fresh process: importing the script, and
creating a torch.optim.Adam (its first call imports torch._dynamo) against creating a FlatAdam.
"""
import argparse
import os
import subprocess
import sys
import time
import warnings

import gymnasium as gym
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import ppo_continuous as ppo  # noqa: E402

warnings.filterwarnings("ignore")


def per_call(fn, n):
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def startup_seconds(code, repeats=3):
    """Median wall time of `python -c code` in a fresh process, from the repository root."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def env_step_cost(env, n):
    env.reset(seed=0)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(n)]
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if np.any(terminated) or np.any(truncated):
            if not isinstance(env, gym.vector.VectorEnv):
                env.reset()
    return (time.perf_counter() - start) / n * 1e6


def cleanrl_style_envs(env_id, gamma):
    """The wrapper stack of CleanRL's ppo_continuous_action.py, on Gymnasium 1.x's vector API."""
    def thunk():
        env = gym.make(env_id)
        env = gym.wrappers.FlattenObservation(env)
        env = gym.wrappers.RecordEpisodeStatistics(env)
        env = gym.wrappers.ClipAction(env)
        env = gym.wrappers.NormalizeObservation(env)
        env = gym.wrappers.TransformObservation(env, lambda o: np.clip(o, -10, 10), env.observation_space)
        env = gym.wrappers.NormalizeReward(env, gamma=gamma)
        return gym.wrappers.TransformReward(env, lambda r: float(np.clip(r, -10, 10)))
    return gym.vector.SyncVectorEnv([thunk])


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--env-id", default="Walker2d-v4")
    p.add_argument("--steps", type=int, default=5000)
    args = p.parse_args()
    torch.set_num_threads(1)
    a = ppo.Args(env_id=args.env_id)
    ppo.check_args(a)
    env = ppo.make_env(args.env_id)
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    agent, normalizer = ppo.Agent(obs_dim, act_dim), ppo.Normalizer(obs_dim, 1, a)
    raw = np.random.default_rng(0).normal(size=(1, obs_dim))
    rng = np.random.default_rng(0)
    rows = [
        ("env: gym.make(env_id).step (what the script steps)", env_step_cost(env, args.steps)),
        ("env: CleanRL's wrapper stack in a SyncVectorEnv (avoided)", env_step_cost(cleanrl_style_envs(args.env_id, a.gamma),
                                                                                   args.steps)),
        ("rollout: observation normalisation (update + normalise)", per_call(lambda: normalizer.obs(raw), 3000)),
        ("rollout: reward normalisation", per_call(lambda: normalizer.reward(np.ones(1), np.zeros(1, bool)), 3000)),
    ]
    x = torch.from_numpy(normalizer.obs(raw))
    with torch.inference_mode():
        actor_np, x_np = ppo.numpy_forward(agent.actor_mean), x.numpy()
        rows.append(("rollout: actor forward, one observation, numpy (what the script does)",
                     per_call(lambda: actor_np(x_np), 3000)))
        rows.append(("rollout: actor forward, one observation, torch (avoided)", per_call(lambda: agent.actor_mean(x), 3000)))
        logstd = agent.actor_logstd.numpy()[0]

        def sample_numpy():
            noise = rng.standard_normal((1, act_dim), dtype=np.float32)
            return -0.5 * (noise**2).sum(-1) - logstd.sum() - act_dim * ppo.LOG_SQRT_2PI

        def sample_distribution():
            dist = torch.distributions.Normal(agent.actor_mean(x), agent.actor_logstd.exp())
            action = dist.sample()
            return dist.log_prob(action).sum(-1), agent.critic(x)

        rows.append(("rollout: sample + log-prob from the noise (numpy)", per_call(sample_numpy, 3000)))
        rows.append(("rollout: CleanRL's per-step Normal + log_prob + critic (avoided)", per_call(sample_distribution, 3000)))
        batch = torch.randn(a.batch_size, obs_dim)
        critic_batch = per_call(lambda: agent.get_value(batch), 20) / a.batch_size
        rows.append(("rollout: critic on the whole rollout, per step", critic_batch))

    b_obs, b_act = torch.randn(a.batch_size, obs_dim), torch.randn(a.batch_size, act_dim)
    b_adv, b_ret, b_lp = torch.randn(a.batch_size), torch.randn(a.batch_size), torch.randn(a.batch_size)

    b_val = torch.randn(a.batch_size)

    def update_cost(optimizer, per_epoch_gather):
        """One iteration's update (epochs x minibatches: forward, clipped losses, backward, clipping, Adam step),
        per env step. optimizer: "flat" (the script's FlatAdam), "fused" (torch.optim.Adam(fused=True) after
        clip_grad_norm_(foreach=True): ours before FlatAdam) or "for-loop" (torch.optim.Adam's default on this CPU
        build, CleanRL's). per_epoch_gather: the script's way (one shuffle-gather per epoch, minibatches are slices,
        advantages normalised for all minibatches at once, KL/clip statistics once per iteration); otherwise each
        minibatch gathers its rows by index and computes its own statistics (CleanRL's way, ours before)."""
        net = ppo.Agent(obs_dim, act_dim)
        if optimizer == "flat":
            opt = ppo.FlatAdam(net.parameters(), lr=3e-4, eps=1e-5)
        else:
            opt = torch.optim.Adam(net.parameters(), lr=3e-4, eps=1e-5, fused=optimizer == "fused")
        rng, n_mb = np.random.default_rng(0), a.num_minibatches

        def loss_of(obs, act, lp, adv, ret, val):
            newlogprob, entropy = net.get_log_prob_entropy(obs, act)
            newvalue = net.get_value(obs)
            logratio = newlogprob - lp
            ratio = logratio.exp()
            pg = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
            v_clipped = val + (newvalue - val).clamp(-0.2, 0.2)
            v_loss = 0.5 * torch.max((newvalue - ret) ** 2, (v_clipped - ret) ** 2).mean()
            return pg + 0.5 * v_loss, logratio, ratio

        def step(loss):
            opt.zero_grad()
            loss.backward()
            if optimizer == "flat":
                opt.clip_grad_norm_(0.5)
            else:
                torch.nn.utils.clip_grad_norm_(net.parameters(), 0.5, foreach=True)
            opt.step()

        def one_epoch():
            perm = torch.from_numpy(rng.permutation(a.batch_size))
            if per_epoch_gather:
                e = [t[perm] for t in (b_obs, b_act, b_lp, b_adv, b_ret, b_val)]
                adv = e[3].view(n_mb, -1)
                e[3] = ((adv - adv.mean(1, keepdim=True)) / (adv.std(1, keepdim=True) + 1e-8)).view(-1)
                logratios = []
                for start in range(0, a.batch_size, a.minibatch_size):
                    mb = slice(start, start + a.minibatch_size)
                    loss, logratio, _ = loss_of(*(t[mb] for t in e))
                    logratios.append(logratio.detach())
                    step(loss)
                with torch.no_grad():
                    ((torch.cat(logratios).exp() - 1).abs() > 0.2).float().mean()
                return
            for start in range(0, a.batch_size, a.minibatch_size):
                i = perm[start : start + a.minibatch_size]
                adv = (b_adv[i] - b_adv[i].mean()) / (b_adv[i].std() + 1e-8)
                loss, logratio, ratio = loss_of(b_obs[i], b_act[i], b_lp[i], adv, b_ret[i], b_val[i])
                with torch.no_grad():
                    (-logratio).mean(), ((ratio - 1) - logratio).mean(), ((ratio - 1.0).abs() > 0.2).float().mean()
                step(loss)

        one_epoch()  # warm-up
        start = time.perf_counter()
        for _ in range(3):
            one_epoch()
        per_iteration = (time.perf_counter() - start) / 3 * a.update_epochs
        return per_iteration / a.batch_size * 1e6

    rows.append(("update: 10 epochs x 32 minibatches, per-epoch gather, FlatAdam (what the script does)",
                 update_cost("flat", True)))
    rows.append(("update: same with fused Adam after foreach clipping (before FlatAdam)", update_cost("fused", True)))
    rows.append(("update: per-minibatch gathers and statistics, fused Adam (before that)", update_cost("fused", False)))
    rows.append(("update: per-minibatch gathers and the default for-loop Adam (avoided)", update_cost("for-loop", False)))
    print(f"# Where the time goes: {args.env_id}, microseconds per environment step\n")
    print("| piece | us/step |\n| --- | ---: |")
    for name, us in rows:
        print(f"| {name} | {us:.1f} |")

    agent = "ppo.Agent(17, 6).parameters(), lr=3e-4, eps=1e-5"
    startup = [
        ("python -c 'import torch'", "import torch"),
        ("python -c 'import ppo_continuous'", "import ppo_continuous"),
        ("... and create a torch.optim.Adam (fused; before)",
         f"import ppo_continuous as ppo, torch; torch.optim.Adam({agent}, fused=True)"),
        ("... and create a FlatAdam (what the script does)", f"import ppo_continuous as ppo; ppo.FlatAdam({agent})"),
    ]
    print("\n# Start-up, a fresh process each (median of 3, seconds)\n")
    print("| what | s |\n| --- | ---: |")
    for name, code in startup:
        print(f"| {name} | {startup_seconds(code):.2f} |")


if __name__ == "__main__":
    main()
