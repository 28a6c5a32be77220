/**
 * The root file system of a bwrap runtime: `debootstrap --variant=minbase` of its environment's
 * suite with the environment's packages (cross/environments/), once, into the cache. The
 * directory is named after a hash of the suite and the package list, so a changed list makes a
 * new rootfs instead of silently reusing the old one.
 *
 * @module
 */
import { $ } from "zx";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Environment } from "../matrix/cross_data.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { shortHash } from "./short_hash.ts";
import { withFileLock } from "../tree/cache_lock.ts";

/** Options for {@linkcode ensureRootfs}. */
export interface EnsureRootfsOptions {
  /** Called with a line of progress for each slow step. */
  onProgress?: (line: string) => void;
  /** Debian mirror; defaults to the first `URIs:` of the host's apt sources. */
  mirror?: string;
}

/** The rootfs directory of an environment, under the cache. */
export function rootfsDir(env: Environment): string {
  return join(cacheDir(), "rootfs", `${env.name}-${shortHash([env.suite, ...env.packages])}`);
}

/**
 * Make sure the environment's rootfs exists (about a minute and 850 MB the first time) and
 * return its path. Built under a temporary name and renamed, so it is complete or absent.
 */
export async function ensureRootfs(
  env: Environment,
  options: EnsureRootfsOptions = {},
): Promise<string> {
  const rootfs = rootfsDir(env);
  if (existsSync(join(rootfs, "usr/bin/make"))) return rootfs;
  const log = options.onProgress ?? (() => {});
  // One debootstrap at a time per cache: a second maker waits, then finds the rootfs made.
  await withFileLock(join(dirname(rootfs), ".lock"), async () => {
    if (existsSync(join(rootfs, "usr/bin/make"))) return;
    const mirror = options.mirror ?? await hostMirror();
    const tmp = await Deno.makeTempDir({ dir: dirname(rootfs), prefix: ".debootstrap-" });
    try {
      log(
        `runtime: debootstrap ${env.suite} (${env.name}, ${env.packages.length} packages) from ${mirror} into ${rootfs} (once, about a minute)`,
      );
      const r = await $({ quiet: true, nothrow: true })`debootstrap --variant=minbase --include=${
        env.packages.join(",")
      } ${env.suite} ${tmp} ${mirror}`;
      if (r.exitCode !== 0) {
        const last = (r.stdout + r.stderr).trim().split("\n").at(-1) ?? "";
        throw new Error(`Cannot make rootfs '${rootfs}': debootstrap failed: ${last}`);
      }
      await Deno.rename(tmp, rootfs);
    } catch (e) {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      throw e;
    }
  }, { onWait: (line) => log(`runtime: ${line}`) });
  return rootfs;
}

async function hostMirror(): Promise<string> {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    const text = await Deno.readTextFile(file).catch(() => "");
    const uri = text.match(/^URIs:\s*(\S+)/m)?.[1] ??
      text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m)?.[1];
    if (uri) return uri;
  }
  return "http://deb.debian.org/debian";
}
