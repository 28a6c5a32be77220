/**
 * The test-cache guard (test/_cache.ts): a test helper loaded without `KMATRIX_CACHE`, or with
 * it naming the user's cache (however spelled), stops before anything touches a cache.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";

const GUARD = join(import.meta.dirname!, "_cache.ts");

/** Load the guard in a fresh process with exactly `env` (plus PATH); stderr and exit code. */
async function load(env: Record<string, string>): Promise<{ code: number; err: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args: ["eval", `await import(${JSON.stringify(GUARD)}); console.log("loaded")`],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, err: new TextDecoder().decode(o.stderr) };
}

Deno.test("cache guard: refuses an unset KMATRIX_CACHE and the user's cache", async () => {
  const home = await Deno.makeTempDir();
  const cases: [Record<string, string>, string][] = [
    [{ HOME: home }, "KMATRIX_CACHE is not set, so the tests would use the user's cache"],
    [
      { HOME: home, KMATRIX_CACHE: join(home, ".cache", "kmatrix") },
      "KMATRIX_CACHE is the user's cache",
    ],
    [
      { HOME: home, KMATRIX_CACHE: join(home, ".cache", "x", "..", "kmatrix/") },
      "KMATRIX_CACHE is the user's cache",
    ],
    [
      {
        HOME: home,
        XDG_CACHE_HOME: join(home, "xdg"),
        KMATRIX_CACHE: join(home, "xdg", "kmatrix"),
      },
      "KMATRIX_CACHE is the user's cache",
    ],
  ];
  for (const [env, why] of cases) {
    const r = await load(env);
    assert(r.code !== 0, JSON.stringify(env));
    assert(
      r.err.includes(
        `Cannot run the tests in cache '${
          env.KMATRIX_CACHE ?? join(home, ".cache", "kmatrix")
        }': ${why}; run them with 'deno task test' or set KMATRIX_CACHE=$HOME/.cache/kmatrix-test`,
      ),
      r.err,
    );
  }
  // Through a symlink.
  await Deno.mkdir(join(home, ".cache", "kmatrix"), { recursive: true });
  await Deno.symlink(join(home, ".cache", "kmatrix"), join(home, "link"));
  const linked = await load({ HOME: home, KMATRIX_CACHE: join(home, "link") });
  assert(linked.code !== 0 && linked.err.includes("KMATRIX_CACHE is the user's cache"), linked.err);
  const ok = await load({ HOME: home, KMATRIX_CACHE: join(home, ".cache", "kmatrix-test") });
  assertEquals(ok.code, 0, ok.err);
  await Deno.remove(home, { recursive: true });
});
