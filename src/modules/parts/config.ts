/** Parts settings: `deps.feature(partsConfig)`. */
import { z } from "zod";
import { envDoc, featureConfig } from "../../lib/config";

/** The measured largest STEP one conversion fits in 128 MB (bench/convert.mjs); PARTS_MAX_STEP_BYTES overrides. */
export const DEFAULT_MAX_STEP_BYTES = 8 * 1024 * 1024;

export const partsConfig = featureConfig({
  feature: "Parts",
  schema: z.object({
    PARTS_MAX_STEP_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(DEFAULT_MAX_STEP_BYTES)
      .meta(
        envDoc(
          "var",
          "largest STEP accepted for GLB conversion (measured to fit one conversion in 128 MB; `node bench/convert.mjs`); larger STEP uploads are 413",
        ),
      ),
  }),
  derive: (values) => ({ maxStepBytes: values.PARTS_MAX_STEP_BYTES }),
});
