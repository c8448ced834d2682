"""File names from outside, shown and stored safely.

A name in the inbox is whatever the sender's system, a USB stick or an old zip made it: bytes that are
not UTF-8 (GBK from an old archiver: Python hands them over as lone surrogates), newlines, ESC and other
control characters, or more bytes than a file system allows. Such a name must never forge an output or
log line, move the terminal's cursor, or crash a ``print``; and the tool must be able to write a file
named after it (an archived return, a receipt, a blank form).

* ``shown`` — the name on one line: every byte that is not UTF-8 as ``\\xNN``, every control or format
  character (newline, ESC, a right-to-left override, a line separator) as ``\\n`` / ``\\x1b`` / ``\\u202e``.
  Any other text is left as it is, Chinese included.
* ``safe_file_name`` — a name every file system here accepts: shown as above, then without the
  characters Windows refuses, no reserved device name, and at most ``NAME_BYTES`` bytes of UTF-8 — a
  name cut short ends in ``~`` and eight hex digits of the original name's hash, so two long names
  never fall together.

Stage 0: imported by every stage, imports nothing of the package.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: bytes of UTF-8 a name the tool writes may have: file systems allow 255 per name (ecryptfs 143); the
#: callers add up to ~40 more (``-退回-1a2b3c4d.txt``, `` (2)``, ``.回执.txt``)
NAME_BYTES = 140

#: characters Windows refuses in a file name, and the names it reserves
_WINDOWS_BAD = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(name: str) -> str:
    """``name`` as one line of plain text (see the module's doc)."""
    if name.isprintable():  # the common case: nothing to escape
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if ch.isprintable() or unicodedata.category(ch) == "Zs":  # a wide or no-break space is text
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch in _NAMED:
            out.append(_NAMED[ch])
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def name_hash(name: str) -> str:
    """Eight hex digits of the name's own bytes (as the file system has them)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def safe_file_name(text: str, max_bytes: int = NAME_BYTES) -> str:
    """A file name Windows and Linux accept for ``text``: shown on one line, no \\ / : * ? " < > | or
    control characters, no trailing dot or space, no reserved device name, at most ``max_bytes`` of
    UTF-8 (cut short with ``~`` and a hash of ``text``, keeping a short extension)."""
    name = unicodedata.normalize("NFC", shown(text))
    name = _WINDOWS_BAD.sub("_", name).strip().rstrip(". ")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    name = name or "_"
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 8 or not stem:
        stem, suffix = name, ""
    tail = f"~{name_hash(text)}" + (f".{suffix}" if suffix else "")
    room = max(max_bytes - len(tail.encode("utf-8")), 1)
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return (cut or "_") + tail
