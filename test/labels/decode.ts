/**
 * Reads a label PDF back the way a scanner would see it: parses each page's content stream for
 * the barcode XObjects it draws (in label order), rasterises each XObject's `re` rectangles to
 * a bitmap (with a quiet zone) and decodes the bitmap with zxing's JS port.
 */
import {
  type BarcodeFormat,
  BinaryBitmap,
  Code128Reader,
  DataMatrixReader,
  DecodeHintType,
  EAN13Reader,
  HybridBinarizer,
  QRCodeReader,
  type Reader,
  RGBLuminanceSource,
} from "@zxing/library";
import { decodePDFRawStream, PDFArray, PDFDocument, PDFRawStream } from "pdf-lib";

/** One zxing reader per symbology, so a symbol is only ever read as what it claims to be. */
const READERS: Record<string, () => Reader> = {
  code128: () => new Code128Reader(),
  ean13: () => new EAN13Reader(),
  qrcode: () => new QRCodeReader(),
  datamatrix: () => new DataMatrixReader(),
};

/** A stream's contents, inflated when it is FlateDecode (pdf-lib applies its /Filter). */
export const streamText = (stream: PDFRawStream) => new TextDecoder("latin1").decode(decodePDFRawStream(stream).decode());

/** The rectangles (`x y w h re`) of a content stream, in its own units. */
export function rectangles(content: string): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  for (const m of content.matchAll(/(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re/g)) out.push([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
  return out;
}

/**
 * Rasterises module-unit rectangles: `scale` pixels per module (3 linear, 8 two-dimensional), `quiet` modules of white around,
 * linear symbols (`height` 1) drawn `barPixels` tall. Returns luminances (0 dark, 255 light).
 */
export function rasterise(rects: [number, number, number, number][], opts: { scale?: number; quiet?: number; barPixels?: number } = {}) {
  const maxX = Math.max(...rects.map(([x, , w]) => x + w));
  const maxY = Math.max(...rects.map(([, y, , h]) => y + h));
  const linear = maxY <= 1;
  const scale = opts.scale ?? (linear ? 3 : 8);
  const quiet = opts.quiet ?? 10;
  const unitY = linear ? (opts.barPixels ?? 40) : scale;
  const width = Math.ceil((maxX + 2 * quiet) * scale);
  const height = Math.ceil(linear ? unitY + 2 * quiet * scale : (maxY + 2 * quiet) * scale);
  const lum = new Uint8ClampedArray(width * height).fill(255);
  const offX = quiet * scale;
  const offY = linear ? quiet * scale : quiet * scale;
  const rowsHigh = linear ? unitY : maxY * scale;
  for (const [x, y, w, h] of rects) {
    const x0 = Math.round(offX + x * scale);
    const x1 = Math.round(offX + (x + w) * scale);
    // PDF y grows upwards: flip into bitmap rows.
    const y0 = Math.round(offY + rowsHigh - (y + h) * unitY);
    const y1 = Math.round(offY + rowsHigh - y * unitY);
    for (let py = y0; py < y1; py++) lum.fill(0, py * width + x0, py * width + x1);
  }
  return { lum, width, height };
}

/** Decodes a rasterised symbol (`pure`: a clean symbol, read without locating it); returns the text and zxing's format name. */
export function decodeBitmap(
  bitmap: { lum: Uint8ClampedArray; width: number; height: number },
  symbology: string,
  pure = false,
): { text: string; format: BarcodeFormat } {
  const make = READERS[symbology];
  if (!make) throw new Error(`no reader for ${symbology}`);
  const hints = new Map<DecodeHintType, unknown>([[DecodeHintType.TRY_HARDER, true]]);
  if (pure) hints.set(DecodeHintType.PURE_BARCODE, true);
  const result = make().decode(new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(bitmap.lum, bitmap.width, bitmap.height))), hints);
  return { text: result.getText(), format: result.getBarcodeFormat() };
}

/**
 * Decodes a symbol's module rectangles as a scanner would. zxing's JS port locates QR codes less
 * reliably than the zxing-cpp core that phone and handheld scanners use: for about 1 symbol in
 * 600 its detector misjudges the module size from the finder patterns at every pixel scale,
 * although zxing-cpp reads the same bitmap (checked by hand on such symbols). So a 2-D symbol
 * is looked at at a few scales and, failing those, read as a pure symbol (zxing skips its
 * detector and reads the module grid, still checking format, error correction and data). A
 * symbol that reads in none of these ways fails.
 */
export function decodeSymbol(rects: [number, number, number, number][], symbology: string): { text: string; format: BarcodeFormat } {
  const linear = Math.max(...rects.map(([, y, , h]) => y + h)) <= 1;
  const attempts: { scale: number; pure?: boolean }[] = linear ? [{ scale: 3 }] : [{ scale: 8 }, { scale: 5 }, { scale: 4 }, { scale: 8, pure: true }];
  let lastError: unknown;
  for (const { scale, pure } of attempts) {
    try {
      return decodeBitmap(rasterise(rects, { scale }), symbology, pure);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** One drawn barcode: which page, its transform (`cm`) and its module rectangles. */
export interface DrawnSymbol {
  page: number;
  matrix: number[];
  rects: [number, number, number, number][];
}

/** Every barcode the PDF draws, page by page in drawing order, with the page count. */
export async function symbolsOf(pdf: Uint8Array): Promise<{ pages: number; sizes: [number, number][]; symbols: DrawnSymbol[] }> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const symbols: DrawnSymbol[] = [];
  // The same path text (a value drawn again) gives the same rectangles array.
  const cache = new Map<string, [number, number, number, number][]>();
  const pages = doc.getPages();
  pages.forEach((page, index) => {
    const contents = page.node.Contents();
    const streams = contents instanceof PDFArray ? contents.asArray().map((ref) => doc.context.lookup(ref)) : [contents];
    const content = streams
      .map((stream) => {
        if (!(stream instanceof PDFRawStream)) throw new Error(`page ${index}: expected raw content streams`);
        return streamText(stream);
      })
      .join("\n");
    // Each symbol: `q <matrix> cm`, its rectangles in module units, `f`, `Q`.
    for (const m of content.matchAll(/q ([-\d. ]+) cm\n((?:[-\d. ]+ re\n)+)f\nQ/g)) {
      const path = m[2] ?? "";
      let rects = cache.get(path);
      if (!rects) {
        rects = rectangles(path);
        cache.set(path, rects);
      }
      symbols.push({ page: index, matrix: (m[1] ?? "").split(" ").map(Number), rects });
    }
  });
  return { pages: pages.length, sizes: pages.map((p) => [p.getWidth(), p.getHeight()]), symbols };
}

/** Decodes every barcode of a label PDF, in label order. */
export async function decodePdf(pdf: Uint8Array, symbology: string): Promise<{ pages: number; sizes: [number, number][]; values: string[] }> {
  const { pages, sizes, symbols } = await symbolsOf(pdf);
  const decoded = new Map<[number, number, number, number][], string>();
  const values = symbols.map(({ rects }) => {
    let value = decoded.get(rects);
    if (value === undefined) {
      value = decodeSymbol(rects, symbology).text;
      decoded.set(rects, value);
    }
    return value;
  });
  return { pages, sizes, values };
}
