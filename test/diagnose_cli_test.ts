import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runCli } from "./_cli.ts";

const fixtures = fileURLToPath(new URL("./fixtures/logs/", import.meta.url));

function run(args: string[]) {
  return runCli(["diagnose", ...args]);
}

Deno.test("diagnose command prints signatures and exits by outcome", async () => {
  const seed = await run([`${fixtures}seed_link.log`]);
  assert.equal(seed.code, 1);
  assert.match(
    seed.out,
    /^error {3}ld:undefined:__bad_cmpxchg@drivers\/xen\/grant-table\.o \(x2\)$/m,
  );
  const json = await run([`${fixtures}seed_link.log`, "--json", "--build-dir", "/var/tmp/diag/b1"]);
  assert.equal(JSON.parse(json.out)[0].symbol, "__bad_cmpxchg");
  assert.equal((await run([`${fixtures}warnings_clean.log`])).code, 0);
  assert.equal((await run([`${fixtures}killed.log`])).code, 3);
});

Deno.test("diagnose command rejects a missing log with one line and exit 2", async () => {
  const r = await run(["/nonexistent/build.log"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^Cannot read log '\/nonexistent\/build\.log': /);
  assert.equal(r.err.trim().split("\n").length, 1);
  assert.equal((await run([])).code, 2);
});
