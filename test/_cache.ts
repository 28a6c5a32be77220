/**
 * Shared test guard: tests build in, empty and extract into their cache directory, so they must
 * never run in the user's. Imported by every helper that reaches the cache (test/_tree.ts,
 * test/_cli.ts); a test file run without `KMATRIX_CACHE`, or with it set to the user's cache,
 * fails at once, before anything is touched.
 *
 * @module
 */
import { join, resolve } from "node:path";

/** The cache kmatrix uses for a user when `KMATRIX_CACHE` is unset (see lib/tree/cache_dir.ts). */
function userCache(): string {
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "kmatrix");
  return join(Deno.env.get("HOME") ?? "/root", ".cache", "kmatrix");
}

/** The same directory, spelled alike or reached through a symlink. */
function sameDir(a: string, b: string): boolean {
  if (resolve(a) === resolve(b)) return true;
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return false;
  }
}

/**
 * Why the tests cannot run with `explicit` as `KMATRIX_CACHE`, or `undefined` when they can.
 */
export function testCacheProblem(explicit: string | undefined): string | undefined {
  if (!explicit) return "KMATRIX_CACHE is not set, so the tests would use the user's cache";
  if (sameDir(explicit, userCache())) {
    return "KMATRIX_CACHE is the user's cache";
  }
  return undefined;
}

const problem = testCacheProblem(Deno.env.get("KMATRIX_CACHE"));
if (problem) {
  throw new Error(
    `Cannot run the tests in cache '${
      Deno.env.get("KMATRIX_CACHE") ?? userCache()
    }': ${problem}; run them with 'deno task test' or set KMATRIX_CACHE=$HOME/.cache/kmatrix-test`,
  );
}

/** The test cache directory (`KMATRIX_CACHE`, checked above). */
export const TEST_CACHE: string = Deno.env.get("KMATRIX_CACHE")!;

/**
 * A fresh cache directory of its own (its own `run.lock`) whose trees, variant worktrees,
 * profiles and ccache are the test cache's, through symlinks: a test that runs the CLI there
 * reuses the extracted tree and is never refused because another test holds the run lock.
 */
export async function sharedCache(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-cache-" });
  for (const sub of ["trees", "variants", "profiles", "ccache"]) {
    await Deno.mkdir(join(TEST_CACHE, sub), { recursive: true });
    await Deno.symlink(join(TEST_CACHE, sub), join(dir, sub));
  }
  return dir;
}
