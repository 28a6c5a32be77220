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
 * The real make results are cached in the test cache, keyed by the trees' commits and the
 * configurations: the .configs (config targets, niced, two makes at a time), and the two real
 * builds (one pair at a time per test cache, under a lock file there).
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
import { prepareVariant } from "../lib/patch/variant_tree.ts";

const ROOT = join(import.meta.dirname!, "..");
const MATRIX = join(ROOT, "matrix.yaml");
const FIX = join(ROOT, "cross", "patches", "xen-fix-not-cpu-v6.patch");
const GRANT = join(import.meta.dirname!, "fixtures", "intake", "grant-table-comment.patch");
const MAKE_ARGS = ["ARCH=arm", "CROSS_COMPILE=arm-linux-gnueabi-"];
const XEN_ON = ["CONFIG_XEN=y"];

/** A configuration the real tools resolve: a base target and fragment lines. */
interface RealConfig {
  id: string;
  base: string;
  kconfig: string[];
}

async function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  // Config targets are light work by the team's rule; niced, two at a time, they leave the
  // machine to the builds.
  const r = await new Deno.Command("nice", {
    args: ["-n", "10", "make", ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
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

/** What the real tools say, for every test of this file. */
interface Reference {
  /** Seed fix (2012 → fix tree): per overlay (`plain`, `xen`), per configuration. */
  fix: Record<string, Record<string, { changed: SymbolChange[]; xen: string }>>;
  /** Pristine tree, each defconfig with CONFIG_XEN=y merged: the resolved XEN. */
  pristineXen: Record<string, string>;
}

let pendingReference: Promise<Reference> | undefined;

/**
 * Every real .config the tests compare with, computed once (config targets only: light work
 * by the team's rule, run niced, two makes at a time) and cached by the trees' commits and the
 * configurations. For each defconfig, on each tree: `make <name>_defconfig` (the plain
 * .config), then CONFIG_XEN=y appended and `make olddefconfig`; the matrix cells through
 * `make allnoconfig` with their fragment as KCONFIG_ALLCONFIG.
 */
function reference(
  trees: { before: string; after: string; pristine: string },
  names: string[],
): Promise<Reference> {
  pendingReference ??= computeReference(trees, names);
  return pendingReference;
}

async function computeReference(
  trees: { before: string; after: string; pristine: string },
  names: string[],
): Promise<Reference> {
  const key = createHash("sha256").update(JSON.stringify({
    commits: await Promise.all([trees.before, trees.after, trees.pristine].map(commitOf)),
    names,
    cells,
    XEN_ON,
  })).digest("hex").slice(0, 16);
  const dir = join(cacheDir(), "impact-reference");
  const file = join(dir, `${key}.json`);
  if (existsSync(file)) return JSON.parse(await Deno.readTextFile(file));
  await Deno.mkdir(dir, { recursive: true });
  const ref: Reference = { fix: { plain: {}, xen: {} }, pristineXen: {} };
  {
    const srcs = [trees.before, trees.after, trees.pristine];
    const jobs: ((outs: string[]) => Promise<void>)[] = [];
    // One `make <name>_defconfig` gives the plain .config; CONFIG_XEN=y appended and
    // `make olddefconfig` then give the merged one.
    const defconfig = async (src: string, out: string, name: string) => {
      const plain = await realConfig(src, out, { id: name, base: name, kconfig: [] });
      await Deno.writeTextFile(join(out, ".config"), plain + XEN_ON.join("\n") + "\n");
      await run(["-s", "-C", src, ...MAKE_ARGS, `O=${out}`, "olddefconfig"]);
      return {
        plain: configValues(plain),
        xen: configValues(await Deno.readTextFile(join(out, ".config"))),
      };
    };
    const record = (
      overlay: string,
      id: string,
      a: Map<string, string>,
      b: Map<string, string>,
    ) => {
      ref.fix[overlay]![id] = { changed: diffValues(a, b), xen: b.get("XEN") ?? "n" };
    };
    for (const name of names) {
      jobs.push(async (outs) => {
        const a = await defconfig(trees.before, outs[0]!, name);
        const b = await defconfig(trees.after, outs[1]!, name);
        record("plain", name, a.plain, b.plain);
        record("xen", name, a.xen, b.xen);
        ref.pristineXen[name] = (await defconfig(trees.pristine, outs[2]!, name)).xen.get("XEN") ??
          "n";
      });
    }
    for (const c of cells) {
      jobs.push(async (outs) => {
        const a = configValues(await realConfig(trees.before, outs[0]!, c));
        const b = configValues(await realConfig(trees.after, outs[1]!, c));
        record("plain", c.id, a, b);
        ref.fix.xen![c.id] = ref.fix.plain![c.id]!;
      });
    }
    // Two workers, each with its own O= directory per tree: two makes at a time.
    let next = 0;
    await Promise.all([0, 1].map(async (w) => {
      const outs = srcs.map((_, i) => join(dir, `O-${w}-${i}`));
      while (next < jobs.length) await jobs[next++]!(outs);
      for (const o of outs) await Deno.remove(o, { recursive: true }).catch(() => {});
    }));
  }
  await Deno.writeTextFile(file, JSON.stringify(ref));
  return ref;
}

/**
 * make itself, on the pristine tree, for one defconfig that keeps XEN=y and one that does not
 * (chosen from the real .configs): real builds, under a lock in the test cache, cached by the
 * tree's commit and the two names.
 */
async function realBuilds(
  pristine: string,
  pristineXen: Record<string, string>,
): Promise<Record<string, { descends: boolean; object?: boolean }>> {
  const names = Object.keys(pristineXen).sort();
  const yes = pristineXen["multi_v7_defconfig"] === "y"
    ? "multi_v7_defconfig"
    : names.find((n) => pristineXen[n] === "y")!;
  const no = names.find((n) => pristineXen[n] !== "y")!;
  const key = createHash("sha256").update(JSON.stringify([await commitOf(pristine), yes, no]))
    .digest("hex").slice(0, 16);
  const file = join(cacheDir(), "impact-reference", `builds-${key}.json`);
  if (existsSync(file)) return JSON.parse(await Deno.readTextFile(file));
  const out: Record<string, { descends: boolean; object?: boolean }> = {};
  // One pair of builds at a time per test cache.
  await withFileLock(join(cacheDir(), "impact-reference", ".builds.lock"), async () => {
    for (const name of [yes, no]) out[name] = await realBuild(pristine, name);
  }, { onWait: (line) => console.error(line) });
  await Deno.writeTextFile(file, JSON.stringify(out));
  return out;
}

/**
 * Does the real build of `name` (CONFIG_XEN=y merged) compile drivers/xen/grant-table.o?
 * `make -n drivers/` still runs make's recursion, so it shows whether the build enters
 * drivers/xen and compiles the file; where it does, `make prepare drivers/xen/grant-table.o`
 * compiles it for real.
 */
async function realBuild(
  src: string,
  name: string,
): Promise<{ descends: boolean; object?: boolean }> {
  const o = join(cacheDir(), "impact-reference", `build-${name}`);
  await Deno.mkdir(o, { recursive: true });
  try {
    await realConfig(src, o, { id: name, base: name, kconfig: XEN_ON });
    const dry = await run(["-n", "-C", src, ...MAKE_ARGS, `O=${o}`, "drivers/"]);
    const descends = /\bCC +drivers\/xen\/grant-table\.o\b/.test(dry);
    if (!descends) return { descends };
    await run(["-s", "-C", src, ...MAKE_ARGS, `O=${o}`, "-j2", "prepare"]);
    await run(["-s", "-C", src, ...MAKE_ARGS, `O=${o}`, "drivers/xen/grant-table.o"]);
    return { descends, object: existsSync(join(o, "drivers/xen/grant-table.o")) };
  } finally {
    await Deno.remove(o, { recursive: true });
  }
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

/** The trees of the reference: the matrix's 2012 and fix variants, and the pristine tree. */
async function trees(): Promise<{ before: string; after: string; pristine: string }> {
  const tree = await kernelTreeRecord();
  const variant = async (name: string) =>
    (await prepareVariant(tree, matrix.variants.find((v) => v.name === name)!)).src;
  return { before: await variant("2012"), after: await variant("fix"), pristine: tree.dir };
}

for (const overlay of [[], XEN_ON]) {
  const what = overlay.length ? "defconfigs with CONFIG_XEN=y merged" : "defconfigs as they are";
  Deno.test(`impact: the seed fix changes exactly what real make changes (${what}, and the matrix cells)`, async () => {
    const impact = await analyzeImpact(FIX, {
      configs: MATRIX,
      ...(overlay.length ? { kconfig: overlay } : {}),
    });
    assertEquals(impact.hunks.map((h) => h.status), ["applies"]);
    assertEquals(impact.basePatches, matrix.variants.find((v) => v.name === "2012")!.patches);
    const t = await trees();
    assertEquals([impact.before, impact.after], [t.before, t.after]);
    const defconfigs = impact.configs.filter((c) => c.base === c.id).map((c) => c.id);
    assert.ok(defconfigs.length >= 100, `${defconfigs.length} defconfigs`);
    const real = (await reference(t, defconfigs)).fix[overlay.length ? "xen" : "plain"]!;
    const ids = [...defconfigs, ...cells.map((c) => c.id)];
    const realAffected = ids.filter((id) => real[id]!.changed.length > 0).sort();
    assertEquals(affectedIds(impact), realAffected);
    // Not only the same set: the same symbols, with the same values, for every configuration.
    for (const c of impact.configs) assertEquals(c.changed, real[c.id]!.changed, c.id);
    // What really changes is XEN (and what follows from it): the fix's only effect.
    for (const id of realAffected) {
      assert.ok(real[id]!.changed.some((s) => s.symbol === "XEN"), id);
    }
    // The founding story: the v6+v7 cell loses XEN, the ARMv7-only one keeps it.
    assert.ok(realAffected.includes("arm/gcc-12/v6+v7/xen-on"), realAffected.join(" "));
    assert.ok(!realAffected.includes("arm/gcc-12/v7/xen-on"), realAffected.join(" "));
    if (overlay.length) {
      // Some defconfigs lose XEN (ARMv6 ones), others keep it: the split is real.
      const lost = realAffected.filter((id) => !id.startsWith("arm/"));
      assert.ok(lost.length > 0 && lost.length < defconfigs.length, `${lost.length} affected`);
      assert.ok(defconfigs.some((id) => real[id]!.xen === "y"), "some defconfigs keep XEN=y");
      const v6 = impact.configs.find((c) => c.id === lost[0])!;
      assert.ok(
        v6.reasons.some((r) => /CONFIG_XEN=y stops sticking: .*CPU_V6/.test(r)),
        v6.reasons.join("\n"),
      );
    } else {
      assertEquals(
        realAffected.filter((id) => !id.startsWith("arm/")),
        [],
        "no defconfig enables XEN",
      );
    }
  });
}

Deno.test("impact: a grant-table.c patch affects exactly the defconfigs whose real build compiles it", async () => {
  const t = await trees();
  const impact = await analyzeImpact(GRANT, { kconfig: XEN_ON });
  assertEquals(impact.before, t.pristine);
  assertEquals(impact.touched.objects, ["drivers/xen/grant-table.o"]);
  assertEquals(impact.touched.kconfig, false);
  // The real condition for compiling grant-table.o, read from the tree's Makefiles.
  const drivers = await Deno.readTextFile(join(t.pristine, "drivers/Makefile"));
  assert.match(drivers, /^obj-\$\(CONFIG_XEN\)\s+\+= xen\/$/m);
  const xen = await Deno.readTextFile(join(t.pristine, "drivers/xen/Makefile"));
  assert.match(xen, /^obj-y\s+\+= grant-table\.o /m);
  const names = impact.configs.map((c) => c.id);
  const ref = await reference(t, names);
  const compiles = names.filter((id) => ref.pristineXen[id] === "y").sort();
  assertEquals(affectedIds(impact), compiles);
  assert.ok(compiles.length > 0 && compiles.length < names.length, `${compiles.length} compile it`);
  for (const c of impact.configs.filter((c) => c.affected)) {
    assertEquals(c.objects, [{ object: "drivers/xen/grant-table.o", as: "built-in" }], c.id);
  }
  // make itself, for one defconfig that compiles it and one that does not.
  const built = Object.entries(await realBuilds(t.pristine, ref.pristineXen));
  assertEquals(built.length, 2);
  for (const [name, made] of built) {
    const affected = impact.configs.find((c) => c.id === name)!.affected;
    assertEquals(
      made,
      affected ? { descends: true, object: true } : { descends: false },
      `${name}: the real build ${affected ? "compiles" : "never reaches"} grant-table.o`,
    );
  }
});

Deno.test("impact: --emit-matrix writes the affected cells, base and patched, that load as a matrix", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmatrix-impact-" });
  try {
    const file = join(dir, "impact.yaml");
    const r = await runCli(["impact", FIX, "--configs", MATRIX, "--emit-matrix", file], {
      env: { ...Deno.env.toObject() },
    });
    assertEquals(r.code, 0, r.err);
    // The affected lines of the report are the cells of the matrix written.
    const listed = [...r.out.matchAll(/^ {2}(arm\/gcc-12\/\S+) +config changes: .*XEN: y → n/gm)]
      .map((m) => m[1]!);
    assert.match(r.out, new RegExp(`^affected: ${listed.length} of \\d+ configurations$`, "m"));
    assert.ok(listed.includes("arm/gcc-12/v6+v7/xen-on"), r.out);
    const m = await loadMatrix(file);
    assertEquals(
      m.cells.map((c) => [c.id, c.base, c.kconfig]),
      listed.map((id) => {
        const cell = matrix.cells.find((c) => c.id === id)!;
        return [
          `arm/gcc-12/${id.slice("arm/gcc-12/".length).replaceAll("/", ".")}`,
          cell.base,
          cell.kconfig,
        ];
      }),
    );
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
