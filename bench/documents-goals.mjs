// Issue 20's goals 2 and 3 (labels beside reportlab, sales CSV import rows/s), printed by
// `npm run bench` after the scenario table: each figure, its target and the ratio.
//   labels   bench/labels-workerd.mjs: documents-worker jobs of 1,000 and 10,000 labels inside
//            workerd vs reportlab on the same sheet in the same run (target ≥ 1.00×)
//   imports  the `sales CSV import 100,000 rows` scenario's rows/s ÷ 50,000 (target ≥ 1.00×)
// Runs when BENCH_SCENARIOS is unset or names "labels" / "sales CSV". Returns false when a
// measured goal is not met (informative only: the exit code still says whether runs failed).
import { labelsGoal } from "./labels-workerd.mjs";

export const IMPORT_TARGET_ROWS_PER_S = 50_000;

export async function printDocumentGoals(rows, only) {
  const wants = (name) => only.length === 0 || only.some((o) => name.includes(o));
  let met = true;
  const imports = rows.find((r) => r.name.startsWith("sales CSV import 100,000"));
  if (imports?.api) {
    const ratio = imports.api.rps / IMPORT_TARGET_ROWS_PER_S;
    met &&= ratio >= 1;
    console.log("");
    console.log(
      `goal: sales CSV import, 100,000 rows into D1: ${Math.round(imports.api.rps).toLocaleString("en")} rows/s ÷ target ${IMPORT_TARGET_ROWS_PER_S.toLocaleString("en")} = ${ratio.toFixed(2)}× (target ≥ 1.00×: ${ratio >= 1 ? "met" : "NOT met"})`,
    );
  }
  if (wants("labels")) {
    console.log("");
    console.log("goal: label PDFs, RM365 sheet, Code 128: documents worker in workerd vs reportlab (labels/s ratio, target ≥ 1.00×)");
    const { lines, met: labelsMet } = await labelsGoal([1000, 10000], { log: (line) => console.log(line) });
    for (const line of lines) console.log(line);
    if (labelsMet === false) met = false;
  }
  return met;
}
