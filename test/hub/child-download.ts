/**
 * Run by hub-robustness.test.ts in a child process: downloads model argv[2] with the HF_* settings
 * of the environment and prints the result as JSON.
 */
import { downloadModel } from "../../src/hub/index.js";

const result = await downloadModel(process.argv[2] as string, { retryBaseMs: 1 });
process.stdout.write(JSON.stringify(result));
