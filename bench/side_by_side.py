#!/usr/bin/env python3
"""Decode speed of rwkv-edge plans and of rwkv.cpp files, measured in turns in
one run (this machine is noisy: only ratios taken side by side mean much).

    bench/side_by_side.py --rwkv-edge build/bin/rwkv-edge --rwkv-cpp-lib PATH/librwkv.so \\
        --rounds 5 --threads 2 --tokens 128 \\
        0.1B:int8=/tmp/bench/rand7-0.1B-int8.rwkv 0.1B:int4=... 0.1B:rwkv.cpp-Q8_0=/tmp/bench/rand7-0.1B-Q8_0.bin

Each NAME=FILE is benchmarked once per round, rounds interleaved; a .rwkv file
runs `rwkv-edge bench --json`, anything else rwkv.cpp's rwkv_eval through its
C library (built from source beside the project; nothing of it is committed).
Prints a markdown table of medians: tok/s, roofline fraction, peak RSS, and
each entry's speed over the rwkv.cpp entry of the same shape (the name's part
before ':').
"""
import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time


def bench_rwkv_edge(binary, path, threads, tokens):
    out = subprocess.run([binary, "bench", path, "--json", "--threads", str(threads), "--tokens", str(tokens),
                          "--prefill", "16"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def bench_rwkv_cpp(lib_path, path, threads, tokens):
    # In a child process, so its memory and threads never touch the next run.
    code = f"""
import ctypes, json, resource, sys, time
lib = ctypes.CDLL({lib_path!r})
lib.rwkv_init_from_file.restype = ctypes.c_void_p
lib.rwkv_init_from_file.argtypes = [ctypes.c_char_p, ctypes.c_uint32, ctypes.c_uint32]
lib.rwkv_get_state_len.restype = ctypes.c_size_t
lib.rwkv_get_state_len.argtypes = [ctypes.c_void_p]
lib.rwkv_get_logits_len.restype = ctypes.c_size_t
lib.rwkv_get_logits_len.argtypes = [ctypes.c_void_p]
P = ctypes.POINTER(ctypes.c_float)
lib.rwkv_eval.restype = ctypes.c_bool
lib.rwkv_eval.argtypes = [ctypes.c_void_p, ctypes.c_uint32, P, P, P]
ctx = lib.rwkv_init_from_file({path!r}.encode(), {threads}, 0)
if not ctx: sys.exit("rwkv.cpp could not load the model")
state = (ctypes.c_float * lib.rwkv_get_state_len(ctx))()
logits = (ctypes.c_float * lib.rwkv_get_logits_len(ctx))()
vocab = lib.rwkv_get_logits_len(ctx)
lib.rwkv_eval(ctx, 0, None, state, logits)
for i in range(4): lib.rwkv_eval(ctx, (i * 7919) % vocab, state, state, logits)
t = time.perf_counter()
for i in range({tokens}): lib.rwkv_eval(ctx, (i * 7919 + 13) % vocab, state, state, logits)
dt = time.perf_counter() - t
print(json.dumps({{"decode_tok_s": {tokens} / dt,
                  "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rwkv-edge", default="build/bin/rwkv-edge")
    ap.add_argument("--rwkv-cpp-lib", help="librwkv.so built from rwkv.cpp's sources")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("entries", nargs="+", help="SHAPE:NAME=FILE")
    a = ap.parse_args()
    entries = [e.split("=", 1) for e in a.entries]
    results = {name: [] for name, _ in entries}
    for r in range(a.rounds):
        for name, path in entries:
            if path.endswith(".rwkv"):
                res = bench_rwkv_edge(a.rwkv_edge, path, a.threads, a.tokens)
            else:
                if not a.rwkv_cpp_lib:
                    sys.exit(f"{name}: not a .rwkv file and no --rwkv-cpp-lib given")
                res = bench_rwkv_cpp(a.rwkv_cpp_lib, path, a.threads, a.tokens)
            results[name].append(res)
            print(f"round {r + 1}: {name}: {res['decode_tok_s']:.1f} tok/s", file=sys.stderr)

    def med(name, key):
        vals = [x[key] for x in results[name] if x.get(key) is not None]
        return statistics.median(vals) if vals else None

    # Per round ratio to the same shape's rwkv.cpp entry, then the median: a
    # slow moment of the machine hits both runs of a round alike.
    def ratio(name):
        shape = name.split(":")[0]
        base = [n for n, p in entries if n.startswith(shape + ":") and not p.endswith(".rwkv")]
        if not base or base[0] == name:
            return None
        return statistics.median(x["decode_tok_s"] / y["decode_tok_s"] for x, y in zip(results[name], results[base[0]]))

    print(f"| entry | decode tok/s | vs rwkv.cpp | roofline | bytes/token | mem GB/s | peak RSS MiB | model+arena MiB |"
          f" heap allocs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path in entries:
        rt = ratio(name)
        row = [name, f"{med(name, 'decode_tok_s'):.1f}", f"{rt:.2f}x" if rt else "-"]
        if path.endswith(".rwkv"):
            last = results[name][-1]
            row += [f"{med(name, 'roofline_fraction'):.2f}", f"{last['bytes_per_token'] / 2**20:.1f} MiB",
                    f"{med(name, 'mem_bw_gb_s'):.1f}", f"{med(name, 'peak_rss_bytes') / 2**20:.0f}",
                    f"{(last['model_bytes'] + last['arena_bytes']) / 2**20:.0f}", str(last["heap_allocs_after_init"])]
        else:
            row += ["-", "-", "-", f"{med(name, 'peak_rss_bytes') / 2**20:.0f}", "-", "-"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
