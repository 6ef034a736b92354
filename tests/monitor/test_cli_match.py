"""`dozor match`: JSON lines in and out, a readable --text view, bad lines named, bad configs refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app

CONFIG = """\
topics:
  - id: strikes
    title: Strikes and walkouts
    priority: urgent
    any: [забастовка, strike, ереуіл]
  - id: mangystau
    title: Mangystau region
    any: [Aktau, Жанаозен]
  - id: gas
    any: [газ]
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOZOR_CONFIG", raising=False)
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def dozor(*args: str, stdin: str | bytes | None = None):
    result = CliRunner().invoke(app, ["match", *args], input=stdin, env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    return result


def lines(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def test_each_json_line_gets_its_topics_matches_and_snippets(config):
    stdin = lines({"id": "a1", "title": "Нефтяники Жаңаөзена объявили забастовку", "text": "Workers strike in Aktau."},
                  {"id": 7, "title": "Погода", "text": "Солнечно."})
    result = dozor("--config", str(config), stdin=stdin)
    assert result.exit_code == 0, result.stderr
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["id"] == "a1"
    assert first["topics"] == ["strikes", "mangystau"]
    assert {"topic": "strikes", "term": "забастовка", "found": "забастовку", "field": "title",
            "start": 29, "end": 39} in first["matches"]
    assert {"topic": "mangystau", "term": "Жанаозен", "found": "Жаңаөзена", "field": "title",
            "start": 10, "end": 19} in first["matches"]
    assert {"topic": "mangystau", "term": "Aktau", "found": "Aktau", "field": "text",
            "start": 18, "end": 23} in first["matches"]
    assert first["snippets"]["mangystau"] == {"text": "Workers strike in Aktau.", "field": "text",
                                              "marks": [[18, 23]]}
    assert second == {"id": 7, "topics": [], "matches": [], "snippets": {}}


def test_words_inside_other_words_do_not_match(config):
    result = dozor("--config", str(config), stdin=lines({"id": 1, "title": "Газпром", "text": "сақтау"}))
    assert json.loads(result.stdout)["topics"] == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param('{"id": 2, "title": "x"', "line 2: not JSON (Expecting ',' delimiter at column 23)", id="not JSON"),
        pytest.param('["a list"]', 'line 2: expected a JSON object', id="not an object"),
        pytest.param('{"id": 2, "title": "x"}', 'line 2: missing "text"', id="a key missing"),
        pytest.param('{"id": 2, "title": 5, "text": ""}', 'line 2: "title" must be a string', id="not text"),
        pytest.param(b'{"id": 2, "title": "\xff", "text": ""}', "line 2: not UTF-8", id="not UTF-8"),
    ],
)
def test_a_bad_line_is_named_on_stderr_the_rest_still_match_and_exit_is_1(config, bad, message):
    good = lines({"id": 1, "title": "strike", "text": ""}).encode()
    last = lines({"id": 3, "title": "", "text": "газ"}).encode()
    stdin = good + (bad if isinstance(bad, bytes) else bad.encode()) + b"\n" + last
    result = dozor("--config", str(config), stdin=stdin)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 3]
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_blank_lines_are_skipped_and_null_fields_read_as_empty(config):
    stdin = "\n" + lines({"id": 1, "title": None, "text": "ереуіл басталды"}) + "\n\n"
    result = dozor("--config", str(config), stdin=stdin)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["topics"] == ["strikes"]


def test_no_input_is_no_output(config):
    result = dozor("--config", str(config), stdin="")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_text_shows_topics_found_forms_and_the_snippet(config):
    result = dozor("--config", str(config), "--title", "Ақтауда ереуіл",
                   "--text", "Нефтяники [bold]продолжают[/bold] забастовку третий день.")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 of 3 topics matched" in out
    assert "strikes · Strikes and walkouts · urgent" in out
    assert "забастовку" in out and "Ақтауда" in out
    # Publisher text is never read as Rich markup.
    assert "snippet (text): Нефтяники [bold]продолжают[/bold] забастовку третий день." in out


def test_text_that_matches_nothing_says_so(config):
    result = dozor("--config", str(config), "--text", "Погода в Алматы")
    assert result.exit_code == 0
    assert "No topic matched (3 topics" in result.stdout


def test_an_invalid_config_is_exit_2_with_the_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "config.yaml"
    path.write_text("topics:\n  - id: strikes\n    any: ['a*']\n", encoding="utf-8")
    result = dozor("--config", str(path), stdin=lines({"id": 1, "title": "", "text": ""}))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("config.yaml:3 topics[0].any[0]: invalid term 'a*'")


def test_a_missing_config_is_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOZOR_CONFIG", raising=False)
    result = dozor("--text", "x")
    assert result.exit_code == 2
    assert "config.yaml: no such config file" in result.stderr
