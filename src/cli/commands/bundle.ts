// PLACEHOLDER: this command is being built (see the open issues).
import { defineCommand } from "citty";
export default defineCommand({
  meta: { name: "bundle", description: "not implemented yet" },
  run() {
    console.error("tollgate bundle: not implemented yet");
    process.exit(2);
  },
});
