#!/usr/bin/env bash
# The customization preset's seed-1 rows, most informative first (the defaults, then the baselines they must beat),
# two jobs at a time; resumable like any grid (finished jobs are skipped).
set -u
for only in Residual_PPO__s1 Greedy_PPO__s1 KL_PPO__s1 Full_policy__s1 "literal_prior_term)__s1"; do
  python benchmark/run.py --preset customization --workers 2 --no-report --only "$only"
done
