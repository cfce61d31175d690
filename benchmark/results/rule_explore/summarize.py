"""Prints one line per run of a device batch: deterministic (det) and stochastic (sto) evaluation, prior -> after."""
import glob
import json
import sys

for f in sorted(glob.glob(f"{sys.argv[1]}/runs/*/summary.json")):
    s = json.load(open(f))
    for tag in ("", "_stochastic"):
        i, e = s["eval_initial" + tag], s["eval" + tag]
        print(f"{s['env_id']:15} {s['args']['exp_name']:14} s{s['seed']} {'sto' if tag else 'det'} "
              f"basic {i['basic_return_mean']:6.0f}->{e['basic_return_mean']:6.0f} addon {i['addon_return_mean']:6.0f}->"
              f"{e['addon_return_mean']:6.0f} total {i['total_return_mean']:6.0f}->{e['total_return_mean']:6.0f} "
              f"metric {i['addon_metric_mean']:6.3f}->{e['addon_metric_mean']:6.3f} "
              f"len {i['length_mean']:4.0f}->{e['length_mean']:4.0f}")
