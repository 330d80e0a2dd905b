#!/usr/bin/env python3
"""Makes tests/data/aten-ops.bin: torch's own outputs for the ops whose float
rounding the reference kernels reproduce (dev tool, needs torch 1.13 as
Debian ships it: /usr/bin/python3 with python3-torch).

    /usr/bin/python3 tests/dev/make_aten_ops.py tests/data/aten-ops.bin

Per size n, little-endian: uint32 n, uint32 groups, then float32 arrays of n:
x_norm, w, b, x_unary, layer_norm(x_norm), layer_norm in bfloat16 of the
bf16-rounded x_norm/w/b (as float), group_norm(x_norm, groups, eps 64e-5),
sigmoid(x_unary), silu(x_unary), exp(x_unary), tanh(x_unary).
"""
import struct
import sys

import torch
import torch.nn.functional as F

SIZES = [(5, 1), (16, 2), (40, 5), (300, 3), (1000, 8)]


def main():
    g = torch.Generator().manual_seed(20261123)
    out = bytearray()
    for n, groups in SIZES:
        # Rows with a large common offset stress the moments' rounding.
        x_norm = torch.randn(n, generator=g) * 3 + 20 * torch.randn(1, generator=g)
        w = 1 + 0.5 * torch.randn(n, generator=g)
        b = 0.5 * torch.randn(n, generator=g)
        x_unary = torch.randn(n, generator=g) * 4
        ln = F.layer_norm(x_norm, (n,), w, b)
        ln_bf16 = F.layer_norm(x_norm.bfloat16(), (n,), w.bfloat16(), b.bfloat16()).float()
        gn = F.group_norm(x_norm.unsqueeze(0), groups, w, b, eps=64e-5).squeeze(0)
        arrays = [x_norm, w, b, x_unary, ln, ln_bf16, gn,
                  torch.sigmoid(x_unary), F.silu(x_unary), torch.exp(x_unary), torch.tanh(x_unary)]
        out += struct.pack("<II", n, groups)
        for a in arrays:
            out += a.float().contiguous().numpy().tobytes()
    with open(sys.argv[1], "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
