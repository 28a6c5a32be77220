/**
 * Builds the same failures twice for real, in two build directories with different -j, and
 * checks that the signatures are identical. Cheap: allnoconfig, `make prepare`, two objects that
 * fail under W=1 KCFLAGS=-Werror, with ccache shared between the two directories.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { kernelTree } from "./_tree.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";
import { parseLog } from "../lib/diagnose/parse_log.ts";

const CROSS = "arm-linux-gnueabi-";

function hasToolchain(): boolean {
  try {
    return new Deno.Command(`${CROSS}gcc`, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

const toolchain = hasToolchain();
if (!toolchain) console.error(`diagnose_rebuild_test: skipped, ${CROSS}gcc is not installed`);

async function make(tree: string, out: string, args: string[]): Promise<string> {
  const ccache = join(cacheDir(), "ccache");
  await Deno.mkdir(ccache, { recursive: true });
  const { stdout, stderr } = await new Deno.Command("make", {
    args: [
      "-C",
      tree,
      `O=${out}`,
      "ARCH=arm",
      `CROSS_COMPILE=${CROSS}`,
      `CC=ccache ${CROSS}gcc`,
      "HOSTCC=ccache gcc",
      ...args,
    ],
    // One cache, paths made relative: the second directory hits what the first compiled.
    env: { CCACHE_DIR: ccache, CCACHE_BASEDIR: "/", LANG: "C.UTF-8" },
  }).output();
  const dec = new TextDecoder();
  return dec.decode(stdout) + dec.decode(stderr);
}

async function build(tree: string, out: string, jobs: number): Promise<string> {
  await make(tree, out, ["allnoconfig"]);
  await make(tree, out, [`-j${jobs}`, "prepare"]);
  return await make(tree, out, [
    "-k",
    `-j${jobs}`,
    "W=1",
    "KCFLAGS=-Werror",
    "kernel/fork.o",
    "kernel/exit.o",
  ]);
}

Deno.test({
  name: "signatures of one failure are identical across build directories and -j",
  ignore: !toolchain,
  async fn() {
    const tree = await kernelTree();
    const a = await Deno.makeTempDir({ prefix: "kmatrix-diag-a-" });
    const b = await Deno.makeTempDir({ prefix: "kmatrix-diag-bb-" });
    try {
      const logA = await build(tree, a, 1);
      const logB = await build(tree, b, 2);
      const sigA = parseLog(logA, { buildDir: a, srcDir: tree }).map((d) => d.signature).sort();
      const sigB = parseLog(logB, { buildDir: b, srcDir: tree }).map((d) => d.signature).sort();
      assert.ok(sigA.length >= 3, `expected the -Werror failures, got:\n${logA}`);
      assert.deepEqual(sigB, sigA);
      // The logs differ (directories), the signatures name tree-relative files and objects.
      assert.notEqual(logA, logB);
      assert.ok(sigA.includes("make:1:kernel/fork.o"));
      assert.ok(sigA.includes("make:1:kernel/exit.o"));
      assert.ok(
        sigA.some((s) =>
          s.startsWith("cc:error:no previous prototype for ") && s.includes("@kernel/fork.c:")
        ),
      );
      assert.ok(sigA.every((s) => !s.includes(a) && !s.includes(tree)));
    } finally {
      await Deno.remove(a, { recursive: true });
      await Deno.remove(b, { recursive: true });
    }
  },
});
