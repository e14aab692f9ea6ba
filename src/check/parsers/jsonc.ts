// JSONC (conftest parser/jsonc: muhammadmuzzammil1998/jsonc). Ported byte for byte: that translator drops
// //, /* */ and # comments and every space and tab outside strings (it does not allow trailing commas), then
// the result is JSON.
import { malformed, type Parser } from "./types.ts";

function translate(s: Uint8Array): Uint8Array {
  const j = new Uint8Array(s.length);
  let i = 0, quote = false, escaped = false;
  const c = { canStart: false, canEnd: false, started: false, single: false };
  const stop = () => { c.started = false; c.canStart = false; };
  const start = (ch: number) => { c.started = true; c.single = ch === 47 || ch === 35; };
  for (const ch of s) {
    if (ch === 92 || escaped) {
      if (!c.started) j[i++] = ch;
      escaped = !escaped;
      continue;
    }
    if (ch === 34) quote = !quote;
    if ((ch === 32 || ch === 9) && !quote) continue;
    if (ch === 10) {
      if (c.single) stop();
      continue;
    }
    if (quote && !c.started) {
      j[i++] = ch;
      continue;
    }
    if (c.started) {
      if (ch === 42 && !c.single) { c.canEnd = true; continue; }
      if (c.canEnd && ch === 47 && !c.single) { stop(); continue; }
      c.canEnd = false;
      continue;
    }
    if (c.canStart && (ch === 42 || ch === 47)) { start(ch); continue; }
    if (ch === 47) { c.canStart = true; continue; }
    if (ch === 35) { start(ch); continue; }
    j[i++] = ch;
  }
  return j.subarray(0, i);
}

export const jsonc: Parser = {
  name: "jsonc",
  parse(bytes, ctx) {
    try {
      return JSON.parse(new TextDecoder().decode(translate(bytes)));
    } catch (e) {
      throw malformed(ctx, "JSONC", (e as Error).message, e);
    }
  },
};
