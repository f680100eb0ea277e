#!/usr/bin/env bash
# The GPU checks of issue 7 in one run, for a device machine's short lease (see ../shared/device/README.md):
#   bash .device/gpu.sh "bash bench/device-check.sh"
# 1. builds the addon against the machine's (CUDA) LibTorch, 2. runs the test suite on the device
# (POF_TEST_DEVICE; the host-sync tests also run under CUDA's sync-debug mode there), 3. benchmarks
# SGD / SAM / PoF / PoF with feature reuse and PyTorch eager at the paper's WRN-28-10, batch 256, plain
# and with channels_last + cuDNN benchmark + bf16 autocast. JSON and logs go to $OUT (default runs/device).
# Settings: DEVICE (cuda), MODEL (wrn-28-10), BATCH (256), STEPS (bench default), SKIP_BUILD=1, SKIP_TESTS=1.
set -uo pipefail
cd "$(dirname "$0")/.."
device=${DEVICE:-cuda} model=${MODEL:-wrn-28-10} batch=${BATCH:-256}
out=${OUT:-runs/device}
mkdir -p "$out"
steps=()
[ -n "${STEPS:-}" ] && steps=(--steps "$STEPS")
status=0
step() {  # step NAME COMMAND...: run it, log it to $out/NAME.log, remember a failure, go on
  local name=$1; shift
  echo "--- $name: $*"
  local started=$SECONDS
  "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "--- $name: exit $rc after $((SECONDS - started)) s"
  [ "$rc" = 0 ] || status=1
}

node dist/lib/cli.js info | tee "$out/info.json"
[ "${SKIP_BUILD:-}" = 1 ] || step build node scripts/build-native.js
[ "${SKIP_TESTS:-}" = 1 ] || step tests env POF_TEST_DEVICE="$device" node scripts/run-tests.js
step bench node dist/bench/run.js --device "$device" --model "$model" --batch "$batch" "${steps[@]}" \
  --json "$out/bench-$model-b$batch.json"
fast=(--channels-last)
[[ $device == cuda* ]] && fast+=(--cudnn-benchmark --autocast bf16)
step bench-fast node dist/bench/run.js --device "$device" --model "$model" --batch "$batch" "${steps[@]}" "${fast[@]}" \
  --no-pytorch --no-profile --json "$out/bench-$model-b$batch-fast.json"
echo "device checks: $([ $status = 0 ] && echo all passed || echo SOME FAILED); results in $out"
exit $status
