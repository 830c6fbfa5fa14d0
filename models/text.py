"""Text as it may be stored: without control characters, and as typed: full-width
characters made plain.

A NUL (``\\x00``) is refused by the local database (PostgreSQL keeps no NUL in text or
jsonb) and every control character is refused by the xlsx writer, so a pasted or
crafted value that holds one would fail a save or an export. Every value a user
sends (form fields and address arguments, in one place: the app's request class)
and every cell an import reads passes through ``without_control_characters``; line
breaks and tabs stay, the invisible rest is dropped."""

import re

#: C0 controls but tab, line feed and carriage return; DEL.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control_characters(text: str) -> str:
    return CONTROL_CHARACTERS.sub("", text)


#: U+FF01..U+FF5E are the full-width forms of U+0021..U+007E; U+3000 is the ideographic space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
SPACES = re.compile(r"\s+")


def plain(text: str) -> str:
    """Full-width ASCII characters and the ideographic space as their ASCII selves."""
    return text.translate(_FULL_WIDTH)


def one_line(text: str) -> str:
    """``text`` made plain with every run of spaces as one space, trimmed."""
    return SPACES.sub(" ", plain(text)).strip()
