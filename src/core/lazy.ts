// Libraries that only some evidence needs are loaded on first use, synchronously (parse steps are
// synchronous). Importing them all up front made every cold start pay for every kind's parsers.
import { createRequire } from "node:module";

const req = createRequire(import.meta.url);

/** A getter that requires `specifier` the first time it is called. */
export function lazyRequire<T>(specifier: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= req(specifier) as T);
}
