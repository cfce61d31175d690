"""The seed-1 omega' frontier with the learner's entropy term literal (as it first ran) and centred (the default
since 752c0a8), side by side: total return and mean episode length per point, on the run's own 10 evaluation
episodes and over 100 (benchmark/reevaluate.py's reeval_100.json, where it exists). The point at each env's default
omega' is the customization rows' seed 1 (Residual PPO, and Residual PPO (literal entropy term)). It reads the preset
as it stands: its committed output was written under rule 6 (HalfCheetah's default 0.0003); since rule 7 (0.001) the
HalfCheetah runs at 0.0003, and the seed-1 frontier runs at 0.001, are in customization/rule6_runs/, so a rerun now
gives HalfCheetah's rule-7 points (0.001 from the AMD VM, no 0.0003).

    python benchmark/results/entropy_term/frontier_compare.py
"""
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "benchmark"))
import preset_report  # noqa: E402
from presets import PRESETS  # noqa: E402

ENVS = ["Walker2d-v4", "Hopper-v4", "Ant-v4", "HalfCheetah-v4"]


def cell(evs):
    """Total (mean length where below 1000) of a point's one seed-1 evaluation; n/a where there is none."""
    if not evs or evs[0] is None:
        return "n/a"
    ev = evs[0]
    length = f" ({ev['length_mean']:.0f})" if ev["length_mean"] < 999.5 else ""
    return f"{ev['total_return_mean']:.0f}{length}"


def main():
    out = os.path.join(ROOT, "benchmark", "results", "customization")
    results = {j: s for j, s in preset_report.load(out, PRESETS["customization"]()).items() if j.seed == 1}
    columns = [dict(preset_report.omega_points(results, term, evaluation)) for evaluation in
               (preset_report.task_eval, preset_report.reeval(100)) for term in ("literal", "centred")]
    print("| env | omega' | literal: total (length), 10 ep | centred: 10 ep | literal: 100 ep | centred: 100 ep |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for env in ENVS:
        points = [dict(column.get(env, [])) for column in columns]
        for w in sorted(set().union(*points)):
            print(f"| {env} | {w:g} | " + " | ".join(cell(p.get(w)) for p in points) + " |")


if __name__ == "__main__":
    main()
