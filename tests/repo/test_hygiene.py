"""Repository hygiene: every action and workflow in the tree follows the house rules (DESIGN.md).

Files are found at collection time, so a new action or workflow is covered without touching this file.
Each rule is its own test; a failure names the file, the job or step, and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from repo import hygiene as h

ACTIONS = h.action_files()
WORKFLOWS = h.workflow_files()
EXAMPLES = h.example_workflow_files()
ALL_WORKFLOWS = [*WORKFLOWS, *EXAMPLES]
EVERYTHING = [*ACTIONS, *ALL_WORKFLOWS]


def each(files: list[Path]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("path", files, ids=[h.relative(path) for path in files])


def assert_follows(check: Callable[[h.Document], list[str]], path: Path) -> None:
    problems = check(h.load(path))
    assert not problems, f"{h.relative(path)}:\n  " + "\n  ".join(problems)


def test_the_tree_has_the_files_the_design_promises() -> None:
    assert ACTIONS, "no action.yml found: the root action and actions/*/action.yml"
    assert WORKFLOWS, "no workflow found in .github/workflows"


# -------------------------------------------------------------------------------------- external tools


@each([*EVERYTHING, h.dependabot_file()])
def test_zizmor_pedantic_reports_nothing(path: Path, zizmor_report: h.ToolReport) -> None:
    if not path.is_file():
        pytest.fail(f"{h.relative(path)} does not exist")
    findings = zizmor_report.for_file(h.relative(path))
    assert not findings, f"zizmor --offline --persona=pedantic {h.relative(path)}:\n  " + "\n  ".join(
        findings
    )


@each(ALL_WORKFLOWS)
def test_actionlint_reports_nothing(path: Path, actionlint_report: h.ToolReport) -> None:
    findings = actionlint_report.for_file(h.relative(path))
    assert not findings, f"actionlint {h.relative(path)}:\n  " + "\n  ".join(findings)


@each(EVERYTHING)
def test_zizmor_is_silenced_only_for_self_repository_references(path: Path) -> None:
    assert_follows(h.check_zizmor_ignores, path)


@each(ALL_WORKFLOWS)
def test_workflow_matches_github_schema(path: Path, workflow_schema_report: h.ToolReport) -> None:
    errors = workflow_schema_report.for_file(h.relative(path))
    assert not errors, f"check-jsonschema vendor.github-workflows {h.relative(path)}:\n  " + "\n  ".join(
        errors
    )


@each(ACTIONS)
def test_action_matches_github_schema(path: Path, action_schema_report: h.ToolReport) -> None:
    errors = action_schema_report.for_file(h.relative(path))
    assert not errors, f"check-jsonschema vendor.github-actions {h.relative(path)}:\n  " + "\n  ".join(errors)


# ------------------------------------------------------------------------------------- every file


@each(EVERYTHING)
def test_parses_as_a_yaml_mapping(path: Path) -> None:
    assert isinstance(h.load(path).data, dict)


@each(EVERYTHING)
def test_sha_pinned_uses_name_their_release(path: Path) -> None:
    assert_follows(h.check_version_comments, path)


@each(EVERYTHING)
def test_no_expressions_inside_run_scripts(path: Path) -> None:
    assert_follows(h.check_no_expressions_in_run, path)


@each(EVERYTHING)
def test_calls_of_this_repository_match_their_interface(path: Path) -> None:
    assert_follows(h.check_calls_match_interface, path)


@each(EVERYTHING)
def test_inputs_and_outputs_are_kebab_case(path: Path) -> None:
    assert_follows(h.check_interface_names, path)


# ------------------------------------------------------------------------------------------ actions


@each(ACTIONS)
def test_composite_run_steps_use_bash(path: Path) -> None:
    assert_follows(h.check_composite_shell, path)


@each(ACTIONS)
def test_action_installs_into_its_own_python(path: Path) -> None:
    assert_follows(h.check_own_python, path)


@each(ACTIONS)
def test_action_descriptions_are_full_sentences(path: Path) -> None:
    assert_follows(h.check_action_descriptions, path)


@each(ACTIONS)
def test_optional_action_inputs_state_their_default(path: Path) -> None:
    assert_follows(h.check_action_defaults_documented, path)


# ---------------------------------------------------------------------------------------- workflows


@each(ALL_WORKFLOWS)
def test_top_level_permissions_are_empty(path: Path) -> None:
    assert_follows(h.check_top_level_permissions, path)


@each(ALL_WORKFLOWS)
def test_every_job_has_a_timeout(path: Path) -> None:
    assert_follows(h.check_job_timeouts, path)


@each(ALL_WORKFLOWS)
def test_id_token_write_only_for_the_aws_job(path: Path) -> None:
    assert_follows(h.check_id_token_scope, path)


@each(ALL_WORKFLOWS)
def test_callers_grant_what_called_workflows_ask_for(path: Path) -> None:
    assert_follows(h.check_call_permissions, path)


@each(ALL_WORKFLOWS)
def test_reusable_workflow_inputs_are_typed_and_described(path: Path) -> None:
    assert_follows(h.check_reusable_inputs_typed, path)
