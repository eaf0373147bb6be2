/** The importers by legacy source name (src/modules/bridge/source.ts). */
import { ms5Source } from "./ms5";
import type { LegacySource } from "./source";

export const LEGACY_SOURCES_BY_NAME: ReadonlyMap<string, LegacySource> = new Map<string, LegacySource>([[ms5Source.name, ms5Source]]);
