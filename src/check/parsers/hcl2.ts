// HCL2 / Terraform (conftest parser/hcl2: tmccombs/hcl2json's convert). Library: @cdktf/hcl2json, HashiCorp's
// WebAssembly build of that same converter (blocks as nested objects of lists, expressions as "${…}"
// strings), so the document is the one conftest produces.
import { malformed, text, type Parser } from "./types.ts";

// Imported by a non-literal name so tsc does not read the package's types: they pull in the DOM lib
// (`/// <reference lib="dom" />`), which clashes with Bun's.
const HCL2JSON: string = "@cdktf/hcl2json";

export const hcl2: Parser = {
  name: "hcl2",
  async parse(bytes, ctx) {
    const { parse } = (await import(HCL2JSON)) as { parse(file: string, src: string): Promise<unknown> };
    try {
      return await parse(ctx.path, text(bytes));
    } catch (e) {
      const msg = (e instanceof Error ? e.message : String(e)).replace(/^parse config: \[?/, "").replace(/\]$/, "");
      throw malformed(ctx, "HCL", msg, e);
    }
  },
};
