"""gha.py: workflow-command escaping, outputs, summary, masking, and the plain form outside Actions."""

from __future__ import annotations

import re

import pytest

from mlci import gha
from mlci_testing import ActionsStep, parse_github_output


def test_escape_data_and_property() -> None:
    assert gha.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert gha.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_annotation_command_escapes_every_property() -> None:
    note = gha.Annotation(
        message="line too long (120 > 110)\nsecond line",
        title="E501: flake8",
        file="src/a,b.py",
        line=3,
        col=111,
        end_line=4,
        end_col=2,
    )
    assert note.command() == (
        "::error file=src/a%2Cb.py,line=3,endLine=4,col=111,endColumn=2,title=E501%3A flake8"
        "::line too long (120 > 110)%0Asecond line"
    )


def test_annotation_without_properties() -> None:
    assert gha.Annotation(message="boom", level="warning").command() == "::warning::boom"


def test_annotate_prints_command_in_actions(actions: ActionsStep, capsys: pytest.CaptureFixture[str]) -> None:
    gha.annotate(gha.Annotation(message="unused import", title="F401", file="a.py", line=1, col=1))
    assert capsys.readouterr().out == "::error file=a.py,line=1,col=1,title=F401::unused import\n"


def test_annotate_prints_compiler_style_line_outside_actions(capsys: pytest.CaptureFixture[str]) -> None:
    gha.annotate(gha.Annotation(message="unused import", title="F401", file="a.py", line=1, col=8))
    assert capsys.readouterr().out == "a.py:1:8: error: [F401] unused import\n"


def test_multiline_output_round_trips(actions: ActionsStep) -> None:
    tricky = "first\nEOF\nname<<EOF\n  indented = 1\n"
    gha.set_output("report", tricky)
    gha.set_output("passed", True)
    gha.set_outputs({"metrics": {"f1": 0.9}, "count": 3})
    assert actions.outputs == {"report": tricky, "passed": "true", "metrics": '{"f1":0.9}', "count": "3"}


def test_parse_github_output_reads_simple_lines() -> None:
    assert parse_github_output("a=1\nb=x=y\n") == {"a": "1", "b": "x=y"}


def test_outputs_and_summary_are_no_ops_without_their_files(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    gha.set_output("passed", "true")
    gha.add_summary("# hello")
    assert list(tmp_path.iterdir()) == []


def test_summary_appends_markdown(actions: ActionsStep) -> None:
    gha.add_summary("## one")
    gha.add_summary(gha.md_table(["tool", "status"], [["flake8", gha.status_mark(True)], ["a|b", "x\ny"]]))
    assert actions.summary == (
        "## one\n\n| tool | status |\n|---|---|\n| flake8 | ✅ pass |\n| a\\|b | x<br>y |\n\n"
    )


def test_secrets_never_leave_through_any_channel(
    actions: ActionsStep, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_SENTINELsecret123")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "AWSSENTINEL/abc+def")
    message = "401 for hf_SENTINELsecret123 and AWSSENTINEL/abc+def"
    gha.error(message)
    gha.info(message)
    gha.annotate_all([gha.Annotation(message=message, file="a.py", line=line) for line in (1, 2)])
    gha.set_output("why", message)
    gha.add_summary(message)
    printed = capsys.readouterr().out
    for channel in (printed, actions.summary, actions.outputs["why"]):
        assert "SENTINEL" not in channel
        assert "***" in channel


def test_group_folds_the_log_in_actions(actions: ActionsStep, capsys: pytest.CaptureFixture[str]) -> None:
    with gha.group("black --diff"):
        print("inside")
    assert capsys.readouterr().out == "::group::black --diff\ninside\n::endgroup::\n"


def test_untrusted_output_switches_commands_off(
    actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    with gha.untrusted_output():
        print("::add-mask::not-really")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32
    assert lines[1:] == ["::add-mask::not-really", f"::{token}::"]


def test_text_table_aligns_columns() -> None:
    assert gha.text_table(["tool", "n"], [["flake8", 3], ["black", 10]]) == (
        "tool    n\n------  --\nflake8  3\nblack   10"
    )


def test_a_summary_cell_is_redacted_before_markdown_escaping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_SENTINEL_token_123456")
    table = gha.md_table(["reason"], [["token ghs_SENTINEL_token_123456 leaked"]])
    assert "SENTINEL" not in gha.redact(table)  # the escaped form (ghs\_SENTINEL\_...) would slip past redact
    assert gha.md_escape(gha.md_link("job_1", "https://x.test/a b")) == "[job\\_1](https://x.test/a%20b)"


def test_escaped_text_pings_nobody_and_links_no_issue() -> None:
    # GitHub links mentions and issue references after Markdown: a backslash does not stop them
    # (github/markup#1168). What a user would see in the rendered comment stays the same.
    text = "fix by @octocat for @acme/ml-team, see acme/models#12 and #7; mail me@x.test"
    escaped = gha.md_escape(text)
    assert re.search(r"(?<![\w`])@[A-Za-z0-9]", escaped) is None
    assert re.search(r"#\d", escaped) is None
    assert escaped.replace("\u200b", "").replace("\\", "") == text
