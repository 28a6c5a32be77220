/**
 * Readers for the data under `cross/`: one YAML file per arch, toolchain and runtime. Adding an
 * arch, toolchain or runtime is adding a file there; no code names them.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseYaml, validate } from "./yaml_source.ts";
import { strict } from "./schema_util.ts";

/** The repository's `cross/` directory. */
export const CROSS_DIR: string = fileURLToPath(new URL("../../cross/", import.meta.url));

const archSchema = strict({
  name: z.string(),
  kernel_arch: z.string(),
  srcarch: z.string(),
  image: z.string(),
});

const toolchainSchema = strict({
  name: z.string(),
  cross_compile: z.record(z.string(), z.string()),
  debian_packages: z.record(z.string(), z.array(z.string())).default({}),
  make_vars: z.record(z.string(), z.string()).default({}),
});

const runtimeSchema = strict({
  name: z.string(),
  kind: z.enum(["host", "bwrap", "oci"]),
  program: z.string().optional(),
  image: z.string().optional(),
  rootfs: z.string().optional(),
  binds: z.array(z.string()).default([]),
  symlinks: z.record(z.string(), z.string()).default({}),
  network: z.boolean().default(false),
});

/** An arch description (`cross/arches/<name>.yaml`). */
export type Arch = z.output<typeof archSchema>;
/** A toolchain description (`cross/toolchains/<name>.yaml`). */
export type Toolchain = z.output<typeof toolchainSchema>;
/** A runtime description (`cross/runtimes/<name>.yaml`). */
export type RuntimeSpec = z.output<typeof runtimeSchema>;

/** The names available for a kind of data, sorted. */
export function crossNames(kind: "arches" | "toolchains" | "runtimes"): string[] {
  const dir = join(CROSS_DIR, kind);
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".yaml"))
    .map((e) => e.name.slice(0, -".yaml".length))
    .sort();
}

function readData<T extends z.ZodType>(
  kind: "arches" | "toolchains" | "runtimes",
  name: string,
  schema: T,
): z.output<T> | undefined {
  const path = join(CROSS_DIR, kind, `${name}.yaml`);
  if (!existsSync(path)) return undefined;
  const src = parseYaml(Deno.readTextFileSync(path), relative(Deno.cwd(), path));
  return validate(src, schema);
}

/** Read `cross/arches/<name>.yaml`, or undefined when there is no such file. */
export function loadArch(name: string): Arch | undefined {
  return readData("arches", name, archSchema);
}

/** Read `cross/toolchains/<name>.yaml`, or undefined when there is no such file. */
export function loadToolchain(name: string): Toolchain | undefined {
  return readData("toolchains", name, toolchainSchema);
}

/** Read `cross/runtimes/<name>.yaml`, or undefined when there is no such file. */
export function loadRuntimeSpec(name: string): RuntimeSpec | undefined {
  return readData("runtimes", name, runtimeSchema);
}
