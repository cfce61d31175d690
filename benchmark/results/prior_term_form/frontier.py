"""HalfCheetah's omega' frontier under the learner form, rule 8's choice for it (README here, predictions 5-7), beside
the centred form's, seed 1, each point over the 100 evaluation episodes (reeval_100.json, computed where missing
exactly as benchmark/reevaluate.py does). The Prior (the same 100 episodes, prior_eval_100.json) and the Full policy
(the `customization` preset's, seeds 1-3) are marked on the plots.

    python benchmark/results/prior_term_form/frontier.py > benchmark/results/prior_term_form/frontier.md

Where each point ran: learner form, 0.0003 / 0.003 / 0.01 / 0.03 / 0.1 here (2026-12-02's VM, whose floats follow the
earlier VM's), 0.001 in ../alive_payment (AMD VM); centred form, 0.001 in ../hc_budget/runs_rule7 (AMD VM), 0.0003 in
../customization/rule6_runs and 0.003-0.1 in ../customization/runs (earlier VM); omega' = 0 has no prior term, so
both forms share the `customization` preset's point (earlier VM).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "benchmark"))
import preset_report  # noqa: E402
import reevaluate  # noqa: E402
from run import find_summary  # noqa: E402  (the summary.json a job's folder holds, None before it finishes)

ENV = "HalfCheetah-v4"
CUSTOM = os.path.join(HERE, "..", "customization")
SWEEP = os.path.join(CUSTOM, "runs", f"omega_sweep__{ENV}__omega{{}}__s1")
POINTS = {
    "learner": {0.0: SWEEP.format(0.0),
                0.001: os.path.join(HERE, "..", "alive_payment", "runs", f"{ENV}__learner__s1"),
                **{w: os.path.join(HERE, "runs", f"{ENV}__learner__omega{w:g}__s1") for w in (0.0003, 0.003, 0.01, 0.03, 0.1)}},
    "centred": {0.0: SWEEP.format(0.0),
                0.0003: os.path.join(CUSTOM, "rule6_runs", f"customization__{ENV}__Residual_PPO__s1"),
                0.001: os.path.join(HERE, "..", "hc_budget", "runs_rule7", "omega0.001__s1"),
                **{w: SWEEP.format(w) for w in (0.003, 0.01, 0.03, 0.1)}},
}


def evaluation(job):
    """The run's 100-episode re-evaluation, or None before it finishes."""
    summary = find_summary(job)
    return None if summary is None else reevaluate.cached(os.path.dirname(summary), ENV)


def main():
    with open(os.path.join(HERE, "prior_eval_100.json")) as f:
        prior = json.load(f)[ENV]
    full = []
    for seed in (1, 2, 3):
        with open(preset_report.reeval_path(os.path.dirname(find_summary(
                os.path.join(CUSTOM, "runs", f"full__{ENV}__Full_policy__s{seed}"))), 100)) as f:
            full.append(json.load(f)["eval"])
    refs = {ENV: {"Prior policy": [prior], "Full policy": full}}
    print(f"Seed 1, 100 episodes per point. Prior: total {prior['total_return_mean']:.0f}; Full policy (seeds 1-3): "
          + " / ".join(f"{e['total_return_mean']:.0f}" for e in full) + ".\n")
    evals = {form: {w: evaluation(job) for w, job in jobs.items()} for form, jobs in POINTS.items()}
    print("| omega' | learner: basic | add-on metric | total | centred: basic | add-on metric | total | learner - centred |")
    print("| --- " * 8 + "|")
    for w in sorted(set(POINTS["learner"]) | set(POINTS["centred"])):
        cells = []
        for form in POINTS:
            e = evals[form].get(w)
            cells.append(" | ".join(f"{e[k]:.{d}f}" for k, d in (("basic_return_mean", 0), ("addon_metric_mean", 3),
                                                                   ("total_return_mean", 0)))
                         if e else "(not run) | | ")
        learner, centred = evals["learner"].get(w), evals["centred"].get(w)
        gap = f"{learner['total_return_mean'] - centred['total_return_mean']:+.0f}" if learner and centred else ""
        print(f"| {w:g} | {cells[0]} | {cells[1]} | {gap} |")
    for form in POINTS:  # the plots: basic against add-on return, the Prior and the Full policy marked
        done = {ENV: [(w, [e]) for w, e in sorted(evals[form].items()) if e is not None]}
        preset_report.plot_frontier(done, HERE, refs, suffix=f"_{form}", note=f" ({form} prior term)")

if __name__ == "__main__":
    main()
