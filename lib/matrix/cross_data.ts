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
import { InputError } from "../errors.ts";

/** The repository's `cross/` directory. */
export const CROSS_DIR: string = fileURLToPath(new URL("../../cross/", import.meta.url));

const archSchema: z.ZodType<Arch> = strict({
  name: z.string(),
  kernel_arch: z.string(),
  srcarch: z.string(),
  image: z.string(),
  default_toolchain: z.string(),
});

const toolchainSchema: z.ZodType<Toolchain> = strict({
  name: z.string(),
  cross_compile: z.record(z.string(), z.string()),
  cc: z.string(),
  ld: z.string(),
  hostcc: z.string(),
  size: z.string(),
  make_vars: z.record(z.string(), z.string()).default({}),
  packages: z.record(z.string(), z.array(z.string())).default({}),
});

const environmentSchema = strict({
  name: z.string(),
  extends: z.string().optional(),
  suite: z.string().optional(),
  image: z.string().optional(),
  packages: z.array(z.string()).default([]),
  toolchains: z.array(z.string()).default([]),
});

const runtimeSchema: z.ZodType<RuntimeSpec> = strict({
  name: z.string(),
  kind: z.enum(["host", "bwrap", "oci"]),
  environment: z.string(),
  packages: z.array(z.string()).default([]),
  program: z.string().optional(),
  image: z.string().optional(),
  binds: z.array(z.string()).default([]),
  symlinks: z.record(z.string(), z.string()).default({}),
  network: z.boolean().default(false),
});

/** An arch description (`cross/arches/<name>.yaml`). */
export interface Arch {
  /** Name, as matrix.yaml says it. */
  name: string;
  /** make's ARCH. */
  kernel_arch: string;
  /** The directory under arch/ (SRCARCH). */
  srcarch: string;
  /** The boot image make leaves besides vmlinux. */
  image: string;
  /** The toolchain `kmatrix config` uses when CROSS_COMPILE is not set. */
  default_toolchain: string;
}
/** A toolchain description (`cross/toolchains/<name>.yaml`). */
export interface Toolchain {
  /** Name, as matrix.yaml says it. */
  name: string;
  /** CROSS_COMPILE per kernel ARCH (empty: none); an arch missing is not supported. */
  cross_compile: Record<string, string>;
  /** The compiler (`${CROSS_COMPILE}` replaced). */
  cc: string;
  /** The linker. */
  ld: string;
  /** The host compiler make uses for its own tools. */
  hostcc: string;
  /** The size program that reads vmlinux. */
  size: string;
  /** Extra make variables (`LLVM: "-14"`). */
  make_vars: Record<string, string>;
  /** Debian packages that provide it, per kernel ARCH. */
  packages: Record<string, string[]>;
}
/** A runtime description (`cross/runtimes/<name>.yaml`). */
export interface RuntimeSpec {
  /** Name, as matrix.yaml says it. */
  name: string;
  /** How it runs a command. */
  kind: "host" | "bwrap" | "oci";
  /** The build environment it holds (`cross/environments/<name>.yaml`). */
  environment: string;
  /** Host only: what the host itself needs beside the environment (setup.sh installs it). */
  packages: string[];
  /** bwrap, docker or podman. */
  program?: string;
  /** OCI image name (tagged with the environment's hash). */
  image?: string;
  /** bwrap: directories of the rootfs mounted read-only. */
  binds: string[];
  /** bwrap: symbolic links at the root. */
  symlinks: Record<string, string>;
  /** Whether the build may use the network. */
  network: boolean;
}
/** An environment description as written (`cross/environments/<name>.yaml`). */
export type EnvironmentSpec = z.output<typeof environmentSchema>;

/** A build environment with `extends` resolved: everything it holds. */
export interface Environment {
  /** Environment name. */
  name: string;
  /** Debian suite to debootstrap. */
  suite: string;
  /** Base image of the container runtimes. */
  image: string;
  /** The toolchains it holds. */
  toolchains: string[];
  /** Every Debian package it installs: its own, its parents', its toolchains', sorted. */
  packages: string[];
}

type CrossKind = "arches" | "toolchains" | "runtimes" | "environments";

/** The names available for a kind of data, sorted. */
export function crossNames(kind: CrossKind): string[] {
  const dir = join(CROSS_DIR, kind);
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".yaml"))
    .map((e) => e.name.slice(0, -".yaml".length))
    .sort();
}

function readData<T extends z.ZodType>(
  kind: CrossKind,
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

/**
 * Read `cross/environments/<name>.yaml` with its `extends` chain and its toolchains' packages
 * resolved. Throws when it, a parent or a toolchain is missing.
 */
export function loadEnvironment(name: string): Environment {
  const chain: EnvironmentSpec[] = [];
  for (let n: string | undefined = name; n !== undefined;) {
    if (chain.some((e) => e.name === n)) {
      throw new InputError(`Cannot load environment '${name}': 'extends' loops through '${n}'`);
    }
    const spec: EnvironmentSpec | undefined = readData("environments", n, environmentSchema);
    if (!spec) {
      throw new InputError(
        `Cannot load environment '${n}': no cross/environments/${n}.yaml; environments are ${
          crossNames("environments").join(", ")
        }`,
      );
    }
    chain.push(spec);
    n = spec.extends;
  }
  const pick = (f: "suite" | "image") => chain.find((e) => e[f] !== undefined)?.[f];
  const toolchains = [...new Set(chain.flatMap((e) => e.toolchains))];
  const packages = new Set(chain.flatMap((e) => e.packages));
  for (const t of toolchains) {
    const tc = loadToolchain(t);
    if (!tc) {
      throw new InputError(
        `Cannot load environment '${name}': toolchain '${t}' has no cross/toolchains/${t}.yaml`,
      );
    }
    for (const list of Object.values(tc.packages)) list.forEach((p) => packages.add(p));
  }
  return {
    name,
    suite: pick("suite") ?? "bookworm",
    image: pick("image") ?? "debian:bookworm-slim",
    toolchains,
    packages: [...packages].sort(),
  };
}
