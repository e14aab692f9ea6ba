// PLACEHOLDER: this command is being built (see the open issues).
import { defineCommand } from "citty";
export default defineCommand({
  meta: { name: "verify", description: "not implemented yet" },
  run() {
    console.error("tollgate verify: not implemented yet");
    process.exit(2);
  },
});
