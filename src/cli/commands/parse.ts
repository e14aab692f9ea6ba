// tollgate parse: print the document tollgate (and conftest) gives a policy for each input, in the form
// `conftest parse` prints it — one file: its document; several: an object keyed by path; --combine: the
// [{path, contents}] list `test --combine` evaluates. Exit 0, or 2 when a file cannot be read or parsed.
import { defineCommand } from "citty";
import { EXIT_ADMIT, usage } from "../../core/errors.ts";
import { readUserFile } from "../../core/read.ts";
import { PARSER_NAMES, parseInput, parserFor } from "../../check/parsers/index.ts";
import { goMarshalIndent } from "../../check/parsers/gojson.ts";
import { bool, helpArgs, list, parseStrict, runCommand, str, type FlagSpecs } from "../args.ts";

const flags: FlagSpecs = {
  parser: { type: "string", description: `parse every input with this parser (${PARSER_NAMES.join(", ")})`, valueHint: "NAME" },
  combine: { type: "boolean", description: "print the inputs combined, as `test --combine` sees them" },
  "proto-file-dirs": { type: "string", multiple: true, description: "directories of .proto files (for textproto)", valueHint: "DIR" },
};

export default defineCommand({
  meta: { name: "parse", description: "print the parsed document of each input, like conftest parse" },
  args: helpArgs(flags, { name: "FILE", description: "input files (- for stdin, YAML unless --parser)", required: true }),
  run: ({ rawArgs }) =>
    runCommand("parse", async () => {
      const p = parseStrict(rawArgs, flags);
      if (p.positionals.length === 0) throw usage("give at least one FILE to parse");
      const parser = str(p, "parser");
      const protoFileDirs = list(p, "proto-file-dirs");
      const parsed = new Map<string, unknown>();
      for (const f of p.positionals) {
        await parserFor(f, parser); // conftest chooses the parser before it reads the file
        const bytes = f === "-" ? new Uint8Array(await Bun.stdin.arrayBuffer()) : await readUserFile(f, "file");
        parsed.set(f, await parseInput(bytes, f, { ...(parser ? { parser } : {}), protoFileDirs }));
      }
      let out: string;
      if (bool(p, "combine")) {
        // conftest: each element of a top-level list is its own entry, entries sorted by path.
        const entries = [...parsed].flatMap(([path, doc]) => (Array.isArray(doc) ? doc : [doc]).map((contents) => new Map<string, unknown>([["path", path], ["contents", contents]])));
        entries.sort((a, b) => ((a.get("path") as string) < (b.get("path") as string) ? -1 : (a.get("path") as string) > (b.get("path") as string) ? 1 : 0));
        out = goMarshalIndent(entries, "\t") + "\n";
      } else if (parsed.size === 1) {
        out = goMarshalIndent([...parsed.values()][0], "  ");
      } else {
        out = goMarshalIndent(Object.fromEntries(parsed), "  ");
      }
      process.stdout.write(out + "\n");
      return EXIT_ADMIT;
    }),
});
