/**
 * Impact analysis against the real kernel tools.
 *
 * - The seed fix (`depends on !CPU_V6`, cross/patches/xen-fix-not-cpu-v6.patch on top of the
 *   `2012` variant) over every arch/arm defconfig and the matrix's cells: the affected set, and
 *   for each configuration the symbols that change, equal what the real `make <name>_defconfig`
 *   (or `make allnoconfig` with the cell's fragment) writes before and after the patch; once as
 *   the defconfigs are, once with `CONFIG_XEN=y` merged into each (`make olddefconfig`, as the
 *   build stage merges a fragment), where the fix really removes XEN from some of them.
 * - A comment added to drivers/xen/grant-table.c, on the pristine tree, every defconfig with
 *   `CONFIG_XEN=y` merged: the affected set equals the defconfigs whose real build compiles the
 *   file. make itself says so for two of them (`make -n drivers/` descends into drivers/xen and
 *   compiles grant-table.o, or not), one of them is really compiled
 *   (`make prepare drivers/xen/grant-table.o`), and for all the rest the real `.config` decides
 *   through the two Makefile lines the test reads from the tree.
 * - `--emit-matrix` writes a matrix the matrix loader reads: the affected configurations, base
 *   and patched.
 *
 * The real make results are cached in the test cache, keyed by the trees' commits, the patch
 * and the configurations, and computed under the team's heavy-work lock, two makes at a time.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTreeRecord } from "./_tree.ts";
import { runCli } from "./_cli.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";
import { withFileLock } from "../lib/tree/cache_lock.ts";
import { loadMatrix } from "../lib/matrix/load_matrix.ts";
import {
  analyzeImpact,
  configValues,
  diffValues,
  type Impact,
} from "../lib/impact/patch_impact.ts";
import type { SymbolChange } from "../lib/impact/kconfig_changes.ts";
import { CompiledObjects, touchedObjects } from "../lib/impact/touched_objects.ts";
import { kbuildObjects } from "../lib/kbuild/kbuild_objects.ts";
import { loadKconfig } from "../lib/kconfig/kconfig.ts";

const ROOT = join(import.meta.dirname!, "..");
const MATRIX = join(ROOT, "matrix.yaml");
const FIX = join(ROOT, "cross", "patches", "xen-fix-not-cpu-v6.patch");
const GRANT = join(import.meta.dirname!, "fixtures", "intake", "grant-table-comment.patch");
const HEAVY_LOCK = "/tmp/team/heavy.lock";
const MAKE_ARGS = ["ARCH=arm", "CROSS_COMPILE=arm-linux-gnueabi-"];
const XEN_ON = ["CONFIG_XEN=y"];

/** A configuration the real tools resolve: a base target and fragment lines. */
interface RealConfig {
  id: string;
  base: string;
  kconfig: string[];
}

async function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await new Deno.Command("make", { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const out = new TextDecoder().decode(r.stdout);
  if (!r.success) {
    throw new Error(
      `Cannot run 'make ${args.join(" ")}': ${new TextDecoder().decode(r.stderr).slice(-1500)}`,
    );
  }
  return out;
}

/** The `.config` the real tools write for `c` on `src`, in the O= directory `out`. */
async function realConfig(src: string, out: string, c: RealConfig): Promise<string> {
  const make = (target: string, env: Record<string, string> = {}) =>
    run(["-s", "-C", src, ...MAKE_ARGS, `O=${out}`, target], env);
  if (c.base.endsWith("_defconfig")) {
    // As the build stage does: the defconfig, the fragment merged over it, olddefconfig.
    await make(c.base);
    if (c.kconfig.length) {
      const config = await Deno.readTextFile(join(out, ".config"));
      await Deno.writeTextFile(join(out, ".config"), config + c.kconfig.join("\n") + "\n");
      await make("olddefconfig");
    }
  } else {
    const fragment = join(out, "fragment.config");
    await Deno.writeTextFile(fragment, c.kconfig.join("\n") + "\n");
    await make(c.base, { KCONFIG_ALLCONFIG: fragment });
  }
  return await Deno.readTextFile(join(out, ".config"));
}

async function commitOf(src: string): Promise<string> {
  const r = await new Deno.Command("git", { args: ["-C", src, "rev-parse", "HEAD"] }).output();
  return new TextDecoder().decode(r.stdout).trim();
}

/**
 * For each configuration, what the real tools give on `before` and `after`: the symbols whose
 * value differs, and the values of `keep` symbols after. Cached by commits and configurations.
 */
async function realReference(
  before: string,
  after: string,
  configs: RealConfig[],
  keep: string[],
): Promise<Map<string, { changed: SymbolChange[]; after: Record<string, string> }>> {
  const key = createHash("sha256").update(JSON.stringify({
    before: await commitOf(before),
    after: await commitOf(after),
    configs,
    keep,
  })).digest("hex").slice(0, 16);
  const dir = join(cacheDir(), "impact-reference");
  const file = join(dir, `${key}.json`);
  if (!existsSync(file)) {
    await Deno.mkdir(dir, { recursive: true });
    const result: Record<string, { changed: SymbolChange[]; after: Record<string, string> }> = {};
    await withFileLock(HEAVY_LOCK, async () => {
      // Two workers, each with its own O= directory per tree: two makes at a time.
      let next = 0;
      await Promise.all([0, 1].map(async (w) => {
        const outs = [before, after].map((_, i) => join(dir, `O-${key}-${w}-${i}`));
        while (next < configs.length) {
          const c = configs[next++]!;
          const a = configValues(await realConfig(before, outs[0]!, c));
          // One tree twice (a patch that changes no Kconfig): the same .config.
          const b = after === before ? a : configValues(await realConfig(after, outs[1]!, c));
          result[c.id] = {
            changed: diffValues(a, b),
            after: Object.fromEntries(keep.map((k) => [k, b.get(k) ?? "n"])),
          };
        }
        for (const o of outs) await Deno.remove(o, { recursive: true }).catch(() => {});
      }));
    }, { onWait: (line) => console.error(line) });
    await Deno.writeTextFile(file, JSON.stringify(result));
  }
  const data = JSON.parse(await Deno.readTextFile(file));
  return new Map(Object.entries(data));
}

function affectedIds(impact: Impact): string[] {
  return impact.configs.filter((c) => c.affected).map((c) => c.id).sort();
}

const matrix = await loadMatrix(MATRIX);
const cells: RealConfig[] = matrix.cells.map((c) => ({
  id: c.id,
  base: c.base,
  kconfig: c.kconfig,
}));

for (const overlay of [[], XEN_ON]) {
  const what = overlay.length ? "defconfigs with CONFIG_XEN=y merged" : "defconfigs as they are";
  Deno.test(`impact: the seed fix changes exactly what real make changes (${what}, and the matrix cells)`, async () => {
    const impact = await analyzeImpact(FIX, {
      configs: MATRIX,
      ...(overlay.length ? { kconfig: overlay } : {}),
    });
    assertEquals(impact.hunks.map((h) => h.status), ["applies"]);
    assertEquals(impact.basePatches, matrix.variants.find((v) => v.name === "2012")!.patches);
    const defconfigs = impact.configs.filter((c) => c.base === c.id);
    assert.ok(defconfigs.length >= 100, `${defconfigs.length} defconfigs`);
    const configs: RealConfig[] = [
      ...defconfigs.map((c) => ({ id: c.id, base: c.base, kconfig: [...overlay] })),
      ...cells,
    ];
    const real = await realReference(impact.before, impact.after, configs, ["XEN"]);
    const realAffected = configs.map((c) => c.id).filter((id) => real.get(id)!.changed.length > 0)
      .sort();
    assertEquals(affectedIds(impact), realAffected);
    // Not only the same set: the same symbols, with the same values, for every configuration.
    for (const c of impact.configs) assertEquals(c.changed, real.get(c.id)!.changed, c.id);
    // What really changes is XEN (and what follows from it): the fix's only effect.
    for (const id of realAffected) {
      assert.ok(real.get(id)!.changed.some((s) => s.symbol === "XEN"), id);
    }
    assertEquals(
      realAffected.filter((id) => id.startsWith("arm/")),
      ["arm/gcc-12/v6+v7/xen-on"],
      "of the cells, only the v6+v7 one loses XEN",
    );
    if (overlay.length) {
      // Some defconfigs lose XEN (ARMv6 ones), others keep it: the split is real.
      const lost = realAffected.filter((id) => !id.startsWith("arm/"));
      assert.ok(lost.length > 0 && lost.length < defconfigs.length, `${lost.length} affected`);
      assert.ok(
        defconfigs.some((c) => real.get(c.id)!.after.XEN === "y"),
        "some defconfigs keep XEN=y",
      );
      const v6 = impact.configs.find((c) => c.id === lost[0])!;
      assert.ok(
        v6.reasons.some((r) => /CONFIG_XEN=y stops sticking: .*CPU_V6/.test(r)),
        v6.reasons.join("\n"),
      );
    } else {
      assertEquals(realAffected, ["arm/gcc-12/v6+v7/xen-on"], "no defconfig enables XEN");
    }
  });
}

Deno.test("impact: a grant-table.c patch affects exactly the defconfigs whose real build compiles it", async () => {
  const tree = await kernelTreeRecord();
  const impact = await analyzeImpact(GRANT, { kconfig: XEN_ON });
  assertEquals(impact.before, tree.dir);
  assertEquals(impact.touched.objects, ["drivers/xen/grant-table.o"]);
  assertEquals(impact.touched.kconfig, false);
  // The real condition for compiling grant-table.o, read from the tree's Makefiles.
  const drivers = await Deno.readTextFile(join(tree.dir, "drivers/Makefile"));
  assert.match(drivers, /^obj-\$\(CONFIG_XEN\)\s+\+= xen\/$/m);
  const xen = await Deno.readTextFile(join(tree.dir, "drivers/xen/Makefile"));
  assert.match(xen, /^obj-y\s+\+= grant-table\.o /m);
  const configs = impact.configs.map((c) => ({ id: c.id, base: c.base, kconfig: [...XEN_ON] }));
  // before = after for the config (a .c file): real .configs of the pristine tree twice.
  const real = await realReference(tree.dir, tree.dir, configs, ["XEN"]);
  const compiles = configs.map((c) => c.id).filter((id) => real.get(id)!.after.XEN === "y").sort();
  assertEquals(affectedIds(impact), compiles);
  assert.ok(
    compiles.length > 0 && compiles.length < configs.length,
    `${compiles.length} compile it`,
  );
  for (const c of impact.configs.filter((c) => c.affected)) {
    assertEquals(c.objects, [{ object: "drivers/xen/grant-table.o", as: "built-in" }], c.id);
  }

  // make itself, for one affected and one unaffected defconfig.
  const yes = compiles.includes("multi_v7_defconfig") ? "multi_v7_defconfig" : compiles[0]!;
  const no = configs.map((c) => c.id).find((id) => !compiles.includes(id))!;
  const made = await realBuilds(tree.dir, [yes, no]);
  assertEquals(made[yes], { descends: true, object: true }, `${yes}: make compiles grant-table.o`);
  assertEquals(made[no], { descends: false }, `${no}: make never reaches drivers/xen`);
});

/**
 * For each defconfig (with CONFIG_XEN=y merged): does `make -n drivers/` compile
 * drivers/xen/grant-table.o; and for those where it does, does a real
 * `make prepare drivers/xen/grant-table.o` produce it. Cached by tree commit.
 */
async function realBuilds(
  src: string,
  names: string[],
): Promise<Record<string, { descends: boolean; object?: boolean }>> {
  const key = createHash("sha256").update(JSON.stringify({ c: await commitOf(src), names }))
    .digest("hex").slice(0, 16);
  const file = join(cacheDir(), "impact-reference", `builds-${key}.json`);
  if (existsSync(file)) return JSON.parse(await Deno.readTextFile(file));
  const out: Record<string, { descends: boolean; object?: boolean }> = {};
  await withFileLock(HEAVY_LOCK, async () => {
    for (const name of names) {
      const o = join(cacheDir(), "impact-reference", `build-${name}`);
      await Deno.mkdir(o, { recursive: true });
      await realConfig(src, o, { id: name, base: name, kconfig: XEN_ON });
      const make = (...targets: string[]) =>
        run(["-C", src, ...MAKE_ARGS, `O=${o}`, "-j2", ...targets]);
      // A dry run still runs make's recursion: it shows which directories the build enters.
      const dry = await run(["-n", "-C", src, ...MAKE_ARGS, `O=${o}`, "drivers/"]);
      const descends = /\bCC +drivers\/xen\/grant-table\.o\b/.test(dry);
      out[name] = { descends };
      if (descends) {
        await make("prepare");
        await make("drivers/xen/grant-table.o");
        out[name]!.object = existsSync(join(o, "drivers/xen/grant-table.o"));
      }
      await Deno.remove(o, { recursive: true });
    }
  }, { onWait: (line) => console.error(line) });
  await Deno.writeTextFile(file, JSON.stringify(out));
  return out;
}

Deno.test("impact: --emit-matrix writes the affected cells, base and patched, that load as a matrix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-impact-" });
  try {
    const file = join(dir, "impact.yaml");
    const r = await runCli(["impact", FIX, "--configs", MATRIX, "--emit-matrix", file], {
      env: { ...Deno.env.toObject() },
    });
    assertEquals(r.code, 0, r.err);
    assert.match(r.out, /^affected: 1 of \d+ configurations$/m);
    assert.match(r.out, /^ {2}arm\/gcc-12\/v6\+v7\/xen-on +config changes: .*XEN: y → n/m);
    const m = await loadMatrix(file);
    const v6v7 = matrix.cells.find((c) => c.id === "arm/gcc-12/v6+v7/xen-on")!;
    assertEquals(m.cells.map((c) => [c.id, c.base, c.kconfig]), [
      ["arm/gcc-12/v6+v7.xen-on", v6v7.base, v6v7.kconfig],
    ]);
    const fix = matrix.variants.find((v) => v.name === "fix")!;
    assertEquals(m.variants.map((v) => [v.name, v.patches]), [
      ["base", matrix.variants.find((v) => v.name === "2012")!.patches],
      ["patched", fix.patches],
    ]);
    assertEquals(m.baseline, "base");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("impact: a patch none of whose hunks apply is bad input, said in one line", async () => {
  // The fix was written on top of the 2012 state: on the pristine tree its context differs.
  const r = await runCli(["impact", FIX, "--configs", "multi_v7_defconfig"], {
    env: { ...Deno.env.toObject() },
  });
  assertEquals(r.code, 2);
  assert.match(
    r.err.trim(),
    /^Cannot analyse impact of '.*xen-fix-not-cpu-v6\.patch': no hunk applies to this tree \(arch\/arm\/Kconfig #1: conflict\)$/,
  );
});

Deno.test("impact: a header reaches the objects that include it, directly or through headers", async () => {
  const tree = (await kernelTreeRecord()).dir;
  const t = touchedObjects(tree, ["include/xen/grant_table.h"], { srcarch: "arm" });
  assert.ok(t.objects.includes("drivers/xen/grant-table.o"), t.objects.join(" "));
  for (const o of t.objects) {
    assertEquals(t.via.get(o), "include/xen/grant_table.h");
    const c = ["c", "S"].map((e) => join(tree, o.replace(/\.o$/, `.${e}`))).find(existsSync);
    assert.ok(c, `${o} has a source file`);
  }
  // Every direct includer in the tree is found (grep by another route: reading every .c file
  // of drivers/xen and arch/arm/xen).
  for (const dir of ["drivers/xen", "arch/arm/xen"]) {
    for (const e of Deno.readDirSync(join(tree, dir))) {
      if (!e.name.endsWith(".c")) continue;
      const text = await Deno.readTextFile(join(tree, dir, e.name));
      if (/^#include <xen\/grant_table\.h>/m.test(text)) {
        assert.ok(t.objects.includes(`${dir}/${e.name.replace(/\.c$/, ".o")}`), e.name);
      }
    }
  }
});

Deno.test("impact: the object lookup restricted to a few directories agrees with the full model", async () => {
  const tree = (await kernelTreeRecord()).dir;
  const objects = [
    "drivers/xen/grant-table.o",
    "drivers/xen/events/events_base.o",
    "arch/arm/xen/enlighten.o",
    "drivers/mmc/host/omap_hsmmc.o",
    "lib/crc32.o",
  ];
  const kc = await loadKconfig(tree, { arch: "arm", crossCompile: "arm-linux-gnueabi-" });
  const lookup = new CompiledObjects(tree, objects, { arch: "arm", srcarch: "arm" });
  for (const name of ["multi_v7_defconfig", "omap2plus_defconfig"]) {
    kc.defconfig(name);
    kc.olddefconfig(kc.write(), { fragment: XEN_ON });
    const full = kbuildObjects(tree, {
      arch: "arm",
      value: (n) => kc.value(n),
      symbols: kc.tree.symbols.keys(),
    });
    const how = (o: string) =>
      full.builtin.includes(o)
        ? "built-in"
        : full.lib.includes(o)
        ? "lib"
        : [...full.modules].find(([, parts]) => parts.includes(o))?.[0];
    const got = lookup.compiled(kc);
    assertEquals(
      objects.map((o) => [o, got.get(o)?.as]),
      objects.map((o) => [o, how(o)]),
      name,
    );
  }
});
