/**
 * The tree stage: turns a tree source from matrix.yaml into a pristine kernel git repository.
 *
 * Two kinds of source:
 * - `debian:<package>`: the source tarball of a Debian package (`/usr/src/<package>.tar.xz`),
 *   extracted once into the cache and committed as one commit with a fixed date, so the same
 *   package version always gives the same commit id.
 * - a path to a local kernel git checkout, used as it is (its HEAD is the base).
 *
 * @module
 */
import { $ } from "zx";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { cacheDir } from "./cache_dir.ts";
import { ensureDebianSource } from "./debian_package.ts";
import { withFileLock } from "./cache_lock.ts";
import { InputError } from "../errors.ts";

/** A kernel tree ready for variants: a git repository and the commit to branch from. */
export interface KernelTree {
  /** The source as written in matrix.yaml. */
  source: string;
  /** Absolute path of the git repository. */
  dir: string;
  /** The commit variants start from. */
  commit: string;
  /** `VERSION.PATCHLEVEL.SUBLEVEL` read from the top Makefile. */
  version: string;
}

/** Options for {@linkcode ensureTree}. */
export interface EnsureTreeOptions {
  /** Cache directory; defaults to {@linkcode cacheDir}. */
  cache?: string;
  /** Called with a line of progress for each slow step. */
  onProgress?: (line: string) => void;
  /** Directory holding Debian source tarballs; defaults to `/usr/src`. */
  debianSrc?: string;
}

const FIXED_DATE = "1970-01-01T00:00:00Z";

/**
 * Make sure the tree named by `source` exists and return it. Extraction is atomic: a tree is
 * built under a temporary name and renamed into place, so an interrupted run leaves nothing
 * half made behind a valid name.
 *
 * @example
 * ```ts
 * const tree = await ensureTree("debian:linux-source-6.1");
 * console.log(tree.dir, tree.commit);
 * ```
 */
export async function ensureTree(
  source: string,
  options: EnsureTreeOptions = {},
): Promise<KernelTree> {
  const log = options.onProgress ?? (() => {});
  if (source.startsWith("debian:")) {
    return await ensureDebianTree(source, source.slice("debian:".length), log, options);
  }
  const dir = resolve(source);
  if (!existsSync(join(dir, "Makefile")) || !existsSync(join(dir, "Kconfig"))) {
    throw new InputError(
      `Cannot use kernel tree '${source}': no Makefile and Kconfig there; give a kernel checkout or debian:linux-source-6.1`,
    );
  }
  const head = await $({ quiet: true, nothrow: true })`git -C ${dir} rev-parse HEAD`;
  if (head.exitCode !== 0) {
    throw new InputError(
      `Cannot use kernel tree '${source}': not a git repository with a commit; run 'git init && git add -A && git commit' there`,
    );
  }
  return { source, dir, commit: head.stdout.trim(), version: await readVersion(dir) };
}

async function ensureDebianTree(
  source: string,
  pkg: string,
  log: (line: string) => void,
  options: EnsureTreeOptions,
): Promise<KernelTree> {
  // Installed with apt-get when missing and possible (root on Debian), else one instruction.
  const tarball = await ensureDebianSource(pkg, {
    ...(options.debianSrc ? { dir: options.debianSrc } : {}),
    onProgress: log,
  });
  const stat = await Deno.stat(tarball);
  // Key by size and mtime: a package upgrade replaces the tarball and so makes a new tree.
  const key = `${pkg}-${stat.size}-${Math.floor((stat.mtime?.getTime() ?? 0) / 1000)}`;
  const trees = join(options.cache ?? cacheDir(), "trees");
  const dir = join(trees, key);
  // One extraction at a time per cache (a run and a test may both want the tree): the second
  // waits, then finds the tree made.
  await withFileLock(join(trees, ".lock"), async () => {
    if (existsSync(join(dir, ".git"))) return;
    await Deno.mkdir(trees, { recursive: true });
    const tmp = await Deno.makeTempDir({ dir: trees, prefix: ".extract-" });
    try {
      log(`tree: extracting ${tarball} (once, about 20 s)`);
      await $({ quiet: true })`tar -xJf ${tarball} -C ${tmp}`;
      const top = join(tmp, pkg);
      if (!existsSync(join(top, "Makefile"))) {
        throw new Error(`Cannot extract '${tarball}': it has no top directory '${pkg}/Makefile'`);
      }
      log(`tree: committing ${pkg} as one git commit (once, about 30 s)`);
      const git = $({ quiet: true, cwd: top, env: gitEnv() });
      await git`git init -q`;
      // Debian's top-level .gitignore ignores everything; -f takes the tarball as it is.
      await git`git add -f -A`;
      await git`git commit -q -m ${`${pkg} from ${tarball}`}`;
      await Deno.rename(top, dir);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  }, { onWait: (line) => log(`tree: ${line}`) });
  const head = await $({ quiet: true })`git -C ${dir} rev-parse HEAD`;
  return { source, dir, commit: head.stdout.trim(), version: await readVersion(dir) };
}

/** Environment for git commands that must give the same commit id every time. */
export function gitEnv(): Record<string, string> {
  return {
    ...Deno.env.toObject(),
    GIT_AUTHOR_NAME: "kmatrix",
    GIT_AUTHOR_EMAIL: "kmatrix@localhost",
    GIT_COMMITTER_NAME: "kmatrix",
    GIT_COMMITTER_EMAIL: "kmatrix@localhost",
    GIT_AUTHOR_DATE: FIXED_DATE,
    GIT_COMMITTER_DATE: FIXED_DATE,
  };
}

async function readVersion(dir: string): Promise<string> {
  const text = await Deno.readTextFile(join(dir, "Makefile"));
  const field = (name: string) => text.match(new RegExp(`^${name} = (\\d+)`, "m"))?.[1] ?? "?";
  return `${field("VERSION")}.${field("PATCHLEVEL")}.${field("SUBLEVEL")}`;
}
