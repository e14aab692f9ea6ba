// The Kubernetes manifests under deploy/kubernetes/, schema-checked with kubernetes-models (the Kubernetes
// OpenAPI schemas compiled to ajv validators, offline), the properties the issue asks for checked one by one,
// and the ConfigMap's serve config validated against schemas/serve-config.schema.json and held against the Deployment's port and mounts.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ValidatingWebhookConfiguration } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration";
import schema from "../schemas/serve-config.schema.json" with { type: "json" };
import { describeErrors, validator } from "../src/core/schema.ts";
import { parseAddr } from "../src/serve/config.ts";
import { REPO_ROOT } from "./support/fixtures.ts";

const DIR = join(REPO_ROOT, "deploy/kubernetes");
const models: Record<string, new (o: any) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap, "v1/Namespace": Namespace, "v1/Service": Service, "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget, "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": ValidatingWebhookConfiguration,
};

const docs: { file: string; obj: any }[] = readdirSync(DIR).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml").sort().flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { file, obj: d.toJS() };
  }),
);
const one = (kind: string) => { const m = docs.filter((d) => d.obj.kind === kind); expect(m.length).toBe(1); return m[0]!.obj; };

/** The Kubernetes schema's verdict on one object: [] when valid, else the validator's message. */
function k8sProblems(obj: any): string[] {
  const M = models[`${obj.apiVersion}/${obj.kind}`];
  if (!M) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  try { new M(obj).validate(); return []; } catch (e) { return [String((e as Error).message)]; }
}

/** A Kubernetes CPU quantity ("2", "1500m", 0.5) in CPUs; undefined when absent or not a CPU quantity. */
function cpus(q: unknown): number | undefined {
  if (typeof q === "number") return q;
  const m = typeof q === "string" ? /^(\d+(?:\.\d+)?)(m?)$/.exec(q) : null;
  return m ? Number(m[1]) / (m[2] ? 1000 : 1) : undefined;
}

describe("deploy/kubernetes", () => {
  test("every manifest is valid against the Kubernetes schema of its kind; kustomization lists them all", () => {
    expect(docs.map((d) => d.obj.kind).sort()).toEqual(["ConfigMap", "Deployment", "Namespace", "PodDisruptionBudget", "Service", "ValidatingWebhookConfiguration"]);
    for (const d of docs) expect({ file: d.file, problems: k8sProblems(d.obj) }).toEqual({ file: d.file, problems: [] });
    const kust = parseAllDocuments(readFileSync(join(DIR, "kustomization.yaml"), "utf8"))[0]!.toJS();
    expect([...kust.resources].sort()).toEqual([...new Set(docs.map((d) => d.file))].sort());
  });

  test("the schema check is real: broken objects are refused", () => {
    const dep = structuredClone(one("Deployment"));
    dep.spec.replicas = "three";
    expect(k8sProblems(dep)[0]).toContain("replicas must be integer");
    const wh = structuredClone(one("ValidatingWebhookConfiguration"));
    delete wh.webhooks[0].sideEffects;
    expect(k8sProblems(wh)[0]).toContain("sideEffects");
    const svc = structuredClone(one("Service"));
    svc.spec.ports[0].port = "https";
    expect(k8sProblems(svc).length).toBe(1);
  });

  test("Deployment: 2+ replicas, probes on /health and /ready, resources, a locked-down security context", () => {
    const dep = one("Deployment");
    expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = dep.spec.template.spec;
    expect(dep.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.containers.length).toBe(1);
    const c = pod.containers[0];
    expect(c.livenessProbe.httpGet).toMatchObject({ path: "/health", scheme: "HTTPS" });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: "/ready", scheme: "HTTPS" });
    expect(c.resources.requests.cpu).toBeTruthy();
    expect(c.resources.requests.memory).toBeTruthy();
    expect(c.resources.limits.memory).toBeTruthy();
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
    });
    // Read-only root: the only writable mount is the emptyDir on /tmp (TMPDIR), where TLS keeps its sockets.
    const vols = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    const writable = c.volumeMounts.filter((m: any) => !m.readOnly);
    expect(writable.map((m: any) => [m.mountPath, Object.keys(vols[m.name]).filter((k) => k !== "name")])).toEqual([["/tmp", ["emptyDir"]]]);
    expect(c.env).toContainEqual({ name: "TMPDIR", value: "/tmp" });
    // The config is mounted where the args point, from the ConfigMap.
    expect(c.args).toEqual(["--config", "/etc/tollgate/config.yaml"]);
    const cfgMount = c.volumeMounts.find((m: any) => m.mountPath === "/etc/tollgate");
    expect(vols[cfgMount.name].configMap.name).toBe(one("ConfigMap").metadata.name);
    // Each secret the config names is mounted.
    for (const s of ["tollgate-tls", "tollgate-auth", "tollgate-bundle-key", "tollgate-registry"]) expect(pod.volumes.some((v: any) => v.secret?.secretName === s)).toBe(true);
  });

  test("Service and PodDisruptionBudget select the Deployment's pods; the PDB keeps at least 2 (or allows at most replicas-1 down)", () => {
    const dep = one("Deployment");
    const labels = dep.spec.template.metadata.labels;
    const svc = one("Service");
    expect(svc.spec.selector).toEqual(labels);
    const port = dep.spec.template.spec.containers[0].ports[0];
    expect(svc.spec.ports[0].targetPort === port.name || svc.spec.ports[0].targetPort === port.containerPort).toBe(true);
    const pdb = one("PodDisruptionBudget");
    expect(pdb.spec.selector.matchLabels).toEqual(labels);
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.minAvailable).toBeLessThan(dep.spec.replicas);
  });

  test("ValidatingWebhookConfiguration: /v1/admission on the Service, failurePolicy Fail, v1 reviews, no side effects", () => {
    const wh = one("ValidatingWebhookConfiguration");
    expect(wh.webhooks.length).toBe(1);
    const w = wh.webhooks[0];
    expect(w).toMatchObject({ failurePolicy: "Fail", sideEffects: "None", admissionReviewVersions: ["v1"] });
    expect(w.timeoutSeconds).toBeGreaterThanOrEqual(1);
    expect(w.timeoutSeconds).toBeLessThanOrEqual(30); // the API server's bound
    const svc = one("Service");
    expect(w.clientConfig.service).toEqual({ namespace: svc.metadata.namespace, name: svc.metadata.name, path: "/v1/admission", port: svc.spec.ports[0].port });
    expect(Buffer.from(w.clientConfig.caBundle, "base64").toString()).toBe("REPLACE_WITH_BASE64_CA_BUNDLE");
    // Fail-closed must not lock the gate's own namespace (its pods could never start) or kube-system.
    const ex = w.namespaceSelector.matchExpressions.find((e: any) => e.key === "kubernetes.io/metadata.name");
    expect(ex.operator).toBe("NotIn");
    expect(ex.values).toContain(svc.metadata.namespace);
    expect(ex.values).toContain("kube-system");
  });

  test("the ConfigMap's serve config validates against serve-config.schema.json and matches the Deployment", () => {
    const cm = one("ConfigMap");
    const cfg = parseAllDocuments(cm.data["config.yaml"])[0]!.toJS();
    const valid = validator(schema);
    expect(valid(cfg) ? "" : describeErrors(valid.errors)).toBe("");
    expect(cfg.bundle.oci).toMatch(/^oci:\/\//);
    expect(cfg.tls).toMatchObject({ cert_file: "/var/run/tollgate/tls/tls.crt", key_file: "/var/run/tollgate/tls/tls.key" });
    expect(parseAddr(cfg.addr).hostname).toBe("0.0.0.0"); // reachable from the Service, not only loopback
    expect(parseAddr(cfg.addr).port).toBe(one("Deployment").spec.template.spec.containers[0].ports[0].containerPort);
    // Every file the config names lies under a read-only mount of the Deployment.
    const mounts = one("Deployment").spec.template.spec.containers[0].volumeMounts.filter((m: any) => m.readOnly).map((m: any) => m.mountPath + "/");
    const files = [cfg.tls.cert_file, cfg.tls.key_file, cfg.auth.bearer_tokens_file, cfg.keys.bundle.key_file, cfg.registry.config_file];
    for (const f of files) expect({ f, mounted: mounts.some((m: string) => f.startsWith(m)) }).toEqual({ f, mounted: true });
    // workers is explicit (not `auto`, which counts the node's CPUs) and is the CPUs the pod is given: its CPU
    // limit, in whole CPUs, with the request equal to it.
    const res = one("Deployment").spec.template.spec.containers[0].resources;
    expect({ workers: cfg.workers, limit: cpus(res.limits?.cpu), request: cpus(res.requests?.cpu) }).toEqual({ workers: cpus(res.limits?.cpu), limit: cfg.workers, request: cfg.workers });
    expect(Number.isInteger(cfg.workers) && cfg.workers >= 1).toBe(true);
    // And a typo in the config is caught by the same check.
    const bad = { ...cfg, tls: { ...cfg.tls, certfile: "x" } };
    expect(valid(bad)).toBe(false);
  });
});
