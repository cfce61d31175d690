"""A Markdown table of the exploratory device batches: one row per run, deterministic evaluation prior -> after,
and the stochastic total and length after.  python benchmark/results/rule_explore/summarize.py device1 device2"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
print("| env | run | seed | basic | add-on | total | metric | length | total, stochastic | length, stochastic |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
rows = []
for batch in sys.argv[1:]:
    for f in glob.glob(os.path.join(HERE, batch, "runs", "*", "summary.json")):
        s = json.load(open(f))
        rows.append((s["env_id"], s["args"]["exp_name"], s["seed"], batch, s))
for env, name, seed, batch, s in sorted(rows):
    i, e, st = s["eval_initial"], s["eval"], s["eval_stochastic"]
    cells = [f"{i[k + '_mean']:.{d}f} -> {e[k + '_mean']:.{d}f}" for k, d in
             (("basic_return", 0), ("addon_return", 0), ("total_return", 0), ("addon_metric", 3), ("length", 0))]
    print(f"| {env} | {name} ({batch}) | {seed} | " + " | ".join(cells)
          + f" | {st['total_return_mean']:.0f} | {st['length_mean']:.0f} |")
