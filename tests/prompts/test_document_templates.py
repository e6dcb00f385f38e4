"""Document templates: declared variables only, all of them, before a byte is rendered."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from core.errors import ConfigurationError, NotFoundError, ValidationFailed
from prompts.document_templates import all_documents, load_document, parse_document
from tools.documents import render_pdf, sha256_of

ISSUED = datetime(2026, 2, 2, 12, tzinfo=UTC)


def values(**overrides: object) -> dict[str, object]:
    template = load_document("incomplete_contract@1")
    return {name: f"<{name}>" for name in template.variables} | overrides


def test_the_contract_template_declares_what_the_workflow_needs() -> None:
    template = load_document("incomplete_contract")
    assert template.ref == "incomplete_contract@1"
    assert {"student", "subject", "number", "title", "crn", "term", "work_remaining",
            "deadline", "default_grade"} <= set(template.variables)  # fmt: skip
    assert [d.ref for d in all_documents()] == ["incomplete_contract@1"]
    with pytest.raises(NotFoundError, match="incomplete_contract@9"):
        load_document("incomplete_contract@9")


def test_a_missing_unknown_or_empty_variable_is_one_clear_error() -> None:
    template = load_document("incomplete_contract@1")
    given = values(deadline="")
    del given["default_grade"]
    given["nickname"] = "x"
    with pytest.raises(ValidationFailed) as raised:
        template.render(given)
    assert str(raised.value) == (
        "document incomplete_contract@1: variables missing ['default_grade'];"
        " unknown ['nickname']; empty ['deadline']"
    )


def test_a_template_using_an_undeclared_placeholder_is_refused_on_load(tmp_path: Path) -> None:
    bad = tmp_path / "note.v1.md"
    bad.write_text("---\nid: note\nversion: 1\ntitle: Note\nvariables: [student]\n---\n"
                   "Dear {{ student }}, you owe {{ amount }}.\n")  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"placeholders \['amount'\] are not declared"):
        parse_document(bad)
    bad.write_text("---\nid: note\nversion: 1\ntitle: Note\nvariables: [student, grade]\n---\n"
                   "Dear {{ student }}.\n")  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"declared variables \['grade'\] are never used"):
        parse_document(bad)


def test_the_pdf_holds_the_text_and_its_hash_is_stable() -> None:
    template = load_document("incomplete_contract@1")
    text = template.render(values(student="José Núñez", deadline="March 1, 2027"))
    pdf = render_pdf(template.title, text, ISSUED)
    assert sha256_of(pdf) == sha256_of(render_pdf(template.title, text, ISSUED))
    assert sha256_of(pdf) != sha256_of(render_pdf(template.title, text + ".", ISSUED))
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Incomplete Grade Contract" in page and "José Núñez" in page
    assert "Deadline for completion: March 1, 2027" in page


def test_text_the_pdf_font_cannot_print_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="its PDF font cannot print"):
        render_pdf("Contract", "Student: 王小明", ISSUED)
