#!/usr/bin/env bash
# One device call: every job of jobs.txt as its own single-threaded process, all at once, then one tarball.
# Usage (repo root): bash benchmark/results/rule_explore/device_run.sh STEPS OUTDIR SECONDS
steps=$1; out=$2; limit=$3
here=benchmark/results/rule_explore
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONUNBUFFERED=1
mkdir -p "$out/runs" "$out/logs"
while read -r env name flags; do
  [ -z "$env" ] && continue
  timeout "$limit" python3 residual_ppo_continuous.py --env-id "$env" --seed 1 --total-timesteps "$steps" \
    --eval-episodes 5 --exp-name "$name" --runs-dir "$out/runs" $flags > "$out/logs/${env}_${name}.log" 2>&1 &
done < "$here/jobs.txt"
wait
