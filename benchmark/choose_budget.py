"""Each shipped prior's default budget: the fewest steps of the default command that keep its 1M-step gain, read
from the runs of benchmark/results/budget (docs/research/budget.md).

    python benchmark/choose_budget.py           # each env's share of the 1M gain and falls per budget, and its choice
    python benchmark/choose_budget.py --write   # store each final choice in priors/{env}.pt

The rule: per env, the smallest budget of the grid (100k, 250k, 500k steps, then 1M) whose mean gain over the prior
keeps at least 95% of the 1M-step mean gain, with no more falls (episodes that end before the time limit) than at
1M. Every run is judged over 100 deterministic episodes on seeds 1-3 (benchmark/reevaluate.py), the prior on the
same episodes. The choice is final once every budget up to it has all three seeds re-evaluated; until then the env
keeps what its checkpoint has. residual_ppo_continuous.py uses a prior's `total_timesteps` as its default.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the algorithm files
import report  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_SHARE = 0.95  # of the 1M-step gain
SEEDS = 3
FULL = report.BUDGET_STEPS[-1]
steps_name = report.steps_name


def choose(points, env):
    """(budget in steps or None while runs are missing, the reason in words)."""
    full = report.budget_share(points, env, FULL)
    if full is None or full[2] < SEEDS:
        return None, f"pending: the {steps_name(FULL)} runs are not all re-evaluated"
    for steps in report.BUDGET_STEPS[:-1]:
        got = report.budget_share(points, env, steps)
        if got is None or got[2] < SEEDS:
            return None, f"pending: {steps_name(steps)} has {0 if got is None else got[2]} of {SEEDS} seeds re-evaluated"
        _, share, _, n_falls, n = got
        if share >= MIN_SHARE and n_falls <= full[3]:
            return steps, (f"{share:.0%} of the {steps_name(FULL)} gain at {steps_name(steps)} steps, {n_falls} falls in "
                           f"{n} episodes ({steps_name(FULL)}: {full[3]})")
    return FULL, f"no shorter budget keeps {MIN_SHARE:.0%} of the gain with no more falls"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--priors", default=os.path.join(ROOT, "priors"), help="the priors' folder (default: priors/)")
    p.add_argument("--write", action="store_true", help="store each env's final choice in its prior's checkpoint")
    args = p.parse_args(argv)
    print(report.table_budget(), "\n")
    points = report.budget_points()
    choices = {env: choose(points, env) for env in report.ENVS}
    for env, (steps, why) in choices.items():
        print(f"{env}: {steps_name(steps) if steps else 'not chosen'} ({why})")
    if args.write:
        import residual_ppo_continuous as residual  # only needed to write checkpoints

        for env, (steps, why) in choices.items():
            path = os.path.join(args.priors, f"{env}.pt")
            if steps is None:
                print(f"{path}: not written ({why.split(':')[0]}), it keeps what its checkpoint has")
                continue
            ckpt = residual.load_checkpoint(path)
            ckpt.update(total_timesteps=int(steps), total_timesteps_rule=f"benchmark/choose_budget.py: {why}")
            residual.save_checkpoint(path, ckpt)
            print(f"{path}: total_timesteps = {steps}")


if __name__ == "__main__":
    main()
