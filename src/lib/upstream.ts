/**
 * Reading what an upstream service (Magento, Onshape) answers without trusting its size: the
 * declared Content-Length and the bytes actually read are both held to a cap, and reading stops
 * (the stream is cancelled) the moment it is passed.
 */

/**
 * The body of `res`, at most `max` bytes. Throws `tooBig()` when the declared or the actual size
 * is over the cap, without reading the rest.
 */
export async function readBounded(res: Response, max: number, tooBig: () => Error): Promise<Uint8Array> {
  if (Number(res.headers.get("content-length") ?? "0") > max) {
    await res.body?.cancel();
    throw tooBig();
  }
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw tooBig();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
