#!/usr/bin/env python3
"""Makes the small fixtures committed under tests/data (dev tool, needs torch).

    pip install --no-deps --target /tmp/oracle rwkv==0.8.32
    PYTHONPATH=/tmp/oracle /usr/bin/python3 tests/dev/make_fixtures.py tests/data

For every RWKV version: a tiny random checkpoint in the official layout
(`mini-vX.pth`) and the official package's logits for TOKENS
(`mini-vX.official-logits.bin`, float32 [n_tokens, vocab], 'cpu fp32'). Plus
fp16 and bf16 copies of some (`-fp16.pth`, `-bf16.pth`) with their own
official logits, so the importer's dtype paths are checked against the
oracle too. Weights are scaled to keep the sums well conditioned.
"""
import os
import subprocess
import sys

import torch

VOCAB, C, LAYERS, FFN, HEAD = 24, 16, 2, 32, 8
TOKENS = [1, 5, 0, 23, 7, 7, 12, 3, 19, 2, 11, 4]
HERE = os.path.dirname(os.path.abspath(__file__))


def mat(g, rows, cols, scale=1.0):
    return torch.randn(rows, cols, generator=g) * (scale / cols ** 0.5)


def vec(g, *shape, lo=0.0, hi=1.0):
    return torch.rand(*shape, generator=g) * (hi - lo) + lo


def common(g, sd):
    sd["emb.weight"] = torch.randn(VOCAB, C, generator=g)
    for i in range(LAYERS):
        p = f"blocks.{i}."
        if i == 0:
            sd[p + "ln0.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
            sd[p + "ln0.bias"] = 0.1 * torch.randn(C, generator=g)
        for n in ("ln1", "ln2"):
            sd[p + n + ".weight"] = 1 + 0.1 * torch.randn(C, generator=g)
            sd[p + n + ".bias"] = 0.1 * torch.randn(C, generator=g)
    sd["ln_out.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
    sd["ln_out.bias"] = 0.1 * torch.randn(C, generator=g)
    sd["head.weight"] = mat(g, VOCAB, C, 2.0)


def ffn_v4(g, sd, p, maa=False):
    if maa:
        sd[p + "ffn.time_maa_k"] = vec(g, 1, 1, C)
        sd[p + "ffn.time_maa_r"] = vec(g, 1, 1, C)
    else:
        sd[p + "ffn.time_mix_k"] = vec(g, 1, 1, C)
        sd[p + "ffn.time_mix_r"] = vec(g, 1, 1, C)
    sd[p + "ffn.key.weight"] = mat(g, FFN, C)
    sd[p + "ffn.receptance.weight"] = mat(g, C, C)
    sd[p + "ffn.value.weight"] = mat(g, C, FFN)


def make(version, seed):
    g = torch.Generator().manual_seed(seed)
    sd = {}
    common(g, sd)
    H = C // HEAD
    for i in range(LAYERS):
        p = f"blocks.{i}."
        a = p + "att."
        if version == "4":
            sd[a + "time_decay"] = vec(g, C, lo=-1, hi=1.5)
            sd[a + "time_first"] = vec(g, C, lo=-1, hi=1)
        elif version in ("5", "5.2"):
            if version == "5":
                sd[a + "time_decay"] = vec(g, H, lo=-2, hi=0.5)
                sd[a + "time_first"] = vec(g, H, lo=-1, hi=0.5)
            else:
                sd[a + "time_decay"] = vec(g, H, HEAD, lo=-2, hi=0.5)
                sd[a + "time_faaaa"] = vec(g, H, HEAD, lo=-0.5, hi=0.5)
                sd[a + "time_mix_g"] = vec(g, 1, 1, C)
                sd[a + "gate.weight"] = mat(g, C, C)
            sd[a + "ln_x.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
            sd[a + "ln_x.bias"] = 0.1 * torch.randn(C, generator=g)
        elif version == "6":
            for n in "xwkvrg":
                sd[a + "time_maa_" + n] = vec(g, 1, 1, C)
            sd[a + "time_maa_w1"] = 0.3 * torch.randn(C, 5 * 4, generator=g)
            sd[a + "time_maa_w2"] = 0.3 * torch.randn(5, 4, C, generator=g)
            sd[a + "time_decay"] = vec(g, 1, 1, C, lo=-2, hi=0.5)
            sd[a + "time_decay_w1"] = 0.3 * torch.randn(C, 8, generator=g)
            sd[a + "time_decay_w2"] = 0.3 * torch.randn(8, C, generator=g)
            sd[a + "time_faaaa"] = vec(g, H, HEAD, lo=-0.5, hi=0.5)
            sd[a + "gate.weight"] = mat(g, C, C)
            sd[a + "ln_x.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
            sd[a + "ln_x.bias"] = 0.1 * torch.randn(C, generator=g)
        if version in ("4", "5", "5.2"):
            for n in "kvr":
                sd[a + "time_mix_" + n] = vec(g, 1, 1, C)
        if version != "7":
            for n in ("key", "value", "receptance", "output"):
                sd[a + n + ".weight"] = mat(g, C, C)
            ffn_v4(g, sd, p, maa=version == "6")
            continue
        for n in "rwkvag":
            sd[a + "x_" + n] = vec(g, 1, 1, C)
        sd[a + "w0"] = vec(g, 1, 1, C, lo=-2, hi=0.5)
        sd[a + "a0"] = 0.3 * torch.randn(1, 1, C, generator=g)
        sd[a + "v0"] = 0.3 * torch.randn(1, 1, C, generator=g)
        for n, rank in (("w", 8), ("a", 8), ("v", 4), ("g", 8)):
            sd[a + n + "1"] = 0.3 * torch.randn(C, rank, generator=g)
            sd[a + n + "2"] = 0.3 * torch.randn(rank, C, generator=g)
        sd[a + "k_k"] = vec(g, 1, 1, C, lo=0.5, hi=1.5)
        sd[a + "k_a"] = vec(g, 1, 1, C)
        sd[a + "r_k"] = 0.3 * torch.randn(H, HEAD, generator=g)
        for n in ("receptance", "key", "value", "output"):
            sd[a + n + ".weight"] = mat(g, C, C)
        sd[a + "ln_x.weight"] = 1 + 0.1 * torch.randn(C, generator=g)
        sd[a + "ln_x.bias"] = 0.1 * torch.randn(C, generator=g)
        sd[p + "ffn.x_k"] = vec(g, 1, 1, C)
        sd[p + "ffn.key.weight"] = mat(g, FFN, C)
        sd[p + "ffn.value.weight"] = mat(g, C, FFN)
    return sd


def oracle(pth, out):
    tokens = ",".join(str(t) for t in TOKENS)
    subprocess.run([sys.executable, os.path.join(HERE, "official_logits.py"), pth, tokens, out], check=True)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for seed, version in enumerate(["4", "5", "5.2", "6", "7"]):
        sd = make(version, 1000 + seed)
        base = os.path.join(out_dir, f"mini-v{version}")
        torch.save(sd, base + ".pth")
        oracle(base + ".pth", base + ".official-logits.bin")
        for dtype, tag in ((torch.float16, "fp16"), (torch.bfloat16, "bf16")):
            if (version, tag) not in (("4", "fp16"), ("6", "bf16"), ("5.2", "bf16")):
                continue
            torch.save({k: v.to(dtype) for k, v in sd.items()}, f"{base}-{tag}.pth")
            oracle(f"{base}-{tag}.pth", f"{base}-{tag}.official-logits.bin")
    with open(os.path.join(out_dir, "TOKENS"), "w") as f:
        f.write(",".join(str(t) for t in TOKENS) + "\n")


if __name__ == "__main__":
    main()
