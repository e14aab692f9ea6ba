import { githubReporter } from "./github.ts";
import { jsonReporter } from "./json.ts";
import { junitReporter } from "./junit.ts";
import { markdownReporter } from "./markdown.ts";
import { sarifReporter } from "./sarif.ts";
import { tapReporter } from "./tap.ts";
import { textReporter } from "./text.ts";
import type { Reporter } from "./types.ts";

export const reporters: Readonly<Record<string, Reporter>> = Object.fromEntries(
  [textReporter, jsonReporter, junitReporter, sarifReporter, githubReporter, tapReporter, markdownReporter].map((r) => [r.name, r]),
);

export const OUTPUT_FORMATS = Object.keys(reporters);
export type { GateReport, Reporter } from "./types.ts";
