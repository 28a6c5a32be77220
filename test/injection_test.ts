/**
 * No injection: matrix values and patch contents are data, never shell. Shell payloads
 * (`$(…)`, backticks, `; …`, `&& …`, `| …`, quotes, make's `$(shell …)`) go into every free
 * string of a matrix (a variant's description, Kconfig string values, a patch's file name, the
 * patch's subject) and into the arguments; `matrix --list`, the pure-TypeScript prediction
 * (`config`), and a real run (config step, prediction, `make kernelversion`) then leave no
 * marker file behind and the sentinel an `rm -rf` payload aims at stands.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { assert, assertEquals } from "./_assert.ts";
import { runCli } from "./_cli.ts";
import { sharedCache } from "./_cache.ts";
import { kernelTree, kernelTreeRecord } from "./_tree.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { InputError } from "../lib/errors.ts";

const REPO = join(import.meta.dirname!, "..");
const SCENARIO = await Deno.readTextFile(join(REPO, "cross", "patches", "xen-2012-state.patch"));

/** Payloads that each create `<marker dir>/<n>` (or remove the sentinel) if run by a shell. */
function payloads(m: string): string[] {
  return [
    `$(touch ${m}/dollar)`,
    `\`touch ${m}/backtick\``,
    `; touch ${m}/semicolon;`,
    `&& touch ${m}/and`,
    `| touch ${m}/pipe`,
    `' ; touch ${m}/squote ; '`,
    `\\" ; touch ${m}/dquote ; \\"`,
    `; rm -rf ${m}/sentinel ;`,
    `$(shell touch ${m}/make)`,
    `\${shell touch ${m}/makebrace}`,
  ];
}

/** Nothing ran: no marker in the marker directory or the working directory, sentinel intact. */
function nothingRan(m: string, cwd: string): void {
  const made = [...Deno.readDirSync(m)].map((e) => e.name);
  assertEquals(made, ["sentinel"], "only the sentinel is in the marker directory");
  const stray = [...Deno.readDirSync(cwd)].map((e) => e.name).filter((n) =>
    /^(dollar|semicolon|backtick)-name$/.test(n)
  );
  assertEquals(stray, [], "no marker in the working directory");
  assert(existsSync(join(m, "sentinel", "keep")));
}

async function setup(): Promise<{ dir: string; m: string; patch: string; yaml: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-inject-" });
  const m = join(dir, "markers");
  await Deno.mkdir(join(m, "sentinel"), { recursive: true });
  await Deno.writeTextFile(join(m, "sentinel", "keep"), "");
  const p = payloads(m);
  // A file name cannot hold '/': its payloads make markers in the working directory.
  const patch = "x $(touch dollar-name) ; touch semicolon-name `touch backtick-name`.patch";
  // The scenario patch, byte for byte (so its worktree is the one other tests made).
  await Deno.writeTextFile(join(dir, patch), SCENARIO);
  const q = (s: string) => JSON.stringify(s);
  // Kconfig string values: a fragment string holds no '"' or '\' unescaped; '\"' is one.
  const cmdline = p.join(" ");
  const yaml = `# every free string carries shell payloads
tree: debian:linux-source-6.1
arch: [arm]
toolchain: [gcc-12]
targets: [kernelversion]
kconfig: [CONFIG_MMU=y, CONFIG_AEABI=y]
# An axis of its own gives the cell a build directory no other test uses.
axes:
  injection:
    payloads:
      - CONFIG_CMDLINE=${q(cmdline)}
      - CONFIG_LOCALVERSION=${q(p[0]!)}
variants:
  - name: a
    description: ${q(p.join(" "))}
    patches: [${q(patch)}]
`;
  await Deno.writeTextFile(join(dir, "m.yaml"), yaml);
  return { dir, m, patch, yaml };
}

Deno.test("injection: --list, the predictor and bad arguments run nothing", async () => {
  const { dir, m, yaml } = await setup();
  const list = await runCli(["matrix", "m.yaml", "--list"], { cwd: dir });
  assertEquals(list.code, 0, list.err);
  assert(list.out.includes(`$(touch ${m}/dollar)`), "the payload is printed as data");
  // Payloads where names are checked (tree path, runtime, base): refused as bad input, not run.
  for (
    const [from, to] of [
      ["tree: debian:linux-source-6.1", `tree: ${JSON.stringify(payloads(m)[0])}`],
      ["tree: debian:linux-source-6.1", `runtime: ${JSON.stringify(payloads(m)[2])}`],
      ["targets: [kernelversion]", `targets: [${JSON.stringify(payloads(m)[1])}]`],
      ["tree: debian:linux-source-6.1", `base: ${JSON.stringify(`${payloads(m)[0]}_defconfig`)}`],
    ] as const
  ) {
    await Deno.writeTextFile(join(dir, "bad.yaml"), yaml.replace(from, to));
    const r = await runCli(["matrix", "bad.yaml", "--list"], { cwd: dir });
    assertEquals(r.code, 2, `${to}: ${r.err}`);
  }
  // Payloads as arguments: refused as bad input, not run.
  for (const args of [["--cells", payloads(m)[0]!], ["--variants", payloads(m)[2]!]]) {
    const r = await runCli(["matrix", "m.yaml", "--list", ...args], { cwd: dir });
    assertEquals(r.code, 2, r.err);
  }
  // Prediction only: the pure-TypeScript Kconfig engine with the payload fragment.
  const tree = await kernelTree();
  const out = join(dir, "predicted.config");
  const cfg = await runCli([
    "config",
    "--tree",
    tree,
    "--arch",
    "arm",
    "--allnoconfig",
    "--add",
    "CONFIG_MMU=y",
    "--add",
    `CONFIG_CMDLINE="$(touch ${m}/dollar) \`touch ${m}/backtick\` ; rm -rf ${m}/sentinel ;"`,
    "--output",
    out,
  ], { cwd: dir });
  assertEquals(cfg.code, 0, cfg.err);
  assert((await Deno.readTextFile(out)).includes(`$(touch ${m}/dollar)`));
  nothingRan(m, dir);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("injection: a real run (config step, prediction, make) runs nothing", async () => {
  await kernelTree();
  const { dir, m } = await setup();
  const cache = await sharedCache();
  try {
    const r = await runCli(["matrix", "m.yaml", "--out", "out", "--jobs", "2", "--no-cache"], {
      cwd: dir,
      env: { KMATRIX_CACHE: cache },
    });
    assertEquals(r.code, 0, r.err);
    const results = JSON.parse(await Deno.readTextFile(join(dir, "out", "results.json")));
    const [res] = results.results;
    assertEquals(res.status, "pass", r.err);
    assertEquals(res.cached, undefined, "built, not taken from the result cache");
    // The value went through as data, into the real .config, and make ran.
    // Paths in results.json are relative to it.
    const config = await Deno.readTextFile(join(dir, "out", res.config));
    assert(config.includes(`$(touch ${m}/dollar)`), "CONFIG_CMDLINE kept the payload");
    assert(
      config.includes(`CONFIG_LOCALVERSION="$(touch ${m}/dollar)"`),
      "CONFIG_LOCALVERSION kept the payload",
    );
    nothingRan(m, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("injection: a patch writing outside its worktree is refused before git", async () => {
  const tree = await kernelTreeRecord();
  const dir = await Deno.makeTempDir();
  const cases = [
    ["a/../../outside", /path 'a\/\.\.\/\.\.\/outside' is outside the tree/],
    ["a/.git/config", /path 'a\/\.git\/config' is outside the tree/],
  ] as const;
  for (const [path, re] of cases) {
    const patch = join(dir, "escape.patch");
    await Deno.writeTextFile(
      patch,
      `diff --git ${path} ${path.replace(/^a/, "b")}\nnew file mode 100644\n--- /dev/null\n+++ ${
        path.replace(/^a/, "b")
      }\n@@ -0,0 +1 @@\n+owned\n`,
    );
    await assert.rejects(
      () => prepareVariant(tree, { name: "escape", patches: [patch] }, { displayBase: dir }),
      (e) => {
        assert(e instanceof InputError);
        assert.match(
          e.message,
          /^Cannot apply patch 'escape\.patch' to variant 'escape': escape\.patch:\d+: /,
        );
        assert.match(e.message, re);
        return true;
      },
    );
  }
  assertEquals(existsSync(join(tree.dir, "..", "outside")), false);
  await Deno.remove(dir, { recursive: true });
});
