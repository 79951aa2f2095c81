"""Writing a titled table to XLSX, for every download the service offers."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_COLUMN_WIDTH = 45


def table_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    """A sheet with `title` in row 1, the column labels in row 2 and one row per dict (values by column key).
    Strings are written as text cells, whatever they start with."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([label for _, label in columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(key) for key, _ in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text: a name such as "=HYPERLINK(…)" is never a live formula
    for index, (key, label) in enumerate(columns, start=1):
        longest = max([len(label), *(len(str(row.get(key) or "")) for row in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(longest + 2, MAX_COLUMN_WIDTH)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
