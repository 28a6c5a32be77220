/**
 * The Kbuild object model against real make: for the default matrix's cells on the `2012`
 * variant, the objects the model puts in vmlinux are exactly the members of the `vmlinux.a` a
 * real `make vmlinux` left (`arm-linux-gnueabi-ar t`), and its `lib.a` objects exactly the
 * members of the real `lib/lib.a` and `arch/arm/lib/lib.a`.
 *
 * The real build is the build stage's own O= directory when a matrix run left one with the
 * same `.config`; otherwise the test builds the cell there itself (buildCell, -j2, ccache).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant, type VariantTree } from "../lib/patch/variant_tree.ts";
import type { Cell } from "../lib/matrix/load_matrix.ts";
import { buildCell, cellSlug } from "../lib/execute/build_cell.ts";
import { loadRuntime } from "../lib/environment/runtime.ts";
import { loadKconfig } from "../lib/kconfig/kconfig.ts";
import { kbuildObjects } from "../lib/kbuild/kbuild_objects.ts";
import { kernelTreeRecord } from "./_tree.ts";

const MATRIX = new URL("../matrix.yaml", import.meta.url).pathname;

/** An O= directory holding a real `make vmlinux` of `cell` whose .config is `config`. */
async function realBuild(cell: Cell, variant: VariantTree, config: string): Promise<string> {
  const body = (t: string) => t.split("\n").slice(4).join("\n");
  // The build stage's own directory: a matrix run (or the matrix build test) may have left the
  // cell built already; building there also shares ccache with those runs, whose relative
  // paths are the same.
  const dir = join(variant.root, "build", cellSlug(cell.id));
  if (existsSync(join(dir, "vmlinux.a")) && existsSync(join(dir, ".config"))) {
    if (body(await Deno.readTextFile(join(dir, ".config"))) === body(config)) return dir;
  }
  const out = await Deno.makeTempDir({ prefix: "kmatrix-kbuild-test-" });
  const r = await buildCell(cell, variant, {
    runtime: loadRuntime("host"),
    outDir: out,
    targets: ["vmlinux"],
    jobs: 2,
  });
  assert.notEqual(r.status, "infra", `real build of ${cell.id} could not run: ${r.log}`);
  await Deno.remove(out, { recursive: true });
  return dir;
}

function arMembers(archive: string, buildDir: string): string[] {
  const r = new Deno.Command("arm-linux-gnueabi-ar", { args: ["t", archive] }).outputSync();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  return new TextDecoder().decode(r.stdout).split("\n").filter(Boolean)
    .map((l) => l.startsWith(buildDir + "/") ? l.slice(buildDir.length + 1) : l);
}

const matrix = await loadMatrix(MATRIX);
const variant2012 = matrix.variants.find((v) => v.name === "2012")!;

for (const cell of matrix.cells) {
  Deno.test(`kbuild model = real vmlinux.a and lib.a members: ${cell.id} (2012)`, async () => {
    const variant = await prepareVariant(await kernelTreeRecord(), variant2012);
    const kc = await loadKconfig(variant.src, { arch: "arm", crossCompile: cell.crossCompile });
    kc.allnoconfig({ fragment: cell.kconfig });
    const model = kbuildObjects(variant.src, {
      arch: cell.arch.kernel_arch,
      srcarch: cell.arch.srcarch,
      value: (n) => kc.value(n),
      symbols: kc.tree.symbols.keys(),
    });
    assert.deepEqual(model.unmodelled, []);
    const dir = await realBuild(cell, variant, kc.write());
    const real = arMembers(join(dir, "vmlinux.a"), dir);
    assert.ok(real.length > 300, `vmlinux.a has only ${real.length} members`);
    // vmlinux.a is built-in.a flattened, in link order: the model's order is make's order.
    assert.deepEqual(model.builtin, real);
    const realLib = ["lib/lib.a", "arch/arm/lib/lib.a"].flatMap((a) =>
      arMembers(join(dir, a), dir)
    );
    assert.deepEqual([...model.lib].sort(), [...realLib].sort());
  });
}
