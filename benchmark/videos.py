"""A prior beside its customized policy, as one side-by-side GIF (the README's pictures).

    python benchmark/videos.py --env-id Walker2d-v4 --policy RUN_DIR/agent.pt --out walker.gif

Both policies run one deterministic episode (mean action, frozen normaliser) from the same seed on the
env's add-on task, rendered through MuJoCo's tracking camera (headless Linux: EGL). Each panel's caption
gives its basic and add-on return and the add-on metric of that episode.
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    os.environ.setdefault("MUJOCO_GL", "egl")
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

import residual_ppo_continuous as residual  # noqa: E402
from addon_tasks import evaluate_on_task, get_task  # noqa: E402

MAX_FPS = 20  # GIF frame rate cap: smaller files, smooth enough


def episode(ckpt_path, env_id, task, seed):
    """Frames of one deterministic episode of the checkpoint's policy, and its add-on task evaluation."""
    ckpt = residual.load_checkpoint(ckpt_path)
    if ckpt["env_id"] != env_id:
        raise residual.UserError(f"{ckpt_path} is a checkpoint for {ckpt['env_id']}, not {env_id}")
    policy = residual.Prior(ckpt)  # any of our checkpoints: actor + normaliser
    env = residual.make_video_env(env_id, task)
    low, high, frames = env.action_space.low, env.action_space.high, []
    every = residual.frame_every(env, MAX_FPS)  # render only the frames the GIF keeps
    with torch.inference_mode():
        result = evaluate_on_task(lambda obs: np.clip(policy.agent.actor_mean(torch.from_numpy(
            policy.normalizer.obs(obs[None], update=False)))[0].numpy(), low, high), env, 1, seed, frames, every)
    fps = env.metadata.get("render_fps", 30) / every
    env.close()
    return frames, result, fps


def caption(frame, text):
    img = Image.fromarray(np.concatenate([frame, np.full((46, frame.shape[1], 3), 255, np.uint8)]))
    ImageDraw.Draw(img).multiline_text((4, frame.shape[0] + 2), text, fill=(0, 0, 0))
    return np.asarray(img)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--env-id", required=True)
    p.add_argument("--prior", default=None, help="prior checkpoint (default: priors/{env_id}.pt)")
    p.add_argument("--policy", required=True, help="the customized policy's checkpoint (a run's agent.pt)")
    p.add_argument("--label", default="Residual PPO", help="caption of the customized policy")
    p.add_argument("--out", required=True, help="GIF to write")
    p.add_argument("--seed", type=int, default=10_001)
    p.add_argument("--seconds", type=float, default=8.0, help="length of the GIF (the start of the episode)")
    args = p.parse_args()
    try:
        task = get_task(args.env_id, None)
        prior_path = args.prior or os.path.join(ROOT, "priors", f"{args.env_id}.pt")
        panels = []
        for name, path in (("prior", prior_path), (args.label, args.policy)):
            frames, r, fps = episode(path, args.env_id, task, args.seed)
            text = (f"{name}\nbasic {r['basic_return_mean']:.0f}  add-on {r['addon_return_mean']:.0f}\n"
                    f"{task.metric_name} {r['addon_metric_mean']:.3f}")
            panels.append([caption(f, text) for f in frames])
    except (residual.UserError, residual.TaskError, OSError) as e:
        sys.exit(f"error: {e}")
    n = min(max(len(x) for x in panels), round(fps * args.seconds))  # a shorter episode (a fall) holds its last frame
    both = [np.concatenate([x[min(i, len(x) - 1)] for x in panels], axis=1) for i in range(n)]
    residual.save_gif(both, args.out, fps, max_frames=n)
    print(f"wrote {args.out}: {n} frames, {n / fps:.1f} s")


if __name__ == "__main__":
    main()
