// The precompiled validators are the ones used, and only for the exact schema they were generated from.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FOREIGN_SCHEMAS } from "../scripts/build-validators.ts";
import { precompiledValidator, validator } from "../src/core/schema.ts";
import { sarifValidator } from "../src/evidence/dast/sarif.ts";
import inputSchema from "../schemas/input-v1.schema.json" with { type: "json" };
import { REPO_ROOT } from "./support/fixtures.ts";

const schemaOf = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, "schemas", file), "utf8"));

describe("precompiled validators", () => {
  for (const f of FOREIGN_SCHEMAS) {
    test(`${f.name}: a generated module exists and matches schemas/${f.file}`, () => {
      const v = precompiledValidator(f.name, schemaOf(f.file));
      expect(typeof v).toBe("function");
    });
  }

  test("a schema that differs from the generated one gets no precompiled validator", () => {
    const changed = { ...schemaOf("sarif-2.1.0-errata01.schema.json"), title: "edited" };
    expect(precompiledValidator("sarif-2.1.0-errata01", changed)).toBeUndefined();
    expect(precompiledValidator("no-such-schema", {})).toBeUndefined();
  });

  test("the SARIF consumer uses the precompiled module, and it judges like the schema says", () => {
    const v = sarifValidator();
    expect(v).toBe(precompiledValidator("sarif-2.1.0-errata01", schemaOf("sarif-2.1.0-errata01.schema.json"))!);
    expect(v({ version: "2.1.0", runs: [] })).toBe(true);
    expect(v({ version: "2.0.0", runs: [] })).toBe(false);
  });

  test("a Draft 2020-12 schema in schemas/ is precompiled; an edited copy is compiled at run time and still right", () => {
    const pre = validator(inputSchema);
    const edited = structuredClone(inputSchema) as Record<string, unknown>;
    edited.title = "edited";
    const runtime = validator(edited);
    expect(runtime).not.toBe(pre);
    for (const v of [pre, runtime]) {
      expect(v({ apiVersion: "tollgate/input/v1", context: { time: "2026-01-01T00:00:00Z", trust: { keys: [], identities: [] } }, evidence: [], errors: [] })).toBe(true);
      expect(v({ apiVersion: "tollgate/input/v2" })).toBe(false);
    }
  });
});
