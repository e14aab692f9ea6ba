// JSON (conftest parser/json: encoding/json after stripping a UTF-8 BOM). JSON.parse agrees with Go's
// decoder on the value; Go rejects what JSON.parse rejects.
import { malformed, text, type Parser } from "./types.ts";

export const json: Parser = {
  name: "json",
  parse(bytes, ctx) {
    try {
      return JSON.parse(text(bytes));
    } catch (e) {
      throw malformed(ctx, "JSON", (e as Error).message, e);
    }
  },
};
