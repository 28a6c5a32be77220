/**
 * Shared test helper: the kernel's real `scripts/kconfig/conf`, built once into the test cache
 * from the pristine 6.1 tree (`make allnoconfig` builds it as a side effect), for tests that
 * run conf itself as the reference.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { kernelTree } from "./_tree.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";

/** Path of the real conf binary, building it on first use. */
export async function confBinary(): Promise<string> {
  const out = join(cacheDir(), "kconfig-conf-O");
  const conf = join(out, "scripts/kconfig/conf");
  if (existsSync(conf)) return conf;
  Deno.mkdirSync(out, { recursive: true });
  const r = await new Deno.Command("make", {
    args: [
      "-s",
      "-C",
      await kernelTree(),
      "ARCH=arm",
      "CROSS_COMPILE=arm-linux-gnueabi-",
      `O=${out}`,
      "allnoconfig",
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`Cannot build conf: ${new TextDecoder().decode(r.stderr)}`);
  return conf;
}
