#!/usr/bin/env bash
# `make demo`: the whole mlci practice on embedded defaults: offline, no cloud, no server to start.
#
#   1. the quality gate passes on a clean example project...
#   2. ...and fails, one finding per tool, on one with findings;
#   3. `mlci sync` copies the training code to a local target (by content hash: run it twice, nothing moves);
#   4. `mlci train --launcher local` trains the wine classifier, logged and registered in a local MLflow
#      store (a sqlite file) under an alias;
#   5. `mlci validate` pulls that model back by `models:/NAME@ALIAS` and asserts the seed's four thresholds.
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
step 0 "train (local) and register in MLflow" -- train --launcher local --source "$out/code" \
  --output "$out/model" --hyperparameters 'n-estimators: 100' \
  --environment "{MLFLOW_TRACKING_URI: '$tracking_uri', EXPERIMENT_ARTIFACT_LOCATION: '$out/mlartifacts',
    REGISTERED_MODEL_NAME: $model_name, REGISTERED_MODEL_ALIAS: champion}"
# --trust-pickle: this model was trained a moment ago by the step above; a model from elsewhere gets --sha256.
step 0 "validate models:/$model_name@champion" -- validate --model "models:/$model_name@champion" \
  --mlflow-tracking-uri "$tracking_uri" --trust-pickle \
  --data sklearn:wine --positive-label 2 --test-size 0.25 --random-state 42 \
  --thresholds examples/training/thresholds.yml --report "$out/validation.json"

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
printf 'The demo took %s s.\n' "$elapsed"
exit "$failed"
