#!/usr/bin/env python3
"""Dev oracle: logits from the official `rwkv` package (never used at run time).

    pip install --no-deps --target /tmp/oracle rwkv==0.8.32
    PYTHONPATH=/tmp/oracle /usr/bin/python3 tests/dev/official_logits.py M.pth 1,2,3 OUT.bin [--ln-x-eps E]

Writes float32 [n_tokens, vocab]: row i after feeding tokens[0..i] one at a
time from the zero state (model.forward([t], state)), strategy 'cpu fp32'
unless --strategy says otherwise.
"""
import argparse
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("tokens")
    ap.add_argument("out")
    ap.add_argument("--ln-x-eps", type=float, default=None,
                    help="patch the ln_x GroupNorm epsilon (official: 64e-5)")
    ap.add_argument("--strategy", default="cpu fp32",
                    help="official strategy string, e.g. 'cpu fp32i8' (v4-v6 only)")
    args = ap.parse_args()

    import torch
    is_v7 = any(".att.r_k" in k for k in torch.load(args.model, map_location="cpu").keys())
    os.environ["RWKV_JIT_ON"] = "0"
    os.environ["RWKV_CUDA_ON"] = "0"
    if is_v7:
        os.environ["RWKV_V7_ON"] = "1"
    import torch.nn.functional as F
    if args.ln_x_eps is not None:
        original = F.group_norm

        def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
            return original(x, num_groups, weight=weight, bias=bias, eps=args.ln_x_eps)
        F.group_norm = group_norm
        torch.nn.functional.group_norm = group_norm
    # rwkv 0.8.32's v7 loader passes mmap=True, which torch < 2.1 does not know.
    original_load = torch.load
    torch.load = lambda *a, **kw: original_load(*a, **{k: v for k, v in kw.items() if k != "mmap"})
    from rwkv.model import RWKV

    name = args.model[:-4] if args.model.endswith(".pth") else args.model
    model = (RWKV(model=name, strategy=args.strategy, verbose=False) if not is_v7
             else RWKV(model=name, strategy=args.strategy))
    tokens = [int(t) for t in args.tokens.split(",")]
    state = None
    rows = []
    with torch.no_grad():
        for t in tokens:
            out, state = model.forward([t], state)
            rows.append(out.float().cpu())
    torch.stack(rows).contiguous().numpy().astype("<f4").tofile(args.out)
    print(f"wrote {len(rows)} x {rows[0].numel()} to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
