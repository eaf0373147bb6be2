/**
 * RM365's own paths under `/api/v1` (seed 003, client helenrm365/rm365-tools-testing), answered
 * the way its backend did and its client reads: bare arrays (totals in `X-Total-Count`), its
 * field names and methods, integer ids for employees, fingerprints and sessions, and its extra
 * body keys accepted. Mounted in createApp() before the module routers, so on a path RM365's
 * backend served this surface answers; Floorline's own shapes for the same data live at paths
 * no seed used (listed in each adapter's header). Every rule lives in the domain services.
 */
import { createRouter } from "../../lib/route";
import { rm365AttendanceRoutes } from "./attendance";
import { rm365EnrollmentRoutes } from "./enrollment";
import { rm365InventoryRoutes } from "./inventory";
import { rm365LabelRoutes } from "./labels";
import { rm365MagentodataRoutes } from "./magentodata";
import { rm365OrderRoutes } from "./orders";
import { rm365SalesdataRoutes } from "./salesdata";

export const rm365Routes = createRouter()
  .route("/enrollment", rm365EnrollmentRoutes)
  .route("/attendance", rm365AttendanceRoutes)
  .route("/magento", rm365OrderRoutes)
  .route("/inventory", rm365InventoryRoutes)
  .route("/labels", rm365LabelRoutes)
  .route("/salesdata", rm365SalesdataRoutes)
  .route("/magentodata", rm365MagentodataRoutes);
