// TLS on the gate's port (config `tls: {cert_file, key_file, client_ca_file?, min_version?}`, or OPA's
// --tls-cert-file/--tls-private-key-file/--tls-ca-cert-file/--tls-min-version).
//
// Bun.serve can terminate TLS itself but tells the application nothing about a handshake it refused (a
// plain-HTTP request, no client certificate, one from another CA): the client just sees the connection close
// and the operator sees nothing. So each serving thread terminates TLS in front of its HTTP server: a Bun.listen
// TLS listener on the public port, whose `handshake` hook logs every refusal in one line, piping each accepted
// connection's plaintext to the thread's Bun.serve on a Unix socket in a private (0700) directory.
//
// Certificate, key and client CA are re-read when they change (src/serve/watch.ts): the new material is checked
// (the key must be the certificate's), a new listener with it is bound to the same port (SO_REUSEPORT) and only
// then the old one stops accepting; connections it already accepted finish on it. Material that fails the check
// is refused with one log line and the current certificate keeps being served.
import { X509Certificate, constants, createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { nodeOs } from "../core/lazy.ts";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { TollgateError } from "../core/errors.ts";
import { readUserFileSync } from "../core/read.ts";
import { FileWatch } from "./watch.ts";

export interface TlsSettings {
  certFile: string;
  keyFile: string;
  /** Client certificates are required and must chain to these CAs (mTLS). */
  clientCaFile?: string;
  /** Lowest protocol version accepted. */
  minVersion: "1.2" | "1.3";
  /**
   * The files' bytes as read and checked at start (config.ts), in the order certificate, key, client CA: every
   * thread's listener starts from them (no second read, so the material served is the material checked); the
   * watch then compares the files with them.
   */
  contents: Uint8Array[];
}

/** The files of `s`, in the order checkMaterial and `contents` take them. */
export function materialFiles(s: Pick<TlsSettings, "certFile" | "keyFile" | "clientCaFile">): string[] {
  return [s.certFile, s.keyFile, ...(s.clientCaFile ? [s.clientCaFile] : [])];
}

/** Read the TLS files once and check them (a key that is not the certificate's refuses the start, naming it). */
export function readMaterial(s: Omit<TlsSettings, "contents">): TlsSettings {
  const contents = materialFiles(s).map((p, i) => readUserFileSync(p, ["TLS certificate file", "TLS key file", "TLS client CA file"][i]!, "usage"));
  checkMaterial(contents, s);
  return { ...s, contents };
}

type Material = { cert: string; key: string; ca?: string };

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Certificate chain, key and client CAs checked: each parses, the key is the leaf certificate's. */
export function checkMaterial(contents: Uint8Array[], s: Omit<TlsSettings, "contents">): Material {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  const [certPem, keyPem, caPem] = contents.map(text) as [string, string, string | undefined];
  const certs = certPem.match(PEM_CERT) ?? [];
  if (certs.length === 0) throw new TollgateError("usage", "tls.cert_file holds no PEM certificate", s.certFile);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certs[0]!);
    for (const c of certs.slice(1)) new X509Certificate(c);
  } catch (e) {
    throw new TollgateError("usage", `tls.cert_file: certificate does not parse (${(e as Error).message})`, s.certFile);
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw new TollgateError("usage", `tls.key_file: not a PEM private key (${(e as Error).message})`, s.keyFile);
  }
  if (!leaf.checkPrivateKey(key)) throw new TollgateError("usage", `tls.key_file is not the private key of the certificate in ${s.certFile}`, s.keyFile);
  const m: Material = { cert: certPem, key: keyPem };
  if (s.clientCaFile) {
    const cas = caPem?.match(PEM_CERT) ?? [];
    if (cas.length === 0) throw new TollgateError("usage", "tls.client_ca_file holds no PEM certificate", s.clientCaFile);
    try {
      for (const c of cas) new X509Certificate(c);
    } catch (e) {
      throw new TollgateError("usage", `tls.client_ca_file: certificate does not parse (${(e as Error).message})`, s.clientCaFile);
    }
    m.ca = caPem!;
  }
  return m;
}

function tlsOptions(m: Material, s: Pick<TlsSettings, "minVersion">) {
  let secureOptions = constants.SSL_OP_NO_SSLv3 | constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;
  if (s.minVersion === "1.3") secureOptions |= constants.SSL_OP_NO_TLSv1_2;
  return {
    cert: m.cert,
    key: m.key,
    secureOptions,
    ...(m.ca ? { ca: m.ca, requestCert: true, rejectUnauthorized: true } : { requestCert: false }),
  };
}

/** Why a handshake failed, in words an operator recognizes. */
function describeHandshake(err: Error | null, mtls: boolean, minVersion: string): string {
  const msg = err?.message ?? "handshake failed";
  const code = (err as { code?: string } | null)?.code;
  if (/HTTP_REQUEST|HTTPS_PROXY_REQUEST/.test(msg)) return "plain HTTP on the TLS port";
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(msg)) return "no client certificate (mTLS: tls.client_ca_file is set)";
  if (mtls && code && /CERT|SELF_SIGNED|ISSUER|SIGNATURE|EXPIRED|NOT_YET_VALID|UNABLE_TO/.test(code)) return `client certificate not accepted (${code}: ${msg})`;
  if (/UNSUPPORTED_PROTOCOL|WRONG_VERSION|VERSION_TOO_LOW|PROTOCOL_VERSION/.test(msg)) return `protocol version refused (TLS ${minVersion}+ only): ${msg}`;
  return code ? `${code}: ${msg}` : msg;
}

interface Conn {
  backend?: Socket<Conn>;
  toBackend: Uint8Array[];
  toClient: Uint8Array[];
  clientClosed: boolean;
  backendClosed: boolean;
  handshaken: boolean;
}

/** Write what a socket takes now; the rest waits in `queue` for its drain. */
function send(sock: Socket<any>, queue: Uint8Array[], chunk: Uint8Array): void {
  if (queue.length) {
    queue.push(chunk.slice());
    return;
  }
  const n = sock.write(chunk);
  if (n >= 0 && n < chunk.length) queue.push(chunk.slice(n));
}

function flush(sock: Socket<any>, queue: Uint8Array[]): boolean {
  while (queue.length) {
    const c = queue[0]!;
    const n = sock.write(c);
    if (n < 0) {
      queue.length = 0;
      return true;
    }
    if (n < c.length) {
      queue[0] = c.subarray(n);
      return false;
    }
    queue.shift();
  }
  return true;
}

/** Bytes queued for one direction of a connection beyond which its sender is paused until the queue drains. */
const HIGH_WATER = 1 << 20;

const queued = (q: Uint8Array[]) => q.reduce((n, c) => n + c.length, 0);

/** Seconds a client has to complete its handshake. */
const HANDSHAKE_TIMEOUT_S = 10;

/**
 * The TLS listener of one serving thread, in front of an HTTP server on `backend` (a Unix socket path).
 * `reusePort`: several threads (and, during a certificate swap, two listeners) share the port; no other process
 * does, as the gate claims the port exclusively before its first listener binds (port.ts).
 */
export class TlsFront {
  private listener: TCPSocketListener<Conn>;
  private readonly watch: FileWatch;
  readonly port: number;
  private closed = false;

  constructor(
    private readonly hostname: string,
    port: number,
    private readonly backend: string,
    private readonly settings: TlsSettings,
    private readonly log: (line: string) => void,
  ) {
    const paths = materialFiles(settings);
    const contents = settings.contents;
    this.listener = this.bind(port, checkMaterial(contents, settings));
    this.port = this.listener.port;
    this.watch = new FileWatch(
      paths,
      FileWatch.digestOf(contents),
      (next) => {
        const m = checkMaterial(next, settings);
        const fresh = this.bind(this.port, m);
        const old = this.listener;
        this.listener = fresh;
        old.stop(false); // stops accepting; its connections finish
        const leaf = new X509Certificate(m.cert.match(PEM_CERT)![0]!);
        log(`tls: certificate reloaded (subject ${leaf.subject.replace(/\n/g, ", ")}, serial ${leaf.serialNumber}, valid until ${new Date(leaf.validTo).toISOString()})`);
      },
      log,
      "tls",
    );
  }

  private bind(port: number, m: Material): TCPSocketListener<Conn> {
    const mtls = !!m.ca;
    const minVersion = this.settings.minVersion;
    const log = this.log;
    const backendPath = this.backend;
    const peer = (s: Socket<Conn>) => `${s.remoteAddress}${(s as { remotePort?: number }).remotePort ? `:${(s as { remotePort?: number }).remotePort}` : ""}`;
    const backendHandler = {
      open(b: Socket<Conn>) {
        const c = b.data;
        c.backend = b;
        if (c.clientClosed) return void b.end();
        if (flush(b, c.toBackend)) clients.get(c)?.resume();
      },
      data(b: Socket<Conn>, d: Uint8Array) {
        const c = b.data;
        const client = clients.get(c);
        if (!client || c.clientClosed) return;
        send(client, c.toClient, d);
        if (c.toClient.length && queued(c.toClient) > HIGH_WATER) b.pause(); // the client reads slowly
      },
      drain(b: Socket<Conn>) {
        if (flush(b, b.data.toBackend)) clients.get(b.data)?.resume();
      },
      close(b: Socket<Conn>) {
        const c = b.data;
        c.backendClosed = true;
        const client = clients.get(c);
        if (client && !c.clientClosed && c.toClient.length === 0) client.end();
      },
      error(_b: Socket<Conn>, e: Error) {
        log(`tls: internal connection failed: ${e.message}`);
      },
      connectError(_b: Socket<Conn>, e: Error) {
        log(`tls: cannot reach the HTTP server behind TLS: ${e.message}`);
      },
    };
    // The client socket of each connection, by its state (a Socket cannot be a key of its own data).
    const clients = new WeakMap<Conn, Socket<Conn>>();
    return Bun.listen<Conn>({
      hostname: this.hostname,
      port,
      // Untyped in bun-types for listen, honoured by the runtime: the port is shared with the other threads and,
      // for the instant of a certificate swap, with the next listener.
      ...({ reusePort: true } as object),
      tls: tlsOptions(m, this.settings),
      socket: {
        open(s) {
          s.data = { toBackend: [], toClient: [], clientClosed: false, backendClosed: false, handshaken: false };
          clients.set(s.data, s);
          s.timeout(HANDSHAKE_TIMEOUT_S);
        },
        handshake(s, ok, err) {
          // Without client certificates Bun still reports a verification "error" for the absent peer
          // certificate; only with mTLS does any authorization error refuse the connection.
          if (!ok || (mtls && (err || !s.authorized))) {
            log(`tls: refused ${peer(s)}: ${describeHandshake(err, mtls, minVersion)}`);
            s.data.clientClosed = true;
            s.end();
            return;
          }
          s.data.handshaken = true;
          s.timeout(0); // the HTTP server's idle timeout governs from here
          const c = s.data;
          Bun.connect<Conn>({ unix: backendPath, data: c, socket: backendHandler }).catch(() => {
            if (!c.clientClosed) s.end();
          });
        },
        data(s, d) {
          const c = s.data;
          if (!c.handshaken) return;
          if (c.backend) send(c.backend, c.toBackend, d);
          else c.toBackend.push(d.slice());
          // A client sending faster than the HTTP server reads is paused, not buffered without bound.
          if (c.toBackend.length && queued(c.toBackend) > HIGH_WATER) s.pause();
        },
        drain(s) {
          const c = s.data;
          if (!flush(s, c.toClient)) return;
          if (c.backendClosed) s.end();
          else c.backend?.resume();
        },
        timeout(s) {
          if (!s.data.handshaken) log(`tls: refused ${peer(s)}: no TLS handshake within ${HANDSHAKE_TIMEOUT_S} s`);
          s.end();
        },
        error(s, e) {
          log(`tls: connection from ${peer(s)} failed: ${e.message}`);
        },
        close(s) {
          const c = s.data;
          c.clientClosed = true;
          c.toClient.length = 0;
          c.backend?.end();
        },
      },
    });
  }

  /** Stop accepting; `force` also closes the connections in flight. */
  stop(force: boolean): void {
    if (!this.closed) this.watch.stop();
    this.closed = true;
    this.listener.stop(force);
  }
}

/** A private directory for a thread's internal HTTP socket (mode 0700: only this user can bypass TLS there). */
export function privateSocketPath(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(nodeOs().tmpdir(), "tollgate-tls-"));
  return { path: join(dir, "http.sock"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
