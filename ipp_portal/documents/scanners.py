"""Byte-level searches for active content, fed chunk by chunk so memory stays flat whatever the file size.

Pure functions of the bytes: no Django, no I/O. ``services.inspect_upload`` drives them and turns a finding into an
``UploadRejected``. Each scanner keeps a short tail of the previous chunk, so a marker split across two reads is
still found.
"""

import re
import zlib

# --- Images ---------------------------------------------------------------------------------------------------
# Markup a browser would run if the bytes were ever rendered as a page, and a PHP opening tag (an image-upload
# "webshell" that a misconfigured server would execute). The tag names must be followed by what ends a tag name,
# so random compressed pixel data ("<svgA") does not trip them: that keeps false alarms on a 10 MB photo at about
# 1 in 2,000 (without it, 1 in 50).
_MARKUP = re.compile(rb"<(script|html|svg)[\t\n\x0c\r />]|<\?php|javascript:")
_MARKUP_TAIL = len(b"javascript:")  # longest marker; a tag marker plus its delimiter is shorter


class ImageScanner:
    """Finds HTML, SVG, script or PHP markers in image bytes (case-insensitive, as browsers and PHP read them)."""

    def __init__(self) -> None:
        self._tail = b""

    def feed(self, chunk: bytes) -> str | None:
        buf = self._tail + chunk.lower()
        self._tail = buf[-_MARKUP_TAIL:]
        return _markup_in(buf)

    def finish(self) -> str | None:
        return None  # a tag name at the very end of the file, with nothing after it, is not a tag


def _markup_in(buf: bytes) -> str | None:
    match = _MARKUP.search(buf)
    if match is None:
        return None
    return "<" + match.group(1).decode() if match.group(1) else match.group(0).decode()


# --- PDF ------------------------------------------------------------------------------------------------------
# A PDF runs code through actions: a JavaScript action (/S /JavaScript, its code under /JS), a Launch action
# (starts a program), and carries files through /EmbeddedFile streams and file attachments. Actions hang off the
# document's /OpenAction, an /AA (additional actions: on open, on page view, on field change ...) or the
# /Names /JavaScript tree. "/OpenAction with JS" is therefore found through its /JavaScript or /Launch action;
# an /OpenAction that only opens a page or sets the zoom (written by most office suites) is fine.
#
# Names may spell characters as #hh (/J#61vaScript is /JavaScript), so each pattern accepts either form.
_NAME_END = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|\Z)"
# Long names cannot occur by chance in binary data, so they are looked for everywhere, compressed streams included.
_ACTIVE_NAMES = ("JavaScript", "Launch", "EmbeddedFile", "EmbeddedFiles", "FileAttachment")
# Short names would match random bytes of an image or font stream (/AA or /JS in 10 MB of random bytes: ~7 %), so
# they are looked for only in the document's syntax, outside stream bodies.
_SHORT_ACTIVE_NAMES = ("JS", "AA")
# Features that would hide objects from this scan: an object stream (PDF 1.5 packs dictionaries, actions
# included, into a compressed stream; we inflate those) that is encrypted or encoded with a filter other than
# Flate cannot be inflated here, so such a file is refused rather than passed unchecked.
_HIDING_NAMES = ("ObjStm", "Encrypt", "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode")


def _name_pattern(name: str) -> bytes:
    parts = []
    for char in name:
        high, low = tuple(f"{ord(char):02x}")
        escaped = b"#" + high.encode() + b"[" + low.encode() + low.upper().encode() + b"]"
        parts.append(b"(?:" + re.escape(char.encode()) + b"|" + escaped + b")")
    return b"".join(parts)


def _names(names: tuple[str, ...]) -> bytes:
    # Longest first, so /EmbeddedFiles is not cut to /EmbeddedFile (the lookahead would reject that anyway).
    return b"|".join(_name_pattern(name) for name in sorted(names, key=len, reverse=True))


_PDF_NAME = re.compile(
    b"/(?:(?P<active>"
    + _names(_ACTIVE_NAMES)
    + b")|(?P<short>"
    + _names(_SHORT_ACTIVE_NAMES)
    + b")|(?P<hiding>"
    + _names(_HIDING_NAMES)
    + b"))"
    + _NAME_END
)
_PDF_ACTIVE_NAME = re.compile(b"/(?P<active>" + _names(_ACTIVE_NAMES) + b")" + _NAME_END)
_STREAM = re.compile(rb"stream")
_WHITESPACE = b"\x00\t\n\x0c\r "
_PDF_TAIL = 256  # > the longest escaped name (/EmbeddedFiles as #hh: 40 bytes) and the stream keyword + EOL
_LOOK_BEHIND = len(b"end")  # to tell "endstream" from "stream" when a chunk starts between them
_INFLATE_STEP = 64 * 1024
_MAX_INFLATERS = 8  # streams are consecutive: a real file has one open at a time


def _decode_name(raw: bytes) -> str:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")


class PdfFinding(Exception):
    """What the PDF scan found: ``kind`` is "active" (``marker`` names it), "hidden" or "inflated_too_large"."""

    def __init__(self, kind: str, marker: str = "") -> None:
        self.kind, self.marker = kind, marker
        super().__init__(f"{kind} {marker}".strip())


class _Inflater:
    """Inflates one Flate stream from its first byte, looking for active names in what comes out."""

    def __init__(self, start: int) -> None:
        self.next = start  # absolute offset of the next raw byte to feed
        self.done = False
        self._zlib = zlib.decompressobj()
        self._tail = b""

    def feed(self, data: bytes, budget: int) -> int:
        """Inflate ``data``; returns the bytes produced. Stops at the stream's end or at bad data.

        Raises ``PdfFinding`` on an active name, or once more than ``budget`` bytes came out.
        """
        produced = 0
        try:
            out = self._zlib.decompress(data, _INFLATE_STEP)
            while out:
                produced += len(out)
                if produced > budget:
                    raise PdfFinding("inflated_too_large")
                buf = self._tail + out
                match = _PDF_ACTIVE_NAME.search(buf)
                if match:
                    raise PdfFinding("active", _decode_name(match.group("active")))
                self._tail = buf[-_PDF_TAIL:]
                out = self._zlib.decompress(self._zlib.unconsumed_tail, _INFLATE_STEP)
        except zlib.error:
            self.done = True  # not Flate data (an image codec, encrypted bytes) or corrupt: no reader can use it
        if self._zlib.eof:
            self.done = True
        return produced


def _is_zlib_header(two: bytes) -> bool:
    return len(two) == 2 and two[0] & 0x0F == 8 and two[0] >> 4 <= 7 and (two[0] << 8 | two[1]) % 31 == 0


class PdfScanner:
    """Finds active content in a PDF, raw and inside Flate-compressed streams (where object streams hide actions).

    ``feed`` and ``finish`` raise ``PdfFinding``. ``max_inflated`` bounds the bytes inflated in total, so a
    decompression bomb costs bounded time.
    """

    def __init__(self, *, max_inflated: int) -> None:
        self._buf = b""  # unprocessed bytes, after ``self._context`` bytes kept only as look-behind
        self._context = 0
        self._base = 0  # absolute offset of self._buf[0]
        self._in_stream = False
        self._inflaters: list[_Inflater] = []
        self._inflated = 0
        self._max_inflated = max_inflated
        self._hiding: set[str] = set()

    def feed(self, chunk: bytes) -> None:
        self._scan(self._buf + chunk, final=False)

    def finish(self) -> None:
        self._scan(self._buf, final=True)
        if "ObjStm" in self._hiding and self._hiding & {"Encrypt", *_HIDING_NAMES[2:]}:
            raise PdfFinding("hidden")

    def _scan(self, buf: bytes, *, final: bool) -> None:
        limit = len(buf) if final else max(self._context, len(buf) - _PDF_TAIL)
        resume = limit
        # Names and stream keywords, in file order: a stream keyword switches where short names count.
        events: list[tuple[int, int, re.Match[bytes] | None]] = []  # a name's match, or None for a stream keyword
        for match in _PDF_NAME.finditer(buf, self._context):
            if match.start() >= limit:
                break
            events.append((match.start(), match.end(), match))
        for match in _STREAM.finditer(buf, self._context):
            if match.start() >= limit:
                break
            events.append((match.start(), match.end(), None))
        events.sort(key=lambda event: event[0])
        for start, end, name in events:
            resume = max(resume, end)
            if name is not None:
                self._on_name(name)
            else:
                self._inflate_until(buf, start)  # so the streams before this one have ended
                self._on_stream_keyword(buf, start, end)
        committed = resume
        self._inflate_until(buf, committed)
        keep_from = max(committed - _LOOK_BEHIND, 0)
        self._buf = buf[keep_from:]
        self._context = committed - keep_from
        self._base += keep_from

    def _inflate_until(self, buf: bytes, stop: int) -> None:
        """Feed every open stream its raw bytes up to ``stop`` (an index into ``buf``)."""
        for inflater in self._inflaters:
            begin = inflater.next - self._base
            if begin < stop:
                self._inflated += inflater.feed(buf[begin:stop], self._max_inflated - self._inflated)
                inflater.next = self._base + stop
        self._inflaters = [inflater for inflater in self._inflaters if not inflater.done]

    def _on_name(self, match: re.Match) -> None:
        if match.group("active"):
            raise PdfFinding("active", _decode_name(match.group("active")))
        if match.group("short"):
            if not self._in_stream:
                raise PdfFinding("active", _decode_name(match.group("short")))
        else:
            self._hiding.add(_decode_name(match.group("hiding")))

    def _on_stream_keyword(self, buf: bytes, start: int, end: int) -> None:
        if buf[start - 3 : start] == b"end":
            self._in_stream = False
            return
        # "stream" starts a body only as a keyword: after whitespace or ">>", before an end of line.
        if start == 0 or buf[start - 1] not in _WHITESPACE + b">":
            return
        if buf[end : end + 2] == b"\r\n":
            body = end + 2
        elif buf[end : end + 1] in (b"\n", b"\r"):
            body = end + 1
        else:
            return
        self._in_stream = True
        # Every stream that starts like zlib data is inflated, whatever its dictionary claims: the dictionary is
        # what an attacker would dress up.
        if _is_zlib_header(buf[body : body + 2]):
            if len(self._inflaters) >= _MAX_INFLATERS:
                raise PdfFinding("hidden")
            self._inflaters.append(_Inflater(self._base + body))
