"""``mlci validate``: pull a classifier, evaluate it on reference data, assert its metrics.

Glue only: options in, :func:`mlci.validation.runner.validate` does the work, the result goes out through
:mod:`mlci.gha` (terminal text, an error annotation per failed check, job summary, step outputs), the JSON
report and, when asked, a sticky pull-request comment.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlci import gha
from mlci.options import add_report_option, csv_list, non_negative_float, positive_int

if TYPE_CHECKING:
    from mlci.validation.runner import Options

HELP = "Pull a classifier from Hugging Face Hub, MLflow or a file, evaluate it, and assert its metrics."

_EPILOG = """\
examples:
  mlci validate --model hf://acme/wine@<commit>/model.joblib --sha256 <hex> \\
      --data sklearn:wine --positive-label 2 --test-size 0.25 --random-state 42 \\
      --thresholds 'False: {f1-score: "> 0.95", precision: "> 0.9"}'
  mlci validate --model models:/wine@challenger --baseline models:/wine@champion --max-regression 0.01 \\
      --trust-pickle --data eval.parquet --target label --thresholds thresholds.yml

Pickle and joblib files run code when loaded: mlci loads one only when --sha256 pins it or --trust-pickle
is given. Exit codes: 0 passed, 1 a check failed, 2 bad input.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    from mlci.validation.split import parse_test_size

    parser.epilog = _EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    model = parser.add_argument_group("model")
    model.add_argument(
        "--model",
        required=True,
        metavar="URI",
        help="hf://OWNER/REPO[@REVISION]/PATH, models:/NAME/VERSION|@ALIAS|/latest|/STAGE, models:/MODEL_ID, "
        "runs:/RUN_ID/PATH, or a local file (joblib, pickle, skops) or MLflow model directory. Required.",
    )
    model.add_argument(
        "--sha256",
        metavar="HEX",
        help="Pin the model: a file's sha256, or an MLflow model directory's tree hash "
        "(docs/model-validation.md); a pinned model may be loaded.",
    )
    model.add_argument(
        "--trust-pickle",
        action="store_true",
        help="Load pickle/joblib files (and skops types outside skops' allow-list) without a sha256 pin. "
        "Default: refuse them.",
    )
    model.add_argument(
        "--mlflow-tracking-uri",
        metavar="URI",
        help="MLflow tracking server for models:/ and runs:/ URIs. Default: $MLFLOW_TRACKING_URI.",
    )
    model.add_argument(
        "--fetched",
        metavar="DIR",
        help="Use the models mlci model-requirements --keep DIR downloaded, after checking them against its "
        "manifest (the model-validation action: one download). Default: download them.",
    )
    model.add_argument(
        "--fetched-sha256",
        metavar="HEX",
        help="With --fetched: the sha256 of DIR/fetched.json, as mlci model-requirements wrote it.",
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--data",
        required=True,
        metavar="SPEC",
        help="A .csv, .csv.gz or .parquet file or a folder of Parquet files, here or at s3://BUCKET/KEY, "
        "https://, runs:/RUN_ID/PATH or hf://datasets/OWNER/NAME[@REVISION]/PATH; or "
        "sklearn:wine|iris|breast_cancer|digits. Required.",
    )
    data.add_argument(
        "--target", metavar="COLUMN", help="The label column of a file (sklearn: data: 'target')."
    )
    data.add_argument(
        "--features",
        type=csv_list,
        metavar="A,B,...",
        help="Feature columns. Default: the columns the model was fitted on, else all but the target.",
    )
    data.add_argument(
        "--positive-label",
        metavar="VALUE",
        help="One-vs-rest: the target becomes target == VALUE (classes 'True', 'False'). Default: off.",
    )
    data.add_argument(
        "--label-map",
        metavar="MAP",
        help="The model's labels as the data writes them, e.g. 'class_0: 0, class_1: 1' (every prediction "
        "must be mapped). Default: none: predictions and labels must share values.",
    )
    data.add_argument(
        "--test-size",
        type=parse_test_size,
        metavar="N",
        help="Evaluate on the test part of train_test_split (fraction or row count). Default: every row; "
        "0.25 (train_test_split's default) when --random-state is given.",
    )
    data.add_argument("--random-state", type=int, metavar="N", help="train_test_split's random_state.")
    data.add_argument(
        "--stratify", action="store_true", help="Stratify the split on the target. Default: off."
    )
    data.add_argument(
        "--chunk-rows",
        type=positive_int,
        default=200_000,
        metavar="N",
        help="Rows per chunk when reading and predicting. Default: 200000.",
    )
    checks = parser.add_argument_group("checks")
    checks.add_argument(
        "--thresholds",
        metavar="FILE_OR_YAML",
        help="A YAML file, or inline YAML such as 'False: {f1-score: \"> 0.95\"}' or 'accuracy: 0.9'.",
    )
    checks.add_argument("--baseline", metavar="URI", help="A model to compare with (champion/challenger).")
    checks.add_argument(
        "--max-regression",
        type=non_negative_float,
        metavar="DELTA",
        help="With --baseline: fail when a metric falls more than DELTA below the baseline's.",
    )
    checks.add_argument(
        "--baseline-sha256", metavar="HEX", help="Pin the baseline model, as --sha256 pins the model."
    )
    chance = parser.add_argument_group("chance (intervals and how checks read them)")
    chance.add_argument(
        "--gate",
        choices=("point", "confident"),
        default="point",
        help="point: a check reads the metric's value; confident: it fails only when the metric's whole "
        "interval is on the wrong side, and is inconclusive (a warning) when the interval straddles the "
        "bound. Applies to thresholds and baseline comparisons (their paired interval). Default: point.",
    )
    chance.add_argument(
        "--strict",
        action="store_true",
        help="With --gate confident: an inconclusive check fails. Default: off.",
    )
    chance.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        metavar="LEVEL",
        help="Confidence level of the intervals. Default: 0.95.",
    )
    chance.add_argument(
        "--resamples",
        type=int,
        default=1000,
        metavar="N",
        help="Bootstrap draws; 0: no intervals (and checks read values). Default: 1000.",
    )
    chance.add_argument(
        "--bootstrap-seed",
        type=int,
        default=0,
        metavar="N",
        help="Seed of the bootstrap: the same data gives the same intervals. Default: 0.",
    )
    chance.add_argument(
        "--min-support",
        type=positive_int,
        default=30,
        metavar="N",
        help="Warn when a class has fewer evaluated rows than N. Default: 30.",
    )
    output = parser.add_argument_group("output")
    add_report_option(output, "the metrics, the checks and the model's resolved identity")
    output.add_argument(
        "--pr-comment",
        action="store_true",
        help="Post the summary as one pull-request comment, updated in place (GITHUB_TOKEN). Default: off.",
    )
    output.add_argument(
        "--pr-comment-key",
        default="default",
        metavar="KEY",
        help="Tells apart several validations commenting on one pull request. Default: 'default'.",
    )


def _options(args: argparse.Namespace) -> Options:
    from mlci.validation.runner import Options

    return Options(
        model=args.model,
        data=args.data,
        thresholds=args.thresholds,
        target=args.target,
        features=args.features,
        positive_label=args.positive_label,
        label_map=args.label_map,
        test_size=args.test_size,
        random_state=args.random_state,
        stratify=args.stratify,
        baseline=args.baseline,
        max_regression=args.max_regression,
        sha256=args.sha256,
        baseline_sha256=args.baseline_sha256,
        trust_pickle=args.trust_pickle,
        mlflow_tracking_uri=args.mlflow_tracking_uri,
        fetched=args.fetched,
        fetched_sha256=args.fetched_sha256,
        chunk_rows=args.chunk_rows,
        gate=args.gate,
        strict=args.strict,
        confidence=args.confidence,
        resamples=args.resamples,
        seed=args.bootstrap_seed,
        min_support=args.min_support,
    )


def run(args: argparse.Namespace) -> bool:
    """Validate; True when every check passed."""
    from mlci.errors import UserError
    from mlci.files import write_json
    from mlci.validation import render
    from mlci.validation.runner import validate

    try:
        result = validate(_options(args))
    except UserError as exc:  # the comment of an earlier run must not stay green: say this one could not run
        if args.pr_comment:
            _comment(render.could_not_run(str(exc)), args.pr_comment_key)
        raise
    for warning in result.all_warnings:
        gha.warning(warning, title="mlci validate")
    for notice in result.notices:
        gha.notice(notice, title="mlci validate")
    for few_rows in result.low_support:
        gha.notice(few_rows, title="mlci validate: few rows")
    with gha.untrusted_output():  # class names and paths come from the data and the model
        gha.info(render.text(result))
    for annotation in render.failure_annotations(result):
        gha.annotate(annotation)
    summary = render.markdown(result)
    gha.add_summary(summary)
    outputs: dict[str, object] = {
        "passed": "true" if result.passed else "false",
        "metrics": result.evaluation.metrics,
        "intervals": result.evaluation.intervals,
        "inconclusive": len(result.inconclusive),
    }
    if args.report:
        outputs["report-path"] = str(write_json(args.report, result.to_json()))
    gha.set_outputs(outputs)
    if args.pr_comment:
        _comment(summary, args.pr_comment_key)
    return result.passed


def _comment(summary: str, key: str) -> None:
    from mlci.loop.comment_command import post

    post(summary, key, workflow="model-validation", what="--pr-comment", title="mlci validate")
