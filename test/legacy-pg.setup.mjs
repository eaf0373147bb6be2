// vitest globalSetup: the legacy Postgres the bridge's tests import from (scripts/legacy-pg.mjs),
// on the port wrangler.toml's Hyperdrive localConnectionString names, with MS5's fixture database
// made fresh for each run (10,000 OEE rows: the largest table), and RM365's (10,000 clock events). Stopped after the run.
import { resetMs5, resetRm365, startLegacyPostgres } from "../scripts/legacy-pg.mjs";

export const MS5_FIXTURE = { oeeRows: 10_000, andonRows: 1_000 };
/** RM365: 10,000 clock events (the largest table) over 50 employees. */
export const RM365_FIXTURE = { employees: 50, logRows: 10_000 };

export default async function setup() {
  const server = await startLegacyPostgres();
  await resetMs5(await server.ensureDatabase("ms5"), MS5_FIXTURE);
  await resetRm365(await server.ensureDatabase("rm365"), RM365_FIXTURE);
  return () => server.stop();
}
