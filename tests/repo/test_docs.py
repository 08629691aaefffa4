"""The docs cannot drift from the code they describe.

- The generated input/output tables equal what ``scripts/gen_docs.py`` writes from the action and workflow
  files now (where each action input goes comes from devtools/drift.py, which runs the scripts), and every
  action and reusable workflow has one.
- Every ``mlci ...`` command line in a shell block of README.md and docs/*.md parses with mlci's own parser.
- Every relative link resolves (anchors included), every ``make`` target named exists, every ``uses:`` of
  mlci in an example names real inputs and secrets, every ``--flag`` in an options table is a real flag.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools import gen_docs
from mlci import cli
from mlci.errors import UserError
from repo import docs_support as s
from repo import hygiene as h

PARSER = cli.build_parser()
DOCS = s.doc_files()
SOURCES = gen_docs.sources()
ACTIONS = [path for path in SOURCES if path.name == "action.yml"]


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def page_of(source: Path) -> Path:
    """The docs page holding the generated block of ``source``."""
    name = h.relative(source)
    return next(page for page in gen_docs.pages() if name in gen_docs.blocks(read(page)))


def declared(source: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """The inputs, secrets and outputs of an action or reusable workflow, each name -> its spec."""
    spec = gen_docs.load(source)
    section = spec if "runs" in spec else spec["on"]["workflow_call"] or {}
    return {
        kind: {name: value or {} for name, value in (section.get(kind) or {}).items()}
        for kind in ("inputs", "secrets", "outputs")
    }


# ---------------------------------------------------------------------------------- generated tables


def test_generated_blocks_are_up_to_date() -> None:
    stale = [h.relative(page) for page in gen_docs.stale()]
    assert stale == [], f"generated tables out of date in {stale}: run python scripts/gen_docs.py"


def test_every_action_and_reusable_workflow_has_a_generated_block() -> None:
    documented = {name for page in gen_docs.pages() for name in gen_docs.blocks(read(page))}
    assert {h.relative(source) for source in SOURCES} - documented == set()
    assert len(SOURCES) >= 6, [h.relative(source) for source in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=[h.relative(path) for path in SOURCES])
def test_every_input_secret_and_output_is_named_in_its_page(source: Path) -> None:
    text = read(page_of(source))
    names = [name for kind in declared(source).values() for name in kind]
    assert [name for name in names if f"`{name}`" not in text] == []


def test_a_changed_action_makes_its_page_stale(tmp_path: Path) -> None:
    for name in (
        "action.yml",
        "requirements/quality.txt",
        "requirements/quality.lock",
        "scripts/setup_env.py",
        ".github/workflows/python-quality.yml",
        "docs/quality.md",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(h.REPO / name, tmp_path / name)
    assert gen_docs.stale(tmp_path) == []
    action = tmp_path / "action.yml"
    action.write_text(
        read(action).replace("  cov-fail-under:\n", "  coverage-fail-under:\n"), encoding="utf-8"
    )
    assert gen_docs.stale(tmp_path) == [tmp_path / "docs" / "quality.md"]
    assert gen_docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert gen_docs.main(["--root", str(tmp_path)]) == 0
    assert "| `coverage-fail-under` | no |" in read(tmp_path / "docs" / "quality.md")
    assert gen_docs.main(["--check", "--root", str(tmp_path)]) == 0


def test_a_block_naming_a_missing_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("<!-- BEGIN GENERATED: gone.yml -->\n<!-- END GENERATED -->\n")
    assert gen_docs.main(["--check", "--root", str(tmp_path)]) == 2
    assert "gone.yml, which does not exist" in capsys.readouterr().err


# ------------------------------------------------------------------ where the generator says inputs go


TINY = """\
name: Tiny
description: A tiny action.
inputs:
  source: {description: "The source, a|b <N>. Required.", required: true}
  destination: {description: "Where. Default: a temp dir.", default: ""}
  exclude: {description: "Globs, one per line. Default: none.", default: ""}
  delete: {description: "Delete. Default: 'false'.", default: "false"}
  apply: {description: "Change things. Default: 'true'.", default: "true"}
  attempts: {description: "Attempts. Default: none.", default: ""}
  report-dir: {description: "Report directory. Default: none.", default: "."}
  token: {description: "A token. Default: none.", default: ""}
  endpoint: {description: "An endpoint. Default: none.", default: ""}
  requirements: {description: "Requirements files. Default: none.", default: ""}
  python-version: {description: "Python. Default: '3.11'.", default: "3.11"}
outputs:
  uploaded: {description: "How many.", value: "${{ steps.sync.outputs.uploaded }}"}
runs:
  using: composite
  steps:
    - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
      id: python
      with: {python-version: "${{ inputs.python-version }}"}
    - shell: bash
      env:
        PYTHON: ${{ steps.python.outputs.python-path }}
        MLCI_REQUIREMENTS: ${{ inputs.requirements }}
      run: |
        requirements=(-r base.txt)
        read -ra extra <<< "$MLCI_REQUIREMENTS"
        for file in "${extra[@]}"; do requirements+=(-r "$file"); done
        "$PYTHON" -m pip install --quiet "${requirements[@]}"
    - id: sync
      shell: bash
      env:
        MLCI_SOURCE: ${{ inputs.source }}
        MLCI_DESTINATION: ${{ inputs.destination }}
        MLCI_EXCLUDE: ${{ inputs.exclude }}
        MLCI_DELETE: ${{ inputs.delete }}
        MLCI_APPLY: ${{ inputs.apply }}
        MLCI_ATTEMPTS: ${{ inputs.attempts }}
        MLCI_REPORT_DIR: ${{ inputs.report-dir }}
        MLCI_TOKEN: ${{ inputs.token }}
        AWS_ENDPOINT_URL: ${{ inputs.endpoint }}
        PYTHON: ${{ steps.python.outputs.python-path }}
      run: |
        src="$MLCI_SOURCE"
        args=(sync "$src" "${MLCI_DESTINATION:-$RUNNER_TEMP/out}"
          --report "$MLCI_REPORT_DIR/sync.json")
        while IFS= read -r pattern; do
          if [ -n "$pattern" ]; then args+=(--exclude "$pattern"); fi
        done <<< "$MLCI_EXCLUDE"
        if [ "$MLCI_DELETE" = "true" ]; then args+=(--delete); fi
        if [ "$MLCI_APPLY" != "true" ]; then
          args+=(--dry-run)
        fi
        if [ -n "$MLCI_ATTEMPTS" ]; then args+=("--max-attempts=$MLCI_ATTEMPTS"); fi
        if [ -n "$MLCI_TOKEN" ]; then export AWS_SESSION_TOKEN="$MLCI_TOKEN"; fi
        "$PYTHON" -m mlci "${args[@]}"
"""


def test_the_generator_reads_every_way_a_script_passes_an_input(tmp_path: Path) -> None:
    (tmp_path / "action.yml").write_text(TINY, encoding="utf-8")
    routes = gen_docs.action_routes(tmp_path / "action.yml", PARSER)
    assert {name: [route.cell(False) for route in found] for name, found in routes.items()} == {
        "source": ["`SRC`"],
        "destination": ["`DEST`"],
        "exclude": ["`--exclude`"],
        "delete": ["`--delete` if `true`"],
        "apply": ["`--dry-run` if `false`"],
        "attempts": ["`--max-attempts`"],
        "report-dir": ["part of `--report`"],
        "token": ["`$AWS_SESSION_TOKEN`"],
        "endpoint": ["`$AWS_ENDPOINT_URL`"],
        "requirements": ["`pip install`"],
        "python-version": [],
    }
    block = gen_docs.render(tmp_path / "action.yml", tmp_path / "docs", PARSER, root=tmp_path)
    assert "| `source` | yes | — | `SRC` | The source, a\\|b &lt;N>. Required. |" in block
    assert "| `python-version` | no | `3.11` | — (the action's own set-up) |" in block
    assert "| `uploaded` | How many. |" in block
    assert "[`action.yml`](../action.yml)" in block


# -------------------------------------------------------------------------------------- command lines

COMMANDS = [command for path in DOCS for command in s.mlci_commands(read(path), h.relative(path))]


def test_the_docs_show_command_lines_for_every_command() -> None:
    assert {command.argv[0] for command in COMMANDS if command.argv} >= set(cli.COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=[command.where for command in COMMANDS])
def test_every_mlci_command_line_in_the_docs_parses(command: s.CommandLine) -> None:
    try:
        PARSER.parse_args(command.argv)
    except UserError as exc:
        pytest.fail(f"{command.where}: {command.text}\n  {exc}")
    except SystemExit as exc:  # --help
        assert exc.code == 0, command.where


SAMPLE = """\
Text.

```sh
alias mlci="PYTHONPATH=$PWD/scripts $PWD/.venv/bin/python -m mlci"
# Sync by content: nothing moves when nothing changed
PYTHONPATH=scripts .venv/bin/python -m mlci sync src s3://bucket/code/$(git rev-parse HEAD) \\
    --exclude '*.md'   # a comment
mlci validate --model <model uri> --thresholds 'False: {f1-score: "> 0.95"}
True: {precision: "> 0.8"}' --data sklearn:wine
mlci quality --checkz flake8 && echo done
make demo
```

```yaml
run: python -m mlci quality --nope
```
"""


def test_command_lines_are_read_as_the_shell_would() -> None:
    commands = s.mlci_commands(SAMPLE, "sample.md")
    assert [(command.where, command.argv) for command in commands] == [
        ("sample.md:6", ["sync", "src", "s3://bucket/code/SUBSTITUTION", "--exclude", "*.md"]),
        (
            "sample.md:8",
            [
                "validate",
                "--model",
                "PLACEHOLDER",
                "--thresholds",
                'False: {f1-score: "> 0.95"}\nTrue: {precision: "> 0.8"}',
                "--data",
                "sklearn:wine",
            ],
        ),
        ("sample.md:10", ["quality", "--checkz", "flake8"]),
    ]


def test_a_renamed_flag_in_a_command_line_fails() -> None:
    renamed = s.mlci_commands(SAMPLE, "sample.md")[-1]
    with pytest.raises(UserError, match="--checkz"):
        PARSER.parse_args(renamed.argv)


# ------------------------------------------------------------------------------ links, make, options


LINKS = [
    (path, target)
    for path in [*DOCS, h.REPO / "CHANGELOG.md"]
    for target in dict.fromkeys(s.relative_links(read(path)))  # each distinct target once per page
]


@pytest.mark.parametrize(("page", "target"), LINKS, ids=[f"{h.relative(p)}->{t}" for p, t in LINKS])
def test_every_relative_link_resolves(page: Path, target: str) -> None:
    file_part, _, anchor = target.partition("#")
    resolved = (page.parent / file_part).resolve() if file_part else page
    assert resolved.exists(), f"{h.relative(page)} links to {target}, which does not exist"
    assert resolved == h.REPO or h.REPO in resolved.parents, f"{target} leaves the repository"
    if anchor and resolved.suffix == ".md":
        assert anchor in s.anchors(read(resolved)), f"{h.relative(resolved)} has no heading #{anchor}"


def test_link_and_anchor_reading() -> None:
    text = "# Local runs: the CLI and `act`\n## Local runs: the CLI and `act`\n```sh\n# not a heading\n```\n"
    assert s.anchors(text) == {"local-runs-the-cli-and-act", "local-runs-the-cli-and-act-1"}
    links = '[a](docs/x.md#y) [b](https://example.com) `[c](not/a/link.md)` ![d](img.png "title")'
    assert s.relative_links(links) == ["docs/x.md#y", "img.png"]


def test_make_targets_named_in_the_readme_exist() -> None:
    named = s.make_targets(read(h.REPO / "README.md"))
    assert {"demo", "test"} <= named
    assert named - s.makefile_targets(read(h.REPO / "Makefile")) == set()


def test_make_targets_are_read_from_code_only() -> None:
    text = "Make sure to make coffee. `make demo` and\n```sh\nmake test PYTEST_ARGS=-q && make lint\n```\n"
    assert s.make_targets(text) == {"demo", "test", "lint"}


def _all_flags(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {flag for command in sub.choices.values() for flag in command._option_string_actions}


def test_every_flag_in_an_options_table_exists() -> None:
    known = _all_flags(PARSER)
    shown = {flag for path in DOCS for flag in s.table_flags(read(path))}
    assert "--checks" in shown
    assert shown - known == set()


# ----------------------------------------------------------------------------- examples that use mlci

YAML_BLOCKS = [
    block for path in DOCS for block in s.code_blocks(read(path), h.relative(path)) if block.lang == "yaml"
] + [s.CodeBlock(h.relative(path), "yaml", read(path)) for path in h.example_workflow_files()]


@pytest.mark.parametrize("block", YAML_BLOCKS, ids=[block.where for block in YAML_BLOCKS])
def test_yaml_examples_parse_and_pass_real_inputs(block: s.CodeBlock) -> None:
    data = yaml.safe_load(block.body)
    for use in s.mlci_uses(data):
        target = s.local_file(use["uses"])
        assert target.is_file(), f"{block.where}: uses {use['uses']}, but {h.relative(target)} does not exist"
        names = declared(target)
        given = set(use.get("with") or {})
        required = {name for name, spec in names["inputs"].items() if spec.get("required")}
        assert given - set(names["inputs"]) == set(), f"{block.where}: {use['uses']} has no such input"
        assert required - given == set(), f"{block.where}: {use['uses']} needs these inputs"
        assert (
            set(use.get("secrets") or {}) - set(names["secrets"]) == set()
        ), f"{block.where}: no such secret"


def test_readme_stays_short_enough_to_read() -> None:
    assert len(read(h.REPO / "README.md").splitlines()) <= 220
