// PLACEHOLDER: this command is being built (see the open issues).
import { defineCommand } from "citty";
export default defineCommand({
  meta: { name: "inspect", description: "not implemented yet" },
  run() {
    console.error("tollgate inspect: not implemented yet");
    process.exit(2);
  },
});
