/**
 * Which of the build's late stages a list of make targets reaches. A hazard that fails at the
 * vmlinux link (an undefined reference from a built-in object) only shows when a target links
 * vmlinux; one in a module only when modpost runs over the modules. Compiling objects
 * (`drivers/xen/grant-table.o`) or directories (`drivers/xen/`) reaches neither.
 *
 * Kbuild's top-level Makefile: `all` (the default goal) is vmlinux, the arch's boot image and,
 * with CONFIG_MODULES, `modules`; the boot image (`zImage`, `Image`, …) depends on vmlinux;
 * `modules` runs modpost (and builds vmlinux.o, whose symbols modpost checks against, but does
 * not link vmlinux).
 *
 * @module
 */

/** The late stages of a build that targets reach. */
export interface TargetStages {
  /** vmlinux is linked: undefined references from built-in objects fail here. */
  link: boolean;
  /** modpost runs over the modules: their undefined symbols fail here. */
  modpost: boolean;
}

/** Options for {@linkcode targetStages}. */
export interface TargetStagesOptions {
  /** The arch's boot image target (`zImage` on arm), from `cross/arches/<arch>.yaml`. */
  image?: string;
}

/**
 * The stages `make <targets>` reaches; no target is make's default goal, `all`.
 *
 * @example Usage
 * ```ts
 * import { targetStages } from "./target_stages.ts";
 * targetStages(["vmlinux"]); // { link: true, modpost: false }
 * targetStages(["drivers/xen/grant-table.o"]); // { link: false, modpost: false }
 * ```
 *
 * @param targets The make targets of the build.
 * @param options The arch's boot image.
 */
export function targetStages(
  targets: readonly string[],
  options: TargetStagesOptions = {},
): TargetStages {
  const goals = targets.length === 0 ? ["all"] : targets;
  const has = (t: string) => goals.includes(t);
  return {
    link: has("all") || has("vmlinux") || (options.image !== undefined && has(options.image)),
    modpost: has("all") || has("modules"),
  };
}
