// A token realm for the distribution registry's `auth: token` (the distribution token auth spec), run as its own
// process on loopback by tests: GET /token?service=…&scope=repository:NAME:ACTIONS with Basic credentials →
// {"token", "access_token", "expires_in"}, an ES256 JWT whose x5c header carries the signing certificate (the
// registry trusts it through rootcertbundle). Wrong or missing credentials → 401.
// Everything else is forwarded to the registry (UPSTREAM host:port): the realm sits in front of the registry on one
// host:port, since clients (go-containerregistry, tollgate) refuse a realm on another private or loopback address.
// Usage: bun token-realm.ts PORT UPSTREAM KEY.pk8.pem CERT.pem ISSUER USER PASSWORD
import { SignJWT, importPKCS8 } from "jose";
import { readFileSync } from "node:fs";

const [port, upstream, keyFile, certFile, issuer, user, password] = process.argv.slice(2) as [string, string, string, string, string, string, string];
const key = await importPKCS8(readFileSync(keyFile, "utf8"), "ES256");
const certDer = readFileSync(certFile, "utf8").replace(/-----[A-Z ]+-----|\s/g, "");

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(port),
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname !== "/token") {
      const headers = new Headers(req.headers);
      headers.delete("host");
      const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await req.arrayBuffer());
      const r = await fetch(`http://${upstream}${url.pathname}${url.search}`, { method: req.method, headers, ...(body ? { body } : {}), redirect: "manual" });
      const out = new Headers(r.headers);
      out.delete("content-encoding");
      // Upload locations point at the registry's own address: rewrite them to ours.
      const loc = out.get("location");
      if (loc) out.set("location", loc.replace(`http://${upstream}`, `http://127.0.0.1:${port}`));
      return new Response(req.method === "HEAD" ? null : new Uint8Array(await r.arrayBuffer()), { status: r.status, headers: out });
    }
    const auth = req.headers.get("authorization") ?? "";
    const expected = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
    if (auth !== expected) return Response.json({ errors: [{ code: "UNAUTHORIZED", message: "bad credentials" }] }, { status: 401 });
    const access = url.searchParams.getAll("scope").flatMap((s) => s.split(" ")).map((s) => {
      const [type, ...rest] = s.split(":");
      const actions = rest.pop()!.split(",");
      return { type, name: rest.join(":"), actions };
    });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: "ES256", typ: "JWT", x5c: [certDer] })
      .setIssuer(issuer)
      .setSubject(user)
      .setAudience(url.searchParams.get("service") ?? "")
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(now + 300)
      .setJti(crypto.randomUUID())
      .sign(key);
    return Response.json({ token, access_token: token, expires_in: 300 });
  },
});
console.log(`listening ${server.port}`);
