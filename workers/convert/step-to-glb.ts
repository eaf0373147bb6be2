/// <reference path="./occt-import-js.d.ts" />
/**
 * STEP → binary glTF 2.0: occt-import-js reads the STEP (OpenCascade compiled to WebAssembly),
 * @gltf-transform/core writes the GLB. One node and mesh per STEP body, keeping its name and
 * colour where the STEP has them. Pure: the caller hands in the WASM module, so the 7.6 MB binary
 * is imported only by the conversion worker (and by the bench, in Node).
 */
import { Document, WebIO } from "@gltf-transform/core";
import occtimportjs from "occt-import-js";
import { describeError, log } from "../../src/lib/logging";
import { withEmbindInvokers } from "./embind-invoker";

/** What occt-import-js returns for one mesh. */
interface OcctMesh {
  name?: string;
  color?: [number, number, number];
  attributes: { position: { array: number[] }; normal?: { array: number[] } };
  index: { array: number[] };
}
interface OcctResult {
  success: boolean;
  meshes: OcctMesh[];
}
interface Occt {
  ReadStepFile(content: Uint8Array, params: Record<string, unknown> | null): OcctResult;
  HEAPU8?: Uint8Array;
}
type OcctFactory = (module: {
  instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => object;
}) => Promise<Occt>;

/** A conversion that can never succeed (not a readable STEP, no geometry): retrying will not help. */
export class UnreadableStepError extends Error {
  override name = "UnreadableStepError";
}

export interface GlbResult {
  glb: Uint8Array;
  meshes: number;
  triangles: number;
  /** The WebAssembly heap after the read, in bytes (the conversion's memory high-water mark). */
  wasmHeapBytes: number;
}

/**
 * One occt instance per WASM module, made on first use. Emscripten's `instantiateWasm` hook is
 * given the precompiled module, so nothing is fetched or read from disk (Workers cannot).
 */
const instances = new WeakMap<WebAssembly.Module, Promise<Occt>>();
export function occtFor(wasm: WebAssembly.Module): Promise<Occt> {
  let occt = instances.get(wasm);
  if (!occt) {
    const factory = occtimportjs as unknown as OcctFactory;
    // Embind builds its wrappers during initialisation; Workers allow no `new Function` (see ./embind-invoker.ts).
    occt = withEmbindInvokers(() =>
      factory({
        instantiateWasm(imports, receive) {
          WebAssembly.instantiate(wasm, imports).then(
            (instance) => receive(instance, wasm),
            (err: unknown) => log("error", "occt-import-js WASM failed to instantiate", describeError(err)),
          );
          return {};
        },
      }),
    );
    occt.catch(() => instances.delete(wasm));
    instances.set(wasm, occt);
  }
  return occt;
}

/** Converts STEP bytes to a GLB. Throws `UnreadableStepError` when occt cannot read them. */
export async function stepToGlb(wasm: WebAssembly.Module, step: Uint8Array): Promise<GlbResult> {
  const occt = await occtFor(wasm);
  const result = occt.ReadStepFile(step, null);
  if (!result.success) throw new UnreadableStepError("The file could not be read as a STEP model (OpenCascade rejected it)");
  const meshes = result.meshes.filter((m) => m.index.array.length >= 3 && m.attributes.position.array.length >= 9);
  if (meshes.length === 0) throw new UnreadableStepError("The STEP file contains no solid geometry to show");

  const doc = new Document();
  const buffer = doc.createBuffer();
  const scene = doc.createScene("STEP");
  let triangles = 0;
  meshes.forEach((m, i) => {
    const name = m.name?.trim() || `Body ${i + 1}`;
    const position = doc.createAccessor(`${name} position`).setType("VEC3").setArray(new Float32Array(m.attributes.position.array)).setBuffer(buffer);
    const vertices = m.attributes.position.array.length / 3;
    const indices = vertices > 65_535 ? new Uint32Array(m.index.array) : new Uint16Array(m.index.array);
    const index = doc.createAccessor(`${name} index`).setType("SCALAR").setArray(indices).setBuffer(buffer);
    const prim = doc.createPrimitive().setAttribute("POSITION", position).setIndices(index);
    const normals = m.attributes.normal?.array;
    if (normals && normals.length === m.attributes.position.array.length) {
      prim.setAttribute("NORMAL", doc.createAccessor(`${name} normal`).setType("VEC3").setArray(new Float32Array(normals)).setBuffer(buffer));
    }
    const [r, g, b] = m.color ?? [0.7, 0.7, 0.72];
    prim.setMaterial(doc.createMaterial(`${name} material`).setBaseColorFactor([r, g, b, 1]).setMetallicFactor(0.1).setRoughnessFactor(0.6));
    triangles += m.index.array.length / 3;
    scene.addChild(doc.createNode(name).setMesh(doc.createMesh(name).addPrimitive(prim)));
  });
  const glb = await new WebIO().writeBinary(doc);
  return { glb, meshes: meshes.length, triangles, wasmHeapBytes: occt.HEAPU8?.byteLength ?? 0 };
}
