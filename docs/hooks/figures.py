"""Figures of the committed benchmark tables (benchmarks/results/*.md), drawn at build time.

The benchmark scripts write Markdown tables; this module reads them back (no benchmark is
run) and draws, with matplotlib's Agg backend, PNG figures that the site shows under the
tables they come from:

- a table of correct digits (accuracy) -> a heat map, one row per design, one column per
  method, each cell annotated;
- a table whose first column is a number (the condition number of the conditioning
  benchmark) -> lines against it, log-log, one per numeric column or per category;
- a table with time columns (``median time``, ``lingrad s``, ...) -> horizontal bars, one
  per row (method), log scale, lingrad's rows in the accent colour;
- targets (a ``goal | measured | verdict`` table, or ``PASS``/``MISS``/``met`` lines that
  give a measured value and a ``target >= x``) -> each target's margin, the measured value
  over its goal oriented so that the PASS line is at 1.

Everything here is a pure function of the Markdown text: ``figures_for(text)`` returns the
figures and where they go, ``page_with_figures`` the page with image links inserted.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

_UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^(?P<num>[\d.,]+(?:e[-+]?\d+)?)\s*(?P<unit>ns|µs|us|ms|s|min|h)\b")
_NUMBER = re.compile(r"^[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:e[-+]?\d+)?")
_TIME_HEADER = re.compile(r"time|seconds|(?:^|\s)s(?:\s|$)|\(s\)", re.I)
_IN_SECONDS = re.compile(r"\(s\)|(?:^|\s)s(?:\s|$)|seconds")  # the header gives the unit
_ACCENT, _OTHER, _MISS = "#3f51b5", "#9e9e9e", "#c62828"


@dataclass
class Table:
    """One Markdown table of a page: its heading, header, rows and last line's index."""

    heading: str
    header: list[str]
    rows: list[list[str]]
    end: int  # index of the table's last line in the page's lines
    context: str = ""  # the lines between the heading and the table


@dataclass
class Figure:
    """A drawn figure: its PNG bytes, alt text, and the line it goes after."""

    png: bytes
    alt: str
    after: int
    kind: str = field(default="table")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def tables(text: str) -> list[Table]:
    """Every pipe table of a Markdown page, with the heading above it."""
    lines = text.split("\n")
    found: list[Table] = []
    heading, since = "", 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            heading, since = line.lstrip("#").strip(), i + 1
        is_rule = i + 1 < len(lines) and re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", lines[i + 1] or "x")
        if line.lstrip().startswith("|") and is_rule and "-" in lines[i + 1]:
            j = i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            header = _cells(line)
            rows = [(_cells(row) + [""] * len(header))[: len(header)] for row in lines[i + 2 : j]]
            context = "\n".join(lines[since:i])
            found.append(Table(heading, header, rows, j - 1, context))
            i = j
            continue
        i += 1
    return found


def number(cell: str) -> float | None:
    """The number a cell starts with (``1,325``, ``3.09×``, ``1e+04``, ``**6.2x**``)."""
    match = _NUMBER.match(cell.strip().strip("*").strip())
    if not match or match.group(0) in {"", "+", "-"}:
        return None
    try:
        return float(match.group(0).replace(",", ""))
    except ValueError:
        return None


def seconds(cell: str, bare_seconds: bool) -> float | None:
    """A duration cell (``88 µs``, ``2.41 s``; a bare number when the column is in s)."""
    text = cell.strip().strip("*")
    match = _DURATION.match(text)
    if match:
        return float(match["num"].replace(",", "")) * _UNITS[match["unit"]]
    return number(text) if bare_seconds else None


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _numeric_columns(table: Table, lo: float = -math.inf, hi: float = math.inf) -> list[int]:
    cols = []
    for c in range(len(table.header)):
        values = [number(row[c]) if c < len(row) else None for row in table.rows]
        if table.rows and all(v is not None and lo <= v <= hi for v in values):
            cols.append(c)
    return cols


def _labels(table: Table, skip: set[int]) -> list[str]:
    return [
        ", ".join(cell.strip("*") for c, cell in enumerate(row) if c not in skip and cell)
        for row in table.rows
    ]


def digits_figure(table: Table) -> bytes | None:
    """A heat map of a table of correct digits (0 to 17), annotated."""
    if "digit" not in (table.heading + table.context[:2000]).lower():
        return None
    cols = [c for c in _numeric_columns(table, 0, 17.5) if c > 0]
    if len(cols) < 2:
        return None
    plt = _plt()
    values = [[number(row[c]) for c in cols] for row in table.rows]
    labels = _labels(table, set(range(cols[0], len(table.header))))
    fig, ax = plt.subplots(figsize=(1.2 * len(cols) + 3.5, 0.32 * len(values) + 1.6))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=17, aspect="auto")
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            ax.text(
                c,
                r,
                f"{v:.1f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v < 9 else "black",
            )
    ax.set_xticks(range(len(cols)), [table.header[c] for c in cols], rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    fig.colorbar(image, ax=ax, label="correct significant digits (17: exact)")
    ax.set_title(table.heading, fontsize=9)
    return _png(fig)


def lines_figure(table: Table) -> bytes | None:
    """Columns against a numeric first column (log-log), one line per column or category."""
    first = _numeric_columns(table)
    if not first or first[0] != 0 or len(table.rows) < 3:
        return None
    category = next((c for c in range(1, len(table.header)) if c not in first), None)
    wanted = [c for c in first[1:] if re.search(r"iteration|time", table.header[c], re.I)]
    timed = [c for c, h in enumerate(table.header) if c and _TIME_HEADER.search(h)]
    wanted += [
        c for c in timed if c not in wanted and all(seconds(r[c], False) for r in table.rows)
    ]
    if not wanted:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(wanted), figsize=(4.2 * len(wanted), 3.4), squeeze=False)
    for ax, c in zip(axes[0], wanted, strict=True):
        value = (lambda cell, c=c: seconds(cell, False)) if c in timed else number
        groups: dict[str, list[tuple[float, float]]] = {}
        for row in table.rows:
            key = row[category] if category is not None else table.header[c]
            groups.setdefault(key, []).append((number(row[0]), value(row[c])))
        for key, points in groups.items():
            xs, ys = zip(*sorted(points), strict=True)
            ax.plot(xs, ys, marker="o", label=key)
        unit = " (s)" if c in timed else ""
        ax.set(xscale="log", yscale="log", xlabel=table.header[0], ylabel=table.header[c] + unit)
        ax.grid(True, which="major", alpha=0.3)
        if len(groups) > 1:
            ax.legend(fontsize=8)
    fig.suptitle(table.heading.replace("`", ""), fontsize=9)
    return _png(fig)


def times_figure(table: Table) -> bytes | None:
    """Horizontal bars of each row's time columns, log scale, lingrad's rows highlighted."""
    cols = [c for c, h in enumerate(table.header) if c and _TIME_HEADER.search(h)]
    cols = [
        c
        for c in cols
        if sum(
            seconds(r[c], bool(_IN_SECONDS.search(table.header[c]))) is not None for r in table.rows
        )
        >= 2
    ]
    if not cols or len(table.rows) < 2:
        return None
    plt = _plt()
    labels = [row[0].strip("*") or table.header[0] for row in table.rows]
    height = 0.8 / len(cols)
    drawn: list[float] = []
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(labels) * max(1, len(cols) * 0.7) + 1.2))
    for k, c in enumerate(cols):
        bare = bool(_IN_SECONDS.search(table.header[c]))
        for r, row in enumerate(table.rows):
            value = seconds(row[c], bare)
            if value is None or value <= 0:
                continue
            drawn.append(value)
            is_lingrad = "lingrad" in (labels[r] + table.header[c]).lower()
            ax.barh(
                r + k * height - 0.4 + height / 2,
                value,
                height=height * 0.9,
                color=_ACCENT if is_lingrad else _OTHER,
                alpha=1.0 - 0.35 * k,
                label=table.header[c] if r == 0 else None,
            )
            ax.annotate(
                _fmt_seconds(value),
                (value, r + k * height - 0.4 + height / 2),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    wide = max(drawn) / min(drawn) > 20  # a log scale only where the times span decades
    ax.set_xscale("log" if wide else "linear")
    ax.set_xlabel(f"seconds ({'log scale; ' if wide else ''}shorter is faster)")
    if len(cols) > 1:
        ax.legend(fontsize=8)
    ax.set_title(table.heading.replace("`", ""), fontsize=9)
    ax.margins(x=0.15)
    return _png(fig)


def _fmt_seconds(value: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


# -- targets -------------------------------------------------------------------------------
_GOAL = re.compile(r"(?P<op>≥|>=|≤|<=)\s*(?P<num>[-+]?\d[\d,]*\.?\d*(?:e[-+]?\d+)?)")
_MEASURED_THEN_GOAL = re.compile(
    r"(?P<num>\d[\d,]*\.?\d*(?:e[-+]?\d+)?)\s*[×x]?\**\s*(?:faster|slower)?\s*"
    r"\(target\s*(?P<op>≥|>=|≤|<=)\s*(?P<goal>\d[\d,]*\.?\d*(?:e[-+]?\d+)?)"
)
_GOAL_THEN_MEASURED = re.compile(
    r"(?P<op>≥|>=|≤|<=)\s*(?P<goal>\d[\d,]*\.?\d*(?:e[-+]?\d+)?)\s*[×x]?[^(]*\([^=()]*=\s*"
    r"(?P<num>\d[\d,]*\.?\d*(?:e[-+]?\d+)?)"
)
_VERDICT = re.compile(r"\b(PASS|MISS|met|not met|missed)\b")


@dataclass
class Target:
    """One target: its name, measured value, goal, direction and stated verdict."""

    name: str
    measured: float
    goal: float
    at_least: bool  # the goal is a lower bound (">= 5x faster")
    passed: bool
    line: int = 0  # the page line it is stated on

    @property
    def margin(self) -> float:
        """Measured over goal, oriented so that 1 is the PASS line and above it passes."""
        if self.at_least:
            return self.measured / self.goal
        return self.goal / self.measured if self.measured > 0 else math.inf


def _goal_number(goal: str) -> tuple[bool, float] | None:
    match = _GOAL.search(goal)
    if not match:
        return None
    value = goal.rsplit("=", 1)[-1] if re.search(r"[^<>≤≥]=\s*[\d.]", goal) else match["num"]
    num = number(value.strip()) if value is not match["num"] else number(match["num"])
    return (match["op"] in {"≥", ">="}, num) if num else None


def _consistent(target: Target) -> bool:
    return math.isfinite(target.margin) and (target.margin >= 1) == target.passed


def targets(text: str) -> list[Target]:
    """The targets of a results page whose measured value and goal can be read as numbers."""
    found: list[Target] = []
    for table in tables(text):
        header = [h.lower() for h in table.header]
        if not {"goal", "measured", "verdict"} <= set(header):
            continue
        g, m, v = header.index("goal"), header.index("measured"), header.index("verdict")
        for row in table.rows:
            goal, measured = _goal_number(row[g]), number(row[m])
            if goal and measured is not None:
                t = Target(row[0], measured, goal[1], goal[0], "PASS" in row[v], table.end)
                found.append(t)
    for index, line in enumerate(text.split("\n")):
        verdict = _VERDICT.findall(line)
        if not line.lstrip().startswith(("-", "*", "Throughput")) or not verdict:
            continue
        passed = verdict[-1] in {"PASS", "met"} if "PASS" not in verdict else True
        match = _MEASURED_THEN_GOAL.search(line) or _GOAL_THEN_MEASURED.search(line)
        if match:
            name = re.sub(r"^\**(PASS|MISS)\**\s*", "", line.strip("-* ")).split(":")[0]
            goal = number(match["goal"])
            if goal:
                at_least = match["op"] in {"≥", ">="}
                found.append(Target(name, number(match["num"]), goal, at_least, passed, index))
    return [t for t in found if _consistent(t)]


def targets_figure(found: list[Target], title: str = "Targets") -> bytes | None:
    """Each target's margin (log scale) with the PASS line at 1, misses in red."""
    if not found:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.0, 0.34 * len(found) + 1.3))
    for r, t in enumerate(found):
        ax.barh(r, t.margin, color=_ACCENT if t.passed else _MISS, height=0.7)
        ax.annotate(
            f"{t.margin:.3g}",
            (t.margin, r),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax.axvline(1.0, color="black", linewidth=1.2)
    ax.text(1.0, -0.9, " PASS line", fontsize=8, va="bottom")
    names = [t.name if len(t.name) < 70 else t.name[:67] + "..." for t in found]
    ax.set_yticks(range(len(found)), names, fontsize=7)
    ax.set_ylim(len(found) - 0.5, -1.2)
    ax.set_xscale("log")
    ax.set_xlabel("measured / goal, oriented so that right of the line passes (log scale)")
    ax.set_title(title, fontsize=9)
    ax.margins(x=0.1)
    return _png(fig)


def figures_for(text: str) -> list[Figure]:
    """The figures of one results page, each placed after the table it draws."""
    out: list[Figure] = []
    for table in tables(text):
        if {"goal", "measured", "verdict"} <= {h.lower() for h in table.header}:
            continue
        for kind, draw in (
            ("digits", digits_figure),
            ("lines", lines_figure),
            ("times", times_figure),
        ):
            png = draw(table)
            if png:
                out.append(Figure(png, f"{table.heading}: {kind}", table.end, kind))
                break
    found = targets(text)
    png = targets_figure(found)
    if png:
        last = max(t.line for t in found)
        out.append(Figure(png, "Targets: measured / goal", last, "targets"))
    return out


def page_with_figures(text: str, names: list[str], found: list[Figure]) -> str:
    """The page with ``![alt](name)`` after the line each figure belongs after."""
    lines = text.split("\n")
    for name, fig in sorted(zip(names, found, strict=True), key=lambda p: -p[1].after):
        image = f"![{fig.alt}]({name}){{ .lingrad-figure loading=lazy }}"
        lines[fig.after + 1 : fig.after + 1] = ["", image, ""]
    return "\n".join(lines)
