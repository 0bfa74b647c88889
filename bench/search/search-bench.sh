#!/usr/bin/env bash
# Search benchmark (issue 17, docs/benchmarks.md "Rank/hyper-parameter search"). Run alone on a quiet machine.
#
#   bench/search/search-bench.sh [quality|grid|parallel|all] [--quick]
#
# Packs LoraSdk and the template (a fresh version), makes a `dotnet new lora-project` classification project
# (MiniLM on samples/IntentClassifier's data, the template's hand-picked settings: rank 8, alpha 16, learning rate
# 3e-3, 3 epochs), compiles it without training, then runs its `train` command directly:
#   quality  (item 5): the hand-picked run against a search with budget 3 (= 3 full runs of training), one trial at
#            a time, twice: as shipped (the configured settings kept as the incumbent) and with Incumbent=false (the
#            challengers alone: how well the ranking itself picks); validation accuracy of each, wall time and
#            training steps relative to one run.
#   grid     (item 5's ground truth): a plain full-length run of every point of the quality search's grid, one
#            thread: what each candidate would score if trained in full, the yardstick for the search's ranking.
#   parallel (item 4): one search two ways, interleaved A B B A: A = 2 trials at once x 1 thread each
#            (MaxParallelTrials=2, Threads=1), B = 1 trial x 2 threads (MaxParallelTrials=1, Threads=2); wall times
#            and their ratio. The winner of both must be the same (same seed): the check prints it.
# --quick: 1 epoch, small spaces: a functional check in a few minutes, not a measurement.
# Everything goes to $LORA_BENCH_DIR (default: a new /tmp folder), printed at the start; the tables at the end.
set -euo pipefail
mode=${1:-all}
quick=false; [[ "${2:-}" == "--quick" || "${1:-}" == "--quick" ]] && quick=true
[[ "$mode" == "--quick" ]] && mode=all
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=${LORA_BENCH_DIR:-$(mktemp -d /tmp/lorasdk-search-bench.XXXXXX)}
version=0.2.0-bench.$(date -u +%Y%m%d%H%M%S)
echo "work folder: $work; LoraSdk $version; load average: $(cut -d' ' -f1-3 /proc/loadavg); cores: $(nproc)"

feed=$work/feed
dotnet pack "$repo/src/LoraSdk/LoraSdk.csproj" -c Release -o "$feed" -p:PackageVersion="$version" -nodeReuse:false -v:q >/dev/null
dotnet pack "$repo/templates/LoraSdk.Templates.csproj" -c Release -o "$feed" -p:PackageVersion="$version" -nodeReuse:false -v:q >/dev/null
cat > "$work/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources><clear /><add key="bench" value="$feed" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
  <fallbackPackageFolders><add key="machine" value="${NUGET_PACKAGES:-$HOME/.nuget/packages}" /></fallbackPackageFolders>
</configuration>
CONFIG
dotnet new install "$feed/LoraSdk.Templates.$version.nupkg" --debug:custom-hive "$work/hive" >/dev/null
(cd "$work" && dotnet new lora-project -o "$work/app" -n Bench.Intents --debug:custom-hive "$work/hive" >/dev/null)
dotnet build "$work/app" -c Release -p:LoraFineTuneOnBuild=false -nodeReuse:false -v:q >/dev/null
dll=$(find "$work/app/bin/Release" -name Bench.Intents.dll | head -1)
epochs=3; $quick && epochs=1

# run <name> [--LoRA:Key=Value ...]: one `train` run in the project folder; prints "<accuracy> <wall s> <winner> <trained steps>".
# Trained steps of a search: a candidate's trials continue each other, so each candidate trains its longest trial's steps.
run() {
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  (cd "$work/app" && dotnet "$dll" train --LoRA:Output="obj/bench/$name" --LoRA:Progress=Plain --LoRA:Epochs=$epochs "$@" >"$work/$name.log" 2>&1) \
    || { echo "run $name failed; see $work/$name.log" >&2; tail -5 "$work/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  python3 - "$work/$name.log" "$start" "$end" "$work/app/obj/bench/$name.search/state.json" <<'PY'
import json, sys, os
line = [l for l in open(sys.argv[1]) if l.startswith("lora-result: ")][-1]
r = json.loads(line.split(" ", 1)[1])
steps = "-"
if os.path.exists(sys.argv[4]):
    longest = {}
    for t in json.load(open(sys.argv[4]))["Trials"]:
        label = json.dumps(t["Request"]["Candidate"]["Settings"])
        longest[label] = max(longest.get(label, 0), t["Request"]["Steps"])
    steps = str(sum(longest.values()))
winner = r.get("winner", "-").replace(" ", "") + ("(configured)" if r.get("configured") else "")
print(f'{r["validationAccuracy"]*100:.1f} {float(sys.argv[3]) - float(sys.argv[2]):.1f} {winner} {steps}')
PY
}

if [[ "$mode" == quality || "$mode" == all ]]; then
  space="Rank=4,8,16;LearningRate=1e-3,3e-3,1e-2"; budget=3
  $quick && { space="Rank=4,8;LearningRate=3e-3,1e-2"; budget=2.5; }
  read -r acc0 wall0 _ _ <<<"$(run default --LoRA:Threads=1)"
  read -r acc1 wall1 winner1 steps1 <<<"$(run search-quality --LoRA:Threads=1 --LoRA:MaxParallelTrials=1 --LoRA:Search="$space" --LoRA:Budget=$budget)"
  read -r acc2 wall2 winner2 steps2 <<<"$(run search-challengers --LoRA:Threads=1 --LoRA:MaxParallelTrials=1 --LoRA:Search="$space" --LoRA:Budget=$budget --LoRA:Incumbent=false)"
  onerun=$(grep -o '"steps": [0-9]*' "$work/app/obj/bench/search-quality/adapter_config.json" | grep -o '[0-9]*')
  ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
  echo
  echo "Quality (item 5): $space, budget $budget, $epochs epochs, 1 thread, one trial at a time"
  echo "| run | settings | validation accuracy | wall time | training steps |"
  echo "| --- | --- | ---: | ---: | ---: |"
  echo "| hand-picked (template defaults) | Rank=8, LearningRate=0.003 | $acc0 % | $wall0 s | $onerun (1 run) |"
  echo "| search (default: configured settings as incumbent) | winner $winner1 | $acc1 % | $wall1 s ($(ratio $wall1 $wall0)x) | $steps1 ($(ratio $steps1 $onerun) runs) |"
  echo "| search, Incumbent=false | winner $winner2 | $acc2 % | $wall2 s ($(ratio $wall2 $wall0)x) | $steps2 ($(ratio $steps2 $onerun) runs) |"
  echo "reports: $work/app/obj/bench/search-quality.search.md, $work/app/obj/bench/search-challengers.search.md"
fi

if [[ "$mode" == grid || "$mode" == all ]]; then
  ranks="4 8 16"; rates="0.001 0.003 0.01"
  $quick && { ranks="4 8"; rates="0.003 0.01"; }
  echo
  echo "Grid (item 5's ground truth): every candidate trained in full, $epochs epochs, 1 thread"
  echo "| Rank | LearningRate | validation accuracy | wall time |"
  echo "| ---: | ---: | ---: | ---: |"
  for rank in $ranks; do
    for rate in $rates; do
      read -r acc wall _ _ <<<"$(run "grid-$rank-$rate" --LoRA:Threads=1 --LoRA:Rank=$rank --LoRA:LearningRate=$rate)"
      echo "| $rank | $rate | $acc % | $wall s |"
    done
  done
fi

if [[ "$mode" == parallel || "$mode" == all ]]; then
  space="Rank=4,8;LearningRate=3e-3,1e-2"; budget=3; order="A B B A"
  $quick && { budget=2.5; order="A B"; }
  declare -A total=([A]=0 [B]=0); declare -A count=([A]=0 [B]=0); declare -A winners=()
  i=0
  for v in $order; do
    i=$((i + 1))
    if [[ $v == A ]]; then args=(--LoRA:MaxParallelTrials=2 --LoRA:Threads=1); else args=(--LoRA:MaxParallelTrials=1 --LoRA:Threads=2); fi
    read -r acc wall winner _ <<<"$(run "parallel-$v-$i" "${args[@]}" --LoRA:Search="$space" --LoRA:Budget=$budget)"
    echo "parallel run $i: variant $v ($([[ $v == A ]] && echo '2x1' || echo '1x2')): $wall s, winner $winner, accuracy $acc %"
    total[$v]=$(python3 -c "print(${total[$v]} + $wall)"); count[$v]=$((count[$v] + 1)); winners[$winner]=1
  done
  echo
  echo "Parallel trials (item 4): $space, budget $budget, $epochs epochs, runs interleaved $order"
  echo "| variant | mean wall time |"
  echo "| --- | ---: |"
  echo "| A: 2 trials x 1 thread | $(python3 -c "print(f'{${total[A]}/${count[A]}:.1f}')") s |"
  echo "| B: 1 trial x 2 threads | $(python3 -c "print(f'{${total[B]}/${count[B]}:.1f}')") s |"
  echo "A/B = $(python3 -c "print(f'{(${total[A]}/${count[A]})/(${total[B]}/${count[B]}):.2f}')") (below 1: 2x1 is faster -> set SearchOptions.DefaultMaxParallelTrials = 2)"
  echo "winners: ${!winners[*]} (trials are seeded; 1 and 2 threads may still round differently)"
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
