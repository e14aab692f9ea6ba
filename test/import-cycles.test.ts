// House rule: no import cycles under src/ (static, type-only and literal dynamic imports alike). A cycle makes
// module order matter and, for the single binary, hides what a module really needs behind a deferred import.
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "./support/fixtures.ts";

test("src/ has no import cycles", () => {
  const src = join(REPO_ROOT, "src");
  const files = readdirSync(src, { recursive: true }).map(String).filter((f) => /\.(ts|js)$/.test(f)).map((f) => join(src, f));
  const known = new Set(files);
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const deps = [...text.matchAll(/(?:\bfrom|\bimport\(|\brequire\()\s*"(\.[^"]+)"/g)].map((m) => resolve(dirname(f), m[1]!)).filter((d) => known.has(d));
    edges.set(f, deps);
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (n: string) => {
    path.push(n);
    for (const d of edges.get(n) ?? []) {
      const at = path.indexOf(d);
      if (at >= 0) cycles.push([...path.slice(at), d].map((p) => relative(src, p)).join(" → "));
      else if (!done.has(d)) visit(d);
    }
    path.pop();
    done.add(n);
  };
  for (const f of files) if (!done.has(f)) visit(f);
  expect(cycles).toEqual([]);
});

// House rule: imports flow downward. The verifiers (sigstore/), the primitives (crypto/) and telemetry/ sit below
// the evidence kinds; shared types live in core/.
test("sigstore/, crypto/ and telemetry/ never import from evidence/", () => {
  const src = join(REPO_ROOT, "src");
  const offending: string[] = [];
  for (const dir of ["sigstore", "crypto", "telemetry"]) {
    for (const f of readdirSync(join(src, dir), { recursive: true }).map(String).filter((f) => /\.(ts|js)$/.test(f))) {
      const file = join(src, dir, f);
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/(?:\bfrom|\bimport\(|\brequire\()\s*"(\.[^"]+)"/g)) {
        const target = relative(src, resolve(dirname(file), m[1]!));
        if (target === "evidence" || target.startsWith("evidence/")) offending.push(`${relative(src, file)} → ${target}`);
      }
    }
  }
  expect(offending).toEqual([]);
});
