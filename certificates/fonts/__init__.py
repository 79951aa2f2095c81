"""The fonts embedded in certificates and in the signature appearance.

DejaVu Sans covers Vietnamese (precomposed letters with stacked diacritics) and
is redistributable (see LICENSE-DejaVu.txt). Everything in this package loads
fonts from this folder only, never from the system, so that a certificate looks
the same on every machine that renders it.
"""

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
REGULAR = FONT_DIR / "DejaVuSans.ttf"
BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
