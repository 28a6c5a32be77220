/**
 * Runtimes share one interface: "run this argv, in this directory, with these mounts and this
 * environment". Each turns an {@linkcode Invocation} into the argv that really runs, built from
 * its description in `cross/runtimes/<name>.yaml`, and holds one build environment
 * (`cross/environments/<name>.yaml`): the packages its rootfs or image is made of, or, for the
 * host, the packages setup.sh installs on it.
 *
 * @module
 */
import { $ } from "zx";
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import {
  CROSS_DIR,
  type Environment,
  loadEnvironment,
  loadRuntimeSpec,
  type RuntimeSpec,
} from "../matrix/cross_data.ts";
import { ensureRootfs, rootfsDir } from "./rootfs.ts";
import { shortHash } from "./short_hash.ts";
import { InputError } from "../errors.ts";

/** A directory made visible inside the runtime at the same path. */
export interface Mount {
  /** Absolute host path; it appears at the same path inside. */
  path: string;
  /** Whether the runtime may write to it. */
  writable: boolean;
}

/** What to run, independent of where. */
export interface Invocation {
  /** Program and arguments. */
  argv: string[];
  /** Working directory (absolute). */
  cwd: string;
  /** Variables set for the command, on top of a minimal base environment. */
  env: Record<string, string>;
  /** Directories the command reads or writes. */
  mounts: Mount[];
}

/** What a command run with {@linkcode runSync} left. */
export interface SyncOutput {
  /** Exit code (127: the program is not there). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** A runtime: knows how to wrap an invocation. */
export interface Runtime {
  /** Runtime name (`host`, `bwrap`, `docker`, `podman`). */
  readonly name: string;
  /** Its description. */
  readonly spec: RuntimeSpec;
  /** The build environment it holds. */
  readonly environment: Environment;
  /** The argv that runs `inv` in this runtime; `env` is what the wrapper itself needs. */
  wrap(inv: Invocation): { argv: string[]; env: Record<string, string> };
  /** Make the runtime ready (rootfs, image) before the first build; throws what to do. */
  prepare(onProgress?: (line: string) => void): Promise<void>;
  /**
   * What identifies this runtime's contents (after `prepare`): the installed packages' digest
   * for the host and a rootfs, the image reference for docker/podman.
   */
  identity(): string;
}

/** The runtime described by `cross/runtimes/<name>.yaml`. */
export function loadRuntime(name: string): Runtime {
  const spec = loadRuntimeSpec(name);
  if (!spec) throw new InputError(`Cannot load runtime '${name}': no cross/runtimes/${name}.yaml`);
  return runtimeFromSpec(spec);
}

/** Make a runtime from its description. */
export function runtimeFromSpec(spec: RuntimeSpec): Runtime {
  const environment = loadEnvironment(spec.environment);
  switch (spec.kind) {
    case "host":
      return {
        name: spec.name,
        spec,
        environment,
        wrap: (inv) => ({ argv: inv.argv, env: inv.env }),
        prepare: () => Promise.resolve(),
        identity: () => `host:${dpkgDigest("/")}`,
      };
    case "bwrap":
      return {
        name: spec.name,
        spec,
        environment,
        wrap: (inv) => ({ argv: bwrapArgv(spec, rootfsDir(environment), inv), env: {} }),
        prepare: async (onProgress) => {
          await ensureRootfs(environment, onProgress ? { onProgress } : {});
        },
        identity: () => {
          const rootfs = rootfsDir(environment);
          return `bwrap:${basename(rootfs)}:${dpkgDigest(rootfs)}`;
        },
      };
    case "oci":
      return {
        name: spec.name,
        spec,
        environment,
        wrap: (inv) => ({ argv: ociArgv(spec, environment, inv), env: {} }),
        prepare: () => checkImage(spec, environment),
        identity: () => `${spec.name}:${imageRef(spec, environment)}`,
      };
  }
}

/**
 * The image reference of an OCI runtime: its `image` tagged with a hash of the environment's
 * packages, so an image built from another list is never used by mistake.
 */
export function imageRef(spec: RuntimeSpec, env: Environment): string {
  return `${need(spec, "image")}:${shortHash([env.image, ...env.packages])}`;
}

/**
 * The argv that builds the image of an OCI runtime from `cross/containers/Containerfile` with
 * the environment's base image and packages.
 */
export function imageBuildArgv(runtime: Runtime): string[] {
  const { spec, environment: env } = runtime;
  if (spec.kind !== "oci") {
    throw new InputError(
      `Cannot build an image for runtime '${spec.name}': it is a ${spec.kind} runtime`,
    );
  }
  return [
    need(spec, "program"),
    "build",
    "--build-arg",
    `BASE=${env.image}`,
    "--build-arg",
    `PACKAGES=${env.packages.join(" ")}`,
    "-t",
    imageRef(spec, env),
    "-f",
    join(CROSS_DIR, "containers", "Containerfile"),
    join(CROSS_DIR, "containers"),
  ];
}

/**
 * Run `inv` in `runtime` and wait for it, synchronously (the Kconfig engine's `$(shell,…)` calls
 * are synchronous). A program that is not there gives code 127, as a shell would.
 */
export function runSync(runtime: Runtime, inv: Invocation): SyncOutput {
  const wrapped = runtime.wrap(inv);
  const r = $.sync({
    cwd: inv.cwd,
    env: { ...Deno.env.toObject(), ...wrapped.env },
    quiet: true,
    nothrow: true,
    stdio: ["ignore", "pipe", "pipe"],
  })`${wrapped.argv}`;
  return { code: r.exitCode ?? 128, stdout: r.stdout, stderr: r.stderr };
}

const digests = new Map<string, string>();

/**
 * SHA-256 prefix of a root's dpkg status file (its exact packages), or `unknown`; read once per
 * process and root.
 */
function dpkgDigest(root: string): string {
  const known = digests.get(root);
  if (known) return known;
  const digest = readDigest(root);
  if (digest !== "unknown") digests.set(root, digest);
  return digest;
}

function readDigest(root: string): string {
  try {
    const status = Deno.readFileSync(join(root, "var/lib/dpkg/status"));
    return createHash("sha256").update(status).digest("hex").slice(0, 12);
  } catch {
    return "unknown";
  }
}

async function checkImage(spec: RuntimeSpec, env: Environment): Promise<void> {
  const program = need(spec, "program");
  const image = imageRef(spec, env);
  const r = await $({ quiet: true, nothrow: true })`${program} image inspect ${image}`;
  if (r.exitCode !== 0) {
    throw new InputError(
      `Cannot use runtime '${spec.name}': '${program} image inspect ${image}' failed (${
        (r.stderr.trim().split("\n")[0] ?? "").replace(/^Error: /, "")
      }); start the engine, then build the image with the command 'deno run -A mod.ts env image ${spec.name}' prints`,
    );
  }
}

function need(spec: RuntimeSpec, field: "program" | "image"): string {
  const v = spec[field];
  if (!v) {
    throw new InputError(
      `Cannot use runtime '${spec.name}': cross/runtimes/${spec.name}.yaml has no '${field}'`,
    );
  }
  return v;
}

function bwrapArgv(spec: RuntimeSpec, rootfs: string, inv: Invocation): string[] {
  // bwrap's own root is an empty tmpfs: mount only the parts of the rootfs a build needs, so
  // the build's directories can be mounted at their host paths, wherever those are.
  const argv = [need(spec, "program")];
  for (const dir of spec.binds) argv.push("--ro-bind", `${rootfs}/${dir}`, `/${dir}`);
  for (const [link, target] of Object.entries(spec.symlinks)) {
    argv.push("--symlink", target, `/${link}`);
  }
  argv.push("--dev", "/dev", "--proc", "/proc");
  argv.push("--tmpfs", "/tmp", "--die-with-parent", "--unshare-pid", "--unshare-ipc");
  if (!spec.network) argv.push("--unshare-net");
  for (const m of inv.mounts) argv.push(m.writable ? "--bind" : "--ro-bind", m.path, m.path);
  argv.push("--chdir", inv.cwd, "--clearenv");
  for (const [k, v] of Object.entries({ PATH: "/usr/sbin:/usr/bin:/sbin:/bin", ...inv.env })) {
    argv.push("--setenv", k, v);
  }
  return [...argv, "--", ...inv.argv];
}

function ociArgv(spec: RuntimeSpec, env: Environment, inv: Invocation): string[] {
  const argv = [need(spec, "program"), "run", "--rm", "--init"];
  if (!spec.network) argv.push("--network", "none");
  for (const m of inv.mounts) {
    argv.push("--volume", `${m.path}:${m.path}:${m.writable ? "rw" : "ro"}`);
  }
  argv.push("--workdir", inv.cwd);
  for (const [k, v] of Object.entries(inv.env)) argv.push("--env", `${k}=${v}`);
  return [...argv, imageRef(spec, env), ...inv.argv];
}
