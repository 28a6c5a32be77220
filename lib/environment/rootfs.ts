/**
 * The root file system of the bwrap runtime: a minimal Debian 12 made by debootstrap with the
 * packages of `cross/debian-packages.txt`, once, into the cache.
 *
 * @module
 */
import { $ } from "zx";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { isAbsolute, resolve } from "node:path";
import { CROSS_DIR, type RuntimeSpec } from "../matrix/cross_data.ts";
import { cacheDir } from "../tree/cache_dir.ts";

/** Options for {@linkcode ensureRootfs}. */
export interface EnsureRootfsOptions {
  /** Called with a line of progress for each slow step. */
  onProgress?: (line: string) => void;
  /** Debian mirror; defaults to the first `URIs:` of the host's apt sources. */
  mirror?: string;
}

/** The Debian packages a build needs, from `cross/debian-packages.txt`. */
export async function debianPackages(): Promise<string[]> {
  const text = await Deno.readTextFile(join(CROSS_DIR, "debian-packages.txt"));
  return text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
}

/**
 * Make sure the bwrap runtime's rootfs exists (about 30 s and 850 MB the first time) and
 * return its path. Built under a temporary name and renamed, so it is complete or absent.
 */
export async function ensureRootfs(
  spec: RuntimeSpec,
  options: EnsureRootfsOptions = {},
): Promise<string> {
  const rootfs = bwrapRootfs(spec);
  if (existsSync(join(rootfs, "usr/bin/make"))) return rootfs;
  const log = options.onProgress ?? (() => {});
  const mirror = options.mirror ?? await hostMirror();
  const packages = await debianPackages();
  await Deno.mkdir(dirname(rootfs), { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: dirname(rootfs), prefix: ".debootstrap-" });
  try {
    log(`runtime: debootstrap bookworm from ${mirror} into ${rootfs} (once, about a minute)`);
    const r = await $({ quiet: true, nothrow: true })`debootstrap --variant=minbase --include=${
      packages.join(",")
    } bookworm ${tmp} ${mirror}`;
    if (r.exitCode !== 0) {
      const last = (r.stdout + r.stderr).trim().split("\n").at(-1) ?? "";
      throw new Error(`Cannot make rootfs '${rootfs}': debootstrap failed: ${last}`);
    }
    await Deno.rename(tmp, rootfs);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return rootfs;
}

/** The rootfs directory of a bwrap runtime; a relative `rootfs` is under the cache. */
export function bwrapRootfs(spec: RuntimeSpec): string {
  const rootfs = spec.rootfs;
  if (!rootfs) {
    throw new Error(
      `Cannot use runtime '${spec.name}': cross/runtimes/${spec.name}.yaml has no 'rootfs'`,
    );
  }
  return isAbsolute(rootfs) ? rootfs : resolve(cacheDir(), rootfs);
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
