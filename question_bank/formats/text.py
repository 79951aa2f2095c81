"""Text clean-up shared by every format, and by every path that stores an item or a person's name: NFC, line
breaks, no control or invisible formatting characters, and HTML to plain text.

Zero-width and bidirectional-control characters are removed, not refused. They are invisible: an author who
pasted them from a word processor or a PDF cannot see them to take them out, and Vietnamese (written left to
right in Latin letters) never needs one. Kept, they let two texts that look the same differ (an item or a name
that passes for another, an option that duplicates another), and the bidirectional overrides let what a
reviewer sees differ from what is stored (U+202E shows "abc" as "cba"). Removed, what is stored is what
everyone sees."""

import re
import unicodedata
from html.parser import HTMLParser

# C0 control characters other than tab and line breaks: XML 1.0 and XLSX cannot hold them,
# and they never belong in an exam question.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Zero-width spaces and joiners, direction marks and embeddings, overrides and isolates, word joiner and invisible
# operators, the byte-order mark, the Arabic letter mark.
INVISIBLE_CHARS = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c]")

_BLOCK_TAGS = frozenset("p div li ul ol tr table blockquote pre h1 h2 h3 h4 h5 h6".split())
_HIDDEN_TAGS = frozenset({"script", "style"})


def clean_text(value: str) -> str:
    """NFC, "\\n" line breaks, no control or invisible formatting characters, no surrounding whitespace."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = INVISIBLE_CHARS.sub("", _CONTROL_CHARS.sub("", text))
    return unicodedata.normalize("NFC", text).strip()  # after the removal, which may bring letter and mark together


def one_line(value: str) -> str:
    """clean_text on one line (a name, a code): every run of whitespace, line breaks included, is one space."""
    return " ".join(clean_text(value).split())


def optional_text(value: str | None) -> str | None:
    """Like clean_text, but an empty result is None (for codes and metadata)."""
    if value is None:
        return None
    return clean_text(value) or None


def normalise_label(value: str) -> str:
    """A key for tolerant matching of headers and labels: NFC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFC", value).casefold().split())


class _TextExtractor(HTMLParser):
    def __init__(self, keep_newlines: bool):
        super().__init__(convert_charrefs=True)
        self.keep_newlines = keep_newlines
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag == "br" or tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _HIDDEN_TAGS:
            self.hidden += 1

    def handle_startendtag(self, tag, attrs):
        if tag == "br" or tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _HIDDEN_TAGS and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.hidden:
            return
        if not self.keep_newlines:
            # In HTML a line break in the source is just a space.
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data)


def html_to_text(html: str, keep_newlines: bool = False) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, one line per block.

    keep_newlines=True is for Moodle's "moodle_auto_format", where a line break in the
    source is a line break on screen.
    """
    parser = _TextExtractor(keep_newlines)
    parser.feed(html)
    parser.close()
    lines = "".join(parser.parts).split("\n")
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in lines]
    return clean_text("\n".join(line for line in lines if line))
