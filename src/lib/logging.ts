export type LogLevel = "debug" | "info" | "warn" | "error";

/** Writes one structured JSON log line (Workers Logs indexes the fields). */
export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * An error as it may be logged. drizzle's query errors carry the bound parameters in their
 * message (password hashes, tokens); only the SQL text and the driver's own message are kept.
 */
export function describeError(err: unknown): { error: string; stack?: string | undefined } {
  if (!(err instanceof Error)) return { error: String(err) };
  const strip = (text: string) => text.replace(/\nparams:[\s\S]*?(?=\n\s+at |$)/, "\nparams: [redacted]");
  const cause = err.cause instanceof Error ? ` (cause: ${err.cause.message})` : "";
  return { error: strip(`${err.name}: ${err.message}`) + cause, stack: err.stack ? strip(err.stack) : undefined };
}
