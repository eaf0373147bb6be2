import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { createDb } from "../../src/db/client";
import { AppError } from "../../src/lib/errors";
import { isPending } from "../../src/lib/files";
import { route } from "../../src/lib/route";
import { READ_CHUNK_BYTES } from "../../src/lib/streams";
import {
  incomingUpload,
  MAX_UPLOADS,
  MAX_UPLOADS_PER_SENDER,
  PART_BYTES,
  type ReceiveUploadOptions,
  receiveUpload,
  SenderPlaces,
  SMALL_BUFFER_BYTES,
  sanitizeFilename,
  sniffKind,
  UploadMemory,
  type UploadSlot,
  uploadAdmission,
  uploadMemory,
  uploadSenders,
  uploadTimings,
} from "../../src/lib/uploads";
import type { Principal } from "../../src/types";
import { type Json, socketLikeStream } from "../helpers";

// ---------------------------------------------------------------------------------------------
// Fixtures: files of each kind, built from their signatures.

const enc = new TextEncoder();
const bytes = (...parts: (string | number[] | Uint8Array)[]) => {
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p instanceof Uint8Array ? p : new Uint8Array(p)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};
/** Deterministic filler that contains CR, LF and dashes, like real binary data. */
const filler = (n: number, seed = 1) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const jpeg = (n = 2000) => bytes([0xff, 0xd8, 0xff, 0xe0], filler(n, 3));
const png = (n = 2000) => bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], filler(n, 4));
const heic = () => bytes([0, 0, 0, 0x18], "ftypheic", [0, 0, 0, 0], "mif1heic", filler(1500, 5));
const pdf = (n = 1500) => bytes("%PDF-1.7\n%\xe2\xe3\n", filler(n, 6));
const step = (body = "HEADER;\nFILE_DESCRIPTION(('part'),'2;1');\nENDSEC;\n") => bytes("ISO-10303-21;\n", body, "END-ISO-10303-21;\n");
const csv = (text = "sku,qty\nA-1,3\nB-2,5\n") => enc.encode(text);

async function sha256(data: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", data))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------------------------
// A multipart body written by hand, so tests control every byte and every chunk boundary.

interface FormPart {
  name: string;
  filename?: string;
  type?: string;
  data: string | Uint8Array;
}

const BOUNDARY = "----FloorlineTestBoundary7MA4YWxkTrZu0gW";

function multipart(parts: FormPart[], boundary = BOUNDARY): Uint8Array {
  const pieces: (string | Uint8Array)[] = [];
  for (const p of parts) {
    const file = p.filename === undefined ? "" : `; filename="${p.filename}"`;
    pieces.push(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n`);
    if (p.type) pieces.push(`Content-Type: ${p.type}\r\n`);
    pieces.push("\r\n", typeof p.data === "string" ? enc.encode(p.data) : p.data, "\r\n");
  }
  pieces.push(`--${boundary}--\r\n`);
  return bytes(...pieces);
}

interface SendOptions {
  /** Chunk sizes to cut the body into, repeated; default one 64 KiB chunk after another. */
  chunks?: number[];
  boundary?: string;
  contentType?: string;
  /** Fail the stream (a client that went away) once this many bytes were sent. */
  failAt?: number;
  /** Record how far the client got, read by the bucket spy. */
  progress?: { sent: number };
  /** The user the upload is sent for (`x-test-sender`; default a new one per request). */
  sender?: string;
}

/**
 * The body as a client streams it: chunk by chunk, only as fast as the server reads. A byte
 * stream, as a Workers request body is, so the receive reads it as in production (BYOB reads:
 * lib/streams.ts); the stalling bodies below are plain streams (the default reader's path).
 */
function streamOf(body: Uint8Array, opts: SendOptions): ReadableStream<Uint8Array> {
  const sizes = opts.chunks ?? [64 * 1024];
  let at = 0;
  let i = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      if (opts.failAt !== undefined && at >= opts.failAt) {
        controller.error(new Error("client went away"));
        return;
      }
      if (at >= body.length) {
        controller.close();
        controller.byobRequest?.respond(0);
        return;
      }
      const size = sizes[i++ % sizes.length] ?? 1;
      const end = Math.min(body.length, at + size, opts.failAt ?? Infinity);
      controller.enqueue(body.slice(at, end));
      at = end;
      if (opts.progress) opts.progress.sent = at;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The routes under test, mounted the way modules mount theirs.

/** Records what reached R2, and how much the client had sent at each step. */
interface Spy {
  events: { op: string; key: string; size?: number; sent?: number; uploadId?: string }[];
  /** This part number's upload is refused by R2 (after the part before it has been sent). */
  failPart?: number;
}
let spy: Spy | undefined;
let progress: { sent: number } | undefined;

function spiedBucket(bucket: R2Bucket, record: Spy): R2Bucket {
  const sizeOf = (value: unknown) => (ArrayBuffer.isView(value) ? value.byteLength : undefined);
  return new Proxy(bucket, {
    get(target, prop) {
      if (prop === "put") {
        return (key: string, value: ArrayBufferView, options?: R2PutOptions) => {
          record.events.push({ op: "put", key, size: sizeOf(value), sent: progress?.sent });
          return target.put(key, value, options);
        };
      }
      if (prop === "delete") {
        return (keys: string | string[]) => {
          for (const key of [keys].flat()) record.events.push({ op: "delete", key });
          return target.delete(keys);
        };
      }
      if (prop === "createMultipartUpload") {
        return async (key: string, options?: R2MultipartOptions) => {
          const upload = await target.createMultipartUpload(key, options);
          record.events.push({ op: "create", key, uploadId: upload.uploadId, sent: progress?.sent });
          return new Proxy(upload, {
            get(u, p) {
              if (p === "uploadPart") {
                return (n: number, value: ArrayBufferView) => {
                  record.events.push({ op: "part", key, size: sizeOf(value), sent: progress?.sent });
                  if (n === record.failPart) return Promise.reject(new Error("R2 refused the part"));
                  return u.uploadPart(n, value);
                };
              }
              if (p === "abort" || p === "complete") record.events.push({ op: String(p), key });
              const v: unknown = Reflect.get(u, p, u);
              return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(u) : v;
            },
          });
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const ROUTES: Record<string, Omit<ReceiveUploadOptions, "bucket" | "waitUntil" | "db" | "now">> = {
  photos: { prefix: "test/photos/", accept: ["jpeg", "png", "heic"], maxFileBytes: 64 * 1024, maxFiles: 3, maxFieldBytes: 100 },
  documents: { prefix: "test/docs/", accept: ["pdf", "step", "csv"], maxFileBytes: 12 * 1024 * 1024, maxFiles: 2, fileFields: ["file"] },
};

/** The probe routes are public: a request names the user it sends for in `x-test-sender` (default: a new one each), as a signed-in route's principal would. */
const probeSender = (userId: string = crypto.randomUUID()): Principal => ({
  kind: "user",
  userId,
  username: userId,
  role: "admin",
  permissions: new Set(),
  tabs: [],
  sessionId: "",
});

const app = createApp({
  extend: (a) => {
    for (const [name, opts] of Object.entries(ROUTES)) {
      a.post(`/api/v1/test/uploads/${name}`, route({ access: "public", summary: `probe: ${name}`, tags: ["test"], bodyLimit: "upload" }), async (c) => {
        const bucket = spy ? spiedBucket(c.env.FILES, spy) : c.env.FILES;
        const upload = await receiveUpload(incomingUpload(c.req.raw, probeSender(c.req.header("x-test-sender"))), {
          ...opts,
          bucket,
          db: createDb(c.env.DB),
          now: () => new Date(),
          waitUntil: (p) => c.executionCtx.waitUntil(p),
        });
        if (upload.fields.reject !== undefined) {
          // A later step refused the request (zod on the fields, a D1 write): nothing may stay.
          await upload.discard();
          return c.json({ error: "VALIDATION_ERROR", keys: upload.files.map((f) => f.key) }, 422);
        }
        return c.json({ files: upload.files, fields: upload.fields }, 201);
      });
    }
  },
});

async function send(name: string, body: Uint8Array, opts: SendOptions = {}) {
  const headers = new Headers({
    "content-type": opts.contentType ?? `multipart/form-data; boundary=${opts.boundary ?? BOUNDARY}`,
    "cf-connecting-ip": "192.0.2.77",
  });
  if (opts.sender) headers.set("x-test-sender", opts.sender);
  // With a Content-Length the guard checks the number and leaves the stream alone.
  headers.set("content-length", String(body.length));
  const ctx = createExecutionContext();
  progress = opts.progress;
  const res = await app.fetch(new Request(`http://localhost/api/v1/test/uploads/${name}`, { method: "POST", headers, body: streamOf(body, opts) }), env, ctx);
  await waitOnExecutionContext(ctx);
  const json = (await res.json()) as Json;
  return { status: res.status, json, headers: res.headers };
}

async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ prefix: "test/", ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const obj = await env.FILES.get(key);
  if (!obj) throw new Error(`no object ${key}`);
  return new Uint8Array(await obj.arrayBuffer());
}

/** The multipart uploads a request started are gone: their ids no longer take parts. */
async function expectAborted(record: Spy) {
  const created = record.events.filter((e) => e.op === "create");
  expect(created.length).toBeGreaterThan(0);
  for (const e of created) {
    await expect(env.FILES.resumeMultipartUpload(e.key, e.uploadId ?? "").uploadPart(1, "x")).rejects.toThrow();
  }
}

afterEach(() => {
  spy = undefined;
  progress = undefined;
  // Every receive gave its slot of the isolate's pool back, however it ended (413s, R2 refusals,
  // clients gone…), and nobody is left waiting.
  expect(uploadMemory.free).toBe(uploadMemory.slots);
  expect(uploadMemory.waiting).toBe(0);
  // …and every sender's place.
  expect(uploadSenders.held()).toBe(0);
  expect([uploadAdmission.free, uploadAdmission.waiting]).toEqual([uploadAdmission.slots, 0]);
});

// ---------------------------------------------------------------------------------------------

describe("receiveUpload: storing", () => {
  it("stores several files (a repeated field too) with their bytes and SHA-256, and returns the text fields", async () => {
    const files = { a: jpeg(3000), b: png(5000), c: heic() };
    const body = multipart([
      { name: "title", data: "Cracked guard, line 3" },
      { name: "images", filename: "IMG_0001.JPG", type: "image/jpeg", data: files.a },
      { name: "images", filename: "C:\\Users\\op\\Desktop\\scan.png", type: "image/png", data: files.b },
      { name: "tag", data: "safety" },
      { name: "tag", data: "ünïcode ✓" },
      { name: "photo", filename: "../../etc/pass\u202Ewd.heic", type: "application/octet-stream", data: files.c },
    ]);
    const { status, json } = await send("photos", body);
    expect(status).toBe(201);
    expect(json.fields).toEqual({ title: "Cracked guard, line 3", tag: ["safety", "ünïcode ✓"] });
    const got = json.files as unknown as { field: string; filename: string; key: string; size: number; kind: string; contentType: string; sha256: string }[];
    expect(got.map((f) => [f.field, f.filename, f.kind, f.contentType])).toEqual([
      ["images", "IMG_0001.JPG", "jpeg", "image/jpeg"],
      ["images", "scan.png", "png", "image/png"],
      ["photo", "passwd.heic", "heic", "image/heic"],
    ]);
    const originals = [files.a, files.b, files.c];
    for (const [i, f] of got.entries()) {
      const original = originals[i] ?? new Uint8Array();
      expect(f.key).toMatch(/^test\/photos\/[0-9a-f-]{36}\.(jpg|png|heic)$/);
      expect(f.size).toBe(original.length);
      expect(f.sha256).toBe(await sha256(original));
      expect(await objectBytes(f.key)).toEqual(original);
      expect((await env.FILES.head(f.key))?.httpMetadata?.contentType).toBe(f.contentType);
    }
  });

  it("streams a file larger than one part through an R2 multipart upload, sending parts before the client has finished", async () => {
    const big = bytes("ISO-10303-21;\n", filler(PART_BYTES * 2 + 12345, 9));
    const record: Spy = { events: [] };
    spy = record;
    const sent = { sent: 0 };
    const { status, json } = await send("documents", multipart([{ name: "file", filename: "bracket.stp", data: big }]), { progress: sent });
    expect(status).toBe(201);
    const file = (json.files as unknown as { key: string; size: number; sha256: string; kind: string }[])[0];
    expect(file?.kind).toBe("step");
    expect(file?.size).toBe(big.length);
    expect(file?.sha256).toBe(await sha256(big));
    expect(await objectBytes(file?.key ?? "")).toEqual(big);
    // Parts are PART_BYTES except the last; the first left while most of the body was still unsent.
    const parts = record.events.filter((e) => e.op === "part");
    expect(parts.map((p) => p.size)).toEqual([PART_BYTES, PART_BYTES, big.length - 2 * PART_BYTES]);
    expect(parts[0]?.sent).toBeLessThan(PART_BYTES + 256 * 1024);
    expect(record.events.at(-1)?.op).toBe("complete");
  });

  it("a part R2 refuses while the next one fills fails the request, aborts the upload and keeps nothing", async () => {
    const before = await storedKeys();
    const big = bytes("ISO-10303-21;\n", filler(PART_BYTES * 2 + 12345, 9));
    const record: Spy = { events: [], failPart: 2 };
    spy = record;
    const { status } = await send("documents", multipart([{ name: "file", filename: "bracket.stp", data: big }]));
    expect(status).toBe(500);
    // Part 2 went out while part 3 filled; nothing after the refusal completed the upload.
    expect(record.events.filter((e) => e.op === "part").map((e) => e.size)).toEqual([PART_BYTES, PART_BYTES]);
    expect(record.events.some((e) => e.op === "complete")).toBe(false);
    await expectAborted(record);
    expect(await storedKeys()).toEqual(before);
  });

  it("discard() removes what was stored when a later step refuses the request", async () => {
    const before = await storedKeys();
    const body = multipart([
      { name: "images", filename: "a.jpg", data: jpeg() },
      { name: "images", filename: "b.png", data: png() },
      { name: "reject", data: "yes" },
    ]);
    const { status, json } = await send("photos", body);
    expect(status).toBe(422);
    expect(json.keys).toHaveLength(2);
    expect(await storedKeys()).toEqual(before);
  });

  it("keeps every stored file pending (not served, swept if never released) until its row commits", async () => {
    const { status, json } = await send("photos", multipart([{ name: "images", filename: "a.jpg", data: jpeg(3000) }]));
    expect(status).toBe(201);
    const [file] = json.files as unknown as { key: string }[];
    // This probe route writes no row and never releases: the file stays pending.
    expect(await isPending(createDb(env.DB), file?.key ?? "")).toBe(true);
  });

  it('counts an empty file part against the file cap (filename="" parts were free)', async () => {
    const empties = multipart([1, 2, 3, 4].map(() => ({ name: "images", filename: "", type: "application/octet-stream", data: "" })));
    const { status, json } = await send("photos", empties);
    expect(status).toBe(413);
    expect(json.message).toMatch(/At most 3 files/);
  });

  it("skips a file input left empty", async () => {
    const body = multipart([
      { name: "file", filename: "", type: "application/octet-stream", data: "" },
      { name: "file", filename: "stock.csv", type: "text/csv", data: csv() },
    ]);
    const { status, json } = await send("documents", body);
    expect(status).toBe(201);
    expect((json.files as unknown as { kind: string }[]).map((f) => f.kind)).toEqual(["csv"]);
  });
});

describe("receiveUpload: kinds are judged by bytes", () => {
  it("a .jpg name and image/jpeg type over PDF bytes is stored as a PDF", async () => {
    const body = multipart([{ name: "file", filename: "photo.jpg", type: "image/jpeg", data: pdf() }]);
    const { status, json } = await send("documents", body);
    expect(status).toBe(201);
    const file = (json.files as unknown as { kind: string; contentType: string; key: string; filename: string }[])[0];
    expect(file).toMatchObject({ kind: "pdf", contentType: "application/pdf", filename: "photo.jpg" });
    expect(file?.key).toMatch(/\.pdf$/);
  });

  it("refuses that file with 415 where PDFs are not accepted, and keeps nothing from the request", async () => {
    const before = await storedKeys();
    const record: Spy = { events: [] };
    spy = record;
    const body = multipart([
      { name: "images", filename: "ok.png", type: "image/png", data: png() },
      { name: "images", filename: "photo.jpg", type: "image/jpeg", data: pdf() },
    ]);
    const { status, json } = await send("photos", body);
    expect(status).toBe(415);
    expect(json.error).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(json.message).toMatch(/photo\.jpg.*PDF/);
    expect(json.details).toEqual([expect.objectContaining({ path: "body.images" })]);
    expect(record.events.filter((e) => e.op === "put")).toHaveLength(1);
    expect(record.events.filter((e) => e.op === "delete")).toHaveLength(1);
    expect(await storedKeys()).toEqual(before);
  });

  it("refuses text that turns out not to be UTF-8 deep into a multi-part file, aborting the upload", async () => {
    const before = await storedKeys();
    const record: Spy = { events: [] };
    spy = record;
    const text = enc.encode("sku,qty\n".repeat(Math.ceil((PART_BYTES + 100_000) / 8)));
    const bad = bytes(text, [0xc3, 0x28], "\n");
    const { status, json } = await send("documents", multipart([{ name: "file", filename: "stock.csv", data: bad }]));
    expect(status).toBe(415);
    expect(json.message).toMatch(/not UTF-8 text/);
    await expectAborted(record);
    expect(await storedKeys()).toEqual(before);
  });

  it.each([
    ["jpeg", jpeg()],
    ["png", png()],
    ["gif", bytes("GIF89a", filler(100))],
    ["webp", bytes("RIFF", [0, 1, 0, 0], "WEBPVP8 ", filler(100))],
    ["heic", heic()],
    ["pdf", pdf()],
    ["step", step()],
    ["step", bytes([0xef, 0xbb, 0xbf], "\r\n  ", step())],
  ])("sniffs %s", (kind, data) => {
    expect(sniffKind(data.subarray(0, 512))?.kind).toBe(kind);
  });

  it("tells HEIF stills from AVIF and other ISO media", () => {
    const ftyp = (major: string, ...compatible: string[]) => bytes([0, 0, 0, 16 + 4 * compatible.length], "ftyp", major, [0, 0, 0, 0], ...compatible);
    expect(sniffKind(ftyp("mif1", "mif1", "heic"))).toEqual({ kind: "heic", contentType: "image/heic" });
    expect(sniffKind(ftyp("mif1", "mif1"))).toEqual({ kind: "heic", contentType: "image/heif" });
    expect(sniffKind(ftyp("avif", "mif1", "miaf"))).toBeUndefined();
    expect(sniffKind(ftyp("mif1", "avif", "mif1"))).toBeUndefined();
    expect(sniffKind(ftyp("isom", "mp41"))).toBeUndefined();
    expect(sniffKind(csv())).toBeUndefined();
  });

  it("refuses binary that matches no signature, even when text is accepted", async () => {
    const { status } = await send("documents", multipart([{ name: "file", filename: "notes.csv", data: bytes("a,b\n", [0], "c") }]));
    expect(status).toBe(415);
  });
});

describe("receiveUpload: caps", () => {
  it("a file over the cap is 413, and the files stored before it are removed", async () => {
    const before = await storedKeys();
    const record: Spy = { events: [] };
    spy = record;
    const sent = { sent: 0 };
    const body = multipart([
      { name: "images", filename: "small.jpg", data: jpeg(1000) },
      { name: "images", filename: "huge.jpg", data: jpeg(ROUTES.photos?.maxFileBytes ?? 0) },
      { name: "images", filename: "never.png", data: png(200_000) },
    ]);
    const { status, json } = await send("photos", body, { chunks: [8 * 1024], progress: sent });
    expect(status).toBe(413);
    expect(json.error).toBe("PAYLOAD_TOO_LARGE");
    expect(json.message).toMatch(/huge\.jpg/);
    expect(record.events.filter((e) => e.op === "delete").map((e) => e.key)).toEqual(record.events.filter((e) => e.op === "put").map((e) => e.key));
    expect(await storedKeys()).toEqual(before);
    expect(sent.sent).toBeLessThan(body.length); // refused without reading the rest
  });

  it("a multi-part file over the cap is 413 and its multipart upload is aborted", async () => {
    const before = await storedKeys();
    const record: Spy = { events: [] };
    spy = record;
    const big = bytes("%PDF-1.4\n", filler(12 * 1024 * 1024, 11));
    const { status } = await send("documents", multipart([{ name: "file", filename: "manual.pdf", data: big }]));
    expect(status).toBe(413);
    expect(record.events.filter((e) => e.op === "part").length).toBe(2);
    await expectAborted(record);
    expect(await storedKeys()).toEqual(before);
  });

  it("a declared Content-Length over the body cap is 413 before anything is read", async () => {
    const body = multipart([{ name: "images", filename: "a.jpg", data: jpeg() }]);
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request("http://localhost/api/v1/test/uploads/photos", {
        method: "POST",
        headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(10 * 1024 * 1024) },
        body: streamOf(body, {}),
      }),
      env,
      ctx,
    );
    expect(res.status).toBe(413);
  });

  it("more files than allowed is 413; a file in a field that takes none is 422; an over-long text field is 413", async () => {
    const before = await storedKeys();
    const four = multipart([1, 2, 3, 4].map((i) => ({ name: "images", filename: `${i}.jpg`, data: jpeg() })));
    expect((await send("photos", four)).status).toBe(413);
    const wrongField = multipart([{ name: "attachment", filename: "a.pdf", data: pdf() }]);
    const refused = await send("documents", wrongField);
    expect(refused.status).toBe(422);
    expect(refused.json.details).toEqual([expect.objectContaining({ path: "body.attachment" })]);
    const longField = multipart([{ name: "title", data: "x".repeat(101) }]);
    const long = await send("photos", longField);
    expect(long.status).toBe(413);
    expect(long.json.details).toEqual([expect.objectContaining({ path: "body.title" })]);
    expect(await storedKeys()).toEqual(before);
  });
});

describe("receiveUpload: malformed bodies and interrupted clients", () => {
  const cases: [string, Uint8Array, SendOptions, number][] = [
    ["no closing boundary", multipart([{ name: "images", filename: "a.jpg", data: jpeg() }]).slice(0, -(BOUNDARY.length + 6)), {}, 400],
    ["a part without Content-Disposition", bytes(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\n\r\n`, jpeg(), `\r\n--${BOUNDARY}--\r\n`), {}, 400],
    ["a boundary not followed by a line break", bytes(`--${BOUNDARY}junk\r\n\r\nx\r\n--${BOUNDARY}--`), {}, 400],
    ["headers that never end", bytes(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\nX: ${"y".repeat(9000)}`), {}, 400],
    ["a body with no boundary at all", enc.encode("just some bytes"), {}, 400],
    ["not multipart", enc.encode('{"a":1}'), { contentType: "application/json" }, 415],
    ["a boundary with a character RFC 2046 forbids", multipart([]), { contentType: 'multipart/form-data; boundary="a@b"' }, 400],
    ["a boundary longer than 70 characters", multipart([], "b".repeat(71)), { boundary: "b".repeat(71) }, 400],
  ];
  it.each(cases)("%s → 4xx, nothing stored", async (_, body, opts, expected) => {
    const before = await storedKeys();
    const { status, json } = await send("photos", body, opts);
    expect(status).toBe(expected);
    expect(typeof json.error).toBe("string");
    expect(await storedKeys()).toEqual(before);
  });

  it("stored files are removed when the client goes away in the middle of the next one", async () => {
    const before = await storedKeys();
    const record: Spy = { events: [] };
    spy = record;
    const body = multipart([
      { name: "file", filename: "first.pdf", data: pdf() },
      { name: "file", filename: "second.stp", data: bytes("ISO-10303-21;\n", filler(PART_BYTES + 500_000)) },
    ]);
    const { status, json } = await send("documents", body, { failAt: PART_BYTES + 200_000 });
    expect(status).toBe(400);
    expect(json.message).toMatch(/interrupted/);
    expect(record.events.some((e) => e.op === "put")).toBe(true);
    await expectAborted(record);
    expect(await storedKeys()).toEqual(before);
  });
});

describe("receiveUpload: chunk boundaries", () => {
  // Content that imitates the delimiter without completing it: the parser must keep every byte.
  const tricky = bytes("\r\n--", BOUNDARY.slice(0, 10), "\r\r\n--", BOUNDARY.slice(0, -1), "X\r\n-\r\n\r\n--", BOUNDARY.slice(0, 20), "\r");
  const form = () =>
    multipart([
      { name: "note", data: `line one\r\n--${BOUNDARY.slice(0, -2)}\r\nline two` },
      { name: "file", filename: "tricky.csv", data: bytes("a,b\n", tricky, "\nend") },
      { name: "file", filename: "drawing.pdf", data: bytes("%PDF-1.7\n", tricky, filler(3000, 2), tricky) },
    ]);

  it.each([[[1]], [[2]], [[3]], [[7]], [[BOUNDARY.length + 3]], [[1, 61, 5, 13]]])(
    "gives the same result when the body arrives in chunks of %j",
    async (chunks) => {
      const body = form();
      const reference = await send("documents", body, { chunks: [body.length] });
      expect(reference.status).toBe(201);
      const split = await send("documents", body, { chunks });
      expect(split.status).toBe(201);
      expect(split.json.fields).toEqual(reference.json.fields);
      const strip = (files: Json | undefined) => (files as unknown as { key: string }[]).map(({ key: _key, ...rest }) => rest);
      expect(strip(split.json.files)).toEqual(strip(reference.json.files));
      const [first, second] = split.json.files as unknown as { key: string }[];
      expect(await objectBytes(first?.key ?? "")).toEqual(bytes("a,b\n", tricky, "\nend"));
      expect(await objectBytes(second?.key ?? "")).toEqual(bytes("%PDF-1.7\n", tricky, filler(3000, 2), tricky));
      expect(split.json.fields).toEqual({ note: `line one\r\n--${BOUNDARY.slice(0, -2)}\r\nline two` });
    },
  );

  it("splits every position of the delimiter across two chunks", async () => {
    const body = multipart([{ name: "file", filename: "s.step", data: step() }]);
    const delimiterAt = body.indexOf(13, 60); // the CR that starts the closing delimiter's line
    for (let cut = delimiterAt - 1; cut <= delimiterAt + BOUNDARY.length + 6; cut++) {
      const { status, json } = await send("documents", body, { chunks: [cut, body.length] });
      expect(status, `cut at ${cut}`).toBe(201);
      expect((json.files as unknown as { size: number }[])[0]?.size).toBe(step().length);
    }
  });
});

describe("UploadMemory: the pool of slots for large uploads", () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  /** Records the order in which acquisitions settle. */
  const track = (order: string[], name: string, p: Promise<UploadSlot>) =>
    p.then(
      (slot) => {
        order.push(name);
        return slot;
      },
      (err: unknown) => {
        order.push(`${name}:refused`);
        throw err;
      },
    );

  it("grants its slots at once; the next request waits until one is released; a second release() gives nothing back", async () => {
    const pool = new UploadMemory({ slots: 3, waitMs: 5_000 });
    const held = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    expect(pool.free).toBe(0);
    const order: string[] = [];
    const fourth = track(order, "fourth", pool.acquire());
    await sleep(50);
    expect(order).toEqual([]);
    expect(pool.waiting).toBe(1);
    held[0]?.release();
    const slot = await fourth;
    expect(order).toEqual(["fourth"]);
    expect([pool.free, pool.waiting]).toEqual([0, 0]);
    held[0]?.release(); // already released: must not free a slot the fourth request holds
    expect(pool.free).toBe(0);
    for (const s of [slot, held[1], held[2]]) s?.release();
    expect(pool.free).toBe(3);
  });

  it("serves waiters first come first served; a newcomer does not overtake a woken waiter", async () => {
    const pool = new UploadMemory({ slots: 1, waitMs: 5_000 });
    const first = await pool.acquire();
    const order: string[] = [];
    const a = track(order, "a", pool.acquire());
    const b = track(order, "b", pool.acquire());
    const c = track(order, "c", pool.acquire());
    await sleep(20);
    expect(pool.waiting).toBe(3);
    first.release();
    // Arrives in the same tick as the release, before a has run: it queues behind c.
    const late = track(order, "late", pool.acquire());
    const slotA = await a;
    await sleep(20);
    expect(order).toEqual(["a"]);
    slotA.release();
    const slotB = await b;
    slotB.release();
    const slotC = await c;
    await sleep(20);
    expect(order).toEqual(["a", "b", "c"]);
    slotC.release();
    (await late).release();
    expect(order).toEqual(["a", "b", "c", "late"]);
    expect([pool.free, pool.waiting]).toEqual([1, 0]);
  });

  it("refuses a waiter past its wait with a 503 and Retry-After; it leaves the queue and no slot leaks", async () => {
    const pool = new UploadMemory({ slots: 2, waitMs: 60 });
    const held = await Promise.all([pool.acquire(), pool.acquire()]);
    const patient = pool.acquire(5_000);
    const started = Date.now();
    const refused = await pool.acquire().catch((err: unknown) => err);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(refused).toBeInstanceOf(AppError);
    const err = refused as AppError;
    expect([err.status, err.code]).toEqual([503, "SERVICE_UNAVAILABLE"]);
    expect(err.retryAfter).toBeGreaterThan(0);
    expect(err.message).toBe(`Too many large uploads are being received at once; retry in ${err.retryAfter} seconds`);
    // The refused one is gone; the patient one, queued before it, still waits and gets the slot.
    expect(pool.waiting).toBe(1);
    held[0]?.release();
    const slot = await patient;
    expect([pool.free, pool.waiting]).toEqual([0, 0]);
    slot.release();
    held[1]?.release();
    expect(pool.free).toBe(2);
    const again = await Promise.all([pool.acquire(10), pool.acquire(10)]);
    expect(pool.free).toBe(0);
    for (const s of again) s.release();
    expect(pool.free).toBe(2);
  });

  it("refuses at once when the queue is full", async () => {
    const pool = new UploadMemory({ slots: 1, waitMs: 5_000, maxWaiting: 2 });
    const held = await pool.acquire();
    const waiters = [pool.acquire(), pool.acquire()];
    const started = Date.now();
    await expect(pool.acquire()).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(pool.waiting).toBe(2);
    held.release();
    (await waiters[0])?.release();
    (await waiters[1])?.release();
    expect([pool.free, pool.waiting]).toEqual([1, 0]);
  });
});

describe("SenderPlaces: uploads in progress per sender", () => {
  it("gives a sender max places, then 429s with Retry-After; a release (once) frees one, and a sender with none is forgotten", () => {
    const places = new SenderPlaces(2);
    const a1 = places.take("user:a");
    const a2 = places.take("user:a");
    expect(() => places.take("user:a")).toThrow(expect.objectContaining({ status: 429, retryAfter: 10 }));
    const b = places.take("user:b");
    expect([places.held("user:a"), places.held("user:b"), places.held()]).toEqual([2, 1, 3]);
    a1.release();
    a1.release();
    expect(places.held("user:a")).toBe(1);
    const a3 = places.take("user:a");
    expect(() => places.take("user:a")).toThrow(expect.objectContaining({ status: 429 }));
    for (const p of [a2, a3, b]) p.release();
    expect(places.held()).toBe(0);
  });
});

describe("receiveUpload: at most MAX_UPLOADS receive at once in an isolate", () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  it("with every admission taken an upload waits with its body unread, then is 503 (nothing kept); one released lets it through", async () => {
    expect(uploadAdmission.slots).toBe(MAX_UPLOADS);
    const wait = uploadAdmission.waitMs;
    const held = await Promise.all(Array.from({ length: uploadAdmission.slots }, () => uploadAdmission.acquire()));
    try {
      uploadAdmission.waitMs = 200;
      const before = await storedKeys();
      const refused = await send("documents", multipart([{ name: "file", filename: "manual.pdf", data: pdf() }]));
      expect(refused.status).toBe(503);
      expect(refused.json.message).toMatch(/^Too many uploads are being received at once; retry in \d+ seconds$/);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await storedKeys()).toEqual(before);

      uploadAdmission.waitMs = 10_000;
      const sent = { sent: 0 };
      const pending = send("documents", multipart([{ name: "file", filename: "manual.pdf", data: pdf() }]), { progress: sent });
      for (let i = 0; i < 200 && uploadAdmission.waiting === 0; i++) await sleep(10);
      expect(uploadAdmission.waiting).toBe(1);
      held.pop()?.release();
      const { status } = await pending;
      expect(status).toBe(201);
      // It gave its admission back when it ended.
      expect([uploadAdmission.free, uploadAdmission.waiting]).toEqual([1, 0]);
    } finally {
      for (const slot of held) slot.release();
      uploadAdmission.waitMs = wait;
    }
  });
});

describe("receiveUpload: large uploads take a slot of the isolate's pool", () => {
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  /** A STEP file one byte past what the small buffers hold: it needs a slot. */
  const large = bytes("ISO-10303-21;\n", filler(2 * 1024 * 1024, 9));

  /** Holds every slot of the isolate's pool, with a short wait, for `body`; then gives them back. */
  async function withPoolFull<T>(waitMs: number, body: (held: UploadSlot[]) => Promise<T>): Promise<T> {
    const wait = uploadMemory.waitMs;
    const held = await Promise.all(Array.from({ length: uploadMemory.slots }, () => uploadMemory.acquire()));
    uploadMemory.waitMs = waitMs;
    try {
      return await body(held);
    } finally {
      for (const slot of held) slot.release();
      uploadMemory.waitMs = wait;
    }
  }

  it("with every slot taken a large file is 503 with Retry-After and nothing is kept; small files still pass; then it succeeds", async () => {
    const before = await storedKeys();
    await withPoolFull(200, async () => {
      const record: Spy = { events: [] };
      spy = record;
      const body = multipart([
        { name: "file", filename: "first.pdf", data: pdf() },
        { name: "file", filename: "bracket.stp", data: large },
      ]);
      const refused = await send("documents", body);
      expect(refused.status).toBe(503);
      expect(refused.json.error).toBe("SERVICE_UNAVAILABLE");
      expect(refused.json.message).toMatch(/^Too many large uploads are being received at once; retry in \d+ seconds$/);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(refused.headers.get("retry-after")).toBe(String(refused.json.retry_after));
      // The first file was stored, then removed; the large one never reached R2.
      const puts = record.events.filter((e) => e.op === "put").map((e) => e.key);
      expect(puts).toHaveLength(1);
      expect(record.events.filter((e) => e.op === "delete").map((e) => e.key)).toEqual(puts);
      expect(record.events.some((e) => e.op === "create" || e.op === "part")).toBe(false);
      expect(await storedKeys()).toEqual(before);
      expect([uploadMemory.free, uploadMemory.waiting]).toEqual([0, 0]);
      spy = undefined;

      // Files the small buffers hold never ask the pool: the largest one still passes, one byte more does not.
      const fits = bytes("%PDF-1.7\n", filler(SMALL_BUFFER_BYTES - 9, 12));
      const small = await send("documents", multipart([{ name: "file", filename: "manual.pdf", data: fits }]));
      expect(small.status).toBe(201);
      expect(await objectBytes((small.json.files as unknown as { key: string }[])[0]?.key ?? "")).toEqual(fits);
      const over = await send("documents", multipart([{ name: "file", filename: "manual.pdf", data: bytes(fits, [0]) }]));
      expect(over.status).toBe(503);
    });
    const ok = await send("documents", multipart([{ name: "file", filename: "bracket.stp", data: large }]));
    expect(ok.status).toBe(201);
    const file = (ok.json.files as unknown as { key: string; sha256: string }[])[0];
    expect(file?.sha256).toBe(await sha256(large));
    expect(await objectBytes(file?.key ?? "")).toEqual(large);
  });

  it("a large upload waits for a slot with its body unread, and goes on when one is released", async () => {
    await withPoolFull(10_000, async (held) => {
      const sent = { sent: 0 };
      const pending = send("documents", multipart([{ name: "file", filename: "bracket.stp", data: large }]), { progress: sent });
      for (let i = 0; i < 200 && uploadMemory.waiting === 0; i++) await sleep(10);
      expect(uploadMemory.waiting).toBe(1);
      const reached = sent.sent;
      await sleep(100);
      expect(sent.sent).toBe(reached); // backpressure: nothing more read while it waits
      expect(reached).toBeLessThan(SMALL_BUFFER_BYTES + 256 * 1024);
      held.pop()?.release();
      const { status, json } = await pending;
      expect(status).toBe(201);
      expect(await objectBytes((json.files as unknown as { key: string }[])[0]?.key ?? "")).toEqual(large);
      // It gave the slot back when it ended: the one released above is free again.
      expect([uploadMemory.free, uploadMemory.waiting]).toEqual([1, 0]);
    });
  });
});

describe("receiveUpload: a byte-stream body is read in READ_CHUNK_BYTES buffers (lib/streams.ts)", () => {
  it("stores every byte in ~1/16 of the reads 4 KiB chunks would take", async () => {
    const data = bytes("ISO-10303-21;\n", filler(1024 * 1024, 3));
    const form = multipart([{ name: "file", filename: "big.stp", data }]);
    const timings = uploadTimings();
    const upload = await receiveUpload(
      {
        headers: new Headers({ "content-type": `multipart/form-data; boundary=${BOUNDARY}` }),
        body: socketLikeStream(form),
        sender: `user:byob-${crypto.randomUUID()}`,
      },
      { ...ROUTES.documents, bucket: env.FILES, db: createDb(env.DB), now: () => new Date(), timings } as ReceiveUploadOptions,
    );
    expect(await objectBytes(upload.files[0]?.key ?? "")).toEqual(data);
    // 4 KiB chunks: ~258 reads; READ_CHUNK_BYTES buffers: form.length / 64 KiB + the end.
    expect(timings.reads).toBeLessThanOrEqual(Math.ceil(form.length / READ_CHUNK_BYTES) + 2);
    await upload.discard();
  });
});

describe("receiveUpload: a body that stops making progress is refused and frees its slot", () => {
  const documentsRoute = ROUTES.documents as Omit<ReceiveUploadOptions, "bucket" | "waitUntil" | "db" | "now">;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const head = (filename: string) =>
    bytes(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n\r\n`,
      "ISO-10303-21;\n",
      filler(SMALL_BUFFER_BYTES + 64 * 1024, 21),
    );
  /** receiveUpload() of a multipart `body` stream, with the documents route's limits and `extra` options. */
  const receiveBody = (body: ReadableStream<Uint8Array>, extra: Partial<ReceiveUploadOptions>, sender = `user:direct-${crypto.randomUUID()}`) =>
    receiveUpload(
      { headers: new Headers({ "content-type": `multipart/form-data; boundary=${BOUNDARY}` }), body, sender },
      { ...documentsRoute, bucket: env.FILES, db: createDb(env.DB), now: () => new Date(), ...extra },
    );

  /** Receives a body that sends `first`, then `trickle` bytes every `everyMs` (none: nothing more), never ending. */
  function stalling(first: Uint8Array, options: { stallMs: number; trickle?: number; everyMs?: number; maxReceiveMs?: number; sender?: string }) {
    let timer: ReturnType<typeof setInterval> | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(first);
        if (options.trickle) timer = setInterval(() => c.enqueue(filler(options.trickle ?? 1, 5)), options.everyMs ?? 100);
      },
      cancel() {
        clearInterval(timer);
      },
    });
    const outcome = receiveBody(body, { stallMs: options.stallMs, maxReceiveMs: options.maxReceiveMs }, options.sender).then(
      () => "stored",
      (err: unknown) => err,
    );
    return { outcome, stop: () => clearInterval(timer) };
  }

  it("bodies that stop after taking every slot are refused (400, upload_stalled); the slots go to the next large upload", async () => {
    const before = await storedKeys();
    const stalled = Array.from({ length: uploadMemory.slots }, (_, i) => stalling(head(`stall${i}.stp`), { stallMs: 300 }));
    for (let i = 0; i < 300 && uploadMemory.free > 0; i++) await sleep(10);
    expect(uploadMemory.free).toBe(0);
    for (const s of stalled) {
      const err = await s.outcome;
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ status: 400, details: [{ code: "upload_stalled" }] });
    }
    expect([uploadMemory.free, uploadMemory.waiting]).toEqual([uploadMemory.slots, 0]);
    expect(await storedKeys()).toEqual(before);
    const victim = await send("documents", multipart([{ name: "file", filename: "ok.stp", data: bytes("ISO-10303-21;\n", filler(2 * 1024 * 1024, 9)) }]));
    expect(victim.status).toBe(201);
  });

  it("a small upload trickling a few bytes at a time is refused too, and gives its admission back", async () => {
    const small = multipart([{ name: "file", filename: "manual.pdf", data: pdf() }]);
    const trickler = stalling(small.subarray(0, 200), { stallMs: 400, trickle: 10, everyMs: 50 });
    expect(await trickler.outcome).toMatchObject({ status: 400, details: [{ code: "upload_stalled" }] });
    trickler.stop();
    expect([uploadAdmission.free, uploadMemory.free]).toEqual([uploadAdmission.slots, uploadMemory.slots]);
  });

  it("a body bringing just 64 KiB per progress window cannot keep its admission past the receive deadline", async () => {
    // 64 KiB every 80 ms against a 100 ms window passes every progress check, forever (bounded
    // only by maxBodyBytes: 50 MiB at 64 KiB / 30 s is ~6.7 h per admission in production).
    const first = enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.pdf"\r\n\r\n%PDF-1.7\n`);
    const slow = stalling(first, { stallMs: 100, trickle: 64 * 1024, everyMs: 80, maxReceiveMs: 600 });
    try {
      // ~15 windows, under 1 MiB: no large slot involved.
      const settled = await Promise.race([slow.outcome, sleep(1_200).then(() => "pending")]);
      expect(settled).toMatchObject({ status: 400, details: [{ code: "upload_too_slow" }] });
    } finally {
      slow.stop(); // the client stops: the stall rule ends it either way
      await slow.outcome;
    }
    expect([uploadAdmission.free, uploadAdmission.waiting]).toEqual([uploadAdmission.slots, 0]);
  });

  it("a slot holder trickling a few bytes at a time is refused; time spent waiting for the slot is not counted against the client", async () => {
    const trickler = stalling(head("trickle.stp"), { stallMs: 400, trickle: 10, everyMs: 50 });
    expect(await trickler.outcome).toMatchObject({ status: 400, details: [{ code: "upload_stalled" }] });
    trickler.stop();
    expect(uploadMemory.free).toBe(uploadMemory.slots);

    // Waiting 600 ms for a slot with a 200 ms progress deadline: the client sent all it could.
    const held = await Promise.all(Array.from({ length: uploadMemory.slots }, () => uploadMemory.acquire()));
    const large = bytes("ISO-10303-21;\n", filler(2 * 1024 * 1024, 9));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(multipart([{ name: "file", filename: "waits.stp", data: large }]));
        c.close();
      },
    });
    const pending = receiveBody(body, { stallMs: 200 });
    await sleep(600);
    for (const slot of held) slot.release();
    const received = await pending;
    expect(received.files[0]?.size).toBe(large.length);
    await received.discard();
  });

  it(`one sender has at most ${MAX_UPLOADS_PER_SENDER} uploads in progress: the next is a 429 before its body is read, others still go through`, async () => {
    const sender = `user:greedy-${crypto.randomUUID()}`;
    const first = enc.encode(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="hold.pdf"\r\n\r\n%PDF-1.7\n`);
    const holding = Array.from({ length: MAX_UPLOADS_PER_SENDER }, () => stalling(first, { stallMs: 400, sender }));
    for (let i = 0; i < 200 && uploadSenders.held(sender) < MAX_UPLOADS_PER_SENDER; i++) await sleep(10);
    expect(uploadSenders.held(sender)).toBe(MAX_UPLOADS_PER_SENDER);
    let pulled = 0;
    const unread = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          pulled++;
          c.enqueue(first);
        },
      },
      { highWaterMark: 0 },
    );
    const refused = await receiveBody(unread, {}, sender).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 429, retryAfter: 10 });
    expect(String((refused as Error).message)).toMatch(/already have 4 uploads in progress/);
    expect(pulled).toBe(0);
    // Over HTTP, in the surface's shape, with Retry-After; another user's upload is stored meanwhile.
    const body = multipart([{ name: "file", filename: "other.pdf", data: pdf() }]);
    const blocked = await send("documents", body, { sender: sender.slice("user:".length) });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toBe("10");
    expect(blocked.json).toMatchObject({ error: "RATE_LIMITED" });
    const other = await send("documents", body, { sender: "someone-else" });
    expect(other.status).toBe(201);
    for (const h of holding) expect(await h.outcome).toMatchObject({ status: 400, details: [{ code: "upload_stalled" }] });
    // Every place came back (and a refused upload took none).
    expect([uploadSenders.held(sender), uploadSenders.held()]).toEqual([0, 0]);
    const after = await send("documents", body, { sender: sender.slice("user:".length) });
    expect(after.status).toBe(201);
  });
});

describe("sanitizeFilename", () => {
  it.each([
    ["report.pdf", "report.pdf"],
    ["C:\\fakepath\\photo.jpg", "photo.jpg"],
    ["../../etc/passwd", "passwd"],
    ["..", "file"],
    ["", "file"],
    ["  spaced \t name .jpg  ", "spaced name .jpg"],
    ["evil\u202Egpj.exe", "evilgpj.exe"],
    ["nul\u0000byte\r\n.txt", "nulbyte.txt"],
    ['a"b<c>d:e|f?g*h.png', "abcdefgh.png"],
    ["e\u0301.txt", "\u00e9.txt"],
    [".hidden", "hidden"],
  ])("%j → %j", (raw, clean) => {
    expect(sanitizeFilename(raw)).toBe(clean);
  });

  it("bounds the length, keeping the extension", () => {
    const long = sanitizeFilename(`${"é".repeat(500)}.jpeg`);
    expect(Array.from(long)).toHaveLength(200);
    expect(long.endsWith("é.jpeg")).toBe(true);
    expect(Array.from(sanitizeFilename("😀".repeat(300)))).toHaveLength(200);
  });
});
