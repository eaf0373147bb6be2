/** The importers by legacy source name (src/modules/bridge/source.ts). */
import { ccbackendSource } from "./ccbackend/source";
import { ms5Source } from "./ms5";
import { partsSource } from "./parts/source";
import { rm365Source } from "./rm365";
import type { LegacyDatabase, LegacySource } from "./source";

/** sql.js's WebAssembly, loaded on the first Part Management/Aerie import (see parts/sqlite.ts). */
const sqlWasm = async (): Promise<WebAssembly.Module> => (await import("sql.js/dist/sql-wasm-browser.wasm")).default;

export const LEGACY_SOURCES_BY_NAME: ReadonlyMap<string, LegacySource> = new Map<string, LegacySource>(
  [ms5Source, rm365Source, ccbackendSource, partsSource("parts", sqlWasm), partsSource("aerie", sqlWasm)].map((s) => [s.name, s]),
);

/**
 * The Hyperdrive binding that reaches a legacy Postgres database: each is its own Hyperdrive
 * configuration (LEGACY_DB: MS5; LEGACY_RM365_DB: RM365's attendance database;
 * LEGACY_RM365_INVENTORY_DB: RM365's inventory database, its stock and label jobs).
 */
export function legacyHyperdrive(
  env: { LEGACY_DB: Hyperdrive; LEGACY_RM365_DB: Hyperdrive; LEGACY_RM365_INVENTORY_DB: Hyperdrive },
  database: LegacyDatabase,
): Hyperdrive {
  if (database === "rm365") return env.LEGACY_RM365_DB;
  if (database === "rm365_inventory") return env.LEGACY_RM365_INVENTORY_DB;
  return env.LEGACY_DB;
}
