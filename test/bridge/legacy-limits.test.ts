/**
 * Bounds on what an uploaded legacy file can make the importers read (attack review of issue
 * 19): gzip bombs built here from highly compressible bytes, a crafted export's table and row
 * counts, for the CCbackend export reader and the Part Management uploads archive.
 */

import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { users } from "../../src/db/schema";
import { ExportError, exportRows } from "../../src/modules/bridge/ccbackend/export";
import { ArchiveLimitError, tarEntries } from "../../src/modules/bridge/parts/archive";
import { ImportJob } from "../../src/modules/bridge/schemas";
import { PASSWORDS } from "../fixtures/legacy/ccbackend-export";
import { tarGz } from "../fixtures/legacy/tar";
import { call, db, loginAs } from "../helpers";
import { uploadLegacyFile } from "./helpers";

const MiB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);

/** gzip of `parts` in order; a number is that many bytes of `fill` (zeros unless told), made without holding them. */
async function gzip(parts: (string | number)[], fill = 0): Promise<Uint8Array> {
  const block = new Uint8Array(MiB).fill(fill);
  let i = 0;
  let left = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      for (;;) {
        if (left > 0) {
          const n = Math.min(left, MiB);
          left -= n;
          return c.enqueue(block.subarray(0, n));
        }
        const next = parts[i++];
        if (next === undefined) return c.close();
        if (typeof next === "number") left = next;
        else return c.enqueue(text(next));
      }
    },
  });
  return new Uint8Array(await new Response(source.pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

const streamOf = (bytes: Uint8Array) => new Blob([bytes]).stream();
const SPACE = 0x20;

describe("CCbackend export bounds", () => {
  const limits = { maxBytes: 4 * MiB, maxTables: 32, maxRowsPerTable: 1000 };

  it("stops a gzip bomb at the decompressed-bytes cap, before inflating the rest", async () => {
    // 64 MiB of blanks between rows (legal JSON whitespace) compress to ~64 KB.
    const bomb = await gzip(['{"CC_USER":[{"USER_NAME":"a","PASSWORD":"x"}', 64 * MiB, "]}"], SPACE);
    expect(bomb.length).toBeLessThan(200_000);
    const read = async (max: number) => {
      const rows = [];
      for await (const r of exportRows(streamOf(bomb), undefined, { ...limits, maxBytes: max })) rows.push(r);
      return rows;
    };
    await expect(read(4 * MiB)).rejects.toThrow(ExportError);
    await expect(read(4 * MiB)).rejects.toThrow(/more than 4194304 bytes of JSON once decompressed/);
    // Zeros where the document should continue: refused as soon as they are seen.
    const zeros = await gzip(['{"CC_USER":[', 64 * MiB, "]}"]);
    await expect(
      (async () => {
        for await (const _ of exportRows(streamOf(zeros), undefined, limits)) void _;
      })(),
    ).rejects.toThrow(ExportError);
  });

  it("bounds the tables, the rows of a table, and the length of rows it does not parse", async () => {
    const many = `{${Array.from({ length: 33 }, (_, i) => `"T${i}":[]`).join(",")}}`;
    const drain = async (doc: string, wanted?: Set<string>) => {
      for await (const _ of exportRows(streamOf(text(doc)), wanted, limits)) void _;
    };
    await expect(drain(many)).rejects.toThrow(/more than 32 tables/);
    await expect(drain(`{"CC_LOG":[${Array.from({ length: 1001 }, () => "{}").join(",")}]}`)).rejects.toThrow(/CC_LOG has more than 1000 rows/);
    // A row of a table not asked for is scanned, not kept, and still bounded.
    await expect(drain(`{"JUNK":[{"a":"${"x".repeat(300 * 1024)}"}]}`, new Set(["CC_USER"]))).rejects.toThrow(/JUNK row is longer than/);
  });

  it("a crafted export fails its import with the reason on the job, before any row is written", { timeout: 120_000 }, async () => {
    const admin = await loginAs("admin");
    const tail = Array.from({ length: 40 }, (_, i) => `"X${i}":[]`).join(",");
    const doc = `{"CC_USER":[{"USER_NAME":"before.bomb","PASSWORD":${JSON.stringify(PASSWORDS[3].hash)}}],${tail}}`;
    const up = await uploadLegacyFile(admin.token, await gzip([doc]));
    expect(up.status).toBe(201);
    const started = await call("/api/v1/imports", { token: admin.token, body: { source: "ccbackend", file_key: up.json.file_key }, schema: ImportJob });
    expect(started.status).toBe(202);
    let job = started.json;
    await vi.waitUntil(
      async () => {
        job = (await call(`/api/v1/imports/${started.json.id}`, { token: admin.token, schema: ImportJob })).json;
        return job.error !== null;
      },
      { timeout: 60_000, interval: 250 },
    );
    expect(job.error).toMatch(/ExportError: The export has more than 32 tables/);
    // Failed at once on its first delivery (a retry would read the same file), not queued for retries.
    expect(job).toMatchObject({ state: "failed", attempts: 1 });
    expect(await db().select().from(users).where(eq(users.username, "before.bomb"))).toEqual([]);
  });
});

describe("uploads archive bounds", () => {
  it("stops a gzip bomb inside a tar entry at the decompressed-bytes cap, even for entries it skips", async () => {
    // One tar entry of 64 MiB of zeros: a header block, then the zeros (tar pads with zeros too).
    const small = await tarGz([{ path: "uploads/1/a.step", bytes: text("ISO-10303-21;") }]);
    expect(small.length).toBeGreaterThan(0);
    const header = new Uint8Array(512);
    header.set(text("uploads/2/bomb.bin"));
    header.set(text("0000644\0"), 100);
    header.set(text("0000000\0"), 108);
    header.set(text("0000000\0"), 116);
    header.set(text(`${(64 * MiB).toString(8).padStart(11, "0")}\0`), 124);
    header.set(text("00000000000\0"), 136);
    header[156] = 0x30;
    header.set(text("ustar\0" + "00"), 257);
    header.fill(0x20, 148, 156);
    const sum = header.reduce((a, b) => a + b, 0);
    header.set(text(`${sum.toString(8).padStart(6, "0")}\0 `), 148);
    const bomb = await gzip([new TextDecoder("latin1").decode(header), 64 * MiB]);
    const paths: string[] = [];
    const read = async (max?: number) => {
      for await (const entry of tarEntries(streamOf(bomb), max)) paths.push(entry.path);
    };
    await expect(read(8 * MiB)).rejects.toThrow(ArchiveLimitError);
    await expect(read(8 * MiB)).rejects.toThrow(/more than 8388608 bytes once decompressed/);
    expect(paths).toContain("uploads/2/bomb.bin"); // the header was read; its body was not inflated past the cap
  });
});
