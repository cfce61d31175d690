"""Rule 8's check on the reported seeds (README here): HalfCheetah's Residual PPO under `--prior-term learner` on the
nine seeds of ../default_seeds/nine_seeds.md (1-3 and 8-13), against Greedy PPO's nine and against rule 7's default
(the centred form) on the same seeds, all on the AMD VM. Seeds 1-3, 8 and 9 ran as ../alive_payment's parts 2-3,
seeds 10-13 here. The same table and tests as ../default_seeds/nine_seeds.py (whose functions this imports).

    python benchmark/results/prior_term_form/nine_seeds.py > benchmark/results/prior_term_form/nine_seeds.md
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("nine_seeds", os.path.join(HERE, "..", "default_seeds", "nine_seeds.py"))
nine_seeds = importlib.util.module_from_spec(spec)
spec.loader.exec_module(nine_seeds)

ENV = "HalfCheetah-v4"
LEARNER = ([os.path.join(HERE, "..", "alive_payment", "runs", f"{ENV}__learner__s{s}") for s in (1, 2, 3, 8, 9)]
           + [os.path.join(HERE, "runs", f"{ENV}__learner__s{s}") for s in (10, 11, 12, 13)])


def main():
    (baseline, greedy), centred = nine_seeds.COMPARISONS[ENV]
    if not all(nine_seeds.find_summary(job) for job in LEARNER):
        print(f"**{ENV}**: the learner form's nine runs are not all finished yet.")
        return
    label = "Residual PPO, learner form (rule 8)"
    nine_seeds.compare(ENV, baseline, greedy, LEARNER, label=label)
    nine_seeds.compare(ENV, "Residual PPO, centred form (rule 7's default)", centred, LEARNER, label=label)


if __name__ == "__main__":
    main()
