#!/usr/bin/env bash
# One device call: every job of jobs.txt as its own single-threaded process, all at once, then one tarball.
# Usage (repo root): bash benchmark/results/rule_explore/device_run.sh JOBS STEPS OUTDIR SECONDS
jobs=$1; steps=$2; out=$3; limit=$4
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONUNBUFFERED=1
mkdir -p "$out/runs" "$out/logs"
while read -r env seed name flags; do
  [ -z "$env" ] && continue
  timeout "$limit" python3 residual_ppo_continuous.py --env-id "$env" --seed "$seed" --total-timesteps "$steps" \
    --eval-episodes 5 --exp-name "$name" --runs-dir "$out/runs" $flags > "$out/logs/${env}_${name}_s$seed.log" 2>&1 &
done < "$jobs"
wait
