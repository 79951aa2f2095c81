"""Writing titled tables to XLSX, for every download the service offers."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

MAX_COLUMN_WIDTH = 45


Table = tuple[str, list[tuple[str, str]], list[dict]]  # (title, [(key, label)], rows)


def table_xlsx(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    """A sheet with `title` in row 1, the column labels in row 2 and one row per dict (values by column key).
    Strings are written as text cells, whatever they start with."""
    return tables_xlsx([(title, columns, rows)])


def tables_xlsx(tables: list[Table]) -> bytes:
    """One sheet per table, in order, each written as `table_xlsx` writes its one (titles must differ in their
    first 31 characters, the most a sheet's name holds)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in tables:
        _write(workbook.create_sheet(title[:31]), title, columns, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write(sheet, title: str, columns: list[tuple[str, str]], rows: list[dict]) -> None:
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
