"""Tables that fit the terminal: a word is never broken inside a cell, a participant or region name never cut.

Rich shrinks a table that is wider than the terminal by folding or cutting its cells, so at 80 columns a long
participant name became `maria-del-carmen-rod…` or was split over two lines mid-word. `print_table` measures the
narrowest the table can be without breaking a word; when that is still too wide it drops the optional columns, least
important first (and says which, with `--format json` for all of them), and when even the required columns do not
fit it prints each row as a short block of `column: value` lines (every column), wrapped between words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    # None: always shown; otherwise dropped (lowest first) when the table does not fit.
    drop_rank: int | None = None
    style: str = ""


Cell = Text | str


def _text(cell: Cell) -> Text:
    return cell.copy() if isinstance(cell, Text) else Text(cell)


def _table(
    title: str | None,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    widths: Sequence[int],
    lines: bool,
) -> Table:
    table = Table(title=Text(title) if title else None, show_lines=lines)
    for column, width in zip(columns, widths, strict=True):
        table.add_column(
            Text(column.header),
            justify=column.justify,  # type: ignore[arg-type]
            style=column.style,
            width=width,
        )
    for row in rows:
        table.add_row(*(_text(c) for c in row))
    return table


def column_widths(
    console: Console, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int
) -> list[int] | None:
    """Content widths that fit `width` with every column at least as wide as its longest word, or None.

    Rich's own shrinking narrows the widest columns first, below their longest word (a region name folded over
    two lines), so the widths are chosen here: each column gets its longest word, and the room left is shared in
    proportion to what each column would take to show its cells on one line."""
    unbounded = console.options.update_width(10_000)
    least: list[int] = []
    most: list[int] = []
    for i, column in enumerate(columns):
        sizes = [
            Measurement.get(console, unbounded, c)
            for c in [Text(column.header), *(_text(r[i]) for r in rows)]
        ]
        least.append(max(s.minimum for s in sizes))
        most.append(max(s.maximum for s in sizes))
    # A box line on each side and between columns, one space of padding on each side of a cell.
    room = width - (len(columns) + 1) - 2 * len(columns)
    if sum(least) > room:
        return None
    if sum(most) <= room:
        return most
    spare = room - sum(least)
    wants = [m - s for s, m in zip(least, most, strict=True)]
    total = sum(wants) or 1
    return [s + spare * w // total for s, w in zip(least, wants, strict=True)]


def print_table(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    title: str | None = None,
    show_lines: bool = False,
) -> list[str]:
    """Print the rows as a table that fits `console.width`; returns the headers of the columns left out."""
    shown = list(range(len(columns)))
    droppable = sorted(
        (i for i, c in enumerate(columns) if c.drop_rank is not None),
        key=lambda i: columns[i].drop_rank or 0,
    )
    dropped: list[str] = []
    while True:
        cols = [columns[i] for i in shown]
        cells = [[row[i] for i in shown] for row in rows]
        widths = column_widths(console, cols, cells, console.width)
        if widths is not None:
            shown, dropped = _restore(console, columns, rows, shown, dropped)
            cols = [columns[i] for i in shown]
            cells = [[row[i] for i in shown] for row in rows]
            widths = column_widths(console, cols, cells, console.width) or widths
            console.print(_table(title, cols, cells, widths, show_lines))
            break
        if not droppable:
            # Blocks have room for every column again.
            _print_blocks(console, title, columns, rows)
            return []
        index = droppable.pop(0)
        shown.remove(index)
        dropped.append(columns[index].header)
    if dropped:
        console.print(
            Text(
                f"Not shown at {console.width} columns: {', '.join(dropped)} (a wider terminal, or "
                "--format json, shows them)."
            ),
            style="dim",
        )
    return dropped


def _restore(
    console: Console,
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    shown: list[int],
    dropped: list[str],
) -> tuple[list[int], list[str]]:
    """Put back what fits of the dropped columns, most important first (dropping `call` may leave room for
    `region`, dropped before it was known)."""
    for header in reversed(list(dropped)):
        index = next(i for i, c in enumerate(columns) if c.header == header)
        trial = sorted([*shown, index])
        cells = [[row[i] for i in trial] for row in rows]
        if column_widths(console, [columns[i] for i in trial], cells, console.width) is not None:
            shown = trial
            dropped = [d for d in dropped if d != header]
    return shown, dropped


def _print_blocks(
    console: Console, title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[Cell]]
) -> None:
    """One block per row: the first column as its heading, the others as `header: value` lines."""
    if title:
        console.print(Text(title, style="italic"))
    for row in rows:
        heading = _text(row[0])
        heading.stylize("bold")
        console.print(heading)
        for column, cell in zip(columns[1:], row[1:], strict=True):
            line = Text(f"{column.header}: ")
            line.append_text(_text(cell))
            console.print(Padding(line, (0, 0, 0, 2)))
