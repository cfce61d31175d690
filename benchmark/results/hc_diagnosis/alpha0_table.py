"""The third hypothesis's table (README here): HalfCheetah-v4, Residual PPO with alpha_hat = 0 at omega' = 0.0003
and 0.0001 (runs_alpha0/), against Greedy PPO and the default Residual PPO of the `customization` preset on seeds
1-3. Totals on each run's own 10 evaluation episodes and over 100 (reeval_100.json; written here for the runs of
runs_alpha0/ that lack one, exactly as benchmark/reevaluate.py does).

    python benchmark/results/hc_diagnosis/alpha0_table.py
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "benchmark"))
sys.path.insert(1, ROOT)
import preset_report  # noqa: E402
import reevaluate  # noqa: E402
from presets import PRESETS  # noqa: E402

ENV = "HalfCheetah-v4"
EPISODES = 100


def reeval(run_dir):
    """The run's 100-episode re-evaluation, computed and saved here if it is missing."""
    return reevaluate.cached(run_dir, ENV, EPISODES)


def main():
    rows = []
    for summary_path in sorted(glob.glob(os.path.join(HERE, "runs_alpha0", "*", "summary.json"))):
        s = json.load(open(summary_path))
        label = f"Residual PPO, omega' = {s['args']['omega_prime']:g}, alpha_hat = {s['args']['alpha_hat']:g}"
        rows.append((label, s["args"]["seed"], s["eval"], reeval(os.path.dirname(summary_path))))
    labels = {"Greedy PPO": "Greedy PPO", "Residual PPO": "Residual PPO (default: omega' = 0.0003, alpha_hat = 0.001)"}
    custom = preset_report.load(os.path.join(ROOT, "benchmark", "results", "customization"), PRESETS["customization"]())
    rows += [(labels[j.label], j.seed, preset_report.task_eval(j, s), preset_report.reeval(EPISODES)(j, s))
             for j, s in custom.items() if j.env_id == ENV and j.label in labels and j.seed in (1, 2, 3)]
    print("| run | seed | basic | add-on | total, 10 episodes | total, 100 episodes | metric |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, seed, ev, ev100 in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"| {label} | {seed} | {ev['basic_return_mean']:.0f} | {ev['addon_return_mean']:.0f} | "
              f"{ev['total_return_mean']:.0f} | {ev100['total_return_mean']:.0f} | {ev['addon_metric_mean']:.3f} |")


if __name__ == "__main__":
    main()
