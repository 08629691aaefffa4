"""devtools.expressions: GitHub's expression rules where they change what a step sees.

Each case is a rule from docs.github.com ("Evaluate expressions in workflows and actions", "Contexts
reference") that a naive evaluator gets wrong; the composite runner relies on them to run the actions as
GitHub does.
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools import expressions as e

CONTEXT: dict[str, Any] = {
    "inputs": {"empty": "", "name": "Wine", "flag": "true", "list": '["a", "b"]'},
    "github": {
        "event_name": "pull_request",
        "event": {"pull_request": {"labels": [{"name": "ml"}, {"name": "Train"}]}},
    },
    "steps": {"sync": {"outputs": {"uploaded": "3"}, "outcome": "success"}},
    "job": {"workflow_repository": "mlci-dev/mlci", "workflow_sha": "a" * 40},
    "env": {},
}


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("inputs.empty || 'fallback'", "fallback"),  # || returns an operand, not a boolean
        ("inputs.name && 'yes'", "yes"),
        ("inputs.empty && 'yes'", ""),
        ("inputs.flag == true", False),  # 'true' is a string: converted to a number (NaN), not equal
        ("inputs.flag == 'TRUE'", True),  # strings compare ignoring case
        ("'abc' == 0", False),  # NaN equals nothing
        ("'' == 0", True),  # the empty string is 0
        ("0xff == 255", True),
        ("steps.sync.outputs.uploaded >= 2", True),  # '3' is converted to a number
        ("steps.SYNC.outputs.uploaded", "3"),  # property names ignore case
        ("steps.missing.outputs.uploaded", None),  # a missing property is null
        ("!inputs.empty && inputs.name == 'wine'", True),
        ("contains(github.event.pull_request.labels.*.name, 'train')", True),  # object filter
        ("contains('Hello world', 'WORLD')", True),
        ("contains(fromJSON(inputs.list), 'b')", True),
        ("startsWith(github.event_name, 'pull')", True),
        ("format('{0}-{{literal}}-{1}', inputs.name, 2)", "Wine-{literal}-2"),
        ("join(github.event.pull_request.labels.*.name, ', ')", "ml, Train"),
        ("job.workflow_repository", "mlci-dev/mlci"),
        ("job.workflow_file_path", None),  # a known property the job does not hold: null
    ],
)
def test_evaluate_follows_githubs_rules(expression: str, value: Any) -> None:
    assert e.evaluate(expression, CONTEXT) == value


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ("${{ inputs.name }}", "Wine"),
        ("model-${{ inputs.name }}-${{ 1 == 1 }}", "model-Wine-true"),  # embedded values become strings
        ("${{ steps.sync.outputs.uploaded == 3 }}", "true"),
        ("${{ 3 }}", "3"),  # a whole number is written without '.0'
        ("${{ steps.missing.outputs.x }}", ""),  # null is written as the empty string
        (True, "true"),
        ("no expression", "no expression"),
    ],
)
def test_render_writes_values_as_github_writes_them(text: Any, rendered: str) -> None:
    assert e.render(text, CONTEXT) == rendered


def test_fromjson_and_tojson_round_trip() -> None:
    assert e.evaluate("fromJSON(toJSON(fromJSON(inputs.list)))", CONTEXT) == ["a", "b"]


@pytest.mark.parametrize(
    ("condition", "after_success", "after_failure"),
    [
        (None, True, False),
        ("inputs.name == 'wine'", True, False),  # the implied success() &&
        ("${{ inputs.name == 'wine' }}", True, False),
        ("always()", True, True),
        ("failure()", False, True),
        ("${{ !cancelled() }}", True, True),
        ("success() || failure()", True, True),
        ("inputs.empty", False, False),
    ],
)
def test_conditions_imply_success_unless_they_call_a_status_function(
    condition: str | None, after_success: bool, after_failure: bool
) -> None:
    assert e.condition(condition, CONTEXT, failed=False) is after_success
    assert e.condition(condition, CONTEXT, failed=True) is after_failure


def test_job_workflow_properties_are_null_where_the_job_context_lacks_them() -> None:
    act = {**CONTEXT, "job": {}}  # act and GHES give no job.workflow_*
    assert e.render("${{ job.workflow_sha }}", act) == ""
    assert e.evaluate("job.workflow_sha || inputs.name", act) == "Wine"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("job.workflow_sah", "the job context has no property 'workflow_sah'"),
        ("jobb.status", "unknown context 'jobb'"),
        ("input.name", "unknown context 'input'"),
        ("nosuch(1)", "function nosuch() is not supported"),
        ("inputs.name ==", "unexpected end of expression"),
        ("inputs.name ) x", "unexpected ')'"),
        ("'unterminated", "cannot read"),
    ],
)
def test_misspelt_or_malformed_expressions_are_errors_not_empty_strings(
    expression: str, message: str
) -> None:
    with pytest.raises(e.ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        e.evaluate(expression, CONTEXT)
