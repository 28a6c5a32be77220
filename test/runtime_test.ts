import { assert, assertEquals } from "./_assert.ts";
import { imageBuildArgv, imageRef, loadRuntime } from "../lib/environment/runtime.ts";
import { rootfsDir } from "../lib/environment/rootfs.ts";
import { CROSS_DIR, loadEnvironment } from "../lib/matrix/cross_data.ts";

const INV = {
  argv: ["make", "-C", "/src", "O=/obj", "ARCH=arm", "vmlinux"],
  cwd: "/obj",
  env: { LC_ALL: "C", CCACHE_DIR: "/cache/ccache" },
  mounts: [{ path: "/src", writable: false }, { path: "/obj", writable: true }],
};

Deno.test("runtime: host runs the argv as it is", () => {
  assertEquals(loadRuntime("host").wrap(INV), { argv: INV.argv, env: INV.env });
});

Deno.test("runtime: docker and podman get one argv from the same description", () => {
  const expected = (program: string, image: string) => [
    program,
    "run",
    "--rm",
    "--init",
    "--network",
    "none",
    "--volume",
    "/src:/src:ro",
    "--volume",
    "/obj:/obj:rw",
    "--workdir",
    "/obj",
    "--env",
    "LC_ALL=C",
    "--env",
    "CCACHE_DIR=/cache/ccache",
    image,
    ...INV.argv,
  ];
  const docker = loadRuntime("docker"), podman = loadRuntime("podman");
  const tag = imageRef(docker.spec, docker.environment).split(":")[1]!;
  assert.match(tag, /^[0-9a-f]{12}$/);
  assertEquals(docker.wrap(INV).argv, expected("docker", `kmatrix/bookworm-cross:${tag}`));
  assertEquals(
    podman.wrap(INV).argv,
    expected("podman", `localhost/kmatrix/bookworm-cross:${tag}`),
  );
});

Deno.test("runtime: one package list for setup.sh, the bwrap rootfs and the container image", async () => {
  const env = loadEnvironment("bookworm");
  // The toolchains' packages join the environment's own.
  for (const p of ["make", "bison", "gcc-arm-linux-gnueabi", "clang-14", "lld-14", "llvm-14"]) {
    assert.ok(env.packages.includes(p), p);
  }
  assertEquals(env.packages.includes("libc6-dev-armel-cross"), false);
  // The userspace environment extends it with the ARM C library, and nothing else.
  const user = loadEnvironment("bookworm-userspace");
  assertEquals(user.packages.filter((p) => !env.packages.includes(p)), ["libc6-dev-armel-cross"]);
  assertEquals(env.packages.filter((p) => !user.packages.includes(p)), []);

  // docker/podman: the image is built from the Containerfile with exactly that list.
  const argv = imageBuildArgv(loadRuntime("docker"));
  assertEquals(argv.slice(0, 2), ["docker", "build"]);
  assertEquals(argv[argv.indexOf("--build-arg", 3) + 1], `PACKAGES=${env.packages.join(" ")}`);
  assertEquals(argv[argv.indexOf("-f") + 1], `${CROSS_DIR}containers/Containerfile`);
  const containerfile = await Deno.readTextFile(`${CROSS_DIR}containers/Containerfile`);
  assert.match(containerfile, /^ARG PACKAGES$/m);
  assert.match(containerfile, /apt-get install -y --no-install-recommends \$PACKAGES/);
  // bwrap: the rootfs is named after the list, so another list is another rootfs.
  assert.notEqual(rootfsDir(env), rootfsDir(user));
  // setup.sh: installs what `env packages host` prints, which is the same list plus the host's.
  const setup = await Deno.readTextFile(`${CROSS_DIR}../setup.sh`);
  assert.match(setup, /packages=\$\(deno run -A mod\.ts env packages host\)/);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${CROSS_DIR}../mod.ts`, "env", "packages", "host"],
    stdout: "piped",
  }).output();
  assertEquals(
    new TextDecoder().decode(out.stdout).trim().split(" "),
    [...env.packages, ...loadRuntime("host").spec.packages],
  );
});

Deno.test("runtime: bwrap mounts the tree read-only and unshares the network", () => {
  const { argv } = loadRuntime("bwrap").wrap(INV);
  const rootfs = rootfsDir(loadEnvironment("bookworm"));
  assertEquals(argv.slice(0, 7), [
    "bwrap",
    "--ro-bind",
    `${rootfs}/usr`,
    "/usr",
    "--ro-bind",
    `${rootfs}/etc`,
    "/etc",
  ]);
  assertEquals(argv.includes("/"), false, "the rootfs is not mounted whole: / stays bwrap's tmpfs");
  const joined = argv.join(" ");
  for (
    const part of [
      "--unshare-net",
      "--ro-bind /src /src",
      "--bind /obj /obj",
      "--chdir /obj",
      "--clearenv",
      "--setenv LC_ALL C",
    ]
  ) {
    assertEquals(joined.includes(part), true, part);
  }
  assertEquals(argv.slice(argv.indexOf("--")), ["--", ...INV.argv]);
});

Deno.test("runtime: an unknown runtime says which file is missing", () => {
  let message = "";
  try {
    loadRuntime("lxc");
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "Cannot load runtime 'lxc': no cross/runtimes/lxc.yaml");
});
