"""Files for the upload pipeline's tests, built byte by byte (nothing is downloaded).

The four good ones are real, decodable files (checked once with Pillow and pypdf outside the project); the rest are
the hostile files an uploader could send instead.
"""

import base64
import struct
import zlib


def pdf(*, catalog_extra: bytes = b"", extra_objects: tuple[bytes, ...] = (), padding: int = 0) -> bytes:
    """A valid one-page PDF 1.4 with a correct cross-reference table; ``padding`` bytes of comment make it bigger."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << >> >>",
        raw_stream(b"0 0 1 rg 20 20 160 160 re f\n"),
        *extra_objects,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if padding:
        line = b"%" + b"x" * 78 + b"\n"
        out += line * (padding // len(line)) + b"%" + b"x" * max(padding % len(line) - 2, 0) + b"\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def raw_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), dictionary) + data + b"\nendstream"


def flate_stream(data: bytes, dictionary: bytes = b"") -> bytes:
    return raw_stream(zlib.compress(data), b" /Filter /FlateDecode" + dictionary)


def png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xcc\x22\x11" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg(comment: bytes = b"") -> bytes:
    """A baseline 1x1 greyscale JFIF: one quantisation table, one-code Huffman tables, a two-bit scan."""
    segments = [
        b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + b"\x01" * 64,
        b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 1, 1, 1) + b"\x01\x11\x00",
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00",  # DC: category 0 is "0"
        b"\xff\xc4" + struct.pack(">H", 20) + b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00",  # AC: end of block is "0"
    ]
    if comment:
        segments.insert(1, b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment)
    scan = b"\xff\xda" + struct.pack(">HB", 8, 1) + b"\x01\x00\x00\x3f\x00" + b"\x3f"  # "00" then padding ones
    return b"\xff\xd8" + b"".join(segments) + scan + b"\xff\xd9"


# A 1x1 lossless WebP (the one browsers' feature detection decodes).
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

ELF = (
    b"\x7fELF\x02\x01\x01\x00"
    + b"\x00" * 8
    + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    + b"\x00" * 64
)
HTML = b"<!DOCTYPE html>\n<html><head><title>Passport</title></head><body><script>alert(1)</script></body></html>\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>\n'


def good_files() -> dict[str, bytes]:
    return {"passport.pdf": pdf(), "logo.png": png(), "photo.jpg": jpeg(), "scan.webp": WEBP}
