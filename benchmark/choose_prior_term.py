"""Each prior's form of the prior term, `--prior-term centred` or
`learner`, chosen by validation at the omega' its checkpoint carries, from benchmark/results/research/prior_term_form's
runs.

    python benchmark/choose_prior_term.py           # the table, each prior's choice, and the runs it still needs
    python benchmark/choose_prior_term.py --write   # store each finished choice in priors/{env}.pt

The criterion (docs/residual_ppo.md, "Choosing omega' and the prior term for your prior"): both forms run on validation seeds 4
and 5 at the default budget; each run is judged on benchmark/reevaluate.py's 100 deterministic evaluation episodes
(computed here where missing), the prior on the same episodes. A form passes if both its runs keep >= 95% of the
prior's mean episode length. `learner` is chosen if it passes and its mean total return over seeds 4-5 is higher than
`centred`'s, or if `centred` does not pass; otherwise `centred`, the form in force, stays. A `learner` choice is
confirmed on seeds 6-7: if either run there falls short of the length, `centred` stays. Each prior's choice uses
only its own runs; a prior whose runs are missing keeps what it has. residual_ppo_continuous.py uses a prior's
`prior_term` as its default.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the algorithm files
import reevaluate  # noqa: E402
import store  # noqa: E402
from calibrate_omega import MIN_LENGTH_RATIO  # noqa: E402  (the calibration's length criterion, 95%)
from run import find_summary  # noqa: E402  (the summary.json a job's folder holds, None before it finishes)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVS = ("HalfCheetah-v4", "Ant-v4", "Walker2d-v4", "Hopper-v4")  # the order their validation runs ran in
FORMS = ("centred", "learner")
VALIDATION, CONFIRMATION = (4, 5), (6, 7)
EPISODES = 100


def job_folder(out, env, form, seed):
    return os.path.join(out, "runs", f"{env}__{form}__s{seed}")


def command(out, env, form, seed):
    return (f"python residual_ppo_continuous.py --env-id {env} --seed {seed} --prior-term {form} --save-model "
            f"--no-progress --runs-dir {os.path.relpath(job_folder(out, env, form, seed), ROOT)}")


def kept_length(results, prior_length):
    """Every run (length, total) kept >= 95% of the prior's mean episode length."""
    return all(length >= MIN_LENGTH_RATIO * prior_length for length, _ in results)


def mean_total(results):
    return float(np.mean([total for _, total in results]))


def choose(runs, prior_length):
    """runs: {form: {seed: (length, total)}} of one prior -> (form or None while pending, why, [(form, seed) to run])."""
    missing = [(form, seed) for form in FORMS for seed in VALIDATION if seed not in runs.get(form, {})]
    if missing:
        return None, "pending: validation runs missing", missing
    val = {form: [runs[form][seed] for seed in VALIDATION] for form in FORMS}
    kept = {form: kept_length(val[form], prior_length) for form in FORMS}
    if not kept["learner"]:
        return "centred", "learner fell short of the episode length on seeds 4-5: centred stays", []
    if kept["centred"] and mean_total(val["learner"]) <= mean_total(val["centred"]):
        return "centred", "learner's mean total on seeds 4-5 is not higher: centred stays", []
    why = "higher mean total on seeds 4-5" if kept["centred"] else "centred fell short of the episode length on seeds 4-5"
    confirm = {seed: runs["learner"].get(seed) for seed in CONFIRMATION}
    if not kept_length([r for r in confirm.values() if r is not None], prior_length):
        return "centred", f"learner ({why}) fell short of the episode length on seeds 6-7: centred stays", []
    todo = [("learner", seed) for seed, r in confirm.items() if r is None]
    if todo:
        return "learner", f"provisional: {why}; confirm the length on seeds 6-7 next", todo
    return "learner", f"{why}, and kept the episode length on seeds 6-7", []


def prior_eval(out, priors, env):
    """The prior's deterministic evaluation on the same 100 episodes as the runs' (computed once per env, kept in
    prior_eval_100.json beside the runs; in a results store, its `prior_eval_100/ENV` row)."""
    path = os.path.join(out, f"prior_eval_{EPISODES}.json")
    if not os.path.exists(path) and os.path.exists(os.path.join(out, "runs.csv")):
        runs = store.runs_table(out)
        hit = runs[runs["run_id"] == f"prior_eval_{EPISODES}/{env}"]
        if len(hit):
            return store.summary_of(hit.iloc[0].to_dict())["eval"]
    cache = {}
    if os.path.exists(path):
        with open(path) as f:
            cache = json.load(f)
    if env not in cache:
        cache[env] = reevaluate.evaluate_checkpoint(os.path.join(priors, f"{env}.pt"), env, EPISODES)
        store.write_json(path, cache, indent=1)
    return cache[env]


def collect(out, env):
    """{form: {seed: (length, total)}} and {form: {seed: the re-evaluation}} of the env's finished runs."""
    runs, evals = {form: {} for form in FORMS}, {form: {} for form in FORMS}
    if os.path.exists(os.path.join(out, "runs.csv")):  # a results store: the re-evaluations are in its rows
        table = store.runs_table(out)
        for form in FORMS:
            for seed in (*VALIDATION, *CONFIRMATION):
                hit = table[table["job"] == os.path.basename(job_folder(out, env, form, seed))]
                ev = store.summary_of(hit.iloc[0].to_dict()).get(f"reeval{EPISODES}", {}).get("eval") if len(hit) else None
                if ev is not None:
                    runs[form][seed], evals[form][seed] = (ev["length_mean"], ev["total_return_mean"]), ev
        return runs, evals
    for form in FORMS:
        for seed in (*VALIDATION, *CONFIRMATION):
            summary = find_summary(job_folder(out, env, form, seed))
            if summary is None:
                continue
            ev = reevaluate.cached(os.path.dirname(summary), env, EPISODES)
            runs[form][seed], evals[form][seed] = (ev["length_mean"], ev["total_return_mean"]), ev
    return runs, evals


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", help="the runs' results store or raw folder (default: benchmark/results/prior_term_form, or "
                   "benchmark/results/research/prior_term_form where that one holds it)")
    p.add_argument("--priors", default=os.path.join(ROOT, "priors"), help="the priors' folder (default: priors/)")
    p.add_argument("--write", action="store_true", help="store each prior's finished choice in its checkpoint")
    args = p.parse_args(argv)
    out = args.out or store.results_dir("prior_term_form")
    print(f"Each run over {EPISODES} deterministic episodes (seeds 50,000-50,{EPISODES - 1:03d}), the prior on the same "
          "episodes. Length: the run's mean episode length over the prior's.\n")
    print("| env | form | seed | length / prior's | basic | add-on metric | total | mean total, seeds 4-5 | chosen |")
    print("| --- " * 9 + "|")
    choices, todo = {}, []
    for env in ENVS:
        runs, evals = collect(out, env)
        prior = prior_eval(out, args.priors, env)
        form, why, missing = choose(runs, prior["length_mean"])
        choices[env] = (form, why)
        todo += [command(out, env, f, s) for f, s in missing]
        print(f"| {env} | prior | | ({prior['length_mean']:.0f} steps) | {prior['basic_return_mean']:.1f} | "
              f"{prior['addon_metric_mean']:.3f} | {prior['total_return_mean']:.1f} | | |")
        for f in FORMS:
            val = [runs[f][s] for s in VALIDATION if s in runs[f]]
            for seed, ev in sorted(evals[f].items()):
                mean = f"{mean_total(val):.1f}" if seed == VALIDATION[0] and len(val) == len(VALIDATION) else ""
                mark = f"**yes**: {why}" if f == form and seed == VALIDATION[0] else ""
                print(f"| {env} | {f} | {seed} | {ev['length_mean'] / prior['length_mean']:.2f} | "
                      f"{ev['basic_return_mean']:.1f} | {ev['addon_metric_mean']:.3f} | {ev['total_return_mean']:.1f} | "
                      f"{mean} | {mark} |")
        if form is None:
            print(f"| {env} | | | | | | | | {why} |")
    for line in todo:
        print(f"next: {line}")
    if args.write:
        import residual_ppo_continuous as residual  # noqa: E402  (only needed to write checkpoints)

        for env, (form, why) in choices.items():
            if form is None or why.startswith("provisional"):
                print(f"{env}: not written ({why.split(':')[0]}), it keeps what its checkpoint has")
                continue
            path = os.path.join(args.priors, f"{env}.pt")
            ckpt = residual.load_checkpoint(path)
            ckpt.update(prior_term=form, prior_term_rule=f"benchmark/choose_prior_term.py: {why}")
            residual.save_checkpoint(path, ckpt)
            print(f"{path}: prior_term = {form}")


if __name__ == "__main__":
    main()
