// .gitignore / .dockerignore (conftest parser/ignore: shteou/go-ignore), ported: one document, a list of
// lists of {Kind, Value, Original} per line split on "\n" — Kind Empty, Comment, NegatedPath or Path. Like
// go-ignore, Path and NegatedPath values are unescaped byte by byte (a non-ASCII byte becomes the character
// of that code point, as Go's string(byte) does) and only spaces are trimmed on the right.
import { malformed, type Parser } from "./types.ts";

const utf8 = new TextEncoder();

function unescape(s: string): string {
  const b = utf8.encode(s);
  let res = "";
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x5c) res += String.fromCharCode(b[i]!);
    else if (i < b.length - 1 && b[i + 1] === 0x5c) {
      res += "\\";
      i++;
    }
  }
  return res;
}

export const ignore: Parser = {
  name: "ignore",
  parse(bytes, ctx) {
    const lines = new TextDecoder().decode(bytes).split("\n");
    const entries = lines.map((l, n) => {
      let stop = l.length - 1;
      while (stop >= 0 && l[stop] === " ") stop--;
      if (stop >= 0 && l[stop] === "\\") stop++;
      // go-ignore slices past the end here and panics: a line ending in a backslash cannot be parsed.
      if (stop + 1 > l.length) throw malformed(ctx, "ignore file", `line ${n + 1} ends in a backslash escaping nothing`);
      const stripped = l.slice(0, stop + 1);
      if (stripped === "") return { Kind: "Empty", Value: l, Original: l };
      if (l.startsWith("#")) return { Kind: "Comment", Value: stripped.slice(1).trim(), Original: l };
      if (l.startsWith("!")) return { Kind: "NegatedPath", Value: unescape(stripped.slice(1)), Original: l };
      return { Kind: "Path", Value: unescape(stripped), Original: l };
    });
    return [entries];
  },
};
