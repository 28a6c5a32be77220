/**
 * A TuxSuite plan of a matrix's builds, for users who build in that cloud (LKFT's and
 * ClangBuiltLinux's CI do): one job per variant, one build per cell — `target_arch`,
 * `toolchain`, `kconfig` (the base config, then the fragment lines, the list TuxMake takes),
 * `targets` and `make_variables`. The git tree and each variant's patches go on the `tuxsuite
 * plan` command line (`--git-repo`, `--git-ref`, `--patch-series`, `--job-name`), which the
 * plan's header prints. Names are mapped by `cross/tuxsuite/tuxsuite.yaml`.
 *
 * @module
 */
import { join, relative } from "node:path";
import { z } from "zod";
import { parse, stringify } from "yaml";
import { $ } from "zx";
import type { Matrix } from "../matrix/load_matrix.ts";
import type { KernelTree } from "../tree/kernel_tree.ts";
import { CROSS_DIR } from "../matrix/cross_data.ts";
import { InputError } from "../errors.ts";

const mappingSchema = z.object({
  targets: z.record(
    z.string(),
    z.object({ target: z.string(), kernel_image: z.string().optional() }),
  ),
  toolchains: z.record(
    z.string(),
    z.object({
      toolchain: z.string(),
      make_variables: z.record(z.string(), z.string()).optional(),
    }),
  ),
  debian_git_repo: z.string(),
});

/** The mapping of `cross/tuxsuite/tuxsuite.yaml`. */
export type TuxsuiteMapping = z.infer<typeof mappingSchema>;

/** Read `cross/tuxsuite/tuxsuite.yaml`. */
export function loadTuxsuiteMapping(): TuxsuiteMapping {
  const file = join(CROSS_DIR, "tuxsuite", "tuxsuite.yaml");
  return mappingSchema.parse(parse(Deno.readTextFileSync(file)));
}

/** One TuxSuite build. */
export interface TuxsuiteBuild {
  /** Kernel ARCH. */
  target_arch: string;
  /** TuxMake toolchain name. */
  toolchain: string;
  /** The base config alone, or the base then fragment lines. */
  kconfig: string | string[];
  /** TuxMake targets. */
  targets: string[];
  /** The image the `kernel` target must leave. */
  kernel_image?: string;
  /** make variables. */
  make_variables?: Record<string, string>;
}

/** A TuxSuite plan (version 1). */
export interface TuxsuitePlan {
  /** Always 1. */
  version: 1;
  /** Plan name. */
  name: string;
  /** Plan description. */
  description: string;
  /** One job per variant. */
  jobs: { name: string; builds: TuxsuiteBuild[] }[];
}

/** What {@linkcode tuxsuitePlan} returns: the plan and its YAML text with a header. */
export interface TuxsuitePlanFile {
  /** The plan. */
  plan: TuxsuitePlan;
  /** Where TuxSuite gets the tree. */
  git: { repo?: string; ref: string };
  /** The YAML file: a header saying how to submit each job, then the plan. */
  text: string;
}

/** Options for {@linkcode tuxsuitePlan}. */
export interface TuxsuitePlanOptions {
  /** The mapping (default: `cross/tuxsuite/tuxsuite.yaml`). */
  mapping?: TuxsuiteMapping;
  /** Paths in the header are said relative to this directory (default: the cwd). */
  base?: string;
}

/**
 * The TuxSuite plan of `matrix`'s builds on `tree`. A make target or toolchain TuxSuite has no
 * name for is refused with an {@linkcode InputError}.
 *
 * @example Usage
 * ```ts ignore
 * const matrix = await loadMatrix("matrix.yaml");
 * const { text } = await tuxsuitePlan(matrix, await ensureTree(matrix.tree));
 * await Deno.writeTextFile("matrix.tux.yml", text);
 * ```
 */
export async function tuxsuitePlan(
  matrix: Matrix,
  tree: KernelTree,
  options: TuxsuitePlanOptions = {},
): Promise<TuxsuitePlanFile> {
  const mapping = options.mapping ?? loadTuxsuiteMapping();
  const targets: string[] = [];
  let kernelImage: string | undefined;
  for (const t of matrix.targets) {
    const m = mapping.targets[t];
    if (!m) {
      throw new InputError(
        `Cannot write a TuxSuite plan for target '${t}': TuxSuite builds TuxMake targets only; cross/tuxsuite/tuxsuite.yaml maps ${
          Object.keys(mapping.targets).join(", ")
        }`,
      );
    }
    if (!targets.includes(m.target)) targets.push(m.target);
    if (m.kernel_image) kernelImage = m.kernel_image;
  }
  const builds = matrix.cells.map((cell): TuxsuiteBuild => {
    const tc = mapping.toolchains[cell.toolchain.name];
    if (!tc) {
      throw new InputError(
        `Cannot write a TuxSuite plan for toolchain '${cell.toolchain.name}': cross/tuxsuite/tuxsuite.yaml has no TuxSuite name for it`,
      );
    }
    return {
      target_arch: cell.arch.name,
      toolchain: tc.toolchain,
      kconfig: cell.kconfig.length > 0 ? [cell.base, ...cell.kconfig] : cell.base,
      targets,
      ...(kernelImage ? { kernel_image: kernelImage } : {}),
      ...(tc.make_variables ? { make_variables: tc.make_variables } : {}),
    };
  });
  const git = await gitSource(tree, mapping);
  const name = `${relative(options.base ?? Deno.cwd(), matrix.file)} on Linux ${tree.version}`;
  const plan: TuxsuitePlan = {
    version: 1,
    name,
    description:
      `kmatrix ${name}: ${matrix.cells.length} cells x ${matrix.variants.length} variants`,
    jobs: matrix.variants.map((v) => ({ name: v.name, builds })),
  };
  const shown = (p: string) => relative(options.base ?? Deno.cwd(), p);
  const header = [
    `TuxSuite plan written by kmatrix (plan --format tuxsuite) from ${shown(matrix.file)}.`,
    `Tree: ${tree.source} = Linux ${tree.version}${
      tree.source.startsWith("debian:")
        ? ` (Debian's package adds Debian's patches to ${git.ref}: expect small differences)`
        : ""
    }.`,
    "Submit one job per variant, with the variant's patches (concatenated, in order) as the series:",
    ...matrix.variants.map((v) => {
      const mbox = `${v.name.replace(/[^A-Za-z0-9._-]/g, "_")}.mbox`;
      const series = v.patches.length > 0
        ? `cat ${v.patches.map(shown).join(" ")} > ${mbox} && `
        : "";
      return `  ${series}tuxsuite plan --git-repo ${
        git.repo ?? "<your git remote>"
      } --git-ref ${git.ref} --job-name ${JSON.stringify(v.name)}${
        series ? ` --patch-series ${mbox}` : ""
      } PLAN`;
    }),
    "kmatrix gives an all*config base its fragment as KCONFIG_ALLCONFIG; TuxMake merges the",
    "fragment over the base with merge_config.sh: compare the resolved .config before the verdicts.",
  ];
  const text = header.map((l) => `# ${l}`).join("\n") + "\n" +
    stringify(plan, { lineWidth: 0, aliasDuplicateObjects: false });
  return { plan, git, text };
}

async function gitSource(
  tree: KernelTree,
  mapping: TuxsuiteMapping,
): Promise<{ repo?: string; ref: string }> {
  if (tree.source.startsWith("debian:")) {
    return { repo: mapping.debian_git_repo, ref: `v${tree.version.replace(/\.0$/, "")}` };
  }
  const r = await $({ quiet: true, nothrow: true })`git -C ${tree.dir} remote get-url origin`;
  const repo = r.exitCode === 0 ? r.stdout.trim() : undefined;
  return { ...(repo ? { repo } : {}), ref: tree.commit };
}
