"""Run a benchmark grid and write the paper-style reports.

    python benchmark/run.py --preset smoke                 # seconds
    python benchmark/run.py --preset customization --workers 2   # ~5-6 hours on 2 cores, resumable
    python benchmark/run.py --preset paper --launcher submitit --slurm-partition gpu   # on a cluster

Each job runs one of the scripts, unchanged, as its own process, in `OUT/runs/<job id>/` with its command
(`command.txt`), its log (`log.txt`) and the script's own run folder (TensorBoard events, summary.json,
checkpoint). OUT defaults to `runs/benchmark/<preset>/`, which git ignores. A job whose summary.json exists is
skipped, so re-running resumes a grid; a failed job is reported with the tail of its log and does not stop the
others. At the end the raw runs are ingested into the results store STORE (`python benchmark/store.py ingest OUT
STORE`; default benchmark/results/<preset>/, or OUT itself when --out is given), and the reports are written
there from the store: see benchmark/preset_report.py.
"""
import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402
from presets import PRESETS, prior_checkpoint  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def repo_relative(text, out):
    """`text` without this checkout's root nor that of the repository `out` lies in: they differ when a clean
    worktree writes into the main checkout, and recorded commands should read as typed in any checkout."""
    roots, folder = {ROOT}, os.path.abspath(out)
    while folder != os.path.dirname(folder):
        if os.path.exists(os.path.join(folder, ".git")):  # a directory, or a file in a worktree
            roots.add(folder)
            break
        folder = os.path.dirname(folder)
    for root in sorted(roots, key=len, reverse=True):
        text = text.replace(root + os.sep, "")
    return text


def job_dir(out, job):
    return os.path.join(out, "runs", job.id)


def find_summary(folder):
    for dirpath, _, files in os.walk(folder):
        if "summary.json" in files:
            return os.path.join(dirpath, "summary.json")
    return None


def command(job, out, track):
    folder = job_dir(out, job)
    argv = [sys.executable, job.script, "--env-id", job.env_id, "--seed", str(job.seed), *job.args,
            "--runs-dir", folder, "--no-progress"]
    if job.script == "prior_train.py":
        argv += ["--out", prior_checkpoint(out, job.id), "--force"]
    else:  # keep the trained policy (about 50 kB): videos and later evaluations need it
        argv += ["--save-model"]
    if job.prior:
        argv += ["--prior-path", prior_checkpoint(out, job.prior)]
    if track:
        exp_name = f"{job.group}__{job.label}".replace(" ", "_")
        argv += ["--track", "--wandb-group", f"{job.env_id}__{job.label}", "--exp-name", exp_name]
    return argv


def run_job(argv, folder):
    """Runs one job in a fresh process; returns (return code, seconds). Module level so submitit can pickle it."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "command.txt"), "w") as f:  # as typed in the repository root, on any machine
        shown = ["python", *(repo_relative(a, folder) for a in argv[1:])]
        f.write(shlex.join(shown) + "\n")
    start = time.time()
    with open(os.path.join(folder, "log.txt"), "w") as log:
        rc = subprocess.run(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    return rc, time.time() - start


def tail(path, n=15):
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return "(no log)"


def launch(jobs, out, args):
    """Runs `jobs` with the chosen launcher; returns {job id: (return code, seconds)}."""
    todo = [(j, command(j, out, args.track), job_dir(out, j)) for j in jobs]
    if args.launcher == "local":
        with ThreadPoolExecutor(max_workers=args.workers) as pool:  # threads only wait on the worker processes
            futures = {j.id: pool.submit(run_job, argv, folder) for j, argv, folder in todo}
            return {k: f.result() for k, f in futures.items()}
    import cloudpickle
    import submitit

    if __name__ != "__main__":  # imported (tests): ship run_job by value, the workers cannot import this module
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    executor = submitit.AutoExecutor(folder=os.path.join(out, "submitit"), cluster=args.submitit_cluster)
    executor.update_parameters(timeout_min=args.timeout_min, cpus_per_task=1,
                               **({"slurm_partition": args.slurm_partition} if args.slurm_partition else {}))
    with executor.batch():
        handles = {j.id: executor.submit(run_job, argv, folder) for j, argv, folder in todo}
    return {k: h.result() for k, h in handles.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", required=True, choices=sorted(PRESETS))
    p.add_argument("--out", help="raw runs folder (default runs/benchmark/<preset>, ignored by git)")
    p.add_argument("--store", help="results store the runs are ingested into and the reports written to (default "
                   "benchmark/results/<preset>; with --out: OUT itself)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel jobs (local launcher)")
    p.add_argument("--launcher", choices=["local", "submitit"], default="local",
                   help="local process pool, or submitit (SLURM; --submitit-cluster local runs it on this machine)")
    p.add_argument("--submitit-cluster", default=None, help="submitit cluster: None = auto (SLURM if present), local, debug")
    p.add_argument("--slurm-partition", default=None)
    p.add_argument("--timeout-min", type=int, default=24 * 60, help="submitit job time limit")
    p.add_argument("--track", action="store_true", help="log every run to W&B, grouped by env and algorithm")
    p.add_argument("--only", default="", help="run only the jobs whose id contains this text")
    p.add_argument("--no-report", action="store_true")
    args = p.parse_args(argv)
    if args.workers < 1:
        sys.exit("error: --workers must be at least 1")
    preset = PRESETS[args.preset]()
    out = os.path.abspath(args.out or os.path.join(ROOT, "runs", "benchmark", preset.name))
    store_dir = os.path.abspath(args.store or (out if args.out else os.path.join(ROOT, "benchmark", "results", preset.name)))
    jobs = [j for j in preset.jobs if args.only in j.id]
    if not jobs:
        sys.exit(f"error: no job of preset {preset.name} has {args.only!r} in its id")
    started, failed, ran = time.time(), [], 0
    # the commit the jobs start from (each run's summary.json records its own, too)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    for stage in sorted({j.stage for j in jobs}):
        pending = [j for j in jobs if j.stage == stage and not find_summary(job_dir(out, j))]
        skipped = sum(1 for j in jobs if j.stage == stage) - len(pending)
        print(f"[benchmark] stage {stage}: {len(pending)} jobs to run, {skipped} already finished", file=sys.stderr)
        # a stage-2 job whose prior failed cannot run: report it instead of launching it
        blocked = [j for j in pending if j.prior and not os.path.exists(prior_checkpoint(out, j.prior))]
        for j in blocked:
            failed.append((j, f"its prior job {j.prior} did not produce a prior"))
        results = launch([j for j in pending if j not in blocked], out, args)
        ran += len(results)
        for j in pending:
            if j.id in results and (results[j.id][0] != 0 or not find_summary(job_dir(out, j))):
                failed.append((j, tail(os.path.join(job_dir(out, j), "log.txt"))))
    wall = time.time() - started
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started))
    line = (f"- {when}: `python benchmark/run.py {repo_relative(' '.join(argv or sys.argv[1:]), out)}`"
            f" ran {ran} jobs in {wall:.0f} s from commit `{commit}` on {platform.node()} "
            f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()})\n")
    for folder in sorted({out, store_dir}):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "provenance.md"), "a") as f:
            f.write(line)
    for j, why in failed:
        print(f"[benchmark] FAILED {j.id}:\n{why}", file=sys.stderr)
    if store.find_runs(out):
        store.ingest([out], store_dir)  # the raw runs as the compact store the reports read (and git keeps)
        if not args.no_report:
            import preset_report

            preset_report.write_reports(store_dir, preset)
    print(f"[benchmark] {ran} jobs ran, {len(failed)} failed, {wall:.0f} s; raw runs in {out}, store and reports in "
          f"{store_dir}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
