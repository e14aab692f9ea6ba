// Libraries that only some evidence needs are loaded on first use, synchronously (parse steps are
// synchronous). Importing them all up front made every cold start pay for every kind's parsers.
// Callers pass a literal `() => require("x")`: the bundler (`bun build --compile`) sees the specifier and
// embeds the module, and it still runs only when the getter is first called.

/** A getter that runs `load` (a literal require) the first time it is called. */
export function lazy<T>(load: () => T): () => T {
  let mod: T | undefined;
  return () => (mod ??= load());
}

/**
 * node:os, loaded on first use: a static import anywhere is hoisted into the compiled binary's start (~1.5 ms of a
 * cold eval) although only some commands need a temp dir, a home dir or the host name.
 */
export const nodeOs = lazy(() => require("node:os") as typeof import("node:os"));
