// The part of Bun's FFI that src/runtime/bun-setup.ts uses, typed here so that `tsc` checks it without bun-types.
declare module 'bun:ffi' {
  export const FFIType: { readonly i32: number; readonly ptr: number };
  export function ptr(view: ArrayBufferView): number;
  export function dlopen<S extends Record<string, { args: readonly number[]; returns: number }>>(
    path: string,
    symbols: S,
  ): { symbols: { [K in keyof S]: (...args: unknown[]) => unknown }; close(): void };
}
