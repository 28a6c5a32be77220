import { assertEquals } from "./_assert.ts";
import { loadRuntime } from "../lib/build/runtime.ts";
import { cacheDir } from "../lib/tree/cache_dir.ts";

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
  assertEquals(
    loadRuntime("docker").wrap(INV).argv,
    expected("docker", "kmatrix/bookworm-cross:12"),
  );
  assertEquals(
    loadRuntime("podman").wrap(INV).argv,
    expected("podman", "localhost/kmatrix/bookworm-cross:12"),
  );
});

Deno.test("runtime: bwrap mounts the tree read-only and unshares the network", () => {
  const { argv } = loadRuntime("bwrap").wrap(INV);
  const rootfs = `${cacheDir()}/rootfs/bookworm-cross`;
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
