/**
 * One matrix run at a time per cache directory: builds empty and reuse `O=` directories
 * beside each variant's worktree, so two runs at once would wreck each other's builds.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

/** A held lock; release it when the run ends. */
export interface RunLock {
  /** Remove the lock file. */
  release(): Promise<void>;
}

/**
 * Take `<cache>/run.lock` for this process. A lock left by a process that is gone is taken
 * over; one held by a live process is an error saying which.
 */
export async function acquireRunLock(cache: string): Promise<RunLock> {
  await Deno.mkdir(cache, { recursive: true });
  const path = join(cache, "run.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await Deno.writeTextFile(path, `${Deno.pid}\n`, { createNew: true });
      return { release: () => Deno.remove(path).catch(() => {}) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const pid = Number((await Deno.readTextFile(path).catch(() => "")).trim());
      if (pid > 0 && existsSync(`/proc/${pid}`)) {
        throw new Error(
          `Cannot start a run in cache '${cache}': kmatrix process ${pid} is running there; wait for it or set KMATRIX_CACHE to another directory`,
        );
      }
      await Deno.remove(path).catch(() => {});
    }
  }
  throw new Error(`Cannot take lock '${path}': it keeps coming back`);
}
