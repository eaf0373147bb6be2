/** Which magentodata regions a caller may read: RM365's tab per region, and the test page under any magentodata tab. */
import type { MagentoDataRegion } from "../../db/schema";
import { tabAllows } from "../../lib/rbac";
import type { Principal } from "../../types";

/** The regions RM365's magentodata screens show, and the tab each needs. */
export const MAGENTO_REGION_TABS = {
  uk: "magentodata.uk-magento",
  fr: "magentodata.fr-magento",
  nl: "magentodata.nl-magento",
  test: "magentodata",
} as const satisfies Partial<Record<MagentoDataRegion, string>>;

export type MagentoScreenRegion = keyof typeof MAGENTO_REGION_TABS;
export const MAGENTO_SCREEN_REGIONS = Object.keys(MAGENTO_REGION_TABS) as MagentoScreenRegion[];

export const magentoRegionsOf = (actor: Principal): MagentoScreenRegion[] =>
  MAGENTO_SCREEN_REGIONS.filter((region) => actor.permissions.has("*") || tabAllows(actor.tabs, MAGENTO_REGION_TABS[region]));
