"""Word documents in the layout of a Chinese government document (after GB/T 9704):
A4 with wide margins, a centred title, the issue line, headings 一、二、 in a bold
face, body text with a two-character first-line indent, tables with a bold header
row, and the page number centred in the footer (— 1 —). Used by the monthly brief
and the year-end summary (models.briefs)."""

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

#: Faces named as a government office has them; a reader without them substitutes its own CJK face.
TITLE_FACE, HEADING_FACE, BODY_FACE, TABLE_FACE = "方正小标宋简体", "黑体", "仿宋", "宋体"
TITLE_SIZE, HEADING_SIZE, BODY_SIZE, TABLE_SIZE, NOTE_SIZE = Pt(22), Pt(16), Pt(16), Pt(10.5), Pt(12)
RED = RGBColor(0xC0, 0x00, 0x00)


def _face(run, face: str, size, bold: bool = False, color=None):
    run.font.name = face
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    properties = run._element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        properties.append(fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), face)
    return run


class GovernmentDocument:
    """A document being written; ``save()`` returns the .docx bytes."""

    def __init__(self):
        self.document = Document()
        section = self.document.sections[0]
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        section.footer_distance = Cm(2.5)
        normal = self.document.styles["Normal"]
        normal.font.name, normal.font.size = BODY_FACE, BODY_SIZE
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FACE)
        self._page_number_footer(section)
        self.headings: list[str] = []

    def _page_number_footer(self, section):
        paragraph = section.footer.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _face(paragraph.add_run("— "), TABLE_FACE, Pt(14))
        run = _face(paragraph.add_run(), TABLE_FACE, Pt(14))
        for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
            if kind:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            elif text == "PAGE":
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = " PAGE "
            else:
                element = OxmlElement("w:t")
                element.text = text
            run._element.append(element)
        _face(paragraph.add_run(" —"), TABLE_FACE, Pt(14))

    def _paragraph(self, alignment=None, indent: bool = False, space_after: float = 0):
        paragraph = self.document.add_paragraph()
        if alignment is not None:
            paragraph.alignment = alignment
        form = paragraph.paragraph_format
        form.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        form.line_spacing = Pt(28)
        form.space_after = Pt(space_after)
        if indent:
            form.first_line_indent = Pt(32)  # two characters of the body size
        return paragraph

    def masthead(self, name: str, issue_line: str, sender: str, date_text: str):
        """A brief's red masthead: its name, the issue, then the sender and date over a red rule."""
        _face(self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, space_after=6).add_run(name), TITLE_FACE, Pt(30), True, RED)
        _face(self._paragraph(WD_ALIGN_PARAGRAPH.CENTER).add_run(issue_line), BODY_FACE, BODY_SIZE)
        line = self._paragraph(space_after=12)
        _face(line.add_run(sender), BODY_FACE, BODY_SIZE)
        _face(line.add_run("\t" + date_text), BODY_FACE, BODY_SIZE)
        line.paragraph_format.tab_stops.add_tab_stop(Cm(15.6), alignment=2)  # right
        rule = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "C00000")):
            bottom.set(qn(key), value)
        rule.append(bottom)
        line._p.get_or_add_pPr().append(rule)

    def title(self, text: str, subtitle: str = ""):
        _face(self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, space_after=6).add_run(text), TITLE_FACE, TITLE_SIZE)
        if subtitle:
            _face(self._paragraph(WD_ALIGN_PARAGRAPH.CENTER, space_after=12).add_run(subtitle), BODY_FACE, BODY_SIZE)

    def heading(self, text: str):
        self.headings.append(text)
        paragraph = self._paragraph(indent=True)
        paragraph.style = self.document.styles["Heading 1"]
        paragraph.paragraph_format.first_line_indent = Pt(32)
        paragraph.paragraph_format.space_before = Pt(0)
        _face(paragraph.add_run(text), HEADING_FACE, HEADING_SIZE, color=RGBColor(0, 0, 0))

    def subheading(self, text: str):
        _face(self._paragraph(indent=True).add_run(text), "楷体", BODY_SIZE, True)

    def body(self, text: str):
        for line in (text or "").splitlines() or [""]:
            if line.strip():
                _face(self._paragraph(indent=True).add_run(line.strip()), BODY_FACE, BODY_SIZE)

    def note(self, text: str):
        _face(self._paragraph(indent=True).add_run(text), BODY_FACE, NOTE_SIZE)

    def picture(self, data: bytes, caption: str):
        paragraph = self._paragraph(WD_ALIGN_PARAGRAPH.CENTER)
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        paragraph.add_run().add_picture(io.BytesIO(data), width=Cm(8))
        _face(self._paragraph(WD_ALIGN_PARAGRAPH.CENTER).add_run(caption), "楷体", NOTE_SIZE)

    def table(self, headers: list[str], rows: list[list[str]], widths_cm: list[float] | None = None):
        table = self.document.add_table(rows=1, cols=len(headers))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = ""
            _face(cell.paragraphs[0].add_run(text), HEADING_FACE, TABLE_SIZE, True)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        header = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header.append(repeat)
        for values in rows:
            cells = table.add_row().cells
            for index, (cell, text) in enumerate(zip(cells, values, strict=True)):
                cell.text = ""
                _face(cell.paragraphs[0].add_run(str(text)), TABLE_FACE, TABLE_SIZE)
                if index:
                    cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        if widths_cm:
            table.autofit = False
            for column, width in zip(table.columns, widths_cm, strict=False):
                column.width = Cm(width)
            for row in table.rows:
                for cell, width in zip(row.cells, widths_cm, strict=False):
                    cell.width = Cm(width)
        return table

    def signature(self, sender: str, date_text: str):
        self._paragraph()
        for text in (sender, date_text):
            paragraph = self._paragraph(WD_ALIGN_PARAGRAPH.RIGHT)
            paragraph.paragraph_format.right_indent = Cm(1.2)
            _face(paragraph.add_run(text), BODY_FACE, BODY_SIZE)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.document.save(buffer)
        return buffer.getvalue()


def chinese_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
