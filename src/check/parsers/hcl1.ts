// HCL1 (conftest parser/hcl1: hashicorp/hcl v1 Unmarshal into interface{}). Library: js-hcl-parser, a
// GopherJS build of that same hashicorp/hcl v1 decoder (its parse() is hcl.Unmarshal then json.Marshal), so
// blocks come out as conftest's lists of objects.
import { malformed, text, type Parser } from "./types.ts";

let lib: { parse(s: string): string } | undefined;

export const hcl1: Parser = {
  name: "hcl1",
  async parse(bytes, ctx) {
    // @ts-expect-error: the package ships no types
    lib ??= (await import("js-hcl-parser")).default as { parse(s: string): string };
    const out = lib.parse(text(bytes));
    if (out.startsWith("unable to parse JSON: ") || out.startsWith("unable to print JSON: ")) throw malformed(ctx, "HCL1", out.replace(/^unable to (parse|print) JSON: /, ""));
    return JSON.parse(out);
  },
};
