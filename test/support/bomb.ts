// Gzip bombs for the bundle-reader tests and the bench: a .tar.gz whose entries unpack to far more than they
// weigh (zeros compress ~1000:1), written as a stream so the generator never holds the unpacked bytes.
import { createGzip } from "node:zlib";

function header(name: string, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const put = (s: string, off: number) => h.set(new TextEncoder().encode(s), off);
  put(name, 0);
  put("0000600\0", 100);
  put("0000000\0", 108);
  put("0000000\0", 116);
  put(size.toString(8).padStart(11, "0") + "\0", 124);
  put("00000000000\0", 136);
  put("        ", 148); // checksum field counts as spaces while summing
  put("0", 156);
  put("ustar\0" + "00", 257);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148);
  return h;
}

export interface BombEntry {
  name: string;
  /** Real content, or `zeros` bytes of zeros. */
  bytes?: Uint8Array;
  zeros?: number;
}

/** A .tar.gz of the entries, in order. */
export async function gzipBomb(entries: readonly BombEntry[]): Promise<Uint8Array> {
  const gz = createGzip({ level: 9 });
  const out: Buffer[] = [];
  gz.on("data", (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gz.on("end", resolve);
    gz.on("error", reject);
  });
  const write = (b: Uint8Array) => new Promise<void>((resolve) => (gz.write(b) ? resolve() : gz.once("drain", resolve)));
  const MiB = new Uint8Array(1 << 20);
  for (const e of entries) {
    const size = e.bytes?.length ?? e.zeros ?? 0;
    await write(header(e.name, size));
    if (e.bytes) await write(e.bytes);
    else for (let left = size; left > 0; left -= MiB.length) await write(left >= MiB.length ? MiB : MiB.subarray(0, left));
    if (size % 512) await write(new Uint8Array(512 - (size % 512)));
  }
  await write(new Uint8Array(1024));
  gz.end();
  await done;
  return new Uint8Array(Buffer.concat(out));
}
