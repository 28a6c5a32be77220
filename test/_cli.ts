/**
 * Shared test helper: run the kmatrix CLI (`deno run -A mod.ts …`) as a user would.
 *
 * @module
 */
import "./_cache.ts";
import { join } from "node:path";

const MOD = join(import.meta.dirname!, "..", "mod.ts");

/** What a CLI run left: exit code, standard output, standard error. */
export interface CliRun {
  /** Exit code. */
  code: number;
  /** Standard output. */
  out: string;
  /** Standard error. */
  err: string;
}

/** Run `mod.ts` with `args` in `cwd` (default: the repository), without colour. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MOD, ...args],
    cwd: options.cwd ?? join(import.meta.dirname!, ".."),
    // Plain text: picocolors turns colour on when `CI` is set, as on CI runners.
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
}
