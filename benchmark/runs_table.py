"""Tables from finished runs: reads a results store (runs.csv) or every `summary.json` under a raw folder, and prints
Markdown.

    python benchmark/runs_table.py benchmark/results/ppo_1M

One row per (env, experiment name): mean +/- std over seeds of the final deterministic evaluation (10
episodes per seed, frozen normaliser) and of the training return (mean of the last 20 training episodes),
with the seeds, steps, steps/s and the commits the runs recorded. std is the population std over seeds.
Residual runs (whose summaries hold basic / add-on / total returns) get those columns instead.
"""
import argparse
import glob
import json
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def load_summaries(folder):
    if os.path.exists(os.path.join(folder, "runs.csv")):  # a results store: its rows in summary.json's shape
        import store

        runs = store.runs_table(folder)
        rows = runs[runs["group"] != "prior evaluation"].to_dict("records")
        return [dict(store.summary_of(r), algorithm=r["script"].removesuffix(".py")) for r in rows]
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "summary.json"), recursive=True)):
        with open(path) as f:
            out.append(json.load(f))
    return out


def mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    return f"{np.mean(values):.1f} ± {np.std(values):.1f}"


def group(summaries):
    groups = defaultdict(list)
    for s in summaries:
        groups[(s["env_id"], s["args"].get("exp_name", s["algorithm"]))].append(s)
    return dict(sorted(groups.items()))


def table(summaries):
    task_cols = ("basic_return", "addon_return", "total_return", "addon_metric")
    is_task = any(f"{c}_mean" in s["eval"] for s in summaries for c in task_cols)
    head = ["env", "experiment", "seeds", "steps"]
    head += [f"eval {c.replace('_', ' ')}" for c in task_cols] if is_task else ["eval return", "train return (last 20 ep.)"]
    head += ["steps/s", "commit"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for (env_id, exp), runs in group(summaries).items():
        row = [env_id, exp, ",".join(str(r["seed"]) for r in sorted(runs, key=lambda r: r["seed"])),
               f"{runs[0]['global_step']:,}"]
        if is_task:
            row += [mean_std([r["eval"].get(f"{c}_mean") for r in runs]) for c in task_cols]
        else:
            row += [mean_std([r["eval"]["return_mean"] for r in runs]), mean_std([r["train_return_last20"] for r in runs])]
        row += [f"{np.mean([r['sps'] for r in runs]):.0f}", ", ".join(sorted({(r.get("commit") or "?")[:8] for r in runs}))]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder")
    p.add_argument("--out")
    args = p.parse_args()
    summaries = load_summaries(args.folder)
    if not summaries:
        raise SystemExit(f"error: no summary.json under {args.folder}")
    text = table(summaries)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
