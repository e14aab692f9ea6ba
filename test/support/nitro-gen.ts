// Synthetic AWS Nitro Enclaves attestation documents made at test time with the real algorithms: a P-384 chain
// shaped like AWS's (root → regional → zonal → instance → enclave leaf, SHA-384 signatures), a CBOR payload
// with the documented fields, and a COSE_Sign1 ES384 signature over the RFC 9052 Sig_structure.
import { encode, Tag } from "cbor2";
import { issued, selfSigned, signRaw, type TestCert } from "./tdx-gen.ts";

export interface NitroChain {
  root: TestCert;
  /** cabundle order: root first, then intermediates down to the leaf's issuer. */
  cabundle: TestCert[];
  leaf: TestCert;
}

export interface NitroChainOptions {
  notBefore?: Date;
  notAfter?: Date;
  leafNotBefore?: Date;
  leafNotAfter?: Date;
  intermediates?: number;
}

export async function makeNitroChain(o: NitroChainOptions = {}): Promise<NitroChain> {
  const notBefore = o.notBefore ?? new Date("2024-01-01T00:00:00Z");
  const notAfter = o.notAfter ?? new Date("2031-01-01T00:00:00Z");
  const root = await selfSigned("P-384", { name: "C=US, O=Amazon, OU=AWS, CN=aws.nitro-enclaves", ca: true, notBefore, notAfter });
  const cabundle: TestCert[] = [root];
  const n = o.intermediates ?? 3;
  for (let i = 0; i < n; i++) {
    const parent = cabundle[cabundle.length - 1]!;
    cabundle.push(await issued("P-384", parent, { name: `C=US, O=Amazon, OU=AWS, CN=level${i + 1}.us-east-2.aws.nitro-enclaves`, ca: true, pathLength: n - i - 1, notBefore, notAfter }));
  }
  const leaf = await issued("P-384", cabundle[cabundle.length - 1]!, {
    name: "C=US, ST=Washington, L=Seattle, O=Amazon, OU=AWS, CN=i-0123456789abcdef0-enc0123456789abcdef.us-east-2.aws",
    ca: false,
    notBefore: o.leafNotBefore ?? notBefore,
    notAfter: o.leafNotAfter ?? notAfter,
  });
  return { root, cabundle, leaf };
}

export interface NitroDocOptions {
  timestamp?: number;
  pcrs?: Map<number, Uint8Array>;
  userData?: Uint8Array | null;
  nonce?: Uint8Array | null;
  publicKey?: Uint8Array | null;
  alg?: number;
  tagged?: boolean;
  digest?: string;
  /** Replace the cabundle (e.g. reordered or missing elements). */
  cabundle?: Uint8Array[];
  certificate?: Uint8Array;
  /** Drop a payload field entirely. */
  omit?: string[];
  /** Sign with this key instead of the leaf's. */
  signingKey?: CryptoKey;
}

export function defaultPcrs(): Map<number, Uint8Array> {
  const m = new Map<number, Uint8Array>();
  for (let i = 0; i < 16; i++) m.set(i, new Uint8Array(48).fill(i === 0 ? 0xa0 : i === 4 ? 0x44 : 0));
  return m;
}

export interface NitroDocLayout {
  bytes: Uint8Array;
  payload: Uint8Array;
  protectedBytes: Uint8Array;
  signature: Uint8Array;
}

export async function makeNitroDocument(chain: NitroChain, o: NitroDocOptions = {}): Promise<NitroDocLayout> {
  const fields: [string, unknown][] = [
    ["module_id", "i-0123456789abcdef0-enc0123456789abcdef"],
    ["digest", o.digest ?? "SHA384"],
    ["timestamp", o.timestamp ?? Date.parse("2026-06-01T12:00:00Z")],
    ["pcrs", o.pcrs ?? defaultPcrs()],
    ["certificate", o.certificate ?? chain.leaf.der],
    ["cabundle", o.cabundle ?? chain.cabundle.map((c) => c.der)],
    ["public_key", o.publicKey === undefined ? new Uint8Array(32).fill(0x4e) : o.publicKey],
    ["user_data", o.userData === undefined ? new TextEncoder().encode("hello tollgate") : o.userData],
    ["nonce", o.nonce === undefined ? new Uint8Array([1, 2, 3, 4, 5, 6]) : o.nonce],
  ];
  const payload = encode(new Map(fields.filter(([k]) => !o.omit?.includes(k))));
  const protectedBytes = encode(new Map([[1, o.alg ?? -35]]));
  const sigStructure = encode(["Signature1", protectedBytes, new Uint8Array(0), payload]);
  const signature = await signRaw(o.signingKey ?? chain.leaf.keys.privateKey, sigStructure);
  const sign1 = [protectedBytes, new Map(), payload, signature];
  const bytes = encode(o.tagged ? new Tag(18, sign1) : sign1);
  return { bytes, payload, protectedBytes, signature };
}
