/**
 * Draws a production report (report-data.ts) as an A4 landscape PDF with pdf-lib. Every string,
 * Latin or Chinese, is drawn with the one embedded CJK font: the Noto Sans SC subset built by
 * scripts/report-font.mjs, cut again by HarfBuzz (font-subset.ts) to the characters this report
 * uses. A character the font lacks is drawn as '?' and reported to the caller, never a failed
 * render.
 */
import fontkit from "@pdf-lib/fontkit";
import { PDFDocument, type PDFFont, type PDFPage, rgb } from "pdf-lib";
import { subsetFont } from "./font-subset";
import type { AndonCall, LineReport, PeriodFigures, ReportData } from "./report-data";

/** The report font and the subsetter that cuts it per document. */
export interface ReportFont {
  /** TrueType bytes (workers/documents/generated/report-font.bin). */
  bytes: ArrayBuffer | Uint8Array;
  /** harfbuzzjs's harfbuzz-subset.wasm. */
  subsetter: WebAssembly.Module;
}

const PAGE: [number, number] = [841.89, 595.28];
const MARGIN = 36;
const SIZE = 8.5;
const ROW = 13;
const GREY = rgb(0.45, 0.45, 0.45);
const RULE = rgb(0.8, 0.8, 0.8);

export interface RenderedReport {
  pdf: Uint8Array;
  pages: number;
  /** Characters drawn as '?' because the font has no glyph for them (distinct, in order met). */
  missing: string[];
}

interface Column {
  title: string;
  width: number;
  align?: "right";
}

/** Draws text, pages and tables for one document; tracks the cursor and missing glyphs. */
class Writer {
  page!: PDFPage;
  y = 0;
  readonly missing = new Set<string>();
  private readonly chars: ReadonlySet<number>;

  constructor(
    readonly doc: PDFDocument,
    readonly font: PDFFont,
    private readonly heading: string,
  ) {
    this.chars = new Set(font.getCharacterSet());
    this.newPage();
  }

  newPage() {
    this.page = this.doc.addPage(PAGE);
    this.y = PAGE[1] - MARGIN;
    this.text(this.heading, MARGIN, this.y, 7, GREY);
    this.y -= 16;
  }

  /** Room for `height` more points on this page, or a new page. Returns whether it broke. */
  ensure(height: number): boolean {
    if (this.y - height >= MARGIN + 14) return false;
    this.newPage();
    return true;
  }

  /** The text as the font can draw it: whitespace runs become one space, unknown characters '?'. */
  printable(text: string): string {
    let out = "";
    for (const ch of text.replace(/\s+/g, " ")) {
      const cp = ch.codePointAt(0) ?? 0x3f;
      if (this.chars.has(cp)) out += ch;
      else {
        this.missing.add(ch);
        out += "?";
      }
    }
    return out;
  }

  /** The printable text cut to `width` points at `size`, with an ellipsis when cut. */
  fit(text: string, width: number, size = SIZE): string {
    const t = this.printable(text);
    if (this.font.widthOfTextAtSize(t, size) <= width) return t;
    const chars = [...t];
    while (chars.length > 0 && this.font.widthOfTextAtSize(`${chars.join("")}…`, size) > width) chars.pop();
    return `${chars.join("")}…`;
  }

  text(text: string, x: number, y: number, size = SIZE, color = rgb(0, 0, 0)) {
    this.page.drawText(this.printable(text), { x, y, size, font: this.font, color });
  }

  title(text: string, size: number, gap = 6) {
    this.ensure(size + gap + ROW * 2);
    this.y -= size;
    this.text(text, MARGIN, this.y, size);
    this.y -= gap;
  }

  note(text: string) {
    this.ensure(ROW);
    this.y -= ROW - 3;
    this.text(text, MARGIN, this.y, SIZE, GREY);
    this.y -= 3;
  }

  /**
   * The printable text in lines of at most `width` points (greedy, breaking after spaces where
   * it can, else between any two characters, as CJK text needs); at most `max` lines, the last
   * cut with an ellipsis.
   */
  wrap(text: string, width: number, max: number): string[] {
    const chars = [...this.printable(text).trim()];
    const lines: string[] = [];
    let i = 0;
    while (i < chars.length && lines.length < max) {
      let end = i;
      while (end < chars.length && this.font.widthOfTextAtSize(chars.slice(i, end + 1).join(""), SIZE) <= width) end++;
      if (end === i) end = i + 1;
      if (end < chars.length) {
        const space = chars.lastIndexOf(" ", end);
        if (space > i) end = space + 1;
      }
      lines.push(chars.slice(i, end).join("").trim());
      i = end;
    }
    if (i < chars.length && lines.length > 0) lines[lines.length - 1] = this.fit(`${lines.at(-1)}${chars.slice(i).join("")}`, width);
    return lines.length > 0 ? lines : [""];
  }

  /** A table whose header is drawn again on each page it continues onto; long cells wrap. */
  table(columns: Column[], rows: string[][]) {
    const header = () => {
      this.row(
        columns,
        columns.map((c) => [c.title]),
        GREY,
      );
      this.page.drawLine({ start: { x: MARGIN, y: this.y + 2 }, end: { x: PAGE[0] - MARGIN, y: this.y + 2 }, thickness: 0.5, color: RULE });
    };
    this.ensure(ROW * 2);
    header();
    for (const cells of rows) {
      const wrapped = columns.map((col, i) =>
        col.align === "right" ? [this.fit(cells[i] ?? "", col.width - 4)] : this.wrap(cells[i] ?? "", col.width - 4, 4),
      );
      if (this.ensure(ROW * Math.max(...wrapped.map((w) => w.length)))) header();
      this.row(columns, wrapped);
    }
    this.y -= 6;
  }

  private row(columns: Column[], cells: string[][], color = rgb(0, 0, 0)) {
    const height = Math.max(...cells.map((c) => c.length));
    let x = MARGIN;
    columns.forEach((col, i) => {
      (cells[i] ?? []).forEach((text, n) => {
        const width = this.font.widthOfTextAtSize(text, SIZE);
        const y = this.y - ROW * (n + 1) + 3;
        this.page.drawText(text, { x: col.align === "right" ? x + col.width - 4 - width : x, y, size: SIZE, font: this.font, color });
      });
      x += col.width;
    });
    this.y -= ROW * height;
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const minutes = (seconds: number | null) => (seconds === null ? "—" : (seconds / 60).toFixed(1));
const offsetLabel = (m: number) =>
  `UTC${m < 0 ? "−" : "+"}${String(Math.floor(Math.abs(m) / 60)).padStart(2, "0")}:${String(Math.abs(m) % 60).padStart(2, "0")}`;
/** An ISO time on the plant's clock: `2026-11-20 08:15`. */
const plantTime = (iso: string, offsetMinutes: number) => new Date(Date.parse(iso) + offsetMinutes * 60_000).toISOString().slice(0, 16).replace("T", " ");

const OUTPUT_COLUMNS: Column[] = [
  { title: "Period", width: 130 },
  { title: "Total", width: 60, align: "right" },
  { title: "Good", width: 60, align: "right" },
  { title: "Availability", width: 70, align: "right" },
  { title: "Performance", width: 70, align: "right" },
  { title: "Quality", width: 60, align: "right" },
  { title: "OEE", width: 60, align: "right" },
  { title: "Unplanned stop (min)", width: 100, align: "right" },
  { title: "Planned stop (min)", width: 90, align: "right" },
  { title: "Andon calls", width: 69.89, align: "right" },
];

const outputRow = (p: PeriodFigures) => [
  p.label,
  String(p.oee.total_parts),
  String(p.oee.good_parts),
  pct(p.oee.availability),
  pct(p.oee.performance),
  pct(p.oee.quality),
  pct(p.oee.oee),
  minutes(p.oee.unplanned_downtime),
  minutes(p.oee.planned_downtime),
  String(p.andon.length),
];

const DOWNTIME_COLUMNS: Column[] = [
  { title: "Period", width: 130 },
  { title: "Reason", width: 330 },
  { title: "Category", width: 90 },
  { title: "Stops", width: 80, align: "right" },
  { title: "Minutes", width: 139.89, align: "right" },
];

const ANDON_COLUMNS: Column[] = [
  { title: "Reported", width: 74 },
  { title: "Type", width: 52 },
  { title: "Priority", width: 44 },
  { title: "Status", width: 62 },
  { title: "Equipment", width: 78 },
  { title: "Description", width: 150 },
  { title: "Reported by", width: 72 },
  { title: "Response min", width: 56, align: "right" },
  { title: "Resolved min", width: 56, align: "right" },
  { title: "Resolution notes", width: 125.89 },
];

const andonRow = (a: AndonCall, offset: number) => [
  plantTime(a.reportedAt, offset),
  a.eventType,
  a.priority,
  a.status,
  a.equipmentCode ?? "—",
  a.description,
  a.reportedBy,
  minutes(a.responseSeconds),
  minutes(a.resolutionSeconds),
  a.resolutionNotes ?? "",
];

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

function drawLine(w: Writer, line: LineReport, data: ReportData) {
  w.title(`${line.lineCode} · ${line.name}`, 14, 8);
  w.title("Output and OEE", 10, 2);
  w.table(OUTPUT_COLUMNS, [...line.periods.map(outputRow), outputRow({ ...line.total, label: "Whole range" })]);

  w.title("Downtime by reason", 10, 2);
  const stops = line.periods.flatMap((p) => p.downtime.map((d) => [p.label, d.reason, d.category, String(d.events), minutes(d.seconds)]));
  if (stops.length === 0) w.note("No downtime recorded.");
  else w.table(DOWNTIME_COLUMNS, stops);

  const calls = line.total.andon;
  w.title("Andon calls", 10, 2);
  if (calls.length === 0) {
    w.note("No andon calls.");
    return;
  }
  const response = mean(calls.flatMap((a) => (a.responseSeconds === null ? [] : [a.responseSeconds])));
  const resolution = mean(calls.flatMap((a) => (a.resolutionSeconds === null ? [] : [a.resolutionSeconds])));
  w.note(
    `${calls.length} calls · mean response ${minutes(response)} min · mean resolution ${minutes(resolution)} min · times on the plant clock (${offsetLabel(data.utcOffsetMinutes)})`,
  );
  w.table(
    ANDON_COLUMNS,
    calls.map((a) => andonRow(a, data.utcOffsetMinutes)),
  );
}

/** Every character the report may draw: its data, and ASCII and the punctuation of its labels. */
function codePointsOf(data: ReportData): Set<number> {
  const points = new Set<number>();
  for (let c = 0x20; c < 0x7f; c++) points.add(c);
  for (const ch of `${JSON.stringify(data)}–—·…×−`) points.add(ch.codePointAt(0) ?? 0x3f);
  return points;
}

/** Renders `data` to PDF bytes with the report font. */
export async function renderReportPdf(data: ReportData, reportFont: ReportFont): Promise<RenderedReport> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkit);
  // Embedded whole: it is already cut to this report's characters (tens of kilobytes).
  const font = await doc.embedFont(await subsetFont(reportFont.subsetter, reportFont.bytes, codePointsOf(data)), { subset: false });
  const when = new Date(data.generatedAt);
  doc.setTitle(data.title);
  doc.setProducer("Floorline");
  doc.setCreator("Floorline documents worker");
  doc.setCreationDate(when);
  doc.setModificationDate(when);

  const range = `${data.startDate} – ${data.endDate}`;
  const w = new Writer(doc, font, `${data.title} · ${range}`);
  w.title(data.title, 18, 6);
  w.note(
    `Production report · ${range} (${offsetLabel(data.utcOffsetMinutes)}) · by ${data.groupBy === "day" ? "day" : "shift (three 8-hour shifts)"} · generated ${plantTime(data.generatedAt, data.utcOffsetMinutes)}`,
  );
  w.note("OEE = Availability × Performance × Quality, each period measured as POST /api/v1/oee/calculate does.");
  if (data.lines.length === 0) w.note("None of the requested lines exists any more.");
  data.lines.forEach((line, i) => {
    if (i > 0) w.newPage();
    else w.y -= 8;
    drawLine(w, line, data);
  });

  const pages = doc.getPages();
  pages.forEach((page, i) => {
    const label = `Page ${i + 1} of ${pages.length}`;
    page.drawText(label, { x: PAGE[0] - MARGIN - font.widthOfTextAtSize(label, 7), y: MARGIN - 14, size: 7, font, color: GREY });
  });
  const pdf = await doc.save();
  return { pdf, pages: pages.length, missing: [...w.missing] };
}
