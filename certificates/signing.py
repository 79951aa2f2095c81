"""PAdES signing of certificate PDFs with pyHanko.

Every certificate gets one *certification* signature (DocMDP "no changes
allowed"), PAdES baseline B-B (``ETSI.CAdES.detached``, SHA-256), with the
signer's chain embedded and a visible signature block whose Vietnamese text is
drawn with the bundled DejaVu font. Any later change to the file, even an
incremental update that leaves the signed bytes alone, makes the signature
fail verification (see :mod:`certificates.verify_pdf`).

Where the key lives is configuration (:class:`SignerConfig`): a development CA
directory (:mod:`certificates.devca`), a PKCS#12 file, or, in production, a
PKCS#11 token (:meth:`SignerConfig.from_pkcs11`, left as a documented hook).
"""

import os
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko.stamp import TextStampStyle
from reportlab.lib.utils import simpleSplit

from . import fonts
from .pdf import FONT_REGULAR, SIGNATURE_BOX, register_fonts
from .vietnam_time import VIETNAM_TZ

__all__ = ["DEFAULT_REASON", "SIGNATURE_FIELD", "SignerConfig", "sign_pdf"]

SIGNATURE_FIELD = "ChuKySoCoQuanCap"
DEFAULT_REASON = "Cấp giấy chứng nhận đạt chuẩn kỹ năng số"
_STAMP_FONT_SIZE = 9  # pyHanko layout wants integers


# What the signature block can print: Latin, Vietnamese, common punctuation.
_STAMP_UNICODES = [
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2010, 0x2028),
    *range(0x2030, 0x203B),
    0x20AB,
    0x20AC,
    0x2116,
]


class _BundledFontFactory(FontEngineFactory):
    """pyHanko font engine (HarfBuzz shaping, subset embedding) over a bundled TTF.

    pyHanko's own GlyphAccumulatorFactory opens the font file (and never closes
    it) and subsets the whole DejaVu font, layout tables for every script
    included, at each signature: most of the signing time. Here the font is cut
    down once per process to Latin + Vietnamese (and rescaled to 1000 units per
    em, which pyHanko's width code assumes), and each signature gets an
    in-memory copy of that.
    """

    _cache: dict[Path, bytes] = {}
    _lock = threading.Lock()

    def __init__(self, font_file: Path, font_size: int):
        self.font_file = font_file
        self.font_size = font_size

    def _font_bytes(self) -> bytes:
        with self._lock:
            data = self._cache.get(self.font_file)
            if data is None:
                data = self._cache[self.font_file] = _latin_vietnamese_subset(self.font_file)
            return data

    def create_font_engine(self, writer, obj_stream=None):
        from pyhanko.pdf_utils.font.opentype import GlyphAccumulator  # needs pyHanko[opentype]

        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=BytesIO(self._font_bytes()),
            font_size=self.font_size,
            ot_script_tag="latn",
            ot_language_tag="VIT ",
            writing_direction="ltr",
            bcp47_lang_code="vi",
            obj_stream=obj_stream,
        )


def _latin_vietnamese_subset(font_file: Path) -> bytes:
    from fontTools import subset, ttLib
    from fontTools.ttLib.scaleUpem import scale_upem

    options = subset.Options()
    # No layout features at all: NFC Vietnamese uses precomposed letters, and
    # DejaVu's GPOS/GSUB tables would be re-parsed at every signature.
    options.layout_features = []
    options.drop_tables += ["GPOS", "GSUB", "GDEF"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["FFTM"]  # unknown to the subsetter, which would log about it
    with ttLib.TTFont(BytesIO(font_file.read_bytes())) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=_STAMP_UNICODES)
        subsetter.subset(font)
        # pyHanko writes glyph widths and TJ offsets in font units as if every
        # font had 1000 units per em; DejaVu has 2048, so rescale it.
        scale_upem(font, 1000)
        out = BytesIO()
        font.save(out)
    return out.getvalue()


def _common_name(cert: asn1_x509.Certificate) -> str:
    for rdn in cert.subject.chosen:
        for attr in rdn:
            if attr["type"].native == "common_name":
                return unicodedata.normalize("NFC", attr["value"].native)
    return unicodedata.normalize("NFC", cert.subject.human_friendly)


@dataclass(frozen=True)
class SignerConfig:
    """The key that signs certificates, wherever it is kept.

    ``display_name`` is what the visible signature block prints after
    "Ký số bởi:"; by default the signing certificate's common name.
    """

    signer: Signer
    display_name: str

    @property
    def certificate(self) -> asn1_x509.Certificate:
        return self.signer.signing_cert

    def bytes_reserved(self) -> int | None:
        """Room for the CMS signature, so pyHanko need not make a dry-run
        signature at every call to estimate it: twice (hex) the embedded
        certificates plus a generous allowance for signature and attributes.
        None (let pyHanko estimate) for signers whose certificates are not known."""
        registry = getattr(self.signer, "cert_registry", None)
        signing_cert = self.signer.signing_cert
        if registry is None or signing_cert is None:
            return None
        der = len(signing_cert.dump()) + sum(len(c.dump()) for c in registry)
        return 2 * (der + 4096)

    @classmethod
    def _from_signer(cls, signer: Signer, display_name: str | None) -> "SignerConfig":
        name = display_name or _common_name(signer.signing_cert)
        return cls(signer=signer, display_name=unicodedata.normalize("NFC", name))

    @classmethod
    def from_dev_ca(cls, directory: str | os.PathLike, display_name: str | None = None) -> "SignerConfig":
        """Load ``signer.key``, ``signer.pem`` and ``root-ca.pem`` as made by
        :func:`certificates.devca.init_dev_keys`.

        :raise FileNotFoundError: the directory has not been initialised.
        """
        directory = Path(directory)
        key_file, cert_file, root_file = (directory / n for n in ("signer.key", "signer.pem", "root-ca.pem"))
        for path in (key_file, cert_file, root_file):
            if not path.is_file():
                raise FileNotFoundError(path)
        signer = SimpleSigner.load(str(key_file), str(cert_file), ca_chain_files=[str(root_file)])
        if signer is None:
            raise ValueError(f"cannot load the development signing key from {directory}")
        return cls._from_signer(signer, display_name)

    @classmethod
    def from_pkcs12(
        cls,
        path: str | os.PathLike,
        passphrase: str | bytes | None,
        *,
        extra_chain: Sequence[str | os.PathLike] = (),
        display_name: str | None = None,
    ) -> "SignerConfig":
        """Load key and chain from a PKCS#12 (.p12/.pfx) file.

        ``extra_chain`` names PEM/DER files with intermediate or root
        certificates the PKCS#12 file lacks, so the whole chain is embedded.

        :raise ValueError: wrong passphrase or not a PKCS#12 file.
        """
        if isinstance(passphrase, str):
            passphrase = passphrase.encode("utf-8")
        others = list(load_certs_from_pemder([str(p) for p in extra_chain])) if extra_chain else []
        signer = SimpleSigner.load_pkcs12_data(
            Path(path).read_bytes(), other_certs=others, passphrase=passphrase
        )
        return cls._from_signer(signer, display_name)

    @classmethod
    def from_pkcs11(
        cls,
        *,
        module_path: str,
        token_label: str,
        key_label: str,
        pin: str | None = None,
        cert_label: str | None = None,
        extra_chain: Sequence[str | os.PathLike] = (),
        display_name: str | None = None,
    ) -> "SignerConfig":
        """Hook for a hardware token or HSM (PKCS#11); not implemented yet.

        The intended implementation, with pyHanko's ``[pkcs11]`` extra
        (python-pkcs11) installed::

            from pyhanko.sign import pkcs11
            from pyhanko.config.pkcs11 import TokenCriteria
            session = pkcs11.open_pkcs11_session(
                module_path, token_criteria=TokenCriteria(label=token_label), user_pin=pin)
            signer = pkcs11.PKCS11Signer(
                session, key_label=key_label, cert_label=cert_label or key_label,
                other_certs_to_pull=None,            # pull the chain from the token...
                ca_chain=load_certs_from_pemder(extra_chain))  # ...or give it here
            return cls._from_signer(signer, display_name)

        The session must stay open for the worker's lifetime (open it once per
        process, after fork) and be closed at shutdown; signing calls are then
        the same :func:`sign_pdf` as with a PKCS#12 file.
        """
        raise NotImplementedError("PKCS#11 signing is not implemented yet; see SignerConfig.from_pkcs11")


def _wrap(text: str, width: float) -> str:
    register_fonts()  # reportlab metrics of the same DejaVu font, for line breaking
    return "\n".join(simpleSplit(text, FONT_REGULAR, _STAMP_FONT_SIZE, width) or [""])


def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="%(text)s",
        text_box_style=TextBoxStyle(
            font=_BundledFontFactory(fonts.REGULAR, _STAMP_FONT_SIZE),
            font_size=_STAMP_FONT_SIZE,
            leading=_STAMP_FONT_SIZE + 3,
            # No margin of its own (pyHanko's default is 10 pt): the stamp's margin below is enough.
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(),
            ),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN,
            y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(6),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
        border_width=1,
        background=None,
    )


def sign_pdf(
    pdf_bytes: bytes,
    signer: SignerConfig,
    *,
    field_box: tuple[float, float, float, float] = SIGNATURE_BOX,
    reason: str = DEFAULT_REASON,
    location: str | None = None,
    signing_time: datetime | None = None,
) -> bytes:
    """Certify ``pdf_bytes`` (no changes allowed afterwards) and return the signed PDF.

    Synchronous (pyHanko runs its own event loop): call it from a worker
    thread or process, not from inside a running asyncio loop.

    ``field_box`` is the visible signature rectangle on page 1, normally
    :data:`certificates.pdf.SIGNATURE_BOX`. ``signing_time`` is only what the
    visible block prints (default: now, Viet Nam time); the signature's own
    time is taken by pyHanko when it signs.
    """
    reason = unicodedata.normalize("NFC", reason)
    location = unicodedata.normalize("NFC", location) if location else None
    when = (signing_time or datetime.now(VIETNAM_TZ)).astimezone(VIETNAM_TZ)
    x1, _, x2, _ = field_box
    text_width = (x2 - x1) - 14
    lines = [
        _wrap(f"Ký số bởi: {signer.display_name}", text_width),
        f"Thời gian ký: {when:%d/%m/%Y %H:%M:%S} (UTC+07:00)",
        _wrap(f"Lý do: {reason}", text_width),
    ]
    if location:
        lines.append(_wrap(f"Nơi ký: {location}", text_width))

    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=signer.display_name,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        subfilter=SigSeedSubFilter.PADES,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer=signer.signer,
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=0, box=field_box),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf_bytes))
    output = pdf_signer.sign_pdf(
        writer,
        bytes_reserved=signer.bytes_reserved(),
        appearance_text_params={"text": "\n".join(lines)},
        output=BytesIO(),
    )
    return output.getvalue()
