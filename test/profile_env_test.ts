/**
 * Toolchain profiles keyed by environment (issue 7): recorded inside the runtime the build runs
 * in and cached; a probe missing from a cached profile is asked on the spot; where the toolchain
 * is missing, the committed profile (cross/profiles/, recorded in the bwrap rootfs) is the
 * fallback; where a live answer differs from the committed one, the difference is said.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { kernelTree } from "./_tree.ts";
import { loadKconfig } from "../lib/kconfig/kconfig.ts";
import { loadToolchain } from "../lib/matrix/cross_data.ts";
import { loadRuntime } from "../lib/environment/runtime.ts";
import { committedProfilePath } from "../lib/environment/toolchain_profile.ts";
import { readProfile, writeProfile } from "../lib/kconfig/profile.ts";

const CAN_LINK = /cc-can-link\.sh arm-linux-gnueabi-gcc +;/;

Deno.test("profile: a missing toolchain falls back to the committed profile", async () => {
  const tree = await kernelTree();
  // gcc-12 as described, but its compiler is not installed anywhere.
  const absent = { ...loadToolchain("gcc-12")!, cc: "kmatrix-absent-gcc", ld: "kmatrix-absent-ld" };
  const lines: string[] = [];
  const kc = await loadKconfig(tree, {
    arch: "arm",
    toolchain: absent,
    onProgress: (l) => lines.push(l),
  });
  assertEquals(kc.profileUse?.origin, "committed");
  assertEquals(kc.profileUse?.path, committedProfilePath("gcc-12", "arm", "6.1"));
  assert.match(
    lines.join("\n"),
    /toolchain 'gcc-12' is not installed in runtime 'host'; predicting from the committed profile/,
  );
  kc.allnoconfig({ fragment: ["CONFIG_MMU=y"] });
  assert.match(kc.write(), /^CONFIG_CC_VERSION_TEXT="arm-linux-gnueabi-gcc \(Debian 12\./m);
});

Deno.test("profile: recorded in the runtime, cached, and a missing probe is asked on the spot", async () => {
  const tree = await kernelTree();
  const first = await loadKconfig(tree, { arch: "arm", toolchain: "gcc-12" });
  const use = first.profileUse!;
  assert.ok(["recorded", "cached"].includes(use.origin));
  assert.match(use.path, /\/profiles\/gcc-12-arm-6\.1-host-[0-9a-f]{12}\.json$/);
  assertEquals(use.profile.environment?.runtime, "host");
  // Forget one probe in the cached file: the next load asks it again, in the runtime.
  const stored = readProfile(use.path);
  const call = Object.keys(stored.shell).find((k) => CAN_LINK.test(k))!;
  assert.ok(call, "the profile holds the cc-can-link probe");
  const answer = stored.shell[call];
  delete stored.shell[call];
  writeProfile(use.path, stored);
  const again = await loadKconfig(tree, { arch: "arm", toolchain: "gcc-12" });
  assertEquals(again.profileUse?.origin, "cached");
  assertEquals(readProfile(use.path).shell[call], answer);
});

Deno.test({
  name: "profile: bwrap-userspace answers cc-can-link differently, and says so",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tree = await kernelTree();
    const runtime = loadRuntime("bwrap-userspace");
    await runtime.prepare((l) => console.error(l));
    const kc = await loadKconfig(tree, { arch: "arm", toolchain: "gcc-12", runtime });
    const use = kc.profileUse!;
    assert.match(use.path, /-6\.1-bwrap-userspace-[0-9a-f]{12}\.json$/);
    const call = Object.keys(use.profile.shell).find((k) => CAN_LINK.test(k))!;
    assertEquals(use.profile.shell[call], "y");
    const committed = readProfile(committedProfilePath("gcc-12", "arm", "6.1"));
    assertEquals(committed.shell[call], "n");
    assert.ok(
      use.differences.some((d) =>
        d.includes("cc-can-link.sh") && d.endsWith("'y' live, 'n' committed")
      ),
      use.differences.join("\n"),
    );
    kc.allnoconfig({ fragment: ["CONFIG_MMU=y"] });
    assert.match(kc.write(), /^CONFIG_CC_CAN_LINK=y$/m);
    // The profile lives in the cache, never in the checkout.
    assert.ok(!use.path.startsWith(join(import.meta.dirname!, "..")));
  },
});
