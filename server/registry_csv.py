"""Reading an outlet registry from CSV (``wiretrace outlets import``).

The header names the columns: ``name`` (required), ``domains`` and ``labels``
(lists separated by ``;``), ``display_name``, ``country``, ``language``,
``ownership``, ``homepage``; any order, any subset. Lines starting with
``#`` are comments. Each row is saved on its own (a savepoint), so a bad
row changes nothing and is reported with its line number, while good rows
are kept.

By default a row is merged into the stored entry: non-empty cells set their
field, and its domains and labels are added to those stored. With
``replace=True`` a row replaces the outlet's whole entry: empty cells clear
their field, the domains and labels become exactly the row's.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ApiError
from .outlets import check_record, save_outlet

__all__ = ["COLUMNS", "DEMO_REGISTRY", "ImportReport", "import_registry", "load_demo_registry", "RegistryFileError"]

# The demo corpus's (fictional) outlets, loaded by `wiretrace serve --demo`.
DEMO_REGISTRY = Path(__file__).parent / "demo" / "outlets.csv"

COLUMNS = ("name", "display_name", "domains", "country", "language", "ownership", "labels", "homepage")
_LISTS = ("domains", "labels")


class RegistryFileError(ValueError):
    """The file as a whole cannot be read (no header, unknown columns): nothing was imported."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: what is wrong"

    def summary(self) -> str:
        return (
            f"imported {len(self.created) + len(self.updated) + len(self.unchanged)} outlets: "
            f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged; "
            f"{len(self.errors)} rows skipped"
        )


def _without_comments(lines: Iterable[str]) -> Iterable[str]:
    # A comment becomes an empty line, so csv's line numbers stay the file's.
    for line in lines:
        yield "\n" if line.lstrip().startswith("#") else line


def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def import_registry(lines: Iterable[str], *, replace: bool = False) -> ImportReport:
    """Save every good row of a registry CSV; report the bad ones by line number."""
    reader = csv.reader(_without_comments(lines))
    header = None
    for row in reader:
        if any(cell.strip() for cell in row):
            header = [cell.strip().lower() for cell in row]
            break
    if header is None:
        raise RegistryFileError("the file has no header line (name,domains,country,language,ownership,labels,...)")
    unknown = [column for column in header if column not in COLUMNS]
    if unknown or "name" not in header or len(set(header)) != len(header):
        raise RegistryFileError(
            f"the header must name 'name' and any of {', '.join(COLUMNS[1:])}, each once; got {', '.join(header)}"
        )
    report = ImportReport()
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        if len(row) != len(header):
            report.errors.append(f"line {line}: {len(row)} cells for {len(header)} columns")
            continue
        cells = dict(zip(header, row, strict=True))
        values: dict = {}
        for column in COLUMNS:
            cell = cells.get(column, "")
            value = _split(cell) if column in _LISTS else cell.strip()
            # Merging, an empty (or absent) cell leaves the stored value; replacing, it clears it.
            values[column] = value if value or replace else None
        try:
            record = check_record(values.pop("name") or "", **values)
            _, status = save_outlet(record, merge=not replace)
        except ApiError as error:
            report.errors.append(f"line {line}: {error.message}")
            continue
        getattr(report, status).append(record.name)
    return report


def load_demo_registry() -> ImportReport:
    """Merge the demo registry in (again: an unchanged registry stays unchanged)."""
    with DEMO_REGISTRY.open(encoding="utf-8", newline="") as lines:
        return import_registry(lines)
