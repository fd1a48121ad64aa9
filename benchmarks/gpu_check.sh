#!/usr/bin/env bash
# The one prepared run for a lent GPU machine (issue 18, item 7), as a single command:
#   the GPU sweep (benchmarks/gpu_bench.py) and one short `seqclf train sentiment --device cuda`,
#   each log and table written under $OUT (the device tool's return folder) or ./gpu_check.
#
#   bash benchmarks/gpu_check.sh [SST2_DIR]     # SST2_DIR: a copy of ../shared/data/sst2 carried along
#
# The device machine runs its own image's python3 and torch (no installs there): the seqclf
# source is used from this checkout through PYTHONPATH, and a package the image lacks is
# named before anything runs, so it can be carried as a wheel on the next try.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu_check}"
data="${1:-runs/sst2}"
mkdir -p "$out"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

{
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())"
} 2>&1 | tee "$out/machine.txt"

missing=$(python3 - <<'PY'
import importlib.util
needed = ["torch", "numpy", "safetensors", "huggingface_hub", "sklearn", "scipy", "typer", "rich", "tqdm"]
print(" ".join(n for n in needed if importlib.util.find_spec(n) is None))
PY
)
if [ -n "$missing" ]; then
  echo "the device image lacks: $missing (carry their wheels and pip install them first)" | tee -a "$out/machine.txt"
  exit 2
fi

# 1. the sweep: sequences/s and peak memory, fp32 against the trainer's fp16 autocast + GradScaler
timeout 360 python3 benchmarks/gpu_bench.py 2>&1 | tee "$out/gpu_bench.md"

# 2. one short real training on the GPU, with its log (the card records device and precision)
if [ -d "$data" ]; then
  timeout 180 python3 -m seqclf train sentiment --data "$data" --out "$out/sentiment-cuda" \
    --device cuda --epochs 3 2>&1 | tee "$out/train_sentiment.log"
else
  echo "no SST-2 folder at $data: the training step was skipped" | tee "$out/train_sentiment.log"
fi
