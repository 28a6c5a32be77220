/**
 * Advisory file locks on the cache directory (`flock(2)` through {@linkcode Deno.FsFile.lock}).
 *
 * The kernel drops such a lock when its process dies, however it dies, so a lock file left
 * behind holds nothing and the next taker gets it. The pid written into the file is only
 * information for the message of whoever finds it held. Lock files are never removed: removing
 * one while another process waits on it would let a third process lock a new file of the same
 * name beside it, and both would hold "the" lock.
 *
 * A stage that makes one shared resource of the cache (the extracted trees, the variant
 * worktrees, a rootfs) holds a lock file of its own beside it with {@linkcode withFileLock},
 * waiting for it, so a run and a test (or two tests) never make the same directory at once.
 * Each call opens the file anew, so two holders in one process wait for each other too.
 *
 * @module
 */
import { dirname } from "node:path";

/** A held file lock. */
export interface FileLock {
  /** The lock file. */
  path: string;
  /** Release the lock (the file stays); a second call does nothing. */
  release(): Promise<void>;
}

/** The pid a lock file names, or `unknown`. */
export async function lockHolder(path: string): Promise<string> {
  const text = (await Deno.readTextFile(path).catch(() => "")).trim();
  return /^\d+$/.test(text) ? text : "unknown";
}

async function held(path: string, file: Deno.FsFile): Promise<FileLock> {
  // The file is opened without truncating it: until the lock is ours its content is the
  // holder's pid.
  await file.truncate(0);
  await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await file.truncate(0).catch(() => {});
      await file.unlock().catch(() => {});
      file.close();
    },
  };
}

/**
 * Take the exclusive lock on `path` (created, with its directory, when missing); without
 * `wait`, return `undefined` at once when another holder has it.
 */
export async function lockFile(
  path: string,
  options: { wait?: boolean; onWait?: (line: string) => void } = {},
): Promise<FileLock | undefined> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { read: true, write: true, create: true });
  try {
    if (!await file.tryLock(true)) {
      if (!options.wait) {
        file.close();
        return undefined;
      }
      options.onWait?.(`waiting for pid ${await lockHolder(path)}, which holds ${path}`);
      await file.lock(true);
    }
    return await held(path, file);
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Run `fn` while holding the lock on `path`, waiting for another holder to finish first. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: { onWait?: (line: string) => void } = {},
): Promise<T> {
  const lock = (await lockFile(path, { wait: true, ...options }))!;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
