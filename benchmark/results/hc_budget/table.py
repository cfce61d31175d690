"""The tables of this folder's README: HalfCheetah at 2M steps (runs_2M/), RQL's warm start (runs_warm/), the default
and Greedy PPO on this VM (runs_1M/), rule 7's omega' = 0.001 and KL PPO at beta = 0.001 (runs_rule7/), beside the
same commands at the default 1M steps on the earlier VM (the `customization` preset, seeds 1-3). Totals on each run's
own 10 evaluation episodes and over 100 (reeval_100.json beside each run, computed here where missing, as
benchmark/reevaluate.py does). The run reader and the row printer are hc_state_std/table.py's.

    python benchmark/results/hc_budget/table.py > benchmark/results/hc_budget/table.md
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("hc_state_std_table", os.path.join(HERE, "..", "hc_state_std", "table.py"))
hc_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hc_table)

DEFAULTS = ["Greedy PPO, 1M, earlier VM", "KL PPO, 1M, earlier VM", "Residual PPO (default), 1M, earlier VM"]


def earlier_vm_rows(env_id):
    """The `customization` preset's seeds 1-3 of env_id on the earlier VM; HalfCheetah's Residual PPO and KL PPO at the
    then default, rule 6's 0.0003 (in rule6_runs/ since rule 7): "the default" in this folder's tables is that one."""
    moved = "rule6_runs" if env_id == "HalfCheetah-v4" else "runs"
    return hc_table.shipped_prior_rows(dict(zip([f"runs/customization__{env_id}__Greedy_PPO",
                                                 f"{moved}/customization__{env_id}__KL_PPO",
                                                 f"{moved}/customization__{env_id}__Residual_PPO"], DEFAULTS, strict=True)))


def runs(folder, label):
    return hc_table.runs_by_env(os.path.join(HERE, folder), True, label)


def main():
    # runs_2M/residual__s1 ran at rule 6's default (0.0003), residual__s2 at rule 7's (0.001), both as "the default"
    here = {**runs("runs_2M", lambda name, seed: "Greedy PPO, 2M, this VM" if name == "greedy" else
                   "Residual PPO (default), 2M, this VM" if seed == 1 else "Residual PPO, omega' = 0.001 (rule 7), 2M, this VM"),
            **runs("runs_warm", lambda name, seed: "Residual PPO (default) + warm start, 1M, this VM"),
            **runs("runs_1M", lambda name, seed: {"residual": "Residual PPO (default), 1M, this VM",
                                                  "greedy": "Greedy PPO, 1M, this VM"}[name]),
            **runs("runs_rule7", lambda name, seed: "KL PPO, beta = 0.001, 1M, this VM" if name.startswith("kl") else
                   "Residual PPO, omega' = 0.001 (rule 7), 1M, this VM, seeds " + ("1-3" if seed <= 3 else "6-7"))}
    for env_id in ("HalfCheetah-v4", "Walker2d-v4", "Ant-v4"):
        rows = {label: r for (e, label), r in here.items() if e == env_id}
        if not rows:
            continue
        rows.update(earlier_vm_rows(env_id))
        order = DEFAULTS + sorted(label for label in rows if label not in DEFAULTS)
        hc_table.table(env_id, rows, order)


if __name__ == "__main__":
    main()
