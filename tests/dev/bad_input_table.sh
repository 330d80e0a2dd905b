#!/usr/bin/env bash
# Makes one file (or argument) of every class of bad input, runs the CLI on
# it and prints a markdown table of what the user gets: the exit status and
# the exact message. docs/reliability.md holds its output.
#   usage: tests/dev/bad_input_table.sh [build/bin/rwkv-edge]
set -uo pipefail
cd "$(dirname "$0")/../.."
CLI=$(realpath "${1:-build/bin/rwkv-edge}")
W=$(mktemp -d /tmp/rwkv-edge-bad-XXXXXX)
trap 'rm -rf "$W"' EXIT
D=tests/data

row() {  # row CLASS ARGS...
  local class=$1
  shift
  local out rc
  out=$(cd "$W" && "$CLI" "$@" 2>&1 >/dev/null)
  rc=$?
  out=$(printf '%s' "$out" | head -1 | sed "s|$W/||g; s/|/\\\\|/g")
  printf '| %s | `%s` | %s |\n' "$class" "$rc" "$out"
}

cp "$D/mini-v6.pth" "$W/good.pth"
"$CLI" plan "$W/good.pth" -o "$W/good.rwkv" >/dev/null
printf '%s\n' 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 |
  awk '{printf "%d %c%c%c %d\n", $1, 39, 97 + $1, 39, 1}' >"$W/letters.txt"
"$CLI" plan "$W/good.pth" -o "$W/vocab.rwkv" --vocab "$W/letters.txt" >/dev/null
"$CLI" plan "$D/mini-v5.2.pth" -o "$W/other.rwkv" --vocab "$W/letters.txt" >/dev/null
"$CLI" plan "$D/mini-v4.pth" -o "$W/v4.rwkv" --vocab "$W/letters.txt" >/dev/null
head -c 700000 models/tiny-rwkv-5v2-730K-FP16.bin >"$W/truncated.bin"
"$CLI" generate "$W/vocab.rwkv" --prompt abc -n 2 --save-state "$W/good.state" >/dev/null 2>&1

python3 - "$W" <<'PY'
import io, os, pickle, struct, sys, zipfile
w = sys.argv[1]
class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
with zipfile.ZipFile(f"{w}/evil.pth", "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", pickle.dumps(Evil(), protocol=2))
with zipfile.ZipFile(f"{w}/deflated.pth", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("archive/data.pkl", pickle.dumps({}, protocol=2))
h = b'{"emb.weight":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}'
open(f"{w}/short.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + bytes(16))
open(f"{w}/random.bin", "wb").write(bytes(range(256)) * 4)
good = open(f"{w}/good.pth", "rb").read()
open(f"{w}/truncated.pth", "wb").write(good[: len(good) // 2])
m = bytearray(open(f"{w}/good.rwkv", "rb").read())
open(f"{w}/truncated.rwkv", "wb").write(m[: len(m) // 3])
flipped = bytearray(m); flipped[200] ^= 0xFF
open(f"{w}/flipped-description.rwkv", "wb").write(flipped)
weights = bytearray(m); weights[-100] ^= 0x01
open(f"{w}/flipped-weight.rwkv", "wb").write(weights)
newer = bytearray(m); newer[8:12] = struct.pack("<I", 99)
open(f"{w}/newer.rwkv", "wb").write(newer)
s = bytearray(open(f"{w}/good.state", "rb").read())
open(f"{w}/truncated.state", "wb").write(s[: len(s) - 9])
bad = bytearray(s); bad[100] ^= 0x10
open(f"{w}/corrupt.state", "wb").write(bad)
open(f"{w}/text.state", "wb").write(b"hello, this is not a state\n")
open(f"{w}/bad-vocab.txt", "wb").write(b"1 'a' 1\n2 'bc 2\n")
PY
# A checkpoint with a NaN weight: the good one's first float32 storage value set to NaN.
python3 - "$W" <<'PY'
import sys, zipfile
w = sys.argv[1]
src = zipfile.ZipFile(f"{w}/good.pth")
with zipfile.ZipFile(f"{w}/nan.pth", "w", zipfile.ZIP_STORED) as out:
    for info in src.infolist():
        data = src.read(info)
        if "/data/" in info.filename and len(data) >= 4 and not info.filename.endswith(".pkl"):
            data = b"\x00\x00\xc0\x7f" + data[4:]
        out.writestr(info, data)
PY
"$CLI" generate "$W/other.rwkv" --prompt abc -n 2 --save-state "$W/other.state" >/dev/null 2>&1

echo "| bad input | exit | what the user reads (stderr, first line) |"
echo "|---|---|---|"
row "checkpoint file missing" plan nothere.pth -o out.rwkv
row "not a checkpoint (random bytes)" plan random.bin -o out.rwkv
row ".pth cut in half" plan truncated.pth -o out.rwkv
row ".pth whose pickle calls os.system" plan evil.pth -o out.rwkv
row ".pth with a compressed (deflated) entry" plan deflated.pth -o out.rwkv
row ".safetensors whose data ends early" plan short.safetensors -o out.rwkv
row "rwkv.cpp .bin cut short" plan truncated.bin -o out.rwkv
row "checkpoint with a NaN weight" plan nan.pth -o out.rwkv
row "output folder missing" plan good.pth -o /nonexistent/dir/out.rwkv
row "unknown --quant" plan good.pth -o out.rwkv --quant int3
row "--max-chunk above the limit" plan good.pth -o out.rwkv --max-chunk 100000
row "vocabulary file with a broken literal" plan good.pth -o out.rwkv --vocab bad-vocab.txt
row "not a model file" inspect good.pth
row "model file cut to a third" generate truncated.rwkv --prompt a
row "model file, one description byte flipped" inspect flipped-description.rwkv
row "model file, one weight bit flipped" logits flipped-weight.rwkv --tokens 1 --out l.bin
row "model file from a newer format" inspect newer.rwkv
row "token id outside the vocabulary" logits good.rwkv --tokens 1,99999 --out l.bin
row "malformed token list" logits good.rwkv --tokens 1,,2 --out l.bin
row "prompt byte with no token" generate vocab.rwkv --prompt "xyz!"
row "state file cut short" generate vocab.rwkv --prompt a --state truncated.state
row "state file, one bit flipped" generate vocab.rwkv --prompt a --state corrupt.state
row "state file of another model" generate vocab.rwkv --prompt a --state other.state
row "not a state file" generate vocab.rwkv --prompt a --state text.state
row "state-tuning .pth on an RWKV-4 model" generate v4.rwkv --prompt a --state "$(realpath "$D/mini-v6.time_state.pth")"
row "sampler setting out of range" generate vocab.rwkv --prompt a --top-p 1.5
row "thread count out of range" generate vocab.rwkv --prompt a --threads 65
row "kernel path this CPU lacks" generate vocab.rwkv --prompt a --kernels neon
row "unknown flag" generate vocab.rwkv --prompt a --temprature 1
"$CLI" plan "$W/good.pth" -o "$W/gpu-first.rwkv" --strategy "cuda fp32 *1 -> cpu fp32" >/dev/null
row "strategy with CPU layers before CUDA layers" plan good.pth -o out.rwkv --strategy "cpu fp32 *1 -> cuda fp32"
row "strategy naming a device rwkv-edge has not" plan good.pth -o out.rwkv --strategy "mps fp16"
row "unknown --backend" logits good.rwkv --tokens 1 --out l.bin --backend gpu
row "--backend cuda where no GPU can run (here: no driver)" logits good.rwkv --tokens 1 --out l.bin --backend cuda
row "file planned with CUDA layers, opened on the CPU" logits gpu-first.rwkv --tokens 1 --out l.bin
