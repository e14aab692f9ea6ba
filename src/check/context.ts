// The engine a conftest-style check runs on, set up one way for `tollgate test` and `tollgate policy-test`: the
// compiled policy with the data, OPA's host built-ins (print() lines filed under their call site, as conftest
// prints them) and conftest's own parse_config built-ins answered by tollgate's parsers.
import { PolicyEngine } from "../policy/evaluator.ts";
import { hostBuiltins, type HostOptions } from "../policy/host-builtins.ts";
import { regoCompare, regoText } from "../policy/builtins.ts";
import { setMembers } from "../policy/wasm-values.ts";
import { ConftestBuiltins } from "./conftest-builtins.ts";
import { SITE_MARKER, type CheckPolicy } from "./policy.ts";
import type { CheckContext, PrintSink } from "./run.ts";

/** OPA's print: the cross product of the operands (each a set of values; empty is `<undefined>`), space-joined. */
function printLines(operands: unknown[]): string[] {
  let lines = [""];
  operands.forEach((operand, i) => {
    const set = setMembers(operand) ?? operand;
    const texts = !Array.isArray(set) ? [regoText(set)] : set.length === 0 ? ["<undefined>"] : [...set].sort(regoCompare).map((v) => (typeof v === "string" ? v : regoText(v)));
    lines = lines.flatMap((l) => texts.map((t) => (i === 0 ? t : `${l} ${t}`)));
  });
  return lines;
}

/**
 * The context `checkDocument` and the policy-test runner evaluate in. `dataSource` names the data in messages;
 * `host` is everything but print, which writes `site: line` into the context's `prints`.
 */
export async function checkContext(policy: CheckPolicy, data: Record<string, unknown>, dataSource: string, host: Omit<HostOptions, "print">): Promise<CheckContext> {
  const prints: PrintSink = { lines: [] };
  const builtins = hostBuiltins({
    ...host,
    print: (operands) => {
      const [firstOperand, ...rest] = operands;
      const first = setMembers(firstOperand) ?? firstOperand;
      const marker = Array.isArray(first) && typeof first[0] === "string" && first[0].startsWith(SITE_MARKER) ? first[0] : undefined;
      const site = marker ? policy.sites[Number(marker.slice(SITE_MARKER.length))] : undefined;
      for (const line of printLines(marker ? rest : operands)) prints.lines.push(`${site ?? policy.source}: ${line}\n`);
    },
  });
  const parse = new ConftestBuiltins(policy.sites);
  const engine = policy.bundle ? await PolicyEngine.create(policy.bundle, [{ source: dataSource, data }], { ...builtins, ...parse.builtins() }) : undefined;
  return { policy, ...(engine ? { engine } : {}), prints, data: engine ? engine.data : data, settle: () => parse.settle() };
}
