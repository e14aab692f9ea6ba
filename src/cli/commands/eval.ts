// PLACEHOLDER: this command is being built (see the open issues).
import { defineCommand } from "citty";
export default defineCommand({
  meta: { name: "eval", description: "not implemented yet" },
  run() {
    console.error("tollgate eval: not implemented yet");
    process.exit(2);
  },
});
