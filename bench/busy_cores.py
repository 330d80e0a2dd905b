#!/usr/bin/env python3
"""Decode speed while every core is busy with something else, the way an edge
device shares its cores (a browser on a kiosk, speech recognition beside the
model): a busy loop pinned to each core, then `rwkv-edge bench` on 1 and on N
threads, alternately, round after round. Prints a markdown table of medians.

    python3 bench/busy_cores.py --rounds 5 tiny=build/tiny.rwkv 0.1B=/tmp/rand7-0.1B-int8.rwkv
    python3 bench/busy_cores.py --no-load ...        # the same without the busy loops
    python3 bench/busy_cores.py --binary OLD/rwkv-edge --binary build/bin/rwkv-edge ...   # old vs new

Every busy loop is a child of this script and ends with it (also on Ctrl-C).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def bench(binary, model, threads, tokens):
    out = subprocess.run([binary, "bench", model, "--json", "--threads", str(threads), "--tokens", str(tokens),
                          "--prefill", "0"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["decode_tok_s"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", action="append", help="rwkv-edge binaries to compare (default build/bin/rwkv-edge)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--no-load", action="store_true", help="no busy loops: the uncontended baseline")
    ap.add_argument("models", nargs="+", help="NAME=FILE.rwkv")
    args = ap.parse_args()
    binaries = args.binary or ["build/bin/rwkv-edge"]
    models = [m.split("=", 1) for m in args.models]
    loops = []
    try:
        if not args.no_load:
            for core in range(os.cpu_count()):
                loops.append(subprocess.Popen(["taskset", "-c", str(core), sys.executable, "-c", "while True: pass"]))
        results = {}
        for r in range(args.rounds):
            for name, path in models:
                for binary in binaries:
                    for threads in (1, args.threads):
                        key = (name, binary, threads)
                        tok_s = bench(binary, path, threads, args.tokens)
                        results.setdefault(key, []).append(tok_s)
                        print(f"round {r + 1}: {name} {binary} {threads} threads: {tok_s:.1f} tok/s", file=sys.stderr)
    finally:
        for p in loops:
            p.kill()
            p.wait()
    load = "none" if args.no_load else f"a busy loop on each of {os.cpu_count()} cores"
    print(f"Load: {load}; {args.rounds} rounds, median decode tok/s.\n")
    print(f"| model | binary | 1 thread | {args.threads} threads | {args.threads} / 1 |")
    print("|---|---|---|---|---|")
    for name, _ in models:
        for binary in binaries:
            one = statistics.median(results[(name, binary, 1)])
            many = statistics.median(results[(name, binary, args.threads)])
            print(f"| {name} | {binary} | {one:.1f} | {many:.1f} | {many / one:.2f} |")


if __name__ == "__main__":
    main()
