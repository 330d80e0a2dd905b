#!/usr/bin/env python3
"""Dev oracle: a state-tuning checkpoint for the committed mini-v6 model and
the official package's logits when it starts from that state (seed 004:
state[i*3+1] = time_state.transpose(1, 2), the shifts zero).

    PYTHONPATH=/tmp/oracle /usr/bin/python3 tests/dev/make_state_tuning_fixture.py

Writes tests/data/mini-v6.time_state.pth and
tests/data/mini-v6.time_state.official-logits.bin (float32 [tokens, vocab],
tokens from tests/data/TOKENS).
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def main():
    os.environ["RWKV_JIT_ON"] = "0"
    os.environ["RWKV_CUDA_ON"] = "0"
    ck = torch.load(os.path.join(DATA, "mini-v6.pth"), map_location="cpu")
    n_layer = 1 + max(int(k.split(".")[1]) for k in ck if k.startswith("blocks."))
    H, N = ck["blocks.0.att.time_faaaa"].shape[:2]
    C = ck["emb.weight"].shape[1]
    g = torch.Generator().manual_seed(2024)
    tuned = {f"blocks.{i}.att.time_state": (torch.randn(H, N, N, generator=g) * 0.5) for i in range(n_layer)}
    path = os.path.join(DATA, "mini-v6.time_state.pth")
    torch.save(tuned, path)

    from rwkv.model import RWKV
    model = RWKV(model=os.path.join(DATA, "mini-v6"), strategy="cpu fp32", verbose=False)
    state = []
    for i in range(n_layer):
        state += [torch.zeros(C), tuned[f"blocks.{i}.att.time_state"].transpose(1, 2).float().contiguous(),
                  torch.zeros(C)]
    tokens = [int(t) for t in open(os.path.join(DATA, "TOKENS")).read().strip().split(",")]
    rows = []
    with torch.no_grad():
        for t in tokens:
            out, state = model.forward([t], state)
            rows.append(out.float())
    torch.stack(rows).contiguous().numpy().astype("<f4").tofile(
        os.path.join(DATA, "mini-v6.time_state.official-logits.bin"))
    print(f"wrote {path} ({n_layer} layers, {H}x{N}x{N}) and {len(rows)} rows of logits")


if __name__ == "__main__":
    main()
