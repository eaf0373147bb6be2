import { describe, expect, it } from "vitest";
import { chunkReader, READ_CHUNK_BYTES } from "../../src/lib/streams";
import { socketLikeStream } from "../helpers";

describe("chunkReader (lib/streams.ts)", () => {
  it("a body arriving a few bytes at a time costs memory for what arrived, not a 64 KiB buffer per read", async () => {
    // A request body as workerd hands it over (a byte stream): a client sending tiny pieces
    // (1-byte TCP segments or HTTP/2 DATA frames) makes every read return a few bytes.
    const its = new IdentityTransformStream();
    const writer = its.writable.getWriter();
    const reader = chunkReader(its.readable);
    let received = 0;
    let held = 0;
    for (let i = 0; i < 200; i++) {
      const pending = reader.read();
      await writer.write(new Uint8Array([i & 0xff, 1, 2]));
      const { done, value } = await pending;
      if (done) throw new Error("ended early");
      received += value.byteLength;
      // What each handed-out chunk keeps alive (its backing buffer) until the caller drops it.
      held += value.buffer.byteLength;
    }
    expect(received).toBe(600);
    // The 4 KiB default reader this replaced held at most 4 KiB per read: never more than that.
    expect(held).toBeLessThanOrEqual(200 * 4096);
    await reader.cancel();
  });

  it("large reads still get a buffer of their own each (a chunk may be held while the next is read)", async () => {
    const data = new Uint8Array(5 * READ_CHUNK_BYTES).map((_, i) => i * 7);
    const reader = chunkReader(socketLikeStream(data));
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(new Set(chunks.map((c) => c.buffer)).size).toBe(chunks.length);
    const joined = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.length;
    }
    expect(joined).toEqual(data);
  });

  it("short reads handed out are never overwritten by later reads", async () => {
    const its = new IdentityTransformStream();
    const writer = its.writable.getWriter();
    const reader = chunkReader(its.readable);
    const kept: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const pending = reader.read();
      await writer.write(new Uint8Array([i, i, i]));
      const { value } = await pending;
      if (value) kept.push(value);
    }
    expect(kept.map((k) => [...k])).toEqual(Array.from({ length: 20 }, (_, i) => [i, i, i]));
    await reader.cancel();
  });
});
