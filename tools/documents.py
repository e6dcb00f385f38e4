"""Rendered documents: plain text with ``## `` headings as a PDF (fpdf2), and their hash.

No decisions here: the text arrives rendered and checked (:mod:`prompts.document_templates`);
this turns it into the bytes people sign and the SHA-256 that names them in the approval queue
and the audit trail. fpdf2's built-in Helvetica covers Latin-1; text outside it is refused with
a clear error rather than printed as question marks in a signed contract.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from fpdf import FPDF

from core.errors import ValidationFailed

_LINE_MM = 6.0


def render_pdf(title: str, text: str, issued: datetime) -> bytes:
    """A one-column A4 PDF: ``title``, then ``text`` (``## `` lines become bold headings).

    ``issued`` is its creation date: the same text and date give the same bytes and hash.
    """
    try:
        (title + text).encode("latin-1")
    except UnicodeEncodeError as exc:
        raise ValidationFailed(
            f"the document holds {exc.object[exc.start]!r}, which its PDF font cannot print"
        ) from None
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creation_date(issued)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.multi_cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    for line in text.splitlines():
        if line.startswith("## "):
            pdf.ln(2)
            pdf.set_font("Helvetica", style="B", size=12)
            pdf.multi_cell(0, _LINE_MM + 1, line[3:], new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, _LINE_MM, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def sha256_of(data: bytes) -> str:
    """The hex SHA-256 that names a document."""
    return hashlib.sha256(data).hexdigest()
