"""`kontakt extract` answers every path it is given, one line each, in order, whatever fails."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kontakt.cli import main
from tests.support.mail import event_mail


def extract_rows(*paths: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["extract", "--json", *map(str, paths)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_a_missing_file_and_an_unreadable_entry_fail_and_the_rest_is_read(tmp_path):
    good = tmp_path / "a.eml"
    good.write_bytes(event_mail())
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "b.eml").mkdir()  # an entry that cannot be read as a file
    (folder / "c.eml").write_bytes(event_mail(title="Tillid i praksis"))
    missing = tmp_path / "gone.eml"
    rows = extract_rows(missing, folder, good)
    assert [Path(r["source"]).name for r in rows] == ["gone.eml", "b.eml", "c.eml", "a.eml"]
    assert [r["kind"] for r in rows[:2]] == ["failed", "failed"]
    assert "no such file" in rows[0]["error"] and "could not be read" in rows[1]["error"]
    assert rows[2]["is_event_submission"] and rows[3]["is_event_submission"]


def test_a_fault_inside_the_extractor_fails_that_file_only(tmp_path, monkeypatch):
    files = []
    for name, title in [("1.eml", "Første møde"), ("2.eml", "Andet møde"), ("3.eml", "Tredje møde")]:
        (tmp_path / name).write_bytes(event_mail(title=title))
        files.append(tmp_path / name)
    from kontakt import reader

    monkeypatch.setattr(reader, "WORKER_MODULE", "tests.support.faulty_worker")
    rows = extract_rows(*files)
    assert [r["kind"] for r in rows] == ["event", "failed", "event"]
    assert "KeyError" in rows[1]["error"] and rows[1]["events"] == [] and rows[1]["source"] == str(files[1])


def test_the_text_form_names_the_error_too(tmp_path):
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "gone.eml")])
    assert result.exit_code == 0 and "failed" in result.output and "no such file" in result.output
