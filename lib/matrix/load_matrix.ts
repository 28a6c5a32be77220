/**
 * The matrix stage: read `matrix.yaml`, validate it, and expand it into cells and variants.
 *
 * A cell is one kernel configuration to build: arch x toolchain x one value of every axis, each
 * value contributing Kconfig fragment lines. A variant is a list of patches applied to the
 * tree; every cell is built once per variant.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, matchesGlob, resolve } from "node:path";
import { z } from "zod";
import { type Arch, crossNames, loadArch, loadToolchain, type Toolchain } from "./cross_data.ts";
import { errorAt, type SourceDoc } from "./located_error.ts";
import { strict } from "./schema_util.ts";
import { parseYaml, validate } from "./yaml_source.ts";
import { checkPatchText } from "../patch/check_patch.ts";
import { InputError } from "../errors.ts";

const FRAGMENT_LINE =
  /^(CONFIG_[A-Za-z0-9_]+=(y|m|n|-?\d+|0x[0-9a-fA-F]+|"([^"\\]|\\.)*")|# CONFIG_[A-Za-z0-9_]+ is not set)$/;
const BASES = ["allnoconfig", "allyesconfig", "allmodconfig", "alldefconfig", "defconfig"];
const NAME = /^[A-Za-z0-9][A-Za-z0-9+_.-]*$/;

const fragmentLine = z.string({ error: "must be a Kconfig line such as CONFIG_XEN=y" }).regex(
  FRAGMENT_LINE,
  "must be CONFIG_<NAME>=<y|m|n|number|\"string\"> or '# CONFIG_<NAME> is not set'",
);
const baseConfig = z.string().refine(
  (s) => BASES.includes(s) || /^[A-Za-z0-9_.+-]+_defconfig$/.test(s),
  { error: `unknown base config; use one of ${BASES.join(", ")} or <name>_defconfig` },
);
const name = z.union([z.string(), z.number()], { error: "must be a name" })
  .transform(String)
  .refine((s) => NAME.test(s), { error: "must be letters, digits and + _ . - only" });
const nonEmptyList = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item, { error: `must be a list of ${what}` }).min(1, {
    error: `must list at least one ${what.replace(/s$/, "")}`,
  });

const axisValue = z.preprocess(
  (v) => Array.isArray(v) ? { kconfig: v } : v,
  strict({
    kconfig: z.array(fragmentLine, { error: "must be a list of Kconfig lines" }).default([]),
    base: baseConfig.optional(),
  }),
);

const axis = z.record(name, axisValue, { error: "must map value names to Kconfig lines" })
  .refine((r) => Object.keys(r).length > 0, {
    error: "axis has no values; give at least one value or remove the axis",
  });

const selector = z.record(z.string(), z.union([z.string(), z.number()]).transform(String), {
  error: "must map axis names to value names",
});

const matrixSchema = strict({
  tree: z.string().default("debian:linux-source-6.1"),
  runtime: z.string().default("host"),
  jobs: z.number({ error: "must be a whole number" }).int().positive().optional(),
  targets: nonEmptyList(z.string().regex(/^[A-Za-z0-9_./-]+$/, "must be a make target"), "targets")
    .default(["vmlinux"]),
  base: baseConfig.default("allnoconfig"),
  kconfig: z.array(fragmentLine, { error: "must be a list of Kconfig lines" }).default([]),
  arch: nonEmptyList(z.string(), "arch names"),
  toolchain: nonEmptyList(z.string(), "toolchain names"),
  axes: z.record(name, axis, { error: "must map axis names to their values" }).default({}),
  include: z.array(
    z.record(z.string(), z.union([z.string(), z.number(), z.array(fragmentLine)]), {
      error: "must map axis names to value names, and kconfig to a list of Kconfig lines",
    }),
  ).default([]),
  exclude: z.array(selector).default([]),
  variants: nonEmptyList(
    strict({
      name,
      description: z.string().optional(),
      extends: name.optional(),
      patches: z.array(z.string(), { error: "must be a list of patch files" }).default([]),
    }),
    "variants",
  ),
  baseline: name.optional(),
});

/** The raw, validated content of matrix.yaml. */
export type MatrixSpec = z.output<typeof matrixSchema>;

/** One configuration to build. */
export interface Cell {
  /** Stable id: `arch/toolchain/<axis value>/…`, such as `arm/gcc-12/v6+v7/xen-on`. */
  id: string;
  /** The arch description. */
  arch: Arch;
  /** The toolchain description. */
  toolchain: Toolchain;
  /** `CROSS_COMPILE` for this arch and toolchain. */
  crossCompile: string;
  /** Base config target: `allnoconfig`, `defconfig`, `<name>_defconfig`, … */
  base: string;
  /** Kconfig fragment lines, in order: the matrix's, then each axis value's. */
  kconfig: string[];
  /** The value chosen on each named axis. */
  axes: Record<string, string>;
}

/** A set of patches applied to the tree before building. */
export interface Variant {
  /** Variant name, such as `2012`. */
  name: string;
  /** What the variant stands for. */
  description?: string;
  /** Absolute paths of the patches, in the order they apply (inherited ones first). */
  patches: string[];
}

/** The expanded matrix. */
export interface Matrix {
  /** Absolute path of the matrix file. */
  file: string;
  /** Kernel tree source: `debian:<package>` or a path. */
  tree: string;
  /** Runtime name (`cross/runtimes/<name>.yaml`). */
  runtime: string;
  /** `make -j` value, when the matrix sets one. */
  jobs?: number;
  /** make targets. */
  targets: string[];
  /** The cells, in axis order. */
  cells: Cell[];
  /** The variants, in file order. */
  variants: Variant[];
  /** The variant the others are compared with (the first one unless `baseline` says). */
  baseline: string;
}

/** Options for {@linkcode loadMatrix}. */
export interface LoadMatrixOptions {
  /** The name printed in errors; defaults to the path as given. */
  displayName?: string;
}

/**
 * Read, validate and expand a matrix file. Every problem is thrown as a
 * {@linkcode LocatedError} `file:line:col: path: problem`.
 *
 * @example
 * ```ts
 * const m = await loadMatrix("matrix.yaml");
 * console.log(m.cells.map((c) => c.id));
 * ```
 */
export async function loadMatrix(path: string, options: LoadMatrixOptions = {}): Promise<Matrix> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new InputError(`Cannot read matrix '${path}': ${(e as Error).message}`);
  }
  return parseMatrix(text, { file, displayName: options.displayName ?? path });
}

/** Validate and expand matrix `text`; `file` resolves relative patch paths. */
export function parseMatrix(text: string, where: { file: string; displayName?: string }): Matrix {
  const src = parseYaml(text, where.displayName ?? where.file);
  const spec = validate(src, matrixSchema);
  const dir = dirname(where.file);

  const arches = spec.arch.map((a, i) => {
    const arch = loadArch(a);
    if (!arch) {
      throw errorAt(
        src,
        ["arch", i],
        `unknown arch '${a}'; known: ${crossNames("arches").join(", ")} (cross/arches/)`,
      );
    }
    return arch;
  });
  const toolchains = spec.toolchain.map((t, i) => {
    const tc = loadToolchain(t);
    if (!tc) {
      throw errorAt(
        src,
        ["toolchain", i],
        `unknown toolchain '${t}'; known: ${
          crossNames("toolchains").join(", ")
        } (cross/toolchains/)`,
      );
    }
    return tc;
  });
  if (!crossNames("runtimes").includes(spec.runtime)) {
    throw errorAt(
      src,
      ["runtime"],
      `unknown runtime '${spec.runtime}'; known: ${
        crossNames("runtimes").join(", ")
      } (cross/runtimes/)`,
    );
  }
  checkTreeSource(src, spec.tree);
  const cells = expandCells(src, spec, arches, toolchains);
  const variants = resolveVariants(src, spec, dir);
  const baseline = spec.baseline ?? variants[0]!.name;
  if (!variants.some((v) => v.name === baseline)) {
    throw errorAt(src, ["baseline"], `no variant is named '${baseline}'`);
  }
  return {
    file: where.file,
    tree: spec.tree,
    runtime: spec.runtime,
    ...(spec.jobs ? { jobs: spec.jobs } : {}),
    targets: spec.targets,
    cells,
    variants,
    baseline,
  };
}

function expandCells(
  src: SourceDoc,
  spec: MatrixSpec,
  arches: Arch[],
  toolchains: Toolchain[],
): Cell[] {
  const axisNames = Object.keys(spec.axes);
  const dims: Record<string, string[]> = {
    arch: arches.map((a) => a.name),
    toolchain: toolchains.map((t) => t.name),
  };
  for (const a of axisNames) dims[a] = Object.keys(spec.axes[a]!);
  const order = ["arch", "toolchain", ...axisNames];

  const checkSelector = (sel: Record<string, string>, path: PropertyKey[]) => {
    for (const [k, v] of Object.entries(sel)) {
      if (k === "kconfig") continue;
      if (!dims[k]) {
        throw errorAt(src, [...path, k], `unknown axis '${k}'; axes are ${order.join(", ")}`, {
          key: true,
        });
      }
      if (!dims[k]!.includes(v)) {
        throw errorAt(
          src,
          [...path, k],
          `axis '${k}' has no value '${v}'; values are ${dims[k]!.join(", ")}`,
        );
      }
    }
  };
  spec.exclude.forEach((sel, i) => checkSelector(sel, ["exclude", i]));

  let combos: Record<string, string>[] = [{}];
  for (const d of order) combos = combos.flatMap((c) => dims[d]!.map((v) => ({ ...c, [d]: v })));
  const matches = (combo: Record<string, string>, sel: Record<string, string>) =>
    Object.entries(sel).every(([k, v]) => combo[k] === v);
  combos = combos.filter((c) => !spec.exclude.some((sel) => matches(c, sel)));

  const cells: Cell[] = [];
  const extra = new Map<string, string[]>();
  const ids = new Set<string>();
  const addCell = (combo: Record<string, string>, more: string[], path: PropertyKey[]) => {
    const arch = arches.find((a) => a.name === combo.arch)!;
    const toolchain = toolchains.find((t) => t.name === combo.toolchain)!;
    const crossCompile = toolchain.cross_compile[arch.kernel_arch];
    if (crossCompile === undefined) {
      throw errorAt(
        src,
        path,
        `toolchain '${toolchain.name}' has no cross compiler for arch '${arch.name}'; add one to cross/toolchains/${toolchain.name}.yaml or exclude the pair`,
      );
    }
    let base = spec.base;
    const kconfig = [...spec.kconfig];
    const axes: Record<string, string> = {};
    for (const a of axisNames) {
      const value = spec.axes[a]![combo[a]!]!;
      axes[a] = combo[a]!;
      if (value.base) base = value.base;
      kconfig.push(...value.kconfig);
    }
    kconfig.push(...more);
    const id = order.map((d) => combo[d]).join("/");
    if (ids.has(id)) {
      const prev = extra.get(id) ?? [];
      throw errorAt(
        src,
        path,
        `cell '${id}' is listed twice${prev.length ? "" : " (include repeats a product cell)"}`,
      );
    }
    ids.add(id);
    extra.set(id, more);
    cells.push({ id, arch, toolchain, crossCompile, base, kconfig, axes });
  };
  for (const combo of combos) addCell(combo, [], ["axes"]);
  spec.include.forEach((inc, i) => {
    const { kconfig: more = [], ...rest } = inc;
    if (!Array.isArray(more)) {
      throw errorAt(src, ["include", i, "kconfig"], "must be a list of Kconfig lines");
    }
    const sel: Record<string, string> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (Array.isArray(v)) throw errorAt(src, ["include", i, k], "must be a value name");
      sel[k] = String(v);
    }
    checkSelector(sel, ["include", i]);
    const missing = order.filter((d) => sel[d] === undefined);
    if (missing.length) {
      throw errorAt(
        src,
        ["include", i],
        `include must name a value for every axis; missing ${missing.join(", ")}`,
      );
    }
    addCell(sel, more, ["include", i]);
  });
  if (cells.length === 0) {
    throw errorAt(src, ["exclude"], "every cell is excluded; nothing to build");
  }
  return cells;
}

/**
 * A tree given as a path must be a kernel tree now, so `--list` says so too; a
 * `debian:<package>` is checked (and installed) by the tree stage.
 */
function checkTreeSource(src: SourceDoc, tree: string): void {
  if (tree.startsWith("debian:")) return;
  const dir = resolve(tree);
  const use = "give a kernel checkout or debian:linux-source-6.1";
  if (!existsSync(dir)) throw errorAt(src, ["tree"], `'${tree}' does not exist; ${use}`);
  if (!existsSync(join(dir, "Makefile")) || !existsSync(join(dir, "Kconfig"))) {
    throw errorAt(
      src,
      ["tree"],
      `'${tree}' is not a kernel tree (no Makefile and Kconfig there); ${use}`,
    );
  }
}

function resolveVariants(src: SourceDoc, spec: MatrixSpec, dir: string): Variant[] {
  const out: Variant[] = [];
  spec.variants.forEach((v, i) => {
    if (out.some((o) => o.name === v.name)) {
      throw errorAt(src, ["variants", i, "name"], `variant '${v.name}' is defined twice`);
    }
    let inherited: string[] = [];
    if (v.extends !== undefined) {
      const parent = out.find((o) => o.name === v.extends);
      if (!parent) {
        throw errorAt(
          src,
          ["variants", i, "extends"],
          `no earlier variant is named '${v.extends}'`,
        );
      }
      inherited = parent.patches;
    }
    const patches = v.patches.map((p, j) => {
      const abs = resolve(dir, p);
      if (!existsSync(abs)) {
        throw errorAt(
          src,
          ["variants", i, "patches", j],
          `patch file '${p}' does not exist (paths are relative to the matrix file)`,
        );
      }
      let text: string;
      try {
        text = readFileSync(abs, "utf8");
      } catch (e) {
        throw errorAt(
          src,
          ["variants", i, "patches", j],
          `cannot read '${p}': ${(e as Error).message}`,
        );
      }
      const problem = checkPatchText(text);
      if (problem) {
        throw errorAt(
          src,
          ["variants", i, "patches", j],
          `${p}:${problem.line}: ${problem.problem}`,
        );
      }
      return abs;
    });
    out.push({
      name: v.name,
      ...(v.description ? { description: v.description } : {}),
      patches: [...inherited, ...patches],
    });
  });
  return out;
}

/** Keep the cells whose id matches any of the comma-separated globs (`arm/*\/v6+v7/*`). */
export function selectCells(cells: Cell[], globs: string): Cell[] {
  const patterns = globs.split(",").map((g) => g.trim()).filter(Boolean);
  const picked = cells.filter((c) => patterns.some((p) => c.id === p || matchesGlob(c.id, p)));
  if (picked.length === 0) {
    throw new InputError(
      `Cannot select cells '${globs}': no cell matches; cells are ${
        cells.map((c) => c.id).join(", ")
      }`,
    );
  }
  return picked;
}

/** Keep the named variants, in the order given. */
export function selectVariants(variants: Variant[], names: string): Variant[] {
  return names.split(",").map((n) => n.trim()).filter(Boolean).map((n) => {
    const v = variants.find((x) => x.name === n);
    if (!v) {
      throw new InputError(
        `Cannot select variant '${n}': no such variant; variants are ${
          variants.map((x) => x.name).join(", ")
        }`,
      );
    }
    return v;
  });
}

/** The `--cells` and `--variants` flags of the CLI commands that take a matrix. */
export interface RecordSelection {
  /** Comma-separated cell ids or globs (all cells when absent). */
  cells?: string | undefined;
  /** Comma-separated variant names (all variants when absent). */
  variants?: string | undefined;
}

/**
 * The cells and variants a command runs: those its flags select, or all of them.
 *
 * @example Usage
 * ```ts ignore
 * const { cells, variants } = selectRecords(matrix, { cells: "arm/*\/v7/*" });
 * ```
 *
 * @param matrix The loaded matrix.
 * @param selection The flags; a glob or name that matches nothing is an InputError.
 */
export function selectRecords(
  matrix: Matrix,
  selection: RecordSelection,
): { cells: Cell[]; variants: Variant[] } {
  return {
    cells: selection.cells ? selectCells(matrix.cells, selection.cells) : matrix.cells,
    variants: selection.variants
      ? selectVariants(matrix.variants, selection.variants)
      : matrix.variants,
  };
}
