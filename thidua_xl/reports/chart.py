"""Bar chart of the units' totals for the summary report, as PNG bytes.

matplotlib is imported here only, inside :func:`bar_chart_png`, with the Agg canvas and no
pyplot (no GUI backend, no global figure state), so importing thidua_xl stays fast.
"""

from __future__ import annotations

import io
from decimal import Decimal

from ..numbers import format_points

#: Bar colours: emulation-flag nominees red, certificate nominees gold, the others grey.
COLOURS = {"flag": "#C00000", "certificate": "#E3A21A", "": "#A6A6A6"}
LEGEND = {"flag": "Đề nghị Cờ thi đua", "certificate": "Đề nghị Bằng khen",
          "": "Đơn vị khác"}

#: Resolution of the picture: sharp when printed, small in the .docx.
DPI = 200

# Serif fonts with Vietnamese glyphs, in order of preference (Times New Roman on Windows,
# its metric clone on Linux, DejaVu Serif everywhere matplotlib is).
_FONTS = ("Times New Roman", "Liberation Serif", "DejaVu Serif")


def bar_chart_png(bars: list[tuple[str, Decimal, str]], *, title: str = "",
                  width_cm: float = 16.0) -> bytes:
    """Horizontal bars, best unit on top: ``bars`` are ``(label, total points, highlight)``
    with highlight ``"flag"``, ``"certificate"`` or ``""`` (see ``context.chart_bars``).

    Returns PNG bytes (:data:`DPI` dots per inch, ``width_cm`` wide).  Values are printed with a decimal comma.
    """
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    installed = {f.name for f in font_manager.fontManager.ttflist}
    family = [f for f in _FONTS if f in installed] or ["serif"]
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
                fontsize=8, family=family)
    ax.set_yticks(positions, labels, fontsize=8, family=family)
    ax.set_ylim(-0.6, len(bars) - 0.4)
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel("Tổng điểm", fontsize=9, family=family)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_formatter(lambda x, _pos: format_points(Decimal(f"{x:g}")))
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10, family=family, fontweight="bold")
    shown = [h for h in ("flag", "certificate", "") if any(b[2] == h for b in bars)]
    if shown:
        fig.legend(handles=[Patch(color=COLOURS[h], label=LEGEND[h]) for h in shown],
                   loc="lower center", ncol=len(shown), frameon=False,
                   prop={"family": family, "size": 8})
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
