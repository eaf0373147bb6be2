/**
 * Reads the text back out of a PDF the way a viewer's copy-and-paste does: each page's content
 * streams are decoded, every `<hex> Tj` is taken in the font set by the last `Tf`, and its
 * glyph codes are mapped to Unicode through that font's /ToUnicode CMap. With subset CID fonts
 * the content holds glyph ids, not characters, so this is the way to see what a page says.
 * It also opens each embedded font program and lists the characters whose glyph has no outline
 * (drawn blank): the text layer can be right while the page shows nothing.
 */
import fontkit from "@pdf-lib/fontkit";
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, type PDFRef, PDFStream } from "pdf-lib";

const utf16 = (hex: string) => {
  const units: number[] = [];
  for (let i = 0; i + 4 <= hex.length; i += 4) units.push(Number.parseInt(hex.slice(i, i + 4), 16));
  return String.fromCharCode(...units);
};

const streamText = (stream: unknown): string => {
  if (stream instanceof PDFRawStream) return new TextDecoder("latin1").decode(decodePDFRawStream(stream).decode());
  if (stream instanceof PDFStream) return new TextDecoder("latin1").decode(stream.getContents());
  throw new Error("not a stream");
};

/** A font's /ToUnicode CMap as code → text (bfchar and bfrange entries). */
function toUnicode(doc: PDFDocument, font: PDFDict): Map<string, string> {
  const cmap = new Map<string, string>();
  const ref = font.get(PDFName.of("ToUnicode"));
  if (!ref) return cmap;
  const text = streamText(doc.context.lookup(ref));
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) cmap.set((m[1] ?? "").toLowerCase(), utf16(m[2] ?? ""));
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of (block[1] ?? "").matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) {
      const [lo, hi, dst] = [Number.parseInt(m[1] ?? "", 16), Number.parseInt(m[2] ?? "", 16), Number.parseInt(m[3] ?? "", 16)];
      for (let c = lo; c <= hi; c++) cmap.set(c.toString(16).padStart(4, "0"), String.fromCharCode(dst + c - lo));
    }
  }
  return cmap;
}

/** The font program embedded for a Type0 font (its descendant's /FontFile2), parsed. */
function embeddedProgram(doc: PDFDocument, font: PDFDict) {
  const descendant = font.lookupMaybe(PDFName.of("DescendantFonts"), PDFArray)?.lookup(0, PDFDict);
  const descriptor = descendant?.lookupMaybe(PDFName.of("FontDescriptor"), PDFDict);
  const file = descriptor?.get(PDFName.of("FontFile2"));
  if (!file) return null;
  const stream = doc.context.lookup(file);
  const bytes = stream instanceof PDFRawStream ? decodePDFRawStream(stream).decode() : stream instanceof PDFStream ? stream.getContents() : null;
  return bytes ? fontkit.create(bytes) : null;
}

/** Each page's text runs (one string per `Tj`) in drawing order, and characters drawn blank. */
export async function pdfText(bytes: Uint8Array): Promise<{ pages: number; runs: string[][]; fonts: string[]; blank: string[] }> {
  const doc = await PDFDocument.load(bytes);
  const fonts = new Set<string>();
  const blank = new Set<string>();
  const runs = doc.getPages().map((page) => {
    const fontDict = page.node.Resources()?.lookupMaybe(PDFName.of("Font"), PDFDict);
    const cmaps = new Map<string, Map<string, string>>();
    const programs = new Map<string, ReturnType<typeof embeddedProgram>>();
    for (const [name, ref] of fontDict?.entries() ?? []) {
      const font = doc.context.lookup(ref as PDFRef, PDFDict);
      const base = font.get(PDFName.of("BaseFont"));
      if (base) fonts.add(base.toString());
      cmaps.set(name.toString(), toUnicode(doc, font));
      programs.set(name.toString(), embeddedProgram(doc, font));
    }
    const contents = page.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray().map((r) => doc.context.lookup(r)) : [contents];
    const out: string[] = [];
    for (const stream of streams) {
      let cmap = new Map<string, string>();
      let program: ReturnType<typeof embeddedProgram> = null;
      for (const m of streamText(stream).matchAll(/(\/[^\s/]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj/g)) {
        if (m[1]) {
          cmap = cmaps.get(m[1]) ?? new Map();
          program = programs.get(m[1]) ?? null;
        } else {
          const hex = (m[2] ?? "").toLowerCase();
          let text = "";
          for (let i = 0; i + 4 <= hex.length; i += 4) {
            const ch = cmap.get(hex.slice(i, i + 4)) ?? "\ufffd";
            text += ch;
            const box = program?.getGlyph(Number.parseInt(hex.slice(i, i + 4), 16)).bbox;
            if (ch.trim() && !(box && Number.isFinite(box.maxX - box.minX) && box.maxX > box.minX)) blank.add(ch);
          }
          out.push(text);
        }
      }
    }
    return out;
  });
  return { pages: doc.getPageCount(), runs, fonts: [...fonts], blank: [...blank] };
}
