"""Re-evaluate a preset's finished Residual PPO runs (and Full policies) from their saved checkpoints over many
episodes (calibrate_omega.py --episodes): a run's own final evaluation has 10 episodes, too few to see a policy
that falls in a few percent of them.

    python benchmark/reevaluate.py --preset calibration_1m --workers 2     # 100 episodes per run, resumable
    python benchmark/calibrate_omega.py --preset calibration_1m --confirm --episodes 100

For every finished run it writes `reeval_<episodes>.json` beside the run's `summary.json`: the policy's
deterministic evaluation (mean action, frozen normaliser) over `--episodes` episodes on the evaluation seeds
50,000 + i, which no run evaluates on (runs use seed + 10,000), and the prior's over the same episodes
(`priors/{env}.pt`, evaluated once per env). A run that has the file is skipped.
"""
import argparse
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import preset_report  # noqa: E402
import store  # noqa: E402
from presets import PRESETS, prior_checkpoint  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EVAL_SEED = 50_000


def evaluate_checkpoint(path, env_id, episodes):
    """Deterministic evaluation of any of our checkpoints (actor + observation normaliser) on the env's add-on task."""
    import residual_ppo_continuous as residual
    from addon_tasks import get_task

    policy = residual.Prior(residual.load_checkpoint(path))
    return residual.evaluate(policy.agent, policy.normalizer, env_id, episodes, EVAL_SEED, get_task(env_id, None))


def checkpoint_of(out, job, run_dir):
    """A Residual PPO run saves agent.pt in its run folder; a Full policy job (prior_train.py) writes its checkpoint
    where benchmark/run.py tells it to."""
    return prior_checkpoint(out, job.id) if job.script == "prior_train.py" else os.path.join(run_dir, "agent.pt")


def _run(item):
    run_dir, checkpoint, env_id, episodes, prior = item
    result = {"episodes": episodes, "eval_seed": EVAL_SEED, "checkpoint": os.path.basename(checkpoint),
              "eval": evaluate_checkpoint(checkpoint, env_id, episodes), "eval_prior": prior}
    path = preset_report.reeval_path(run_dir, episodes)
    store.write_json(path, result, indent=1)  # atomic: no half file on a crash
    return run_dir, result["eval"]["total_return_mean"], result["eval"]["length_mean"]


def cached(run_dir, env_id, episodes=100):
    """A Residual PPO run's re-evaluation (its `eval` dict), computed from its agent.pt and saved beside it if it is
    missing, exactly as `main` does: for result scripts that re-evaluate runs outside a preset."""
    path = preset_report.reeval_path(run_dir, episodes)
    if not os.path.exists(path):
        _run((run_dir, os.path.join(run_dir, "agent.pt"), env_id, episodes, None))
    with open(path) as f:
        return json.load(f)["eval"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", required=True, choices=sorted(PRESETS))
    p.add_argument("--out", help="the preset's raw runs folder (default: runs/benchmark/<preset>, benchmark/run.py's)")
    p.add_argument("--store", help="results store to ingest the re-evaluated runs into (default: benchmark/results/"
                   "<preset>; with --out: OUT itself)")
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--only", help="re-evaluate only the runs whose job id contains this text")
    args = p.parse_args(argv)
    if args.episodes < 1 or args.workers < 1:
        sys.exit("error: --episodes and --workers must be at least 1")
    out = args.out or os.path.join(ROOT, "runs", "benchmark", args.preset)
    store_dir = args.store or (out if args.out else os.path.join(ROOT, "benchmark", "results", args.preset))
    runs = {job: s["_dir"] for job, s in preset_report.load(out, PRESETS[args.preset](), raw=True).items()
            if (job.script == "residual_ppo_continuous.py" or job.group == "full")
            and (args.only is None or args.only in job.id)}
    todo = [(d, checkpoint_of(out, job, d), job.env_id) for job, d in runs.items()
            if not os.path.exists(preset_report.reeval_path(d, args.episodes))]
    missing = [c for _, c, _ in todo if not os.path.exists(c)]
    if missing:  # runs from before --save-model was the presets' default: left out, and said so
        print(f"{len(missing)} finished runs saved no checkpoint and are left out (first: {missing[0]})", file=sys.stderr)
        todo = [t for t in todo if t[1] not in missing]
    print(f"{len(runs)} finished runs under {out}, {len(todo)} to re-evaluate over {args.episodes} episodes")
    # spawned, not forked: a fork of a process whose torch has started its thread pool (a caller that evaluated
    # in-process first, as `cached` does) can hang in the child
    with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        envs = sorted({env for _, _, env in todo})
        paths = [os.path.join(ROOT, "priors", f"{env}.pt") for env in envs]
        priors = dict(zip(envs, pool.map(evaluate_checkpoint, paths, envs, [args.episodes] * len(envs)), strict=True))
        for run_dir, total, length in pool.map(_run, [(d, c, env, args.episodes, priors[env]) for d, c, env in todo]):
            print(f"{os.path.relpath(run_dir, ROOT)}: total {total:.1f}, length {length:.0f}", flush=True)
    if runs:
        store.ingest([out], store_dir)  # the re-evaluations join the store the reports read
        print(f"ingested into {store_dir}")


if __name__ == "__main__":
    main()
