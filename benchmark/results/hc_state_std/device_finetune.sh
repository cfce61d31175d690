#!/bin/bash
# Fine-tuning from the chosen state-dependent-std prior (seed 2 of device_priors.sh, the highest deterministic basic
# return), on the lent 16-core machine: Greedy PPO, KL PPO and Residual PPO at omega' 0.0003 / 0.001 / 0.003, seeds
# 1-3, at the budget that fits the machine's time left (~480k steps); the 1M-step grid runs on the 2-core VM.
# Writes $OUT/finetune.tar.gz.
set -u
export OMP_NUM_THREADS=1 PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit 1
P=benchmark/results/hc_state_std/device1/priors/HalfCheetah-v4_sds_s2.pt; W=/tmp/ft; STEPS=${STEPS:-479232}; mkdir -p $W
for s in 1 2 3; do
  for m in "greedy --omega-prime 0 --alpha-hat 0" "kl --kl-coef 0.001" "res0.0003 --omega-prime 0.0003" "res0.001 --omega-prime 0.001" "res0.003 --omega-prime 0.003"; do
    set -- $m; name=$1; shift
    python3 residual_ppo_continuous.py --env-id HalfCheetah-v4 --prior-path $P --seed $s --total-timesteps $STEPS "$@" \
      --no-progress --save-model --runs-dir $W/${name}__s$s > $W/${name}__s$s.log 2>&1 &
  done
done
wait
date -u +%FT%TZ > $W/finished.txt
tar czf $OUT/finetune.tar.gz -C $W .
