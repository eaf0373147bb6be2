"""The reference for the label bench: the RM365 sheet rendered with reportlab, as RM365's Python
backend drew labels (canvas, Code 128 from reportlab.graphics.barcode, Helvetica text).

    python3 bench/labels-reportlab.py 1000 10000

Same sheet and content as bench/labels-workerd.mjs: 103 x 200 mm pages, 7 labels of 69 x 27 mm
in one column (margins 17 / 5.5 mm), each a bold name, "SKU ..." and "Line date ...", and a
Code 128 of a distinct value below them (the barcode where the item has one, else the SKU).
Prints one JSON line per count: {"labels", "seconds", "bytes"}. Needs python3-reportlab
(Debian) or `pip install reportlab`.
"""

import io
import json
import sys
import time

from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

PAGE = (103 * mm, 200 * mm)
LABEL_W, LABEL_H = 69 * mm, 27 * mm
LEFT, TOP = 17 * mm, 5.5 * mm
PER_PAGE = 7


def items(n):
    for i in range(n):
        sku = "BENCH-%06d" % i
        barcode = None if i % 2 else "50600%07d" % i
        yield {"sku": sku, "name": "Hex bolt M%d zinc plated" % ((i % 20) + 3), "value": barcode or sku}


def fit(text, font, size, width):
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


def render(n):
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=PAGE)
    pad = 1.5 * mm
    size = max(4, min(8, (LABEL_H - 2 * pad) / 7))
    line_height = size * 1.15
    for index, item in enumerate(items(n)):
        slot = index % PER_PAGE
        if index and slot == 0:
            c.showPage()
        x = LEFT
        y = PAGE[1] - TOP - (slot + 1) * LABEL_H
        baseline = y + LABEL_H - pad - size
        for text, font in (
            (item["name"], "Helvetica-Bold"),
            ("SKU " + item["sku"], "Helvetica"),
            ("Line date 2026-11-22", "Helvetica"),
        ):
            c.setFont(font, size)
            c.drawString(x + pad, baseline, fit(text, font, size, LABEL_W - 2 * pad))
            baseline -= line_height
        bar_height = max(LABEL_H - 2 * pad - 3 * line_height - pad / 2, LABEL_H * 0.35)
        symbol = code128.Code128(item["value"], barHeight=bar_height, quiet=1)
        # Fit the symbol and its quiet zones across the label, as the workerd renderer does.
        symbol.barWidth = symbol.barWidth * (LABEL_W - 2 * pad) / symbol.width
        symbol.lquiet = symbol.rquiet = 10 * symbol.barWidth
        symbol.drawOn(c, x + pad, y + pad)
    c.showPage()
    c.save()
    return out.getvalue()


def main():
    counts = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    render(50)  # warm-up: imports, font metrics
    for n in counts:
        started = time.perf_counter()
        pdf = render(n)
        seconds = time.perf_counter() - started
        print(json.dumps({"labels": n, "seconds": seconds, "bytes": len(pdf)}), flush=True)


if __name__ == "__main__":
    main()
