"""Reports of a benchmark folder: Markdown tables (mean +/- std over seeds), learning curves, the omega' frontier.

Written by benchmark/run.py after a grid; also runnable alone: `python benchmark/preset_report.py --preset customization`.
It reads a results store (benchmark/store.py: runs.csv and curves.parquet) where the folder has one, else the raw
runs' own summary.json files and TensorBoard events.
"""
import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import store  # noqa: E402
from presets import PRESETS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASK_KEYS = ("basic_return", "addon_return", "total_return", "addon_metric", "length")
REEVAL_EPISODES = 100  # benchmark/reevaluate.py's default (calibrate_omega.py --episodes)
CUSTOMIZATION_ROWS = ("Prior policy", "Greedy PPO", "KL PPO", "Residual PPO", "Residual PPO (literal prior term)",
                      "Residual PPO (literal entropy term)", "Full policy")


def mean_std(values):
    """'mean ± std' (population std over seeds) with the number of values, or 'n/a'."""
    values = [float(v) for v in values if v is not None]
    if not values:
        return "n/a"
    digits = 3 if max(abs(v) for v in values) < 10 else 1
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f} (n={len(values)})"


def load(out, preset, raw=False):
    """{job: summary} for the jobs of `preset` that finished under `out`: from its results store (runs.csv, a row's
    numbers back in summary.json's shape, `_store` and `_run_id` set) or, without one or with `raw`, its raw runs
    (`_dir` set)."""
    found = {}
    if not raw and os.path.exists(os.path.join(out, "runs.csv")):
        runs = store.runs_table(out)
        # a job id that ran in two batches (a rerun kept beside the first): the `runs` batch, benchmark/run.py's own
        rows = sorted(runs.to_dict("records"), key=lambda r: r["batch"] in ("runs", ""))
        by_job = {row["job"]: row for row in rows}
        for job in preset.jobs:
            if job.id in by_job:
                found[job] = dict(store.summary_of(by_job[job.id]), _store=out, _run_id=by_job[job.id]["run_id"],
                                  _dir=None)
        return found
    for job in preset.jobs:
        folder = os.path.join(out, "runs", job.id)
        for dirpath, _, files in os.walk(folder):
            if "summary.json" in files:
                with open(os.path.join(dirpath, "summary.json")) as f:
                    found[job] = dict(json.load(f), _dir=dirpath)
    return found


def task_eval(job, summary, initial=False, stochastic=False):
    """Basic / add-on / total / metric / length evaluation of a run: residual runs carry it in eval (eval_initial for
    the prior it started from), prior_train runs in eval_task; `_stochastic` for sampled actions."""
    if job.script == "prior_train.py":
        return summary.get("eval_task" + ("_stochastic" if stochastic else ""))
    return summary.get(("eval_initial" if initial else "eval") + ("_stochastic" if stochastic else ""))


def reeval_path(run_dir, episodes):
    """Where benchmark/reevaluate.py writes a run's re-evaluation over `episodes` episodes."""
    return os.path.join(run_dir, f"reeval_{episodes}.json")


def reeval(episodes):
    """A task_eval-like reader of the runs' re-evaluations over `episodes` episodes (deterministic only; `initial`
    gives the prior, evaluated on the same episodes); None where a run has none."""
    def read(job, summary, initial=False, stochastic=False):
        if stochastic:
            return None
        if summary.get("_dir") is None:  # a store row: the re-evaluation is in its reeval<N> columns
            return summary.get(f"reeval{episodes}", {}).get("eval_prior" if initial else "eval")
        path = reeval_path(summary["_dir"], episodes)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)["eval_prior" if initial else "eval"]
    return read


def variant_runs(results, group):
    """{(env, label): [summaries]} for `group`, labels in the preset's order."""
    runs = defaultdict(list)
    for j, s in results.items():
        if j.group == group:
            runs[(j.env_id, j.label)].append(s)
    return runs


def ablation_table(results, group="ablation"):
    """Final evaluation per variant and env: mean ± std over seeds, every seed's value, the stochastic evaluation,
    the last 20 training episodes and, where a run learned it (--autotune), the final alpha."""
    runs = variant_runs(results, group)
    if not runs:
        return ""
    lines = ["| env | variant | eval return | per seed (seed order) | eval, stochastic | train return (last 20) | final alpha |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for (env, label), ss in sorted(runs.items(), key=lambda kv: kv[0][0]):
        ss = sorted(ss, key=lambda s: s.get("seed", 0))
        alphas = [s["alpha"] for s in ss if s.get("args", {}).get("autotune")]
        lines.append(f"| {env} | {label} | {mean_std([s['eval']['return_mean'] for s in ss])} | "
                     + ", ".join(f"{s['eval']['return_mean']:.0f}" for s in ss) + " | "
                     + f"{mean_std([(s.get('eval_stochastic') or {}).get('return_mean') for s in ss])} | "
                     + f"{mean_std([s['train_return_last20'] for s in ss])} | "
                     + (", ".join(f"{a:.2g}" for a in alphas) if alphas else "") + " |")
    return "\n".join(lines)


def permutation_p(a, b):
    """Two-sided p-value of the difference of means under scipy's exact permutation test: every way of splitting the
    pooled values into groups of len(a) and len(b) (252 splits for 5 vs 5 seeds, so p >= 2/252)."""
    from scipy import stats

    res = stats.permutation_test((np.asarray(a, float), np.asarray(b, float)),
                                 lambda x, y, axis: np.abs(np.mean(x, axis=axis) - np.mean(y, axis=axis)),
                                 permutation_type="independent", alternative="greater", n_resamples=np.inf,
                                 vectorized=True)
    return float(res.pvalue)


def bootstrap_ci(a, b, resamples=10_000, seed=0):
    """95% percentile-bootstrap interval of mean(a) - mean(b), scipy resampling each group's seeds with replacement
    (with 3-5 seeds a group this interval is too narrow, which is why the permutation p-value sits beside it)."""
    from scipy import stats

    res = stats.bootstrap((np.asarray(a, float), np.asarray(b, float)),
                          lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis), n_resamples=resamples,
                          method="percentile", vectorized=True, rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def seeds_needed(a, b, z=1.96):
    """Seeds per variant at which a 95% normal interval of the difference would exclude 0, if the observed
    difference and per-seed stds held: n = z^2 (s_a^2 + s_b^2) / d^2."""
    d, v = abs(np.mean(a) - np.mean(b)), np.var(a, ddof=1) + np.var(b, ddof=1)
    return "never (no difference)" if d == 0 else f"{int(np.ceil(z * z * v / d / d))}"


def significance_table(results, group="ablation", reference="Soft PPO"):
    """Each variant against `reference` on the final deterministic evaluation, per env."""
    runs = variant_runs(results, group)
    lines = [f"| env | {reference} minus | difference | 95% bootstrap interval | permutation p | "
             "seeds a variant for a 95% interval to exclude 0 |", "| --- | --- | --- | --- | --- | --- |"]
    for env in sorted({e for e, _ in runs}):
        ref = [s["eval"]["return_mean"] for s in runs.get((env, reference), [])]
        for (e, label), ss in runs.items():
            other = [s["eval"]["return_mean"] for s in ss]
            if e != env or label == reference or len(ref) < 2 or len(other) < 2:
                continue
            lo, hi = bootstrap_ci(np.array(ref), np.array(other))
            lines.append(f"| {env} | {label} | {np.mean(ref) - np.mean(other):+.1f} | [{lo:+.1f}, {hi:+.1f}] | "
                         f"{permutation_p(np.array(ref), np.array(other)):.3f} | {seeds_needed(ref, other)} |")
    return "\n".join(lines) if len(lines) > 2 else ""


def settings(j, s):
    """What a customization row ran with, read back from its summary: coefficients and budget."""
    a, steps = s.get("args", {}), f"{s.get('global_step', 0) / 1000:.0f}k steps"
    if j.script == "residual_ppo_continuous.py" and "omega_prime" in a:
        terms = f", {a['prior_term']} prior term, r_R on the {a['addon_scale']} scale" if "prior_term" in a else ""
        terms = f", {a['entropy_term']} entropy term{terms}" if "entropy_term" in a else terms
        return f"omega'={a['omega_prime']:g}, alpha_hat={a['alpha_hat']:g}{terms}, {steps} from the prior"
    if j.script == "prior_train.py" and "alpha" in a:
        return f"from scratch on r + r_R, alpha={a['alpha']:g}, {steps}"
    return ""


def customization_tables(results, groups=("customization", "full"), evaluation=task_eval, stochastic=True,
                         prior_note="evaluated before Residual PPO's first update"):
    """One table per env, a row per method (mean ± std over seeds); `evaluation` reads a run's evaluation (task_eval:
    the run's own; reeval(n): benchmark/reevaluate.py's over n episodes), `stochastic` adds its sampled columns."""
    rows, how = defaultdict(list), {}  # (env, row label) -> (deterministic, stochastic) task evals, settings
    for j, s in results.items():
        if j.group in groups:
            rows[(j.env_id, j.label)].append((evaluation(j, s), evaluation(j, s, stochastic=True)))
            how[(j.env_id, j.label)] = settings(j, s)
            if j.label == "Residual PPO":  # the prior, evaluated before the first update, once per seed
                rows[(j.env_id, "Prior policy")].append((evaluation(j, s, initial=True),
                                                         evaluation(j, s, initial=True, stochastic=True)))
                how[(j.env_id, "Prior policy")] = prior_note
    out = []
    for env in sorted({e for e, _ in rows}):
        pairs = {label: rows.get((env, label), []) for label in CUSTOMIZATION_ROWS}
        if not any(d for p in pairs.values() for d, _ in p):
            continue
        extra = ["total, stochastic", "length, stochastic"] if stochastic else []
        header = ["method", "basic return", "add-on return", "total return", "add-on metric", "episode length", *extra,
                  "settings"]
        out += [f"**{env}**", "", "| " + " | ".join(header) + " |", "| --- " * len(header) + "|"]
        for label, p in pairs.items():
            det, sto = [d for d, _ in p if d], [st for _, st in p if st]
            cells = [mean_std([e[f"{k}_mean"] for e in det]) for k in TASK_KEYS]
            cells += [mean_std([e[f"{k}_mean"] for e in sto]) for k in ("total_return", "length")] if stochastic else []
            out.append(f"| {label} | " + " | ".join(cells) + f" | {how.get((env, label), '')} |")
        out.append("")
    return "\n".join(out)


def entropy_term(summary):
    """The learner's entropy term a run used (`--entropy-term`; runs from before the flag ran the literal one)."""
    return summary["args"].get("entropy_term", "literal")


DEFAULT_ROW = {"centred": "Residual PPO", "literal": "Residual PPO (literal entropy term)"}
"""The customization row that is the omega' sweep's point at the default omega', per learner's entropy term."""


def omega_points(results, term=None, evaluation=task_eval):
    """{env: [(omega', [task evals over seeds])]} sorted by omega', of the runs with the learner's entropy term `term`
    (None: every run, the default row's term taken as centred); `evaluation` as in customization_tables. The
    customization row at the default omega' is one of the sweep's points (the presets do not run it twice); the
    calibration preset's runs are a sweep too (at its budget)."""
    points = defaultdict(lambda: defaultdict(list))
    for j, s in results.items():
        if term is not None and entropy_term(s) != term:
            continue
        if j.group in ("omega_sweep", "calibration") or j.label == DEFAULT_ROW[term or "centred"]:
            points[j.env_id][float(s["args"]["omega_prime"])].append(evaluation(j, s))
    return {env: sorted(d.items()) for env, d in points.items()}


def sweep_terms(results):
    """The learner's entropy terms the omega' sweeps of `results` ran with, the default's (centred) first."""
    return sorted({entropy_term(s) for j, s in results.items() if j.group in ("omega_sweep", "calibration")},
                  key=lambda term: (term != "centred", term))


def omega_table(points):
    out = []
    for env, rows in sorted(points.items()):
        out += [f"**{env}**", "", "| omega' | basic return | add-on return | total return | add-on metric | episode length |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {w:g} | " + " | ".join(mean_std([e[f'{k}_mean'] for e in evs if e]) for k in TASK_KEYS) + " |"
                for w, evs in rows]
        out.append("")
    return "\n".join(out)


_CURVES = {}


def read_curve(run_dir, tag, summary=None):
    """(steps, values) of `tag`: from the store's curves.parquet (one value per iteration) when `summary` is a store
    row, else from the run folder's TensorBoard events (every logged value)."""
    if summary is not None and summary.get("_store"):
        path = summary["_store"]
        if path not in _CURVES:
            curves = store.load(path)[1]
            _CURVES[path] = {k: g for k, g in curves.groupby("run_id", sort=False)}
        df = _CURVES[path].get(summary["_run_id"])
        if df is None or tag not in df.columns:
            return None
        df = df[df[tag].notna()]
        return df["step"].to_numpy(float), df[tag].to_numpy(float)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(run_dir, size_guidance={"scalars": 0}).Reload()
    if tag not in acc.Tags()["scalars"]:
        return None
    events = acc.Scalars(tag)
    return np.array([e.step for e in events], float), np.array([e.value for e in events], float)


def curve_stats(curves, points=100, window=10):
    """Mean and std over seeds on a common step grid; each seed smoothed by a moving average over episodes."""
    curves = [c for c in curves if c is not None and len(c[0]) > 0]
    if not curves:
        return None
    end = min(c[0][-1] for c in curves)
    grid = np.linspace(0, end, points)
    ys = []
    for steps, values in curves:
        smooth = np.convolve(values, np.ones(window) / window, mode="valid") if len(values) >= window else values
        ys.append(np.interp(grid, steps[len(steps) - len(smooth):], smooth))
    ys = np.array(ys)
    return grid, ys.mean(0), ys.std(0)


def _pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display is needed or wanted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(fig, out_dir, name):
    """Write `fig` to out_dir/name, free it, return the name (the reports link the images by name)."""
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=100)
    _pyplot().close(fig)
    return name


def plot_curves(results, out_dir):
    plt = _pyplot()

    written = []
    plan = [("ablation", "charts/episodic_return", "episodic return"),
            ("alpha_sweep", "charts/episodic_return", "episodic return"),
            ("customization", "charts/episodic_total_return", "total return (basic + add-on)"),
            ("customization", "charts/episodic_addon_metric", "add-on metric")]
    for group, tag, ylabel in plan:
        by_env = defaultdict(lambda: defaultdict(list))
        for j, s in results.items():
            if j.group == group:
                by_env[j.env_id][j.label].append(read_curve(s["_dir"], tag, s))
        for env, labels in sorted(by_env.items()):
            fig, ax = plt.subplots(figsize=(6, 4))
            for label, curves in labels.items():
                stats = curve_stats(curves)
                if stats is None:
                    continue
                grid, mean, std = stats
                ax.plot(grid, mean, label=f"{label} ({len(curves)} seeds)")
                ax.fill_between(grid, mean - std, mean + std, alpha=0.2)
            ax.set(xlabel="environment steps", ylabel=ylabel, title=f"{env}: {group}")
            ax.legend(fontsize=8)
            written.append(_save(fig, out_dir, f"curves_{group}_{tag.split('/')[-1]}_{env}.png"))
    return written


def reference_points(results):
    """{env: {"Prior policy" | "Full policy": [task evals]}}: where the frontier plot marks the prior and the Full policy."""
    refs = defaultdict(lambda: defaultdict(list))
    for j, s in results.items():
        if j.label == "Residual PPO" or j.group == "calibration":
            refs[j.env_id]["Prior policy"].append(task_eval(j, s, initial=True))
        elif j.label == "Full policy":
            refs[j.env_id]["Full policy"].append(task_eval(j, s))
    return refs


def plot_frontier(points, out_dir, refs=None, suffix="", note=""):
    """Basic against add-on return of each omega' (mean ± std over seeds), the Prior and the Full policy marked,
    and the total-return level through each of them as a dotted line (basic + add-on = const). `suffix` is added to
    the file names, `note` to the titles."""
    plt = _pyplot()

    written = []
    for env, rows in sorted(points.items()):
        fig, ax = plt.subplots(figsize=(5, 4))
        for w, evs in rows:
            evs = [e for e in evs if e]
            b = [e["basic_return_mean"] for e in evs]
            a = [e["addon_return_mean"] for e in evs]
            ax.errorbar(np.mean(b), np.mean(a), xerr=np.std(b), yerr=np.std(a), fmt="o", capsize=3)
            ax.annotate(f"ω'={w:g}", (np.mean(b), np.mean(a)), textcoords="offset points", xytext=(5, 5), fontsize=8)
        for (label, evs), (marker, color) in zip(sorted((refs or {}).get(env, {}).items()), (("*", "k"), ("s", "r")),
                                                  strict=False):
            evs = [e for e in evs if e]
            if evs:
                b, a = np.mean([e["basic_return_mean"] for e in evs]), np.mean([e["addon_return_mean"] for e in evs])
                ax.plot(b, a, marker, color=color, markersize=11, label=f"{label} (total {b + a:.0f})")
                ax.axline((b, a), slope=-1, color=color, ls=":", lw=1)
        if refs and refs.get(env):
            ax.legend(fontsize=7)
        ax.set(xlabel="basic return", ylabel="add-on return")
        ax.set_title(f"{env}: omega' sweep{note}\nmean ± std over seeds", fontsize=10)
        written.append(_save(fig, out_dir, f"omega_frontier_{env}{suffix}.png"))
    return written


def throughput_table(results):
    """Median steps/s of each script per env, as the runs measured it (training only; runs of a grid share the
    machine's cores)."""
    sps = defaultdict(list)
    for j, s in results.items():
        if s.get("sps") is not None:
            sps[(j.env_id, j.script)].append(s["sps"])
    scripts = sorted({k[1] for k in sps})
    lines = ["| env | " + " | ".join(scripts) + " |", "| --- |" + " ---: |" * len(scripts)]
    for env in sorted({k[0] for k in sps}):
        cells = [f"{np.median(sps[(env, script)]):,.0f}" if sps.get((env, script)) else "" for script in scripts]
        lines.append(f"| {env} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + ("\n\nThe scripts' steps/s exclude evaluation; runs of a grid share the machine's cores, "
                               "so these are the grid's speeds, not a benchmark of the scripts (see "
                               "benchmark/throughput.py).")


def write_reports(out, preset, dest=None):
    """README.md and figures of a preset's results `out` (a store or raw folder), written to `dest` (default: out)."""
    dest = dest or out
    results = load(out, preset)
    commits = sorted({(s.get("commit") or "?") for s in results.values()})
    # One omega' frontier per learner's entropy term the sweeps ran with; the first (the default's) unsuffixed.
    sweeps = [(term, omega_points(results, term), "" if i == 0 else f"_{term}_entropy_term")
              for i, term in enumerate(sweep_terms(results))]
    images, refs = plot_curves(results, dest), reference_points(results)
    for term, points, suffix in sweeps:
        images += plot_frontier(points, dest, refs, suffix, f" ({term} entropy term)")
    sections = [
        f"# Benchmark `{preset.name}`: {preset.description}", "",
        f"{len(results)} of {len(preset.jobs)} runs finished. "
        f"Commits the runs recorded: {', '.join(f'`{c}`' for c in commits)}. "
        "Each run's exact command and commit are in `runs.csv` (the results store, benchmark/store.py); "
        "when and how the grid ran is in `provenance.md`. Evaluation: deterministic policy (the mean action; the "
        "'stochastic' columns sample actions), frozen normaliser, mean over the run's evaluation episodes; then "
        "mean ± std over seeds.", "",
    ]
    for group, title, reference in (("ablation", "Soft PPO ablation", "Soft PPO"),
                                    ("alpha_sweep", "Soft PPO's temperature: alpha sweep and --autotune", "alpha=0.001")):
        if table := ablation_table(results, group):
            sections += [f"## {title} (episodic return)", "", table, ""]
            if sig := significance_table(results, group, reference):
                sections += [f"Each row against {reference}, on the final deterministic evaluation (one value per "
                             "seed). The permutation p-value is exact (every split of the pooled seeds); the bootstrap "
                             "interval resamples seeds; the last column extrapolates the observed difference and "
                             "spread.", "", sig, ""]
    if custom := customization_tables(results):
        sections += ["## Policy customization", "",
                     "Prior policy: the prior evaluated before the first update of each Residual PPO run.", "", custom]
    if custom := customization_tables(results, evaluation=reeval(REEVAL_EPISODES), stochastic=False,
                                      prior_note="the shipped prior, on the same episodes"):
        sections += [f"### Re-evaluated over {REEVAL_EPISODES} episodes", "",
                     f"`python benchmark/reevaluate.py --preset {preset.name}`: each run's saved policy (deterministic) "
                     f"over {REEVAL_EPISODES} episodes on seeds none of the runs evaluated on; Prior policy: the "
                     "shipped prior on the same episodes (one evaluation per env, repeated per seed). A run without a "
                     "re-evaluation is left out.", "", custom]
    for term, points, _ in sweeps:
        sections += [f"## omega' sweep (Residual PPO, {term} learner's entropy term)", "", omega_table(points)]
    if results:
        sections += ["## Throughput (steps/s)", "", throughput_table(results), ""]
    sections += ["## Figures", ""] + [f"![{name}]({name})" for name in images] + [""]
    with open(os.path.join(dest, "README.md"), "w") as f:
        f.write("\n".join(sections))
    return os.path.join(dest, "README.md")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--preset", required=True, choices=sorted(PRESETS))
    p.add_argument("--out", help="the preset's results store, read and written (default: benchmark/results/<preset>, "
                   "or benchmark/results/research/<preset> where that one holds it)")
    args = p.parse_args()
    preset = PRESETS[args.preset]()
    out = os.path.abspath(args.out or store.results_dir(preset.name))
    if not os.path.isdir(os.path.join(out, "runs")) and not os.path.exists(os.path.join(out, "runs.csv")):
        sys.exit(f"error: no results store (runs.csv) nor runs folder in {out}: run `python benchmark/run.py "
                 f"--preset {preset.name}` first")
    print(write_reports(out, preset))


if __name__ == "__main__":
    main()
