/**
 * Impact analysis: which configurations does a patch change at all?
 *
 * The patch is read by the intake (format-patch, mbox, mailing-list page) and checked hunk by
 * hunk against the tree; the hunks that apply make the "after" tree (a variant worktree). For
 * every candidate configuration (each `arch/<srcarch>/configs/*_defconfig`, and a matrix's
 * cells) the Kconfig engine resolves the configuration on both trees (one parse per tree,
 * reused for every configuration), and the Kbuild object model says whether the objects the
 * patch touches are compiled. A configuration is affected when a symbol's value changes, when
 * one of its requested lines stops sticking, or when it compiles a touched object (or an
 * object of a directory whose Makefile the patch changes); otherwise it is unaffected, with the
 * reason either way.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { basename, dirname, join, matchesGlob, relative, resolve } from "node:path";
import { stringify } from "yaml";
import { InputError } from "../errors.ts";
import { ensureTree } from "../tree/kernel_tree.ts";
import { cacheDir } from "../tree/cache_dir.ts";
import { prepareVariant } from "../patch/variant_tree.ts";
import {
  checkHunks,
  formatPatch,
  type Hunk,
  type HunkVerdict,
  type IntakePatch,
  readPatch,
} from "../patch/intake.ts";
import { type Kconfig, loadKconfig } from "../kconfig/kconfig.ts";
import { loadMatrix } from "../matrix/load_matrix.ts";
import { loadArch, loadToolchain } from "../matrix/cross_data.ts";
import { KconfigChanges, type SymbolChange } from "./kconfig_changes.ts";
import { CompiledObjects, type Touched, touchedObjects } from "./touched_objects.ts";

/** A configuration to classify. */
export interface Candidate {
  /** `multi_v7_defconfig`, or a matrix cell id. */
  id: string;
  /** Base config target: `<name>_defconfig`, `allnoconfig`, … */
  base: string;
  /** Fragment lines on top of the base. */
  kconfig: string[];
}

/** The verdict for one configuration. */
export interface ConfigImpact {
  /** Candidate id. */
  id: string;
  /** Base config target. */
  base: string;
  /** Fragment lines. */
  kconfig: string[];
  /** Whether the patch changes this configuration's build. */
  affected: boolean;
  /** Why, one line each. */
  reasons: string[];
  /** Symbols whose value changes. */
  changed: SymbolChange[];
  /** Requested lines (defconfig or fragment) that stick before but not after, with why. */
  dropped: { line: string; why: string }[];
  /** Touched objects compiled before or after, and how. */
  objects: { object: string; as: string; via?: string }[];
}

/** The result of {@linkcode analyzeImpact}. */
export interface Impact {
  /** The patch as read. */
  patch: IntakePatch;
  /** Verdict of each hunk on the "before" tree. */
  hunks: HunkVerdict[];
  /** Base patches the "before" tree has (absolute paths). */
  basePatches: string[];
  /** The patch file the "after" tree applies on top (the input, or its applying hunks). */
  patchFile: string;
  /** Tree source, ARCH, toolchain name and CROSS_COMPILE. */
  tree: string;
  /** Arch name (`cross/arches/<name>.yaml`). */
  arch: string;
  /** Toolchain name (`cross/toolchains/<name>.yaml`). */
  toolchain: string;
  /** Source directories of the two trees. */
  before: string;
  /** The patched tree. */
  after: string;
  /** What the patch touches. */
  touched: Touched;
  /** One verdict per candidate, in candidate order. */
  configs: ConfigImpact[];
  /** Seconds: making the trees, and classifying (parse + every configuration). */
  timing: { prepare_s: number; classify_s: number };
}

/** Options for {@linkcode analyzeImpact}. */
export interface ImpactOptions {
  /** Kernel tree source (default: the matrix's, else `debian:linux-source-6.1`). */
  tree?: string;
  /** Arch name (default `arm`, or the matrix's first). */
  arch?: string;
  /** Toolchain name (default `gcc-12`, or the matrix's first). */
  toolchain?: string;
  /**
   * Which configurations: a glob over defconfig names (`multi_v7_*`, comma-separated), or a
   * matrix file (its cells, plus every defconfig). Default: every defconfig.
   */
  configs?: string;
  /**
   * What the "before" tree already has: matrix variant names or patch files, in order. Default:
   * the matrix's baseline variant when a matrix is given, else nothing.
   */
  on?: string[];
  /** Fragment lines added to every defconfig candidate (`CONFIG_XEN=y`). */
  kconfig?: string[];
  /** Cache directory (default {@linkcode cacheDir}). */
  cache?: string;
  /** Progress lines. */
  onProgress?: (line: string) => void;
}

/**
 * Read a patch, check it against the tree, make the before and after trees, and classify every
 * candidate configuration.
 *
 * @example Usage
 * ```ts ignore
 * const impact = await analyzeImpact("cross/patches/xen-fix-not-cpu-v6.patch", {
 *   configs: "matrix.yaml",
 * });
 * impact.configs.filter((c) => c.affected).map((c) => c.id); // ["arm/gcc-12/v6+v7/xen-on"]
 * ```
 *
 * @param patchPath The patch (format-patch, mbox, page or diff).
 * @param options Trees, candidates and base patches.
 */
export async function analyzeImpact(
  patchPath: string,
  options: ImpactOptions = {},
): Promise<Impact> {
  const log = options.onProgress ?? (() => {});
  const t0 = performance.now();
  const patch = await readPatch(patchPath);
  const isMatrix = options.configs !== undefined && /\.ya?ml$/.test(options.configs);
  const matrix = isMatrix ? await loadMatrix(options.configs!) : undefined;
  const archName = options.arch ?? matrix?.cells[0]?.arch.name ?? "arm";
  const toolchainName = options.toolchain ?? matrix?.cells[0]?.toolchain.name ?? "gcc-12";
  const arch = loadArch(archName);
  if (!arch) {
    throw new InputError(
      `Cannot analyse impact on arch '${archName}': no cross/arches/${archName}.yaml`,
    );
  }
  const toolchain = loadToolchain(toolchainName);
  const crossCompile = toolchain?.cross_compile[arch.kernel_arch];
  if (!toolchain || crossCompile === undefined) {
    throw new InputError(
      `Cannot analyse impact with toolchain '${toolchainName}': no cross compiler for '${archName}' in cross/toolchains/`,
    );
  }

  // The before tree: the base patches (matrix variants or files) on the pristine tree.
  const basePatches: string[] = [];
  const on = options.on ?? (matrix ? [matrix.baseline] : []);
  for (const item of on) {
    const variant = matrix?.variants.find((v) => v.name === item);
    if (variant) basePatches.push(...variant.patches);
    else if (existsSync(item)) basePatches.push(resolve(item));
    else {
      throw new InputError(
        `Cannot analyse impact on '${item}': neither a patch file nor a variant of the matrix`,
      );
    }
  }
  const treeSource = options.tree ?? matrix?.tree ?? "debian:linux-source-6.1";
  const tree = await ensureTree(treeSource, { onProgress: log, ...cacheOpt(options) });
  const before = basePatches.length
    ? (await prepareVariant(tree, { name: "before", patches: basePatches }, {
      onProgress: log,
      ...cacheOpt(options),
    })).src
    : tree.dir;

  // Hunk by hunk: the after tree gets the hunks that apply.
  const hunks = await checkHunks(patch, before);
  const applies = new Set(
    hunks.filter((h) => h.status === "applies").map((h) => `${h.file}\0${h.index}`),
  );
  const keep = (h: Hunk) => applies.has(`${h.file}\0${h.index}`);
  if (applies.size === 0) {
    throw new InputError(
      `Cannot analyse impact of '${patchPath}': no hunk applies to this tree (${
        hunks.map((h) => `${h.file} #${h.index}: ${h.status}`).join("; ")
      })`,
    );
  }
  const patchFile = await afterPatchFile(patchPath, patch, hunks, keep, options);
  const after = (await prepareVariant(tree, {
    name: "after",
    patches: [...basePatches, patchFile],
  }, { onProgress: log, ...cacheOpt(options) })).src;
  const t1 = performance.now();

  const changedFiles = [
    ...new Set(patch.files.filter((f) => f.hunks.some(keep)).map((f) => f.newPath)),
  ];
  const candidates = listCandidates(
    before,
    arch.srcarch,
    options,
    matrix?.cells.filter((c) => c.arch.name === archName),
  );
  const touched = touchedObjects(before, changedFiles, { srcarch: arch.srcarch });
  log(`impact: classifying ${candidates.length} configurations`);
  const configs = await classifyConfigs(candidates, {
    before,
    after,
    arch: arch.kernel_arch,
    srcarch: arch.srcarch,
    crossCompile,
    touched,
  });
  const t2 = performance.now();
  return {
    patch,
    hunks,
    basePatches,
    patchFile,
    tree: treeSource,
    arch: archName,
    toolchain: toolchainName,
    before,
    after,
    touched,
    configs,
    timing: { prepare_s: (t1 - t0) / 1000, classify_s: (t2 - t1) / 1000 },
  };
}

function cacheOpt(options: ImpactOptions): { cache?: string } {
  return options.cache ? { cache: options.cache } : {};
}

/**
 * The patch the after tree applies: the input itself when it is a plain patch that applies
 * whole, else its applying hunks written to the cache (same bytes, same variant worktree).
 */
async function afterPatchFile(
  path: string,
  patch: IntakePatch,
  hunks: HunkVerdict[],
  keep: (h: Hunk) => boolean,
  options: ImpactOptions,
): Promise<string> {
  const whole = hunks.every((h) => h.status === "applies");
  if (whole && (patch.format === "format-patch" || patch.format === "diff")) return resolve(path);
  const text = formatPatch(patch, keep);
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const dir = join(options.cache ?? cacheDir(), "impact", "patches");
  await Deno.mkdir(dir, { recursive: true });
  const file = join(dir, `${hash}.patch`);
  if (!existsSync(file)) await Deno.writeTextFile(file, text);
  return file;
}

/** The defconfigs of the tree (filtered by a glob unless a matrix is given), then the cells. */
export function listCandidates(
  src: string,
  srcarch: string,
  options: { configs?: string; kconfig?: string[] },
  cells: readonly { id: string; base: string; kconfig: string[] }[] = [],
): Candidate[] {
  const dir = join(src, "arch", srcarch, "configs");
  const glob = options.configs && !/\.ya?ml$/.test(options.configs) ? options.configs : undefined;
  const patterns = glob?.split(",").map((g) => g.trim()).filter(Boolean) ?? [];
  const names = existsSync(dir)
    ? [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith("_defconfig")).sort()
    : [];
  const picked = patterns.length
    ? names.filter((n) => patterns.some((p) => n === p || matchesGlob(n, p)))
    : names;
  if (patterns.length && picked.length === 0) {
    throw new InputError(
      `Cannot select configurations '${glob}': no arch/${srcarch}/configs/*_defconfig matches`,
    );
  }
  return [
    ...picked.map((n) => ({ id: n, base: n, kconfig: [...(options.kconfig ?? [])] })),
    ...cells.map((c) => ({ id: c.id, base: c.base, kconfig: [...c.kconfig] })),
  ];
}

/** What {@linkcode classifyConfigs} needs to know about the trees and the patch. */
export interface ClassifyOptions {
  /** Tree before the patch. */
  before: string;
  /** Tree after the patch. */
  after: string;
  /** Kernel ARCH. */
  arch: string;
  /** SRCARCH. */
  srcarch: string;
  /** CROSS_COMPILE (picks the toolchain profile the engine answers compiler macros with). */
  crossCompile: string;
  /** What the patch touches (from {@linkcode touchedObjects} on the before tree). */
  touched: Touched;
  /** Engines already parsed for these trees (the benchmark reuses nothing; callers may). */
  engines?: { before: Kconfig; after: Kconfig };
}

/**
 * Classify candidates: resolve each on both trees with one engine per tree, compare, and look
 * up the touched objects. The Kconfig tree of the after tree is parsed only when the patch
 * changes a Kconfig file.
 *
 * @param candidates The configurations.
 * @param options The trees and what the patch touches.
 */
export async function classifyConfigs(
  candidates: readonly Candidate[],
  options: ClassifyOptions,
): Promise<ConfigImpact[]> {
  const { touched } = options;
  const load = (src: string) =>
    loadKconfig(src, { arch: options.arch, crossCompile: options.crossCompile });
  const kcBefore = options.engines?.before ?? await load(options.before);
  const kcAfter = touched.kconfig
    ? (options.engines?.after ?? await load(options.after))
    : kcBefore;
  const archOpts = { arch: options.arch, srcarch: options.srcarch };
  const objBefore = touched.objects.length
    ? new CompiledObjects(options.before, touched.objects, archOpts)
    : undefined;
  const objAfter = touched.objects.length
    ? new CompiledObjects(options.after, touched.objects, archOpts)
    : undefined;
  // A Makefile change: every object of its directory is asked about.
  const mkDirs = touched.makefiles.map((d) => `${d}/_`);
  const mkBefore = mkDirs.length
    ? new CompiledObjects(options.before, mkDirs, archOpts)
    : undefined;
  const mkAfter = mkDirs.length ? new CompiledObjects(options.after, mkDirs, archOpts) : undefined;

  // Only redefined symbols, and what is computed from them, can change value (see
  // KconfigChanges.compare): no full .config per configuration.
  const kconfigChanges = touched.kconfig
    ? new KconfigChanges(kcBefore, kcAfter, { files: touched.kconfigFiles })
    : undefined;

  const out: ConfigImpact[] = [];
  for (const c of candidates) {
    const reasons: string[] = [];
    const requested = [...requestedLines(options.before, options.srcarch, c), ...c.kconfig];
    resolveCandidate(kcBefore, options.before, options.srcarch, c);
    // A patched defconfig file is a different request: compare the whole .config then.
    const ownFile = touched.defconfigs.includes(c.base);
    const fullBefore = touched.kconfig && ownFile ? configValues(kcBefore.write()) : undefined;
    const compiledBefore = objBefore?.compiled(kcBefore);
    const mkObjsBefore = mkBefore?.compiled(kcBefore);

    let changed: SymbolChange[] = [];
    let dropped: { line: string; why: string }[] = [];
    let compiledAfter = compiledBefore;
    let mkObjsAfter = mkObjsBefore;
    if (touched.kconfig) {
      resolveCandidate(kcAfter, options.after, options.srcarch, c);
      changed = (!ownFile && kconfigChanges!.compare(kcBefore, kcAfter)) ||
        diffValues(fullBefore ?? configValues(kcBefore.write()), configValues(kcAfter.write()));
      // A line can only stop sticking when its symbol's value changes: ask about those alone.
      const moved = new Set(changed.map((s) => s.symbol));
      const asked = requested.filter((l) =>
        moved.has(l.match(/CONFIG_([A-Za-z0-9_]+)/)?.[1] ?? "")
      );
      if (asked.length) {
        // The two engines are distinct here: the before engine still holds this candidate.
        const was = new Set(kcBefore.dropped(asked).map((d) => d.line));
        dropped = kcAfter.dropped(asked).filter((d) => !was.has(d.line));
      }
      compiledAfter = objAfter?.compiled(kcAfter);
      mkObjsAfter = mkAfter?.compiled(kcAfter);
    } else if (objAfter && options.after !== options.before) {
      compiledAfter = objAfter.compiled(kcBefore);
      mkObjsAfter = mkAfter?.compiled(kcBefore);
    }

    if (changed.length) {
      const shown = changed.slice(0, 6).map((s) => `${s.symbol}: ${s.before} → ${s.after}`);
      reasons.push(
        `config changes: ${shown.join(", ")}${
          changed.length > 6 ? ` and ${changed.length - 6} more` : ""
        }`,
      );
    }
    for (const d of dropped) reasons.push(`${d.line} stops sticking: ${d.why}`);

    const objects: ConfigImpact["objects"] = [];
    for (const o of touched.objects) {
      const as = compiledAfter?.get(o) ?? compiledBefore?.get(o);
      if (!as) continue;
      const via = touched.via.get(o);
      objects.push({ object: o, as: as.as, ...(via ? { via } : {}) });
    }
    if (objects.length) {
      const shown = objects.slice(0, 4).map((o) =>
        `${o.object} (${o.as}${o.via ? `, includes ${o.via}` : ""})`
      );
      reasons.push(
        `compiles ${shown.join(", ")}${
          objects.length > 4 ? ` and ${objects.length - 4} more` : ""
        }`,
      );
    }
    for (const d of touched.makefiles) {
      const inDir = (m?: Map<string, unknown>) =>
        [...(m?.keys() ?? [])].filter((o) => dirname(o) === d).sort();
      const a = inDir(mkObjsBefore), b = inDir(mkObjsAfter);
      if (a.length === 0 && b.length === 0) continue;
      const plus = b.filter((o) => !a.includes(o)), minus = a.filter((o) => !b.includes(o));
      reasons.push(
        plus.length || minus.length
          ? `${d}/Makefile changes its objects: ${
            [...plus.map((o) => `+${o}`), ...minus.map((o) => `-${o}`)].join(" ")
          }`
          : `${d}/Makefile changes and ${b.length} of its objects are compiled`,
      );
    }

    const affected = reasons.length > 0;
    if (!affected) {
      const why: string[] = [];
      if (touched.kconfig) {
        const stays = (kconfigChanges?.redefined ?? []).filter((n) => !n.startsWith("<"));
        const shown = stays.slice(0, 4).map((n) => `${n}=${kcAfter.value(n) || "n"}`);
        why.push(
          `no symbol changes value${
            shown.length
              ? ` (redefined ${shown.join(", ")}${stays.length > 4 ? ", …" : ""} on both sides)`
              : ""
          }`,
        );
      }
      if (touched.objects.length === 1) {
        why.push(
          `${touched.objects[0]} is not compiled: ${
            objBefore!.whyNot(kcBefore, touched.objects[0]!)
          }`,
        );
      } else if (touched.objects.length) {
        why.push(`none of the ${touched.objects.length} touched objects is compiled`);
      }
      if (touched.makefiles.length) {
        why.push(`no object of ${touched.makefiles.join(", ")} is compiled`);
      }
      if (why.length === 0) why.push("the patch changes no Kconfig, source, header or Makefile");
      reasons.push(why.join("; "));
    }
    out.push({
      id: c.id,
      base: c.base,
      kconfig: c.kconfig,
      affected,
      reasons,
      changed,
      dropped,
      objects,
    });
  }
  return out;
}

/** A defconfig's own lines (they are requests too), read from the tree. */
function requestedLines(src: string, srcarch: string, c: Candidate): string[] {
  if (!c.base.endsWith("_defconfig")) return [];
  const file = join(src, "arch", srcarch, "configs", c.base);
  if (!existsSync(file)) return [];
  return Deno.readTextFileSync(file).split("\n").filter((l) =>
    /^CONFIG_[A-Za-z0-9_]+=|^# CONFIG_[A-Za-z0-9_]+ is not set/.test(l)
  );
}

/** Resolve a candidate as the build stage's config steps would. */
function resolveCandidate(kc: Kconfig, src: string, srcarch: string, c: Candidate): void {
  const fragment = c.kconfig;
  switch (c.base) {
    case "allnoconfig":
      kc.allnoconfig({ fragment });
      return;
    case "allyesconfig":
      kc.allyesconfig({ fragment });
      return;
    case "allmodconfig":
      kc.allmodconfig({ fragment });
      return;
    case "alldefconfig":
      kc.alldefconfig({ fragment });
      return;
  }
  const name = c.base === "defconfig" ? archDefconfig(src, srcarch) : c.base;
  // `make <defconfig>`, then merge_config.sh -m (fragment lines override) and olddefconfig.
  kc.defconfig(name);
  if (fragment.length > 0) kc.olddefconfig(kc.write(), { fragment });
}

function archDefconfig(src: string, srcarch: string): string {
  const mk = Deno.readTextFileSync(join(src, "arch", srcarch, "Makefile"));
  const name = mk.match(/^KBUILD_DEFCONFIG\s*:?=\s*(\S+)/m)?.[1];
  if (!name) throw new Error(`Cannot find the defconfig of '${srcarch}': no KBUILD_DEFCONFIG`);
  return name;
}

/** `CONFIG_X=v` and `# CONFIG_X is not set` lines as symbol → value (`n` for not set). */
export function configValues(config: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of config.split("\n")) {
    const set = l.match(/^CONFIG_([A-Za-z0-9_]+)=(.*)$/);
    if (set) out.set(set[1]!, set[2]!);
    const unset = l.match(/^# CONFIG_([A-Za-z0-9_]+) is not set$/);
    if (unset) out.set(unset[1]!, "n");
  }
  return out;
}

export type { SymbolChange };

/** Symbols whose value differs; a symbol absent on one side counts as `n`. */
export function diffValues(a: Map<string, string>, b: Map<string, string>): SymbolChange[] {
  const out: SymbolChange[] = [];
  for (const s of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(s) ?? "n", y = b.get(s) ?? "n";
    if (x !== y) out.push({ symbol: s, before: x, after: y });
  }
  return out.sort((p, q) => p.symbol.localeCompare(q.symbol));
}

/** Options for {@linkcode impactMatrix}. */
export interface ImpactMatrixOptions {
  /** Where the matrix will be written (patch paths are written relative to it). */
  file: string;
  /** The patched variant's patch, when it is copied elsewhere (default: `impact.patchFile`). */
  patchFile?: string;
}

/**
 * A matrix.yaml of the affected configurations only, with two variants: `base` (the base
 * patches) and `patched` (plus the patch). Returns undefined when nothing is affected.
 */
export function impactMatrix(impact: Impact, options: ImpactMatrixOptions): string | undefined {
  const affected = impact.configs.filter((c) => c.affected);
  if (affected.length === 0) return undefined;
  const dir = dirname(resolve(options.file));
  const rel = (p: string) => {
    const r = relative(dir, p);
    return r.startsWith("..") && r.split("/").filter((x) => x === "..").length > 3 ? p : r;
  };
  const config: Record<string, { base: string; kconfig?: string[] }> = {};
  for (const c of affected) {
    // A cell id without its arch and toolchain (the matrix has one of each), `/` as `.`.
    const name = c.id.replace(`${impact.arch}/${impact.toolchain}/`, "").replace(/\//g, ".");
    config[name] = { base: c.base, ...(c.kconfig.length ? { kconfig: c.kconfig } : {}) };
  }
  const spec = {
    tree: impact.tree,
    runtime: "host",
    targets: ["vmlinux"],
    arch: [impact.arch],
    toolchain: [impact.toolchain],
    axes: { config },
    variants: [
      {
        name: "base",
        description: "the tree before the patch",
        patches: impact.basePatches.map(rel),
      },
      {
        name: "patched",
        description: impact.patch.subject || basename(impact.patchFile),
        extends: "base",
        patches: [rel(options.patchFile ?? impact.patchFile)],
      },
    ],
    baseline: "base",
  };
  const head = `# kmatrix impact: ${impact.patch.subject || basename(impact.patchFile)}\n` +
    `# ${affected.length} of ${impact.configs.length} configurations affected; each built before and after the patch.\n`;
  return head + stringify(spec, { lineWidth: 0 });
}
