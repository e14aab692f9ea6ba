// Certificates for the TLS tests, made at test time with the real `openssl` CLI: a CA, server certificates for
// 127.0.0.1 (SAN IP) and client certificates, each in its own PEM files.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

function openssl(args: string[], cwd: string): void {
  const r = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr.toString()}`);
}

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed CA named `name`: {cert, key} paths under `dir`. */
export function makeCa(dir: string, name: string): CertFiles {
  const cert = join(dir, `${name}.ca.pem`);
  const key = join(dir, `${name}.ca.key`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  return { cert, key };
}

/** A leaf certificate signed by `ca`: a server one (SAN IP:127.0.0.1, serverAuth) or a client one (clientAuth). */
export function makeLeaf(dir: string, ca: CertFiles, name: string, role: "server" | "client", sans = "IP:127.0.0.1,DNS:localhost"): CertFiles {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", `/CN=${name}`], dir);
  writeFileSync(ext, role === "server" ? `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\n` : "extendedKeyUsage=clientAuth\n");
  openssl(["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], dir);
  return { cert, key };
}

/** The subject CN of the certificate a TLS server at 127.0.0.1:`port` presents (read by `openssl s_client`). */
export async function servedCertificateCN(port: number, ca: string, client?: CertFiles): Promise<string | undefined> {
  const args = ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", ca, "-verify_return_error", ...(client ? ["-cert", client.cert, "-key", client.key] : [])];
  const p = Bun.spawn(["openssl", ...args], { stdin: new Blob(["Q\n"]), stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(), 10_000);
  const out = await new Response(p.stdout).text();
  clearTimeout(timer);
  await p.exited;
  return /subject=.*?CN ?= ?([^,\n/]+)/.exec(out)?.[1]?.trim();
}
