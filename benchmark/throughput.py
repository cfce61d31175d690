"""Throughput: steps/s of the training scripts beside raw env stepping (and CleanRL's PPO, when its anchor is here).

    python benchmark/throughput.py --envs Walker2d-v4 HalfCheetah-v4 --steps 40960 --repeats 2 --cleanrl

Every script runs at its default hyper-parameters with one env (CleanRL's defaults), as a separate process,
one at a time; repeats alternate the order so drift in machine load hits all scripts alike. The steps/s of a
script is its own final count (steps / training wall time, evaluation excluded; CleanRL's is its last "SPS:").
Writes a Markdown table with the median and every sample, plus the commands, commit and machine.
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


def script_sps(script, env_id, steps, extra=()):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, os.path.join(ROOT, script), "--env-id", env_id, "--total-timesteps", str(steps),
               "--eval-episodes", "0", "--no-progress", "--runs-dir", tmp, *extra]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if out.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
        (run,) = os.listdir(tmp)
        with open(os.path.join(tmp, run, "summary.json")) as f:
            return json.load(f)["sps"], " ".join(cmd[1:]).replace(tmp, "TMP")


def cleanrl_sps(env_id, steps, threads=None):
    env = dict(os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {}))
    out = subprocess.run(["bash", ANCHOR, env_id, str(steps)], capture_output=True, text=True, env=env)
    m = re.search(r"ANCHOR .*final_SPS=(\d+)", out.stdout)
    if not m:
        raise RuntimeError(f"anchor failed:\n{out.stdout[-1000:]}\n{out.stderr[-1000:]}")
    prefix = f"OMP_NUM_THREADS={threads} " if threads else ""
    return float(m.group(1)), f"{prefix}../shared/tools/anchor_cleanrl.sh {env_id} {steps}"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", nargs="+", default=["Walker2d-v4", "HalfCheetah-v4"])
    p.add_argument("--steps", type=int, default=40960, help="training steps per script run")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--scripts", nargs="+", default=["ppo_continuous.py", "soft_ppo_continuous.py"])
    p.add_argument("--residual", action="store_true", help="also time residual_ppo_continuous.py (needs priors/)")
    p.add_argument("--cleanrl", action="store_true", help="also run CleanRL's PPO through ../shared/tools/anchor_cleanrl.sh")
    p.add_argument("--note", help="conditions worth recording, e.g. other load on the machine")
    p.add_argument("--out", default=os.path.join(ROOT, "benchmark", "results", "throughput.md"))
    args = p.parse_args()

    jobs = [(s, ()) for s in args.scripts] + ([("residual_ppo_continuous.py", ())] if args.residual else [])
    if args.cleanrl and not os.path.exists(ANCHOR):
        sys.exit(f"error: --cleanrl needs {ANCHOR}")
    started, rows, commands = time.time(), [], set()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    status = subprocess.run(["git", "status", "--porcelain", "--", "*.py"], cwd=ROOT, capture_output=True, text=True)
    dirty = bool(status.stdout.strip())
    for env_id in args.envs:
        samples = {"raw env.step": [], **{s: [] for s, _ in jobs}}
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
                    sps, cmd = cleanrl_sps(env_id, args.steps, threads=1 if "THREADS=1" in name else None)
                else:
                    sps, cmd = script_sps(name, env_id, args.steps)
                samples[name].append(sps)
                commands.add(cmd)
                print(f"{env_id} {name}: {sps:.0f} steps/s", file=sys.stderr, flush=True)
        # compare with the faster of CleanRL's two thread settings
        base = max(np.median(v) for k, v in samples.items() if k.startswith("CleanRL")) if args.cleanrl else None
        for name, values in samples.items():
            ratio = f"{np.median(values) / base:.2f}x" if base and name != "raw env.step" else ""
            rows.append(f"| {env_id} | {name} | {np.median(values):,.0f} | {ratio} | {', '.join(f'{v:,.0f}' for v in values)} |")

    text = "\n".join([
        "# Throughput (steps/s, one env, default hyper-parameters)", "",
        f"- command: `python benchmark/throughput.py {' '.join(sys.argv[1:])}`",
        f"- commit: `{commit}`{' (with uncommitted changes)' if dirty else ''}",
        f"- machine: {platform.node()} / {platform.processor() or platform.machine()} / {os.cpu_count()} cores / "
        f"Python {platform.python_version()}; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- wall time: {time.time() - started:.0f} s; {args.repeats} repeats, order alternated; "
        f"{args.steps} training steps per run",
        *([f"- note: {args.note}"] if args.note else []),
        "", "'vs CleanRL' divides by the faster of CleanRL's two thread settings.", "",
        "| env | what | median steps/s | vs CleanRL | samples |", "| --- | --- | ---: | ---: | --- |", *rows, "",
        "Commands:", "", *[f"    {c}" for c in sorted(commands)], "",
    ])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
