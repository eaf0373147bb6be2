// vitest globalSetup: the legacy Postgres the bridge's tests import from (scripts/legacy-pg.mjs),
// on the port wrangler.toml's Hyperdrive localConnectionString names, with MS5's fixture database
// made fresh for each run (10,000 OEE rows: the largest table), RM365's attendance database (10,000
// clock events) and RM365's inventory database (10,000 adjustments). Stopped after the run.
import { resetMs5, resetRm365, resetRm365Inventory, startLegacyPostgres } from "../scripts/legacy-pg.mjs";

export const MS5_FIXTURE = { oeeRows: 10_000, andonRows: 1_000 };
/** RM365: 10,000 clock events (the largest table) over 50 employees. */
export const RM365_FIXTURE = { employees: 50, logRows: 10_000 };
/** RM365's inventory: 10,000 adjustments (the largest table) over 500 items, 40 label jobs. */
export const RM365_INVENTORY_FIXTURE = { items: 500, logRows: 10_000, jobs: 40 };

export default async function setup() {
  const server = await startLegacyPostgres();
  await resetMs5(await server.ensureDatabase("ms5"), MS5_FIXTURE);
  await resetRm365(await server.ensureDatabase("rm365"), RM365_FIXTURE);
  await resetRm365Inventory(await server.ensureDatabase("rm365_inventory"), RM365_INVENTORY_FIXTURE);
  return () => server.stop();
}
