/**
 * The predictor: what a real build of a cell will do, without running make or the compiler.
 * The Kconfig engine resolves the cell's config (the same `.config` `make <base>` with the
 * fragment writes), the Kbuild model lists the objects the build makes, and the hazard rules
 * say which of them fail and with which diagnostic signature.
 *
 * @module
 */
import { join } from "node:path";
import type { Cell } from "../matrix/load_matrix.ts";
import { type Kconfig, loadKconfig } from "../kconfig/kconfig.ts";
import { kbuildObjects, type Unmodelled } from "../kbuild/kbuild_objects.ts";
import { MakeScope } from "../kbuild/make_eval.ts";
import { targetStages } from "../kbuild/target_stages.ts";
import { configPlan } from "../plan/config_plan.ts";
import { loadRuntime, type Runtime } from "../environment/runtime.ts";
import {
  applyHazardRule,
  type HazardRule,
  loadHazardRules,
  type RuleOutcome,
} from "./hazard_rules.ts";
import { InputError } from "../errors.ts";

/** What the predictor expects a real build of one cell to do. */
export interface Prediction {
  /** Cell id. */
  cell: string;
  /** Expected outcome of the build. */
  status: "pass" | "fail";
  /** Expected error signatures (causes), sorted, in `parseLog`'s format. */
  signatures: string[];
  /** Expected make-level error signatures that follow from the causes (`make:1:vmlinux`). */
  consequences: string[];
  /** Fragment lines that will not reach `.config`, with the failing term. */
  dropped: { line: string; why: string }[];
  /** The predicted `.config` text. */
  config: string;
  /** Human explanation: dropped lines, the conditions of the rules that fired, each hit. */
  reasons: string[];
  /** Every rule's outcome for this cell (fired or not). */
  rules: RuleOutcome[];
  /** Size of the object model: built-in objects, `lib.a` objects, modules. */
  objects: { builtin: number; lib: number; modules: number };
  /** Directories the object model could not evaluate faithfully. */
  unmodelled: Unmodelled[];
  /** The toolchain profile the config was resolved with, and where it came from. */
  profile?: {
    /** `cached`/`recorded` in the build's runtime, or `committed` (toolchain not installed). */
    origin: "cached" | "recorded" | "committed";
    /** Path of the profile. */
    path: string;
    /** Probes whose live answer differs from the committed profile's. */
    differences: string[];
  };
}

/** Options for {@linkcode predictCell}. */
export interface PredictOptions {
  /** The hazard rules (default: every rule in `cross/hazards/`). */
  rules?: HazardRule[];
  /** The runtime the build runs in: the toolchain's answers are taken there (default `host`). */
  runtime?: Runtime;
  /** Called with a line of progress (a profile recorded, probes that differ, fallbacks). */
  onProgress?: (line: string) => void;
  /**
   * The build's make targets (default: make's default goal, `all`): a hazard counts only where
   * a target reaches the stage that reports it (vmlinux link, modpost).
   */
  targets?: readonly string[];
}

const kconfigs = new Map<string, Promise<Kconfig>>();

/**
 * The parsed Kconfig tree of `src` for a cell's arch and toolchain in a runtime, parsed once per
 * process (the run's pre-flight checks and the predictor share it).
 */
export function kconfigFor(
  src: string,
  cell: Cell,
  options: PredictOptions = {},
): Promise<Kconfig> {
  const runtime = options.runtime ?? loadRuntime("host");
  const key = `${src}\0${cell.arch.name}\0${cell.toolchain.name}\0${runtime.name}`;
  let kc = kconfigs.get(key);
  if (!kc) {
    kc = loadKconfig(src, {
      arch: cell.arch.kernel_arch,
      toolchain: cell.toolchain,
      runtime,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    kconfigs.set(key, kc);
    kc.catch(() => kconfigs.delete(key));
  }
  return kc;
}

/** `make defconfig`'s file: the arch Makefile's KBUILD_DEFCONFIG. */
function archDefconfig(src: string, srcarch: string): string {
  const mk = join(src, "arch", srcarch, "Makefile");
  const scope = new MakeScope({ cwd: src, resolveInclude: () => undefined }, { srctree: src });
  scope.evalFile(mk, Deno.readTextFileSync(mk));
  const name = scope.get("KBUILD_DEFCONFIG").trim();
  if (!name) {
    throw new InputError(
      `Cannot find the defconfig of '${srcarch}': ${mk} sets no KBUILD_DEFCONFIG`,
    );
  }
  return name;
}

/** Resolve the config the build's config steps write, following the same plan. */
function resolveConfig(kc: Kconfig, cell: Cell, src: string, srcarch: string): void {
  const plan = configPlan(cell);
  const fragment = plan.fragment;
  if (plan.method === "allconfig") {
    const ops = {
      allnoconfig: () => kc.allnoconfig({ fragment }),
      allyesconfig: () => kc.allyesconfig({ fragment }),
      allmodconfig: () => kc.allmodconfig({ fragment }),
      alldefconfig: () => kc.alldefconfig({ fragment }),
    };
    const op = ops[plan.target as keyof typeof ops];
    if (!op) throw new InputError(`Cannot predict base '${plan.target}': not an all*config target`);
    op();
    return;
  }
  kc.defconfig(plan.target === "defconfig" ? archDefconfig(src, srcarch) : plan.target);
  if (plan.merge) kc.olddefconfig(kc.write(), { fragment });
}

/**
 * Predict the outcome of building `cell` on the tree `src`.
 *
 * @example Usage
 * ```ts ignore
 * const p = await predictCell(cell, variant.src);
 * p.status;     // "fail"
 * p.signatures; // ["ld:undefined:__bad_cmpxchg@drivers/xen/grant-table.o", …]
 * ```
 *
 * @param cell The cell (ARCH, toolchain, base config, fragment).
 * @param src The (patched) kernel source tree the build uses.
 * @param options The rules to apply.
 */
export async function predictCell(
  cell: Cell,
  src: string,
  options: PredictOptions = {},
): Promise<Prediction> {
  const arch = cell.arch.kernel_arch;
  const srcarch = cell.arch.srcarch;
  const kc = await kconfigFor(src, cell, options);
  const rules = options.rules ?? loadHazardRules();
  // From here on synchronous: the shared Kconfig object holds this cell's config throughout.
  resolveConfig(kc, cell, src, srcarch);
  const config = kc.write();
  const dropped = kc.dropped(cell.kconfig);
  const value = (name: string) => kc.value(name);
  const model = kbuildObjects(src, { arch, srcarch, value, symbols: kc.tree.symbols.keys() });
  const evalExpr = (text: string) => kc.evalExpr(text);
  const stages = targetStages(options.targets ?? [], { image: cell.arch.image });
  const outcomes = rules.map((rule) =>
    applyHazardRule(rule, { src, arch, srcarch, value, evalExpr, model, stages })
  );

  const reasons: string[] = dropped.map((d) => `${d.line} dropped: ${d.why}`);
  for (const o of outcomes) {
    if (!o.applies || o.hits.length === 0) continue;
    const conds = o.condition.filter((c) => !c.endsWith("=n")).map((c) => {
      const name = c.slice(0, c.indexOf("="));
      const decided = kc.explain(name).match(/decided by: select \(([A-Za-z0-9_]+)/)?.[1];
      return decided ? `${c} (selected by ${decided})` : c;
    });
    reasons.push(`${o.rule}: ${conds.join(" and ")}`);
    for (const h of o.hits) reasons.push(`${o.rule}: ${h.reason} → ${h.signature}`);
  }
  const signatures = [...new Set(outcomes.flatMap((o) => o.hits.map((h) => h.signature)))].sort();
  const consequences = [...new Set(outcomes.flatMap((o) => o.consequences))].sort();
  return {
    cell: cell.id,
    status: signatures.length > 0 ? "fail" : "pass",
    signatures,
    consequences,
    dropped,
    config,
    reasons,
    rules: outcomes,
    objects: { builtin: model.builtin.length, lib: model.lib.length, modules: model.modules.size },
    unmodelled: model.unmodelled,
    ...(kc.profileUse
      ? {
        profile: {
          origin: kc.profileUse.origin,
          path: kc.profileUse.path,
          differences: kc.profileUse.differences,
        },
      }
      : {}),
  };
}
