/**
 * One matrix run at a time per cache directory: builds empty and reuse `O=` directories
 * beside each variant's worktree, so two runs at once would wreck each other's builds. A run
 * holds the file lock `<cache>/run.lock` (see lib/tree/cache_lock.ts) for its whole length; a
 * second run is refused at once, and a lock file whose process is gone holds nothing.
 *
 * @module
 */
import { join } from "node:path";
import { type FileLock, lockFile, lockHolder } from "../tree/cache_lock.ts";
import { InputError } from "../errors.ts";

/** A held lock; release it when the run ends. */
export type RunLock = FileLock;

/**
 * Take `<cache>/run.lock` for this process without waiting; held by a live process, it is an
 * error naming that process.
 *
 * @example
 * ```ts
 * const lock = await acquireRunLock("/tmp/kmatrix-cache");
 * await lock.release();
 * ```
 */
export async function acquireRunLock(cache: string): Promise<RunLock> {
  const path = join(cache, "run.lock");
  const lock = await lockFile(path);
  if (!lock) {
    throw new InputError(
      `Cannot start a run in cache '${cache}': another kmatrix process holds ${path} (pid ${await lockHolder(
        path,
      )}); wait for it or set KMATRIX_CACHE to another directory`,
    );
  }
  return lock;
}

/** Run `fn` while holding `<cache>/run.lock` (see {@linkcode acquireRunLock}). */
export async function withCacheLock<T>(cache: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireRunLock(cache);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
