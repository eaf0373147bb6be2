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
 * A reader of `stream`: where it is a byte stream, a BYOB reader filling a fresh `chunkBytes`
 * buffer per read (fresh: what a read returned may still be held, e.g. by a pending hash write,
 * when the next is asked for); otherwise its default reader. Locks the stream either way.
 */
export function chunkReader(stream: ReadableStream<Uint8Array>, chunkBytes = READ_CHUNK_BYTES): ChunkReader {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    return stream.getReader();
  }
  return {
    read: async () => {
      const { done, value } = await byob.read(new Uint8Array(chunkBytes));
      return done || value === undefined ? { done: true, value: undefined } : { done: false, value };
    },
    cancel: (reason?: unknown) => byob.cancel(reason),
  };
}
