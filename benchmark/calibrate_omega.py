"""omega' for each prior by validation (docs/residual_ppo.md, "Choosing omega'"), from a calibration preset's runs.

    python benchmark/run.py --preset calibration_1m --workers 16   # 32 runs of 1M steps, resumable
    python benchmark/calibrate_omega.py --preset calibration_1m     # the table and the choice per env
    python benchmark/calibrate_omega.py --preset calibration_1m --write  # ...stored in priors/{env}.pt

`--preset calibration` (the default here) validates at 500k steps, `--preset calibration_1m` at the default budget,
1M. Four options refine the 1M-step choice, each building on the one before:
- `--extend-edges` extends the grid along the half-decade ladder while the choice has a neighbour that has not
  run: it names that run (preset `calibration_edge`, in its own folder) and reads those runs with the grid's.
- `--confirm` also confirms the length criterion on validation seeds 6-7 (preset `calibration_confirm`): the
  best-ranked value that keeps the length there too is chosen; the new seeds can strike a value, never promote one.
- `--episodes 100` judges every run on benchmark/reevaluate.py's 100-episode re-evaluation of its saved
  checkpoint (the prior re-evaluated on the same episodes) instead of the run's own 10 episodes.
- `--at-least-alpha-hat` restricts the ladder to omega' >= alpha_hat (the runs' learner temperature): the prior's
  power omega'/alpha_hat in the soft-optimal policy is then at least 1, so the objective never asks for a policy
  wider than the prior; values below it are shown, never chosen nor asked for.
The shipped priors' values come from all four: `--preset calibration_1m --confirm --episodes 100 --at-least-alpha-hat`.

The criterion: among the grid's omega' whose every validation run kept its deterministic evaluation episodes at
>= 95% of the prior's length (the prior evaluated in the same run before its first update), take the one with the
highest mean total return (basic + add-on, deterministic evaluation); if none qualifies, the largest omega' of the
grid. residual_ppo_continuous.py uses a prior's `omega_prime` as its default.
"""
import argparse
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the algorithm files, for --write
import preset_report  # noqa: E402
import presets  # noqa: E402
import store  # noqa: E402
from presets import CALIBRATION_GRID, OMEGA_LADDER, PRESETS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_LENGTH_RATIO = 0.95


def ranking(runs):
    """The omega' whose every run kept the episode length, best mean total return first (ties: the larger omega')."""
    return sorted((w for w, rs in runs.items() if rs and kept_length(rs)),
                  key=lambda w: (np.mean([total for _, _, total in runs[w]]), w), reverse=True)


def choose(runs):
    """runs: {omega': [(prior length, length, total return) per validation seed]} -> (omega', why)."""
    ranked = ranking(runs)
    if not ranked:
        return max(runs), f"no value kept {MIN_LENGTH_RATIO:.0%} of the prior's episode length: the largest"
    return ranked[0], f"highest mean total return of the values that kept the episode length ({len(ranked)} of {len(runs)})"


def unmeasured_neighbour(choice, runs, seeds, floor=0.0):
    """The edge extension: the ladder neighbour of `choice` that has not run on every validation seed (lower first), or None.
    --at-least-alpha-hat passes alpha_hat as `floor`: a neighbour below it is not a candidate, so it is never asked for."""
    i = OMEGA_LADDER.index(choice)
    for j in (i - 1, i + 1):
        if 0 <= j < len(OMEGA_LADDER) and OMEGA_LADDER[j] >= floor and len(runs.get(OMEGA_LADDER[j], [])) < seeds:
            return OMEGA_LADDER[j]
    return None


def slug(name):
    """A job id's spelling of the value's name (presets.Job.id drops quotes): omega' -> omega."""
    return name.replace("'", "")


def kept_length(rs):
    """Every run kept its deterministic evaluation episodes at >= 95% of its own prior's length."""
    return all(length >= MIN_LENGTH_RATIO * prior for prior, length, _ in rs)


def length_ratios(rs):
    """Each run's episode length over its prior's, for the table."""
    return ", ".join(f"{length / prior:.2f}" for prior, length, _ in rs)


def confirm(runs, confirmations, seeds):
    """The confirmation: rank the omega' that kept the length on seeds 4-5 by mean total (as `choose`), strike those that fall
    short on seeds 6-7, and take the first left -> (omega', why, the omega' to run on seeds 6-7 next or None)."""
    for rank, w in enumerate(ranking(runs), 1):
        rs = confirmations.get(w, [])
        if not kept_length(rs):
            continue  # struck, even if only one of its seeds has run
        if len(rs) < seeds:
            return w, f"provisional (confirm it on seeds 6-7 next; rank {rank})", w
        return w, f"rank {rank} by mean total on seeds 4-5 and kept the episode length on seeds 6-7 too", None
    return max(runs), f"no value kept {MIN_LENGTH_RATIO:.0%} of the prior's episode length on all its seeds: the largest", None


def collect(*sources, episodes=None, alpha_hats=None):
    """{env: {omega': [(prior length, length, total)]}} from the finished runs of each (folder, preset name): their own
    evaluations, or with `episodes` the re-evaluation benchmark/reevaluate.py wrote (a run without one is
    left out, as unfinished). `alpha_hats`, if given, gathers {env: {each run's alpha_hat}} for --at-least-alpha-hat."""
    found = defaultdict(lambda: defaultdict(list))
    read = preset_report.task_eval if episodes is None else preset_report.reeval(episodes)
    for folder, name in sources:
        for job, s in preset_report.load(folder, PRESETS[name]()).items():
            before, after = read(job, s, initial=True), read(job, s)
            if after is None:
                continue
            found[job.env_id][float(s["args"]["omega_prime"])].append(
                (before["length_mean"], after["length_mean"], after["total_return_mean"]))
            if alpha_hats is not None:
                alpha_hats[job.env_id].add(float(s["args"]["alpha_hat"]))
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=["calibration", "calibration_1m", "kl_calibration_1m"], default="calibration",
                   help="calibration: validation at 500k steps; calibration_1m: at the default budget, 1M steps; "
                   "kl_calibration_1m: KL PPO's beta, as calibration_1m (its choice goes to benchmark/kl_beta.json)")
    p.add_argument("--out", help="the preset's results store or raw folder (default: benchmark/results/<preset>, or "
                   "benchmark/results/research/<preset> where that one holds it)")
    p.add_argument("--extend-edges", action="store_true",
                   help="extend the 1M-step grid along the ladder while the choice sits on the edge of what ran")
    p.add_argument("--edge-out", help="the edge runs' results folder (default: as --out, for calibration_edge)")
    p.add_argument("--confirm", action="store_true",
                   help="--extend-edges with the length criterion confirmed on validation seeds 6-7")
    p.add_argument("--confirm-out", help="the confirmation runs' results folder (default: as --out, for calibration_confirm)")
    p.add_argument("--episodes", type=int, help="judge every run on benchmark/reevaluate.py's re-evaluation over "
                   "this many episodes instead of its own 10 (with --confirm)")
    p.add_argument("--at-least-alpha-hat", action="store_true", help="with --episodes: choose only among omega' >= the "
                   "runs' alpha_hat (the learner no wider than its prior in the soft-optimal view; with --episodes)")
    p.add_argument("--write", action="store_true", help="store each env's final choice in priors/{env}.pt (KL PPO's beta: "
                   "in benchmark/kl_beta.json, since it belongs to the baseline, not to the prior); an env whose choice "
                   "is still provisional is not written, and the exit status is 1")
    args = p.parse_args(argv)
    if args.episodes is not None and not args.confirm:
        sys.exit("error: --episodes judges the confirmed choice on more episodes: use it with --confirm")
    if args.at_least_alpha_hat and args.episodes is None:
        sys.exit("error: --at-least-alpha-hat restricts the --episodes choice: use it with --confirm --episodes N")
    kl = args.preset.startswith("kl_")
    prefix, name = ("kl_", "beta") if kl else ("", "omega'")
    if kl and args.at_least_alpha_hat:
        sys.exit("error: --at-least-alpha-hat does not apply to KL PPO, whose alpha_hat is its beta")
    args.extend_edges |= args.confirm  # the confirmation extends the edges first
    if args.extend_edges and args.preset not in ("calibration_1m", "kl_calibration_1m"):
        sys.exit(f"error: {'--confirm' if args.confirm else '--extend-edges'} refines the 1M-step grid: use it with "
                 "--preset calibration_1m")
    out = args.out or store.results_dir(args.preset)
    edge_out = args.edge_out or store.results_dir(f"{prefix}calibration_edge")
    confirm_out = args.confirm_out or store.results_dir(f"{prefix}calibration_confirm")
    alpha_hats = defaultdict(set)
    found = collect((out, args.preset), *([(edge_out, f"{prefix}calibration_edge")] if args.extend_edges else []),
                    episodes=args.episodes, alpha_hats=alpha_hats if args.at_least_alpha_hat else None)
    confirmed = collect((confirm_out, f"{prefix}calibration_confirm"), episodes=args.episodes) if args.confirm else {}
    if not found:
        sys.exit(f"error: no finished {args.preset} runs under {out}: run `python benchmark/run.py --preset {args.preset}`")
    extra = " seeds 6-7: length / prior's, total |" if args.confirm else ""
    print(f"| env | {name} | validation seeds | episode length / prior's | total return |{extra} chosen |")
    print("| --- | --- | --- | --- | --- |" + " --- |" * bool(extra) + " --- |")
    jobs = PRESETS[args.preset]().jobs
    expected = defaultdict(set)  # env -> the ids of the preset's jobs: a choice from fewer runs is provisional
    for job in jobs:
        expected[job.env_id].add(job.id)
    seeds = len({job.seed for job in jobs})
    choices, incomplete, next_runs, grid_missing = {}, [], [], False
    for env, runs in sorted(found.items()):
        floor = 0.0
        if args.at_least_alpha_hat:  # the values below alpha_hat stay in the table but are not candidates
            if len(alpha_hats[env]) != 1:
                sys.exit(f"error: --at-least-alpha-hat needs one alpha_hat across {env}'s runs, found {sorted(alpha_hats[env])}")
            floor = alpha_hats[env].pop()
        candidates = {w: rs for w, rs in runs.items() if w >= floor}
        if not candidates:
            sys.exit(f"error: --at-least-alpha-hat: no {env} run has omega' >= alpha_hat = {floor:g}")
        if args.confirm:
            w, why, to_confirm = confirm(candidates, confirmed.get(env, {}), seeds)
            choices[env] = (w, why)
        else:
            choices[env], to_confirm = choose(candidates), None
        grid_runs = sum(len(rs) for w, rs in runs.items() if w in CALIBRATION_GRID)
        neighbour = unmeasured_neighbour(choices[env][0], runs, seeds, floor) if args.extend_edges else None
        if grid_runs < len(expected[env]):
            incomplete.append(env)
            grid_missing = True
            choices[env] = (choices[env][0], "provisional (grid incomplete): " + choices[env][1])
        elif neighbour is not None:
            incomplete.append(env)
            next_runs.append(f"python benchmark/run.py --preset {prefix}calibration_edge "
                             f"--only {env}__{slug(name)}{neighbour}__"
                             + ("" if args.edge_out is None else f" --out {edge_out}"))
            choices[env] = (choices[env][0], f"provisional (run {name} {neighbour:g} next): " + choices[env][1])
        elif to_confirm is not None:
            incomplete.append(env)
            next_runs.append(f"python benchmark/run.py --preset {prefix}calibration_confirm "
                             f"--only {env}__{slug(name)}{to_confirm}__"
                             + ("" if args.confirm_out is None else f" --out {confirm_out}"))
        for w, rs in sorted(runs.items()):
            mark = (f"**yes**: {choices[env][1]}" if w == choices[env][0]
                    else f"below alpha_hat = {floor:g}, not a candidate" if w < floor else "")
            more = confirmed.get(env, {}).get(w, [])
            seeds67 = (f" {length_ratios(more)}" + (f"; {np.mean([t for _, _, t in more]):.1f}" if more else "")
                       + " |") * args.confirm
            print(f"| {env} | {w:g} | {len(rs)} | {length_ratios(rs)} | {np.mean([t for _, _, t in rs]):.1f} |{seeds67} {mark} |")
    for line in next_runs:
        print(f"next ({'confirmation' if 'calibration_confirm' in line else 'edge'}): {line}")
    flag = " --confirm" if args.confirm else " --extend-edges" if args.extend_edges else ""
    flag += f" --episodes {args.episodes}" if args.episodes else ""
    flag += " --at-least-alpha-hat" if args.at_least_alpha_hat else ""
    final = {env: c for env, c in choices.items() if env not in incomplete}  # a provisional choice is never written
    if args.write and kl and final:
        chosen = presets.kl_betas()
        chosen.update({env: {"beta": float(w), "chosen_by": f"benchmark/calibrate_omega.py --preset {args.preset}"
                             f"{flag}: {why}"} for env, (w, why) in final.items()})
        store.write_json(presets.KL_BETA_FILE, chosen, indent=1, sort_keys=True)
        for env, (w, _) in final.items():
            print(f"{presets.KL_BETA_FILE}: {env} beta = {w:g}")
    elif args.write and final:
        import residual_ppo_continuous as residual  # noqa: E402  (only needed to write checkpoints)

        for env, (w, why) in final.items():
            path = os.path.join(ROOT, "priors", f"{env}.pt")
            ckpt = residual.load_checkpoint(path)
            ckpt.update(omega_prime=float(w), omega_prime_rule=f"benchmark/calibrate_omega.py --preset {args.preset}"
                        f"{flag}: {why}")
            residual.save_checkpoint(path, ckpt)
            print(f"{path}: omega_prime = {w:g}")
    if args.write and incomplete:
        grid = f"`python benchmark/run.py --preset {args.preset}`" + (
            f" and `python benchmark/reevaluate.py --preset {args.preset} --episodes {args.episodes}`" if args.episodes else "")
        finish = " and ".join([grid] * grid_missing
                              + ["the 'next' lines above"] * bool(next_runs))
        sys.exit(f"error: the calibration grid is incomplete for {', '.join(incomplete)}: nothing written for "
                 f"{'it' if len(incomplete) == 1 else 'them'} (finish it: {finish})")


if __name__ == "__main__":
    main()
