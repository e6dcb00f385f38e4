"""The attachment of an SIS import, read into classified CSV files.

Reading is separate from applying: it knows zip files, encodings and Canvas's header-based
recognition of a file's kind, and nothing about the database, so every importer receives the same
``CsvFile`` of numbered rows whatever the upload looked like.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

Row = dict[str, str]


@dataclass
class CsvFile:
    """One CSV of the attachment."""

    name: str
    kind: str
    rows: list[tuple[int, Row]]  # (line in the file, fields)


def _kind(header: list[str]) -> str | None:
    cols = set(header)
    if {"xlist_course_id", "section_id"} <= cols:
        return "xlists"
    if "user_id" in cols and "role" in cols:
        return "enrollments"
    if {"section_id", "course_id", "name"} <= cols:
        return "sections"
    if {"course_id", "short_name"} <= cols or {"course_id", "long_name"} <= cols:
        return "courses"
    if {"user_id", "login_id"} <= cols:
        return "users"
    if {"term_id", "name"} <= cols:
        return "terms"
    return None


def read_attachment(name: str, payload: bytes) -> list[tuple[str, bytes]]:
    """The CSV files of an attachment (a single CSV or a zip of them)."""
    if payload[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                return [
                    (member, archive.read(member))
                    for member in sorted(archive.namelist())
                    if member.lower().endswith(".csv")
                ]
        except zipfile.BadZipFile as exc:
            raise ValueError(f"not a readable zip file: {exc}") from None
    return [(name, payload)]


def parse(files: list[tuple[str, bytes]], errors: list[list[str]]) -> list[CsvFile]:
    """Classify and read each CSV; unrecognised files become errors."""
    parsed = []
    for name, payload in files:
        reader = csv.reader(io.StringIO(payload.decode("utf-8-sig")))
        header = [h.strip().lower() for h in next(reader, [])]
        kind = _kind(header)
        if kind is None:
            errors.append([name, "Couldn't find Canvas CSV import headers"])
            continue
        rows = []
        for record in reader:
            if any(cell.strip() for cell in record):
                padded = record + [""] * (len(header) - len(record))
                rows.append((reader.line_num, {h: padded[i].strip() for i, h in enumerate(header)}))
        parsed.append(CsvFile(name, kind, rows))
    return parsed
