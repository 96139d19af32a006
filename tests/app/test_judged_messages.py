"""Every failure judging can report reads in Italian and in English, with its parameters."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.i18n import Catalogs
from app.i18n.judged import FAILURES, STATUSES, failure_label, judged_message, status_label
from judging import failures
from judging.failures import Category, Failure, Message
from judging.messages import TEMPLATES
from judging.scorer.wording import said
from judging.spec import UnpackLimits
from judging.unpack import UnpackError, unpack

CATALOGS = Catalogs()
BAD_VALUE = Message.from_json(
    said(
        "predictions.bad_value",
        line=4,
        column="'sst'",
        id="'a'",
        problem=said("value.not_number", value="'x'"),
    )
)
assert BAD_VALUE is not None

# (failure, words that must appear in English, the same in Italian)
CASES: list[tuple[Failure, list[str], list[str]]] = [
    (failures.timeout(2.5), ["2.5 s limit", "last lines"], ["2,5 s", "ultime righe"]),
    (failures.timeout(60, withheld=True), ["60 s", "hidden test inputs"], ["60 s", "nascosti"]),
    (failures.out_of_memory(512), ["512 MB"], ["512 MB"]),
    (failures.runtime_error(3), ["exit code 3"], ["codice di uscita 3"]),
    (failures.runtime_error(3, withheld=True), ["non-zero"], ["diverso da zero"]),
    (failures.missing_output("p.csv", ["a.txt"], False), ["p.csv", "a.txt"], ["p.csv", "a.txt"]),
    (failures.missing_output("p.csv", [], True), ["larger than allowed"], ["non è stato"]),
    (failures.missing_output("p.csv", [], False), ["no files"], ["alcun file"]),
    (failures.missing_output("p.csv", ["x"], False, withheld=True), ["hidden"], ["nascosti"]),
    (
        failures.invalid_output(BAD_VALUE, 4),
        ["line 4", "'x' is not a number"],
        ["riga 4", "'x' non è un numero"],
    ),
    (
        failures.invalid_output("organiser words", 7),
        ["line 7: organiser words"],
        ["riga 7: organiser words"],
    ),
    (
        failures.invalid_output(BAD_VALUE, 4, withheld=True),
        ["evaluation page"],
        ["pagina di valutazione"],
    ),
    (
        failures.invalid_submission("it is not a zip"),
        ["archive", "not a zip"],
        ["archivio", "not a zip"],
    ),
    (failures.scoring_error("secret"), ["not your fault"], ["Non è colpa tua"]),
    (failures.internal_error("secret"), ["our side"], ["da parte nostra"]),
]


@pytest.mark.parametrize(("failure", "english", "italian"), CASES)
def test_every_failure_reads_in_both_languages(
    failure: Failure, english: list[str], italian: list[str]
) -> None:
    stored = failure.said.to_json()
    en = judged_message(stored, "", "en", CATALOGS.translations("en"))
    it = judged_message(stored, "", "it", CATALOGS.translations("it"))
    assert en == failure.message
    for words in english:
        assert words in en
    for words in italian:
        assert words in it, it
    assert it != en and "{" not in it and "secret" not in it + en
    assert failure_label(failure.category, CATALOGS.translations("it")) != str(failure.category)


def test_every_template_is_translated_with_the_same_placeholders() -> None:
    italian = CATALOGS.translations("it")
    for key, template in TEMPLATES.items():
        translated = italian.gettext(template)
        assert translated != template or key.startswith("kind."), key
        assert set(re.findall(r"\{(\w+)\}", translated)) == set(
            re.findall(r"\{(\w+)\}", template)
        ), key


def test_labels_and_unknown_messages_fall_back_to_the_stored_text() -> None:
    italian = CATALOGS.translations("it")
    assert set(FAILURES) == {str(c) for c in Category}
    assert all(status_label(s, italian) != s for s in STATUSES)
    assert judged_message({"id": "from_a_newer_release"}, "stored", "it", italian) == "stored"
    assert judged_message(None, "stored", "it", italian) == "stored"


def test_quota_refusals_speak_the_request_language() -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from app.i18n import use_language
    from app.submissions.quotas import QuotaUsage, check

    phase = SimpleNamespace(max_total=None, max_per_day=3, max_concurrent=2)
    resets = datetime(2027, 3, 2, tzinfo=UTC)
    full_day = QuotaUsage(today=3, failed_today=0, total=3, running=0, resets_at=resets)
    busy = QuotaUsage(today=0, failed_today=0, total=0, running=2, resets_at=resets)
    english = check(phase, full_day)  # type: ignore[arg-type]  # outside a request: English
    assert english is not None and "resets at midnight, Rome time (00:00 UTC)" in english.message
    with use_language("it"):
        italian = check(phase, full_day)  # type: ignore[arg-type]
        running = check(phase, busy)  # type: ignore[arg-type]
    assert (
        italian is not None
        and "si azzera a mezzanotte, ora di Roma (alle 00:00 UTC)" in italian.message
    )
    assert running is not None and "2 invii in coda" in running.message


def _both(stored: object) -> tuple[str, str]:
    en = judged_message(stored, "", "en", CATALOGS.translations("en"))
    it = judged_message(stored, "", "it", CATALOGS.translations("it"))
    return en, it


@pytest.mark.parametrize(
    ("build", "english", "italian"),
    [
        (
            lambda: make_zip({"../evil.py": b"x"}),
            "points outside the archive",
            "fuori dall'archivio",
        ),
        (lambda: make_zip({"/etc/evil.py": b"x"}), "absolute path", "percorso assoluto"),
        (
            lambda: make_zip({f"f{i}.py": b"x" for i in range(5)}),
            "more than 3 files",
            "più di 3 file",
        ),
        (lambda: make_zip({"a.py": b"x" * 3_000_000}), "larger than 2 MB", "più di 2 MB"),
        (lambda: make_zip({"a/b/c/d/e/f.py": b"x"}), "deeper than 4 folders", "più di 4 cartelle"),
        (lambda: b"not an archive at all", "not a zip or tar.gz", "né uno zip né un tar.gz"),
        (lambda: b"PK\x03\x04 broken", "damaged", "danneggiato"),
    ],
)
def test_an_archive_that_cannot_be_unpacked_reads_in_both_languages(
    tmp_path: Path, build: Callable[[], bytes], english: str, italian: str
) -> None:
    """What `unpack` refuses reaches the team as an id and parameters, not English text."""
    archive = tmp_path / "code.zip"
    archive.write_bytes(build())
    limits = UnpackLimits(max_bytes=2 * 1024 * 1024, max_files=3, max_depth=4)
    with pytest.raises(UnpackError) as caught:
        unpack(archive, tmp_path / "out", limits)
    stored = failures.invalid_submission(caught.value.said).said.to_json()
    en, it = _both(stored)
    assert english in en and "archive could not be used" in en
    assert italian in it and "archivio" in it and english not in it, it
    assert "{" not in it


@pytest.mark.parametrize("worker_died", [False, True])
def test_giving_up_after_the_retries_reads_in_both_languages(worker_died: bool) -> None:
    from app.queue.jobs import SUBMISSION_JOBS
    from app.queue.rescore_jobs import RESCORE_JOBS

    reason = Message("retry.internal", {"error": "OSError"})
    said = SUBMISSION_JOBS.gave_up_message(3, reason, worker_died=worker_died)
    en, it = _both(said.to_json())
    assert en == said.english() and "after 3 attempts" in en and "OSError" not in en
    assert "dopo 3 tentativi" in it and "da parte nostra" in it, it
    rescore = RESCORE_JOBS.gave_up_message(2, reason, worker_died=worker_died)
    en, it = _both(rescore.to_json())
    assert "after 2 attempts" in en and "judging failed on our side (OSError)" in en
    assert "dopo 2 tentativi" in it and "(OSError)" in it and "judging failed" not in it, it


def make_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def test_the_organisers_detail_of_a_failure_reads_in_their_language(tmp_path: Path) -> None:
    """Marea's own words about a scoring or internal failure are a message, said again on an
    organiser's page in its language; a program's words stay as they were written."""
    from jinja2 import Environment, FileSystemLoader

    from app.core.settings import Settings
    from app.i18n import install_gettext
    from judging.scores import read_scores

    missing = read_scores(tmp_path / "scores.json", ("rmse",))
    assert (
        isinstance(missing, Failure)
        and missing.detail_text == "the scoring program wrote no scores.json"
    )
    (tmp_path / "scores.json").write_text('{"public": {}, "rmse": 1}')
    split = read_scores(tmp_path / "scores.json", ("rmse",))
    assert isinstance(split, Failure) and isinstance(split.detail, Message)
    assert "must be split into public and private" in split.detail_text
    assert failures.scoring_error("Traceback: boom").detail_text == "Traceback: boom"

    folder = Settings(data_dir=tmp_path).templates_dir
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=True)
    install_gettext(env, CATALOGS, "it")
    assert isinstance(missing.detail, Message)
    stored = json.dumps(missing.detail.to_json())
    logs = {"organiser": {"detail": missing.detail_text, "detail_message": stored}}
    for lang, words in (("it", "il programma di valutazione non ha scritto scores.json"),
                        ("en", "the scoring program wrote no scores.json")):  # fmt: skip
        page = env.get_template("_logs.html").render(logs=logs, lang=lang)
        assert words in page and "detail_message" not in page
    english = {"organiser": {"detail": "Traceback: boom"}}
    assert "Traceback: boom" in env.get_template("_logs.html").render(logs=english, lang="it")
