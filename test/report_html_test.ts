/**
 * The HTML report of a real run's results (test/fixtures/report/) opens in Debian's headless chromium
 * with nothing on its console; the DOM chromium builds has every cell × variant square with
 * its record's status, prediction and reproducer; a screenshot is taken. The console check is
 * shown able to fail on a page that logs an error.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./_assert.ts";
import { reportFixture, withMissAndRegression } from "./_report_fixture.ts";
import { formatHtml, htmlEscape } from "../lib/report/html.ts";
import { gridOf } from "../lib/report/_grid.ts";

const CHROMIUM = "/usr/bin/chromium";

/** Open `file` in headless chromium: the DOM it built, its console lines, and a screenshot. */
async function openInChromium(file: string, screenshot?: string) {
  const profile = await Deno.makeTempDir({ prefix: "kmatrix-chromium-" });
  const run = async (extra: string[]) => {
    const o = await new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--enable-logging=stderr",
        "--v=0",
        ...extra,
        `file://${file}`,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  };
  const dom = await run(["--dump-dom"]);
  if (screenshot) await run([`--screenshot=${screenshot}`, "--window-size=1400,1000"]);
  await Deno.remove(profile, { recursive: true });
  // Every console message of the page, whatever its level, is logged as `…:CONSOLE…] "…"`.
  const console = dom.err.split("\n").filter((l) => /:CONSOLE[:(\]]/.test(l));
  return { code: dom.code, dom: dom.out, console };
}

Deno.test({
  name: "html report: opens in headless chromium, no console message, every square rendered",
  sanitizeResources: false,
  async fn() {
    const fixture = await reportFixture();
    const dir = fixture.dir;
    // With a real prediction miss and a real regression (see _report_fixture.ts).
    const results = await withMissAndRegression(fixture.results);
    const page = join(dir, "report.html");
    const html = formatHtml(results, { relativeTo: dir });
    await Deno.writeTextFile(page, html);

    // Self-contained: nothing the page would load from elsewhere.
    assert.doesNotMatch(html, /<(script|img|link|iframe|object|embed)\b|@import|url\(|\ssrc=/i);

    const shot = join(dir, "report.png");
    const opened = await openInChromium(page, shot);
    assertEquals(opened.code, 0);
    assertEquals(opened.console, [], "no console message");

    // The DOM chromium built: one square per cell × variant, with the record's status.
    const grid = gridOf(results);
    assert.ok(grid.cells.length >= 2 && grid.variants.length >= 2);
    const squares = [
      ...opened.dom.matchAll(/<td class="square ([^"]*)"([^>]*)>([\s\S]*?)<\/details><\/td>/g),
    ];
    assertEquals(squares.length, grid.cells.length * grid.variants.length);
    const attr = (attrs: string, name: string) =>
      attrs.match(new RegExp(`${name}="([^"]*)"`))?.[1]?.replaceAll("&amp;", "&");
    for (const cell of grid.cells) {
      for (const variant of grid.variants) {
        const r = grid.at(cell, variant)!;
        const sq = squares.find((m) =>
          attr(m[2]!, "data-cell") === cell && attr(m[2]!, "data-variant") === variant
        );
        assert.ok(sq, `square ${variant} ${cell}`);
        assertEquals(attr(sq[2]!, "data-status"), r.status);
        assert.ok(sq[1]!.split(" ").includes(`s-${r.status}`), "coloured by status");
        assert.match(sq[3]!, new RegExp(`<span class="status">${r.status}</span>`));
        // Predicted vs real in the square, and it opens to the record.
        assert.match(sq[3]!, new RegExp(`predicted ${r.prediction!.status} `));
        assert.match(sq[3]!, /<details><summary>/);
        assert.match(sq[3]!, /<h4>Reproduce<\/h4>\s*<pre class="repro">sh [^<]*reproduce\.sh/);
        for (const d of r.diagnostics.filter((x) => x.severity === "error")) {
          assert.ok(sq[3]!.includes(d.signature), `${variant} ${cell} shows ${d.signature}`);
        }
        for (const line of r.dropped) assert.ok(sq[3]!.includes(line), `dropped ${line}`);
      }
    }
    // A dropped line says why (the predictor's reason), and new errors are marked.
    // Where the prediction said a line would drop (the fixture as run), the square says why;
    // where it did not (the miss), the square says so.
    const dropping = fixture.results.results.find((r) => r.dropped.length > 0)!;
    const line = dropping.dropped[0]!;
    const why = dropping.prediction!.dropped.find((d) => d.line === line)!.why;
    assert.ok(
      formatHtml(fixture.results).includes(`<code>${line}</code>: ${htmlEscape(why)}`),
      why,
    );
    assert.ok(opened.dom.includes(`<code>${line}</code>: no reason predicted`));
    // New errors marked, the miss outlined.
    assert.match(opened.dom, /<h3>2012 against fix<\/h3><pre>[^]*<mark>&gt;&gt; /);
    assertEquals(squares.filter((m) => m[1]!.includes("v-missed")).length, 1);

    const png = await Deno.readFile(shot);
    assertEquals([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.length > 20_000, `a screenshot with content (${png.length} bytes)`);
    console.error(`screenshot: ${png.length} bytes`);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "html report: the console check sees a page's console error",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kmatrix-report-" });
    const page = join(dir, "bad.html");
    await Deno.writeTextFile(page, "<!DOCTYPE html><script>console.error('broken')</script>");
    const opened = await openInChromium(page);
    assertEquals(opened.console.length, 1);
    assert.match(opened.console[0]!, /"broken"/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "html report: a run stopped early, every square rendered with its status",
  sanitizeResources: false,
  async fn() {
    const { dir, results } = await reportFixture("interrupted-6.1");
    const page = join(dir, "report.html");
    await Deno.writeTextFile(page, formatHtml(results, { relativeTo: dir }));
    const opened = await openInChromium(page);
    assertEquals(opened.code, 0);
    assertEquals(opened.console, []);
    const grid = gridOf(results);
    const statuses = [...opened.dom.matchAll(/<td class="square [^"]*"[^>]*data-status="(\w+)"/g)]
      .map((m) => m[1]);
    assertEquals(statuses.length, grid.cells.length * grid.variants.length);
    assertEquals(
      statuses,
      grid.cells.flatMap((c) => grid.variants.map((v) => grid.at(c, v)!.status)),
    );
    await Deno.remove(dir, { recursive: true });
  },
});
