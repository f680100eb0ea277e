#!/usr/bin/env bash
# The GPU checks of issue 7 in one run, for a GPU machine's short lease:
#   npx tsc -p . && bash bench/device-check.sh
# (on a machine without Node.js, through the shared device scripts: ../shared/device/README.md).
# 1. builds the addon against the machine's (CUDA) LibTorch and checks that it sees the device with its
#    CUDA instrumentation compiled in, 2. runs the test suite on the device (POF_TEST_DEVICE; the host-sync
#    tests then also run under CUDA's sync-debug mode), 3. benchmarks SGD / SAM / PoF / PoF with feature
#    reuse and PyTorch eager at the paper's WRN-28-10, batch 256, plain and with channels_last + cuDNN
#    benchmark + bf16 autocast, 4. times images from a prepared store to the step (on-device crop) against
#    PyTorch's DataLoader, 5. times epochs from a store and a streamed .npy against resident copies. JSON and
#    logs go to $OUT (default runs/device).
# Settings: DEVICE (cuda), MODEL (wrn-28-10), BATCH (256), STEPS (bench default), SKIP_BUILD=1, SKIP_TESTS=1.
set -uo pipefail
cd "$(dirname "$0")/.."
device=${DEVICE:-cuda} model=${MODEL:-wrn-28-10} batch=${BATCH:-256}
out=${OUT:-runs/device}
mkdir -p "$out"
steps=()
[ -n "${STEPS:-}" ] && steps=(--steps "$STEPS")
status=0
step() {  # step NAME COMMAND...: run it, log it to $out/NAME.log; returns its exit status, remembers a failure
  local name=$1; shift
  echo "--- $name: $*"
  local started=$SECONDS
  "$@" 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  echo "--- $name: exit $rc after $((SECONDS - started)) s"
  [ "$rc" = 0 ] || status=1
  return "$rc"
}

[ -f dist/lib/cli.js ] || { echo "no dist/: compile the TypeScript first (npx tsc -p .)"; exit 1; }
if [ "${SKIP_BUILD:-}" != 1 ]; then
  step build node scripts/build-native.js || { echo "device checks: the build failed"; exit 1; }
fi
step info node dist/lib/cli.js info || exit 1
if [[ $device == cuda* ]] && ! grep -q '"cuda": true' "$out/info.log"; then
  echo "device checks: LibTorch sees no CUDA device here"; exit 1
fi
if [[ $device == cuda* ]] && ! grep -q '"cudaInstrumentation": true' "$out/info.log"; then
  echo "note: built without the CUDA runtime headers: no sync-debug check, no peak-memory figure (set CUDA_HOME)"
  status=1
fi
[ "${SKIP_TESTS:-}" = 1 ] || step tests env POF_TEST_DEVICE="$device" node scripts/run-tests.js
step bench node dist/bench/run.js --device "$device" --model "$model" --batch "$batch" ${steps[@]+"${steps[@]}"} \
  --json "$out/bench-$model-b$batch.json"
fast=(--channels-last)
[[ $device == cuda* ]] && fast+=(--cudnn-benchmark --autocast bf16)
step bench-fast node dist/bench/run.js --device "$device" --model "$model" --batch "$batch" ${steps[@]+"${steps[@]}"} "${fast[@]}" \
  --no-pytorch --no-profile --json "$out/bench-$model-b$batch-fast.json"
# Issue 22: images from a prepared store to the step (crop on the device) against PyTorch's DataLoader.
step image-pipeline node dist/bench/image-pipeline.js --device "$device" --images 1280 --json "$out/image-pipeline.json"
# A store and a streamed .npy (pinned host batches, asynchronous copies) against resident copies, and a 4.5 GB store.
step stored-data node dist/bench/stored-data.js --device "$device" --pairs 3 --large-gb 4.5 --json "$out/stored-data.json"
echo "device checks: $([ $status = 0 ] && echo all passed || echo SOME FAILED); results in $out"
exit $status
