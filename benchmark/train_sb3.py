"""Train a Stable-Baselines3 PPO agent the way RL Baselines3 Zoo does, to customize it as a prior.

    python benchmark/train_sb3.py --env-id Walker2d-v4 --out runs/sb3_walker2d
    python prior_train.py --env-id Walker2d-v4 --from-sb3 runs/sb3_walker2d/model.zip \
        --sb3-vecnormalize runs/sb3_walker2d/vecnormalize.pkl --out runs/sb3_walker2d/prior.pt
    python residual_ppo_continuous.py --env-id Walker2d-v4 --prior-path runs/sb3_walker2d/prior.pt

The hyper-parameters are RL Baselines3 Zoo's for Walker2d (`hyperparams/ppo.yml`, the `Walker2d-v4` entry): one env,
VecNormalize on observations and rewards, 512-step rollouts, minibatches of 32, 20 epochs, gamma 0.99, GAE lambda
0.95, clip 0.1, learning rate 5.05041e-05, entropy coefficient 0.000585045, value coefficient 0.871923, gradient norm
1, SB3's default MlpPolicy (64-64 tanh, orthogonal init, log-std 0). Writes model.zip, vecnormalize.pkl and
command.txt to --out.
"""
import argparse
import os
import shlex
import sys

ZOO_WALKER2D = dict(n_steps=512, batch_size=32, gamma=0.99, learning_rate=5.05041e-05, ent_coef=0.000585045,
                    clip_range=0.1, n_epochs=20, gae_lambda=0.95, max_grad_norm=1.0, vf_coef=0.871923)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env-id", default="Walker2d-v4")
    p.add_argument("--out", required=True, help="folder for model.zip, vecnormalize.pkl and command.txt")
    p.add_argument("--total-timesteps", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.total_timesteps < 1:
        sys.exit("error: --total-timesteps must be at least 1")

    import gymnasium as gym
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    try:
        gym.spec(args.env_id)
    except gym.error.Error as e:
        sys.exit(f"error: unknown env id {args.env_id!r} ({e})")
    torch.set_num_threads(1)  # SB3's small networks run fastest on one thread, as ours do
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "command.txt"), "w") as f:
        f.write(shlex.join(["python", "benchmark/train_sb3.py", *(argv if argv is not None else sys.argv[1:])]) + "\n")
    env = VecNormalize(DummyVecEnv([lambda: gym.make(args.env_id)]), norm_obs=True, norm_reward=True, gamma=0.99)
    env.seed(args.seed)
    model = PPO("MlpPolicy", env, seed=args.seed, device="cpu", verbose=0, **ZOO_WALKER2D)
    model.learn(total_timesteps=args.total_timesteps, progress_bar=False)
    model.save(os.path.join(args.out, "model.zip"))
    env.save(os.path.join(args.out, "vecnormalize.pkl"))
    print(f"wrote {args.out}/model.zip and vecnormalize.pkl")


if __name__ == "__main__":
    main()
