/**
 * Durations are written atomically by jobs finishing at once: the CI run of 2026-12-07 lost a
 * parallel run to two writes sharing one temporary name (`rename … durations.json.519.tmp`:
 * NotFound). Many concurrent writes must all succeed and leave one whole file.
 */
import { join } from "node:path";
import { assertEquals } from "./_assert.ts";
import { readDurations, writeDurations } from "../lib/run/durations.ts";

Deno.test("durations: concurrent writes of one process all land, the file stays whole", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-durations-" });
  const path = join(dir, "durations.json");
  const writes = Array.from({ length: 32 }, (_, i) => writeDurations(path, { [`cell${i}`]: i }));
  await Promise.all(writes);
  const read = await readDurations(path);
  assertEquals(Object.keys(read).length, 1, "one whole object, from one of the writes");
  assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["durations.json"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("durations: a missing or broken file reads as none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-durations-" });
  assertEquals(await readDurations(join(dir, "missing.json")), {});
  await Deno.writeTextFile(join(dir, "broken.json"), "{ half");
  assertEquals(await readDurations(join(dir, "broken.json")), {});
  await Deno.remove(dir, { recursive: true });
});
