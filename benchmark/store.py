"""The results store: raw benchmark output in, three small tables out, and the readers the reports use.

    python benchmark/store.py ingest RAW [RAW ...] STORE    # e.g. runs/benchmark/ablation benchmark/results/ablation
    python benchmark/store.py show STORE                    # what a store holds: runs per group, label and env
    python benchmark/store.py tables MD [MD ...] CSV        # measurements kept as Markdown tables, as one CSV
    python benchmark/store.py verify RAW [RAW ...] STORE    # does the store hold what the raw runs hold?

A raw folder is what `benchmark/run.py` (or a script's `--runs-dir`) writes: a run is a folder holding a
`summary.json`, TensorBoard events and, for some runs, `reeval_<N>.json` (benchmark/reevaluate.py); the job folder
above it holds `command.txt` and `log.txt`. Ingest writes, in STORE:

- `runs.csv`: one row per run: its id (its path under RAW), batch (the folders above its job folder), job, group,
  label, env_id, seed, script, the command as typed and where it was found (`command_source`), the commit from
  summary.json, steps, training time, steps/s, every number of the summary flattened (`eval.*`, `eval_stochastic.*`,
  `eval_initial.*`, `eval_initial_stochastic.*`, `eval_task.*`, `train_last20.*`, ...), each re-evaluation found
  beside the run (`reeval100.eval.*`, `reeval100.eval_prior.*`) and the run's arguments (`args.*`).
- `curves.parquet`: the logged scalars, one row per training iteration per run (wide: a column per TensorBoard tag;
  episode tags are averaged over the episodes that ended in the iteration, `episodes` counts them).
- `episodes.parquet`: every evaluation episode the summaries and re-evaluations list (run_id, evaluation, episode,
  basic / add-on / total return, add-on metric, length, return).

Each reads in one line: `pd.read_csv(STORE / "runs.csv")`, `pd.read_parquet(STORE / "curves.parquet")`. Ingest merges:
runs already in STORE that RAW does not hold are kept, the others are replaced. Reading TensorBoard events is the
slow part (about a second a file); each file's scalars are cached under $RPG_STORE_CACHE (default
/tmp/rpg_store_cache), keyed by path, size and modification time.
"""
import argparse
import functools
import hashlib
import json
import math
import os
import pickle
import re
import shlex
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.environ.get("RPG_STORE_CACHE", os.path.join(tempfile.gettempdir(), "rpg_store_cache"))
ENV_RE = r"[A-Za-z0-9]+-v\d+"
# TensorBoard tags kept in curves.parquet: what a learning-curve figure or table needs. charts/learning_rate is left
# out on purpose: it is the linear anneal the run's arguments give.
CURVE_TAGS = (
    "charts/episodic_return", "charts/episodic_length", "charts/episodic_basic_return", "charts/episodic_addon_return",
    "charts/episodic_total_return", "charts/episodic_addon_metric", "charts/episodic_soft_return",
    "losses/value_loss", "losses/policy_loss", "losses/entropy", "losses/approx_kl", "losses/old_approx_kl",
    "losses/clipfrac", "losses/explained_variance", "charts/mean_logprob", "charts/mean_prior_logprob",
    "charts/kl_to_prior", "charts/alpha", "charts/omega_prime", "charts/SPS",
    "eval/basic_return", "eval/addon_return", "eval/total_return", "eval/addon_metric", "eval/length",
    "eval/episodic_return", "eval_stochastic/basic_return", "eval_stochastic/addon_return",
    "eval_stochastic/total_return", "eval_stochastic/addon_metric", "eval_stochastic/length",
    "eval_stochastic/episodic_return",
)
EPISODE_KEYS = {"basic_return": "basic_return", "addon_return": "addon_return", "total_return": "total_return",
                "addon_metric": "addon_metric", "length": "length", "lengths": "length", "returns": "return"}
# Arguments that say where a run wrote or how it logged, not what it computed: left out of a reconstructed command.
BOOKKEEPING_ARGS = {"exp_name", "runs_dir", "track", "wandb_project_name", "wandb_entity", "wandb_group", "cuda",
                    "progress", "save_model", "capture_video", "torch_deterministic", "torch_threads", "batch_size",
                    "minibatch_size", "num_iterations", "out", "force"}
CURVE_MANTISSA_BITS = 12
LEADING = ["run_id", "raw_path", "batch", "job", "group", "label", "env_id", "seed", "script", "command",
           "command_source", "commit", "global_step", "train_time_s", "sps"]


class StoreError(Exception):
    """Bad input: reported as one line, exit status 1."""


# ---------------------------------------------------------------------------------------------------------- reading raw
def read_events(path):
    """{tag: (steps int64, values float32)} of one TensorBoard event file, through the cache."""
    st = os.stat(path)
    key = hashlib.sha1(f"{os.path.realpath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()
    cached = os.path.join(CACHE, key + ".pkl")
    if os.path.exists(cached):
        with open(cached, "rb") as f:
            return pickle.load(f)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(path, size_guidance={"scalars": 0}).Reload()
    out = {}
    for tag in acc.Tags()["scalars"]:
        events = acc.Scalars(tag)
        out[tag] = (np.array([e.step for e in events], np.int64), np.array([e.value for e in events], np.float32))
    os.makedirs(CACHE, exist_ok=True)
    tmp = f"{cached}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        pickle.dump(out, f)
    os.replace(tmp, cached)
    return out


def read_curves_csv(path):
    """A run whose events were replaced by a per-bin curves.csv (`step_bin_end`, `episodes`, `episodic_X_mean`)."""
    import pandas as pd

    df = pd.read_csv(path)
    out = {}
    steps = df["step_bin_end"].to_numpy(np.int64)
    for col in df.columns:
        if col in ("step_bin_end",):
            continue
        tag = col
        m = re.fullmatch(r"(?:charts/)?episodic_(\w+)_mean", col)
        if m:
            tag = f"charts/episodic_{m.group(1)}"
        out[tag] = (steps, df[col].to_numpy(np.float32))
    return out


def iteration_rows(scalars):
    """{column: array} with one entry per training iteration: per-iteration tags as logged, episode tags averaged
    over the episodes that ended in the iteration, and a row at step 0 where something was logged there (the
    evaluation before training)."""
    per_iter = [t for t in ("charts/SPS", "losses/value_loss", "charts/learning_rate") if t in scalars]
    if per_iter:
        ends = np.unique(scalars[per_iter[0]][0])
    elif "episodes" in scalars:  # a per-bin curves.csv: its bins are the rows
        ends = np.unique(scalars["episodes"][0])
    else:
        ends = np.unique(np.concatenate([s for s, _ in scalars.values()])) if scalars else np.zeros(0, np.int64)
    zero = any(len(s) and s[0] == 0 for s, _ in scalars.values()) and (len(ends) == 0 or ends[0] != 0)
    steps = np.concatenate([[0], ends]) if zero else ends
    rows = {"step": steps.astype(np.int64)}
    n = len(steps)
    if n == 0:
        return rows
    for tag in CURVE_TAGS + ("episodes",):
        if tag not in scalars:
            continue
        s, v = scalars[tag]
        if tag.startswith("charts/episodic_") and "episodes" not in scalars:
            idx = np.searchsorted(steps, s, side="left")  # the iteration whose end is the first at or after the step
            ok = idx < n
            sums, counts = np.zeros(n), np.zeros(n)
            np.add.at(sums, idx[ok], v[ok])
            np.add.at(counts, idx[ok], 1)
            with np.errstate(invalid="ignore"):
                rows[tag] = (sums / counts).astype(np.float32)
            if tag == "charts/episodic_length" or "episodes" not in rows:
                rows["episodes"] = counts.astype(np.int16)
        else:
            col = np.full(n, np.nan, np.float32)
            idx = np.searchsorted(steps, s)
            ok = (idx < n) & (steps[np.minimum(idx, n - 1)] == s)
            col[idx[ok]] = v[ok]
            rows[tag if tag != "episodes" else "episodes"] = col if tag != "episodes" else col.astype(np.int16)
    return rows


def flatten(summary):
    """(scalars {dotted key: value}, episodes {evaluation: {key: list}}) of a summary.json (args left apart)."""
    flat, lists = {}, {}

    def walk(d, prefix):
        for k, v in d.items():
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(v, key + ".")
            elif isinstance(v, list):
                if v and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v) and k in EPISODE_KEYS:
                    lists.setdefault(prefix.rstrip("."), {})[EPISODE_KEYS[k]] = v
                else:
                    flat[key] = json.dumps(v)
            else:
                flat[key] = v

    walk({k: v for k, v in summary.items() if k != "args"}, "")
    return flat, lists


def job_name_parts(name):
    """group, label, env_id, seed from a job folder's name: benchmark/run.py's `group__ENV__label__sN`, or the shorter
    `ENV__label__sN`, `label__sN`, `ENV` of hand-made layouts; None where the name has no such part."""
    m = re.fullmatch(rf"(?P<group>[^_].*?)__(?P<env>{ENV_RE})__(?P<label>.+)__s(?P<seed>\d+)", name)
    if m:
        return m.group("group"), unslug(m.group("label")), m.group("env"), int(m.group("seed"))
    m = re.fullmatch(rf"(?:(?P<env>{ENV_RE})__)?(?P<label>.+?)__s(?P<seed>\d+)", name)
    if m:
        return None, unslug(m.group("label")), m.group("env"), int(m.group("seed"))
    if re.fullmatch(ENV_RE, name):
        return None, None, name, None
    return None, None, None, None


def unslug(slug):
    """A run.py job id's label as the preset wrote it: `Residual_PPO_(literal_prior_term)` -> `Residual PPO (literal
    prior term)`, `omega0.01` -> `omega'=0.01` (Job.id drops the quote and the equals sign)."""
    label = slug.replace("_", " ")
    return re.sub(r"^omega([0-9.e-]+)", r"omega'=\1", label)


def find_runs(raw):
    """Every folder under `raw` (itself included) that holds a summary.json, sorted."""
    found = []
    for dirpath, dirnames, files in os.walk(raw):
        dirnames.sort()
        if "summary.json" in files:
            found.append(dirpath)
    return found


def job_folder(run_dir, raw):
    """The nearest folder from the run's own up to `raw` that holds the job's command or log, else the nearest named
    like a benchmark/run.py job (`group__ENV__label__sN`), else None."""
    for named_only in (False, True):
        folder = run_dir
        while True:
            if named_only and job_name_parts(os.path.basename(folder))[0] is not None:
                return folder
            if not named_only and any(os.path.exists(os.path.join(folder, n))
                                      for n in ("command.txt", "log.txt", "stdout.txt")):
                return folder
            if os.path.samefile(folder, raw):
                break
            folder = os.path.dirname(folder)
    return None


def command_lines(raw):
    """Command lines of the text and shell files under `raw` (queue files, commands.txt) and beside it (a results
    folder's queue files), for runs whose job folder has no command.txt."""
    lines = []
    folders = [raw, os.path.dirname(os.path.abspath(raw))]
    for top in folders:
        walker = os.walk(top) if top == raw else [(top, [], os.listdir(top))]
        for dirpath, _, files in walker:
            for name in files:
                if name.endswith((".txt", ".sh")) and name not in ("command.txt", "log.txt", "stdout.txt"):
                    try:
                        with open(os.path.join(dirpath, name), errors="replace") as f:
                            text = f.read(200_000)
                    except OSError:
                        continue
                    for line in text.splitlines():
                        line = line.strip()
                        m = re.search(r"\bpython3? (\S+\.py)\b.*", line)
                        if m and "--env-id" in line:
                            line = re.sub(r"\s+#.*$", "", m.group(0).split(" > ")[0]).strip()
                            line = re.sub(r"\s+\(commit \w+\)$", "", line)
                            lines.append((line, os.path.join(dirpath, name)))
    return lines


def _same(value, text):
    if isinstance(value, bool) or value is None:
        return str(value).lower() == text.lower()
    if isinstance(value, int | float):
        try:
            return math.isclose(float(value), float(text), rel_tol=1e-9)
        except ValueError:
            return False
    return str(value) == text or str(value).endswith(text) or text.endswith(str(value))


def script_of(summary):
    """The script a run came from: summary.json's `algorithm` where it names one (older summaries hold the
    experiment name there), else what its arguments show."""
    name = f"{summary.get('algorithm', '')}.py"
    if os.path.exists(os.path.join(ROOT, name)):
        return name
    args = summary.get("args", {})
    if "prior_path" in args or "omega_prime" in args:
        return "residual_ppo_continuous.py"
    if "measure_steps" in args or "reward" in args or "eval_task" in summary:
        return "prior_train.py"
    return "soft_ppo_continuous.py" if "alpha" in args else "ppo_continuous.py"


def match_command(summary, run_path, candidates):
    """The one candidate command line that ran this run: same script, env and seed, every `--flag value` it has
    agreeing with the run's arguments, and its --runs-dir (if any) a folder the run lies in (unless `run_path` is
    None: runs moved since); None if not exactly one."""
    args, script = summary.get("args", {}), script_of(summary)
    hits = []
    for line, source in candidates:
        try:
            argv = shlex.split(line)
        except ValueError:
            continue
        if len(argv) < 2 or os.path.basename(argv[1]) != script:
            continue
        flags, i, ok = {}, 2, True
        while i < len(argv):
            if argv[i].startswith("--"):
                if i + 1 < len(argv) and not argv[i + 1].startswith("--"):
                    flags[argv[i][2:].replace("-", "_")] = argv[i + 1]
                    i += 2
                    continue
                flags[argv[i][2:].replace("-", "_")] = "true"
            i += 1
        if flags.get("env_id") != summary.get("env_id") or int(flags.get("seed", 1)) != int(summary.get("seed", -1)):
            continue
        runs_dir = flags.pop("runs_dir", None)
        if runs_dir and run_path is None and os.path.exists(os.path.join(ROOT, runs_dir)):
            continue  # its folder is still there, and the run is not in it
        prefix = (runs_dir or "").rstrip("/").removeprefix("./") + "/"
        inside = not runs_dir or run_path is None or run_path.replace(os.sep, "/").startswith(prefix)
        if not inside:
            continue
        for key, text in flags.items():
            if key in args and key not in BOOKKEEPING_ARGS - {"exp_name"} and not _same(args[key], text):
                ok = False
        if ok:
            hits.append((line, source))
    unique = {line for line, _ in hits}
    return hits[0] if len(unique) == 1 else None


def reconstruct_command(summary, defaults):
    """`python SCRIPT --env-id E --seed S` plus every argument whose value is not the script's default today: for runs
    whose command was not recorded."""
    args = summary.get("args", {})
    parts = ["python", script_of(summary), "--env-id", str(summary.get("env_id")),
             "--seed", str(summary.get("seed"))]
    for key, value in args.items():
        if key in BOOKKEEPING_ARGS or key in ("env_id", "seed") or (key in defaults and defaults[key] == value):
            continue
        if key not in defaults and value in (None, False):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else f"--no-{key.replace('_', '-')}")
        elif value is None:
            continue
        else:
            parts += [flag, str(value)]
    return shlex.join(parts)


def script_defaults(script):
    """{argument: default} of an algorithm file's Args as the code has it today, read from its source (importing it
    would start torch): {} for a script that no longer exists."""
    if script in _DEFAULTS:
        return _DEFAULTS[script]
    import ast

    found = {}
    try:
        with open(os.path.join(ROOT, script)) as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError):
        tree = None
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.ClassDef) and node.name == "Args":
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
                    try:
                        found[item.target.id] = ast.literal_eval(item.value)
                    except ValueError:
                        pass
    _DEFAULTS[script] = found
    return found


_DEFAULTS = {}


def repo_path(path):
    """`path` relative to the repository root where it lies inside it, else absolute."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def read_run(run_dir, raw, run_id, candidates):
    """(runs.csv row, curves rows, episode rows) of one run folder."""
    with open(os.path.join(run_dir, "summary.json")) as f:
        summary = json.load(f)
    flat, lists = flatten(summary)
    job = job_folder(run_dir, raw)
    row = {"run_id": run_id, "raw_path": repo_path(run_dir)}
    rel_job = os.path.relpath(job, raw) if job else os.path.relpath(os.path.dirname(run_dir), raw)
    row["batch"] = os.path.dirname(rel_job) if job else rel_job
    row["job"] = os.path.basename(job) if job and not os.path.samefile(job, raw) else ""
    group, label, env, seed = job_name_parts(row["job"]) if row["job"] else (None, None, None, None)
    args = summary.get("args", {})
    run_env = str(summary.get("env_id", env))
    plain = re.search(ENV_RE, run_env)  # a Full policy trains on a registered wrapper, e.g. rpg/Ant-v4-total
    row.update(group=group or "", label=label or args.get("exp_name") or summary.get("algorithm", ""),
               env_id=env or (plain.group(0) if plain else run_env), seed=summary.get("seed", seed),
               script=script_of(summary))
    command, source = None, ""
    if job and os.path.exists(os.path.join(job, "command.txt")):
        with open(os.path.join(job, "command.txt")) as f:
            lines = [re.sub(r"\s+#.*$", "", line).strip() for line in f if re.search(r"\bpython3? \S+\.py", line)]
        own = [(line, "command.txt") for line in lines]
        # a command.txt above several runs' folders holds several commands: the one whose flags are the run's
        hit = match_command(summary, repo_path(run_dir), own) or match_command(summary, None, own)
        if hit:
            command, source = hit[0], os.path.relpath(os.path.join(job, "command.txt"), raw).replace(os.sep, "/")
        elif len(lines) == 1 and not os.path.samefile(job, raw):  # run.py's own: one job, one command
            command, source = lines[0], "command.txt"
        if source and os.path.dirname(source) == os.path.relpath(job, raw).replace(os.sep, "/"):
            source = "command.txt"
    if command is None:
        hit = match_command(summary, repo_path(run_dir), candidates)
        if hit:
            command, source = hit[0], repo_path(hit[1])
    if command is None:
        command, source = reconstruct_command(summary, script_defaults(row["script"])), "reconstructed from summary.json"
    row.update(command=command, command_source=source, commit=summary.get("commit", ""))
    for key in ("global_step", "train_time_s", "sps"):
        row[key] = summary.get(key)
    row.update({k: v for k, v in flat.items() if k not in row and k not in ("algorithm", "env_id", "seed")})
    if run_env != row["env_id"]:
        row["run_env_id"] = run_env
    episodes = [(name, values) for name, values in lists.items()]
    for name in sorted(os.listdir(run_dir)):
        m = re.fullmatch(r"reeval_(\d+)\.json", name)
        if not m:
            continue
        with open(os.path.join(run_dir, name)) as f:
            re_eval = json.load(f)
        prefix = f"reeval{m.group(1)}"
        sub_flat, sub_lists = flatten({k: v for k, v in re_eval.items() if v is not None})
        row.update({f"{prefix}.{k}": v for k, v in sub_flat.items()})
        episodes += [(f"{prefix}.{k}", v) for k, v in sub_lists.items()]
    row.update({f"args.{k}": (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in args.items()})
    events = sorted(n for n in os.listdir(run_dir) if n.startswith("events.out.tfevents"))
    scalars = {}
    for name in events:
        for tag, (s, v) in read_events(os.path.join(run_dir, name)).items():
            if tag in scalars:  # a resumed run: two files, concatenated in step order
                s, v = np.concatenate([scalars[tag][0], s]), np.concatenate([scalars[tag][1], v])
                order = np.argsort(s, kind="stable")
                s, v = s[order], v[order]
            scalars[tag] = (s, v)
    if not events and os.path.exists(os.path.join(run_dir, "curves.csv")):
        scalars = read_curves_csv(os.path.join(run_dir, "curves.csv"))
    curves = iteration_rows(scalars)
    curves["run_id"] = run_id
    ep_rows = []
    for evaluation, values in episodes:
        n = max(len(v) for v in values.values())
        ep_rows.append({"run_id": run_id, "evaluation": evaluation, "episode": np.arange(n, dtype=np.int16),
                        **{k: np.asarray(v, np.float32) for k, v in values.items() if len(v) == n}})
    return row, curves, ep_rows


def read_folder_evaluations(raw, candidates_root):
    """Evaluations a folder keeps outside any run: `*eval*.json` files of the form {env: evaluation}, e.g. the
    priors evaluated on the re-evaluation episodes. One runs.csv row per (file, env), its label the file name."""
    rows, eps = [], []
    for name in sorted(os.listdir(raw)):
        if not (name.endswith(".json") and "eval" in name) or name.startswith("reeval_"):
            continue
        with open(os.path.join(raw, name)) as f:
            data = json.load(f)
        if not isinstance(data, dict) or not all(re.fullmatch(ENV_RE, k) and isinstance(v, dict) for k, v in data.items()):
            continue
        for env, evaluation in data.items():
            run_id = f"{name.removesuffix('.json')}/{env}"
            flat, lists = flatten({"eval": evaluation})
            rows.append({"run_id": run_id, "raw_path": repo_path(os.path.join(raw, name)), "batch": "", "job": "",
                         "group": "prior evaluation", "label": name.removesuffix(".json"), "env_id": env,
                         "command_source": "", "command": "", **flat})
            for evaluation_name, values in lists.items():
                n = max(len(v) for v in values.values())
                eps.append({"run_id": run_id, "evaluation": evaluation_name, "episode": np.arange(n, dtype=np.int16),
                            **{k: np.asarray(v, np.float32) for k, v in values.items() if len(v) == n}})
    return rows, eps


# ---------------------------------------------------------------------------------------------------------- writing
def write_atomic(path, write):
    """`write(tmp)` then a rename onto `path`: no half file on a crash, and no temporary file left on an error."""
    tmp = f"{path}.tmp.{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path, text):
    """`text` at `path`, written atomically (write_atomic)."""
    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)
    write_atomic(path, write)


def write_json(path, obj, **dump_kwargs):
    """`obj` as JSON at `path`, written atomically (write_atomic)."""
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, **dump_kwargs)
    write_atomic(path, write)


def ingest(raws, store, progress=None):
    """Ingests the raw folders `raws` into `store` (merged with what it holds); returns the number of runs read."""
    import pandas as pd

    for raw in raws:
        if not os.path.isdir(raw):
            raise StoreError(f"no such raw folder: {raw}")
    found = [(raw, d) for raw in raws for d in find_runs(raw)]
    extra = [(raw, *read_folder_evaluations(raw, raw)) for raw in raws]
    if not found and not any(r for _, r, _ in extra):
        raise StoreError(f"no run (no summary.json) under {', '.join(raws)}")
    rows, curves, episodes = [], [], []
    for i, (raw, run_dir) in enumerate(found):
        rel = os.path.relpath(run_dir, raw)
        run_id = rel if len(raws) == 1 else os.path.join(os.path.basename(os.path.normpath(raw)), rel)
        run_id = os.path.basename(os.path.normpath(raw)) if run_id == "." else run_id.replace(os.sep, "/")
        try:
            row, curve, eps = read_run(run_dir, raw, run_id, _candidates(raw))
        except (OSError, ValueError, KeyError) as e:
            raise StoreError(f"cannot read run {run_dir}: {e}") from e
        rows.append(row)
        curves.append(pd.DataFrame(curve))
        episodes += [pd.DataFrame(e) for e in eps]
        if progress:
            progress(i + 1, len(found), run_dir)
    for raw, r, e in extra:
        prefix = "" if len(raws) == 1 else os.path.basename(os.path.normpath(raw)) + "/"
        for x in r:
            x["run_id"] = prefix + x["run_id"]
        for x in e:
            x["run_id"] = prefix + x["run_id"]
        rows += r
        episodes += [pd.DataFrame(x) for x in e]
    runs = pd.DataFrame(rows)
    ids = set(runs["run_id"])
    if len(ids) != len(runs):
        raise StoreError("two runs share an id: " + ", ".join(sorted(runs["run_id"][runs["run_id"].duplicated()])))
    os.makedirs(store, exist_ok=True)
    old_runs, old_curves, old_eps = load(store, missing_ok=True)
    if old_runs is not None:
        runs = pd.concat([old_runs[~old_runs["run_id"].isin(ids)], runs], ignore_index=True)
    curves_df = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame({"run_id": [], "step": []})
    if old_curves is not None:
        curves_df = pd.concat([old_curves[~old_curves["run_id"].isin(ids)], curves_df], ignore_index=True)
    eps_df = pd.concat(episodes, ignore_index=True) if episodes else None
    if old_eps is not None:
        eps_df = pd.concat([old_eps[~old_eps["run_id"].isin(ids)], *([eps_df] if eps_df is not None else [])],
                           ignore_index=True)
    write(store, runs, curves_df, eps_df)
    return len(found)


_CANDIDATES = {}


def _candidates(raw):
    if raw not in _CANDIDATES:
        _CANDIDATES[raw] = command_lines(raw)
    return _CANDIDATES[raw]


def write(store, runs, curves, episodes):
    """Writes the three tables, sorted so that the same runs give the same bytes."""
    runs = runs.sort_values("run_id", kind="stable").reset_index(drop=True)
    lead = [c for c in LEADING if c in runs.columns]
    rest = sorted(c for c in runs.columns if c not in lead and not c.startswith("args."))
    runs = runs[lead + rest + sorted(c for c in runs.columns if c.startswith("args."))]
    write_atomic(os.path.join(store, "runs.csv"), lambda p: runs.to_csv(p, index=False, float_format="%.10g"))
    curves = _compact(curves.sort_values(["run_id", "step"], kind="stable").reset_index(drop=True), ("run_id", "step"))
    for c in curves.columns:
        if curves[c].dtype == np.float32:
            curves[c] = round_mantissa(curves[c].to_numpy())
    write_atomic(os.path.join(store, "curves.parquet"), lambda p: _parquet(curves, p))
    if episodes is not None and len(episodes):
        episodes = _compact(episodes.sort_values(["run_id", "evaluation", "episode"], kind="stable")
                            .reset_index(drop=True), ("run_id", "evaluation", "episode"))
        write_atomic(os.path.join(store, "episodes.parquet"), lambda p: _parquet(episodes, p))


def _compact(df, keys):
    """Keys first, then the value columns in a fixed order; floats as float32 (what TensorBoard logged), counts as
    small integers, and columns with no value dropped."""
    cols = list(keys) + sorted(c for c in df.columns if c not in keys and df[c].notna().any())
    df = df[cols].copy()
    for c in cols:
        if c in ("episode", "episodes"):
            df[c] = df[c].fillna(0).astype(np.int16)
        elif c == "step":
            df[c] = df[c].astype(np.int32)
        elif c not in keys and df[c].dtype.kind == "f":
            df[c] = df[c].astype(np.float32)
    return df


def round_mantissa(values, bits=CURVE_MANTISSA_BITS):
    """float32 values rounded to `bits` mantissa bits (12: a relative error below 1.3e-4, four significant digits):
    the last bits of a logged loss are noise that would otherwise double the curves' size."""
    a = np.array(values, np.float32)
    drop = 23 - bits
    v = a.view(np.uint32)
    finite = np.isfinite(a)
    v[finite] = (v[finite] + np.uint32(1 << (drop - 1))) & np.uint32((0xFFFFFFFF << drop) & 0xFFFFFFFF)
    return a


def _parquet(df, path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    _quiet_arrow()
    table = pa.Table.from_pandas(df, preserve_index=False)
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    pq.write_table(table, path, compression="zstd", compression_level=19, use_dictionary=["run_id", "evaluation"],
                   use_byte_stream_split=floats or False, row_group_size=1 << 20)


# ---------------------------------------------------------------------------------------------------------- reading
def load(store, missing_ok=False):
    """(runs, curves, episodes) DataFrames of a store (episodes None where it has none)."""
    import pandas as pd

    path = os.path.join(store, "runs.csv")
    if not os.path.exists(path):
        if missing_ok:
            return None, None, None
        raise StoreError(f"no results store in {store} (no runs.csv): run `python benchmark/store.py ingest RAW {store}`")
    runs = pd.read_csv(path, low_memory=False)
    _quiet_arrow()
    for col in ("batch", "job", "group", "label", "command", "command_source", "commit", "raw_path"):
        if col in runs.columns:
            runs[col] = runs[col].fillna("").astype(str)
    curves = os.path.join(store, "curves.parquet")
    eps = os.path.join(store, "episodes.parquet")
    read = functools.partial(pd.read_parquet, use_threads=False)
    return runs, (read(curves) if os.path.exists(curves) else None), (read(eps) if os.path.exists(eps) else None)


def _quiet_arrow():
    """One thread for Arrow: the tables are small, and Arrow's thread pools have been seen to abort the process at
    exit ("terminate called without an active exception") on a busy machine."""
    import pyarrow as pa

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


def results_dir(name):
    """The results store of a preset or experiment: benchmark/results/NAME, or benchmark/results/research/NAME where
    only that one exists (the experiments behind the defaults)."""
    top = os.path.join(ROOT, "benchmark", "results", name)
    research = os.path.join(ROOT, "benchmark", "results", "research", name)
    return research if not os.path.exists(os.path.join(top, "runs.csv")) and os.path.isdir(research) else top


def runs_table(store):
    """runs.csv of a store as a DataFrame (the one file most tables need)."""
    return load(store)[0]


def summary_of(row):
    """A runs.csv row back as a summary-like dict: {"eval": {...}, "args": {...}, "reeval100": {...}, ...}, for code
    written against summary.json."""
    out = {}
    for key, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            continue
        parts = key.split(".")
        if parts[0] == "args" and isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                break
        else:
            node[parts[-1]] = value
    return out


def markdown_tables(path):
    """Every Markdown table of a file: [(header cells, [row cells])]."""
    with open(path) as f:
        lines = [line.rstrip("\n") for line in f]
    tables, i = [], 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header = [c.strip() for c in lines[i].strip().strip("|").split("|")]
            rows, i = [], i + 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append([c.strip() for c in lines[i].strip().strip("|").split("|")])
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


def ingest_tables(paths, csv_path):
    """The Markdown tables of `paths` (measurements a script printed as Markdown: throughput sittings, evaluations of
    checkpoints) as one CSV: a row per table row, its file (`source`, repository-relative) and table index, and a
    column per header cell, as text."""
    import pandas as pd

    rows = []
    for path in paths:
        if not os.path.exists(path):
            raise StoreError(f"no such file: {path}")
        for t, (header, body) in enumerate(markdown_tables(path)):
            seen = {}
            for i, h in enumerate(header):  # a repeated header cell gets ".1", ".2" as pandas names it
                seen[h] = seen.get(h, -1) + 1
                header[i] = h if seen[h] == 0 else f"{h}.{seen[h]}"
            for cells in body:
                rows.append({"source": repo_path(path), "table": t,
                             **{h: c for h, c in zip(header, cells + [""] * (len(header) - len(cells)), strict=False)}})
    if not rows:
        raise StoreError(f"no Markdown table in {', '.join(paths)}")
    df = pd.DataFrame(rows)
    write_atomic(csv_path, lambda p: df.to_csv(p, index=False))
    return len(rows)


def verify(raws, store_dir, sample=None, seed=0):
    """Checks that `store_dir` holds what the raw runs of `raws` hold: for each (or `sample` random) run, every number
    of its summary.json and re-evaluations against runs.csv, every listed evaluation episode against
    episodes.parquet, and every logged value of the kept TensorBoard tags against curves.parquet (per-iteration
    values equal, to the curves' rounding; episode tags' iteration means recomputed). Returns a list of problems."""
    import random

    runs, curves, eps = load(store_dir)
    by_id = runs.set_index("run_id")
    curves_by = {k: g for k, g in curves.groupby("run_id", sort=False)}
    eps_by = {k: g for k, g in eps.groupby("run_id", sort=False)} if eps is not None else {}
    found = [(raw, d) for raw in raws for d in find_runs(raw)]
    if sample:
        found = random.Random(seed).sample(found, min(sample, len(found)))
    problems = []
    for raw, run_dir in found:
        rel = os.path.relpath(run_dir, raw)
        run_id = rel if len(raws) == 1 else os.path.join(os.path.basename(os.path.normpath(raw)), rel)
        run_id = os.path.basename(os.path.normpath(raw)) if run_id == "." else run_id.replace(os.sep, "/")
        if run_id not in by_id.index:
            problems.append(f"{run_dir}: not in the store")
            continue
        row, curve, ep_rows = read_run(run_dir, raw, run_id, [])
        stored = by_id.loc[run_id]
        for key, value in row.items():
            if key in ("run_id", "raw_path", "command", "command_source") or key not in stored.index:
                continue
            got = stored[key]
            if isinstance(value, bool) or isinstance(got, bool | np.bool_):
                ok = str(value).lower() == str(got).lower()
            elif isinstance(value, int | float) and value is not None:
                ok = (math.isnan(float(value)) and pd_isnan(got)) or math.isclose(float(value), float(got), rel_tol=1e-9,
                                                                                   abs_tol=1e-12)
            else:
                ok = str(value) == str(got) or (value in (None, "") and pd_isnan(got))
            if not ok:
                problems.append(f"{run_dir}: {key} is {value!r} in the raw run, {got!r} in the store")
        g = curves_by.get(run_id)
        steps = curve["step"]
        if g is None and len(steps) == 0:
            pass  # a run without events (its curves were not kept)
        elif g is None or len(g) != len(steps) or not np.array_equal(g["step"].to_numpy(), steps):
            problems.append(f"{run_dir}: curve steps differ")
        else:
            for tag, values in curve.items():
                if tag in ("step", "run_id") or tag not in g.columns:
                    continue
                want = round_mantissa(values) if np.asarray(values).dtype.kind == "f" else np.asarray(values)
                if not np.allclose(g[tag].to_numpy(np.float64), np.asarray(want, np.float64), rtol=1e-6, equal_nan=True):
                    problems.append(f"{run_dir}: curve {tag} differs")
        stored_eps = eps_by.get(run_id)
        for e in ep_rows:
            sel = stored_eps[stored_eps["evaluation"] == e["evaluation"]] if stored_eps is not None else None
            for key, values in e.items():
                if key in ("run_id", "evaluation", "episode"):
                    continue
                if sel is None or len(sel) != len(values) or not np.allclose(sel[key].to_numpy(), values, equal_nan=True):
                    problems.append(f"{run_dir}: episodes {e['evaluation']}.{key} differ")
    return problems, len(found)


def pd_isnan(x):
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or str(x) == "nan"
    except TypeError:
        return False


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="read raw run folders into a store folder (merged with what it holds)")
    ing.add_argument("paths", nargs="+", metavar="RAW ... STORE")
    ing.add_argument("--quiet", action="store_true")
    show = sub.add_parser("show", help="what a store holds")
    show.add_argument("store")
    ver = sub.add_parser("verify", help="check that a store holds what raw run folders hold")
    ver.add_argument("paths", nargs="+", metavar="RAW ... STORE")
    ver.add_argument("--sample", type=int, help="check this many random runs (default: all)")
    tab = sub.add_parser("tables", help="the Markdown tables of some files as one CSV")
    tab.add_argument("paths", nargs="+", metavar="MD ... CSV")
    args = p.parse_args(argv)
    try:
        if args.command == "ingest":
            if len(args.paths) < 2:
                raise StoreError("ingest needs at least one RAW folder and the STORE folder")
            *raws, store = args.paths
            for raw in raws:
                if os.path.abspath(raw) == os.path.abspath(store):
                    # a store may sit beside raw files, so the same folder is allowed; a raw folder inside a
                    # store's own files is not a concern: ingest only reads summary.json folders
                    pass

            def tick(i, n, run_dir):
                if not args.quiet and (i % 25 == 0 or i == n):
                    print(f"[store] {i}/{n} runs read", file=sys.stderr, flush=True)

            n = ingest(raws, store, progress=tick)
            runs, curves, eps = load(store)
            print(f"{store}: {n} runs ingested; the store holds {len(runs)} runs, {len(curves)} curve rows"
                  + (f", {len(eps)} evaluation episodes" if eps is not None else ""))
        elif args.command == "verify":
            if len(args.paths) < 2:
                raise StoreError("verify needs at least one RAW folder and the STORE folder")
            problems, n = verify(args.paths[:-1], args.paths[-1], args.sample)
            for line in problems:
                print(line)
            print(f"{args.paths[-1]}: {n} runs checked, {len(problems)} differences")
            if problems:
                sys.exit(1)
        elif args.command == "tables":
            if len(args.paths) < 2:
                raise StoreError("tables needs at least one Markdown file and the CSV to write")
            n = ingest_tables(args.paths[:-1], args.paths[-1])
            print(f"{args.paths[-1]}: {n} table rows")
        else:
            runs = runs_table(args.store)
            counts = runs.groupby(["batch", "group", "label", "env_id"], dropna=False).size()
            print(counts.to_string())
    except StoreError as e:
        sys.exit(f"error: {e}")
    except OSError as e:  # a STORE path that is a file, a folder that cannot be written, ...
        sys.exit(f"error: {e.strerror or e}: {e.filename or ''}")


if __name__ == "__main__":
    main()
