/**
 * A typed stand-in for the `vscode` module, just what extension/ uses. The test hooks Node's
 * require so that the bundled dist/extension/extension.cjs gets this module for require("vscode");
 * `state` lets tests set the active editor and settings and read back what was registered/shown.
 */

export interface StubUri {
  fsPath: string;
}

export interface StubDocument {
  fileName: string;
  languageId: string;
  isUntitled: boolean;
  isDirty: boolean;
  save(): Promise<boolean>;
}

export interface StubWorkspaceFolder {
  uri: StubUri;
  name: string;
  index: number;
}

export interface StubDebugConfiguration {
  type: string;
  request: string;
  name: string;
  [key: string]: unknown;
}

export interface StubDebugSession {
  configuration: StubDebugConfiguration;
  workspaceFolder: StubWorkspaceFolder | undefined;
}

type Maybe<T> = T | undefined | null;
type Async<T> = T | Promise<T>;

export interface StubConfigurationProvider {
  provideDebugConfigurations?(folder: StubWorkspaceFolder | undefined): Async<StubDebugConfiguration[]>;
  resolveDebugConfiguration?(folder: StubWorkspaceFolder | undefined, config: Partial<StubDebugConfiguration>): Async<Maybe<StubDebugConfiguration>>;
  resolveDebugConfigurationWithSubstitutedVariables?(folder: StubWorkspaceFolder | undefined, config: StubDebugConfiguration): Async<Maybe<StubDebugConfiguration>>;
}

export interface StubDescriptorFactory {
  createDebugAdapterDescriptor(session: StubDebugSession, executable: undefined): Async<Maybe<object>>;
}

export interface StubTrackerFactory {
  createDebugAdapterTracker(session: StubDebugSession): Async<Maybe<{ onDidSendMessage?(message: unknown): void }>>;
}

export interface Disposable {
  dispose(): void;
}

export enum DebugConfigurationProviderTriggerKind {
  Initial = 1,
  Dynamic = 2,
}

export class DebugAdapterInlineImplementation {
  constructor(readonly implementation: unknown) {}
}

export class DebugAdapterExecutable {
  constructor(
    readonly command: string,
    readonly args: string[] = [],
    readonly options?: { env?: Record<string, string>; cwd?: string },
  ) {}
}

export class Uri implements StubUri {
  private constructor(readonly fsPath: string) {}
  static file(path: string): Uri {
    return new Uri(path);
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

export class Diagnostic {
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity = DiagnosticSeverity.Error,
  ) {}
}

/** A diagnostic collection whose entries the test reads back (`state.problems`). */
export class DiagnosticCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  constructor(readonly name: string) {}
  set(entries: [StubUri, Diagnostic[]][]): void {
    for (const [uri, list] of entries) this.entries.set(uri.fsPath, list);
  }
  clear(): void {
    this.entries.clear();
  }
  dispose(): void {
    this.entries.clear();
  }
}

export const state = {
  activeTextEditor: undefined as { document: StubDocument } | undefined,
  errors: [] as string[],
  /** Settings by full key, e.g. "jitdbg.adapter.mode". */
  settings: new Map<string, unknown>(),
  factories: [] as { type: string; factory: StubDescriptorFactory }[],
  providers: [] as { type: string; provider: StubConfigurationProvider; trigger: DebugConfigurationProviderTriggerKind }[],
  problems: [] as DiagnosticCollection[],
  trackers: [] as { type: string; factory: StubTrackerFactory }[],
  /** Commands run through commands.executeCommand, in order (with their arguments in `commandArgs`). */
  commands: [] as string[],
  commandArgs: [] as unknown[][],
  /** Commands the extension registered. */
  registered: new Map<string, (...args: unknown[]) => unknown>(),
  sessionStartListeners: [] as ((s: { type: string; configuration: Record<string, unknown> }) => void)[],
  activeDebugSession: undefined as { type: string; requests: { command: string; args: unknown }[]; customRequest(command: string, args: unknown): Promise<unknown> } | undefined,
  activeStackItem: undefined as { threadId: number } | undefined,
  reset(): void {
    this.activeTextEditor = undefined;
    this.errors.length = 0;
    this.commands.length = 0;
    this.commandArgs.length = 0;
    this.activeDebugSession = undefined;
    this.activeStackItem = undefined;
    this.settings.clear();
  },
};

export const window = {
  get activeTextEditor(): { document: StubDocument } | undefined {
    return state.activeTextEditor;
  },
  showErrorMessage(message: string): Promise<undefined> {
    state.errors.push(message);
    return Promise.resolve(undefined);
  },
};

export const languages = {
  createDiagnosticCollection(name: string): DiagnosticCollection {
    const c = new DiagnosticCollection(name);
    state.problems.push(c);
    return c;
  },
};

export const workspace = {
  getConfiguration(section?: string): { get<T>(key: string, defaultValue?: T): T | undefined } {
    return {
      get<T>(key: string, defaultValue?: T): T | undefined {
        const full = section ? `${section}.${key}` : key;
        return state.settings.has(full) ? (state.settings.get(full) as T) : defaultValue;
      },
    };
  },
};

export const commands = {
  executeCommand(command: string, ...args: unknown[]): Promise<undefined> {
    state.commands.push(command);
    state.commandArgs.push(args);
    return Promise.resolve(undefined);
  },
  registerCommand(command: string, handler: (...args: unknown[]) => unknown): Disposable {
    state.registered.set(command, handler);
    return { dispose: () => void state.registered.delete(command) };
  },
};

export const debug = {
  get activeDebugSession() {
    return state.activeDebugSession;
  },
  get activeStackItem() {
    return state.activeStackItem;
  },
  onDidStartDebugSession(listener: (s: { type: string; configuration: Record<string, unknown> }) => void): Disposable {
    state.sessionStartListeners.push(listener);
    return { dispose: () => void state.sessionStartListeners.splice(state.sessionStartListeners.indexOf(listener), 1) };
  },
  registerDebugAdapterTrackerFactory(type: string, factory: StubTrackerFactory): Disposable {
    const entry = { type, factory };
    state.trackers.push(entry);
    return { dispose: () => void state.trackers.splice(state.trackers.indexOf(entry), 1) };
  },
  registerDebugAdapterDescriptorFactory(type: string, factory: StubDescriptorFactory): Disposable {
    const entry = { type, factory };
    state.factories.push(entry);
    return { dispose: () => void state.factories.splice(state.factories.indexOf(entry), 1) };
  },
  registerDebugConfigurationProvider(
    type: string,
    provider: StubConfigurationProvider,
    trigger: DebugConfigurationProviderTriggerKind = DebugConfigurationProviderTriggerKind.Initial,
  ): Disposable {
    const entry = { type, provider, trigger };
    state.providers.push(entry);
    return { dispose: () => void state.providers.splice(state.providers.indexOf(entry), 1) };
  },
};

/** A document for `state.activeTextEditor`; `saved` counts save() calls. */
export function textDocument(fileName: string, languageId: string, opts: { isDirty?: boolean; isUntitled?: boolean } = {}): StubDocument & { saved: number } {
  const doc = {
    fileName,
    languageId,
    isUntitled: opts.isUntitled ?? false,
    isDirty: opts.isDirty ?? false,
    saved: 0,
    save(): Promise<boolean> {
      doc.saved++;
      doc.isDirty = false;
      return Promise.resolve(true);
    },
  };
  return doc;
}
