"""SIS imports: Canvas's bulk CSV loader, processed asynchronously.

The attachment is one CSV or a zip of CSVs; each file's kind is recognised from its header row
as Canvas does: terms, users, courses, sections, xlists, enrollments, applied in that order.
Rows are upserted by SIS id in bulk (``executemany`` with ``ON CONFLICT``), inside one
transaction per import, so a 100,000-row file takes seconds and a refused import leaves nothing
behind. One module per concept: reading the attachment (``csv_files``), the state of a run
(``run``), the importers (``catalog``, ``users``, ``enrollments``), ``batch_mode`` deletions,
the job runner (``importer``) and the JSON (``shape``). The routes need only the names below.
"""

from sandbox.canvas.sis_import.csv_files import read_attachment
from sandbox.canvas.sis_import.importer import FINAL_STATES, SisImporter
from sandbox.canvas.sis_import.shape import sis_import_json

__all__ = ["FINAL_STATES", "SisImporter", "read_attachment", "sis_import_json"]
