/** The importers by legacy source name (src/modules/bridge/source.ts). */
import { ccbackendSource } from "./ccbackend/source";
import { ms5Source } from "./ms5";
import { partsSource } from "./parts/source";
import type { LegacySource } from "./source";

/** sql.js's WebAssembly, loaded on the first Part Management/Aerie import (see parts/sqlite.ts). */
const sqlWasm = async (): Promise<WebAssembly.Module> => (await import("sql.js/dist/sql-wasm-browser.wasm")).default;

export const LEGACY_SOURCES_BY_NAME: ReadonlyMap<string, LegacySource> = new Map<string, LegacySource>(
  [ms5Source, ccbackendSource, partsSource("parts", sqlWasm), partsSource("aerie", sqlWasm)].map((s) => [s.name, s]),
);
