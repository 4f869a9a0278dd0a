"""Read the step panel's cell tables back (core.figures.step.cell_table's HTML) as a browser would: the caption, and
per row its label, the full values of its cells' titles and the text written in them. For tests only."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class CellTable:
    caption: str = ""
    labels: list[str] = field(default_factory=list)  # each row's header, as HTML (bold symbols, sub- and superscripts)
    full: list[list[float]] = field(default_factory=list)  # each row's values, from its cells' titles
    text: list[list[str]] = field(default_factory=list)  # each row's written numbers ('' where none is written)
    header: list[str] = field(default_factory=list)  # the column headers

    def row(self, label_start: str) -> list[float]:
        """The full values of the first row whose label starts with `label_start`."""
        rows = zip(self.labels, self.full, strict=True)
        return next(values for label, values in rows if label.startswith(label_start))


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.table = CellTable()
        self.where: str | None = None  # "caption", "row", "col" or "td"
        self.buffer = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "caption":
            self.where, self.buffer = "caption", ""
        elif tag == "tr" and self.where != "caption":
            self.table.full.append([])
            self.table.text.append([])
        elif tag == "th":
            self.where, self.buffer = ("row" if values.get("scope") == "row" else "col"), ""
        elif tag == "td":
            self.where, self.buffer = "td", ""
            title = values.get("title")
            if title:
                self.table.full[-1].append(float(title.rsplit(": ", 1)[1]))
        elif self.where == "row":
            self.buffer += self.get_starttag_text() or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.table.caption, self.where = self.buffer, None
        elif tag == "th":
            if self.where == "row":
                self.table.labels.append(self.buffer)
            else:
                self.table.header.append(self.buffer)
            self.where = None
        elif tag == "td":
            self.table.text[-1].append(self.buffer)
            self.where = None
        elif self.where == "row":
            self.buffer += f"</{tag}>"

    def handle_data(self, data: str) -> None:
        if self.where is not None:
            self.buffer += data


def read_cell_table(markup: str) -> CellTable:
    """The table in `markup`; the header row's empty lists are dropped."""
    reader = _Reader()
    reader.feed(markup)
    table = reader.table
    keep = [i for i, row in enumerate(table.text) if row]
    table.full = [table.full[i] for i in keep]
    table.text = [table.text[i] for i in keep]
    return table


def page_cell_tables(at, *caption: str) -> list[CellTable]:
    """The wide cell tables (one row per vector) an AppTest run drew, whose caption holds every part of `caption`."""
    tables = [
        read_cell_table(element.proto.body)
        for element in at.get("html")
        if "class='tde-cell by-unit" in element.proto.body
    ]
    return [table for table in tables if all(part in table.caption for part in caption)]
