#!/usr/bin/env bash
# usage: fuzz/run.sh TARGET SECONDS       TARGET: fuzz_pth ... (fuzz/CMakeLists.txt), or "all"
#        fuzz/run.sh --totals             executions per target over every run so far
#        (RWKV_EDGE_FUZZ_BUILD: the build folder, default build-fuzz)
#
# Builds build-fuzz/ with clang (ASan + UBSan + libFuzzer) when needed, makes
# the seed corpora from the committed fixtures, and fuzzes TARGET for SECONDS.
# The corpus grows in build-fuzz/corpus/TARGET across runs; a crash, leak or
# UB report stops the run, exits non-zero and leaves the input in
# build-fuzz/findings/. Every run appends its executions and the seconds it
# ran to build-fuzz/ledger.tsv. `pkill -USR1 -x TARGET` ends a run early and
# cleanly (to free the cores for a benchmark); it still counts.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${RWKV_EDGE_FUZZ_BUILD:-build-fuzz}
TARGETS="fuzz_pth fuzz_safetensors fuzz_rwkvcpp_bin fuzz_model_file fuzz_state_file fuzz_tokenizer fuzz_vocabulary fuzz_token_list"

if [ "${1:-}" = "--totals" ]; then
  [ -f "$BUILD/ledger.tsv" ] || { echo "no runs recorded in $BUILD/ledger.tsv"; exit 0; }
  printf "%-18s %6s %10s %14s %8s\n" target runs seconds executions failed
  awk -F'\t' '{e[$1]+=$3; s[$1]+=$2; r[$1]+=1; if ($4!="ok") bad[$1]+=1}
    END {for (t in e) printf "%-18s %6d %10d %14d %8d\n", t, r[t], s[t], e[t], bad[t]}' "$BUILD/ledger.tsv" | sort
  exit 0
fi
[ $# -eq 2 ] || { sed -n 2,12p "$0"; exit 2; }
target=$1 seconds=$2
if [ "$target" = all ]; then build_targets=$TARGETS; else build_targets=$target; fi
case " all $TARGETS " in *" $target "*) ;; *) echo "unknown target '$target' (one of: $TARGETS)"; exit 2 ;; esac

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRWKV_EDGE_FUZZ=ON -DRWKV_EDGE_BUILD_TESTS=OFF >/dev/null
fi
# The seed maker plans models with a CLI: $RWKV_EDGE_CLI (e.g. the release
# build's, saving a build) or this build's own.
if [ -z "${RWKV_EDGE_CLI:-}" ]; then
  build_targets="$build_targets rwkv-edge"
  RWKV_EDGE_CLI=$BUILD/bin/rwkv-edge
fi
# shellcheck disable=SC2086
cmake --build "$BUILD" --target $build_targets >/dev/null
if [ ! -d "$BUILD/seeds" ]; then
  ASAN_OPTIONS=detect_leaks=0 python3 fuzz/make_corpus.py "$RWKV_EDGE_CLI" "$BUILD/seeds" >/dev/null
fi
if [ "$target" = all ]; then
  for t in $TARGETS; do RWKV_EDGE_CLI=$RWKV_EDGE_CLI "$0" "$t" "$seconds"; done
  exit 0
fi
mkdir -p "$BUILD/corpus/$target" "$BUILD/findings" "$BUILD/logs"
log="$BUILD/logs/$target.$(date +%Y%m%d-%H%M%S).log"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=ok
started=$SECONDS
# Longer inputs add no new paths to the text parsers, only time per execution.
case $target in
  fuzz_tokenizer) limits="-max_len=512" ;;
  fuzz_vocabulary) limits="-max_len=2048" ;;
  fuzz_token_list) limits="-max_len=128" ;;
  *) limits="" ;;
esac
# -rss_limit_mb: a parser that lets a small file demand gigabytes is a finding too.
"$BUILD/bin/$target" $limits -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=20 \
  -artifact_prefix="$BUILD/findings/$target-" "$BUILD/corpus/$target" "$BUILD/seeds/$target" >"$log" 2>&1 || status=failed
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
# The time it ran, not the time asked for: SIGUSR1 ends a run early and
# cleanly (libFuzzer finishes the input in hand and prints its statistics).
elapsed=$((SECONDS - started))
printf '%s\t%s\t%s\t%s\n' "$target" "$elapsed" "${runs:-0}" "$status" >>"$BUILD/ledger.tsv"
echo "$target: ${runs:-0} executions in ${elapsed} s, $status (log: $log)"
if [ "$status" != ok ]; then
  grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20
  exit 1
fi
