// PLACEHOLDER: this command is being built (see the open issues).
import { defineCommand } from "citty";
export default defineCommand({
  meta: { name: "contract", description: "not implemented yet" },
  run() {
    console.error("tollgate contract: not implemented yet");
    process.exit(2);
  },
});
