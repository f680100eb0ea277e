#!/usr/bin/env bash
# Did PoF help? The study (pof study) on real Fashion-MNIST at a CPU scale, and on the toy set:
#   an MLP-256-256 on 10,000 / 2,000 images, SGD and SAM bases, 5 seeds, the paper's PoF settings (lr 3e-5, γ 2);
#   a grid on the SGD base: PoF lr 3e-5 (the paper), 1.6e-4 (the authors' train.py after epoch 200) and 1e-3,
#   γ fixed at 2 and γ ~ U(0, 4) each step;
#   a WRN-10-1 on 5,000 / 1,000 images, SGD base, 3 seeds, 5 epochs;
#   the toy set, SGD base, 5 seeds.
# Usage: bash bench/study-fashion-mnist.sh [OUT] (default bench/results/study; 14 minutes on 2 cores).
# Needs ../shared/datasets/fashion-mnist beside the checkout, and the built project (npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results/study}
DATA=${FASHION_MNIST:-../shared/datasets/fashion-mnist}
pof() { node dist/lib/cli.js "$@"; }
FM=(--dataset fashion-mnist --data-dir "$DATA" --train-size 10000 --test-size 2000)
mkdir -p "$OUT"

for method in sgd sam; do
  pof train "${FM[@]}" --model mlp-256-256 --method "$method" --epochs 30 --batch-size 128 --lr 0.05 --milestones 15,25 \
    --out "$OUT/mlp-$method-base" --force 2>"$OUT/mlp-$method-base.log"
  pof study "${FM[@]}" --from "$OUT/mlp-$method-base/model.safetensors" --seeds 5 --epochs 10 --batch-size 128 \
    --out "$OUT/mlp-$method-paper" 2>"$OUT/mlp-$method-paper.log" >/dev/null
done

for lr in 3e-5 1.6e-4 1e-3; do
  for mode in fixed uniform; do
    gamma=2; [ "$mode" = uniform ] && gamma=4
    pof study "${FM[@]}" --from "$OUT/mlp-sgd-base/model.safetensors" --seeds 5 --epochs 10 --batch-size 128 --lr "$lr" \
      --gamma "$gamma" --gamma-mode "$mode" --arms pof,gamma0 --hessian-examples 0 \
      --out "$OUT/grid-lr$lr-$mode" 2>"$OUT/grid-lr$lr-$mode.log" >/dev/null
  done
done

SMALL=(--dataset fashion-mnist --data-dir "$DATA" --train-size 5000 --test-size 1000)
pof train "${SMALL[@]}" --model wrn-10-1 --epochs 10 --batch-size 128 --lr 0.05 --milestones 6,9 \
  --out "$OUT/wrn-sgd-base" --force 2>"$OUT/wrn-sgd-base.log"
pof study "${SMALL[@]}" --from "$OUT/wrn-sgd-base/model.safetensors" --seeds 3 --epochs 5 --batch-size 128 --hessian-examples 256 \
  --out "$OUT/wrn-sgd-paper" 2>"$OUT/wrn-sgd-paper.log" >/dev/null

pof train --dataset toy --model mlp-32-32 --epochs 60 --batch-size 64 --lr 0.1 --milestones 40 --out "$OUT/toy-sgd-base" --force \
  2>"$OUT/toy-sgd-base.log"
pof study --dataset toy --from "$OUT/toy-sgd-base/model.safetensors" --seeds 5 --epochs 10 --batch-size 64 \
  --out "$OUT/toy-sgd-paper" 2>"$OUT/toy-sgd-paper.log" >/dev/null

# One summary: each study's arms and verdict.
node -e '
const fs = require("fs"), path = require("path");
const out = process.argv[1];
const lines = ["# pof study: results (bench/study-fashion-mnist.sh)", ""];
for (const name of fs.readdirSync(out).sort()) {
  const file = path.join(out, name, "study.json");
  if (!fs.existsSync(file)) continue;
  const r = JSON.parse(fs.readFileSync(file, "utf8"));
  const s = r.settings;
  lines.push(`## ${name}`, "", `base ${r.base.error.toFixed(2)} %; ${s.seeds} seeds, ${s.epochs} epochs, lr ${s.lr}, γ ${s.gamma} ${s.gammaMode}, ${r.testExamples} test examples`, "");
  for (const a of r.arms) lines.push(`- ${a.arm}: ${a.error.mean.toFixed(2)} % (95 % CI ${a.error.low.toFixed(2)} to ${a.error.high.toFixed(2)})` +
    (Number.isFinite(a.eigenvalue.mean) ? `, top eigenvalue ${a.eigenvalue.mean.toFixed(3)}` : ""));
  for (const v of r.verdict.split("\n")) lines.push(`- ${v}`);
  lines.push("");
}
fs.writeFileSync(path.join(out, "SUMMARY.md"), lines.join("\n"));
' "$OUT"
cat "$OUT/SUMMARY.md"
