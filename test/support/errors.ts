// The TollgateError a function throws (a test fails if it throws anything else, or nothing).
import { TollgateError } from "../../src/core/errors.ts";

export function thrown(f: () => unknown): TollgateError {
  try {
    f();
  } catch (e) {
    if (e instanceof TollgateError) return e;
    throw e;
  }
  throw new Error("expected a TollgateError");
}
