#!/usr/bin/env python3
"""Writes tests/data/sampler_cases.json: for random logits over a 256-token
byte vocabulary, a history of drawn tokens and sampler settings, the
distribution the official rwkv==0.8.32 pipeline draws from. The official
sample_logits runs as is; np.random.choice is replaced to capture its `p`.
The penalty bookkeeping is PIPELINE.generate's loop, line for line. Dev tool.

  PYTHONPATH=/tmp/oracle /usr/bin/python3 tests/dev/make_sampler_cases.py
"""
import json
import numpy as np
import torch
from rwkv.utils import PIPELINE

captured = {}
def capture_choice(a, p):
    captured["p"] = np.array(p, dtype=np.float64)
    return 0
np.random.choice = capture_choice
pipeline = PIPELINE.__new__(PIPELINE)  # sample_logits needs neither a model nor a tokenizer

def decode_one(token):  # the byte vocabulary: token i is byte i
    try:
        return bytes([token]).decode("utf-8")
    except UnicodeDecodeError:
        return "\ufffd"

rng = np.random.default_rng(20261123)
cases = []
settings = [
    dict(temperature=1.0, top_p=0.85, top_k=0, alpha_presence=0.2, alpha_frequency=0.2, alpha_decay=0.996),
    dict(temperature=1.0, top_p=0.3, top_k=0, alpha_presence=0.5, alpha_frequency=0.5, alpha_decay=0.996),
    dict(temperature=0.7, top_p=0.9, top_k=20, alpha_presence=0.0, alpha_frequency=1.0, alpha_decay=0.9),
    dict(temperature=2.0, top_p=0.99, top_k=0, alpha_presence=1.0, alpha_frequency=0.0, alpha_decay=1.0),
    dict(temperature=1.5, top_p=0.6, top_k=5, alpha_presence=0.3, alpha_frequency=0.3, alpha_decay=0.996),
    dict(temperature=0.0, top_p=0.85, top_k=0, alpha_presence=0.2, alpha_frequency=0.2, alpha_decay=0.996),
    dict(temperature=1.0, top_p=0.0, top_k=0, alpha_presence=0.0, alpha_frequency=0.0, alpha_decay=0.996),
]
for k, s in enumerate(settings):
    for scale in (1.0, 4.0):
        logits = (rng.standard_normal(256) * scale).astype(np.float32)
        history = [int(t) for t in rng.choice([32, 48, 49, 9, 10, 65, 66, 200, 201], size=int(rng.integers(0, 12)))]
        ban = [int(t) for t in rng.choice(256, size=int(rng.integers(0, 3)), replace=False)]
        occurrence = {}
        for token in history:  # PIPELINE.generate, after each draw
            for xxx in occurrence:
                occurrence[xxx] *= s["alpha_decay"]
            ttt = decode_one(token)
            www = 1
            if ttt in ' \t0123456789':
                www = 0
            if token not in occurrence:
                occurrence[token] = www
            else:
                occurrence[token] += www
        out = torch.tensor(logits)
        for n in ban:
            out[n] = -float('inf')
        for n in occurrence:
            out[n] -= (s["alpha_presence"] + occurrence[n] * s["alpha_frequency"])
        pipeline.sample_logits(out, temperature=s["temperature"], top_p=s["top_p"], top_k=s["top_k"])
        cases.append(dict(settings=s, logits=[float(x) for x in logits], history=history, ban=ban,
                          probs=[float(x) for x in captured["p"]]))
with open("tests/data/sampler_cases.json", "w") as f:
    json.dump(cases, f)
print(len(cases), "cases")
