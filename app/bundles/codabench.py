"""`marea challenge import codabench`: a Codabench or CodaLab bundle as a format-1 bundle.

Organisers who ran a competition on Codabench (competition.yaml `version: 2`) or CodaLab
(v1.5: `html:`, numbered phases) should not rewrite it by hand. What maps is written into a
format-1 bundle; what does not is listed (`Unmapped`) with where it was and what to do, and
every text the import cannot write (the Italian pages, a missing licence) is a placeholder
holding `PLACEHOLDER`, which `marea challenge validate` refuses, so the result cannot be
published half-translated. The organisers' scoring program is kept as it is and run through
`codabench_adapter.py`, which gives it Codabench's layout inside Marea's scoring container.

Unpacking trusts nothing: zips (the source, and the zips a v1.5 bundle holds) go through
`archive.extract_zip` (no symlinks, no '..', sizes counted), and a source folder with a
symbolic link is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markdownify import markdownify
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from app.bundles.archive import bundle_root, extract_zip
from app.bundles.errors import N_, TODO_MARKER, BundleError, Words
from app.bundles.limits import DEFAULT_LIMITS, BundleLimits

PLACEHOLDER = TODO_MARKER
ADAPTER = Path(__file__).with_name("codabench_adapter.py")
COMPETITION_FILE = "competition.yaml"
_DATE_FORMATS = ("%m-%d-%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
_PAGE_NAMES = ("overview", "data", "evaluation", "rules")
_RUN_TIME_KEYS = {"duration", "elapsed_time", "elapsedtime", "execution_time"}


class ImportRefused(Exception):
    """The source cannot be imported at all (unsafe, unreadable): `errors` say why and where."""

    def __init__(self, errors: list[BundleError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Unmapped:
    """Something of the source the bundle does not carry over, or carries with a placeholder."""

    where: str  # a place in the source, e.g. "competition.yaml: phases[1].reference_data"
    what: Words
    todo: Words


@dataclass
class ImportResult:
    slug: str
    version: str  # "2" (Codabench) or "1.5" (CodaLab)
    unmapped: list[Unmapped] = field(default_factory=list)


def _refused(where: str, message: Words, hint: Words) -> ImportRefused:
    return ImportRefused([BundleError(where, None, None, message, hint)])


def slugify(text: str, *, sep: str = "-", limit: int = 64) -> str:
    slug = re.sub(r"[^a-z0-9]+", sep, text.lower()).strip(sep)[:limit].strip(sep)
    return slug or "challenge"


def column_key(text: str) -> str:
    key = slugify(text, sep="_", limit=32)
    return key if key[0].isalpha() else ("c_" + key)[:32]


def _check_folder(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_symlink():
            raise _refused(
                str(path.relative_to(root)),
                N_("the bundle holds a symbolic link"),
                N_("replace the link with the file it points to"),
            )


@contextmanager
def opened_source(source: Path, limits: BundleLimits = DEFAULT_LIMITS) -> Iterator[Path]:
    """The folder holding competition.yaml: `source` itself, or a zip safely unpacked."""
    if source.is_dir():
        _check_folder(source)
        yield bundle_root(source, COMPETITION_FILE)
        return
    with tempfile.TemporaryDirectory(prefix="marea-codabench-") as tmp:
        errors = extract_zip(source, Path(tmp), limits)
        if errors:
            raise ImportRefused(errors)
        yield bundle_root(Path(tmp), COMPETITION_FILE)


def _read_yaml(root: Path) -> dict[str, Any]:
    path = root / COMPETITION_FILE
    if not path.is_file():
        raise _refused(
            COMPETITION_FILE,
            N_("there is no competition.yaml in the bundle"),
            N_("point the command at the folder or zip holding competition.yaml"),
        )
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise _refused(
            COMPETITION_FILE,
            N_("competition.yaml cannot be read: {error}", error=str(exc)),
            N_("fix the YAML (Codabench would refuse it too)"),
        ) from exc
    if not isinstance(data, dict):
        raise _refused(
            COMPETITION_FILE,
            N_("competition.yaml is not a mapping"),
            N_("fix the YAML (Codabench would refuse it too)"),
        )
    return data


def _inside(root: Path, rel: str) -> Path:
    """A path the source names, refused when it leaves the bundle."""
    target = (root / rel).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise _refused(
            COMPETITION_FILE,
            N_("the path '{path}' leaves the bundle", path=rel),
            N_("name files inside the bundle, without '..'"),
        )
    return target


def materialise(root: Path, rel: str, dest: Path, limits: BundleLimits = DEFAULT_LIMITS) -> None:
    """Copy a folder, unpack a zip, or copy one file of the source into the folder `dest`."""
    src = _inside(root, rel)
    dest.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True, symlinks=True)
        _check_folder(dest)
    elif src.suffix.lower() == ".zip" and src.is_file():
        with tempfile.TemporaryDirectory(prefix="marea-codabench-") as tmp:
            errors = extract_zip(src, Path(tmp), limits)
            if errors:
                raise ImportRefused(errors)
            entries = [p for p in Path(tmp).iterdir() if p.name != "__MACOSX"]
            top = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(tmp)
            shutil.copytree(top, dest, dirs_exist_ok=True)
    elif src.is_file():
        shutil.copyfile(src, dest / src.name)
    else:
        raise _refused(
            COMPETITION_FILE,
            N_("'{path}' is named but not in the bundle", path=rel),
            N_("add the file, or remove it from competition.yaml"),
        )
    shutil.rmtree(dest / "__MACOSX", ignore_errors=True)


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith("._") and p.name != ".DS_Store"
    )


def _date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(value.strip(), fmt).replace(tzinfo=dt.UTC)
            except ValueError:
                continue
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def page_markdown(root: Path, rel: str) -> str:
    """A page of the source as Markdown: HTML converted, Markdown kept."""
    text = _inside(root, rel).read_text(encoding="utf-8", errors="replace")
    if rel.lower().endswith((".html", ".htm")):
        text = markdownify(text, heading_style="ATX", strip=["script", "style"])
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@dataclass
class _Source:
    """The two versions of the format, read into one shape."""

    title: str
    description: str
    pages: dict[str, list[tuple[str, str]]]  # Marea page -> [(title, file)]
    phases: list[dict[str, Any]]  # name, start, end, per_day, total, time_limit, ref, input...
    columns: list[dict[str, Any]]  # key, title, better, precision
    scoring_program: str | None
    solution: str | None
    image: str | None
    organisers: list[str]
    licence: str | None
    where: dict[str, str] = field(default_factory=dict)


def _v2(data: dict[str, Any], result: ImportResult) -> _Source:
    tasks = {t.get("index"): t for t in data.get("tasks") or [] if isinstance(t, dict)}
    pages: dict[str, list[tuple[str, str]]] = {name: [] for name in _PAGE_NAMES}
    for page in data.get("pages") or []:
        title = str(page.get("title", ""))
        name = next((n for n in _PAGE_NAMES if n in title.lower()), "overview")
        if "terms" in title.lower():
            name = "rules"
        if page.get("file"):
            pages[name].append((title, str(page["file"])))
    if data.get("terms"):
        pages["rules"].append(("Terms", str(data["terms"])))
    phases = []
    for i, phase in enumerate(data.get("phases") or []):
        task_ids = phase.get("tasks") or []
        task = tasks.get(task_ids[0], {}) if task_ids else {}
        if len(task_ids) > 1:
            result.unmapped.append(
                Unmapped(
                    f"competition.yaml: phases[{i}].tasks",
                    N_(
                        "the phase has {count} tasks; only the first is imported",
                        count=len(task_ids),
                    ),
                    N_("make one challenge per task, or merge the tasks' scores in one program"),
                )
            )
        phases.append(
            {
                "name": str(phase.get("name", f"phase {i + 1}")),
                "start": phase.get("start"),
                "end": phase.get("end"),
                "per_day": phase.get("max_submissions_per_day"),
                "total": phase.get("max_submissions"),
                "time_limit": phase.get("execution_time_limit"),
                "reference": task.get("reference_data"),
                "input": task.get("input_data"),
                "public": phase.get("public_data") or task.get("public_data"),
                "ingestion": task.get("ingestion_program"),
                "scoring": task.get("scoring_program"),
                "where": f"competition.yaml: phases[{i}]",
            }
        )
    columns = []
    boards = data.get("leaderboards") or []
    if len(boards) > 1:
        result.unmapped.append(
            Unmapped(
                "competition.yaml: leaderboards[1:]",
                N_("only the first leaderboard is imported"),
                N_("add the other leaderboards' columns to leaderboard.columns if they matter"),
            )
        )
    for j, col in enumerate(
        sorted((boards[0].get("columns") or []) if boards else [], key=lambda c: c.get("index", 0))
    ):
        if col.get("computation"):
            result.unmapped.append(
                Unmapped(
                    f"competition.yaml: leaderboards[0].columns[{j}] ({col.get('key')})",
                    N_(
                        "the column is computed from other columns ({how})",
                        how=str(col.get("computation")),
                    ),
                    N_("compute it in the scoring program and write it into its scores"),
                )
            )
            continue
        columns.append(
            {
                "key": str(col.get("key")),
                "title": str(col.get("title") or col.get("key")),
                "better": "lower" if str(col.get("sorting", "desc")) == "asc" else "higher",
                "precision": int(col.get("precision", 4)),
            }
        )
    solutions = data.get("solutions") or []
    return _Source(
        title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        pages=pages,
        phases=phases,
        columns=columns,
        scoring_program=next((p["scoring"] for p in phases if p.get("scoring")), None),
        solution=str(solutions[0]["path"]) if solutions and solutions[0].get("path") else None,
        image=data.get("docker_image"),
        organisers=[],
        licence=None,
    )


def _v15(data: dict[str, Any], result: ImportResult) -> _Source:
    html = data.get("html") or {}
    pages: dict[str, list[tuple[str, str]]] = {name: [] for name in _PAGE_NAMES}
    for key, rel in html.items():
        name = "rules" if key == "terms" else key if key in _PAGE_NAMES else "overview"
        pages[name].append((str(key).title(), str(rel)))
    raw = data.get("phases") or {}
    ordered = [raw[k] for k in sorted(raw)] if isinstance(raw, dict) else list(raw)
    phases = []
    for i, phase in enumerate(ordered):
        following = (
            ordered[i + 1].get("start_date") if i + 1 < len(ordered) else data.get("end_date")
        )
        phases.append(
            {
                "name": str(phase.get("label") or f"phase {i + 1}"),
                "start": phase.get("start_date"),
                "end": following,
                "per_day": phase.get("max_submissions_per_day"),
                "total": phase.get("max_submissions"),
                "time_limit": phase.get("execution_time_limit"),
                "reference": phase.get("reference_data"),
                "input": phase.get("input_data"),
                "public": phase.get("public_data"),
                "ingestion": phase.get("ingestion_program"),
                "scoring": phase.get("scoring_program"),
                "where": f"competition.yaml: phases.{sorted(raw)[i] if isinstance(raw, dict) else i}",
            }
        )
    board = data.get("leaderboard") or {}
    columns = []
    cols = board.get("columns") or {}
    for key, col in sorted(cols.items(), key=lambda kv: kv[1].get("rank", 0)):
        if col.get("computed"):
            result.unmapped.append(
                Unmapped(
                    f"competition.yaml: leaderboard.columns.{key}",
                    N_("the column is computed from other columns"),
                    N_("compute it in the scoring program and write it into its scores"),
                )
            )
            continue
        columns.append(
            {
                "key": str(key),
                "title": str(col.get("label") or key),
                "better": "lower" if str(col.get("sort", "desc")) == "asc" else "higher",
                "precision": int(col.get("numeric_format", 4)),
            }
        )
    if data.get("enable_detailed_results"):
        result.unmapped.append(
            Unmapped(
                "competition.yaml: enable_detailed_results",
                N_("detailed results pages (the scoring program's HTML) are not shown by Marea"),
                N_("put what teams should read into the scores' columns or the pages"),
            )
        )
    admins = [a.strip() for a in str(data.get("admin_names") or "").split(",") if a.strip()]
    return _Source(
        title=str(data.get("title", "")),
        description=str(data.get("description", "")),
        pages=pages,
        phases=phases,
        columns=columns,
        scoring_program=next((p["scoring"] for p in phases if p.get("scoring")), None),
        solution=None,
        image=data.get("competition_docker_image"),
        organisers=admins,
        licence=None,
    )


def _todo_it(english: str) -> str:
    return f"{PLACEHOLDER} traduci: {english}"


def _loc(english: str) -> dict[str, str]:
    return {"it": _todo_it(english), "en": english}


def _write_pages(
    root: Path, src: _Source, out: Path, result: ImportResult
) -> dict[str, dict[str, str]]:
    written: dict[str, dict[str, str]] = {}
    (out / "pages").mkdir(parents=True, exist_ok=True)
    for name in _PAGE_NAMES:
        parts = []
        if name == "overview" and src.description:
            parts.append(src.description.strip() + "\n")
        for title, rel in src.pages[name]:
            try:
                body = page_markdown(root, rel)
            except OSError:
                result.unmapped.append(
                    Unmapped(
                        f"competition.yaml: {rel}",
                        N_("the page '{path}' is named but not in the bundle", path=rel),
                        N_("write the {page} page by hand", page=name),
                    )
                )
                continue
            parts.append(body if len(src.pages[name]) == 1 else f"## {title}\n\n{body}")
        en = "\n".join(parts).strip()
        if not en:
            en = f"{PLACEHOLDER}: write the {name} page (the Codabench bundle has none)."
            result.unmapped.append(
                Unmapped(
                    f"pages/{name}.en.md",
                    N_("the bundle has no {page} page; a placeholder was written", page=name),
                    N_("write the page, then remove the {marker} line", marker=PLACEHOLDER),
                )
            )
        (out / "pages" / f"{name}.en.md").write_text(en + "\n", encoding="utf-8")
        it = f"{PLACEHOLDER}: traduci questa pagina in italiano e togli questa riga.\n\n{en}\n"
        (out / "pages" / f"{name}.it.md").write_text(it, encoding="utf-8")
        written[name] = {"it": f"pages/{name}.it.md", "en": f"pages/{name}.en.md"}
    result.unmapped.append(
        Unmapped(
            "pages/*.it.md, challenge.yaml (every `it:`)",
            N_("the bundle has no Italian text; the Italian pages and texts are placeholders"),
            N_(
                "translate each page and text marked {marker} into Italian and remove the marker",
                marker=PLACEHOLDER,
            ),
        )
    )
    return written


def _phases(src: _Source, result: ImportResult) -> list[dict[str, Any]]:
    phases = []
    used: set[str] = set()
    starts = [_date(p["start"]) for p in src.phases]
    for i, phase in enumerate(src.phases):
        start = starts[i] or dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
        end = _date(phase["end"]) if phase["end"] else None
        if end is None and i + 1 < len(starts) and starts[i + 1] is not None:
            end = starts[i + 1]
        if starts[i] is None:
            result.unmapped.append(
                Unmapped(
                    f"{phase['where']}.start",
                    N_("the phase start '{value}' cannot be read", value=str(phase["start"])),
                    N_("set the start in challenge.yaml"),
                )
            )
        if end is None or end <= start:
            end = start + dt.timedelta(days=90)
            result.unmapped.append(
                Unmapped(
                    f"{phase['where']}.end",
                    N_("the phase has no end; it was set to 90 days after its start"),
                    N_("set the real end in challenge.yaml"),
                )
            )
        name = slugify(phase["name"])
        while name in used:
            name += "-2"
        used.add(name)
        limits: dict[str, int] = {}
        total = phase["total"]
        per_day = phase["per_day"]
        if isinstance(total, int) and total >= 1:
            limits["total"] = total
        if isinstance(per_day, int) and per_day >= 1:
            limits["per_day"] = min(per_day, limits.get("total", per_day))
        phases.append(
            {
                "name": name,
                "title": _loc(phase["name"]),
                "start": start.isoformat().replace("+00:00", "Z"),
                "end": end.isoformat().replace("+00:00", "Z"),
                "kind": "predictions",
                "limits": limits,
            }
        )
        if phase["ingestion"]:
            result.unmapped.append(
                Unmapped(
                    f"{phase['where']}.ingestion_program",
                    N_(
                        "the phase runs an ingestion program; Marea does not run organisers' "
                        "ingestion programs yet, so it was imported as a predictions phase "
                        "(teams upload the zip of their results)"
                    ),
                    N_(
                        "keep it as a predictions phase, or rewrite it as a code phase whose "
                        "program writes the predictions; the program is in ingestion/"
                    ),
                )
            )
    return phases


def _kit_and_logo(data: dict[str, Any], phases: list[dict[str, Any]], result: ImportResult) -> None:
    """Named for the organisers to place by hand: a kit may hold answers, a logo may not fit."""
    kits = [p.get("starting_kit") for p in phases if isinstance(p, dict) and p.get("starting_kit")]
    for task in data.get("tasks") or []:
        if isinstance(task, dict) and task.get("starting_kit"):
            kits.append(task["starting_kit"])
    if kits:
        result.unmapped.append(
            Unmapped(
                f"competition.yaml: starting_kit ({kits[0]})",
                N_("the starting kit was not imported"),
                N_(
                    "unpack it into starter/ and set starter_kit, after checking it holds no "
                    "answers (sample solution files)"
                ),
            )
        )
    if data.get("image"):
        result.unmapped.append(
            Unmapped(
                f"competition.yaml: image ({data['image']})",
                N_("the competition's logo was not imported"),
                N_("copy it into the bundle and set identity.logo (PNG, JPEG or WebP)"),
            )
        )


def import_codabench(
    source: Path, out: Path, limits: BundleLimits = DEFAULT_LIMITS
) -> ImportResult:
    """Write the format-1 bundle of `source` into the new or empty folder `out`."""
    if out.exists() and any(out.iterdir()):
        raise _refused(
            str(out),
            N_("the output folder is not empty"),
            N_("name a new folder with -o"),
        )
    with opened_source(source, limits) as root:
        data = _read_yaml(root)
        version = "2" if str(data.get("version", "")).strip() == "2" else "1.5"
        result = ImportResult(slug=slugify(str(data.get("title", "challenge"))), version=version)
        src = _v2(data, result) if version == "2" else _v15(data, result)
        raw_phases = data.get("phases") or []
        listed = list(raw_phases.values()) if isinstance(raw_phases, dict) else list(raw_phases)
        _kit_and_logo(data, listed, result)
        out.mkdir(parents=True, exist_ok=True)
        try:
            _write(root, src, out, result)
        except BaseException:
            # A half-written bundle could be mistaken for an import: leave nothing.
            shutil.rmtree(out, ignore_errors=True)
            raise
    (out / "IMPORT.md").write_text(report_markdown(result), encoding="utf-8")
    return result


def _write(root: Path, src: _Source, out: Path, result: ImportResult) -> None:
    pages = _write_pages(root, src, out, result)
    phases = _phases(src, result)
    if not src.phases:
        raise _refused(
            COMPETITION_FILE,
            N_("competition.yaml has no phases"),
            N_("add at least one phase"),
        )
    first, last = src.phases[0], src.phases[-1]
    # Reference data: the first phase's scores the live (public) board, the last one's the
    # final (private) board, as Codabench's development and final phases do.
    reference: list[dict[str, str]] = []
    refs = {"public": first["reference"], "private": last["reference"]}
    if any(p["reference"] != first["reference"] for p in src.phases[1:-1]):
        result.unmapped.append(
            Unmapped(
                "competition.yaml: phases[*].reference_data",
                N_(
                    "the phases between the first and the last have their own reference data, "
                    "which is not imported"
                ),
                N_("make a challenge of them, or merge their answers into the first phase's"),
            )
        )
    if first["reference"] != last["reference"]:
        result.unmapped.append(
            Unmapped(
                f"{last['where']}.reference_data",
                N_(
                    "the phases have different reference data: the first phase's scores the "
                    "live (public) board and the last phase's the final (private) board, on "
                    "every phase"
                ),
                N_(
                    "a results zip must then hold predictions for both (as CodaLab's Iris "
                    "does: valid and test); if it cannot, copy one phase's reference files "
                    "into both reference/public/ and reference/private/"
                ),
            )
        )
    for part, rel in refs.items():
        if not rel:
            raise _refused(
                COMPETITION_FILE,
                N_("a phase has no reference data"),
                N_("add reference_data to every phase"),
            )
        folder = out / "reference" / part
        materialise(root, str(rel), folder)
        reference += [{"path": f"reference/{part}/{f}"} for f in _files(folder)]
    public: list[dict[str, str]] = []
    if first["public"]:
        materialise(root, str(first["public"]), out / "data")
        public = [{"path": f"data/{f}"} for f in _files(out / "data")]
    if first["input"] and first["input"] != first["public"]:
        materialise(root, str(first["input"]), out / "inputs")
        result.unmapped.append(
            Unmapped(
                f"{first['where']}.input_data",
                N_(
                    "the input data was copied to inputs/ but is not offered to teams: on "
                    "Codabench only the ingestion program read it"
                ),
                N_(
                    "list the files teams may download under data.public (never answers), "
                    "or remove inputs/"
                ),
            )
        )
    if first["ingestion"]:
        materialise(root, str(first["ingestion"]), out / "ingestion")
    if not src.scoring_program:
        raise _refused(
            COMPETITION_FILE,
            N_("the bundle has no scoring program"),
            N_("add scoring_program to its tasks or phases"),
        )
    program = out / "scoring" / "program"
    materialise(root, str(src.scoring_program), program)
    command = _program_command(program)
    columns = [
        {
            "key": column_key(c["key"]),
            "label": _loc(c["title"]),
            "better": c["better"],
            "precision": max(0, min(10, c["precision"])),
        }
        for c in src.columns
    ]
    timed = [c for c in src.columns if c["key"].lower() in _RUN_TIME_KEYS]
    for c in timed:
        result.unmapped.append(
            Unmapped(
                f"competition.yaml: leaderboard column {c['key']}",
                N_(
                    "the column '{key}' is the run time Codabench's ingestion measures "
                    "(metadata of the results folder); uploaded results do not have it, so "
                    "it was left out",
                    key=c["key"],
                ),
                N_("add it back only if the scoring program computes it itself"),
            )
        )
    src.columns = [c for c in src.columns if c not in timed]
    columns = [c for c in columns if c["key"] not in {column_key(t["key"]) for t in timed}]
    if not columns:
        raise _refused(
            COMPETITION_FILE,
            N_("the leaderboard has no columns"),
            N_("add the leaderboard's columns"),
        )
    (out / "scoring" / "adapter.py").write_text(ADAPTER.read_text(encoding="utf-8"), "utf-8")
    config = {
        "command": command,
        "columns": {c["key"]: column_key(c["key"]) for c in src.columns},
        "reference": {"public": "public", "private": "private"},
    }
    (out / "scoring" / "codabench.json").write_text(json.dumps(config, indent=2) + "\n", "utf-8")
    time_limit = next((p["time_limit"] for p in src.phases if p["time_limit"]), 600)
    challenge: dict[str, Any] = {
        "format": 1,
        "slug": result.slug,
        "title": _loc(src.title or result.slug),
        "summary": _loc(src.description or src.title or result.slug),
        "theme": "sea",
        "organisers": [{"name": name} for name in src.organisers]
        or [{"name": f"{PLACEHOLDER}: the organisers' name"}],
        "licence": f"{PLACEHOLDER}: the licence of the data, e.g. CC-BY-4.0",
        "source": {
            "it": _todo_it("Imported from a Codabench bundle."),
            "en": f"{PLACEHOLDER}: where the data comes from.",
        },
        "pages": pages,
        "data": {"public": public, "reference": reference},
        "runner_image": None,
        "scoring": {
            "program": {
                "path": "scoring/",
                "command": ["python3", "adapter.py"],
                "time_limit_s": max(1, min(3600, int(time_limit) * 2)),
            },
            "predictions_file": "predictions.zip",
        },
        "leaderboard": {
            "columns": columns,
            "rank_by": columns[0]["key"],
            "tie_breakers": [c["key"] for c in columns[1:]],
        },
        "phases": phases,
        "judging": {
            "rubric": [
                {"key": "quality", "label": {"it": "Qualità", "en": "Quality"}, "weight": 1}
            ],
            "finalists": 10,
            "combine": {"metric_weight": 1.0, "rubric_weight": 0.0},
        },
    }
    if src.solution:
        materialise(root, src.solution, out / "baseline")
        files = _files(out / "baseline")
        challenge["baseline"] = "baseline/predictions.zip"
        if files != ["predictions.zip"]:
            shutil.make_archive(str(out / "baseline-zip"), "zip", out / "baseline")
            shutil.rmtree(out / "baseline")
            (out / "baseline").mkdir()
            (out / "baseline-zip.zip").rename(out / "baseline" / "predictions.zip")
        result.unmapped.append(
            Unmapped(
                "competition.yaml: solutions[0]",
                N_("the first solution is the baseline (baseline/predictions.zip)"),
                N_(
                    "check it scores with `marea judge`: a solution that needs the ingestion "
                    "program (a model, not results) will not"
                ),
            )
        )
    _notes(src, result)
    yaml = YAML()
    yaml.default_flow_style = False
    buffer = io.StringIO()
    yaml.dump(challenge, buffer)
    (out / "challenge.yaml").write_text(buffer.getvalue(), encoding="utf-8")


def _program_command(program: Path) -> str:
    for name in ("metadata.yaml", "metadata"):
        meta = program / name
        if meta.is_file():
            data = YAML(typ="safe").load(meta.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("command"):
                return str(data["command"])
    raise _refused(
        "scoring_program/metadata.yaml",
        N_("the scoring program has no metadata.yaml with a `command`"),
        N_(
            "add metadata.yaml with `command: python3 /app/program/score.py /app/input /app/output`"
        ),
    )


def _notes(src: _Source, result: ImportResult) -> None:
    result.unmapped.append(
        Unmapped(
            "challenge.yaml: licence",
            N_("the bundle names no licence for its data; a placeholder was written"),
            N_("write the data's licence (e.g. CC-BY-4.0) in challenge.yaml"),
        )
    )
    result.unmapped.append(
        Unmapped(
            "challenge.yaml: theme, judging, organisers, source",
            N_("Codabench has no theme, judging rubric or data source: defaults were written"),
            N_("check theme, judging, organisers and source in challenge.yaml"),
        )
    )
    if src.image:
        result.unmapped.append(
            Unmapped(
                "competition.yaml: docker image",
                N_(
                    "the bundle names the Docker Hub image '{image}'; Marea's workers never "
                    "download images, so scoring runs in the site's runner image",
                    image=str(src.image),
                ),
                N_(
                    "check the runner image has what the scoring program imports; or ask the "
                    "site's administrator to put an image on every worker and add it to "
                    "MAREA_ALLOWED_RUNNER_IMAGES, then set runner_image"
                ),
            )
        )


def report_lines(result: ImportResult) -> list[tuple[str, str, str]]:
    return [(u.where, str(u.what), str(u.todo)) for u in result.unmapped]


def report_markdown(result: ImportResult) -> str:
    """IMPORT.md: what the organisers must check before publishing (English)."""
    lines = [
        f"# Imported from Codabench (competition.yaml version {result.version})",
        "",
        "What the import could not carry over, or wrote as a placeholder. Placeholders hold",
        f"`{PLACEHOLDER}`: `marea challenge validate` refuses the bundle until each is filled.",
        "",
    ]
    for where, what, todo in report_lines(result):
        lines += [f"- **{where}**: {what}", f"  - to do: {todo}"]
    return "\n".join(lines) + "\n"
