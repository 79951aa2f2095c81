"""The verification QR code, drawn as vectors so it prints crisply at any size.

Error correction is Q (25 % recoverable) when the URL fits version 15 at Q, else
M (15 %); anything needing a version above 15 is refused, because dense codes
scan badly from a phone photo of a printed page (SPEC §5).
"""

from dataclasses import dataclass

import qrcode
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from reportlab.graphics.shapes import Drawing, Path
from reportlab.lib import colors
from reportlab.lib.units import cm

__all__ = ["MAX_VERSION", "MIN_PRINT_SIZE", "QUIET_ZONE", "QrCode", "QrTooLarge", "make_qr"]

MAX_VERSION = 15
QUIET_ZONE = 4  # modules of white around the symbol, as ISO/IEC 18004 requires
MIN_PRINT_SIZE = 3 * cm  # smallest allowed printed size, quiet zone included


class QrTooLarge(ValueError):
    """The data needs a QR version above :data:`MAX_VERSION` even at level M."""


@dataclass(frozen=True)
class QrCode:
    """A QR symbol: its data, version, error-correction level and dark modules."""

    data: str
    version: int
    error_correction: str  # "Q" or "M"
    modules: tuple[tuple[bool, ...], ...]  # rows, no quiet zone

    @property
    def module_count(self) -> int:
        """Modules per side without the quiet zone (17 + 4 × version)."""
        return len(self.modules)

    def _runs(self):
        """Horizontal runs of dark modules as (row, first column, length)."""
        for r, row in enumerate(self.modules):
            c = 0
            n = len(row)
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    yield r, start, c - start
                else:
                    c += 1

    def draw_on(self, canvas, x: float, y: float, size: float) -> None:
        """Draw on a reportlab canvas; (x, y) is the lower-left corner of the
        quiet zone and ``size`` the side including it, in points."""
        if size < MIN_PRINT_SIZE:
            raise ValueError("QR code would print smaller than 3 cm")
        unit = size / (self.module_count + 2 * QUIET_ZONE)
        canvas.saveState()
        canvas.setFillColor(colors.white)
        canvas.rect(x, y, size, size, stroke=0, fill=1)
        canvas.setFillColor(colors.black)
        # One module = one unit, origin at the symbol's top-left corner, y downwards:
        # the rectangles are then small integers, written straight into the content
        # stream (formatting ~1,500 floats through reportlab's path API is slow).
        canvas.translate(x + QUIET_ZONE * unit, y + size - QUIET_ZONE * unit)
        canvas.scale(unit, -unit)
        ops = [f"{c} {r} {length} 1 re" for r, c, length in self._runs()]
        ops.append("f")
        canvas.addLiteral("\n".join(ops))
        canvas.restoreState()

    def drawing(self, size: float) -> Drawing:
        """The same symbol as a reportlab ``Drawing`` (quiet zone included)."""
        drawing = Drawing(size, size)
        unit = size / (self.module_count + 2 * QUIET_ZONE)
        top = size - QUIET_ZONE * unit
        path = Path(fillColor=colors.black, strokeColor=None, strokeWidth=0)
        for r, c, length in self._runs():
            x0, y0 = (QUIET_ZONE + c) * unit, top - (r + 1) * unit
            x1, y1 = x0 + length * unit, y0 + unit
            path.moveTo(x0, y0)
            path.lineTo(x1, y0)
            path.lineTo(x1, y1)
            path.lineTo(x0, y1)
            path.closePath()
        drawing.add(path)
        return drawing


def _fitting_version(data: str, level: int) -> int | None:
    qr = qrcode.QRCode(error_correction=level, border=0)
    qr.add_data(data)
    try:
        version = qr.best_fit()
    except DataOverflowError:
        return None
    return version if version <= MAX_VERSION else None


def fits(url: str) -> bool:
    """Whether ``url`` fits a QR code of version 15 or lower at level M (cheap: no mask is evaluated)."""
    return _fitting_version(url, ERROR_CORRECT_M) is not None


def make_qr(url: str) -> QrCode:
    """Encode ``url`` at level Q if it fits version 15, else at level M.

    :raise QrTooLarge: even level M would need a version above 15.
    """
    level, name = ERROR_CORRECT_Q, "Q"
    version = _fitting_version(url, level)
    if version is None:
        level, name = ERROR_CORRECT_M, "M"
        version = _fitting_version(url, level)
    if version is None:
        raise QrTooLarge(f"{len(url.encode('utf-8'))}-byte URL needs a QR version above {MAX_VERSION}")
    qr = qrcode.QRCode(version=version, error_correction=level, border=0)
    qr.add_data(url)
    qr.make(fit=False)
    modules = tuple(tuple(bool(cell) for cell in row) for row in qr.modules)
    return QrCode(data=url, version=version, error_correction=name, modules=modules)
