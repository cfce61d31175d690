"""Every committed results table and figure, regenerated from the results store (benchmark/store.py).

    python benchmark/report.py --all            # rewrite them all, and the tables in README.md and docs/
    python benchmark/report.py --all --check    # exit 1 naming every file that differs from what the store gives
    python benchmark/report.py --table customization   # print one named table

Named tables (mean +/- std over seeds) go to their own Markdown file under benchmark/results/ and, where a page has
the markers `<!-- table:NAME -->` and `<!-- /table:NAME -->`, between them in README.md and docs/**/*.md (a page
without a table's markers is left alone). The preset folders' README.md and figures, and the omega' calibration and
prior-term tables, are regenerated with the tools that first wrote them (benchmark/preset_report.py,
benchmark/calibrate_omega.py, benchmark/choose_prior_term.py), reading the store instead of raw runs.

--check regenerates everything in a temporary folder and compares: Markdown exactly; figures pixel by pixel, equal
when their mean absolute difference is below 0.5% of the colour range (matplotlib's output is deterministic on one
machine, but font rasterisation can differ by a shade between machines).
"""
import argparse
import contextlib
import functools
import glob
import io
import math
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmark", "results")
ENVS = ("HalfCheetah-v4", "Hopper-v4", "Ant-v4", "Walker2d-v4")
CAN_FALL = ("Hopper-v4", "Ant-v4", "Walker2d-v4")  # HalfCheetah's episodes only end at the time limit
FIGURE_TOLERANCE = 0.005
# CleanRL's published PPO returns at 1M steps, 3 seeds (CleanRL's documentation, docs/rl-algorithms/ppo.md):
# reference constants, not results of this repository.
CLEANRL_PUBLISHED = {"HalfCheetah-v4": (1442.6, 46.0), "Walker2d-v4": (2288.0, 571.8), "Hopper-v4": (2382.9, 271.7)}
# The paper's Soft PPO on HalfCheetah (mean, std): a reference constant, not a result of this repository.
PAPER_SOFT_PPO_HALFCHEETAH = (5896.5, 371.8)
CUSTOMIZATION_METHODS = ("Prior policy", "Greedy PPO", "KL PPO", "KL PPO (calibrated beta)", "Residual PPO",
                         "Residual PPO (literal prior term)", "Full policy")
# How the tables name a method where the store's label is not enough: KL PPO's first rows run at beta = omega', the
# value validation chose for Residual PPO; its own calibrated beta is the next row.
METHOD_NAMES = {"KL PPO": "KL PPO (beta = omega')"}
# Where the customization table's default differs from the `customization` preset's runs: HalfCheetah's prior now
# carries the learner-centred prior term (benchmark/choose_prior_term.py chose it), so its default command is
# research/alive_payment's `--prior-term learner` runs on seeds 1-3; they ran on another machine than the preset's
# HalfCheetah Greedy PPO, so Greedy PPO's row is the same command rerun there (research/hc_budget, runs_1M).
CUSTOMIZATION_SOURCES = {
    ("HalfCheetah-v4", "Residual PPO"): ("research/alive_payment", "runs", r"HalfCheetah-v4__learner__s[123]"),
    ("HalfCheetah-v4", "Greedy PPO"): ("research/hc_budget", "runs_1M", r"greedy__s[123]"),
}
BUDGET_STEPS = (100_000, 250_000, 500_000, 1_000_000)
AGGREGATE_REPS = 2_000  # bootstrap resamples: the probability of improvement costs ~0.05 s each


# ---------------------------------------------------------------------------------------------------------- helpers
_STORES = {}


def runs_of(name):
    """runs.csv of benchmark/results/NAME (cached)."""
    if name not in _STORES:
        _STORES[name] = store.load(os.path.join(RESULTS, name))
    return _STORES[name][0]


def episodes_of(name):
    runs_of(name)
    return _STORES[name][2]


def digits(values):
    return 3 if max(abs(v) for v in values) < 10 else 0


def mean_std(values, d=None):
    """'mean ± std' (population std over seeds), or 'n/a'."""
    values = [float(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    if not values:
        return "n/a"
    d = digits(values) if d is None else d
    return f"{np.mean(values):.{d}f} ± {np.std(values):.{d}f}"


def per_seed(values, d=0):
    return ", ".join(f"{v:.{d}f}" for v in values)


def falls(store_name, run_ids, evaluation):
    """(episodes that ended before the time limit, episodes) over the runs' `evaluation` episodes."""
    eps = episodes_of(store_name)
    if eps is None:
        return 0, 0
    sel = eps[eps["run_id"].isin(run_ids) & (eps["evaluation"] == evaluation)]
    return int((sel["length"] < 1000).sum()), len(sel)


def select(store_name, batch=None, job=None, **equal):
    """Rows of a store: `batch` exact, `job` a regular expression (full match), `equal` column == value."""
    runs = runs_of(store_name)
    mask = np.ones(len(runs), bool)
    if batch is not None:
        mask &= runs["batch"] == batch
    if job is not None:
        mask &= runs["job"].str.fullmatch(job)
    for col, value in equal.items():
        mask &= runs[col] == value
    return runs[mask].sort_values("seed")


# ---------------------------------------------------------------------------------------------------- named tables
def customization_rows(env, method):
    """(store name, rows) behind one cell group of the customization table."""
    if (env, method) in CUSTOMIZATION_SOURCES:
        name, batch, job = CUSTOMIZATION_SOURCES[(env, method)]
        return name, select(name, batch=batch, job=job, env_id=env)
    if method == "KL PPO (calibrated beta)":
        return "customization", calibrated_kl_rows(env)
    label = "Residual PPO" if method == "Prior policy" else method
    return "customization", select("customization", env_id=env, label=label)


def calibrated_kl_rows(env):
    """KL PPO at the beta its own calibration chose (benchmark/kl_beta.json); where that beta is the prior's omega',
    the beta = omega' rows are the same command and stand for it (the presets do not run it twice)."""
    import presets

    beta = presets.kl_betas().get(env, {}).get("beta")
    if beta is None:
        return select("customization", env_id=env, label="KL PPO (calibrated beta)")
    for label in ("KL PPO (calibrated beta)", "KL PPO"):
        rows = select("customization", env_id=env, label=label)
        rows = rows[np.isclose(rows["args.kl_coef"], beta)]
        if len(rows):
            return rows
    return rows


def evaluated_rows(env, method):
    """(store name, evaluation key, rows) of one cell group, only the runs with their 100-episode re-evaluation; the
    Prior is the shipped prior on the same episodes, once."""
    name, rows = customization_rows(env, method)
    key = "reeval100.eval_prior" if method == "Prior policy" else "reeval100.eval"
    if f"{key}.total_return_mean" not in rows:
        return name, key, rows.iloc[:0]
    rows = rows[rows[f"{key}.total_return_mean"].notna()]
    return name, key, rows.iloc[:1] if method == "Prior policy" else rows


def customization_methods():
    """The customization table's methods that have re-evaluated runs on some env (KL PPO's calibrated beta only once
    its runs are in)."""
    return [m for m in CUSTOMIZATION_METHODS if any(len(evaluated_rows(env, m)[2]) for env in ENVS)]


def table_customization():
    """Prior, Greedy PPO, both KL PPO rows, Residual PPO, the paper's form and the Full policy on the four envs."""
    lines = ["| env | method | basic return | add-on return | total return | add-on metric | episode length (falls) |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- |"]
    methods = customization_methods()
    for env in ENVS:
        for method in methods:
            name, key, rows = evaluated_rows(env, method)
            cells = [mean_std(rows[f"{key}.{k}_mean"]) for k in ("basic_return", "addon_return", "total_return")]
            cells.append(mean_std(rows[f"{key}.addon_metric_mean"], 3))
            length = mean_std(rows[f"{key}.length_mean"], 0)
            if env in CAN_FALL and len(rows):
                n_falls, n = falls(name, rows["run_id"], key)
                length += f" ({n_falls} in {n})"
            label = "Prior" if method == "Prior policy" else METHOD_NAMES.get(method, method)
            if method.startswith("KL PPO") and len(rows):  # the beta each KL PPO row ran at
                label = label[:-1] + " = " + "/".join(f"{b:g}" for b in sorted(set(rows["args.kl_coef"]))) + ")"
            lines.append(f"| {env} | {label} | " + " | ".join(cells) + f" | {length} |")
    sources = "; ".join(f"{env} {method}: `{name}/` ({batch})" for (env, method), (name, batch, _) in
                        CUSTOMIZATION_SOURCES.items())
    return "\n".join(lines) + (
        "\n\nMean ± std over seeds 1-3 of each run's saved policy re-evaluated over 100 deterministic episodes "
        "(benchmark/reevaluate.py, evaluation seeds 50,000-50,099); Prior: the shipped prior on the same episodes; "
        "falls: episodes ending before the 1,000-step limit, over all seeds' episodes. " + KL_ROWS_NOTE
        + "Residual PPO (literal prior term) is the paper's form (prior term and learner's entropy term both "
        f"literal). Runs: `benchmark/results/customization/`, except {sources}.")


KL_ROWS_NOTE = ("KL PPO (beta = omega') runs at the `omega'` that validation chose for Residual PPO on the prior; KL "
                "PPO (calibrated beta) at the beta that the same validation chose for KL PPO itself "
                "(`benchmark/kl_beta.json`). ")


def table_customization_summary():
    """The README's short form of the customization table: total return per env and method, falls in brackets."""
    methods = customization_methods()
    short = {"Prior policy": "Prior", "Residual PPO (literal prior term)": "paper's form",
             "KL PPO": "KL PPO (beta = omega')"}
    head = [short.get(m, m) for m in methods]
    lines = ["| env | " + " | ".join(f"**{h}**" if h == "Residual PPO" else h for h in head) + " |",
             "| --- |" + " ---: |" * len(methods)]
    for env in ENVS:
        cells = []
        for method in methods:
            name, key, rows = evaluated_rows(env, method)
            if method == "Prior policy":
                cell = f"{rows[f'{key}.total_return_mean'].iloc[0]:.0f}"
            else:
                cell = mean_std(rows[f"{key}.total_return_mean"], 0)
            if env in CAN_FALL and len(rows):
                n_falls, n = falls(name, rows["run_id"], key)
                cell += f" ({n_falls})" if n_falls else ""
            cells.append(cell)
        lines.append(f"| {env} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        "\n\nTotal return (basic + add-on), mean ± std over seeds 1-3, each run's policy re-evaluated over 100 "
        "deterministic episodes; in brackets the episodes, of 300 (100 for the Prior), that ended in a fall. "
        + ("KL PPO's beta is the `omega'` chosen for Residual PPO, or its own, chosen by the same validation "
           "(calibrated). " if "KL PPO (calibrated beta)" in methods else "") + "The "
        "paper's form is Residual PPO with both log-likelihood terms literal; on HalfCheetah the prior's `omega'` "
        "equals its `alpha`, so that form is KL PPO exactly. The basic and add-on returns, the metric and the run "
        "folders: [docs/residual_ppo.md](docs/residual_ppo.md#experiment-results).")


def table_quick_start_printout():
    """What the Walker2d quick start printed at its end, rebuilt from its stored summary."""
    sys.path.insert(0, ROOT)
    import addon_tasks

    r = runs_of("quick_start")
    r = r[r["run_id"] == "quick_start"].iloc[0]
    summary = {"task": "walk upright", "metric_name": "mean |torso pitch|"}
    for part in ("eval", "eval_initial", "eval_stochastic", "eval_initial_stochastic"):
        summary[part] = {c.split(".", 1)[1]: r[c] for c in r.index if c.startswith(part + ".")}
    summary["eval"]["episodes"] = int(summary["eval"]["episodes"])
    return "```\n" + addon_tasks.before_after_table(summary) + "\n```"


def table_throughput_summary():
    """The README's short form of the throughput table: today's scripts against CleanRL's better thread setting."""
    full = table_throughput().split("\n\n")[0].split("\n")
    # today's code only, and CleanRL at its faster thread setting (the one the ratios are against)
    keep = [line for line in full[2:] if "@" not in line and not line.endswith("| 0.99x |")
            and not (line.split(" | ")[1] == "CleanRL ppo_continuous_action.py")]
    return "\n".join(full[:2] + keep) + (
        "\n\nMedians of 2 alternating repeats of 40,960 steps on one idle 2-core machine, CleanRL with "
        "`OMP_NUM_THREADS=1` (its faster setting); the full sitting: [docs/benchmark.md](docs/benchmark.md).")


def aggregate_scores():
    """{method: (seeds x envs) normalised total returns} and the normalisation: per env, Prior = 0 and the best
    method's mean (of the customization table's methods) = 1. A method enters once it has runs on every env."""
    raw, norm = {}, {}
    methods = customization_methods()
    for env in ENVS:
        means = {}
        for method in methods:
            _, key, rows = evaluated_rows(env, method)
            raw[(env, method)] = rows[f"{key}.total_return_mean"].to_numpy()
            if len(raw[(env, method)]):
                means[method] = raw[(env, method)].mean()
        prior = means.pop("Prior policy")
        norm[env] = (prior, max(means.values()))
    scores = {}
    for method in ("Residual PPO", "KL PPO (calibrated beta)", "KL PPO", "Greedy PPO"):
        cols = [(raw.get((env, method), np.array([])) - norm[env][0]) / (norm[env][1] - norm[env][0]) for env in ENVS]
        n = min(len(c) for c in cols)
        if n:
            scores[METHOD_NAMES.get(method, method)] = np.stack([c[:n] for c in cols], axis=1)
    return scores, norm


@functools.cache
def aggregate_stats(reps=AGGREGATE_REPS):
    """rliable's interval estimates on aggregate_scores(). rliable's stratified bootstrap draws its resamples from
    numpy's global generator, so it is seeded (0) before each estimate: the same store gives the same numbers."""
    from rliable import library as rly
    from rliable import metrics

    scores, norm = aggregate_scores()

    def estimate(data, func):
        np.random.seed(0)
        return rly.get_interval_estimates(data, func, reps=reps)

    iqm, iqm_ci = estimate(scores, lambda x: np.array([metrics.aggregate_iqm(x)]))
    mean, mean_ci = estimate(scores, lambda x: np.array([metrics.aggregate_mean(x)]))
    pairs = {f"Residual PPO,{other}": (scores["Residual PPO"], scores[other]) for other in scores if other != "Residual PPO"}
    poi, poi_ci = estimate(pairs, metrics.probability_of_improvement)
    poi = {k: float(np.ravel(v)[0]) for k, v in poi.items()}
    poi_ci = {k: tuple(float(x) for x in np.ravel(v)) for k, v in poi_ci.items()}
    return scores, norm, (iqm, iqm_ci), (mean, mean_ci), (poi, poi_ci)


def table_aggregate():
    """rliable's aggregate of Residual PPO, both KL PPO rows and Greedy PPO over the four envs."""
    scores, norm, (iqm, iqm_ci), (mean, mean_ci), (poi, poi_ci) = aggregate_stats()
    lines = ["| method | IQM (95% CI) | mean (95% CI) | runs |", "| --- | --- | --- | ---: |"]
    for m in scores:
        lines.append(f"| {m} | {iqm[m][0]:.2f} [{iqm_ci[m][0][0]:.2f}, {iqm_ci[m][1][0]:.2f}] | "
                     f"{mean[m][0]:.2f} [{mean_ci[m][0][0]:.2f}, {mean_ci[m][1][0]:.2f}] | {scores[m].size} |")
    lines += ["", "| comparison | probability of improvement (95% CI) |", "| --- | --- |"]
    for pair, value in poi.items():
        x, y = pair.split(",")
        lines.append(f"| P({x} > {y}) | {float(value):.2f} [{float(poi_ci[pair][0]):.2f}, {float(poi_ci[pair][1]):.2f}] |")
    norms = ", ".join(f"{env} {p:.0f} -> {b:.0f}" for env, (p, b) in norm.items())
    return "\n".join(lines) + (
        "\n\nScores: total return over 100 re-evaluation episodes (the customization table's runs), normalised per "
        "env so that the Prior is 0 and the best method's mean in the customization table is 1 "
        f"({norms}). Interquartile mean and mean over the 4 envs x 3 seeds, with 95% stratified-bootstrap "
        "confidence intervals, and the probability that a run of one method beats a run of the other on the same "
        f"env (rliable, {AGGREGATE_REPS:,} resamples, seed 0). With three seeds an env the intervals are wide. Figure: "
        "`benchmark/results/customization/aggregate.png`.")


def figure_aggregate(path):
    from rliable import library as rly

    plt = _pyplot()
    scores, _, (iqm, iqm_ci), _, (poi, poi_ci) = aggregate_stats()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    colors = {"Residual PPO": "tab:blue", "KL PPO (calibrated beta)": "tab:olive", "KL PPO (beta = omega')": "tab:green",
              "Greedy PPO": "tab:orange"}
    for i, m in enumerate(scores):
        lo, hi = iqm_ci[m][0][0], iqm_ci[m][1][0]
        axes[0].barh(i, hi - lo, left=lo, color=colors[m], alpha=0.6, height=0.6)
        axes[0].plot([iqm[m][0]] * 2, [i - 0.3, i + 0.3], color="k")
    axes[0].set(yticks=range(len(scores)), yticklabels=list(scores), xlabel="IQM of normalised total return",
                title="IQM, 95% stratified-bootstrap CI")
    low = min(float(v.min()) for v in scores.values())
    taus = np.linspace(min(-1.0, np.floor(low * 2) / 2), 1.5, 121)
    np.random.seed(0)  # its (unused here) bootstrap draws from numpy's global generator
    profiles, _ = rly.create_performance_profile(scores, taus, reps=1)
    for m, prof in profiles.items():
        axes[1].plot(taus, prof, color=colors[m], label=m)
    axes[1].set(xlabel="normalised total return tau", ylabel="fraction of runs with score > tau",
                title="performance profile")
    axes[1].legend(fontsize=8)
    for i, (pair, value) in enumerate(poi.items()):
        lo, hi = float(poi_ci[pair][0]), float(poi_ci[pair][1])
        axes[2].barh(i, hi - lo, left=lo, color="tab:blue", alpha=0.6, height=0.6)
        axes[2].plot([float(value)] * 2, [i - 0.3, i + 0.3], color="k")
    axes[2].axvline(0.5, color="grey", ls=":")
    axes[2].set(yticks=range(len(poi)), yticklabels=[p.replace(",", " > ") for p in poi], xlim=(0, 1),
                xlabel="P(X > Y)", title="probability of improvement")
    fig.suptitle("Customization over 4 envs x 3 seeds (Prior = 0, best method's mean = 1 per env)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def table_omega_sweep():
    """The seed-1 omega' frontier of the customization preset (both learner's entropy terms)."""
    runs = runs_of("customization")
    res = runs[(runs["seed"] == 1) & runs["script"].eq("residual_ppo_continuous.py")
               & (runs["group"].eq("omega_sweep") | runs["label"].isin(["Residual PPO", "Residual PPO (literal entropy term)"]))]
    lines = ["| env | omega' | total return | episode length (falls) | basic return | add-on metric | "
             "total, learner's entropy term literal |", "| --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    for env in ENVS:
        rows = res[res["env_id"] == env]
        for w in sorted(rows["args.omega_prime"].unique()):
            at = rows[rows["args.omega_prime"] == w]
            cells = {}
            for term in ("centred", "literal"):
                hit = at[at["args.entropy_term"] == term]
                cells[term] = hit.iloc[0] if len(hit) else None
            c = cells["centred"]
            if c is None:
                continue
            key = "reeval100.eval" if not np.isnan(c.get("reeval100.eval.total_return_mean", np.nan)) else "eval"
            length = f"{c[f'{key}.length_mean']:.0f}"
            if env in CAN_FALL and key.startswith("reeval"):
                length += f" ({falls('customization', [c['run_id']], key)[0]})"
            lit = cells["literal"]
            lit_total = ""
            if lit is not None:
                lit_key = "reeval100.eval" if key.startswith("reeval") and not np.isnan(
                    lit.get("reeval100.eval.total_return_mean", np.nan)) else "eval"
                lit_total = f"{lit[f'{lit_key}.total_return_mean']:.0f}"
            default = " (default)" if c["label"] == "Residual PPO" else ""
            lines.append(f"| {env} | {w:g}{default} | {c[f'{key}.total_return_mean']:.0f} | {length} | "
                         f"{c[f'{key}.basic_return_mean']:.0f} | {c[f'{key}.addon_metric_mean']:.3f} | {lit_total} |")
    return "\n".join(lines) + (
        "\n\nSeed 1, 1M steps from the shipped prior, only omega' changed (prior term centred; HalfCheetah's default "
        "form is now the learner-centred one, whose frontier is in `benchmark/results/research/prior_term_form/`). "
        "Each point over 100 re-evaluation episodes where the run has them, else its own 10; falls out of 100. "
        "Runs: `benchmark/results/customization/`.")


def table_soft_ablation():
    """PPO, entropy-bonus PPO, Soft PPO and repeat-entropy PPO on HalfCheetah and Hopper (final evaluation)."""
    runs = runs_of("ablation")
    envs = ("HalfCheetah-v4", "Hopper-v4")
    lines = ["| variant | flags | " + " | ".join(envs) + " |", "| --- | --- |" + " --- |" * len(envs)]
    for label in ("PPO", "entropy-bonus PPO", "Soft PPO", "repeat-entropy PPO"):
        rows = runs[runs["label"] == label]
        if not len(rows):
            continue
        a = rows.iloc[0]
        flags = f"`--alpha {a['args.alpha']:g}" + (f" --ent-coef {a['args.ent_coef']:g}`" if a["args.ent_coef"] else "`")
        cells = []
        for env in envs:
            r = rows[rows["env_id"] == env].sort_values("seed")
            v = r["eval.return_mean"].to_list()
            cells.append(f"{mean_std(v, 0)} ({per_seed(v)})" if v else "n/a")
        lines.append(f"| {label} | {flags} | " + " | ".join(cells) + " |")
    seeds = sorted(runs["seed"].unique())
    return "\n".join(lines) + (
        f"\n\nFinal deterministic evaluation (10 episodes) after 1M steps, mean ± std over seeds "
        f"{seeds[0]}-{seeds[-1]} (per seed in brackets). `soft_ppo_continuous.py` with the flags shown. "
        "Runs: `benchmark/results/ablation/`.")


def table_zoo():
    """PPO and Soft PPO at RL Baselines3 Zoo's tuned hyper-parameters beside the CleanRL-default ablation's."""
    envs = ("HalfCheetah-v4", "Hopper-v4")
    lines = ["| hyper-parameters | variant | " + " | ".join(envs) + " |", "| --- | --- |" + " --- |" * len(envs)]
    for source, name in (("ablation", "CleanRL's defaults"), ("zoo", "RL Baselines3 Zoo's")):
        for label in ("PPO", "Soft PPO"):
            cells = []
            for env in envs:
                v = select(source, label=label, env_id=env)["eval.return_mean"]
                if not len(v):
                    cells.append("not run yet")
                elif len(v) == 1:
                    cells.append(f"{v.iloc[0]:.0f} (1 seed)")
                else:
                    cells.append(f"{mean_std(v.to_list(), 0)} ({per_seed(v.to_list())}; {len(v)} seeds)")
            lines.append(f"| {name} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        "\n\nFinal deterministic evaluation (10 episodes) after 1M steps, mean ± std over the seeds run (per seed in "
        "brackets, seeds 1-5 in order). CleanRL's defaults: the Soft PPO ablation's runs (`benchmark/results/"
        "ablation/`). The Zoo's: `benchmark/presets.py` `ZOO_FLAGS`, the Zoo's `hyperparams/ppo.yml` values as flags "
        "of `soft_ppo_continuous.py` (`python benchmark/run.py --preset zoo`; runs: `benchmark/results/zoo/`). The "
        "paper reports Soft PPO on HalfCheetah at {:.1f} ± {:.1f}.".format(*PAPER_SOFT_PPO_HALFCHEETAH))


ZOO_SOURCES = (("ablation", "CleanRL's defaults"), ("zoo", "RL Baselines3 Zoo's"))
ZOO_CURVE_STEPS = (250_000, 500_000, 750_000, 1_000_000)


def zoo_curves(env, source, label):
    """(grid, mean, std, seeds) over seeds of the training episodic return of one row of the zoo table, or None."""
    import preset_report

    curves = _STORES[source][1]
    out = []
    for run_id in select(source, label=label, env_id=env)["run_id"]:
        c = curves[(curves["run_id"] == run_id) & curves["charts/episodic_return"].notna()]
        out.append((c["step"].to_numpy(float), c["charts/episodic_return"].to_numpy(float)))
    return (*preset_report.curve_stats(out, points=201), len(out)) if out else None


def table_zoo_curves():
    """The zoo table's learning curves in numbers: the training return at four points of the 1M steps."""
    envs, labels = ("HalfCheetah-v4", "Hopper-v4"), ("PPO", "Soft PPO")
    cols = [(source, name, label) for source, name in ZOO_SOURCES for label in labels]
    lines = ["| env | steps | " + " | ".join(f"{label}, {name}" for _, name, label in cols) + " |",
             "| --- | --- |" + " --- |" * len(cols)]
    for env in envs:
        stats = [zoo_curves(env, source, label) for source, _, label in cols]
        for steps in ZOO_CURVE_STEPS:
            cells = []
            for st in stats:
                if st is None or st[0][-1] < steps - 10_000:
                    cells.append("n/a")
                    continue
                i = int(np.argmin(np.abs(st[0] - steps)))
                cells.append(f"{st[1][i]:.0f} ± {st[2][i]:.0f}")
            lines.append(f"| {env} | {steps_name(steps)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        "\n\nTraining episodic return (the stochastic policy; each seed a moving average over 10 episodes), mean ± std "
        "over the seeds of the table above, at the step shown (the last row is the end of training). Figure: "
        "`benchmark/results/zoo/curves.png`.")


def figure_zoo(path):
    plt = _pyplot()
    envs = ("HalfCheetah-v4", "Hopper-v4")
    fig, axes = plt.subplots(1, len(envs), figsize=(10, 4))
    for ax, env in zip(axes, envs, strict=True):
        for (source, name), style in zip(ZOO_SOURCES, (":", "-"), strict=True):
            for label, colour in (("PPO", "tab:blue"), ("Soft PPO", "tab:orange")):
                stats = zoo_curves(env, source, label)
                if stats is None:
                    continue
                grid, mean, std, n = stats
                ax.plot(grid, mean, style, color=colour, label=f"{label}, {name} ({n} seeds)")
                ax.fill_between(grid, mean - std, mean + std, color=colour, alpha=0.12)
        if env == "HalfCheetah-v4":
            paper = PAPER_SOFT_PPO_HALFCHEETAH[0]
            ax.axhline(paper, color="grey", lw=0.8, ls="--", label=f"paper's Soft PPO ({paper})")
        ax.set(xlabel="environment steps", ylabel="training episodic return", title=env)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def table_zoo_hopper_probe():
    """Soft PPO on Hopper at the Zoo's settings, with one value put back to CleanRL's, beside both settings' own."""
    rows = [("CleanRL's defaults", "ablation", "Soft PPO"), ("RL Baselines3 Zoo's", "zoo", "Soft PPO"),
            ("the Zoo's, `--log-std-init 0`", "research/zoo_hopper_probe", "Soft PPO (log-std 0)"),
            ("the Zoo's, `--gamma 0.99`", "research/zoo_hopper_probe", "Soft PPO (gamma 0.99)"),
            ("the Zoo's, `--vf-coef 1.671342` (SB3's weight on the critic)", "research/zoo_hopper_probe",
             "Soft PPO (SB3 value scale)")]
    lines = ["| hyper-parameters | final evaluation, seeds 1-2 | its episode length | training at 100k steps: return / length |",
             "| --- | --- | --- | --- |"]
    for name, source, label in rows:
        r = select(source, label=label, env_id="Hopper-v4")
        r = r[r["seed"].isin([1, 2])]
        if not len(r):
            lines.append(f"| {name} | not run yet | | |")
            continue
        v = r["eval.return_mean"].to_list()
        eps = episodes_of(source)
        length = eps[eps["run_id"].isin(r["run_id"]) & (eps["evaluation"] == "eval")]["length"].mean()
        curves = _STORES[source][1]
        early = []  # (return, length) of each seed's last 10 iterations before 100k steps
        for run_id in r["run_id"]:
            c = curves[(curves["run_id"] == run_id) & curves["charts/episodic_return"].notna() & (curves["step"] <= 100_000)]
            early.append((c["charts/episodic_return"].tail(10).mean(), c["charts/episodic_length"].tail(10).mean()))
        early = np.array(early).mean(0)
        lines.append(f"| {name} | {mean_std(v, 0)} ({per_seed(v)}) | {length:.0f} | {early[0]:.0f} / {early[1]:.0f} |")
    return "\n".join(lines) + (
        "\n\nSoft PPO (`--alpha 0.001`) on Hopper-v4, 1M steps, seeds 1-2: final deterministic evaluation (10 "
        "episodes; mean ± std over the seeds, per seed in brackets), its mean episode length (1,000 is the time "
        "limit), and the training episodes' return and length at 100k steps (each seed's last 10 iterations before "
        "it, then the mean over seeds): a return about equal to the length is the alive bonus alone, a robot standing. "
        "Runs: `benchmark/results/ablation/`, `benchmark/results/zoo/` and "
        "`benchmark/results/research/zoo_hopper_probe/` (`python benchmark/run.py --preset zoo_hopper_probe`).")


def table_ppo_vs_cleanrl():
    runs = runs_of("ppo_1M")
    lines = ["| env | seeds | eval return | train return (last 20 episodes) | CleanRL (published, 3 seeds) |",
             "| --- | --- | --- | --- | --- |"]
    for env in ENVS:
        rows = runs[runs["env_id"] == env].sort_values("seed")
        if not len(rows):
            continue
        v = rows["eval.return_mean"].to_list()
        ref = CLEANRL_PUBLISHED.get(env)
        lines.append(f"| {env} | {', '.join(str(int(s)) for s in rows['seed'])} | {mean_std(v, 1)} ({per_seed(v, 1)}) | "
                     f"{mean_std(rows['train_return_last20'], 1)} | "
                     + (f"{ref[0]:.1f} ± {ref[1]:.1f}" if ref else "") + " |")
    return "\n".join(lines) + (
        "\n\n`python ppo_continuous.py --env-id ENV --seed S` (1M steps). Eval: final deterministic evaluation, 10 "
        "episodes; train: the last 20 training episodes. CleanRL's column is the return its documentation publishes "
        "for `ppo_continuous_action.py` at 1M steps (docs/rl-algorithms/ppo.md), a reference constant, not a run "
        "of this repository. Runs: `benchmark/results/ppo_1M/`.")


THROUGHPUT_SITTING = "benchmark/results/throughput/throughput_flat_adam.md"


def table_throughput():
    import pandas as pd

    df = pd.read_csv(os.path.join(RESULTS, "throughput", "throughput.csv"), dtype=str, keep_default_na=False)
    df = df[df["source"] == THROUGHPUT_SITTING]
    lines = ["| env | script | training steps/s | vs CleanRL | whole process, s | vs CleanRL |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for _, r in df.iterrows():
        if r["what"] == "raw env.step":
            continue
        lines.append(f"| {r['env']} | {r['what']} | {r['median steps/s']} | {r['vs CleanRL']} | {r['median wall s']} | "
                     f"{r['vs CleanRL.1']} |")
    with open(os.path.join(ROOT, THROUGHPUT_SITTING)) as f:
        commit = next(line.split("`")[1] for line in f if line.startswith("- commit:"))
    return "\n".join(lines) + (
        "\n\nMedians of 2 alternating repeats, 40,960 training steps, one env, default hyper-parameters, each script "
        "run as a user runs it (ours include their final evaluation); 'vs CleanRL' against the better of CleanRL's "
        "two thread settings in the same sitting. `@ 0a300d6` is the code before the flat-buffer Adam, timed beside "
        f"it, at commit `{commit[:7]}` (`python benchmark/throughput.py`; the command as it ran is in "
        "`benchmark/results/throughput/`).")


def table_quick_start():
    runs = runs_of("quick_start").copy()
    lines = ["| env | commit | steps | total return | add-on metric | episode length | minutes | steps/s |",
             "| --- | --- | ---: | --- | --- | --- | ---: | ---: |"]
    runs["order"] = runs["env_id"].map({e: i for i, e in enumerate(("Walker2d-v4",) + ENVS)})
    for _, r in runs.sort_values(["order", "commit"]).iterrows():
        def arrow(k, d, r=r):
            return f"{r[f'eval_initial.{k}_mean']:.{d}f} -> {r[f'eval.{k}_mean']:.{d}f}"
        lines.append(f"| {r['env_id']} | `{r['commit'][:7]}` | {steps_name(int(r['args.total_timesteps']))} | "
                     f"{arrow('total_return', 1)} | {arrow('addon_metric', 3)} | {arrow('length', 0)} | "
                     f"{r['train_time_s'] / 60:.1f} | {r['sps']:,.0f} |")
    return "\n".join(lines) + (
        "\n\n`python residual_ppo_continuous.py --env-id ENV` as a user runs it (seed 1, at the budget its prior "
        "recorded at that commit: 1M steps before the priors recorded one): the prior "
        "(before) -> the customized policy (after), deterministic evaluation over the run's 10 episodes. Machines "
        "differ in floating point and speed, so runs of the same command land near, not on, each other. Runs: "
        "`benchmark/results/quick_start/`.")


def table_priors():
    import pandas as pd

    df = pd.read_csv(os.path.join(RESULTS, "priors", "prior_seeds.csv"), dtype=str, keep_default_na=False)
    cols = [c for c in df.columns if c not in ("source", "table")]
    lines = ["| " + " | ".join(cols) + " |", "| --- " * len(cols) + "|"]
    lines += ["| " + " | ".join(r[c] for c in cols) + " |" for _, r in df.iterrows()]
    return "\n".join(lines) + (
        "\n\nEvery prior seed as Residual PPO loads it: deterministic and stochastic evaluation on the add-on task (10 "
        "episodes, seed + 10,000), and what `prior_train.py` measured (basic-return scale, advantage temperature, "
        "entropy); `shipped` marks the one in `priors/`. The candidates' checkpoints were evaluated once by "
        "`benchmark/results/prior_seeds/table.py`; its output is kept as data in `benchmark/results/priors/"
        "prior_seeds.csv`, their training runs in `benchmark/results/priors/runs.csv`.")


def before_after(rows, key, d):
    """'before -> after' means over `rows` (mean ± std over seeds for after) of an evaluation quantity."""
    before = rows[f"eval_initial.{key}_mean"].mean()
    return f"{before:.{d}f} -> {mean_std(rows[f'eval.{key}_mean'], d)}"


def table_addon_examples():
    """The two shipped tasks of the transition on HalfCheetah: the default command against Greedy and KL PPO."""
    runs = runs_of("addon_examples")
    lines = ["| task | method | seeds | basic return | add-on return | total return | add-on metric |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for task, metric in (("energy", "mean squared action"), ("target speed", "forward speed, m/s")):
        for method in ("Residual PPO", "Greedy PPO", "KL PPO"):
            rows = runs[runs["label"] == f"{method} ({task})"]
            if not len(rows):
                continue
            cells = [before_after(rows, k, 0) for k in ("basic_return", "addon_return", "total_return")]
            cells.append(before_after(rows, "addon_metric", 3))
            lines.append(f"| {task} ({metric}) | {method} | {len(rows)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        "\n\n`python residual_ppo_continuous.py --env-id HalfCheetah-v4 --addon-task addon_tasks:halfcheetah_energy` "
        "(and `:halfcheetah_target_speed`), 1M steps, seeds 1-3; Greedy PPO adds `--omega-prime 0 --alpha-hat 0`, KL "
        "PPO `--kl-coef` at the prior's `omega'`. The shipped prior (before) -> the customized policy (after, mean ± "
        "std over seeds), deterministic evaluation over each run's 10 episodes. Runs: `benchmark/results/addon_examples/` "
        "(`python benchmark/run.py --preset addon_examples`).")


def table_sb3_prior():
    """A Stable-Baselines3 PPO Walker2d agent, converted and customized, beside the shipped prior's default command."""
    rows = [("SB3 PPO agent, converted", runs_of("sb3_prior").iloc[0])]
    quick = runs_of("quick_start")
    rows.append(("shipped prior (`priors/Walker2d-v4.pt`)", quick[quick["run_id"] == "quick_start"].iloc[0]))
    lines = ["| prior | basic return | add-on return | total return | mean torso pitch | episode length |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        def arrow(k, d, r=r):
            return f"{r[f'eval_initial.{k}_mean']:.{d}f} -> {r[f'eval.{k}_mean']:.{d}f}"
        lines.append(f"| {name} | {arrow('basic_return', 0)} | {arrow('addon_return', 0)} | {arrow('total_return', 0)} | "
                     f"{arrow('addon_metric', 3)} | {arrow('length', 0)} |")
    return "\n".join(lines) + (
        "\n\nThe walk-upright task's default command from each prior, 1M steps, seed 1: the prior (before) -> the "
        "customized policy (after), deterministic evaluation over the run's 10 episodes. The SB3 agent was trained "
        "with RL Baselines3 Zoo's Walker2d hyper-parameters (`benchmark/train_sb3.py`, 1M steps) and converted with "
        "`prior_train.py --from-sb3`; with no calibrated `omega'` it runs at 0.03. Runs and commands: "
        "`benchmark/results/sb3_prior/`; the shipped prior's row is the quick start's run.")


def calibrate_output(*argv):
    import calibrate_omega

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        calibrate_omega.main(list(argv))
    return buf.getvalue()


def choose_prior_term_output():
    import choose_prior_term

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        choose_prior_term.main([])
    return buf.getvalue()


CALIBRATION_ARGS = ("--preset", "calibration_1m", "--confirm", "--episodes", "100", "--at-least-alpha-hat")


def table_calibration():
    text = calibrate_output(*CALIBRATION_ARGS).strip()
    chosen = ["| env | omega' chosen | why |", "| --- | ---: | --- |"]
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| ") and "**yes**" in line:
            chosen.append(f"| {cells[0]} | {cells[1]} | {cells[-1].replace('**yes**: ', '')} |")
    return "\n".join(chosen) + "\n\nThe table it was chosen from:\n\n" + text + (
        "\n\n`python benchmark/calibrate_omega.py " + " ".join(CALIBRATION_ARGS) + "`: Residual PPO from each "
        "shipped prior at each omega', 1M steps, validation seeds 4-5 (lengths and totals over 100 re-evaluation "
        "episodes), the choice confirmed on seeds 6-7. Runs: `benchmark/results/research/calibration_1m/`, "
        "`calibration_edge/`, `calibration_confirm/`.")


KL_CALIBRATION_ARGS = ("--preset", "kl_calibration_1m", "--confirm", "--episodes", "100")


def table_kl_calibration():
    """KL PPO's beta by the omega' procedure: the grid and its edges on validation seeds 4-5, the confirmation on 6-7."""
    text = calibrate_output(*KL_CALIBRATION_ARGS).strip()
    return text + (
        "\n\n`python benchmark/calibrate_omega.py " + " ".join(KL_CALIBRATION_ARGS) + "`: KL PPO (`--kl-coef BETA`) "
        "from each shipped prior at each beta, 1M steps, validation seeds 4-5 (lengths and totals over 100 "
        "re-evaluation episodes), the choice confirmed on seeds 6-7; a choice marked provisional names the run it "
        "still needs. Runs: `benchmark/results/research/kl_calibration_1m/`, `kl_calibration_edge/`, "
        "`kl_calibration_confirm/`.")


def table_kl_betas():
    """KL PPO's own beta per env as benchmark/kl_beta.json holds it, beside the omega' chosen for Residual PPO."""
    import presets

    betas = presets.kl_betas()
    lines = ["| env | KL PPO's beta | Residual PPO's omega' | why |", "| --- | ---: | ---: | --- |"]
    for env in sorted(ENVS):
        if env in betas:
            why = betas[env]["chosen_by"].split(": ", 1)[1]
            lines.append(f"| {env} | {betas[env]['beta']:g} | {presets.shipped_omega_prime(env):g} | {why} |")
    missing = [env for env in sorted(ENVS) if env not in betas]
    return "\n".join(lines) + (
        f"\n\n`benchmark/kl_beta.json`, written by `python benchmark/calibrate_omega.py {' '.join(KL_CALIBRATION_ARGS)} "
        "--write`; the table it was chosen from: `benchmark/results/research/kl_calibration_1m/choice.md`."
        + (f" Not chosen yet: {', '.join(missing)}." if missing else ""))


# Both methods' validation grids: the same seeds (4-5), budget and 100 re-evaluation episodes. Residual PPO's grid
# ran when the learner's entropy term was literal by default; KL PPO's is literal by its definition.
FRONTIER_STORES = {"Residual PPO": ("research/calibration_1m", "research/calibration_edge"),
                   "KL PPO": ("research/kl_calibration_1m", "research/kl_calibration_edge")}
FRONTIER_COEF = {"Residual PPO": ("args.omega_prime", "omega'"), "KL PPO": ("args.kl_coef", "beta")}
FRONTIER_SEEDS = (4, 5)


def frontier_points(env):
    """{method: {coefficient: (basic returns, add-on returns) over FRONTIER_SEEDS}} from the 100-episode
    re-evaluations of both validation grids; a coefficient counts once all its seeds are re-evaluated."""
    points = {}
    for method, names in FRONTIER_STORES.items():
        col = FRONTIER_COEF[method][0]
        points[method] = {}
        for name in names:
            if not os.path.exists(os.path.join(RESULTS, name, "runs.csv")):
                continue
            rows = select(name, env_id=env)
            if "reeval100.eval.total_return_mean" not in rows:
                continue  # not re-evaluated yet
            rows = rows[rows["seed"].isin(FRONTIER_SEEDS) & rows["reeval100.eval.total_return_mean"].notna()]
            for w, at in rows.groupby(col):
                if len(at) == len(FRONTIER_SEEDS):
                    points[method][float(w)] = (at["reeval100.eval.basic_return_mean"].to_numpy(),
                                                at["reeval100.eval.addon_return_mean"].to_numpy())
    return points


def kl_frontier_ready():
    """Whether any KL PPO point is re-evaluated yet: the frontier's table and figure are written only then."""
    return any(frontier_points(env)["KL PPO"] for env in ENVS)


def frontier_references(env):
    """{"Prior": (basic, add-on), "Full policy": (basic returns, add-on returns)}: the shipped prior on the frontier's
    100 episodes, and the customization table's Full policy runs (seeds 1-3)."""
    prior = select("research/kl_calibration_1m", env_id=env)
    prior = prior[prior["reeval100.eval_prior.total_return_mean"].notna()].iloc[0]
    _, full = customization_rows(env, "Full policy")
    return {"Prior": (np.array([prior["reeval100.eval_prior.basic_return_mean"]]),
                      np.array([prior["reeval100.eval_prior.addon_return_mean"]])),
            "Full policy": (full["reeval100.eval.basic_return_mean"].to_numpy(),
                            full["reeval100.eval.addon_return_mean"].to_numpy())}


def dominance(points):
    """[(beta, the omega' values at least as good on both means, or [])] for each KL PPO point."""
    res = {w: (b.mean(), a.mean()) for w, (b, a) in points["Residual PPO"].items()}
    out = []
    for beta, (b, a) in sorted(points["KL PPO"].items()):
        out.append((beta, [w for w, (rb, ra) in sorted(res.items()) if rb >= b.mean() and ra >= a.mean()]))
    return out


def kl_verdicts():
    """One sentence per env: is every KL PPO point matched on both axes by a Residual PPO point?"""
    verdicts = []
    for env in ENVS:
        points = frontier_points(env)
        if not points["KL PPO"]:
            continue
        dom = dominance(points)
        beaten = [f"{beta:g} (by omega' {', '.join(f'{w:g}' for w in ws)})" for beta, ws in dom if ws]
        free = [f"{beta:g}" for beta, ws in dom if not ws]
        if not free:
            verdicts.append(f"- {env}: every KL PPO point is matched or beaten on both axes by a Residual PPO point: "
                            f"beta {'; '.join(beaten)}.")
        else:
            verdicts.append(f"- {env}: {len(free)} of {len(dom)} KL PPO points {'is' if len(free) == 1 else 'are'} "
                            "not matched on both axes by any "
                            f"Residual PPO point (beta {', '.join(free)})"
                            + (f"; the others are: beta {'; '.join(beaten)}." if beaten else "."))
    return verdicts


FRONTIER_NOTE = (
    "Validation seeds 4-5, 1M steps from the shipped prior, only the coefficient changed; each run's policy "
    "re-evaluated over 100 deterministic episodes, a point once both seeds are. A KL PPO point is matched when some "
    "Residual PPO point has at least its mean basic return and at least its mean add-on return. Residual PPO's grid is "
    "the one `omega'` was chosen from, run with the defaults of then (the learner's entropy term literal; on "
    "HalfCheetah the centred prior term). Runs: `benchmark/results/research/calibration_1m/`, `calibration_edge/`, "
    "`kl_calibration_1m/`, `kl_calibration_edge/`.")


def table_kl_frontier():
    """Both frontiers on the basic / add-on plane, point by point, and the verdicts."""
    lines = ["| env | method | coefficient | basic return | add-on return | total return |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for env in ENVS:
        for method, coef in frontier_points(env).items():
            for w, (b, a) in sorted(coef.items()):
                lines.append(f"| {env} | {method} | {FRONTIER_COEF[method][1]} = {w:g} | {mean_std(b, 0)} | "
                             f"{mean_std(a, 0)} | {mean_std(b + a, 0)} |")
    return "\n".join(lines) + "\n\n" + "\n".join(kl_verdicts()) + "\n\nMean ± std over the seeds. " + FRONTIER_NOTE + (
        " Figure: `kl_frontier.png`.")


def table_kl_dominance():
    """The docs' short form of kl_frontier: the verdict per env."""
    return "\n".join(kl_verdicts()) + "\n\n" + FRONTIER_NOTE + (
        " Every point's returns: `benchmark/results/customization/kl_frontier.md`.")


def figure_kl_frontier(path):
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    style = {"Residual PPO": ("tab:blue", "o"), "KL PPO": ("tab:green", "s")}
    for ax, env in zip(axes.ravel(), ENVS, strict=True):
        points = frontier_points(env)
        for method, coef in points.items():
            color, marker = style[method]
            ws = sorted(coef)
            xs = [coef[w][0].mean() for w in ws]
            ys = [coef[w][1].mean() for w in ws]
            ax.errorbar(xs, ys, xerr=[coef[w][0].std() for w in ws], yerr=[coef[w][1].std() for w in ws],
                        color=color, marker=marker, ms=5, lw=1, capsize=2,
                        label=f"{method} ({FRONTIER_COEF[method][1]})")
            for w, x, y in zip(ws, xs, ys, strict=True):
                ax.annotate(f"{w:g}", (x, y), fontsize=7, color=color, xytext=(3, 3), textcoords="offset points")
        for name, (b, a) in frontier_references(env).items():
            ax.errorbar([b.mean()], [a.mean()], xerr=[b.std()], yerr=[a.std()], color="k" if name == "Prior" else "tab:red",
                        marker="*" if name == "Prior" else "D", ms=9 if name == "Prior" else 6, capsize=2, ls="none",
                        label=name)
        ax.set(title=env, xlabel="basic return", ylabel="add-on return")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Residual PPO's omega' and KL PPO's beta from the shipped prior\n(1M steps, seeds 4-5, mean ± std; "
                 "Full policy: seeds 1-3)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def steps_name(steps):
    """A budget as the tables write it: 100k, 1M."""
    return f"{steps // 1000}k" if steps < 1_000_000 else f"{steps // 1_000_000}M"


def budget_points():
    """{env: {steps: {seed: (total, prior's total, store, run id)}}}: the budget preset's runs and, at 1M, the
    customization table's Residual PPO runs (the default command), each judged on its 100-episode re-evaluation, the
    prior on the same 100 episodes. A run not yet re-evaluated is left out."""
    points = {}
    budget = runs_of("budget") if os.path.exists(os.path.join(RESULTS, "budget", "runs.csv")) else None
    for env in ENVS:
        points[env] = {}
        name, full = customization_rows(env, "Residual PPO")
        _, prior = customization_rows(env, "Prior policy")  # the shipped prior on the same 100 episodes, as the
        sources = [(name, full.assign(prior=prior["reeval100.eval_prior.total_return_mean"].dropna().iloc[0]))]
        if budget is not None and "reeval100.eval.total_return_mean" in budget:  # each run has the prior beside it
            rows = budget[budget["env_id"] == env]
            sources.append(("budget", rows.assign(prior=rows["reeval100.eval_prior.total_return_mean"])))
        for source, rows in sources:
            for _, r in rows[rows["reeval100.eval.total_return_mean"].notna()].iterrows():
                steps = min(BUDGET_STEPS, key=lambda b, r=r: abs(b - r["args.total_timesteps"]))
                points[env].setdefault(steps, {})[int(r["seed"])] = (
                    r["reeval100.eval.total_return_mean"], r["prior"], source, r["run_id"])
    return points


def budget_share(points, env, steps):
    """(mean total, mean gain over the prior as a share of the 1M-step mean gain, seeds, falls, episodes) at `steps`,
    or None."""
    got, full = points[env].get(steps), points[env].get(1_000_000)
    if not got or not full:
        return None
    gain = np.mean([p[0] - p[1] for p in got.values()])
    n_falls, n = falls(next(iter(got.values()))[2], [p[3] for p in got.values()], "reeval100.eval")
    return (np.mean([p[0] for p in got.values()]), gain / np.mean([p[0] - p[1] for p in full.values()]), len(got),
            n_falls, n)


def table_budget():
    points = budget_points()
    head = ["env", "prior"] + [steps_name(b) for b in BUDGET_STEPS]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for env in ENVS:
        full = points[env].get(1_000_000, {})
        prior = np.mean([p[1] for p in full.values()]) if full else np.nan
        cells = []
        for b in BUDGET_STEPS:
            got = budget_share(points, env, b)
            cells.append("" if got is None else
                         f"{got[0]:.0f} ({got[1]:.0%}; {got[3]} falls in {got[4]}"
                         + (f"; {got[2]} seed{'s' * (got[2] != 1)}" if got[2] != 3 else "") + ")")
        lines.append(f"| {env} | {prior:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + (
        "\n\nThe default command with only `--total-timesteps` changed (the learning rate anneals over the shorter "
        "budget), seeds 1-3, each run's final policy re-evaluated over 100 deterministic episodes "
        "(`benchmark/reevaluate.py`): mean total return, and in brackets the mean gain over the shipped prior (on the "
        "same 100 episodes) as a share of the 1M-step mean gain, and the falls (episodes that end before the "
        "1,000-step limit) over the three seeds' 300 episodes. The 1M column is the customization table's Residual "
        "PPO runs. Runs: `benchmark/results/budget/` (`python benchmark/run.py --preset budget`).")


def table_budget_choice():
    """Each shipped prior's default budget: what benchmark/choose_budget.py's rule gives from the table above, and
    what the prior records (residual_ppo_continuous.py's default)."""
    import choose_budget

    sys.path.insert(0, ROOT)
    import residual_ppo_continuous as residual

    points = budget_points()
    lines = ["| env | default budget | why | the prior records |", "| --- | ---: | --- | ---: |"]
    for env in ENVS:
        steps, why = choose_budget.choose(points, env)
        recorded = residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env}.pt")).get("total_timesteps")
        lines.append(f"| {env} | {steps_name(steps) if steps else 'not chosen'} | {why} | "
                     f"{steps_name(recorded) if recorded else 'none (1M)'} |")
    return "\n".join(lines) + (
        "\n\nThe smallest budget of the grid whose mean gain keeps at least 95% of the 1M-step gain with no more falls "
        "than at 1M, each run over 100 deterministic episodes, seeds 1-3 (`python benchmark/choose_budget.py`; "
        "`--write` stores it in `priors/`). `python residual_ppo_continuous.py --env-id ENV` runs the budget its prior "
        "records; with another add-on task, or a prior that records none, it runs 1M steps.")


def table_budget_candidates():
    """The candidates for a 250k-step default beside the default command at 250k, validation seeds 4-5, each as a
    share of the 1M default's gain on the reported seeds (both over 100 deterministic episodes)."""
    runs = runs_of("research/budget_candidates")
    lines = ["| env | variant | seeds | prior | total at 250k | share of the 1M gain | falls | training time |",
             "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |"]
    for env in ENVS:
        name, full = customization_rows(env, "Residual PPO")
        full = full[full["reeval100.eval.total_return_mean"].notna()]
        _, prior = customization_rows(env, "Prior policy")  # the shipped prior on the same 100 episodes, as the
        prior = prior["reeval100.eval_prior.total_return_mean"].dropna().iloc[0]  # customization table has it
        gain_1m = full["reeval100.eval.total_return_mean"].mean() - prior
        n_falls, n = falls(name, full["run_id"], "reeval100.eval")
        lines.append(f"| {env} | default, 1M steps (seeds 1-3) | {len(full)} | {prior:.0f} | "
                     f"{full['reeval100.eval.total_return_mean'].mean():.0f} (at 1M) | 100% | {n_falls} in {n} | |")
        for label in dict.fromkeys(runs["label"]):
            rows = runs[(runs["env_id"] == env) & (runs["label"] == label)]
            if not len(rows):
                continue
            gain = (rows["eval.total_return_mean"] - rows["eval_initial.total_return_mean"]).mean()
            n_falls, n = falls("research/budget_candidates", rows["run_id"], "eval")
            lines.append(f"| {env} | {label} | {len(rows)} | {rows['eval_initial.total_return_mean'].mean():.0f} | "
                         f"{mean_std(rows['eval.total_return_mean'])} | {gain / gain_1m:.0%} | {n_falls} in {n} | "
                         f"{rows['train_time_s'].mean():.0f} s |")
    return "\n".join(lines) + (
        "\n\nEach variant at 250k steps on validation seeds 4-5, judged on 100 deterministic evaluation episodes with "
        "the prior on the same episodes; its share is its mean gain over the prior divided by the 1M default's mean "
        "gain on seeds 1-3 (the customization table's Residual PPO runs, re-evaluated over 100 episodes); falls: "
        "episodes ending before the 1,000-step limit; training time: the mean over seeds, two runs at a time on 2 "
        "cores. Variants: `benchmark/presets.py` `BUDGET_CANDIDATES`. Runs: "
        "`benchmark/results/research/budget_candidates/` (`python benchmark/run.py --preset budget_candidates`).")


def figure_budget(path):
    plt = _pyplot()
    points = budget_points()
    fig, ax = plt.subplots(figsize=(6, 4))
    for env in ENVS:
        xs = [b for b in BUDGET_STEPS if budget_share(points, env, b) is not None]
        if xs:
            ax.plot(xs, [budget_share(points, env, b)[1] for b in xs], "o-", label=env)
    ax.axhline(1.0, color="grey", ls=":")
    ax.set(xscale="log", xlabel="fine-tuning steps", ylabel="gain over the prior / 1M-step gain")
    ax.set_title("The default command at shorter budgets (seeds 1-3, 100 episodes)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# name -> (function, Markdown file under benchmark/results)
TABLES = {
    "customization": (table_customization, "customization/table.md"),
    "customization_summary": (table_customization_summary, "customization/summary.md"),
    "quick_start_printout": (table_quick_start_printout, "quick_start/printout.md"),
    "throughput_summary": (table_throughput_summary, "throughput/summary.md"),
    "aggregate": (table_aggregate, "customization/aggregate.md"),
    "omega_sweep": (table_omega_sweep, "customization/omega_sweep.md"),
    "soft_ablation": (table_soft_ablation, "ablation/table.md"),
    "ppo_vs_cleanrl": (table_ppo_vs_cleanrl, "ppo_1M/table.md"),
    "throughput": (table_throughput, "throughput/table.md"),
    "quick_start": (table_quick_start, "quick_start/table.md"),
    "priors": (table_priors, "priors/table.md"),
    "calibration": (table_calibration, "research/calibration_confirm/choice.md"),
    "budget": (table_budget, "budget/table.md"),
    "addon_examples": (table_addon_examples, "addon_examples/table.md"),
    "sb3_prior": (table_sb3_prior, "sb3_prior/table.md"),
    "budget_candidates": (table_budget_candidates, "research/budget_candidates/table.md"),
    "budget_choice": (table_budget_choice, "budget/choice.md"),
    "zoo": (table_zoo, "zoo/table.md"),
    "zoo_curves": (table_zoo_curves, "zoo/curves.md"),
    "zoo_hopper_probe": (table_zoo_hopper_probe, "research/zoo_hopper_probe/table.md"),
    "kl_calibration": (table_kl_calibration, "research/kl_calibration_1m/choice.md"),
    "kl_frontier": (table_kl_frontier, "customization/kl_frontier.md"),
    "kl_dominance": (table_kl_dominance, "customization/kl_dominance.md"),
    "kl_betas": (table_kl_betas, "research/kl_calibration_confirm/kl_betas.md"),
}
FIGURES = {"customization/aggregate.png": figure_aggregate, "budget/budget.png": figure_budget,
           "zoo/curves.png": figure_zoo,
           "customization/kl_frontier.png": figure_kl_frontier}
# Preset reports regenerated from their stores: (store folder under benchmark/results, preset)
PRESET_REPORTS = (("ablation", "ablation"), ("alpha_sweep", "alpha_sweep"), ("customization", "customization"),
                  ("default_seeds", "default_seeds"), ("research/calibration", "calibration"),
                  ("research/calibration_1m", "calibration_1m"), ("research/quick", None))
# Tables printed by the tools that chose the defaults, regenerated from the stores: file -> tool output
TOOL_TABLES = {
    "research/calibration/table.md": lambda: calibrate_output("--preset", "calibration"),
    "research/calibration_1m/table.md": lambda: calibrate_output("--preset", "calibration_1m"),
    "research/calibration_edge/table.md": lambda: calibrate_output("--preset", "calibration_1m", "--extend-edges"),
    "research/calibration_confirm/table_rule7.md": lambda: calibrate_output(*CALIBRATION_ARGS),
    "research/prior_term_form/table.md": choose_prior_term_output,
    "default_seeds/nine_seeds.md": lambda: nine_seeds_default(),
    "research/prior_term_form/nine_seeds.md": lambda: nine_seeds_learner(),
    "default_seeds/kl_nine_seeds.md": lambda: kl_nine_seeds(),
}


# ---------------------------------------------------------------------------------------- nine seeds a side
def seed_rows(store_name, batch, job_pattern, seeds):
    """The runs of `store_name` in `batch` whose job is `job_pattern` with {s} each of `seeds`, in seed order."""
    runs = runs_of(store_name)
    out = []
    for seed in seeds:
        hit = runs[(runs["batch"] == batch) & (runs["job"] == job_pattern.format(s=seed))]
        if len(hit) != 1:
            raise store.StoreError(f"{store_name}: expected one run {job_pattern.format(s=seed)} in {batch}, found {len(hit)}")
        out.append(hit.iloc[0])
    return out


def compare_seeds(env, baseline, baseline_rows, default_rows, label="Residual PPO (default)"):
    """Two methods on the same seeds: every run's own 10 episodes and its 100-episode re-evaluation, the means over
    seeds, Welch's t on the 100-episode totals and scipy's exact permutation test of the difference of means (every
    split of the pooled seeds)."""
    from scipy import stats

    methods = {baseline: baseline_rows, label: default_rows}
    lines = [f"**{env}**", "", "| method | seed | basic | add-on | total, 10 episodes | metric | total, 100 episodes | "
             "basic, 100 episodes | metric, 100 episodes | length, 100 episodes | commit |", "| --- " * 11 + "|"]
    totals = {}
    for name, rows in methods.items():
        totals[name] = np.array([r["reeval100.eval.total_return_mean"] for r in rows])
        for r in rows:
            lines.append(f"| {name} | {int(r['seed'])} | {r['eval.basic_return_mean']:.0f} | {r['eval.addon_return_mean']:.0f} | "
                         f"{r['eval.total_return_mean']:.0f} | {r['eval.addon_metric_mean']:.3f} | "
                         f"{r['reeval100.eval.total_return_mean']:.0f} | {r['reeval100.eval.basic_return_mean']:.0f} | "
                         f"{r['reeval100.eval.addon_metric_mean']:.3f} | {r['reeval100.eval.length_mean']:.0f} | "
                         f"`{r['commit'][:7]}` |")
    lines += ["", "| method | seeds | total, 100 episodes: mean ± std over seeds | median | lowest | highest |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for name, x in totals.items():
        lines.append(f"| {name} | {len(x)} | {x.mean():.0f} ± {x.std(ddof=1):.0f} | {np.median(x):.0f} | {x.min():.0f} | "
                     f"{x.max():.0f} |")
    b, r = totals[baseline], totals[label]
    welch = stats.ttest_ind(b, r, equal_var=False)
    perm = stats.permutation_test((b, r), lambda x, y, axis: np.abs(np.mean(x, axis=axis) - np.mean(y, axis=axis)),
                                  permutation_type="independent", alternative="greater", n_resamples=np.inf,
                                  vectorized=True)
    n_splits = math.comb(len(b) + len(r), len(b))

    def fmt(x):
        return f"{x:.3f}" if x >= 0.001 else f"{x:.1e}"

    lines += ["", f"{baseline} minus {label}, {SEEDS_IN_WORDS.get(len(b), len(b))} seeds a side: "
              f"{b.mean() - r.mean():+.0f}; Welch's t = "
              f"{welch.statistic:.2f} (df {welch.df:.1f}), two-sided p = {fmt(welch.pvalue)}; exact permutation test "
              f"over all {n_splits} splits: p = {fmt(perm.pvalue)}.", ""]
    return "\n".join(lines) + "\n"


NINE = (1, 2, 3, 8, 9, 10, 11, 12, 13)
SEEDS_IN_WORDS = {3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}
FRESH = (8, 9, 10, 11, 12, 13)


def hc_greedy_nine():
    return (seed_rows("research/hc_budget", "runs_1M", "greedy__s{s}", (1, 2, 3))
            + seed_rows("default_seeds", "runs", "customization__HalfCheetah-v4__Greedy_PPO__s{s}", FRESH))


def hc_centred_nine():
    return (seed_rows("research/hc_budget", "runs_rule7", "omega0.001__s{s}", (1, 2, 3))
            + seed_rows("default_seeds", "runs", "customization__HalfCheetah-v4__Residual_PPO__s{s}", FRESH))


def nine_seeds_default():
    """default_seeds/nine_seeds.md: HalfCheetah's Greedy PPO and Hopper's KL PPO against the default on seeds 1-3 and
    8-13 (HalfCheetah's default then: the centred prior term at omega' 0.001)."""
    hopper = {label: seed_rows("customization", "", f"customization__Hopper-v4__{label.replace(' ', '_')}__s{{s}}",
                               (1, 2, 3))
              + seed_rows("default_seeds", "runs", f"customization__Hopper-v4__{label.replace(' ', '_')}__s{{s}}", FRESH)
              for label in ("KL PPO", "Residual PPO")}
    return (compare_seeds("HalfCheetah-v4", "Greedy PPO", hc_greedy_nine(), hc_centred_nine())
            + compare_seeds("Hopper-v4", "KL PPO", hopper["KL PPO"], hopper["Residual PPO"]))


def hc_learner_nine():
    """HalfCheetah's default command (the learner-centred prior term) on seeds 1-3 and 8-13."""
    return (seed_rows("research/alive_payment", "runs", "HalfCheetah-v4__learner__s{s}", (1, 2, 3, 8, 9))
            + seed_rows("research/prior_term_form", "runs", "HalfCheetah-v4__learner__s{s}", (10, 11, 12, 13)))


def nine_seeds_learner():
    """research/prior_term_form/nine_seeds.md: HalfCheetah's learner form on the same nine seeds against Greedy PPO
    and against the centred form."""
    learner = hc_learner_nine()
    label = "Residual PPO, learner form (the default)"
    return (compare_seeds("HalfCheetah-v4", "Greedy PPO", hc_greedy_nine(), learner, label=label)
            + compare_seeds("HalfCheetah-v4", "Residual PPO, centred form (the earlier default)", hc_centred_nine(), learner,
                            label=label))


def seeds_with_reeval(rows, seeds):
    """One re-evaluated run per seed of `seeds` that `rows` has (a DataFrame), in seed order."""
    rows = rows[rows["seed"].isin(seeds) & rows["reeval100.eval.total_return_mean"].notna()]
    return [rows[rows["seed"] == s].iloc[0] for s in sorted(set(rows["seed"]))]


def kl_nine_seeds():
    """default_seeds/kl_nine_seeds.md: the default command against KL PPO at its own calibrated beta, env by env, on
    the reported seeds 1-3 and the fresh seeds 8-13 that both have."""
    import presets

    out = []
    for env in ENVS:
        beta = presets.kl_betas().get(env, {}).get("beta")
        if beta is None:
            continue
        kl = calibrated_kl_rows(env)
        fresh = select("default_seeds", env_id=env)
        fresh = fresh[fresh["label"].isin(["KL PPO (calibrated beta)", "KL PPO"]) & np.isclose(fresh["args.kl_coef"], beta)]
        kl_rows = seeds_with_reeval(kl, (1, 2, 3)) + seeds_with_reeval(fresh, FRESH)
        if env == "HalfCheetah-v4":
            default = hc_learner_nine()
        else:
            default = (seeds_with_reeval(customization_rows(env, "Residual PPO")[1], (1, 2, 3))
                       + seeds_with_reeval(select("default_seeds", env_id=env, label="Residual PPO"), FRESH))
        both = {int(r["seed"]) for r in kl_rows} & {int(r["seed"]) for r in default}
        if len(both) < 2:
            continue  # its runs are not in yet
        kl_rows, default = ([r for r in rows if int(r["seed"]) in both] for rows in (kl_rows, default))
        out.append(compare_seeds(env, f"KL PPO (calibrated beta = {beta:g})", kl_rows, default))
    if not out:
        return None
    return "".join(out) + (
        "Seeds 1-3 are the customization table's, 8-13 fresh (`benchmark/results/default_seeds/`); a seed counts once "
        "both methods have it re-evaluated over 100 episodes. HalfCheetah's default is the learner-centred prior term "
        "(`research/alive_payment/`, `research/prior_term_form/`). Where KL PPO's beta equals the prior's `omega'`, "
        "its runs are the beta = omega' rows.\n")


# ---------------------------------------------------------------------------------------------------------- writing
def quick_preset():
    """The `quick` grid as it ran (HalfCheetah and Walker2d, 200k-step fine-tuning, seeds 1-2): its jobs are the
    store's own, since the preset is no longer defined."""
    import presets

    runs = runs_of("research/quick")
    jobs = []
    for _, r in runs[runs["job"] != ""].iterrows():
        group, label, env, seed = store.job_name_parts(r["job"])
        if group:
            jobs.append(presets.Job(group, label, env, seed, r["script"]))
    return presets.Preset("quick", "the customization grid from the shipped priors at 200k-step fine-tuning (500k-step "
                          "full policies), seeds 1-2, HalfCheetah-v4 and Walker2d-v4: its runs as they were made", jobs)


def write_preset_report(folder, preset_name, dest):
    """A preset folder's README.md and figures, from its store, into `dest`; the names of the files written."""
    import preset_report
    import presets

    preset = presets.PRESETS[preset_name]() if preset_name else quick_preset()
    with contextlib.redirect_stdout(io.StringIO()):
        preset_report.write_reports(os.path.join(RESULTS, folder), preset, dest)
    return sorted(os.listdir(dest))


STORES_BEING_FILLED = ("budget", "addon_examples", "sb3_prior", "budget_candidates", "kl_calibration", "zoo",
                       "zoo_curves", "zoo_hopper_probe")
"""Named tables whose store may not exist yet in a checkout: skipped, not an error, until their runs are ingested."""


def outputs(dest, names=None):
    """Writes every regenerated file under `dest` (a tree shaped like benchmark/results); returns their relative
    paths, plus {name: table text} of the named tables. `names`: only these named tables (no figures, no preset or
    tool reports)."""
    written, tables = [], {}
    for name, (func, rel) in TABLES.items():
        if names is not None and name not in names:
            continue
        if name in STORES_BEING_FILLED and not os.path.exists(os.path.join(RESULTS, os.path.dirname(rel), "runs.csv")):
            continue  # its grid has not run yet
        if name in ("kl_frontier", "kl_dominance") and not kl_frontier_ready():
            continue
        tables[name] = func()
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(tables[name] + "\n")
        written.append(rel)
    if names is not None:
        return written, tables
    for rel, func in FIGURES.items():
        if not os.path.exists(os.path.join(RESULTS, os.path.dirname(rel), "runs.csv")):
            continue  # the figure's store has no runs yet
        if rel == "customization/kl_frontier.png" and not kl_frontier_ready():
            continue
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        func(path)
        written.append(rel)
    for rel, func in TOOL_TABLES.items():
        text = func()
        if text is None:
            continue  # no run of it yet
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        written.append(rel)
    for folder, preset in PRESET_REPORTS:
        out = os.path.join(dest, folder)
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            write_preset_report(folder, preset, tmp)
            for name in sorted(os.listdir(tmp)):
                shutil.move(os.path.join(tmp, name), os.path.join(out, name))
                written.append(os.path.join(folder, name))
    return written, tables


def pages():
    """README.md and every Markdown page under docs/."""
    found = [os.path.join(ROOT, "README.md")]
    found += sorted(glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True))
    return [p for p in found if os.path.exists(p)]


def with_tables(text, tables):
    """`text` with each named table placed between its markers; markers of unknown or absent tables are left alone."""
    import re

    def put(m):
        name = m.group(1)
        if name not in tables:
            return m.group(0)
        return f"<!-- table:{name} -->\n{tables[name]}\n<!-- /table:{name} -->"

    return re.sub(r"<!-- table:([\w-]+) -->.*?<!-- /table:\1 -->", put, text, flags=re.S)


def same_figure(a, b):
    """Equal bytes, or the same size and a mean absolute pixel difference below FIGURE_TOLERANCE."""
    with open(a, "rb") as f, open(b, "rb") as g:
        if f.read() == g.read():
            return True
    import matplotlib.image as mpimg

    x, y = mpimg.imread(a), mpimg.imread(b)
    return x.shape == y.shape and float(np.abs(x.astype(float) - y.astype(float)).mean()) < FIGURE_TOLERANCE


def run_all(check, page_paths=None, names=None):
    """Regenerates everything (check=False: in place) or compares (check=True); returns the paths that differ.
    `page_paths`: the pages whose marked tables to rewrite (default README.md and docs/); `names`: see outputs()."""
    differ, results = [], RESULTS
    with tempfile.TemporaryDirectory() as tmp:
        rels, tables = outputs(tmp, names)
        for rel in rels:
            new, old = os.path.join(tmp, rel), os.path.join(results, rel)
            if check:
                if not os.path.exists(old):
                    differ.append(_shown(old) + " (missing)")
                elif rel.endswith(".png"):
                    if not same_figure(new, old):
                        differ.append(_shown(old))
                else:
                    with open(new) as f, open(old) as g:
                        if f.read() != g.read():
                            differ.append(_shown(old))
            else:
                os.makedirs(os.path.dirname(old), exist_ok=True)
                shutil.copyfile(new, old)
    for page in pages() if page_paths is None else page_paths:
        with open(page) as f:
            text = f.read()
        new = with_tables(text, tables)
        if new != text:
            if check:
                differ.append(_shown(page))
            else:
                store.write_text(page, new)
    return differ


def _shown(path):
    """A path as the user typed it from the repository root where it lies there, else absolute."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--all", action="store_true", help="regenerate every results table and figure, and the pages' tables")
    p.add_argument("--check", action="store_true", help="with --all: write nothing, exit 1 if anything differs")
    p.add_argument("--table", choices=sorted(TABLES), help="print one named table")
    args = p.parse_args(argv)
    if args.check and not args.all:
        sys.exit("error: --check compares what --all would write: use --all --check")
    if not args.all and not args.table:
        sys.exit("error: nothing to do: give --all, --all --check or --table NAME")
    try:
        if args.table:
            print(TABLES[args.table][0]())
            return
        differ = run_all(args.check)
    except store.StoreError as e:
        sys.exit(f"error: {e}")
    if args.check:
        if differ:
            print("these files differ from what the results store gives (run `python benchmark/report.py --all`):",
                  file=sys.stderr)
            for path in differ:
                print(f"  {path}", file=sys.stderr)
            sys.exit(1)
        print("every results table and figure matches the store")


if __name__ == "__main__":
    main()
