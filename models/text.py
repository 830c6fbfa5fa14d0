"""Text as it may be stored: without control characters.

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
