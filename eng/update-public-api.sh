#!/usr/bin/env bash
# Brings src/LoraSdk/PublicAPI.Unshipped.txt and src/LoraSdk.Models/PublicAPI.Unshipped.txt up to date with the code
# (docs/architecture.md, "Public API"): every public symbol the analyzer reports as undeclared (RS0016) is added,
# every declared symbol that is gone (RS0017) is removed from Unshipped, or marked *REMOVED* there when it had shipped.
# It rebuilds both projects once with the two rules as warnings and reads them from the build log, so members the
# [LoRA] source generator writes into LoraSdk.Models count too (`dotnet format analyzers` does not see those).
# Usage: eng/update-public-api.sh   (then review `git diff -- '*PublicAPI*'`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Both projects (LoraSdk.Models builds LoraSdk), every file compiled again so every diagnostic is reported.
dotnet build "$root/src/LoraSdk.Models/LoraSdk.Models.csproj" --no-incremental -nologo -v q \
  -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= "-flp:logfile=$log;warningsonly;verbosity=quiet" >/dev/null || true
if grep -qE ': error ' "$log"; then grep -E ': error ' "$log" | sort -u >&2; echo "The build has errors other than the public API's: fix those first." >&2; exit 1; fi

for project in LoraSdk LoraSdk.Models; do
  dir="$root/src/$project"
  shipped="$dir/PublicAPI.Shipped.txt"
  unshipped="$dir/PublicAPI.Unshipped.txt"
  mine="\\[$dir/$project.csproj\\]\$"
  added="$(grep -E "warning RS0016: .*$mine" "$log" | sed -E "s/.*warning RS0016: Symbol '(.*)' is not part of the declared (public )?API.*/\1/" | sort -u || true)"
  removed="$(grep -E "warning RS0017: .*$mine" "$log" | sed -E "s/.*warning RS0017: Symbol '(.*)' is part of the declared API, but is either not public or could not be found.*/\1/" | sort -u || true)"
  body="$(mktemp)"
  grep -vxF '#nullable enable' "$unshipped" > "$body" || true
  if [ -n "$removed" ]; then
    while IFS= read -r symbol; do
      if grep -qxF -- "$symbol" "$body"; then grep -vxF -- "$symbol" "$body" > "$body.new" || true; mv "$body.new" "$body"
      elif grep -qxF -- "$symbol" "$shipped"; then echo "*REMOVED*$symbol" >> "$body"; fi
    done <<< "$removed"
  fi
  [ -n "$added" ] && printf '%s\n' "$added" >> "$body"
  { echo '#nullable enable'; LC_ALL=C sort -u "$body"; } > "$unshipped"
  rm -f "$body"
  echo "$project: $(printf '%s' "$added" | grep -c . || true) added, $(printf '%s' "$removed" | grep -c . || true) removed"
done
