/**
 * The cache locks are real file locks: a held run lock refuses a second taker at once (another
 * process or this one), a lock file whose holder died holds nothing, and a resource lock makes
 * its second taker wait until the first lets go.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { acquireRunLock, withCacheLock } from "../lib/run/run_lock.ts";
import { withFileLock } from "../lib/tree/cache_lock.ts";
import { InputError } from "../lib/errors.ts";

/** Another process holding `path` with flock until killed. */
async function holder(path: string): Promise<Deno.ChildProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const f = await Deno.open(${
        JSON.stringify(path)
      }, { read: true, write: true, create: true });
       await f.lock(true);
       await f.truncate(0);
       await f.write(new TextEncoder().encode(Deno.pid + "\\n"));
       console.log("held");
       await new Promise((r) => setTimeout(r, 60_000));`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assertEquals((await reader.read()).value?.trim(), "held");
  reader.releaseLock();
  return child;
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel().catch(() => {});
}

Deno.test("run lock: held elsewhere, refused at once naming the pid; taken once the holder died", async () => {
  const cache = await Deno.makeTempDir();
  const path = join(cache, "run.lock");
  const other = await holder(path);
  const t0 = performance.now();
  await assert.rejects(() => acquireRunLock(cache), (e) => {
    assert(e instanceof InputError);
    assertEquals(
      e.message,
      `Cannot start a run in cache '${cache}': another kmatrix process holds ${path} (pid ${other.pid}); wait for it or set KMATRIX_CACHE to another directory`,
    );
    return true;
  });
  assert(performance.now() - t0 < 1000, "refused without waiting");
  // SIGKILL: no cleanup ran, the file still names the dead process; the lock is free.
  await stop(other);
  assertEquals((await Deno.readTextFile(path)).trim(), String(other.pid));
  const ran = await withCacheLock(cache, async () => {
    assertEquals((await Deno.readTextFile(path)).trim(), String(Deno.pid));
    // Two runs in one process exclude each other too.
    await assert.rejects(() => acquireRunLock(cache), InputError);
    return "ran";
  });
  assertEquals(ran, "ran");
  assertEquals(await Deno.readTextFile(path), "", "released and emptied, not removed");
  await Deno.remove(cache, { recursive: true });
});

Deno.test("resource lock: the second taker waits for the first", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "trees", ".lock");
  await Deno.mkdir(join(dir, "trees"));
  const other = await holder(path);
  const waits: string[] = [];
  let entered = false;
  const taking = withFileLock(path, () => {
    entered = true;
    return Promise.resolve();
  }, { onWait: (line) => waits.push(line) });
  await new Promise((r) => setTimeout(r, 300));
  assertEquals(entered, false, "waits while held");
  assertEquals(waits, [`waiting for pid ${other.pid}, which holds ${path}`]);
  await stop(other);
  await taking;
  assertEquals(entered, true);
  // In one process, the second of two overlapping takers runs after the first.
  const order: string[] = [];
  await Promise.all([
    withFileLock(path, async () => {
      order.push("a in");
      await new Promise((r) => setTimeout(r, 200));
      order.push("a out");
    }),
    new Promise((r) => setTimeout(r, 50)).then(() =>
      withFileLock(path, () => {
        order.push("b");
        return Promise.resolve();
      })
    ),
  ]);
  assertEquals(order, ["a in", "a out", "b"]);
  await Deno.remove(dir, { recursive: true });
});
