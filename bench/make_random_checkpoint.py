#!/usr/bin/env python3
"""Writes a random RWKV-7 checkpoint with the shapes of a released model, in the
official .pth layout and bfloat16 like the releases, for benchmarks only (the
numbers in it mean nothing; the bytes a decode step reads are what matter).

    /usr/bin/python3 bench/make_random_checkpoint.py 0.1B /tmp/bench/rand7-0.1B.pth
    shapes: 0.1B (L12 D768), 0.4B (L24 D1024), 1.5B (L24 D2048), 2.9B (L32 D2560); vocab 65536
    (low-rank sizes as the official RWKV-7 code derives them from the width)

Needs torch (Debian's python3-torch), which is dev tooling, never the product.
"""
import sys

import torch

# name: (layers, width, decay lora, a lora, v lora, gate lora), as the
# RWKV-7 "Goose" World releases use them.
SHAPES = {
    "0.1B": (12, 768, 64, 64, 32, 128),
    "0.4B": (24, 1024, 64, 64, 32, 128),
    "1.5B": (24, 2048, 96, 96, 64, 256),
    "2.9B": (32, 2560, 96, 96, 64, 320),
}
VOCAB, HEAD_SIZE = 65536, 64
DTYPE = torch.bfloat16


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SHAPES)}}} OUT.pth")
    layers, C, rw, ra, rv, rg = SHAPES[sys.argv[1]]
    ffn, heads = 4 * C, C // HEAD_SIZE
    g = torch.Generator().manual_seed(7)

    def mat(rows, cols, scale=1.0):
        return (torch.randn(rows, cols, generator=g) * (scale / cols ** 0.5)).to(DTYPE)

    def vec(*shape, lo=0.0, hi=1.0):
        return (torch.rand(*shape, generator=g) * (hi - lo) + lo).to(DTYPE)

    sd = {"emb.weight": (0.1 * torch.randn(VOCAB, C, generator=g)).to(DTYPE)}
    for i in range(layers):
        p, a = f"blocks.{i}.", f"blocks.{i}.att."
        if i == 0:
            sd[p + "ln0.weight"], sd[p + "ln0.bias"] = vec(C, lo=0.9, hi=1.1), vec(C, lo=-0.1, hi=0.1)
        for n in ("ln1", "ln2"):
            sd[p + n + ".weight"], sd[p + n + ".bias"] = vec(C, lo=0.9, hi=1.1), vec(C, lo=-0.1, hi=0.1)
        for n in "rwkvag":
            sd[a + "x_" + n] = vec(1, 1, C)
        sd[a + "w0"] = vec(1, 1, C, lo=-2, hi=0.5)
        sd[a + "a0"] = vec(1, 1, C, lo=-0.3, hi=0.3)
        loras = (("w", rw), ("a", ra), ("v", rv), ("g", rg))
        if i == 0:  # layer 0 has no value residual, and releases carry no v0, v1, v2 there
            loras = (("w", rw), ("a", ra), ("g", rg))
        else:
            sd[a + "v0"] = vec(1, 1, C, lo=-0.3, hi=0.3)
        for n, rank in loras:
            sd[a + n + "1"] = mat(C, rank, 0.3)
            sd[a + n + "2"] = mat(rank, C, 0.3)
        sd[a + "k_k"] = vec(1, 1, C, lo=0.5, hi=1.5)
        sd[a + "k_a"] = vec(1, 1, C)
        sd[a + "r_k"] = vec(heads, HEAD_SIZE, lo=-0.3, hi=0.3)
        for n in ("receptance", "key", "value", "output"):
            sd[a + n + ".weight"] = mat(C, C)
        sd[a + "ln_x.weight"], sd[a + "ln_x.bias"] = vec(C, lo=0.9, hi=1.1), vec(C, lo=-0.1, hi=0.1)
        sd[p + "ffn.x_k"] = vec(1, 1, C)
        sd[p + "ffn.key.weight"] = mat(ffn, C)
        sd[p + "ffn.value.weight"] = mat(C, ffn)
    sd["ln_out.weight"], sd["ln_out.bias"] = vec(C, lo=0.9, hi=1.1), vec(C, lo=-0.1, hi=0.1)
    sd["head.weight"] = mat(VOCAB, C, 2.0)
    torch.save(sd, sys.argv[2])
    n = sum(t.numel() for t in sd.values())
    print(f"{sys.argv[2]}: {sys.argv[1]}, {n / 1e6:.1f}M parameters")


if __name__ == "__main__":
    main()
