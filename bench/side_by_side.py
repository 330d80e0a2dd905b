#!/usr/bin/env python3
"""Decode (and with --prefill N, prompt prefill) speed of rwkv-edge plans and
of rwkv.cpp files, measured in turns in one run (this machine is noisy: only
ratios taken side by side mean much). rwkv.cpp prefills through
rwkv_eval_sequence_in_chunks (chunk --rwkv-cpp-chunk, default 64); rwkv-edge
through its planned chunks.

    bench/side_by_side.py --rwkv-edge build/bin/rwkv-edge --rwkv-cpp-lib PATH/librwkv.so \\
        --rounds 5 --threads 2 --tokens 128 \\
        0.1B:int8=/tmp/bench/rand7-0.1B-int8.rwkv 0.1B:int4=... 0.1B:rwkv.cpp-Q8_0=/tmp/bench/rand7-0.1B-Q8_0.bin

Each NAME=FILE is benchmarked once per round, rounds interleaved; a .rwkv file
runs `rwkv-edge bench --json`, with the runtime options written after it as
+OPTION=VALUE (0.1B:int8-inputs=rand7-0.1B-int8.rwkv+prefill-inputs=int8), anything else rwkv.cpp's rwkv_eval through its
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


def bench_rwkv_edge(binary, spec, threads, tokens, prefill):
    path, *options = spec.split("+")
    extra = [arg for option in options for arg in ("--" + option.split("=", 1)[0], option.split("=", 1)[1])]
    out = subprocess.run([binary, "bench", path, "--json", "--threads", str(threads), "--tokens", str(tokens),
                          "--prefill", str(prefill or 16)] + extra, check=True, capture_output=True, text=True).stdout
    res = json.loads(out)
    if not prefill:
        res["prefill_tok_s"] = None
    return res


def is_rwkv_edge(spec):
    return spec.split("+")[0].endswith(".rwkv")


def bench_rwkv_cpp(lib_path, path, threads, tokens, prefill, chunk):
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
lib.rwkv_eval_sequence_in_chunks.restype = ctypes.c_bool
lib.rwkv_eval_sequence_in_chunks.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32), ctypes.c_size_t,
                                             ctypes.c_size_t, P, P, P]
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
prefill_tok_s = None
if {prefill}:
    ids = (ctypes.c_uint32 * {prefill})(*[(i * 7919 + 5) % vocab for i in range({prefill})])
    fresh = (ctypes.c_float * lib.rwkv_get_state_len(ctx))()
    lib.rwkv_eval_sequence_in_chunks(ctx, ids, {chunk}, {chunk}, None, fresh, logits)  # builds the graph once
    t = time.perf_counter()
    lib.rwkv_eval_sequence_in_chunks(ctx, ids, {prefill}, {chunk}, None, fresh, logits)
    prefill_tok_s = {prefill} / (time.perf_counter() - t)
print(json.dumps({{"decode_tok_s": {tokens} / dt, "prefill_tok_s": prefill_tok_s,
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
    ap.add_argument("--prefill", type=int, default=0, help="also time a prompt of this many tokens")
    ap.add_argument("--rwkv-cpp-chunk", type=int, default=64)
    ap.add_argument("entries", nargs="+", help="SHAPE:NAME=FILE")
    a = ap.parse_args()
    entries = [e.split("=", 1) for e in a.entries]
    for name, path in entries:
        if path.split("+")[0] != path and not path.split("+")[0].endswith(".rwkv"):
            sys.exit(f"{name}: +OPTION=VALUE is for rwkv-edge's .rwkv files")
    results = {name: [] for name, _ in entries}
    for r in range(a.rounds):
        for name, path in entries:
            if is_rwkv_edge(path):
                res = bench_rwkv_edge(a.rwkv_edge, path, a.threads, a.tokens, a.prefill)
            else:
                if not a.rwkv_cpp_lib:
                    sys.exit(f"{name}: not a .rwkv file and no --rwkv-cpp-lib given")
                res = bench_rwkv_cpp(a.rwkv_cpp_lib, path, a.threads, a.tokens, a.prefill, a.rwkv_cpp_chunk)
            results[name].append(res)
            pre = f", prefill {res['prefill_tok_s']:.1f}" if res.get("prefill_tok_s") else ""
            print(f"round {r + 1}: {name}: {res['decode_tok_s']:.1f} tok/s{pre}", file=sys.stderr)

    def med(name, key):
        vals = [x[key] for x in results[name] if x.get(key) is not None]
        return statistics.median(vals) if vals else None

    # Per round ratio to the same shape's rwkv.cpp entry, then the median: a
    # slow moment of the machine hits both runs of a round alike.
    def ratio(name, key="decode_tok_s"):
        shape = name.split(":")[0]
        base = [n for n, p in entries if n.startswith(shape + ":") and not is_rwkv_edge(p)]
        if not base or base[0] == name:
            return None
        pairs = [(x[key], y[key]) for x, y in zip(results[name], results[base[0]]) if x.get(key) and y.get(key)]
        return statistics.median(a / b for a, b in pairs) if pairs else None

    if a.prefill:
        print(f"| entry | prefill tok/s ({a.prefill} tokens) | vs rwkv.cpp | prefill / own decode |")
        print("|---|---|---|---|")
        for name, _ in entries:
            rt = ratio(name, "prefill_tok_s")
            own = statistics.median(x["prefill_tok_s"] / x["decode_tok_s"] for x in results[name])
            print(f"| {name} | {med(name, 'prefill_tok_s'):.1f} | {f'{rt:.2f}x' if rt else '-'} | {own:.2f}x |")
        print()

    print(f"| entry | decode tok/s | vs rwkv.cpp | roofline | bytes/token | mem GB/s | peak RSS MiB | model+arena MiB |"
          f" heap allocs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path in entries:
        rt = ratio(name)
        row = [name, f"{med(name, 'decode_tok_s'):.1f}", f"{rt:.2f}x" if rt else "-"]
        if is_rwkv_edge(path):
            last = results[name][-1]
            roof = "in cache" if last.get("roofline_fraction") is None else f"{med(name, 'roofline_fraction'):.2f}"
            row += [roof, f"{last['bytes_per_token'] / 2**20:.1f} MiB",
                    f"{med(name, 'mem_bw_gb_s'):.1f}", f"{med(name, 'peak_rss_bytes') / 2**20:.0f}",
                    f"{(last['model_bytes'] + last['arena_bytes']) / 2**20:.0f}", str(last["heap_allocs_after_init"])]
        else:
            row += ["-", "-", "-", f"{med(name, 'peak_rss_bytes') / 2**20:.0f}", "-", "-"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
