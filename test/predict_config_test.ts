/**
 * The predicted `.config` of every default matrix cell on every variant is byte-identical to
 * the one real `make O=<tmp> ARCH=arm CROSS_COMPILE=… KCONFIG_ALLCONFIG=<fragment> allnoconfig`
 * writes on the variant's patched tree.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import { prepareVariant } from "../lib/patch/variant_tree.ts";
import { predictCell } from "../lib/predict/predict_cell.ts";
import { kernelTreeRecord } from "./_tree.ts";

const matrix = await loadMatrix(new URL("../matrix.yaml", import.meta.url).pathname);

for (const variant of matrix.variants) {
  for (const cell of matrix.cells) {
    Deno.test(`predicted .config = real make ${cell.base}: ${cell.id} (${variant.name})`, async () => {
      const tree = await prepareVariant(await kernelTreeRecord(), variant);
      const tmp = await Deno.makeTempDir({ prefix: "kmatrix-predict-config-" });
      try {
        const fragment = join(tmp, "fragment");
        await Deno.writeTextFile(fragment, cell.kconfig.map((l) => `${l}\n`).join(""));
        const out = join(tmp, "o");
        const r = await new Deno.Command("make", {
          args: [
            "-s",
            "-C",
            tree.src,
            `O=${out}`,
            `ARCH=${cell.arch.kernel_arch}`,
            `CROSS_COMPILE=${cell.crossCompile}`,
            cell.base,
          ],
          env: { KCONFIG_ALLCONFIG: fragment, LC_ALL: "C" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
        const real = await Deno.readTextFile(join(out, ".config"));
        const p = await predictCell(cell, tree.src);
        assert.equal(p.config, real);
      } finally {
        await Deno.remove(tmp, { recursive: true });
      }
    });
  }
}
