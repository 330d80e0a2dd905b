#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, made from the committed fixtures.

usage: make_corpus.py CLI OUT    (CLI: an rwkv-edge binary; OUT/<target>/ is filled)

Checkpoint-format seeds that the repository has no small file for (safetensors,
rwkv.cpp .bin) are written here from synthetic tensors: the fuzzer needs their
structure, not trained weights. Standard library only.
"""
import base64
import json
import os
import random
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data")
MINIS = ["mini-v4.pth", "mini-v4-fp16.pth", "mini-v5.pth", "mini-v5.2.pth", "mini-v5.2-bf16.pth",
         "mini-v6.pth", "mini-v6-bf16.pth", "mini-v7.pth"]


def put(out, target, name, data):
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def rand_floats(rng, n):
    return [rng.uniform(-1, 1) for _ in range(n)]


# A v5.2-shaped and a v7-shaped tensor list: (name, shape), n_embd 8, 1 layer, vocab 16.
def v52_tensors():
    c, v = 8, 16
    t = [("emb.weight", [v, c]), ("blocks.0.ln0.weight", [c]), ("blocks.0.ln0.bias", [c]), ("ln_out.weight", [c]),
         ("ln_out.bias", [c]), ("head.weight", [v, c])]
    for p in ("ln1", "ln2"):
        t += [(f"blocks.0.{p}.weight", [c]), (f"blocks.0.{p}.bias", [c])]
    for m in ("receptance", "key", "value", "gate", "output"):
        t.append((f"blocks.0.att.{m}.weight", [c, c]))
    t += [("blocks.0.att.time_mix_k", [1, 1, c]), ("blocks.0.att.time_mix_v", [1, 1, c]),
          ("blocks.0.att.time_mix_r", [1, 1, c]), ("blocks.0.att.time_mix_g", [1, 1, c]),
          ("blocks.0.att.time_decay", [2, 4]), ("blocks.0.att.time_faaaa", [2, 4]),
          ("blocks.0.att.ln_x.weight", [c]), ("blocks.0.att.ln_x.bias", [c]),
          ("blocks.0.ffn.time_mix_k", [1, 1, c]), ("blocks.0.ffn.time_mix_r", [1, 1, c]),
          ("blocks.0.ffn.key.weight", [16, c]), ("blocks.0.ffn.receptance.weight", [c, c]),
          ("blocks.0.ffn.value.weight", [c, 16])]
    return t


def safetensors(tensors, dtypes, rng):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for i, (name, shape) in enumerate(tensors):
        dtype = dtypes[i % len(dtypes)]
        n = 1
        for d in shape:
            n *= d
        vals = rand_floats(rng, n)
        if dtype == "F32":
            blob = struct.pack(f"<{n}f", *vals)
        elif dtype == "F16":
            blob = struct.pack(f"<{n}e", *vals)
        else:  # BF16: the top half of the float32
            blob = b"".join(struct.pack("<f", x)[2:] for x in vals)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


# rwkv.cpp .bin (ggml file version 101): header, then per tensor n_dims, key length,
# type, dims (reversed), key, data. Types: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 7 Q5_0, 8 Q5_1, 9 Q8_0.
BLOCK_BYTES = {2: 18, 3: 20, 7: 22, 8: 24, 9: 34}


def rwkvcpp_bin(tensors, types, rng, version=101):
    out = struct.pack("<iiiiii", 0x67676D66, version, 16, 8, 1, 0)
    for i, (name, shape) in enumerate(tensors):
        t = types[i % len(types)] if len(shape) == 2 and shape[-1] % 32 == 0 else 0
        n = 1
        for d in shape:
            n *= d
        key = name.encode()
        out += struct.pack("<iii", len(shape), len(key), t) + struct.pack(f"<{len(shape)}i", *reversed(shape)) + key
        if t == 0:
            out += struct.pack(f"<{n}f", *rand_floats(rng, n))
        elif t == 1:
            out += struct.pack(f"<{n}e", *rand_floats(rng, n))
        else:
            for _ in range(n // 32):  # fp16 scale (and minimum), then random quants
                block = struct.pack("<e", rng.uniform(0.001, 0.1))
                block += bytes(rng.randrange(256) for _ in range(BLOCK_BYTES[t] - 2))
                out += block
    return out


def main():
    cli, out = sys.argv[1], sys.argv[2]
    rng = random.Random(7)
    shutil.rmtree(out, ignore_errors=True)
    for name in MINIS + ["mini-v6.time_state.pth"]:
        put(out, "fuzz_pth", name, open(os.path.join(DATA, name), "rb").read())

    tensors = v52_tensors()
    wide = [(n, [s[0], 32] if len(s) == 2 and n.endswith("weight") and "ln" not in n else s) for n, s in tensors]
    put(out, "fuzz_safetensors", "v52-f32.safetensors", safetensors(tensors, ["F32"], rng))
    put(out, "fuzz_safetensors", "v52-mixed.safetensors", safetensors(tensors, ["F16", "BF16", "F32"], rng))
    put(out, "fuzz_rwkvcpp_bin", "v52-f32.bin", rwkvcpp_bin(tensors, [0], rng))
    put(out, "fuzz_rwkvcpp_bin", "v52-f16.bin", rwkvcpp_bin(tensors, [1], rng))
    put(out, "fuzz_rwkvcpp_bin", "blocks.bin", rwkvcpp_bin(wide, [2, 3, 7, 8, 9], rng))
    put(out, "fuzz_rwkvcpp_bin", "v100.bin", rwkvcpp_bin(tensors[:4], [0], rng, version=100))

    tmp = os.path.join(out, "tmp")
    os.makedirs(tmp, exist_ok=True)
    for name, quant in [("mini-v4.pth", "fp32"), ("mini-v5.pth", "int8"), ("mini-v5.2.pth", "int4"),
                        ("mini-v6.pth", "fp16"), ("mini-v7.pth", "int8"), ("mini-v7.pth", "fp32")]:
        model = os.path.join(tmp, f"{name}.{quant}.rwkv")
        subprocess.run([cli, "plan", os.path.join(DATA, name), "-o", model, "--quant", quant, "--max-chunk", "4",
                        "--vocab", "none"],
                       check=True, stdout=subprocess.DEVNULL)
        put(out, "fuzz_model_file", os.path.basename(model), open(model, "rb").read())

    # fuzz_state_file's session: mini-v6 planned float32 with chunks of 4, as fuzz_support.cpp does.
    # The mini models carry no vocabulary; generate needs one (it does not enter the state's fingerprint).
    vocab = os.path.join(tmp, "letters.txt")
    with open(vocab, "w") as f:
        f.write("".join(f"{i} '{chr(ord('a') + i)}' 1\n" for i in range(24)))
    model = os.path.join(tmp, "mini-v6.state-session.rwkv")
    subprocess.run([cli, "plan", os.path.join(DATA, "mini-v6.pth"), "-o", model, "--max-chunk", "4", "--vocab", vocab],
                   check=True, stdout=subprocess.DEVNULL)
    state = os.path.join(tmp, "mini-v6.state")
    # A fixed seed: generate draws a random one otherwise, and the seeds should not change run to run.
    subprocess.run([cli, "generate", model, "--prompt", "state", "-n", "3", "--seed", "1", "--save-state", state], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    put(out, "fuzz_state_file", "mini-v6.state", open(state, "rb").read())
    put(out, "fuzz_state_file", "mini-v6.time_state.pth", open(os.path.join(DATA, "mini-v6.time_state.pth"), "rb").read())
    shutil.rmtree(tmp)

    text = open(os.path.join(DATA, "text", "gpl-3.0.txt"), "rb").read()
    for i in range(0, 16384, 2048):
        put(out, "fuzz_tokenizer", f"gpl-{i}.txt", text[i:i + 2048])
    with open(os.path.join(DATA, "world_tokenizer_cases.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            raw = base64.b64decode(json.loads(line)["text_b64"])
            if raw:
                put(out, "fuzz_tokenizer", f"case-{i}.txt", raw)

    vocab_lines = ["1 '\\x00' 1", "2 'a' 1", "3 b'\\xe4\\xbd' 2", "4 '\\u4f60' 3", "5 ' the' 4", "6 '\\n\\n' 2",
                   "7 \"it's\" 4", "8 b'\\\\x' 2", "9 '\\U0001f600' 4"]
    put(out, "fuzz_vocabulary", "synthetic.txt", ("\n".join(vocab_lines) + "\n").encode())
    put(out, "fuzz_vocabulary", "crlf.txt", ("\r\n".join(vocab_lines) + "\r\n").encode())
    world = os.path.join(HERE, "..", "models", "rwkv_vocab_v20230424.txt")
    if os.path.exists(world):
        lines = open(world, "rb").read().split(b"\n")
        for start in (0, 250, 10000, 30000, 60000):
            put(out, "fuzz_vocabulary", f"world-{start}.txt", b"\n".join(lines[start:start + 60]) + b"\n")

    for i, s in enumerate(["1,2,3", "0", "65535", "65536", "007,8", "4294967295", "18446744073709551616", "1,,2",
                           ",", "1 ,2", "+1", "-1"]):
        put(out, "fuzz_token_list", f"list-{i}", s.encode())
    # Inputs that once failed (fixed, each with a test in tests/): replayed by every run.
    regressions = os.path.join(HERE, "regressions")
    for target in sorted(os.listdir(regressions)):
        for name in sorted(os.listdir(os.path.join(regressions, target))):
            put(out, target, "regression-" + name, open(os.path.join(regressions, target, name), "rb").read())
    for target in sorted(os.listdir(out)):
        print(f"{target}: {len(os.listdir(os.path.join(out, target)))} seeds")


if __name__ == "__main__":
    main()
