#!/bin/bash
# HalfCheetah-v4 priors with a state-dependent std (Soft PPO, alpha = 0.001), seeds 1-16, one per core, on a
# lent 16-core device machine (README.md here). The budget is 1M steps (the shipped priors') unless a 16-way
# speed probe says 1M would not finish in ~7 minutes; then the largest whole number of batches that does.
# Writes $OUT/priors.tar.gz (checkpoints, logs, run folders) and $OUT/budget.txt.
set -u
export OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
if [ -z "${LOCAL_SMOKE:-}" ]; then  # LOCAL_SMOKE=1: a tiny run here, with this machine's packages
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit 1
fi
MAX=${MAX_STEPS:-1000000}; PROBE=${PROBE_STEPS:-20480}; N=${SEEDS:-16}; W=${WORK:-/tmp/sds}; mkdir -p $W/probe $W/priors $W/logs
for s in $(seq 1 $N); do
  python3 soft_ppo_continuous.py --env-id HalfCheetah-v4 --state-dependent-std --seed $s --total-timesteps $PROBE \
    --eval-episodes 0 --no-progress --runs-dir $W/probe > $W/logs/probe_$s.log 2>&1 &
done
wait
STEPS=$(python3 - <<PY
import glob, json
sps = min(json.load(open(f))["sps"] for f in glob.glob("$W/probe/*/summary.json"))
print(min($MAX, int(sps * 400) // 2048 * 2048))
PY
)
echo "probe: slowest of $N parallel runs -> budget $STEPS steps ($(date -u +%FT%TZ))" | tee $OUT/budget.txt
for s in $(seq 1 $N); do
  python3 prior_train.py --env-id HalfCheetah-v4 --state-dependent-std --seed $s --total-timesteps $STEPS \
    --out $W/priors/HalfCheetah-v4_sds_s$s.pt --runs-dir $W/runs --no-progress > $W/logs/prior_s$s.log 2>&1 &
done
wait
date -u +%FT%TZ >> $OUT/budget.txt
grep -h "^wrote\|^measured" $W/logs/prior_s*.log | tee -a $OUT/budget.txt
tar czf $OUT/priors.tar.gz -C $W priors logs && tar czf $OUT/runs.tar.gz -C $W runs
