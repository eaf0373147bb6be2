/** Which regions a caller may read and import (the API half only: it needs the caller's Principal). */
import { SALES_REGIONS, type SalesRegion } from "../../db/schema";
import { forbidden } from "../../lib/errors";
import { tabAllows } from "../../lib/rbac";
import type { Principal } from "../../types";

/**
 * The RM365 tab each region's data belongs to. DE, which RM365 had no tab for, has its own
 * (`salesdata.de-sales`): a region's rows, totals and imports are opened only by its sub-tab or
 * by the whole `salesdata` module tab, never by another sub-tab.
 */
export const REGION_TABS: Record<SalesRegion, string> = {
  uk: "salesdata.uk-sales",
  fr: "salesdata.fr-sales",
  nl: "salesdata.nl-sales",
  de: "salesdata.de-sales",
};

/** The regions whose data `actor` may read: those whose tab it holds. */
export const regionsOf = (actor: Principal): SalesRegion[] =>
  SALES_REGIONS.filter((region) => actor.permissions.has("*") || tabAllows(actor.tabs, REGION_TABS[region]));

/** Refuses a region whose tab `actor` lacks (403). */
export function assertRegion(actor: Principal, region: SalesRegion): void {
  if (!regionsOf(actor).includes(region)) throw forbidden(`Your account does not have the '${REGION_TABS[region]}' tab`);
}
