#!/usr/bin/env bash
# `make demo`: the whole mlci practice on embedded defaults: offline, no cloud, no server to start.
#
#   1. the quality gate passes on a clean example project...
#   2. ...and fails, one finding per tool, on one with findings;
#   3. `mlci sync` copies the training code to a local target (by content hash: run it twice, nothing moves);
#   4. the PR loop: `mlci train --launcher local` trains a champion and registers it in a local MLflow store
#      (a sqlite file) as @champion; a pull request (#1) trains the challenger, registered as @pr-1;
#   5. `mlci validate` pulls models:/NAME@pr-1 (pinned by the sha256 registration recorded) and compares it
#      with models:/NAME@champion on the seed's thresholds;
#   6. `mlci comment` writes the pull request's comment to pr-comment.md (no GitHub needed: --no-post).
#
# Everything lands in demo-output/, including summary.md: the Markdown a GitHub job summary would show.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
out=${MLCI_DEMO_OUTPUT:-demo-output} # where everything lands (tests point it elsewhere)
if [[ -d "$out" && -n "$(ls -A "$out")" && ! -f "$out/summary.md" ]]; then
  echo "MLCI_DEMO_OUTPUT=$out: the directory holds files that are not a previous demo's; choose another." >&2
  exit 2
fi
rm -rf "$out"
mkdir -p "$out"
export PYTHONPATH="$PWD/scripts"
out=$(cd "$out" && pwd)
export GITHUB_STEP_SUMMARY="$out/summary.md"
tracking_uri="sqlite:///$out/mlflow.db"
model_name=wine-demo
: >"$GITHUB_STEP_SUMMARY"

bold='' plain=''
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; fi
rows=()
failed=0
started=$SECONDS

# step EXPECTED_EXIT TITLE -- COMMAND...: run one step, record whether it ended as expected.
step() {
  local expected=$1 title=$2
  shift 3
  local begin=$SECONDS code=0
  printf '\n%s== %s%s\n$ mlci %s\n' "$bold" "$title" "$plain" "$*"
  "$python" -m mlci "$@" || code=$?
  local verdict="as expected"
  if [[ $code -ne $expected ]]; then
    verdict="UNEXPECTED (wanted exit $expected)"
    failed=1
  fi
  rows+=("$title|$expected|$code|$verdict|$((SECONDS - begin)) s")
}

step 0 "quality gate, clean project" -- quality examples/projects/clean
step 1 "quality gate, project with findings" -- quality examples/projects/findings
step 0 "sync training code" -- sync examples/training "$out/code"
step 0 "sync again: nothing changed" -- sync examples/training "$out/code"
register=(--register "$model_name" --register-mlflow-tracking-uri "$tracking_uri"
  --register-artifact-location "$out/mlartifacts" --register-trust-pickle) # trust: trained a moment ago, here
step 0 "train the champion, register @champion" -- train --launcher local --source "$out/code" \
  --output "$out/champion" --hyperparameters 'n-estimators: 5' --metric-definitions '{log-f1: "f1=([0-9.]+)"}' \
  "${register[@]}" --register-alias champion --report "$out/champion-training.json"
step 0 "train PR #1's challenger, register @pr-1" -- train --launcher local --source "$out/code" \
  --output "$out/model" --hyperparameters 'n-estimators: 100' --metric-definitions '{log-f1: "f1=([0-9.]+)"}' \
  "${register[@]}" --repository acme/wine --pr-number 1 --sha "$(git rev-parse HEAD 2>/dev/null || echo demo)" \
  --report "$out/training.json"
registered_sha256() { "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["registered"]["sha256"])' "$1"; }
# The registered skops files are pinned by the sha256 registration recorded: no --trust-pickle here.
step 0 "validate @pr-1 against @champion" -- validate --model "models:/$model_name@pr-1" \
  --sha256 "$(registered_sha256 "$out/training.json")" --baseline "models:/$model_name@champion" \
  --baseline-sha256 "$(registered_sha256 "$out/champion-training.json")" --max-regression 0.05 \
  --mlflow-tracking-uri "$tracking_uri" --data sklearn:wine --positive-label 2 --test-size 0.25 \
  --random-state 42 --thresholds examples/training/thresholds.yml --report "$out/validation.json"
step 0 "write the pull request's comment" -- comment --key "$model_name" --training-report "$out/training.json" \
  --validation-report "$out/validation.json" --sha "$(git rev-parse HEAD 2>/dev/null || echo demo)" \
  --markdown "$out/pr-comment.md" --no-post

elapsed=$((SECONDS - started))
{
  printf '\n## mlci demo\n\n| step | expected exit | exit | verdict | time |\n|---|---|---|---|---|\n'
  for row in "${rows[@]}"; do printf '| %s |\n' "${row//|/ | }"; done
  printf '\nTotal: %s s\n' "$elapsed"
} >>"$GITHUB_STEP_SUMMARY"

printf '\n%s== mlci demo: summary%s\n' "$bold" "$plain"
for row in "${rows[@]}"; do
  IFS='|' read -r title expected code verdict took <<<"$row"
  printf '  %-40s exit %s  %-28s %s\n' "$title" "$code" "$verdict" "$took"
done
printf '\nThe job summary a GitHub run would show: %s\n' "$out/summary.md"
printf 'The validation report: %s\n' "$out/validation.json"
printf "The pull request's comment: %s\n" "$out/pr-comment.md"
printf 'The demo took %s s.\n' "$elapsed"
exit "$failed"
