/**
 * Workers forbid code generation from strings (`new Function`), and the occt-import-js build uses
 * it in one place: embind's `craftInvokerFunction` compiles a small JS wrapper per bound C++
 * function (`createJsInvoker`). This module stands in for `Function` while the module
 * initialises: it recognises exactly the wrappers that generator writes (it rebuilds the
 * expected source from the parameter names and compares it character for character) and returns
 * a closure that does the same thing. Any other source is refused.
 */

type Fn = (...args: unknown[]) => unknown;
interface WireType {
  toWireType(destructors: unknown[] | null, value: unknown): unknown;
  fromWireType(value: unknown): unknown;
}

/** The source embind's createJsInvoker writes for these parameters (same template, same order). */
function expectedBody(argCount: number, isClass: boolean, needsStack: boolean, returns: boolean, dtors: readonly string[]): string {
  const argsList = Array.from({ length: argCount }, (_, i) => `arg${i}`).join(",");
  const wired = ["fn", ...(isClass ? ["thisWired"] : []), ...Array.from({ length: argCount }, (_, i) => `arg${i}Wired`)].join(",");
  let body = `return function (${argsList}) {\n`;
  if (needsStack) body += "var destructors = [];\n";
  const stack = needsStack ? "destructors" : "null";
  if (isClass) body += `var thisWired = classParam['toWireType'](${stack}, this);\n`;
  for (let i = 0; i < argCount; i++) body += `var arg${i}Wired = argType${i}['toWireType'](${stack}, arg${i});\n`;
  body += `${returns ? "var rv = " : ""}invoker(${wired});\n`;
  if (needsStack) body += "runDestructors(destructors);\n";
  else for (const name of dtors) body += `${name}_dtor(${name});\n`;
  if (returns) body += "var ret = retType['fromWireType'](rv);\nreturn ret;\n";
  return `${body}}\n`;
}

const FIXED = ["humanName", "throwBindingError", "invoker", "fn", "runDestructors", "retType", "classParam"];

/** Builds the invoker factory for one `new Function(...names, body)` call, or throws. */
export function embindInvokerFactory(names: readonly string[], body: string): (...closure: unknown[]) => Fn {
  if (FIXED.some((n, i) => names[i] !== n)) throw new EvalError("Code generation from strings is not available here");
  const rest = names.slice(FIXED.length);
  const argCount = rest.filter((n) => /^argType\d+$/.test(n)).length;
  const dtors = rest.filter((n) => n.endsWith("_dtor")).map((n) => n.slice(0, -"_dtor".length));
  const isClass = body.includes("var thisWired = ");
  const needsStack = body.includes("var destructors = [];");
  const returns = body.includes("var rv = ");
  if (body !== expectedBody(argCount, isClass, needsStack, returns, dtors)) throw new EvalError("Code generation from strings is not available here");
  return (...closure: unknown[]) => {
    const scope = new Map(names.map((n, i) => [n, closure[i]]));
    const invoker = scope.get("invoker") as Fn;
    const fn = scope.get("fn");
    const runDestructors = scope.get("runDestructors") as (d: unknown[]) => void;
    const retType = scope.get("retType") as WireType;
    const classParam = scope.get("classParam") as WireType;
    const argTypes = Array.from({ length: argCount }, (_, i) => scope.get(`argType${i}`) as WireType);
    const dtorFns = dtors.map((name) => [name, scope.get(`${name}_dtor`) as Fn] as const);
    return function (this: unknown, ...args: unknown[]) {
      const destructors: unknown[] | null = needsStack ? [] : null;
      const values = new Map<string, unknown>();
      const wired: unknown[] = [fn];
      if (isClass) {
        const thisWired = classParam.toWireType(destructors, this);
        values.set("thisWired", thisWired);
        wired.push(thisWired);
      }
      argTypes.forEach((type, i) => {
        const value = type.toWireType(destructors, args[i]);
        values.set(`arg${i}Wired`, value);
        wired.push(value);
      });
      const rv = invoker(...wired);
      if (destructors) runDestructors(destructors);
      else for (const [name, dtor] of dtorFns) dtor(values.get(name));
      return returns ? retType.fromWireType(rv) : undefined;
    };
  };
}

/**
 * Runs `init` with `globalThis.Function` standing in as above (keeping `instanceof Function`
 * and `Function.prototype` intact), and puts the real one back when it settles.
 */
export async function withEmbindInvokers<T>(init: () => Promise<T>): Promise<T> {
  const original = globalThis.Function;
  const stand = ((...parts: string[]) => {
    const body = parts.at(-1) ?? "";
    return embindInvokerFactory(parts.slice(0, -1), body);
  }) as unknown as FunctionConstructor;
  Object.defineProperty(stand, "prototype", { value: original.prototype });
  globalThis.Function = stand;
  try {
    return await init();
  } finally {
    globalThis.Function = original;
  }
}
