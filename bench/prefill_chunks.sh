#!/usr/bin/env bash
# Prefill speed by chunk size (plan --max-chunk), decode alongside, in
# alternating rounds so machine noise falls on every size alike.
#   bench/prefill_chunks.sh CHECKPOINT [QUANT] [ROUNDS] [THREADS]
# Prints one line per run and the median prefill/decode ratio per chunk size.
set -euo pipefail
ckpt=${1:?checkpoint}; quant=${2:-int8}; rounds=${3:-3}; threads=${4:-2}
bin=${RWKV_EDGE:-build/bin/rwkv-edge}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chunks=(16 32 64 128)
for c in "${chunks[@]}"; do
  "$bin" plan "$ckpt" -o "$tmp/c$c.rwkv" --quant "$quant" --max-chunk "$c" --json > "$tmp/plan$c.json"
done
for r in $(seq "$rounds"); do
  for c in "${chunks[@]}"; do
    "$bin" bench "$tmp/c$c.rwkv" --tokens 128 --prefill 1024 --threads "$threads" --json > "$tmp/r$r-c$c.json"
    python3 - "$tmp/r$r-c$c.json" "$tmp/plan$c.json" "$c" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
print(f"chunk {sys.argv[3]:>4}: prefill {b['prefill_tok_s']:8.1f} tok/s  decode {b['decode_tok_s']:7.1f} tok/s  "
      f"ratio {b['prefill_over_decode']:.2f}  arena {p['arena_bytes']/2**20:.2f} MiB")
PY
  done
done | tee "$tmp/all.txt"
python3 - "$tmp/all.txt" <<'PY'
import re, statistics, sys
by = {}
for line in open(sys.argv[1]):
    m = re.match(r"chunk\s+(\d+): prefill\s+([\d.]+).*decode\s+([\d.]+).*ratio ([\d.]+)\s+arena ([\d.]+)", line)
    if m: by.setdefault(int(m[1]), []).append((float(m[2]), float(m[3]), float(m[4]), float(m[5])))
print("median over rounds:")
for c, v in sorted(by.items()):
    print(f"  chunk {c:>4}: prefill {statistics.median(x[0] for x in v):8.1f}  decode {statistics.median(x[1] for x in v):7.1f}"
          f"  ratio {statistics.median(x[2] for x in v):.2f}  arena {v[0][3]:.2f} MiB")
PY
