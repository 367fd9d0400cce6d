"""Bar chart of the units' totals for the summary report, as PNG bytes.

matplotlib is imported here only, inside :func:`bar_chart_png`, with the Agg canvas and no
pyplot (no GUI backend, no global figure state), so importing thidua_xl stays fast.
"""

from __future__ import annotations

import io
from decimal import Decimal

from ..numbers import format_number, format_points

#: Bar colours: emulation-flag nominees red, certificate nominees gold, the others grey.
COLOURS = {"flag": "#C00000", "certificate": "#E3A21A", "": "#A6A6A6"}
LEGEND = {"flag": "Đề nghị Cờ thi đua", "certificate": "Đề nghị Bằng khen",
          "": "Đơn vị khác"}

#: Resolution of the picture: sharp when printed, small in the .docx.
DPI = 150

# Serif fonts, in order of preference (Times New Roman on Windows, its metric clone on Linux,
# DejaVu Serif, shipped with matplotlib); the first with every glyph needed is used.
_FONTS = ("Times New Roman", "Liberation Serif", "DejaVu Serif")


def bar_chart_png(bars: list[tuple[str, Decimal, str]], *, title: str = "",
                  width_cm: float = 16.0) -> bytes:
    """Horizontal bars, best unit on top: ``bars`` are ``(label, total points, highlight)``
    with highlight ``"flag"``, ``"certificate"`` or ``""`` (see ``context.chart_bars``).

    Returns PNG bytes (:data:`DPI` dots per inch, ``width_cm`` wide); values are printed
    with a decimal comma, every text in one serif font with Vietnamese glyphs.
    """
    from matplotlib import font_manager, rc_context

    text = "".join(label for label, _, _ in bars) + title + "".join(LEGEND.values()) + \
        "Tổng điểm0123456789,"
    with rc_context({"font.family": _font_for(text, font_manager)}):
        return _draw(bars, title, width_cm)


def _font_for(text: str, font_manager) -> str:
    """The first of :data:`_FONTS` that has a glyph for every character of ``text`` (an old
    Liberation Serif lacks Vietnamese letters; mixing fonts per glyph looks broken)."""
    from matplotlib.ft2font import FT2Font

    needed = {ord(ch) for ch in text if not ch.isspace()}
    for name in _FONTS:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=name),
                                         fallback_to_default=False)
        except ValueError:
            continue
        if needed <= set(FT2Font(path).get_charmap()):
            return name
    return "DejaVu Sans"            # always shipped with matplotlib, full Vietnamese


def _draw(bars: list[tuple[str, Decimal, str]], title: str, width_cm: float) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    height_cm = 3.0 + 0.6 * max(len(bars), 1)
    fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=DPI)
    FigureCanvasAgg(fig)
    # Fixed margins (no tight_layout: it draws the figure once more): the left one leaves
    # room for the longest unit name, the bottom one for the axis title and the legend.
    longest = max((len(label) for label, _, _ in bars), default=10)
    left = min(0.55, 0.04 + longest * 0.0105 * 16.0 / width_cm)
    bottom = 2.1 / height_cm
    fig.subplots_adjust(left=left, right=0.97, top=1 - 0.4 / height_cm, bottom=bottom)
    ax = fig.add_subplot()
    labels = [label for label, _, _ in bars]
    values = [float(value) for _, value, _ in bars]
    positions = list(range(len(bars)))[::-1]
    ax.barh(positions, values, color=[COLOURS.get(h, COLOURS[""]) for _, _, h in bars],
            height=0.7)
    top = max(values, default=100.0)
    for y, (_, value, _) in zip(positions, bars):
        ax.text(float(value) + top * 0.01, y, format_points(value), va="center",
                fontsize=8)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.set_ylim(-0.6, len(bars) - 0.4)
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel("Tổng điểm", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_formatter(lambda x, _pos: format_number(Decimal(f"{x:g}")))
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, fontweight="bold")
    shown = [h for h in ("flag", "certificate", "") if any(b[2] == h for b in bars)]
    if shown:
        fig.legend(handles=[Patch(color=COLOURS[h], label=LEGEND[h]) for h in shown],
                   loc="lower center", ncol=len(shown), frameon=False,
                   prop={"size": 8})
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
