/** Vite's `?raw` imports (test fixtures read as text at test time). */
declare module "*?raw" {
  const text: string;
  export default text;
}
