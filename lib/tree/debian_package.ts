/**
 * The Debian source package behind a `debian:<package>` tree: its tarball
 * (`/usr/src/<package>.tar.xz`), installed with apt-get when it is missing and kmatrix runs as
 * root on Debian; otherwise a one-line instruction.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Options for {@linkcode ensureDebianSource}. */
export interface DebianSourceOptions {
  /** Directory holding the tarballs (default `/usr/src`, where the packages put them). */
  dir?: string;
  /** Called with a line of progress before a slow step. */
  onProgress?: (line: string) => void;
  /** Install with apt-get when missing (default: when root on Debian and `dir` is `/usr/src`). */
  install?: boolean;
}

/** Whether this process can install Debian packages: root, on Debian, with apt-get. */
export function canInstallPackages(): boolean {
  return Deno.uid() === 0 && existsSync("/etc/debian_version") &&
    ["/usr/bin/apt-get", "/bin/apt-get"].some((p) => existsSync(p));
}

/**
 * The path of a Debian kernel source tarball, installing its package first when it is missing
 * and that is possible.
 *
 * @example Usage
 * ```ts ignore
 * await ensureDebianSource("linux-source-6.12"); // "/usr/src/linux-source-6.12.tar.xz"
 * ```
 *
 * @param pkg The package (`linux-source-6.12`).
 * @param options Where the tarball is, progress, whether to install.
 */
export async function ensureDebianSource(
  pkg: string,
  options: DebianSourceOptions = {},
): Promise<string> {
  const dir = options.dir ?? "/usr/src";
  const tarball = join(dir, `${pkg}.tar.xz`);
  if (existsSync(tarball)) return tarball;
  const install = options.install ?? (dir === "/usr/src" && canInstallPackages());
  if (!install || !/^[a-z0-9][a-z0-9.+-]+$/.test(pkg)) {
    throw new Error(
      `Cannot find kernel source 'debian:${pkg}': ${tarball} is missing; run 'apt-get install ${pkg}'`,
    );
  }
  options.onProgress?.(`tree: installing ${pkg} with apt-get (once)`);
  // The package lists of a fresh machine are empty or stale (setup.sh updates them only when it
  // installs something); a failed update is not fatal: the install says what is missing.
  await new Deno.Command("apt-get", { args: ["update", "-qq"], stdout: "null", stderr: "null" })
    .output();
  const r = await new Deno.Command("apt-get", {
    args: ["install", "-y", "--no-install-recommends", pkg],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (r.code !== 0 || !existsSync(tarball)) {
    const why = new TextDecoder().decode(r.stderr).trim().split("\n").findLast((l) => l.trim()) ??
      `apt-get exited with ${r.code}`;
    throw new Error(
      `Cannot install 'debian:${pkg}': ${
        r.code !== 0 ? why : `${tarball} is still missing after apt-get`
      }`,
    );
  }
  return tarball;
}
