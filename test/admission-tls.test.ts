// The Kubernetes admission path as the API server drives it: AdmissionReview v1 requests, shaped exactly as
// kube-apiserver sends them (POST <path>?timeout=10s, application/json, the request's kind/resource/requestKind/
// userInfo/options and a real Pod object), over TLS to the service DNS name the webhook's caBundle certifies, with
// the API server's client certificate (mTLS) and a bearer token, as an admission kubeconfig gives it.
// Checks the AdmissionReview response (same uid, allowed, status.message) and that a malformed review is a 400
// with one log line and never an allowed response.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveServeConfig } from "../src/serve/config.ts";
import { startGateServer, type GateServer } from "../src/serve/server.ts";
import { buildSignedBundle, makeSigningKeys } from "./support/serve-bundle.ts";
import { makeCa, makeLeaf, type CertFiles } from "./support/tls-certs.ts";

/** The name a ValidatingWebhookConfiguration's clientConfig.service (tollgate in tollgate-system) is reached by. */
const SERVICE_DNS = "tollgate.tollgate-system.svc";
const TOKEN = "apiserver-webhook-token.c2VjcmV0";

let work: string;
let ca: CertFiles;
let apiserver: CertFiles;
let gate: GateServer;
const logs: string[] = [];

/** A Pod as the API server forwards it on CREATE (after defaulting: no uid yet, creationTimestamp null). */
function pod(containers: { name: string; image: string; privileged?: boolean }[]): Record<string, unknown> {
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: { name: "web-7d4b9c8f6-x2k9q", generateName: "web-7d4b9c8f6-", namespace: "shop", creationTimestamp: null, labels: { app: "web", "pod-template-hash": "7d4b9c8f6" }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d4b9c8f6", uid: "9f1d7e0a-3c2b-4a57-9d1e-2f6b8c0a4e11", controller: true, blockOwnerDeletion: true }] },
    spec: {
      volumes: [{ name: "kube-api-access-8xk2p", projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: "token" } }], defaultMode: 420 } }],
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image,
        ports: [{ containerPort: 8080, protocol: "TCP" }],
        resources: { limits: { cpu: "500m", memory: "256Mi" }, requests: { cpu: "100m", memory: "128Mi" } },
        volumeMounts: [{ name: "kube-api-access-8xk2p", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }],
        terminationMessagePath: "/dev/termination-log",
        terminationMessagePolicy: "File",
        imagePullPolicy: "IfNotPresent",
        securityContext: c.privileged ? { privileged: true } : { runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
      })),
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 30,
      dnsPolicy: "ClusterFirst",
      serviceAccountName: "default",
      serviceAccount: "default",
      securityContext: {},
      schedulerName: "default-scheduler",
      tolerations: [
        { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
        { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: "PreemptLowerPriority",
    },
    status: {},
  };
}

/** An AdmissionReview v1 request as kube-apiserver builds it (k8s.io/apiserver …/webhook/request). */
function review(uid: string, object: Record<string, unknown>, operation: "CREATE" | "UPDATE" = "CREATE", oldObject: Record<string, unknown> | null = null): Record<string, unknown> {
  return {
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: (object.metadata as { name: string }).name,
      namespace: "shop",
      operation,
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", uid: "5b0e3f3c-8a1e-4a55-b5a4-0d3c2e1f9a77", groups: ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"] },
      object,
      oldObject,
      dryRun: false,
      options: operation === "CREATE" ? { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" } : { kind: "UpdateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  };
}

/**
 * POST like the API server: to https://<service DNS>:<port>/v1/admission?timeout=10s, resolved to 127.0.0.1,
 * the server certificate checked against the caBundle for that name, with the API server's client certificate.
 * curl does it (its --resolve keeps the TLS name the service's); returns status and parsed body.
 */
async function send(body: string, o: { token?: string | null; cert?: CertFiles | null } = {}): Promise<{ status: number; type: string; body: any }> {
  const cert = o.cert === undefined ? apiserver : o.cert;
  const token = o.token === undefined ? TOKEN : o.token;
  const bodyFile = join(work, `body-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(bodyFile, body);
  const args = [
    "curl", "-sS", "--max-time", "10",
    "--resolve", `${SERVICE_DNS}:${gate.port}:127.0.0.1`,
    "--cacert", ca.cert,
    ...(cert ? ["--cert", cert.cert, "--key", cert.key] : []),
    "-H", "Content-Type: application/json", "-H", "Accept: application/json, */*", "-A", "kube-apiserver-admission",
    ...(token ? ["-H", `Authorization: Bearer ${token}`] : []),
    "--data-binary", `@${bodyFile}`,
    "-w", "\n%{http_code} %{content_type}",
    `https://${SERVICE_DNS}:${gate.port}/v1/admission?timeout=10s`,
  ];
  const p = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) return { status: 0, type: "", body: err.trim() };
  const nl = out.lastIndexOf("\n");
  const [status, type] = out.slice(nl + 1).split(" ");
  const text = out.slice(0, nl);
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: Number(status), type: type ?? "", body: parsed };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tollgate-admission-tls-"));
  ca = makeCa(work, "cluster-webhook-ca");
  const serving = makeLeaf(work, ca, "tollgate-webhook", "server", `DNS:${SERVICE_DNS},DNS:${SERVICE_DNS}.cluster.local`);
  apiserver = makeLeaf(work, ca, "kube-apiserver", "client");
  const keys = makeSigningKeys(work);
  const bundle = join(work, "gate.tar.gz");
  writeFileSync(bundle, await buildSignedBundle(work, "rev-admission", keys.priv, { admission: true }));
  writeFileSync(join(work, "tokens"), `${TOKEN}\n`);
  gate = await startGateServer(
    resolveServeConfig(
      {
        addr: "127.0.0.1:0",
        max_body_bytes: 64 * 1024,
        service: { instance_id: "gate-admission" },
        bundle: { file: bundle },
        keys: { k: { key_file: keys.pubFile, algorithm: "ES256" } },
        tls: { cert_file: serving.cert, key_file: serving.key, client_ca_file: ca.cert },
        auth: { bearer_tokens_file: "tokens" },
      },
      work,
      "0.0.0-test",
    ),
    { log: (l) => logs.push(l) },
  );
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  rmSync(work, { recursive: true, force: true });
});

const PINNED = "registry.example.com/shop/web@sha256:" + "4f".repeat(32);

describe("AdmissionReview v1 over TLS, as the API server sends it", () => {
  test("the server certificate is checked for the service name: a client expecting another name refuses it", async () => {
    const p = Bun.spawn(["curl", "-sS", "--max-time", "10", "--resolve", `other.tollgate-system.svc:${gate.port}:127.0.0.1`, "--cacert", ca.cert, "--cert", apiserver.cert, "--key", apiserver.key, `https://other.tollgate-system.svc:${gate.port}/health`], { stdout: "pipe", stderr: "pipe" });
    expect(await p.exited).toBe(60); // curl: SSL peer certificate or SSH remote key was not OK (name mismatch)
  });

  test("a pod with digest-pinned, unprivileged containers is allowed: same uid, no status", async () => {
    const r = await send(JSON.stringify(review("0df28fbd-5f5f-11e8-bc74-36e6bb280816", pod([{ name: "web", image: PINNED }]))));
    expect([r.status, r.type]).toEqual([200, "application/json"]);
    expect(r.body.apiVersion).toBe("admission.k8s.io/v1");
    expect(r.body.kind).toBe("AdmissionReview");
    expect(r.body.response.uid).toBe("0df28fbd-5f5f-11e8-bc74-36e6bb280816");
    expect(r.body.response.allowed).toBe(true);
    expect(r.body.response.status).toBeUndefined();
    expect(Object.keys(r.body.response.auditAnnotations)).toEqual(["tollgate-decision-id"]);
  });

  test("a pod with an unpinned and a privileged container is denied: same uid, 403, every reason in status.message", async () => {
    const r = await send(JSON.stringify(review("7a1c2f80-0b0c-4a4b-9c1e-53b1d2b4a9f0", pod([{ name: "web", image: "nginx:1.27" }, { name: "debug", image: PINNED, privileged: true }]))));
    expect(r.status).toBe(200); // a denial is an answered review, not an HTTP error
    expect(r.body.response.uid).toBe("7a1c2f80-0b0c-4a4b-9c1e-53b1d2b4a9f0");
    expect(r.body.response.allowed).toBe(false);
    expect(r.body.response.status.code).toBe(403);
    expect(r.body.response.status.reason).toBe("Forbidden");
    expect(r.body.response.status.message.split("; ").sort()).toEqual(["[k8s.digest-pinned] container web image nginx:1.27 is not pinned by digest", "[k8s.privileged] container debug is privileged"]);
  });

  test("UPDATE with oldObject: the new object is judged", async () => {
    const r = await send(JSON.stringify(review("c0ffee00-1111-4222-8333-444455556666", pod([{ name: "web", image: "nginx:latest" }]), "UPDATE", pod([{ name: "web", image: PINNED }]))));
    expect(r.body.response).toMatchObject({ uid: "c0ffee00-1111-4222-8333-444455556666", allowed: false });
  });

  test("each review is logged as a decision carrying its uid, not as an error", async () => {
    const before = logs.length;
    await send(JSON.stringify(review("d1d2d3d4-0000-4000-8000-000000000001", pod([{ name: "web", image: PINNED }]))));
    expect(logs.slice(before)).toEqual([]);
  });
});

describe("what the gate refuses on the admission path: its status, one log line, never allowed", () => {
  const malformed: [string, string, RegExp][] = [
    ["not JSON", "{apiVersion: admission.k8s.io/v1", /^400 POST \/v1\/admission: \/v1\/admission: request body is not valid JSON: /],
    ["empty", "", /^400 POST \/v1\/admission: \/v1\/admission: empty request body \(want JSON\)$/],
    ["a JSON array", JSON.stringify([review("u", pod([{ name: "web", image: PINNED }]))]), /want an AdmissionReview with apiVersion "admission\.k8s\.io\/v1"$/],
    ["admission.k8s.io/v1beta1", JSON.stringify({ ...review("u-b1", pod([{ name: "web", image: PINNED }])), apiVersion: "admission.k8s.io/v1beta1" }), /want an AdmissionReview with apiVersion "admission\.k8s\.io\/v1"$/],
    ["another kind", JSON.stringify({ ...review("u-k", pod([{ name: "web", image: PINNED }])), kind: "Pod" }), /want an AdmissionReview/],
    ["no request", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }), /request\.uid is missing$/],
    ["an empty uid", JSON.stringify(review("", pod([{ name: "web", image: PINNED }]))), /request\.uid is missing$/],
    ["a numeric uid", JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: 42, object: pod([{ name: "web", image: PINNED }]) } }), /request\.uid is missing$/],
  ];
  for (const [what, body, line] of malformed) {
    test(`malformed (${what}): 400, one log line, no response`, async () => {
      const before = logs.length;
      const r = await send(body);
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("invalid_parameter");
      expect(r.body.response).toBeUndefined();
      expect(JSON.stringify(r.body)).not.toContain('"allowed"');
      expect(logs.slice(before)).toHaveLength(1);
      expect(logs[before]).toMatch(line);
    });
  }

  test("an oversized review: 413, one log line", async () => {
    const before = logs.length;
    const big = review("big-1", { ...pod([{ name: "web", image: PINNED }]), metadata: { name: "big", annotations: { pad: "p".repeat(100_000) } } });
    const r = await send(JSON.stringify(big));
    expect(r.status).toBe(413);
    expect(r.body.response).toBeUndefined();
    expect(logs.slice(before)).toHaveLength(1);
    expect(logs[before]).toMatch(/^413 POST \/v1\/admission: request body of \d+ bytes exceeds max_body_bytes \(65536\)$/);
  });

  test("without the API server's token: 401, one log line, never reviewed", async () => {
    const before = logs.length;
    const r = await send(JSON.stringify(review("tok-1", pod([{ name: "web", image: "nginx:latest" }]))), { token: null });
    expect(r.status).toBe(401);
    expect(r.body.response).toBeUndefined();
    expect(logs.slice(before)).toEqual(["401 POST /v1/admission: no Authorization header"]);
    const wrong = await send(JSON.stringify(review("tok-2", pod([{ name: "web", image: PINNED }]))), { token: "stolen-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.body.response).toBeUndefined();
  });

  test("without the API server's client certificate: the handshake is refused, one log line", async () => {
    const before = logs.length;
    const r = await send(JSON.stringify(review("cert-1", pod([{ name: "web", image: PINNED }]))), { cert: null });
    expect(r.status).toBe(0); // no HTTP answer at all
    for (let i = 0; i < 100 && logs.length === before; i++) await Bun.sleep(20);
    expect(logs.slice(before)).toHaveLength(1);
    expect(logs[before]).toMatch(/^tls: refused 127\.0\.0\.1:\d+: no client certificate/);
  });

  test("after all of that the gate still reviews", async () => {
    const r = await send(JSON.stringify(review("after-1", pod([{ name: "web", image: PINNED }]))));
    expect(r.body.response).toMatchObject({ uid: "after-1", allowed: true });
  });
});
