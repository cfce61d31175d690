"""Throughput: steps/s of the training scripts beside raw env stepping (and CleanRL's PPO, when its anchor is here).

    python benchmark/throughput.py --envs Walker2d-v4 HalfCheetah-v4 --steps 40960 --repeats 2 --cleanrl

Every script runs at its default hyper-parameters with one env (CleanRL's defaults), as a separate process,
one at a time, exactly as a user runs it (so our scripts do their final evaluation, CleanRL's has none); repeats
alternate the order so drift in machine load hits all scripts alike. Two numbers per run: steps/s of training
(the script's own count: steps / training wall time; CleanRL's is its last "SPS:") and the whole process's wall
time (start-up, imports, training, evaluation, writing). Writes a Markdown table with the medians and every
sample, plus the commands (repository-relative), commit and machine.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHOR = os.path.join(ROOT, "..", "shared", "tools", "anchor_cleanrl.sh")


def raw_env_sps(env_id, steps, seed=0):
    """gym.make(env_id).step with uniform random actions, resetting at episode ends."""
    import gymnasium as gym

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        env = gym.make(env_id)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(steps)]
    start = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def script_sps(script, env_id, steps, root=ROOT):
    """(training steps/s, whole-process seconds, the command as run from the repository root `root`)."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [script, "--env-id", env_id, "--total-timesteps", str(steps), "--no-progress", "--runs-dir", tmp]
        start = time.perf_counter()
        out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=root)
        wall = time.perf_counter() - start
        if out.returncode:
            raise RuntimeError(f"{' '.join(args)} failed:\n{out.stderr[-2000:]}")
        (run,) = os.listdir(tmp)
        with open(os.path.join(tmp, run, "summary.json")) as f:
            return json.load(f)["sps"], wall, "python " + " ".join(args).replace(tmp, "TMP")


def cleanrl_sps(env_id, steps, threads=None):
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {}))
    out = subprocess.run(["bash", ANCHOR, env_id, str(steps)], capture_output=True, text=True, env=env)
    m = re.search(r"ANCHOR .*final_SPS=(\d+) wall_s=([\d.]+)", out.stdout)
    if not m:
        raise RuntimeError(f"anchor failed:\n{out.stdout[-1000:]}\n{out.stderr[-1000:]}")
    prefix = f"OMP_NUM_THREADS={threads} " if threads else ""
    return float(m.group(1)), float(m.group(2)), f"{prefix}../shared/tools/anchor_cleanrl.sh {env_id} {steps}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=["Walker2d-v4", "HalfCheetah-v4"])
    p.add_argument("--steps", type=int, default=40960, help="training steps per script run")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--scripts", nargs="+", default=["ppo_continuous.py", "soft_ppo_continuous.py"])
    p.add_argument("--residual", action="store_true", help="also time residual_ppo_continuous.py (needs priors/)")
    p.add_argument("--cleanrl", action="store_true", help="also run CleanRL's PPO through ../shared/tools/anchor_cleanrl.sh")
    p.add_argument("--baseline", metavar="REV", help="also time the same scripts at commit REV (a temporary git "
                   "worktree), as 'SCRIPT @ REV': before/after in one sitting")
    p.add_argument("--note", help="conditions worth recording, e.g. other load on the machine")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmark", "results", "throughput", "throughput.md"),
                   help="the Markdown file to write (a sitting; `python benchmark/store.py tables` adds its table to "
                   "benchmark/results/throughput/throughput.csv)")
    args = p.parse_args()

    scripts = args.scripts + (["residual_ppo_continuous.py"] if args.residual else [])
    jobs = {s: (s, ROOT) for s in scripts}  # label -> (script, the checkout it runs in)
    baseline_dir = None
    if args.baseline:
        baseline_dir = tempfile.mkdtemp(prefix="throughput-baseline-")
        subprocess.run(["git", "worktree", "add", "--detach", baseline_dir, args.baseline], cwd=ROOT, check=True,
                       capture_output=True)
        jobs.update({f"{s} @ {args.baseline}": (s, baseline_dir) for s in scripts})
    if args.cleanrl and not os.path.exists(ANCHOR):
        sys.exit(f"error: --cleanrl needs {ANCHOR}")
    started, rows, commands = time.time(), [], set()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    status = subprocess.run(["git", "status", "--porcelain", "--", "*.py"], cwd=ROOT, capture_output=True, text=True)
    dirty = bool(status.stdout.strip())
    for env_id in args.envs:
        samples = {"raw env.step": [], **{label: [] for label in jobs}}
        walls = {}
        if args.cleanrl:
            samples["CleanRL ppo_continuous_action.py"] = []
            samples["CleanRL ppo_continuous_action.py, OMP_NUM_THREADS=1"] = []
        for rep in range(args.repeats):
            order = list(samples)
            order = order if rep % 2 == 0 else order[::-1]
            for name in order:
                if name == "raw env.step":
                    samples[name].append(raw_env_sps(env_id, 20000))
                    continue
                if name.startswith("CleanRL"):
                    sps, wall, cmd = cleanrl_sps(env_id, args.steps, threads=1 if "THREADS=1" in name else None)
                else:
                    sps, wall, cmd = script_sps(jobs[name][0], env_id, args.steps, root=jobs[name][1])
                samples[name].append(sps)
                walls.setdefault(name, []).append(wall)
                commands.add(cmd + (f"   # at {args.baseline}" if name.endswith(f" @ {args.baseline}") else ""))
                print(f"{env_id} {name}: {sps:.0f} steps/s, {wall:.1f} s", file=sys.stderr, flush=True)
        # compare with the better of CleanRL's two thread settings (higher steps/s, shorter wall time)
        clean = [k for k in samples if k.startswith("CleanRL")]
        base = max(np.median(samples[k]) for k in clean) if clean else None
        base_wall = min(np.median(walls[k]) for k in clean) if clean else None
        for name, values in samples.items():
            ratio = f"{np.median(values) / base:.2f}x" if base and name != "raw env.step" else ""
            wall = walls.get(name)
            wall_cells = (f"{np.median(wall):.1f} | {base_wall / np.median(wall):.2f}x | " if base_wall else
                          f"{np.median(wall):.1f} |  | ") if wall else " |  | "
            rows.append(f"| {env_id} | {name} | {np.median(values):,.0f} | {ratio} | {', '.join(f'{v:,.0f}' for v in values)} "
                        f"| {wall_cells}{', '.join(f'{w:.1f}' for w in wall or [])} |")

    text = "\n".join([
        "# Throughput (steps/s, one env, default hyper-parameters)", "",
        f"- command: `python benchmark/throughput.py {' '.join(sys.argv[1:]).replace(ROOT + os.sep, '')}`",
        f"- commit: `{commit}`{' (with uncommitted changes)' if dirty else ''}",
        f"- machine: {platform.node()} / {platform.processor() or platform.machine()} / {os.cpu_count()} cores / "
        f"Python {platform.python_version()}; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- wall time: {time.time() - started:.0f} s; {args.repeats} repeats, order alternated; "
        f"{args.steps} training steps per run",
        *([f"- note: {args.note}"] if args.note else []),
        "", "'vs CleanRL' compares with the better of CleanRL's two thread settings. Steps/s: training only. Wall: "
        "the whole process (ours includes its default final evaluation, 10 deterministic + 10 stochastic episodes; "
        "CleanRL's script has none).", "",
        "| env | what | median steps/s | vs CleanRL | samples | median wall s | vs CleanRL | samples |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | --- |", *rows, "",
        "Commands:", "", *[f"    {c}" for c in sorted(commands)], "",
    ])
    if baseline_dir:
        subprocess.run(["git", "worktree", "remove", "--force", baseline_dir], cwd=ROOT, capture_output=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
