/**
 * Builds the extension bundle with the project's own `npm run bundle` script and loads
 * dist/extension/extension.cjs (the file VS Code would load) with require("vscode") answered by
 * ./vscode-stub.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers/compile.js";
import * as vscodeStub from "./vscode-stub.js";

export const extensionBundle = join(repoRoot, "dist", "extension", "extension.cjs");
export const adapterBundle = join(repoRoot, "dist", "adapter", "main.cjs");

export interface StubExtensionContext {
  subscriptions: vscodeStub.Disposable[];
  extensionPath: string;
  globalStorageUri: vscodeStub.Uri;
}

export interface ExtensionModule {
  activate(context: StubExtensionContext): void;
  deactivate(): void;
}

/** Node's CommonJS loader internals that the hook needs (not in @types/node). */
interface ModuleLoader {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
}

export function runBundleScript(): void {
  execFileSync(process.execPath, [join(repoRoot, "scripts", "bundle.mjs"), "--quiet"], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
}

/** Loads an extension bundle (default: the repository's dist/extension/extension.cjs) with the stub vscode. */
export function loadBundledExtension(bundle = extensionBundle): ExtensionModule {
  const loader = Module as unknown as ModuleLoader;
  const original = loader._load;
  loader._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    return request === "vscode" ? vscodeStub : original.call(this, request, parent, isMain);
  };
  try {
    const require = createRequire(import.meta.url);
    delete require.cache[bundle];
    return require(bundle) as ExtensionModule;
  } finally {
    loader._load = original;
  }
}

export function stubContext(): StubExtensionContext {
  return { subscriptions: [], extensionPath: repoRoot, globalStorageUri: vscodeStub.Uri.file(mkdtempSync(join(tmpdir(), "jitdbg-ext-"))) };
}
