/**
 * The `diagnose` command: print the diagnostics of a build log.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { classifyLog, parseLog } from "./parse_log.ts";

const USAGE = `Usage: kmatrix diagnose LOG [--json] [--build-dir DIR] [--src-dir DIR]

Parse a kernel build log into typed diagnostics, one per line as \`signature\` (or a JSON
array with --json). DIRs are stripped from paths (default: from make's "Entering directory").
Exit 0 when the log shows no error, 1 when it shows errors, 3 when the machine failed (infra),
2 on bad input.`;

/** Run the `diagnose` command with `args`; returns the exit code. */
export async function diagnoseCommand(args: string[]): Promise<number> {
  // Bad flags throw; mod.ts says them as bad input (exit 2) like every command's.
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      "build-dir": { type: "string" },
      "src-dir": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`Cannot diagnose '${positionals.join(" ")}': give exactly one log file`);
    return 2;
  }
  const file = positionals[0]!;
  let log: string;
  try {
    log = await Deno.readTextFile(file);
  } catch (e) {
    console.error(`Cannot read log '${file}': ${(e as Error).message}`);
    return 2;
  }
  const diagnostics = parseLog(log, {
    ...(values["build-dir"] ? { buildDir: values["build-dir"] } : {}),
    ...(values["src-dir"] ? { srcDir: values["src-dir"] } : {}),
  });
  if (values.json) {
    console.log(JSON.stringify(diagnostics, null, 2));
  } else {
    for (const d of diagnostics) {
      console.log(`${d.severity.padEnd(7)} ${d.signature}${d.count > 1 ? ` (x${d.count})` : ""}`);
    }
  }
  const status = classifyLog(log, diagnostics);
  return status === "pass" ? 0 : status === "fail" ? 1 : 3;
}
