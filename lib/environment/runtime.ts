/**
 * Runtimes share one interface: "run this argv, in this directory, with these mounts and this
 * environment". Each turns an {@linkcode Invocation} into the argv that really runs, built from
 * its description in `cross/runtimes/<name>.yaml`.
 *
 * @module
 */
import { $ } from "zx";
import { loadRuntimeSpec, type RuntimeSpec } from "../matrix/cross_data.ts";
import { bwrapRootfs, ensureRootfs } from "./rootfs.ts";

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

/** A runtime: knows how to wrap an invocation. */
export interface Runtime {
  /** Runtime name (`host`, `bwrap`, `docker`, `podman`). */
  readonly name: string;
  /** The argv that runs `inv` in this runtime; `env` is what the wrapper itself needs. */
  wrap(inv: Invocation): { argv: string[]; env: Record<string, string> };
  /** Make the runtime ready (rootfs, image) before the first build; throws what to do. */
  prepare(onProgress?: (line: string) => void): Promise<void>;
}

/** The runtime described by `cross/runtimes/<name>.yaml`. */
export function loadRuntime(name: string): Runtime {
  const spec = loadRuntimeSpec(name);
  if (!spec) throw new Error(`Cannot load runtime '${name}': no cross/runtimes/${name}.yaml`);
  return runtimeFromSpec(spec);
}

/** Make a runtime from its description. */
export function runtimeFromSpec(spec: RuntimeSpec): Runtime {
  switch (spec.kind) {
    case "host":
      return {
        name: spec.name,
        wrap: (inv) => ({ argv: inv.argv, env: inv.env }),
        prepare: () => Promise.resolve(),
      };
    case "bwrap":
      return {
        name: spec.name,
        wrap: (inv) => ({ argv: bwrapArgv(spec, inv), env: {} }),
        prepare: async (onProgress) => {
          await ensureRootfs(spec, onProgress ? { onProgress } : {});
        },
      };
    case "oci":
      return {
        name: spec.name,
        wrap: (inv) => ({ argv: ociArgv(spec, inv), env: {} }),
        prepare: () => checkImage(spec),
      };
  }
}

async function checkImage(spec: RuntimeSpec): Promise<void> {
  const program = need(spec, "program");
  const image = need(spec, "image");
  const r = await $({ quiet: true, nothrow: true })`${program} image inspect ${image}`;
  if (r.exitCode !== 0) {
    throw new Error(
      `Cannot use runtime '${spec.name}': '${program} image inspect ${image}' failed (${
        (r.stderr.trim().split("\n")[0] ?? "").replace(/^Error: /, "")
      }); start the engine, then build the image with '${program} build -t ${image} -f cross/containers/Containerfile cross'`,
    );
  }
}

function need(spec: RuntimeSpec, field: "program" | "image" | "rootfs"): string {
  const v = spec[field];
  if (!v) {
    throw new Error(
      `Cannot use runtime '${spec.name}': cross/runtimes/${spec.name}.yaml has no '${field}'`,
    );
  }
  return v;
}

function bwrapArgv(spec: RuntimeSpec, inv: Invocation): string[] {
  const rootfs = bwrapRootfs(spec);
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

function ociArgv(spec: RuntimeSpec, inv: Invocation): string[] {
  const argv = [need(spec, "program"), "run", "--rm", "--init"];
  if (!spec.network) argv.push("--network", "none");
  for (const m of inv.mounts) {
    argv.push("--volume", `${m.path}:${m.path}:${m.writable ? "rw" : "ro"}`);
  }
  argv.push("--workdir", inv.cwd);
  for (const [k, v] of Object.entries(inv.env)) argv.push("--env", `${k}=${v}`);
  return [...argv, need(spec, "image"), ...inv.argv];
}
