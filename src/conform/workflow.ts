// I6: "Validate the log schema in CI": a CI step that runs the log-contract check.
// I3: "NOT ship a release with id-token/signing capability present but unused", read from a GitHub Actions
// workflow. A job holds id-token: write when its own `permissions` grant it, or, having none, the workflow's do
// (`write-all` included). It exercises it when a step (or the job itself, calling a reusable workflow) signs or
// attests: actions/attest*, Sigstore actions, the SLSA generator, pypa/gh-action-pypi-publish (PEP 740
// attestations unless `attestations: false`), or a run step calling cosign sign/attest, `gh attestation attest`
// or `npm publish --provenance`. Facts only; the verdict is Rego's.
import { TollgateError } from "../core/errors.ts";
import { readUserFile } from "../core/read.ts";

export interface WorkflowJob {
  id: string;
  id_token_write: boolean;
  signing_steps: string[];
  /** Steps that run the log-contract check (I6: `tollgate conform I6`, the reference verify-log-contract.sh). */
  log_contract_steps: string[];
}

const LOG_CONTRACT = /\bconform\s+I6\b|verify-log-contract/;

export interface WorkflowFacts {
  given: true;
  path: string;
  jobs: WorkflowJob[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** undefined: the key says nothing (inherit); true/false: it grants id-token: write or not. */
function grantsIdToken(permissions: unknown): boolean | undefined {
  if (permissions === undefined) return undefined;
  if (permissions === "write-all") return true;
  if (typeof permissions === "string") return false; // read-all, or an expression
  if (isObject(permissions)) return permissions["id-token"] === "write";
  return false;
}

const SIGNING_ACTIONS = [
  /^actions\/attest(-build-provenance|-sbom)?@/,
  /^sigstore\/gh-action-sigstore-python@/,
  /^slsa-framework\/slsa-github-generator\//,
  /^github\/actions\/attest/,
];

const SIGNING_COMMANDS = [
  /\bcosign\s+(sign|attest|sign-blob|attest-blob)\b/,
  /\bgh\s+attestation\s+attest\b/,
  /\bnpm\s+publish\b[^\n]*--provenance\b/,
  /\bsigstore\s+sign\b/,
];

function signingStep(step: Record<string, unknown>): string | undefined {
  const uses = typeof step.uses === "string" ? step.uses : undefined;
  const label = typeof step.name === "string" ? step.name : uses ?? (typeof step.run === "string" ? step.run.split("\n")[0]! : "step");
  if (uses && SIGNING_ACTIONS.some((r) => r.test(uses))) return label;
  if (uses && /^pypa\/gh-action-pypi-publish@/.test(uses)) {
    const w = isObject(step.with) ? step.with : {};
    return w.attestations === false || w.attestations === "false" ? undefined : label;
  }
  const run = typeof step.run === "string" ? step.run : "";
  if (SIGNING_COMMANDS.some((r) => r.test(run))) return label;
  const env = isObject(step.env) ? step.env : {};
  if (/\bnpm\s+publish\b/.test(run) && String(env.NPM_CONFIG_PROVENANCE ?? "").toLowerCase() === "true") return label;
  return undefined;
}

export async function analyzeWorkflow(path: string): Promise<WorkflowFacts> {
  const text = new TextDecoder().decode(await readUserFile(path, "workflow"));
  let doc: unknown;
  try {
    doc = (await import("yaml")).default.parse(text);
  } catch (e) {
    throw new TollgateError("malformed", `workflow is not YAML: ${(e as Error).message.split("\n")[0]}`, path);
  }
  if (!isObject(doc) || !isObject(doc.jobs)) throw new TollgateError("schema_invalid", "not a GitHub Actions workflow: no jobs mapping", path);
  const top = grantsIdToken(doc.permissions) ?? false;
  const jobs: WorkflowJob[] = [];
  for (const [id, job] of Object.entries(doc.jobs)) {
    if (!isObject(job)) continue;
    const grants = grantsIdToken(job.permissions) ?? top;
    const signing: string[] = [];
    const logContract: string[] = [];
    // A job that calls a reusable workflow signs there (the SLSA generator, a signing workflow).
    if (typeof job.uses === "string" && (SIGNING_ACTIONS.some((r) => r.test(job.uses as string)) || /sign|attest|provenance|slsa/i.test(job.uses))) signing.push(job.uses);
    for (const step of Array.isArray(job.steps) ? job.steps : []) {
      if (!isObject(step)) continue;
      const s = signingStep(step);
      if (s) signing.push(s);
      if (typeof step.run === "string" && LOG_CONTRACT.test(step.run)) logContract.push(typeof step.name === "string" ? step.name : step.run.split("\n")[0]!);
    }
    jobs.push({ id, id_token_write: grants, signing_steps: signing, log_contract_steps: logContract });
  }
  return { given: true, path, jobs };
}
