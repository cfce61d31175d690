"""The tables of this folder's README: HalfCheetah at 2M steps (runs_2M/) and RQL's warm start (runs_warm/), beside
the same commands at the default 1M steps (the `customization` preset, seeds 1-3). Totals on each run's own 10
evaluation episodes and over 100 (reeval_100.json beside each run, computed here where missing, as
benchmark/reevaluate.py does). The row printer is hc_state_std/table.py's.

    python benchmark/results/hc_budget/table.py > benchmark/results/hc_budget/table.md
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

DEFAULTS = {"Greedy PPO": "Greedy PPO, 1M", "KL PPO": "KL PPO, 1M", "Residual PPO": "Residual PPO (default), 1M"}


def runs(folder, label):
    """{(env_id, label): [(seed, 10-episode eval, 100-episode eval, stochastic eval, steps)]} of one folder's runs,
    named NAME__sSEED (the env id is read from each run's summary)."""
    rows = {}
    for path in sorted(glob.glob(os.path.join(HERE, folder, "*__s*", "*", "summary.json"))):
        name, seed = os.path.basename(os.path.dirname(os.path.dirname(path))).rsplit("__s", 1)
        s = json.load(open(path))
        env_id = s["args"]["env_id"]
        ev100 = reevaluate.cached(os.path.dirname(path), env_id, 100)
        rows.setdefault((env_id, label(name)), []).append((int(seed), s["eval"], ev100, s["eval_stochastic"],
                                                           s["global_step"]))
    return rows


def main():
    two_m = runs("runs_2M", {"residual": "Residual PPO (default), 2M", "greedy": "Greedy PPO, 2M"}.get)
    warm = runs("runs_warm", lambda name: "Residual PPO (default) + warm start, 1M")
    for env_id in ("HalfCheetah-v4", "Walker2d-v4", "Ant-v4"):
        rows = {label: r for (e, label), r in {**two_m, **warm}.items() if e == env_id}
        if not rows:
            continue
        rows.update(hc_table.shipped_prior_rows(env_id, DEFAULTS))
        order = list(DEFAULTS.values()) + ["Greedy PPO, 2M", "Residual PPO (default), 2M",
                                           "Residual PPO (default) + warm start, 1M"]
        hc_table.table(env_id, rows, order)


if __name__ == "__main__":
    main()
