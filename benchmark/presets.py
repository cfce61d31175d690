"""The benchmark grids: which runs each preset makes (algorithm x env x seed, plus the omega' sweep).

A job is one process running one of the scripts unchanged. Jobs of stage 1 (priors) finish before stage 2
(runs that load them) starts. `group` and `label` decide where a run lands in the reports.
"""
import functools
import json
import os
import sys
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(eq=False)  # hashed by identity: jobs are dictionary keys in the reports
class Job:
    group: str
    """report it feeds: ablation, prior, full, customization, omega_sweep"""
    label: str
    """row label in that report, e.g. "Soft PPO" or "omega'=0.01" """
    env_id: str
    seed: int
    script: str
    args: list = field(default_factory=list)
    stage: int = 2
    prior: str = ""
    """id of the stage-1 job whose prior this job loads ("" = the shipped priors/{env_id}.pt)"""

    @property
    def id(self):
        slug = self.label.replace(" ", "_").replace("'", "").replace("=", "")
        return f"{self.group}__{self.env_id}__{slug}__s{self.seed}"


@dataclass
class Preset:
    name: str
    description: str
    jobs: list


def prior_checkpoint(out, job_id):
    """Where benchmark/run.py has a prior_train.py job write its checkpoint, and stage-2 jobs load it from."""
    return os.path.join(out, "runs", job_id, "prior.pt")


def _ablation(envs, seeds, steps, alpha, ent_coef, common):
    """The paper's Soft PPO ablation: four variants of soft_ppo_continuous.py, seed by seed (a grid cut short has
    whole seeds)."""
    variants = {
        "PPO": ["--alpha", "0"],
        "entropy-bonus PPO": ["--alpha", "0", "--ent-coef", str(ent_coef)],
        "Soft PPO": ["--alpha", str(alpha)],
        "repeat-entropy PPO": ["--alpha", str(alpha), "--ent-coef", str(ent_coef)],
    }
    return [Job("ablation", label, env, seed, "soft_ppo_continuous.py", ["--total-timesteps", str(steps), *flags, *common])
            for seed in seeds for env in envs for label, flags in variants.items()]


@functools.cache
def shipped_omega_prime(env_id):
    """The omega' residual_ppo_continuous.py defaults to with the shipped prior priors/{env_id}.pt (its own rule)."""
    sys.path.insert(0, ROOT)  # here, not at the top: listing the other presets needs neither the scripts nor torch
    import residual_ppo_continuous as residual

    return residual.default_omega_prime(residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env_id}.pt")))


def _customization(envs, seeds, steps, full_steps, omega_prime, sweep, common, train_priors, prior_steps,
                   prior_args=(), sweep_seeds=None):
    """One row per method (README, "Policy customization"): Greedy PPO, KL PPO, Residual PPO at its defaults (omega'
    from the prior, centred prior and entropy terms, r_R on the prior's basic-return scale), the same with the
    paper's literal terms (both), the same with only the learner's entropy term literal, and the Full policy; then
    the omega' sweep on `sweep_seeds` (default: all seeds), without the default omega' (that point is the Residual
    PPO row, not run twice). `omega_prime(env)` is the omega' Residual
    PPO defaults to there, and KL PPO's beta: the same weight on the prior. Rows come before the sweep, seed by
    seed, so a grid cut short has whole rows. Coefficients are in the prior's normalised basic-reward units, set
    before any run of a preset."""
    jobs, priors = [], {}
    kl_beta = {} if train_priors else kl_betas()  # KL PPO's own calibrated beta, for the shipped priors only
    for env in envs:
        priors[env] = ""
        if train_priors:
            prior = Job("prior", "prior", env, 1, "prior_train.py",
                        ["--total-timesteps", str(prior_steps), *prior_args, *common], stage=1)
            jobs.append(prior)
            priors[env] = prior.id
    for seed in seeds:
        for env in envs:
            rows = {
                "Residual PPO": [],
                "Greedy PPO": ["--omega-prime", "0", "--alpha-hat", "0"],
                "KL PPO": ["--kl-coef", f"{omega_prime(env):g}"],
                "Residual PPO (literal prior term)": ["--prior-term", "literal", "--entropy-term", "literal"],
                "Residual PPO (literal entropy term)": ["--entropy-term", "literal"],
            }
            if env in kl_beta and kl_beta[env]["beta"] != omega_prime(env):  # KL PPO at its own calibrated beta
                rows["KL PPO (calibrated beta)"] = ["--kl-coef", f"{kl_beta[env]['beta']:g}"]
            for label, flags in rows.items():
                jobs.append(Job("customization", label, env, seed, "residual_ppo_continuous.py",
                                ["--total-timesteps", str(steps), *flags, *common], prior=priors[env]))
            jobs.append(Job("full", "Full policy", env, seed, "prior_train.py",
                            ["--reward", "total", "--total-timesteps", str(full_steps), *common]))
    for seed in seeds if sweep_seeds is None else sweep_seeds:
        for env in envs:
            for w in sweep:
                if w == omega_prime(env):
                    continue
                jobs.append(Job("omega_sweep", f"omega'={w}", env, seed, "residual_ppo_continuous.py",
                                ["--total-timesteps", str(steps), "--omega-prime", str(w), *common], prior=priors[env]))
    return jobs


def smoke():
    common = ["--num-steps", "256", "--num-minibatches", "4", "--update-epochs", "2", "--eval-episodes", "1"]
    return Preset("smoke", "seconds: every kind of job and report on Hopper-v4 with tiny budgets (used by the tests)",
                  _ablation(["Hopper-v4"], [1, 2], 512, 0.001, 0.01, common)
                  + _customization(["Hopper-v4"], [1], 512, 512, lambda env: 0.03, [0.0], common, True, 512,
                                   ["--measure-steps", "1000"]))


def ablation():
    return Preset("ablation", "the paper's Soft PPO ablation (PPO, entropy-bonus PPO, Soft PPO, repeat-entropy PPO) "
                  "at 1M steps, seeds 1-5, HalfCheetah-v4 and Hopper-v4: 40 runs of 1M steps, about 2.5 hours on 2 "
                  "cores, resumable across sessions",
                  _ablation(["HalfCheetah-v4", "Hopper-v4"], [1, 2, 3, 4, 5], 1_000_000, 0.001, 0.01, []))


def alpha_sweep():
    """Soft PPO's temperature on HalfCheetah-v4 and Hopper-v4: four fixed alphas around the default, seeds 1-3, 500k
    steps. (The folder also holds the runs of a learned temperature, an option that has since left.)"""
    common = ["--total-timesteps", "500000"]
    jobs = [Job("alpha_sweep", f"alpha={a}", env, seed, "soft_ppo_continuous.py", ["--alpha", str(a), *common])
            for env in ("HalfCheetah-v4", "Hopper-v4") for seed in (1, 2, 3) for a in (0.0003, 0.001, 0.003, 0.01)]
    return Preset("alpha_sweep", "Soft PPO's alpha sweep (0.0003 / 0.001 / 0.003 / 0.01) on HalfCheetah-v4 and "
                  "Hopper-v4, seeds 1-3, 500k steps: 24 runs, about 1.2 hours on 2 cores", jobs)


CALIBRATION_GRID = (0.001, 0.003, 0.01, 0.03)


def calibration():
    """omega' by validation (docs/residual_ppo.md, "Choosing omega'"): Residual PPO from each shipped prior at every
    omega' of the grid, on validation seeds 4 and 5 that no reported run uses, 500k steps; benchmark/calibrate_omega.py
    reads the results."""
    envs = ["HalfCheetah-v4", "Hopper-v4", "Ant-v4", "Walker2d-v4"]
    jobs = [Job("calibration", f"omega'={w}", env, seed, "residual_ppo_continuous.py",
                ["--total-timesteps", "500000", "--omega-prime", str(w)])
            for seed in (4, 5) for env in envs for w in CALIBRATION_GRID]
    return Preset("calibration", "omega' by validation: Residual PPO from the shipped priors at omega' = "
                  f"{' / '.join(map(str, CALIBRATION_GRID))}, validation seeds 4-5, 500k steps, the four envs: 32 runs "
                  "(two calls on a 16-core machine; 1.6 hours on 2 cores here), resumable", jobs)


def _validation_1m(omegas, seeds=(4, 5), kl=False):
    """Residual PPO at each omega' (KL PPO at each beta with `kl`) on validation seeds (4 and 5 for the grid and its
    edges, 6 and 7 for the confirmation) at the default budget, env by env, the envs that can fall first, so a grid
    cut short leaves whole envs."""
    group, name, flag = ("kl_calibration", "beta", "--kl-coef") if kl else ("calibration", "omega'", "--omega-prime")
    return [Job(group, f"{name}={w}", env, seed, "residual_ppo_continuous.py",
                ["--total-timesteps", "1000000", flag, str(w)])
            for env in ["Walker2d-v4", "Hopper-v4", "Ant-v4", "HalfCheetah-v4"] for w in omegas for seed in seeds]


def calibration_1m():
    """omega' by validation as `calibration`, at the default budget (1M steps), since a tie that holds for 500k
    steps can fail by 1M (benchmark/results/research/walker_budget)."""
    return Preset("calibration_1m", "omega' by validation at the default budget: as `calibration`, at 1M "
                  "steps: 32 runs, about 2 hours on 2 cores here, resumable", _validation_1m(CALIBRATION_GRID))


OMEGA_LADDER = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
"""The half-decade ladder of omega': the calibration grid is extended along it where the choice sits on an edge."""


def calibration_edge():
    """The extension of the 1M-step grid (calibrate_omega.py --extend-edges): every ladder point outside the grid,
    same seeds and budget, for every env. Run only the points it asks for (`--only`); it reads them from this
    preset's folder together with the grid's."""
    return Preset("calibration_edge", "the ladder points outside the 1M-step grid, seeds 4-5, 1M steps, the "
                  "four envs; run only what calibrate_omega.py --extend-edges asks for",
                  _validation_1m([w for w in OMEGA_LADDER if w not in CALIBRATION_GRID]))


def calibration_confirm():
    """The confirmation (calibrate_omega.py --confirm): every ladder point on two more validation seeds (6 and 7),
    1M steps, for every env. Run only the points it asks for (`--only`)."""
    return Preset("calibration_confirm", "every ladder point on validation seeds 6-7, 1M steps, the four envs; "
                  "run only what calibrate_omega.py --confirm asks for", _validation_1m(OMEGA_LADDER, seeds=(6, 7)))


KL_BETA_FILE = os.path.join(ROOT, "benchmark", "kl_beta.json")
"""KL PPO's own beta per env, as benchmark/calibrate_omega.py --preset kl_calibration_1m --write chose it."""


def kl_betas():
    """{env: {"beta": float, "chosen_by": str}} of KL_BETA_FILE ({} before any calibration wrote it)."""
    if not os.path.exists(KL_BETA_FILE):
        return {}
    with open(KL_BETA_FILE) as f:
        return json.load(f)


def kl_calibration_1m():
    """KL PPO's own beta by the procedure that chose omega' (docs/research/kl_ppo_calibration.md): KL PPO from each
    shipped prior at every beta of the grid, validation seeds 4-5, 1M steps; calibrate_omega.py --preset
    kl_calibration_1m reads the results."""
    return Preset("kl_calibration_1m", "KL PPO's beta by validation: as `calibration_1m` with --kl-coef in place of "
                  "--omega-prime: 32 runs, about 2 hours on 2 cores, resumable", _validation_1m(CALIBRATION_GRID, kl=True))


def kl_calibration_edge():
    """`calibration_edge` for KL PPO's beta: the ladder points outside the grid, seeds 4-5."""
    return Preset("kl_calibration_edge", "KL PPO at the ladder points outside the 1M-step grid, seeds 4-5; run only what "
                  "calibrate_omega.py --preset kl_calibration_1m --extend-edges asks for",
                  _validation_1m([w for w in OMEGA_LADDER if w not in CALIBRATION_GRID], kl=True))


def kl_calibration_confirm():
    """`calibration_confirm` for KL PPO's beta: every ladder point on seeds 6-7."""
    return Preset("kl_calibration_confirm", "KL PPO at every ladder point on validation seeds 6-7; run only what "
                  "calibrate_omega.py --preset kl_calibration_1m --confirm asks for",
                  _validation_1m(OMEGA_LADDER, seeds=(6, 7), kl=True))


def customization():
    envs = ["HalfCheetah-v4", "Hopper-v4", "Ant-v4", "Walker2d-v4"]
    sweep = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1]
    jobs = _customization(envs, [1, 2, 3], 1_000_000, 1_000_000, shipped_omega_prime, sweep, [], False, 0,
                          sweep_seeds=[1])
    # The frontier as it first ran, before the learner's entropy term was centred by default (commit 752c0a8): kept
    # beside the default's frontier, whose point at the default omega' is the literal-entropy-term row.
    jobs += [Job("omega_sweep", f"omega'={w} (literal entropy term)", env, 1, "residual_ppo_continuous.py",
                 ["--total-timesteps", "1000000", "--omega-prime", str(w), "--entropy-term", "literal"])
             for env in envs for w in sweep if w != shipped_omega_prime(env)]
    return Preset("customization", "the paper's customization table with the defaults' budget: from the shipped "
                  "priors at their calibrated omega', 1M-step fine-tuning and 1M-step full policies, seeds 1-3, the "
                  "four envs (72 runs: five fine-tuning rows and the Full policy), and the omega' frontier on seed 1: "
                  "0 / 0.001 / 0.003 / 0.01 / 0.03 / 0.1 (where the default's value is one of them, its point is the "
                  "Residual PPO row), at the default and with the literal learner's entropy term: "
                  f"{len(jobs)} runs of 1M steps, about 8 hours on 2 cores (4-9 min a run with two sharing the "
                  "cores), resumable across sessions", jobs)


DEFAULT_SEEDS = (8, 9, 10, 11, 12, 13)
"""Seeds no calibration (4-7) or reported run (1-3) uses."""


def default_seeds():
    """The four default commands (Residual PPO at its defaults, 1M steps) on fresh seeds: how often each one meets
    the bar, measured rather than read off three seeds; and the same with the learner's entropy term literal (the
    default until the `entropy_term` experiment); and on the same seeds the baseline closest to the default on each
    env where one is close: HalfCheetah's Greedy PPO, Hopper's KL PPO. Envs in the order they are in doubt (Ant
    first); run one env at a time with `--only ENV`."""
    jobs = [Job("customization", label, env, seed, "residual_ppo_continuous.py", ["--total-timesteps", "1000000", *flags])
            for label, flags in [("Residual PPO", []), ("Residual PPO (literal entropy term)", ["--entropy-term", "literal"])]
            for env in ["Ant-v4", "Walker2d-v4", "Hopper-v4", "HalfCheetah-v4"] for seed in DEFAULT_SEEDS]
    # HalfCheetah is the one env whose default stays below Greedy PPO on seeds 1-3: the baseline on the same fresh
    # seeds, so that comparison rests on nine seeds a side too
    jobs += [Job("customization", "Greedy PPO", "HalfCheetah-v4", seed, "residual_ppo_continuous.py",
                 ["--total-timesteps", "1000000", "--omega-prime", "0", "--alpha-hat", "0"]) for seed in DEFAULT_SEEDS]
    # Hopper is the env whose default beats a baseline by the thinnest margin (KL PPO, by 22-43 on seeds 1-3)
    jobs += [Job("customization", "KL PPO", "Hopper-v4", seed, "residual_ppo_continuous.py",
                 ["--total-timesteps", "1000000", "--kl-coef", f"{shipped_omega_prime('Hopper-v4'):g}"])
             for seed in DEFAULT_SEEDS]
    # KL PPO at its own calibrated beta, where its calibration has chosen one (where that beta is the prior's omega',
    # the command is the beta = omega' row's, which Hopper already runs above)
    for env, beta in kl_betas().items():
        same = beta["beta"] == shipped_omega_prime(env)
        if not (same and env == "Hopper-v4"):
            jobs += [Job("customization", "KL PPO" if same else "KL PPO (calibrated beta)", env, seed,
                         "residual_ppo_continuous.py", ["--total-timesteps", "1000000", "--kl-coef", f"{beta['beta']:g}"])
                     for seed in DEFAULT_SEEDS]
    return Preset("default_seeds", "the four default commands (`python residual_ppo_continuous.py --env-id ENV`, 1M "
                  f"steps) on seeds {DEFAULT_SEEDS[0]}-{DEFAULT_SEEDS[-1]}, which no calibration or reported run uses: "
                  f"{len(jobs)} runs, about 6-7 minutes a run with two sharing 2 cores; run an env at a time with "
                  "`--only ENV`", jobs)


BUDGETS = (100_000, 250_000, 500_000)
"""Shorter budgets of the default command; its 1M-step point is the customization table's Residual PPO row."""


def budget():
    """The default command with only --total-timesteps changed (so the learning rate anneals over the shorter budget),
    seeds 1-3, the four envs: how much of the 1M-step gain each shorter budget keeps."""
    jobs = [Job("budget", f"{steps // 1000}k", env, seed, "residual_ppo_continuous.py", ["--total-timesteps", str(steps)])
            for steps in BUDGETS for seed in (1, 2, 3) for env in ["Walker2d-v4", "Ant-v4", "Hopper-v4", "HalfCheetah-v4"]]
    return Preset("budget", "the four default commands at 100k / 250k / 500k steps, seeds 1-3: 36 runs, about 35 "
                  "minutes on 2 cores", jobs)


BUDGET_CANDIDATES = {"default": [], "lr 1.2e-3": ["--learning-rate", "1.2e-3"],
                     "128 minibatches": ["--num-minibatches", "128"]}
"""Candidates for a shorter default budget (docs/research/budget.md): each one's flags on top of the default command.
1.2e-3 gives a 250k-step run the summed learning rate (over its updates) of a default 1M-step run; 128 minibatches
give it the 1M run's number of gradient steps at the default learning rate. (The store also
holds the runs of a critic warm-up, an option that left when the candidate was refuted.)"""


def budget_candidates():
    """Each candidate at 250k steps on validation seeds 4-5 that no reported run uses, the four envs, beside the
    default command at the same budget and seeds: which one keeps the 1M-step gain at a quarter of the steps."""
    # judged as the customization table is: 100 deterministic episodes, the prior on the same ones
    jobs = [Job("budget_candidates", label, env, seed, "residual_ppo_continuous.py",
                ["--total-timesteps", "250000", *flags, "--eval-episodes", "100"])
            for seed in (4, 5) for env in ["Walker2d-v4", "Ant-v4", "Hopper-v4", "HalfCheetah-v4"]
            for label, flags in BUDGET_CANDIDATES.items()]
    return Preset("budget_candidates", "candidates for a 250k-step default (the default command, the learning "
                  "rate that gives 250k steps the 1M run's summed rate, and the 1M run's number of gradient steps), "
                  "validation seeds 4-5, the four envs: "
                  f"{len(jobs)} runs of 250k steps, about 30 minutes on 2 cores", jobs)


ADDON_EXAMPLES = {"energy": "addon_tasks:halfcheetah_energy", "target speed": "addon_tasks:halfcheetah_target_speed"}
"""The shipped examples of add-on rewards of the transition: one of the action, one of the env's `info`."""


def addon_examples():
    """The two example tasks of the transition from the shipped HalfCheetah prior: the default command against Greedy
    PPO and KL PPO (beta = the prior's omega'), seeds 1-3, 1M steps, task by task."""
    env, omega = "HalfCheetah-v4", shipped_omega_prime("HalfCheetah-v4")
    rows = {"Residual PPO": [], "Greedy PPO": ["--omega-prime", "0", "--alpha-hat", "0"],
            "KL PPO": ["--kl-coef", f"{omega:g}"]}
    jobs = [Job("addon_examples", f"{label} ({name})", env, seed, "residual_ppo_continuous.py",
                ["--total-timesteps", "1000000", "--addon-task", task, *flags])
            for name, task in ADDON_EXAMPLES.items() for seed in (1, 2, 3) for label, flags in rows.items()]
    return Preset("addon_examples", "the add-on rewards of the transition (HalfCheetah: save energy, run at a target "
                  "speed) from the shipped prior: Residual PPO, Greedy PPO and KL PPO, seeds 1-3, 1M steps: 18 runs, "
                  "about 1.5 hours on 2 cores; run a task at a time with `--only energy` or `--only target`", jobs)


ZOO_FLAGS = {
    # RL Baselines3 Zoo's tuned PPO values (hyperparams/ppo.yml, entries HalfCheetah-v4 and Hopper-v4), as our flags:
    # minibatches = n_steps / batch_size; the Zoo keeps the learning rate constant and does not clip the value loss;
    # our observation and reward normalisation stand in for its VecNormalize
    "HalfCheetah-v4": ["--num-steps", "512", "--num-minibatches", "8", "--update-epochs", "20", "--gamma", "0.98",
                       "--gae-lambda", "0.92", "--clip-coef", "0.1", "--learning-rate", "2.0633e-05", "--no-anneal-lr",
                       "--vf-coef", "0.58096", "--max-grad-norm", "0.8", "--no-clip-vloss", "--hidden-sizes", "256",
                       "256", "--activation", "relu", "--no-ortho-init", "--log-std-init", "-2"],
    "Hopper-v4": ["--num-steps", "512", "--num-minibatches", "16", "--update-epochs", "5", "--gamma", "0.999",
                  "--gae-lambda", "0.99", "--clip-coef", "0.2", "--learning-rate", "9.80828e-05", "--no-anneal-lr",
                  "--vf-coef", "0.835671", "--max-grad-norm", "0.7", "--no-clip-vloss", "--hidden-sizes", "256", "256",
                  "--activation", "relu", "--no-ortho-init", "--log-std-init", "-2"],
}
ZOO_ENT_COEF = {"HalfCheetah-v4": "0.000401762", "Hopper-v4": "0.00229519"}


def zoo():
    """PPO (with the Zoo's entropy bonus) and Soft PPO (alpha 0.001, the ablation's value, no bonus) at RL Baselines3
    Zoo's tuned hyper-parameters, HalfCheetah-v4 then Hopper-v4, seeds 1-5, 1M steps."""
    jobs = []
    for env in ("HalfCheetah-v4", "Hopper-v4"):
        for seed in (1, 2, 3, 4, 5):
            jobs.append(Job("zoo", "PPO", env, seed, "soft_ppo_continuous.py",
                            ["--total-timesteps", "1000000", "--alpha", "0", "--ent-coef", ZOO_ENT_COEF[env], *ZOO_FLAGS[env]]))
            jobs.append(Job("zoo", "Soft PPO", env, seed, "soft_ppo_continuous.py",
                            ["--total-timesteps", "1000000", "--alpha", "0.001", *ZOO_FLAGS[env]]))
    return Preset("zoo", "PPO and Soft PPO at RL Baselines3 Zoo's tuned hyper-parameters (256-256 ReLU, log-std -2, "
                  "512-step rollouts, ...), HalfCheetah-v4 and Hopper-v4, seeds 1-5, 1M steps: 20 runs; run an env at "
                  "a time with `--only HalfCheetah`", jobs)


def _replaced(flags, **values):
    """`flags` with the value after each `--name` replaced (underscores in `name` for dashes)."""
    out = list(flags)
    for name, value in values.items():
        out[out.index("--" + name.replace("_", "-")) + 1] = str(value)
    return out


def zoo_hopper_probe():
    """Why the Zoo's Hopper settings stand still: Soft PPO at them with one value put back to CleanRL's, the initial
    log-std (exploration) or gamma (horizon), or with the critic weighted as SB3 weighs it; seeds 1-2, 1M steps."""
    flags = ZOO_FLAGS["Hopper-v4"]
    rows = {"Soft PPO (log-std 0)": _replaced(flags, log_std_init=0), "Soft PPO (gamma 0.99)": _replaced(flags, gamma=0.99),
            # SB3's value loss is the mean squared error, ours (CleanRL's) half of it: twice the Zoo's vf_coef is its
            # weight on the critic exactly
            "Soft PPO (SB3 value scale)": _replaced(flags, vf_coef=2 * float(flags[flags.index("--vf-coef") + 1]))}
    jobs = [Job("zoo_probe", label, "Hopper-v4", seed, "soft_ppo_continuous.py",
                ["--total-timesteps", "1000000", "--alpha", "0.001", *f]) for seed in (1, 2) for label, f in rows.items()]
    return Preset("zoo_hopper_probe", "Soft PPO at RL Baselines3 Zoo's Hopper-v4 settings with the initial log-std (0) "
                  "or gamma (0.99) put back to CleanRL's, or the value loss weighted as in SB3, seeds 1-2, 1M steps: "
                  "6 runs", jobs)


def paper():
    """The paper's scale: PPO and Soft PPO on HalfCheetah-v4 at RL Baselines3 Zoo's hyper-parameters (the `zoo`
    preset's HalfCheetah runs, which reach the paper's Soft PPO figure), then the customization grid at 1M steps from
    2M-step priors the grid trains, 5 seeds, the four envs."""
    envs = ["HalfCheetah-v4", "Hopper-v4", "Ant-v4", "Walker2d-v4"]
    return Preset("paper", "the paper's scale: PPO and Soft PPO on HalfCheetah-v4 at RL Baselines3 Zoo's "
                  "hyper-parameters, and the customization grid at 1M steps from 2M-step priors trained in the grid, "
                  "5 seeds, the four envs",
                  [j for j in zoo().jobs if j.env_id == "HalfCheetah-v4"]
                  + _customization(envs, [1, 2, 3, 4, 5], 1_000_000, 2_000_000, lambda env: 0.03,
                                   [0.0, 0.003, 0.01, 0.1, 0.3, 1.0], [], True, 2_000_000))


PRESETS = {"smoke": smoke, "ablation": ablation, "alpha_sweep": alpha_sweep, "calibration": calibration,
           "calibration_1m": calibration_1m, "calibration_edge": calibration_edge,
           "calibration_confirm": calibration_confirm, "kl_calibration_1m": kl_calibration_1m,
           "kl_calibration_edge": kl_calibration_edge, "kl_calibration_confirm": kl_calibration_confirm,
           "customization": customization,
           "default_seeds": default_seeds, "budget": budget, "budget_candidates": budget_candidates,
           "addon_examples": addon_examples, "zoo": zoo, "zoo_hopper_probe": zoo_hopper_probe,
           "paper": paper}
