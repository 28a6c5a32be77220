/**
 * One config plan for a cell, read by the build (as make command lines) and by the predictor
 * (as Kconfig engine operations), so the two cannot drift apart:
 *
 * - `all*config` bases: `make <base>` with the fragment as `KCONFIG_ALLCONFIG` — the fragment
 *   lines are the user's answers, then the base's rule fills in the rest;
 * - `defconfig` and `<name>_defconfig`: `make <base>`, then, when there is a fragment,
 *   `scripts/kconfig/merge_config.sh -m` (fragment lines override) and `make olddefconfig`.
 *
 * and the make variables of the cell's arch and toolchain (ARCH, CROSS_COMPILE, LLVM, …).
 *
 * @module
 */
import type { Arch, Toolchain } from "../matrix/cross_data.ts";
import { InputError } from "../errors.ts";

/** How a cell's `.config` is made. */
export interface ConfigPlan {
  /** The make config target: `allnoconfig`, `defconfig`, `multi_v7_defconfig`, … */
  target: string;
  /** `allconfig`: the fragment goes in as KCONFIG_ALLCONFIG; `defconfig`: merged over it. */
  method: "allconfig" | "defconfig";
  /** The fragment lines, in order. */
  fragment: string[];
  /** Whether the `defconfig` method merges the fragment (there is one). */
  merge: boolean;
  /** make variables of the arch and toolchain, in command-line order. */
  makeVars: Record<string, string>;
}

/** What a cell needs to have a plan. */
export interface PlanInput {
  /** The arch description. */
  arch: Arch;
  /** The toolchain description. */
  toolchain: Toolchain;
  /** Base config target. */
  base: string;
  /** Fragment lines. */
  kconfig: string[];
}

/** The config plan of a cell. */
export function configPlan(cell: PlanInput): ConfigPlan {
  const method = cell.base.startsWith("all") ? "allconfig" : "defconfig";
  return {
    target: cell.base,
    method,
    fragment: [...cell.kconfig],
    merge: method === "defconfig" && cell.kconfig.length > 0,
    makeVars: toolchainMakeVars(cell.arch, cell.toolchain),
  };
}

/**
 * The make variables that select `toolchain` for `arch`: ARCH, CROSS_COMPILE (when the
 * toolchain has one for it) and the toolchain's own (`LLVM=-14`). Throws when the toolchain
 * does not support the arch.
 */
export function toolchainMakeVars(arch: Arch, toolchain: Toolchain): Record<string, string> {
  const cross = toolchain.cross_compile[arch.kernel_arch];
  if (cross === undefined) {
    throw new InputError(
      `Cannot use toolchain '${toolchain.name}' for arch '${arch.name}': cross/toolchains/${toolchain.name}.yaml has no cross_compile.${arch.kernel_arch}`,
    );
  }
  return {
    ARCH: arch.kernel_arch,
    ...(cross ? { CROSS_COMPILE: cross } : {}),
    ...toolchain.make_vars,
  };
}

/** A toolchain program (`cc`, `ld`) for an arch: `${CROSS_COMPILE}gcc` → `arm-linux-gnueabi-gcc`. */
export function toolchainProgram(
  toolchain: Toolchain,
  arch: Arch,
  which: "cc" | "ld" | "size",
): string {
  return toolchain[which].replaceAll(
    "${CROSS_COMPILE}",
    toolchain.cross_compile[arch.kernel_arch] ?? "",
  );
}
