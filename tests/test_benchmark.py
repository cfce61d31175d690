"""Benchmark harness: aggregation on synthetic summaries with known means and spreads; the smoke grid end to end."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmark"))
import preset_report as reports  # noqa: E402
import presets  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fake_run(out, job, summary):
    folder = os.path.join(out, "runs", job.id, "run")
    os.makedirs(folder)
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f)


def task_eval(basic, addon, metric, length=1000.0):
    return {"basic_return_mean": basic, "addon_return_mean": addon, "total_return_mean": basic + addon,
            "addon_metric_mean": metric, "length_mean": length}


def test_mean_std_format():
    assert reports.mean_std([1.0, 3.0]) == "2.000 ± 1.000 (n=2)"
    assert reports.mean_std([100.0, 300.0, None]) == "200.0 ± 100.0 (n=2)"
    assert reports.mean_std([]) == "n/a"


def test_aggregation_on_synthetic_summaries(tmp_path):
    jobs = []
    for seed, (ppo, soft) in zip((1, 2), ((1000.0, 2000.0), (1200.0, 2600.0)), strict=True):
        for label, value in (("PPO", ppo), ("Soft PPO", soft)):
            job = presets.Job("ablation", label, "HalfCheetah-v4", seed, "soft_ppo_continuous.py")
            fake_run(tmp_path, job, {"eval": {"return_mean": value}, "train_return_last20": value - 100, "sps": 1000})
            jobs.append(job)
        res = presets.Job("customization", "Residual PPO", "HalfCheetah-v4", seed, "residual_ppo_continuous.py")
        fake_run(tmp_path, res, {"eval": task_eval(4000.0 + 200 * seed, -100.0 * seed, 0.1 * seed, 900.0 + 50 * seed),
                                 "eval_stochastic": task_eval(3000.0, -100.0, 0.1, 800.0 * seed),
                                 "eval_initial": task_eval(5000.0, -500.0, 0.5),
                                 "eval_initial_stochastic": task_eval(4000.0, -600.0, 0.5, 700.0),
                                 "sps": 900, "global_step": 200_000,
                                 "args": {"omega_prime": 0.03, "alpha_hat": 0.001, "prior_term": "centred",
                                          "addon_scale": "prior"}})
        full = presets.Job("full", "Full policy", "HalfCheetah-v4", seed, "prior_train.py")
        fake_run(tmp_path, full, {"eval": {"return_mean": 0.0}, "eval_task": task_eval(3000.0, -50.0 * seed, 0.05),
                                  "sps": 800, **({"eval_task_stochastic": task_eval(2000.0, 0.0, 0.1, 500.0)}
                                                 if seed == 2 else {})})
        jobs += [res, full]
    preset = presets.Preset("synthetic", "known numbers", jobs)
    results = reports.load(str(tmp_path), preset)
    assert len(results) == 8
    ablation = reports.ablation_table(results)
    assert "| HalfCheetah-v4 | PPO | 1100.0 ± 100.0 (n=2) | 1000, 1200 | n/a | 1000.0 ± 100.0 (n=2) |  |" in ablation
    assert "| HalfCheetah-v4 | Soft PPO | 2300.0 ± 300.0 (n=2) | 2000, 2600 |" in ablation
    # Soft PPO minus PPO: +1200; of the 6 splits of {1000, 1200, 2000, 2600} into pairs, 2 are as extreme
    assert "| HalfCheetah-v4 | PPO | +1200.0 | " in reports.significance_table(results)
    assert "| 0.333 | " in reports.significance_table(results)
    custom = reports.customization_tables(results)
    # Residual: basic 4200/4400, add-on -100/-200 -> total 4100/4200; metric 0.1/0.2
    # lengths 950/1000; stochastic: total 2900 both seeds, lengths 800/1600
    assert ("| Residual PPO | 4300.0 ± 100.0 (n=2) | -150.0 ± 50.0 (n=2) | 4150.0 ± 50.0 (n=2) | 0.150 ± 0.050 (n=2) "
            "| 975.0 ± 25.0 (n=2) | 2900.0 ± 0.0 (n=2) | 1200.0 ± 400.0 (n=2) |") in custom
    assert ("| Prior policy | 5000.0 ± 0.0 (n=2) | -500.0 ± 0.0 (n=2) | 4500.0 ± 0.0 (n=2) | 0.500 ± 0.000 (n=2) "
            "| 1000.0 ± 0.0 (n=2) | 3400.0 ± 0.0 (n=2) | 700.0 ± 0.0 (n=2) |") in custom
    # the Full policy's stochastic evaluation (prior_train.py's eval_task_stochastic) where its summary has one
    assert ("| Full policy | 3000.0 ± 0.0 (n=2) | -75.0 ± 25.0 (n=2) | 2925.0 ± 25.0 (n=2) | 0.050 ± 0.000 (n=2) "
            "| 1000.0 ± 0.0 (n=2) | 2000.0 ± 0.0 (n=1) | 500.0 ± 0.0 (n=1) |") in custom
    assert "| KL PPO | n/a | n/a | n/a | n/a | n/a | n/a | n/a |" in custom
    assert ("| omega'=0.03, alpha_hat=0.001, centred prior term, r_R on the prior scale, 200k steps from the prior |"
            in custom)  # read back


def run_smoke(tmp_path, *extra):
    return subprocess.run([sys.executable, os.path.join(ROOT, "benchmark", "run.py"), "--preset", "smoke",
                           "--out", str(tmp_path), "--workers", "2", *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


@pytest.mark.slow
def test_smoke_preset_end_to_end(tmp_path):
    out = run_smoke(tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    report = (tmp_path / "README.md").read_text()
    n_jobs = len(presets.smoke().jobs)
    assert f"{n_jobs} of {n_jobs} runs finished" in report
    for heading in ("## Soft PPO ablation", "## Policy customization", "## omega' sweep", "## Throughput"):
        assert heading in report
    for row in ("| PPO |", "| repeat-entropy PPO |", "| Prior policy |", "| Greedy PPO |", "| KL PPO |",
                "| Residual PPO |", "| Full policy |"):
        assert row in report and f"{row} n/a" not in report, row
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert "curves_ablation_episodic_return_Hopper-v4.png" in pngs and "omega_frontier_Hopper-v4.png" in pngs
    import pandas as pd

    assert len(pd.read_csv(tmp_path / "runs.csv")) == n_jobs  # the store run.py ingested the grid into
    assert all((tmp_path / p).stat().st_size > 5000 for p in pngs)
    command = (tmp_path / "runs" / presets.smoke().jobs[0].id / "command.txt").read_text()
    # recorded as typed in the repository root: no interpreter path, no path of this checkout
    assert command.startswith("python soft_ppo_continuous.py ") and ROOT not in command and sys.executable not in command
    # re-running skips every finished job
    again = run_smoke(tmp_path, "--no-report")
    assert again.returncode == 0 and "0 jobs to run" in again.stderr


def test_a_failed_job_is_reported_and_does_not_stop_the_others(tmp_path, capsys, monkeypatch):
    import run

    tiny = ["--total-timesteps", "512", "--num-steps", "256", "--num-minibatches", "4", "--eval-episodes", "1"]
    bad_prior = presets.Job("prior", "prior", "Hopper-v4", 1, "prior_train.py", ["--total-timesteps", "0"], stage=1)
    jobs = [bad_prior,
            presets.Job("ablation", "PPO", "Hopper-v4", 1, "soft_ppo_continuous.py", ["--alpha", "0", *tiny]),
            presets.Job("customization", "KL PPO", "Hopper-v4", 1, "residual_ppo_continuous.py", tiny, prior=bad_prior.id)]
    monkeypatch.setitem(presets.PRESETS, "broken", lambda: presets.Preset("broken", "one bad job", jobs))
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--preset", "broken", "--out", str(tmp_path), "--workers", "2", "--no-report"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"FAILED {bad_prior.id}" in err and "must be positive" in err  # the log tail of the failed job
    assert f"FAILED {jobs[2].id}" in err and "did not produce a prior" in err
    assert list((tmp_path / "runs" / jobs[1].id).glob("*/summary.json")), "the good job did not run"


def test_submitit_launcher_in_local_mode(tmp_path, monkeypatch):
    import run

    job = presets.Job("ablation", "PPO", "Hopper-v4", 1, "soft_ppo_continuous.py",
                      ["--alpha", "0", "--total-timesteps", "512", "--num-steps", "256", "--eval-episodes", "1"])
    monkeypatch.setitem(presets.PRESETS, "one", lambda: presets.Preset("one", "one job", [job]))
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--preset", "one", "--out", str(tmp_path), "--launcher", "submitit", "--submitit-cluster", "local",
                  "--no-report"])
    assert exit_info.value.code == 0
    assert list((tmp_path / "runs" / job.id).glob("*/summary.json"))
    assert (tmp_path / "submitit").is_dir()


@pytest.mark.parametrize("preset", sorted(presets.PRESETS))
def test_presets_are_well_formed(preset):
    p = presets.PRESETS[preset]()
    ids = [j.id for j in p.jobs]
    assert len(ids) == len(set(ids)), "job ids must be unique"
    stage1 = {j.id for j in p.jobs if j.stage == 1}
    assert all(not j.prior or j.prior in stage1 for j in p.jobs)


def test_budget_candidates_run_on_validation_seeds_at_a_quarter_of_the_steps_judged_on_100_episodes():
    jobs = presets.PRESETS["budget_candidates"]().jobs
    assert {j.seed for j in jobs} == {4, 5} and len(jobs) == 4 * 2 * len(presets.BUDGET_CANDIDATES)
    for job in jobs:
        assert job.args[job.args.index("--total-timesteps") + 1] == "250000"
        assert job.args[job.args.index("--eval-episodes") + 1] == "100"
        assert job.args[2:-2] == presets.BUDGET_CANDIDATES[job.label]  # the candidate's flags and nothing else
    # the summed learning rate of the 1M default (3e-4 annealed over 1M steps) at 250k steps
    lr = float(presets.BUDGET_CANDIDATES["lr 1.2e-3"][1])
    assert lr * 0.5 * 250_000 == pytest.approx(3e-4 * 0.5 * 1_000_000)


def test_zoo_probe_changes_one_zoo_flag_per_arm_and_the_paper_preset_runs_the_zoo_halfcheetah_jobs():
    zoo_hopper = presets.ZOO_FLAGS["Hopper-v4"]
    changed = {"Soft PPO (log-std 0)": ("--log-std-init", "0"), "Soft PPO (gamma 0.99)": ("--gamma", "0.99"),
               "Soft PPO (SB3 value scale)": ("--vf-coef", "1.671342")}
    jobs = presets.PRESETS["zoo_hopper_probe"]().jobs
    assert {j.label for j in jobs} == set(changed) and {j.seed for j in jobs} == {1, 2}
    for job in jobs:
        flags = job.args[4:]  # after --total-timesteps N --alpha A
        assert job.args[:4] == ["--total-timesteps", "1000000", "--alpha", "0.001"]
        diff = [(zoo_hopper[i - 1], f) for i, (z, f) in enumerate(zip(zoo_hopper, flags, strict=True)) if z != f]
        assert diff == [changed[job.label]]
    zoo_ids = {j.id: j.args for j in presets.PRESETS["zoo"]().jobs if j.env_id == "HalfCheetah-v4"}
    paper_zoo = {j.id: j.args for j in presets.PRESETS["paper"]().jobs if "zoo" in j.id}
    assert paper_zoo == zoo_ids and len(zoo_ids) == 10


def test_significance_helpers():
    # 20 splits of six values into threes; only the two extreme ones differ by 3 or more
    assert reports.permutation_p(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])) == 0.1
    assert reports.permutation_p(np.array([1.0, 6.0]), np.array([2.0, 5.0])) == 1.0  # equal means
    lo, hi = reports.bootstrap_ci(np.array([10.0, 12.0, 14.0]), np.array([1.0, 2.0, 3.0]))
    assert lo <= 10.0 <= hi and lo > 0  # separated groups: the interval excludes 0
    # d = 4, sample variances 2 + 2: n = 1.96^2 * 4 / 16 -> 1 seed
    assert reports.seeds_needed([0.0, 2.0], [4.0, 6.0]) == "1"
    assert reports.seeds_needed([1.0, 3.0], [3.0, 1.0]).startswith("never")


def test_calibration_rule_picks_the_best_total_that_keeps_the_episode_length():
    import calibrate_omega

    runs = {0.001: [(1000, 1000, 9000.0), (1000, 700, 9500.0)],  # best total, but one seed falls: out
            0.003: [(1000, 990, 5000.0), (1000, 1000, 5200.0)],  # kept (990 >= 95% of 1000), best of the kept
            0.01: [(1000, 1000, 4000.0), (1000, 1000, 4100.0)],
            0.03: [(1000, 1000, 3000.0), (1000, 1000, 3100.0)]}
    assert calibrate_omega.choose(runs)[0] == 0.003
    fallen = {w: [(1000, 500, 1.0)] for w in runs}
    assert calibrate_omega.choose(fallen)[0] == 0.03  # none kept: the largest, the strongest tie to the prior
    # lengths are compared with each run's own prior evaluation (here a prior that falls at 400 steps)
    assert calibrate_omega.choose({0.001: [(400, 390, 10.0)], 0.03: [(400, 400, 5.0)]})[0] == 0.001


def test_calibration_runs_form_an_omega_sweep_with_the_prior_marked(tmp_path):
    jobs = []
    for w, seed, total in ((0.003, 4, 3000.0), (0.003, 5, 3400.0), (0.03, 4, 2000.0)):
        job = presets.Job("calibration", f"omega'={w}", "Walker2d-v4", seed, "residual_ppo_continuous.py")
        fake_run(tmp_path, job, {"eval": task_eval(total + 1000.0, -1000.0, 0.1),
                                 "eval_initial": task_eval(5000.0, -2500.0, 0.25), "args": {"omega_prime": w}})
        jobs.append(job)
    results = reports.load(str(tmp_path), presets.Preset("synthetic", "known numbers", jobs))
    points = dict(reports.omega_points(results)["Walker2d-v4"])
    assert sorted(points) == [0.003, 0.03]
    assert [e["total_return_mean"] for e in points[0.003]] == [3000.0, 3400.0]
    prior = reports.reference_points(results)["Walker2d-v4"]["Prior policy"]
    assert len(prior) == 3 and prior[0]["total_return_mean"] == 2500.0


def test_each_learners_entropy_term_has_its_own_omega_frontier_with_its_default_row_on_it(tmp_path):
    runs = [("omega_sweep", "omega'=0.001", 0.001, "centred", 1000.0),
            ("customization", "Residual PPO", 0.01, "centred", 3300.0),
            ("omega_sweep", "omega'=0.001 (literal entropy term)", 0.001, "literal", 900.0),
            ("customization", "Residual PPO (literal entropy term)", 0.01, "literal", 3200.0),
            ("customization", "Residual PPO (literal prior term)", 0.01, "literal", 2000.0)]  # not on either frontier
    jobs = []
    for group, label, w, term, total in runs:
        job = presets.Job(group, label, "Walker2d-v4", 1, "residual_ppo_continuous.py")
        fake_run(tmp_path, job, {"eval": task_eval(total + 1000.0, -1000.0, 0.1),
                                 "sps": 1000.0, "args": {"omega_prime": w, "alpha_hat": 0.001, "entropy_term": term}})
        jobs.append(job)
    results = reports.load(str(tmp_path), presets.Preset("synthetic", "known numbers", jobs))
    assert reports.sweep_terms(results) == ["centred", "literal"]
    for term, totals in (("centred", {0.001: [1000.0], 0.01: [3300.0]}), ("literal", {0.001: [900.0], 0.01: [3200.0]})):
        points = dict(reports.omega_points(results, term)["Walker2d-v4"])
        assert {w: [e["total_return_mean"] for e in evs] for w, evs in points.items()} == totals
    reports.write_reports(str(tmp_path), presets.Preset("synthetic", "known numbers", jobs))
    text = open(os.path.join(tmp_path, "README.md")).read()
    assert "omega' sweep (Residual PPO, centred learner's entropy term)" in text
    assert os.path.exists(os.path.join(tmp_path, "omega_frontier_Walker2d-v4_literal_entropy_term.png"))


def test_the_1m_grid_is_the_500k_grid_at_the_default_budget_and_refuses_an_incomplete_grid(tmp_path, capsys, tmp_priors):
    import calibrate_omega

    grid500k, grid1m = presets.PRESETS["calibration"]().jobs, presets.PRESETS["calibration_1m"]().jobs
    assert sorted(j.id for j in grid500k) == sorted(j.id for j in grid1m)  # same grid, seeds and envs
    assert {j.args[j.args.index("--total-timesteps") + 1] for j in grid1m} == {"1000000"}  # the scripts' default budget
    walker = [j for j in grid1m if j.env_id == "Walker2d-v4" and j.label == "omega'=0.01"]
    for job, length in zip(walker, (1000.0, 1000.0), strict=True):
        fake_run(tmp_path, job, {"eval": task_eval(3000.0, -500.0, 0.1, length),
                                 "eval_initial": task_eval(5000.0, -2500.0, 0.25), "args": {"omega_prime": 0.01}})
    calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path)])
    assert "| Walker2d-v4 | 0.01 | 2 | 1.00, 1.00 | 2500.0 | **yes**: provisional" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="incomplete for Walker2d-v4.*--preset calibration_1m"):
        calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path), "--write"])


def test_kl_ppo_beta_is_calibrated_by_the_same_procedure_and_written_apart_from_the_priors(tmp_path, capsys,
                                                                                           tmp_priors, monkeypatch):
    import calibrate_omega

    grid = presets.PRESETS["kl_calibration_1m"]().jobs
    assert sorted(j.id.replace("kl_calibration", "calibration").replace("beta", "omega") for j in grid) == sorted(
        j.id for j in presets.PRESETS["calibration_1m"]().jobs)  # the same grid, seeds and budget as omega''s
    assert all("--kl-coef" in j.args and "--omega-prime" not in j.args for j in grid)
    totals = {0.001: (3000.0, 1000.0), 0.003: (3400.0, 1000.0), 0.01: (3600.0, 700.0), 0.03: (2000.0, 1000.0)}
    for job in grid:
        if job.env_id == "Walker2d-v4":
            w = float(job.label.split("=")[1])
            total, length = totals[w]
            fake_run(tmp_path / "grid", job, {"eval": task_eval(total + 500.0, -500.0, 0.1, length),
                                              "eval_initial": task_eval(3000.0, -500.0, 0.25),
                                              "args": {"omega_prime": w, "kl_coef": w}})
    for job in presets.PRESETS["kl_calibration_edge"]().jobs:  # the choice's ladder neighbours have run
        if job.env_id == "Walker2d-v4" and job.label == "beta=0.0003":
            fake_run(tmp_path / "edge", job, {"eval": task_eval(2500.0, -500.0, 0.1),
                                              "eval_initial": task_eval(3000.0, -500.0, 0.25),
                                              "args": {"omega_prime": 0.0003, "kl_coef": 0.0003}})
    kl = ["--preset", "kl_calibration_1m", "--out", str(tmp_path / "grid"), "--extend-edges",
          "--edge-out", str(tmp_path / "edge")]
    calibrate_omega.main(kl)
    out = capsys.readouterr().out
    assert "| env | beta | validation seeds |" in out
    # 0.01 has the highest total but fell: 0.003 is chosen, final (0.001 and 0.01 ran)
    assert "| Walker2d-v4 | 0.003 | 2 | 1.00, 1.00 | 3400.0 | **yes**: highest" in out and "next" not in out
    beta_file = tmp_path / "kl_beta.json"
    monkeypatch.setattr(presets, "KL_BETA_FILE", str(beta_file))
    before = {p.name: p.read_bytes() for p in tmp_priors.iterdir()}
    calibrate_omega.main([*kl, "--write"])
    assert json.loads(beta_file.read_text())["Walker2d-v4"]["beta"] == 0.003
    assert presets.kl_betas()["Walker2d-v4"]["chosen_by"].startswith("benchmark/calibrate_omega.py --preset kl_calibration_1m")
    assert {p.name: p.read_bytes() for p in tmp_priors.iterdir()} == before  # the priors are not the baseline's
    # an env whose grid is still running is not written, and does not hold back the envs that are final
    hopper = next(j for j in grid if j.env_id == "Hopper-v4")
    fake_run(tmp_path / "grid", hopper, {"eval": task_eval(3500.0, -500.0, 0.1), "eval_initial": task_eval(3000.0, -500.0, 0.25),
                                         "args": {"omega_prime": 0.001, "kl_coef": 0.001}})
    beta_file.unlink()
    with pytest.raises(SystemExit, match="incomplete for Hopper-v4: nothing written for it"):
        calibrate_omega.main([*kl, "--write"])
    assert list(json.loads(beta_file.read_text())) == ["Walker2d-v4"]
    with pytest.raises(SystemExit, match="does not apply to KL PPO"):
        calibrate_omega.main([*kl, "--confirm", "--episodes", "2", "--at-least-alpha-hat"])


def test_extend_edges_extends_the_grid_while_the_choice_sits_on_its_edge(tmp_path, capsys, tmp_priors):
    import calibrate_omega

    two = lambda total: [(1000, 1000, total), (1000, 1000, total)]  # noqa: E731  (two kept validation seeds)
    grid = {0.001: two(3000.0), 0.003: two(2900.0), 0.01: two(2500.0), 0.03: two(2000.0)}
    assert calibrate_omega.unmeasured_neighbour(0.001, grid, 2) == 0.0003  # lower edge: extend down
    assert calibrate_omega.unmeasured_neighbour(0.03, grid, 2) == 0.1  # upper edge: extend up
    assert calibrate_omega.unmeasured_neighbour(0.003, grid, 2) is None  # both neighbours measured: done
    assert calibrate_omega.unmeasured_neighbour(0.001, {**grid, 0.0003: two(1.0)[:1]}, 2) == 0.0003  # one seed only
    assert calibrate_omega.unmeasured_neighbour(0.0001, {0.0001: two(1.0), 0.0003: two(1.0)}, 2) is None  # ladder end

    # the full loop on fake runs: HalfCheetah's 1M-step grid picks 0.001, so --extend-edges asks for 0.0003 and refuses to
    # write; once 0.0003 has run (and lost), 0.001 has both neighbours and is final
    def fake(preset, omega, total):
        for job in presets.PRESETS[preset]().jobs:
            if job.env_id == "HalfCheetah-v4" and job.label == f"omega'={omega}":
                fake_run(tmp_path / preset, job, {"eval": task_eval(total + 1000.0, -1000.0, 0.1), "args": {"omega_prime": omega},
                                         "eval_initial": task_eval(5000.0, -2500.0, 0.25)})

    for w, rs in grid.items():
        fake("calibration_1m", w, rs[0][2])
    grid1m = ["--preset", "calibration_1m", "--out", str(tmp_path / "calibration_1m")]
    edges = [*grid1m, "--extend-edges", "--edge-out", str(tmp_path / "calibration_edge")]
    calibrate_omega.main(grid1m)  # the grid alone: final
    assert "| HalfCheetah-v4 | 0.001 | 2 | 1.00, 1.00 | 3000.0 | **yes**: highest" in capsys.readouterr().out
    calibrate_omega.main(edges)
    out = capsys.readouterr().out
    assert "**yes**: provisional (run omega' 0.0003 next)" in out
    assert f"--preset calibration_edge --only HalfCheetah-v4__omega0.0003__ --out {tmp_path / 'calibration_edge'}" in out
    with pytest.raises(SystemExit, match="incomplete for HalfCheetah-v4.*finish it: the 'next' lines"):
        calibrate_omega.main([*edges, "--write"])
    capsys.readouterr()
    with pytest.raises(SystemExit, match="--extend-edges refines.*--preset calibration_1m"):  # not on the 500k grid
        calibrate_omega.main(["--preset", "calibration", "--out", str(tmp_path / "calibration_1m"), "--extend-edges"])
    fake("calibration_edge", 0.0003, 2800.0)
    calibrate_omega.main(edges)
    out = capsys.readouterr().out
    assert "| HalfCheetah-v4 | 0.0003 | 2 | 1.00, 1.00 | 2800.0 |  |" in out
    assert "| HalfCheetah-v4 | 0.001 | 2 | 1.00, 1.00 | 3000.0 | **yes**: highest" in out and "next (edge)" not in out


def test_confirmation_confirms_the_choice_on_two_more_seeds_and_strikes_a_value_that_falls(tmp_path, capsys, tmp_priors):
    import calibrate_omega

    two = lambda total, length=1000: [(1000, length, total), (1000, length, total)]  # noqa: E731
    runs = {0.001: two(5900.0), 0.003: two(5600.0, 870), 0.01: two(5400.0), 0.03: two(4200.0)}
    assert calibrate_omega.confirm(runs, {}, 2)[::2] == (0.001, 0.001)  # rank 1: confirm it first
    assert calibrate_omega.confirm(runs, {0.001: two(6000.0)[:1]}, 2)[::2] == (0.001, 0.001)  # one seed still to run
    assert calibrate_omega.confirm(runs, {0.001: two(6000.0)}, 2)[::2] == (0.001, None)  # confirmed
    struck = {0.001: [(1000, 1000, 6000.0), (1000, 900, 6000.0)]}  # one seed falls: struck, the next one is asked for
    assert calibrate_omega.confirm(runs, struck, 2)[::2] == (0.01, 0.01)  # 0.003 never qualified on seeds 4-5
    # seeds 6-7 strike, never promote: a high total there does not lift 0.01 above a confirmed 0.001
    assert calibrate_omega.confirm(runs, {0.001: two(5000.0), 0.01: two(9000.0)}, 2)[::2] == (0.001, None)
    everything_falls = {w: two(1.0, 500) for w in runs}
    assert calibrate_omega.confirm(runs, everything_falls, 2)[::2] == (0.03, None)  # none left: the largest

    # through main: Ant's grid on fake runs; the choice's neighbour 0.0003 has run (the edge is done)
    def fake(preset, omega, total, length=1000.0, seeds=None):
        for job in presets.PRESETS[preset]().jobs:
            if job.env_id == "Ant-v4" and job.label == f"omega'={omega}" and (seeds is None or job.seed in seeds):
                fake_run(tmp_path / preset, job, {"eval": task_eval(total + 1000.0, -1000.0, 0.1, length),
                                                  "eval_initial": task_eval(5000.0, -2500.0, 0.25),
                                                  "args": {"omega_prime": omega}})

    for w, rs in {**runs, 0.0003: two(5100.0)}.items():
        fake("calibration_edge" if w == 0.0003 else "calibration_1m", w, rs[0][2], rs[0][1])
    confirmed = ["--preset", "calibration_1m", "--out", str(tmp_path / "calibration_1m"), "--confirm",
             "--edge-out", str(tmp_path / "calibration_edge"), "--confirm-out", str(tmp_path / "calibration_confirm")]
    calibrate_omega.main(confirmed)
    out = capsys.readouterr().out
    assert "next (confirmation): python benchmark/run.py --preset calibration_confirm --only Ant-v4__omega0.001__" in out
    with pytest.raises(SystemExit, match="incomplete for Ant-v4.*finish it: the 'next' lines"):
        calibrate_omega.main([*confirmed, "--write"])
    fake("calibration_confirm", 0.001, 6000.0, 900.0, seeds=(6,))  # falls on seed 6: struck
    calibrate_omega.main(confirmed)
    out = capsys.readouterr().out
    assert "| Ant-v4 | 0.001 | 2 | 1.00, 1.00 | 5900.0 | 0.90; 6000.0 |  |" in out
    assert "--only Ant-v4__omega0.01__" in out
    fake("calibration_confirm", 0.01, 5000.0)
    calibrate_omega.main(confirmed)
    out = capsys.readouterr().out
    assert "| Ant-v4 | 0.01 | 2 | 1.00, 1.00 | 5400.0 | 1.00, 1.00; 5000.0 | **yes**: rank 2" in out and "next" not in out
    with pytest.raises(SystemExit, match="--confirm refines"):
        calibrate_omega.main(["--preset", "calibration", "--confirm"])


def test_recorded_commands_drop_both_checkouts_roots(tmp_path):
    import run

    (tmp_path / "main" / ".git").mkdir(parents=True)  # the checkout the results go to (a worktree ran the jobs)
    out = tmp_path / "main" / "benchmark" / "results" / "x"
    text = f"--runs-dir {out}/runs/job --prior-path {run.ROOT}/priors/Hopper-v4.pt"
    assert run.repo_relative(text, str(out)) == ("--runs-dir benchmark/results/x/runs/job "
                                                 "--prior-path priors/Hopper-v4.pt")


def test_a_report_of_a_folder_without_runs_is_one_line_of_error(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmark", "preset_report.py"), "--preset", "ablation",
                           "--out", str(tmp_path / "missing")], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip().splitlines() == [
        f"error: no results store (runs.csv) nor runs folder in {tmp_path / 'missing'}: run `python benchmark/run.py "
        "--preset ablation` first"]
    assert not (tmp_path / "missing").exists()  # nothing written


def test_an_only_that_matches_no_job_is_one_line_of_error(tmp_path):
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmark", "run.py"), "--preset", "smoke", "--only",
                           "no_such_job", "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: no job of preset smoke has 'no_such_job' in its id"]
    assert not (tmp_path / "out").exists()


def test_episodes_reevaluates_saved_checkpoints_and_judges_the_runs_on_them(tmp_path, capsys):
    import shutil

    import calibrate_omega
    import reevaluate

    # a finished Hopper run whose saved policy is the shipped prior itself: its re-evaluation must equal the prior's
    job = next(j for j in presets.PRESETS["calibration_1m"]().jobs if j.env_id == "Hopper-v4" and j.seed == 4)
    fake_run(tmp_path, job, {"eval": task_eval(3000.0, 4000.0, 1.4, 400.0), "eval_initial": task_eval(3600.0, 4400.0, 1.4),
                             "args": {"omega_prime": float(job.label.split("=")[1])}})
    run_dir = os.path.join(tmp_path, "runs", job.id, "run")
    shutil.copy(os.path.join(ROOT, "priors", "Hopper-v4.pt"), os.path.join(run_dir, "agent.pt"))
    reevaluate.main(["--preset", "calibration_1m", "--out", str(tmp_path), "--episodes", "2"])
    with open(os.path.join(run_dir, "reeval_2.json")) as f:
        r = json.load(f)
    assert r["eval"]["episodes"] == 2 and r["eval_seed"] == 50_000
    assert r["eval"]["total_return_mean"] == r["eval_prior"]["total_return_mean"]  # same policy, same episodes
    mtime = os.path.getmtime(os.path.join(run_dir, "reeval_2.json"))
    reevaluate.main(["--preset", "calibration_1m", "--out", str(tmp_path), "--episodes", "2"])  # resumes: skipped
    assert os.path.getmtime(os.path.join(run_dir, "reeval_2.json")) == mtime
    capsys.readouterr()

    # calibrate_omega --episodes judges the run on the re-evaluation (kept length) instead of its own 10 (400 steps)
    calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path), "--confirm", "--episodes", "2",
                          "--edge-out", str(tmp_path / "edge"), "--confirm-out", str(tmp_path / "confirm")])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("| Hopper-v4"))
    assert "| 1 | 1.00 |" in line
    calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path)])
    assert "| 1 | 0.40 |" in capsys.readouterr().out  # without it, the run's own evaluation
    with pytest.raises(SystemExit, match="--episodes judges the confirmed choice"):
        calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path), "--episodes", "2"])


def test_at_least_alpha_hat_chooses_only_among_omega_at_least_alpha_hat_and_never_asks_for_one_below(tmp_path, capsys):
    import calibrate_omega

    two = lambda total: [(1000, 1000, total), (1000, 1000, total)]  # noqa: E731
    assert calibrate_omega.unmeasured_neighbour(0.001, {0.001: two(1.0)}, 2) == 0.0003
    assert calibrate_omega.unmeasured_neighbour(0.001, {0.001: two(1.0)}, 2, floor=0.001) == 0.003  # not 0.0003
    assert calibrate_omega.unmeasured_neighbour(0.001, {0.001: two(1.0), 0.003: two(1.0)}, 2, floor=0.001) is None

    # HalfCheetah on fake runs judged on their 2-episode re-evaluations: 0.0003 has the best total but sits below
    # alpha_hat = 0.001, so --episodes alone takes it and --at-least-alpha-hat takes 0.001, confirmed on seeds 6-7
    totals = {0.0001: 2100.0, 0.0003: 3350.0, 0.001: 3290.0, 0.003: 3220.0, 0.01: 2580.0, 0.03: 2300.0}

    def fake(preset, omega, total, alpha_hat=0.001):
        for job in presets.PRESETS[preset]().jobs:
            if job.env_id == "HalfCheetah-v4" and job.label == f"omega'={omega}":
                fake_run(tmp_path / preset, job, {"args": {"omega_prime": omega, "alpha_hat": alpha_hat}})
                with open(tmp_path / preset / "runs" / job.id / "run" / "reeval_2.json", "w") as f:
                    json.dump({"eval": task_eval(total + 100.0, -100.0, 0.01),
                               "eval_prior": task_eval(5000.0, -2800.0, 0.28)}, f)

    for w, total in totals.items():
        fake("calibration_1m" if w in presets.CALIBRATION_GRID else "calibration_edge", w, total)
    for w in (0.0003, 0.001):
        fake("calibration_confirm", w, 3300.0)
    judged100 = ["--preset", "calibration_1m", "--out", str(tmp_path / "calibration_1m"), "--confirm", "--episodes", "2",
             "--edge-out", str(tmp_path / "calibration_edge"), "--confirm-out", str(tmp_path / "calibration_confirm")]
    calibrate_omega.main(judged100)
    assert "| HalfCheetah-v4 | 0.0003 | 2 | 1.00, 1.00 | 3350.0 | 1.00, 1.00; 3300.0 | **yes**" in capsys.readouterr().out
    calibrate_omega.main([*judged100, "--at-least-alpha-hat"])
    out = capsys.readouterr().out
    assert ("| HalfCheetah-v4 | 0.0003 | 2 | 1.00, 1.00 | 3350.0 | 1.00, 1.00; 3300.0 | below alpha_hat = 0.001, not a "
            "candidate |") in out
    assert "| HalfCheetah-v4 | 0.001 | 2 | 1.00, 1.00 | 3290.0 | 1.00, 1.00; 3300.0 | **yes**: rank 1" in out
    assert "next" not in out
    with pytest.raises(SystemExit, match="--at-least-alpha-hat restricts.*--confirm --episodes"):
        calibrate_omega.main(["--preset", "calibration_1m", "--out", str(tmp_path / "calibration_1m"),
                              "--at-least-alpha-hat"])
    fake("calibration_edge", 0.1, 2000.0, alpha_hat=0.0)  # a run at another alpha_hat: the floor is ambiguous
    with pytest.raises(SystemExit, match="one alpha_hat across HalfCheetah-v4's runs, found \\[0.0, 0.001\\]"):
        calibrate_omega.main([*judged100, "--at-least-alpha-hat"])


def test_cached_reevaluation_of_a_run_outside_a_preset_is_computed_once(tmp_path):
    import shutil

    import reevaluate

    # a run folder holding the shipped Hopper prior as its agent: re-evaluated on first use, read back after
    shutil.copy(os.path.join(ROOT, "priors", "Hopper-v4.pt"), tmp_path / "agent.pt")
    first = reevaluate.cached(str(tmp_path), "Hopper-v4", episodes=2)
    path = tmp_path / "reeval_2.json"
    mtime = os.path.getmtime(path)
    assert first["episodes"] == 2 and reevaluate.cached(str(tmp_path), "Hopper-v4", episodes=2) == first
    assert os.path.getmtime(path) == mtime  # not evaluated again
    assert first == reevaluate.evaluate_checkpoint(str(tmp_path / "agent.pt"), "Hopper-v4", 2)  # main's own evaluation


def test_reevaluation_covers_full_policies_and_the_report_tables_it(tmp_path, capsys):
    import shutil

    import reevaluate

    # a Residual PPO run and a Full policy job whose saved policies are the shipped Hopper prior: each re-evaluation
    # must equal the prior's over the same episodes, the Full policy's read from the job's prior.pt (run.py's --out)
    jobs = [j for j in presets.PRESETS["customization"]().jobs if j.env_id == "Hopper-v4" and j.seed == 1
            and j.label in ("Residual PPO", "Full policy")]
    prior = os.path.join(ROOT, "priors", "Hopper-v4.pt")
    for job in jobs:
        fake_run(tmp_path, job, {"eval": task_eval(300.0, 400.0, 1.4, 400.0), "eval_initial": task_eval(1, 1, 1),
                                 "eval_task": task_eval(300.0, 400.0, 1.4, 400.0), "args": {}})
        folder = os.path.join(tmp_path, "runs", job.id)
        shutil.copy(prior, os.path.join(folder, "prior.pt" if job.script == "prior_train.py" else "run/agent.pt"))
    reevaluate.main(["--preset", "customization", "--out", str(tmp_path), "--episodes", "2"])
    assert "2 to re-evaluate over 2 episodes" in capsys.readouterr().out
    results = reports.load(str(tmp_path), presets.PRESETS["customization"]())
    table = reports.customization_tables(results, evaluation=reports.reeval(2), stochastic=False)
    prior_row = next(x for x in table.splitlines() if x.startswith("| Prior policy |"))
    total = prior_row.split(" | ")[3]
    assert total != "n/a" and float(total.split()[0]) > 5000  # the prior's own total, not the fake summaries' 700
    for label in ("Residual PPO", "Full policy"):
        row = next(x for x in table.splitlines() if x.startswith(f"| {label} |"))
        assert row.split(" | ")[3] == total  # same policy, same episodes
    assert "total, stochastic" not in table and "| KL PPO | n/a |" in table
    assert reports.customization_tables(results, evaluation=reports.reeval(3)) == ""  # no such re-evaluation


def test_prior_term_chooses_the_learner_form_only_where_it_keeps_the_length_and_totals_more():
    import choose_prior_term as chooser

    def runs(centred, learner):
        return {"centred": dict(zip((4, 5), centred, strict=True)), "learner": dict(enumerate(learner, start=4))}

    kept, fell = (1000.0, 3300.0), (900.0, 3300.0)  # 95% of a prior's 1000 steps is 950
    higher = runs([kept, kept], [(1000.0, 3700.0), (960.0, 3800.0)])
    assert chooser.choose(higher, 1000.0) == ("learner", "provisional: higher mean total on seeds 4-5; confirm the "
                                            "length on seeds 6-7 next", [("learner", 6), ("learner", 7)])
    higher["learner"].update({6: (1000.0, 3500.0), 7: (990.0, 3600.0)})
    assert chooser.choose(higher, 1000.0)[0] == "learner" and chooser.choose(higher, 1000.0)[2] == []
    higher["learner"][7] = (900.0, 3900.0)  # struck on seed 7, however high its total
    assert chooser.choose(higher, 1000.0)[:2] == ("centred", "learner (higher mean total on seeds 4-5) fell short of "
                                                "the episode length on seeds 6-7: centred stays")
    assert chooser.choose(runs([kept, kept], [kept, kept]), 1000.0)[0] == "centred"  # a tie keeps the form in force
    assert chooser.choose(runs([kept, kept], [(1000.0, 3000.0), kept]), 1000.0)[0] == "centred"  # lower mean total
    assert chooser.choose(runs([kept, kept], [(1000.0, 9000.0), fell]), 1000.0)[0] == "centred"  # learner fell
    short = chooser.choose(runs([fell, kept], [(1000.0, 1000.0), kept]), 1000.0)  # centred fell: learner, if it keeps
    assert short[:2] == ("learner", "provisional: centred fell short of the episode length on seeds 4-5; confirm the "
                                    "length on seeds 6-7 next")
    assert chooser.choose({"centred": {4: kept}}, 1000.0) == (None, "pending: validation runs missing",
                                                            [("centred", 5), ("learner", 4), ("learner", 5)])


def test_prior_term_writes_only_finished_choices_and_names_the_runs_still_missing(tmp_path, capsys):
    import choose_prior_term as chooser

    import residual_ppo_continuous as residual

    def ev(length, total):
        return {"length_mean": length, "total_return_mean": total, "basic_return_mean": total,
                "addon_metric_mean": 0.01}

    with open(tmp_path / "prior_eval_100.json", "w") as f:  # the priors on the 100 episodes, known in advance
        json.dump({env: ev(1000.0, 2000.0) for env in chooser.ENVS}, f)
    for form, seed, total in (("centred", 4, 3300.0), ("centred", 5, 3300.0), ("learner", 4, 3700.0),
                              ("learner", 5, 3800.0), ("learner", 6, 3700.0), ("learner", 7, 3700.0)):
        run_dir = os.path.join(chooser.job_folder(str(tmp_path), "HalfCheetah-v4", form, seed), "run")
        os.makedirs(run_dir)
        for name, content in (("summary.json", {}), ("reeval_100.json", {"eval": ev(1000.0, total)})):
            with open(os.path.join(run_dir, name), "w") as f:
                json.dump(content, f)
    priors = tmp_path / "priors"
    priors.mkdir()
    for env in chooser.ENVS:  # the shipped priors as they were before choose_prior_term wrote into any of them
        ckpt = residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env}.pt"))
        ckpt.pop("prior_term", None), ckpt.pop("prior_term_rule", None)
        residual.save_checkpoint(str(priors / f"{env}.pt"), ckpt)
    chooser.main(["--out", str(tmp_path), "--priors", str(priors), "--write"])
    out = capsys.readouterr().out
    assert "| HalfCheetah-v4 | learner | 4 | 1.00 | 3700.0 | 0.010 | 3700.0 | 3750.0 | **yes**: higher mean total" in out
    assert (f"next: python residual_ppo_continuous.py --env-id Ant-v4 --seed 4 --prior-term centred --save-model "
            f"--no-progress --runs-dir {os.path.relpath(chooser.job_folder(str(tmp_path), 'Ant-v4', 'centred', 4), ROOT)}"
            in out)
    assert "Ant-v4: not written (pending)" in out
    written = residual.load_checkpoint(str(priors / "HalfCheetah-v4.pt"))
    assert written["prior_term"] == "learner" and written["prior_term_rule"].startswith("benchmark/choose_prior_term.py")
    assert "prior_term" not in residual.load_checkpoint(str(priors / "Ant-v4.pt"))


def test_the_shipped_priors_carry_the_prior_term_chosen_from_the_committed_runs():
    # the results store of the prior-term runs (benchmark/results/research/prior_term_form) holds their 100-episode
    # re-evaluations and the priors' on the same episodes: a prior whose choice is final carries it, a prior still
    # pending carries none (and keeps the centred default)
    import choose_prior_term as chooser
    import store

    import residual_ppo_continuous as residual

    out = store.results_dir("prior_term_form")
    assert os.path.exists(os.path.join(out, "runs.csv"))
    prior_lengths = {env: chooser.prior_eval(out, None, env)["length_mean"] for env in chooser.ENVS}
    for env in chooser.ENVS:
        form, why, _ = chooser.choose(chooser.collect(out, env)[0], prior_lengths[env])
        final = form is not None and not why.startswith("provisional")
        ckpt = residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env}.pt"))
        assert ckpt.get("prior_term") == (form if final else None), env


def test_the_budget_rule_picks_the_smallest_budget_that_keeps_the_gain_without_more_falls(monkeypatch):
    import choose_budget
    import report

    cells = {}  # steps -> (mean total, share of the 1M gain, seeds, falls, episodes), as report.budget_share gives
    monkeypatch.setattr(report, "budget_share", lambda points, env, steps: cells.get(steps))
    cells.update({1_000_000: (0, 1.0, 3, 2, 300), 100_000: (0, 0.97, 3, 3, 300), 250_000: (0, 0.94, 3, 0, 300),
                  500_000: (0, 0.96, 3, 2, 300)})
    assert choose_budget.choose(None, "Hopper-v4")[0] == 500_000  # 100k falls more often, 250k keeps too little
    cells[250_000] = (0, 0.95, 2, 0, 200)
    steps, why = choose_budget.choose(None, "Hopper-v4")
    assert steps is None and why.startswith("pending: 250k has 2 of 3")  # a smaller budget may still qualify
    cells[250_000] = (0, 0.95, 3, 0, 300)
    assert choose_budget.choose(None, "Hopper-v4")[0] == 250_000
    cells.update({b: (0, 0.5, 3, 0, 300) for b in (100_000, 250_000, 500_000)})
    assert choose_budget.choose(None, "Hopper-v4")[0] == 1_000_000
    del cells[1_000_000]
    assert choose_budget.choose(None, "Hopper-v4")[0] is None


def test_the_shipped_priors_carry_the_budget_chosen_from_the_committed_runs(tmp_path, capsys):
    # choose_budget.py --write, on copies of the shipped priors without a budget, writes the budgets they ship with
    import choose_budget

    import residual_ppo_continuous as residual

    envs = ("HalfCheetah-v4", "Hopper-v4", "Ant-v4", "Walker2d-v4")
    for env in envs:
        ckpt = residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env}.pt"))
        del ckpt["total_timesteps"]
        residual.save_checkpoint(str(tmp_path / f"{env}.pt"), ckpt)
    choose_budget.main(["--priors", str(tmp_path), "--write"])
    assert "not written" not in capsys.readouterr().out
    for env in envs:
        shipped = residual.load_checkpoint(os.path.join(ROOT, "priors", f"{env}.pt"))
        written = residual.load_checkpoint(str(tmp_path / f"{env}.pt"))
        assert written["total_timesteps"] == shipped["total_timesteps"], env
        assert written["total_timesteps_rule"].startswith("benchmark/choose_budget.py")


# ---------------------------------------------------------------------------------------------- the results store
def fake_raw_run(raw, job_id, seed, total, command=None, episodes=(1000.0, 400.0)):
    """A run as benchmark/run.py lays it out: runs/<job>/command.txt, log.txt, the script's run folder with
    summary.json, reeval_100.json and TensorBoard events (two iterations of 2048 steps, three episodes)."""
    from torch.utils.tensorboard import SummaryWriter

    job = os.path.join(raw, "runs", job_id)
    run = os.path.join(job, f"Hopper-v4__residual_ppo_continuous__{seed}__1")
    os.makedirs(run)
    with open(os.path.join(job, "command.txt"), "w") as f:
        f.write((command or f"python residual_ppo_continuous.py --env-id Hopper-v4 --seed {seed}") + "\n")
    open(os.path.join(job, "log.txt"), "w").close()
    ev = {"basic_return": [total - 1, total + 1], "addon_return": [1.0, 1.0], "total_return": [total, total + 2],
          "addon_metric": [0.5, 0.5], "length": list(episodes)}
    summary = {"algorithm": "residual_ppo_continuous", "env_id": "Hopper-v4", "seed": seed, "global_step": 4096,
               "train_time_s": 2.0, "sps": 2048.0, "commit": "abc123",
               "eval": {**{f"{k}_mean": float(np.mean(v)) for k, v in ev.items()}, **ev, "episodes": 2},
               "eval_initial": task_eval(60.0, 40.0, 0.2),
               "args": {"seed": seed, "env_id": "Hopper-v4", "omega_prime": 0.1, "alpha_hat": 0.001,
                        "total_timesteps": 4096}}
    with open(os.path.join(run, "summary.json"), "w") as f:
        json.dump(summary, f)
    with open(os.path.join(run, "reeval_100.json"), "w") as f:
        json.dump({"episodes": 2, "eval": {**task_eval(total + 4, 1.0, 0.5), "total_return": [total + 4, total + 6],
                                           "length": [1000.0, 1000.0]},
                   "eval_prior": task_eval(30.0, 20.0, 0.2)}, f)
    writer = SummaryWriter(run)
    for step, ret in ((100, 10.0), (1500, 20.0), (3000, 60.0)):  # episodes: two in iteration 1, one in iteration 2
        writer.add_scalar("charts/episodic_return", ret, step)
    for step, loss in ((2048, 0.5), (4096, 0.25)):
        writer.add_scalar("losses/value_loss", loss, step)
        writer.add_scalar("charts/SPS", 2000.0, step)
    writer.close()
    return run


def test_ingest_reads_a_raw_folder_into_three_small_tables(tmp_path, monkeypatch):
    import pandas as pd
    import store

    monkeypatch.setattr(store, "CACHE", str(tmp_path / "cache"))
    raw, out = tmp_path / "raw", tmp_path / "store"
    fake_raw_run(raw, "customization__Hopper-v4__Residual_PPO__s1", 1, 3000.0)
    fake_raw_run(raw, "customization__Hopper-v4__KL_PPO__s2", 2, 2000.0,
                 command="python residual_ppo_continuous.py --env-id Hopper-v4 --seed 2 --kl-coef 0.1")
    assert store.main(["ingest", "--quiet", str(raw), str(out)]) is None
    runs = pd.read_csv(out / "runs.csv")
    curves = pd.read_parquet(out / "curves.parquet")
    episodes = pd.read_parquet(out / "episodes.parquet")
    row = runs.set_index("label").loc["KL PPO"]
    assert (row["group"], row["env_id"], row["seed"], row["script"]) == ("customization", "Hopper-v4", 2,
                                                                         "residual_ppo_continuous.py")
    assert row["command"].endswith("--kl-coef 0.1") and row["command_source"] == "command.txt"
    assert row["commit"] == "abc123" and row["eval.total_return_mean"] == 2001.0
    assert row["reeval100.eval.total_return_mean"] == 2005.0 and row["reeval100.eval_prior.total_return_mean"] == 50.0
    assert row["args.omega_prime"] == 0.1 and row["eval_initial.total_return_mean"] == 100.0
    run = curves[curves["run_id"].str.contains("KL_PPO")]
    assert run["step"].tolist() == [2048, 4096]  # one row per iteration
    assert run["charts/episodic_return"].tolist() == [15.0, 60.0] and run["episodes"].tolist() == [2, 1]
    assert run["losses/value_loss"].tolist() == [0.5, 0.25]
    kl = episodes[episodes["run_id"].str.contains("KL_PPO")]
    assert sorted(kl["evaluation"].unique()) == ["eval", "reeval100.eval"]
    assert kl[kl["evaluation"] == "eval"]["length"].tolist() == [1000.0, 400.0]
    assert store.verify([str(raw)], str(out)) == ([], 2)
    # a second raw folder merges in; the runs already there stay, a changed one is replaced
    raw2 = tmp_path / "raw2"
    fake_raw_run(raw2, "customization__Hopper-v4__Greedy_PPO__s3", 3, 1000.0)
    store.ingest([str(raw2)], str(out))
    assert sorted(pd.read_csv(out / "runs.csv")["label"]) == ["Greedy PPO", "KL PPO", "Residual PPO"]
    # what a summary holds, back in summary.json's shape for code written against it
    back = store.summary_of(runs[runs["label"] == "KL PPO"].iloc[0].to_dict())
    assert back["eval"]["total_return_mean"] == 2001.0 and back["args"]["omega_prime"] == 0.1


def test_the_store_reports_a_difference_from_its_raw_runs(tmp_path, monkeypatch):
    import pandas as pd
    import store

    monkeypatch.setattr(store, "CACHE", str(tmp_path / "cache"))
    raw, out = tmp_path / "raw", tmp_path / "store"
    fake_raw_run(raw, "customization__Hopper-v4__Residual_PPO__s1", 1, 3000.0)
    store.ingest([str(raw)], str(out))
    runs = pd.read_csv(out / "runs.csv")
    runs.loc[0, "eval.total_return_mean"] += 1
    runs.to_csv(out / "runs.csv", index=False)
    problems, n = store.verify([str(raw)], str(out))
    assert n == 1 and len(problems) == 1 and "eval.total_return_mean" in problems[0]


def test_ingest_of_a_missing_or_empty_folder_is_one_line_of_error(tmp_path):
    for raw in (tmp_path / "missing", tmp_path):
        done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmark", "store.py"), "ingest", str(raw),
                               str(tmp_path / "store")], capture_output=True, text=True)
        assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("error: ")
    assert not (tmp_path / "store").exists()  # nothing written


def test_a_store_reads_back_as_the_reports_expect(tmp_path, monkeypatch):
    # the preset reports read a store exactly as they read the raw runs it came from
    import store

    monkeypatch.setattr(store, "CACHE", str(tmp_path / "cache"))
    jobs = [presets.Job("customization", "Residual PPO", "Hopper-v4", s, "residual_ppo_continuous.py") for s in (1, 2)]
    for job, total in zip(jobs, (3000.0, 3400.0), strict=True):
        fake_raw_run(tmp_path / "raw", job.id, job.seed, total)
    preset = presets.Preset("synthetic", "known numbers", jobs)
    from_raw = reports.load(str(tmp_path / "raw"), preset)
    store.ingest([str(tmp_path / "raw")], str(tmp_path / "store"))
    from_store = reports.load(str(tmp_path / "store"), preset)
    table = reports.customization_tables(from_store, stochastic=False)
    assert table == reports.customization_tables(from_raw, stochastic=False)
    assert "| 3201.0 ± 200.0 (n=2) |" in table  # total: (3001 + 3401) / 2
    assert reports.customization_tables(from_store, evaluation=reports.reeval(100), stochastic=False) == \
        reports.customization_tables(from_raw, evaluation=reports.reeval(100), stochastic=False)
    steps, values = reports.read_curve(None, "charts/episodic_return", from_store[jobs[0]])
    assert steps.tolist() == [2048.0, 4096.0] and values.tolist() == [15.0, 60.0]


# ------------------------------------------------------------------------------------------------------- report.py
def test_report_check_names_a_changed_table_and_a_stale_page(tmp_path, monkeypatch):
    import shutil

    import report

    results = tmp_path / "results"
    shutil.copytree(os.path.join(ROOT, "benchmark", "results", "ppo_1M"), results / "ppo_1M",
                    ignore=shutil.ignore_patterns("runs", "logs"))
    monkeypatch.setattr(report, "RESULTS", str(results))
    monkeypatch.setattr(report, "_STORES", {})
    page = tmp_path / "page.md"
    page.write_text("intro\n<!-- table:ppo_vs_cleanrl -->\nold numbers\n<!-- /table:ppo_vs_cleanrl -->\n"
                    "<!-- table:no_such_table -->\nkept\n<!-- /table:no_such_table -->\n")
    names = ["ppo_vs_cleanrl"]
    assert report.run_all(True, [str(page)], names) == [str(page)]  # the page's block is stale; the table file matches
    report.run_all(False, [str(page)], names)
    text = page.read_text()
    assert "| HalfCheetah-v4 | 1, 2 | 1808.5 ± 84.9 (1893.4, 1723.6) |" in text and "old numbers" not in text
    assert "<!-- table:no_such_table -->\nkept\n" in text  # a block the report does not know is left alone
    assert report.run_all(True, [str(page)], names) == []
    table = results / "ppo_1M" / "table.md"
    table.write_text(table.read_text().replace("1808.5", "1808.6"))
    assert report.run_all(True, [str(page)], names) == [str(table)]
    done = subprocess.run([sys.executable, os.path.join(ROOT, "benchmark", "report.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip().startswith("error: --check")


def test_aggregate_scores_put_the_prior_at_0_and_the_best_method_at_1(monkeypatch):
    import pandas as pd
    import report

    totals = {"Prior policy": [100.0], "Greedy PPO": [150.0, 250.0], "KL PPO": [300.0, 300.0],
              "KL PPO (calibrated beta)": [], "Residual PPO": [500.0, 300.0],
              "Residual PPO (literal prior term)": [0.0, 0.0], "Full policy": [1.0, 1.0]}

    def rows(env, method):
        key = "reeval100.eval_prior" if method == "Prior policy" else "reeval100.eval"
        return "x", pd.DataFrame({f"{key}.total_return_mean": totals[method]}, dtype=float)

    monkeypatch.setattr(report, "customization_rows", rows)
    scores, norm = report.aggregate_scores()
    assert norm["Hopper-v4"] == (100.0, 400.0)  # Residual PPO's mean is the best
    assert scores["Residual PPO"][:, 0].tolist() == [4 / 3, 2 / 3] and scores["Greedy PPO"][:, 0].tolist() == [1 / 6, 0.5]
    # the beta = omega' rows are named as such; the calibrated row enters only once it has runs
    assert scores["KL PPO (beta = omega')"].shape == (2, 4) and set(scores) == {
        "Residual PPO", "KL PPO (beta = omega')", "Greedy PPO"}
    totals["KL PPO (calibrated beta)"] = [400.0, 600.0]
    scores, norm = report.aggregate_scores()
    assert norm["Ant-v4"] == (100.0, 500.0) and scores["KL PPO (calibrated beta)"][:, 3].tolist() == [0.75, 1.25]


def test_dominance_finds_the_residual_points_at_least_as_good_on_both_means():
    import report

    a = np.array
    points = {"Residual PPO": {0.01: (a([10.0, 12.0]), a([5.0, 5.0])), 0.1: (a([20.0]), a([1.0]))},
              "KL PPO": {0.01: (a([9.0, 11.0]), a([4.0, 6.0])), 0.03: (a([15.0]), a([4.0]))}}
    # beta 0.01 ties omega' 0.01 on the add-on mean and loses on the basic one; beta 0.03 is matched by neither
    assert report.dominance(points) == [(0.01, [0.01]), (0.03, [])]


def test_the_next_runs_named_by_calibrate_omega_are_jobs_of_their_preset(tmp_path, capsys):
    """The --only text of a 'next' line must select the runs it names, up to the ladder's last value (1.0, whose job
    id spells '1.0')."""
    import calibrate_omega

    totals = {0.001: 7000.0, 0.003: 7100.0, 0.01: 7200.0, 0.03: 8300.0, 0.1: 8500.0, 0.3: 8600.0}
    for preset in ("kl_calibration_1m", "kl_calibration_edge"):
        for job in presets.PRESETS[preset]().jobs:
            w = float(job.label.split("=")[1])
            if job.env_id == "Hopper-v4" and w in totals:
                fake_run(tmp_path / preset, job, {"eval": task_eval(totals[w] - 5000.0, 5000.0, 1.5),
                                                  "eval_initial": task_eval(3600.0, 4400.0, 1.5),
                                                  "args": {"omega_prime": w, "kl_coef": w}})
    calibrate_omega.main(["--preset", "kl_calibration_1m", "--out", str(tmp_path / "kl_calibration_1m"), "--extend-edges",
                          "--edge-out", str(tmp_path / "kl_calibration_edge")])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("next")]
    assert len(lines) == 1 and "--only Hopper-v4__beta1.0__" in lines[0]
    only = lines[0].split("--only ")[1].split()[0]
    assert sorted(j.seed for j in presets.PRESETS["kl_calibration_edge"]().jobs if only in j.id) == [4, 5]
