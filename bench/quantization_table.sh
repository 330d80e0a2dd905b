#!/usr/bin/env bash
# Bits per byte, its change against float32, and whole-file bytes per
# parameter for every weight scheme on every tiny model (docs/quantization.md).
#   bench/quantization_table.sh [BUILD_DIR] [TEXT] [JOBS] > table.md
# Needs ../shared/fixtures; runs JOBS plans+ppl at a time (default 2).
set -euo pipefail
build=${1:-build}
text=${2:-tests/data/text/gpl-3.0.txt}
jobs=${3:-2}
# Each ppl gets its share of the cores: jobs that each spin all cores' worth of
# threads ran many times slower than one job at a time.
threads=$(( $(nproc) / jobs )); [ "$threads" -ge 1 ] || threads=1
fixtures=../shared/fixtures/tiny
tool=$build/bin/rwkv-edge
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
models=(4v0-660K 5v1-730K 5v2-730K 6v0-3m-dq 7v0-834K)
schemes=(fp32 fp16 bf16 int8 int8-minmax int4 int4:64)

run_one() {  # model scheme
  local out=$work/$1.$2
  "$tool" plan "$fixtures/tiny-rwkv-$1.pth" -o "$out.rwkv" --quant "$2" --json > "$out.plan.json"
  "$tool" ppl "$out.rwkv" --file "$text" --threads "$threads" --json 2> /dev/null > "$out.ppl.json"
  rm -f "$out.rwkv"
}
export -f run_one
export work fixtures tool text threads
for m in "${models[@]}"; do for s in "${schemes[@]}"; do echo "$m $s"; done; done |
  xargs -P "$jobs" -n 2 bash -c 'run_one "$0" "$1"'

echo "Text: $text ($(wc -c < "$text") bytes). Δ is relative to the same model's fp32 plan."
echo
echo "| model | scheme | bits/byte | Δ | bytes/param (whole file) | file bytes | int4 tables kept at int8 |"
echo "|---|---|---|---|---|---|---|"
for m in "${models[@]}"; do
  base=$(python3 -c "import json;print(json.load(open('$work/$m.fp32.ppl.json'))['bits_per_byte'])")
  for s in "${schemes[@]}"; do
    python3 - "$work/$m.$s" "$m" "$s" "$base" <<'PY'
import json, sys
prefix, model, scheme, base = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
plan = json.load(open(prefix + ".plan.json"))
ppl = json.load(open(prefix + ".ppl.json"))
bpb = ppl["bits_per_byte"]
kept = sum(1 for t in plan["quantized"] if t["wanted"].startswith("int4") and t["stored"] == "int8")
print(f"| {model} | {scheme} | {bpb:.6f} | {(bpb / base - 1) * 100:+.4f}% | {plan['bytes_per_parameter']:.3f} | "
      f"{plan['model_bytes']} | {kept if scheme.startswith('int4') else ''} |")
PY
  done
done
