"""The third hypothesis's table (README here): HalfCheetah-v4, Residual PPO with alpha_hat = 0 at omega' = 0.0003
and 0.0001 (runs_alpha0/), against Greedy PPO and the then default Residual PPO (rule 6's 0.0003; in
customization/rule6_runs/ since rule 7) of the `customization` preset on seeds 1-3. Totals on each run's own 10
evaluation episodes and over 100 (reeval_100.json; written here for the runs of runs_alpha0/ that lack one, exactly
as benchmark/reevaluate.py does).

    python benchmark/results/hc_diagnosis/alpha0_table.py
"""
import glob
import importlib.util
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "benchmark"))
sys.path.insert(1, ROOT)
import reevaluate  # noqa: E402

_spec = importlib.util.spec_from_file_location("hc_state_std_table", os.path.join(HERE, "..", "hc_state_std", "table.py"))
hc_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hc_table)

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
    custom = hc_table.shipped_prior_rows({
        f"runs/customization__{ENV}__Greedy_PPO": "Greedy PPO",
        f"rule6_runs/customization__{ENV}__Residual_PPO": "Residual PPO (default: omega' = 0.0003, alpha_hat = 0.001)"})
    rows += [(label, seed, ev, ev100) for label, r in custom.items() for seed, ev, ev100, _, _ in r]
    print("| run | seed | basic | add-on | total, 10 episodes | total, 100 episodes | metric |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, seed, ev, ev100 in sorted(rows, key=lambda r: (r[0], r[1])):
        print(f"| {label} | {seed} | {ev['basic_return_mean']:.0f} | {ev['addon_return_mean']:.0f} | "
              f"{ev['total_return_mean']:.0f} | {ev100['total_return_mean']:.0f} | {ev['addon_metric_mean']:.3f} |")


if __name__ == "__main__":
    main()
