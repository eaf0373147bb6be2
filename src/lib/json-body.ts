/**
 * `request: jsonBody(Schema)` in a route declaration: a JSON body validated by `Schema` (and
 * documented with it). Spread it beside params and headers: `{ params, ...jsonBody(Schema) }`.
 */
import type { ZodType } from "zod";

export const jsonBody = <S extends ZodType>(schema: S) => ({ body: { content: { "application/json": { schema } } } });
