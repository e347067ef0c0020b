"""Exports: one generator of rows, rendered as CSV or XLSX and streamed.

An export is a list of columns and an iterable of rows (dicts); a new export is a new
generator, not a new writer. Both formats keep memory flat whatever the number of rows:

- CSV is written a batch of rows at a time and each batch is sent as it is made.
- XLSX is a zip archive, complete only when the workbook is closed. XlsxWriter in
  `constant_memory` mode writes each row to a temporary file as it comes (it keeps one
  row in memory), then zips; the archive is then sent from its temporary file in
  chunks. XlsxWriter over openpyxl's write-only mode: both keep memory flat, and
  XlsxWriter wrote 100,000 rows in about half the time (bench/bench_sales.py).

The rows are produced on the request's thread (server.handler): the response's
body is an asynchronous iterator that asks that thread for one chunk at a time, so the
database cursor and the temporary files are only ever touched there.

Cells of text that a spreadsheet would take for a formula (starting with = + - @, a tab
or a carriage return) are prefixed with a single quote in CSV (OWASP's advice for CSV
injection). In XLSX every text cell is written as a string, never a formula.
"""

import csv
import io
import tempfile
from datetime import datetime
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from rest_framework.renderers import BaseRenderer

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 500
CHUNK = 64 * 1024


class ExportRenderer(BaseRenderer):
    """For content negotiation only (`?format=` or `Accept`): a view answers an export
    format with export_response, never through the renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("exports are streamed by shared.exports.export_response")


class CSVRenderer(ExportRenderer):
    media_type = CSV_TYPE
    format = "csv"
    charset = "utf-8"


class XLSXRenderer(ExportRenderer):
    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None


EXPORT_RENDERERS = [CSVRenderer, XLSXRenderer]


def neutralised(value):
    """A text cell that cannot start a formula in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, str):
        return neutralised(value)
    return value


def csv_chunks(columns, rows):
    """UTF-8 with a byte order mark (so spreadsheets read accents right), a header line, then
    the rows, CSV_BATCH rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([title for title, _ in columns])
    first = True
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row[key]) for _, key in columns])
        count += 1
        if count % CSV_BATCH == 0:
            yield (("\ufeff" if first else "") + buffer.getvalue()).encode()
            first = False
            buffer.seek(0)
            buffer.truncate()
    yield (("\ufeff" if first else "") + buffer.getvalue()).encode()


def xlsx_chunks(columns, rows, *, sheet):
    """The workbook built in a temporary file (constant memory), then sent in chunks."""
    import xlsxwriter  # loaded by the first XLSX export only

    with tempfile.TemporaryFile() as archive:
        workbook = xlsxwriter.Workbook(archive, {"constant_memory": True, "remove_timezone": True})
        worksheet = workbook.add_worksheet(sheet[:31])
        bold = workbook.add_format({"bold": True})
        stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        money = workbook.add_format({"num_format": "0.00"})
        for col, (title, _) in enumerate(columns):
            worksheet.write_string(0, col, title, bold)
            worksheet.set_column(col, col, max(12, len(title) + 2))
        for line, row in enumerate(rows, start=1):
            for col, (_, key) in enumerate(columns):
                value = row[key]
                if value is None or value == "":
                    continue
                if isinstance(value, datetime):
                    worksheet.write_datetime(line, col, value, stamp)
                elif isinstance(value, Decimal):
                    worksheet.write_number(line, col, value, money)
                elif isinstance(value, (int, float)):
                    worksheet.write_number(line, col, value)
                else:
                    worksheet.write_string(line, col, str(value))
        workbook.close()
        archive.seek(0)
        while chunk := archive.read(CHUNK):
            yield chunk


class _ChunksOnRequestThread:
    """An asynchronous body whose chunks come from a synchronous generator run on the
    request's thread (thread_sensitive: the lane server.handler binds); closing
    the response closes the generator there too (temporary files, the cursor)."""

    def __init__(self, chunks):
        self.chunks = chunks
        self._next = sync_to_async(self._take, thread_sensitive=True)

    def _take(self):
        return next(self.chunks, None)

    def __aiter__(self):
        return self._iterate()

    async def _iterate(self):
        while (chunk := await self._next()) is not None:
            yield chunk

    def close(self):
        self.chunks.close()


def export_response(*, columns, rows, fmt, filename, sheet="Export"):
    """A streamed attachment of `rows` in `fmt` (csv or xlsx); `columns` are (title, key)
    pairs and `filename` has no extension."""
    if fmt == "csv":
        chunks, content_type = csv_chunks(columns, rows), f"{CSV_TYPE}; charset=utf-8"
    else:
        chunks, content_type = xlsx_chunks(columns, rows, sheet=sheet), XLSX_TYPE
    body = _ChunksOnRequestThread(chunks)
    response = StreamingHttpResponse(body, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(True, f"{filename}.{fmt}")
    response.headers["Cache-Control"] = "private, no-store"
    return response
