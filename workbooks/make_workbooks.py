"""Regenerate the shipped example workbooks from the bundled reference bloc.

    python workbooks/make_workbooks.py

* ``khoi-hoi-dac-thu-2021-mau.xlsm``: the empty shared workbook (definition only), with buttons;
* ``khoi-hoi-dac-thu-2021.xlsm``: the same workbook filled with the reference scores, review
  facts and conference, with the results of the round written in.

The build is deterministic (fixed stamp time), so ``tests/test_workbooks.py`` can check that the
committed files are what the current code builds.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMPTY = "khoi-hoi-dac-thu-2021-mau.xlsm"
FILLED = "khoi-hoi-dac-thu-2021.xlsm"
#: The stamp written into `Tổng hợp` (the reference conference's day).
STAMP = dt.datetime(2022, 1, 14, 10, 0)


def build(out_dir: Path) -> list[Path]:
    """Build both example workbooks into ``out_dir`` (replacing them) and return their paths."""
    from thidua_xl.datafiles import load_round
    from thidua_xl.resources import reference_files
    from thidua_xl.review import review
    from thidua_xl.workbook.build import build_workbook

    ref = reference_files()
    empty = load_round(ref["bloc"])
    filled = load_round(ref["bloc"], ref["scores"], ref["review"], ref["conference"])
    paths = []
    for name, data, result in ((EMPTY, empty, None), (FILLED, filled, review(filled))):
        out = out_dir / name
        if out.exists():
            out.unlink()
        paths.append(build_workbook(data, out, result=result, now=STAMP))
    return paths


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
