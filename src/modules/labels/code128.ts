/**
 * Code 128 (ISO/IEC 15417) for printable ASCII, without bwip-js: its PostScript emulation took
 * ~80 µs per symbol, most of a label's cost (bench/README.md). Code set B for text, code set C
 * for runs of digits where it saves space (4+ digits at either end, 6+ in the middle), the
 * mod-103 check symbol and the stop pattern. The output is bwip-js `raw()`'s `sbs`: alternating
 * bar and space widths in modules, starting with a bar. test/labels/render.test.ts decodes it
 * with zxing (which checks the check symbol) and compares its length with bwip-js's.
 */

// Bar/space widths of symbol values 0–106 (106 is the stop, 7 elements), 11 modules each (stop 13).
const PATTERNS = (
  "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 " +
  "122132 122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 " +
  "321221 312212 322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 " +
  "211313 231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 " +
  "213311 213131 311123 311321 331121 312113 312311 332111 314111 221411 431111 111224 111422 " +
  "121124 121421 141122 141221 112214 112412 122114 122411 142112 142211 241211 221114 413111 " +
  "241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 214121 " +
  "412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 " +
  "211214 211232 2331112"
)
  .split(" ")
  .map((p) => Array.from(p, Number));

const START_B = 104;
const START_C = 105;
const CODE_B = 100;
const CODE_C = 99;
const STOP = 106;

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Length of the run of digits in `value` starting at `at`. */
function digitRun(value: string, at: number): number {
  let n = 0;
  while (at + n < value.length && isDigit(value.charCodeAt(at + n))) n++;
  return n;
}

/** The symbol values (start, data, check; without the stop) of printable ASCII `value`. */
export function code128Values(value: string): number[] {
  if (!/^[\x20-\x7E]+$/.test(value)) throw new Error("Code 128 takes printable ASCII only");
  const values: number[] = [];
  const leading = digitRun(value, 0);
  let set: "B" | "C" = leading >= 4 || (leading === value.length && leading % 2 === 0) ? "C" : "B";
  values.push(set === "C" ? START_C : START_B);
  let i = 0;
  while (i < value.length) {
    if (set === "C") {
      if (digitRun(value, i) >= 2) {
        values.push(Number(value.slice(i, i + 2)));
        i += 2;
        continue;
      }
      values.push(CODE_B);
      set = "B";
      continue;
    }
    const run = digitRun(value, i);
    // Worth switching when the run pays for the switch (and for a switch back if text follows).
    const atEnd = i + run === value.length;
    if (run >= 6 || (atEnd && run >= 4)) {
      // An odd run keeps its first digit in B, so C gets pairs.
      if (run % 2 === 1) {
        values.push(value.charCodeAt(i) - 32);
        i++;
      }
      values.push(CODE_C);
      set = "C";
      continue;
    }
    values.push(value.charCodeAt(i) - 32);
    i++;
  }
  let check = values[0] ?? 0;
  for (let k = 1; k < values.length; k++) check += k * (values[k] ?? 0);
  values.push(check % 103);
  return values;
}

/** Bar and space widths in modules (bar first), quiet zones excluded: bwip-js's `sbs`. */
export function code128Sbs(value: string): number[] {
  const sbs: number[] = [];
  for (const v of [...code128Values(value), STOP]) for (const width of PATTERNS[v] ?? []) sbs.push(width);
  return sbs;
}
