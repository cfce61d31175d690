"""The seed-1 omega' frontier with the learner's entropy term literal (as it first ran) and centred (the default
since 752c0a8), side by side: total return and mean episode length per point, on the run's own 10 evaluation
episodes and over 100 (benchmark/reevaluate.py's reeval_100.json, where it exists). The point at each env's default
omega' is the customization rows' seed 1 (Residual PPO, and Residual PPO (literal entropy term)).

    python benchmark/results/entropy_term/frontier_compare.py
"""
import glob
import json
import os

RUNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "customization", "runs")
ENVS = ["Walker2d-v4", "Hopper-v4", "Ant-v4", "HalfCheetah-v4"]
DEFAULT = {"centred": "Residual_PPO", "literal": "Residual_PPO_(literal_entropy_term)"}


def read(job):
    """(omega', 10-episode eval, 100-episode eval or None) of a run folder, None if it has not finished."""
    found = glob.glob(os.path.join(RUNS, job, "*", "summary.json"))
    if not found:
        return None
    summary = json.load(open(found[0]))
    reeval = os.path.join(os.path.dirname(found[0]), "reeval_100.json")
    return (summary["args"]["omega_prime"], summary["eval"],
            json.load(open(reeval))["eval"] if os.path.exists(reeval) else None)


def cell(ev):
    if ev is None:
        return "n/a"
    length = f" ({ev['length_mean']:.0f})" if ev["length_mean"] < 999.5 else ""
    return f"{ev['total_return_mean']:.0f}{length}"


def main():
    print("| env | omega' | literal: total (length), 10 ep | centred: 10 ep | literal: 100 ep | centred: 100 ep |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for env in ENVS:
        points = {}
        for term in ("literal", "centred"):
            suffix = "_(literal_entropy_term)" if term == "literal" else ""
            jobs = [f"customization__{env}__{DEFAULT[term]}__s1"]
            jobs += [os.path.basename(d) for d in glob.glob(os.path.join(RUNS, f"omega_sweep__{env}__omega*{suffix}__s1"))
                     if (term == "literal") == ("literal" in d)]
            for job in jobs:
                if (r := read(job)) is not None:
                    points.setdefault(r[0], {})[term] = r[1:]
        for w in sorted(points):
            lit, cen = points[w].get("literal", (None, None)), points[w].get("centred", (None, None))
            print(f"| {env} | {w:g} | {cell(lit[0])} | {cell(cen[0])} | {cell(lit[1])} | {cell(cen[1])} |")


if __name__ == "__main__":
    main()
