/**
 * Reading byte streams in large pieces. A Workers request body or R2 object body hands its
 * default reader 4 KiB chunks, so a 20 MB body takes ~4,900 reads, each a trip through the
 * caller's per-chunk work (timers, a parse, a hash write); a BYOB reader offered a 64 KiB buffer
 * fills it, ~320 reads. Measured in workerd (bench/README.md, seventh round).
 */

/** Bytes offered per read. */
export const READ_CHUNK_BYTES = 64 * 1024;

/** What a caller needs of a reader. */
export type ChunkReader = Pick<ReadableStreamDefaultReader<Uint8Array>, "read" | "cancel">;

/**
 * A reader of `stream`: where it is a byte stream, a BYOB reader offering a `chunkBytes` buffer
 * per read; otherwise its default reader. Locks the stream either way. A read that filled a
 * quarter of its buffer or more hands that buffer out, and the next read gets a fresh one (what a
 * read returned may still be held, e.g. by a pending hash write, when the next is asked for). A
 * short read (a slow client's few bytes: a BYOB read answers with whatever has arrived) hands out
 * a copy of its size and keeps the buffer for the next read, so a body arriving in tiny pieces
 * costs memory for what arrived, not 64 KiB a read.
 */
export function chunkReader(stream: ReadableStream<Uint8Array>, chunkBytes = READ_CHUNK_BYTES): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader();
  }
  /** The buffer of the last short read, whose bytes were copied out: nothing else holds it. */
  let spare: ArrayBuffer | undefined;
  return {
    read: async () => {
      const view = new Uint8Array(spare ?? new ArrayBuffer(chunkBytes));
      spare = undefined; // the read detaches it
      const { done, value } = await byob.read(view);
      if (done || value === undefined) return { done: true, value: undefined };
      if (value.byteLength * 4 >= chunkBytes) return { done: false, value };
      // A short read (a slow client's few bytes): hand out a copy of its size and keep the buffer.
      spare = value.buffer as ArrayBuffer;
      return { done: false, value: value.slice() };
    },
    cancel: (reason?: unknown) => byob.cancel(reason),
  };
}
