/** The importers by legacy source name (src/modules/bridge/source.ts). */
import { ms5Source } from "./ms5";
import { rm365Source } from "./rm365";
import type { LegacySource, LegacySourceName } from "./source";

export const LEGACY_SOURCES_BY_NAME: ReadonlyMap<string, LegacySource> = new Map<string, LegacySource>([
  [ms5Source.name, ms5Source],
  [rm365Source.name, rm365Source],
]);

/**
 * The Hyperdrive binding that reaches a Postgres source: each legacy database is its own
 * Hyperdrive configuration (LEGACY_DB: MS5; LEGACY_RM365_DB: RM365's attendance database).
 */
export function legacyHyperdrive(env: Pick<Env, "LEGACY_DB" | "LEGACY_RM365_DB">, source: LegacySourceName): Hyperdrive {
  return source === "rm365" ? env.LEGACY_RM365_DB : env.LEGACY_DB;
}
