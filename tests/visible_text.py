"""What a person reads on a page, and what on it is not for people to read: raw codes,
record ids, JSON or Python reprs, English words.

``visible_text`` reads an HTML page as a browser shows it (no scripts, no hidden
elements; a drop-down's options, a button's caption and a placeholder count);
``findings`` lists what in a text would puzzle a user of a Chinese product."""

import re
from html.parser import HTMLParser

#: Names of products, formats and standards a Chinese product writes in Latin letters, and
#: the pinyin-initials example of the archive search box (如 zs 找到张三).
ALLOWED_WORDS = frozenset({"Excel", "Word", "PDF", "CSV", "GB", "GB/T", "JPEG", "EXIF", "IP", "zs"})
#: Flask-Admin's stock Chinese that no Chinese product says (20 项目, 选中的, an empty 筛选器).
STOCK_WORDING = re.compile(r"[0-9]+ 项目|选中的|筛选器")
FILE_EXTENSION = re.compile(r"(?i)jpe?g|png|gif|webp|heic|pdf|docx?|xlsx?|csv")
#: A document number people read and type (a service record's FW202600001).
DOCUMENT_NUMBER = re.compile(r"[A-Z]{1,4}[0-9]{4,}")

VOID_TAGS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                       "track", "wbr"})
SKIPPED_TAGS = frozenset({"script", "style", "template", "noscript", "head"})
HIDDEN_CLASSES = frozenset({"d-none", "sr-only", "modal", "hide"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


def _hidden(tag: str, attrs: dict) -> bool:
    if tag in SKIPPED_TAGS or "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    if HIDDEN_CLASSES & set((attrs.get("class") or "").split()):
        return True
    return bool(HIDDEN_STYLE.search(attrs.get("style") or ""))


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: whether it hides what it holds

    def _shown(self) -> bool:
        return not any(self.stack)

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        hidden = _hidden(tag, a)
        if tag in VOID_TAGS:
            if self._shown() and not hidden:
                kind = a.get("type", "text")
                if tag == "input" and kind in ("submit", "button", "reset"):
                    self.parts.append(a.get("value", ""))
                if tag == "input" and kind != "hidden" or tag == "textarea":
                    self.parts.append(a.get("placeholder", ""))
                if tag == "img":
                    self.parts.append(a.get("alt", ""))
            return
        if tag == "textarea" and self._shown() and not hidden:
            self.parts.append(a.get("placeholder", ""))
        self.stack.append(hidden)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID_TAGS and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self._shown() and data.strip():
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    parser.close()
    return "\n".join(p.strip() for p in parser.parts if p and p.strip())


OBJECT_ID = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{24}(?![0-9a-fA-F])")
#: JSON or a Python repr: braces or square brackets (Chinese text uses 【】 and （）), quoted keys, None/True/False.
REPR = re.compile(r"[{}\[\]｛｝]|\bNone\b|\bTrue\b|\bFalse\b|<\w+ object at|\w+\(\w+=")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._/-][A-Za-z0-9]+)*")
SHA256 = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40,64}(?![0-9a-fA-F])")


def findings(text: str, allowed: frozenset[str] = frozenset()) -> list[str]:
    """What in ``text`` is not for people to read, each with a little context.
    ``allowed`` adds Latin words this page may show (data people typed, such as login names)."""
    found = []

    def note(kind, match):
        start, end = max(0, match.start() - 12), min(len(text), match.end() + 12)
        found.append(f"{kind}：…{text[start:end]}…".replace("\n", " "))

    for match in OBJECT_ID.finditer(text):
        note("记录ID", match)
    for match in SHA256.finditer(text):
        if not OBJECT_ID.fullmatch(match.group()):
            note("校验码", match)
    for match in REPR.finditer(text):
        note("JSON/代码", match)
    for match in STOCK_WORDING.finditer(text):
        note("生硬的界面用语", match)
    for match in LATIN_WORD.finditer(text):
        word = match.group()
        if word in ALLOWED_WORDS or word in allowed or OBJECT_ID.fullmatch(word) or SHA256.fullmatch(word):
            continue
        if len(word) == 1 or DOCUMENT_NUMBER.fullmatch(word) or re.fullmatch(r"A[0-9]", word):
            continue  # a single letter, a document number, a paper size (A4)
        if match.start() > 0 and text[match.start() - 1] == "." and FILE_EXTENSION.fullmatch(word):
            continue  # the type of a file people named (入户照片.jpg)
        note("英文或代码", match)
    return found
