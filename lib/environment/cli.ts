/**
 * The `env` command: the build environments of `cross/` as the tools that install them need
 * them, and what kmatrix observes of a runtime.
 *
 * ```
 * kmatrix env packages host     # what setup.sh installs on this machine
 * kmatrix env image docker      # the `docker build` command of the docker runtime's image
 * kmatrix env show bwrap        # environment, packages, identity, toolchains present
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { quote } from "zx";
import { crossNames, loadArch, loadToolchain } from "../matrix/cross_data.ts";
import { imageBuildArgv, loadRuntime } from "./runtime.ts";
import { toolchainIdentity } from "./toolchain_profile.ts";
import { InputError } from "../errors.ts";

const USAGE =
  `Usage: kmatrix env packages [RUNTIME]   the Debian packages RUNTIME's environment holds
                               (host: plus what the host needs to drive kmatrix)
       kmatrix env image RUNTIME       the command that builds a docker/podman runtime's image
       kmatrix env show [RUNTIME]      environment, identity and toolchains of RUNTIME

RUNTIME is a name of cross/runtimes/ (default: host).`;

/** Run the `env` command with `args`; returns the exit code. */
export async function envCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [what, name = "host", ...rest] = positionals;
  if (rest.length > 0) throw new InputError(`Cannot run env '${args.join(" ")}': give one runtime`);
  const runtime = loadRuntime(name);
  switch (what) {
    case "packages":
      console.log([...runtime.environment.packages, ...runtime.spec.packages].join(" "));
      return 0;
    case "image":
      console.log(imageBuildArgv(runtime).map((a) => quote(a)).join(" "));
      return 0;
    case "show": {
      await runtime.prepare((line) => console.error(line));
      const env = runtime.environment;
      console.log(`runtime: ${runtime.name} (${runtime.spec.kind})`);
      console.log(`environment: ${env.name} (${env.suite}, ${env.packages.length} packages)`);
      console.log(`identity: ${runtime.identity()}`);
      for (const t of crossNames("toolchains")) {
        const toolchain = loadToolchain(t)!;
        for (const a of Object.keys(toolchain.cross_compile)) {
          const arch = loadArch(a);
          if (!arch) continue;
          const id = toolchainIdentity({ arch, toolchain, runtime });
          console.log(`toolchain ${t} (${a}): ${id.present ? id.cc : "not installed"}`);
        }
      }
      return 0;
    }
    default:
      throw new InputError(
        `Cannot run env '${what ?? ""}': unknown subcommand; use packages, image or show`,
      );
  }
}
