/**
 * The DAP session: translates Debug Adapter Protocol requests into calls on the Debugger facade
 * and its results into responses and events. No debugging logic lives here.
 */
import {
  Breakpoint as DapBreakpoint,
  BreakpointEvent,
  ExitedEvent,
  CapabilitiesEvent,
  InitializedEvent,
  InvalidatedEvent,
  LoadedSourceEvent,
  DebugSession,
  MemoryEvent,
  ModuleEvent,
  OutputEvent,
  Response,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { basename } from "node:path";
import type { Breakpoint } from "../src/debugger/run/breakpoints.js";
import type { ImageInfo } from "../src/debugger/image-info.js";
import type { ScopeKind, VariableView } from "../src/debugger/inspect/index.js";
import { Debugger, type FollowEvent, type HistoryView, type SignalFilter } from "../src/debugger/debugger.js";
import type { RunResult, StopEvent } from "../src/debugger/run/stops.js";
import { badArgument, errorIdFor, ErrorIds, messageFor } from "./errors.js";
import { JitdbgError } from "../src/errors.js";
import { consoleOf, toLaunchOptions, type JitdbgLaunchArguments } from "./launch-args.js";
import { ProgramConsole } from "./program-console.js";
import { checkArguments } from "./request-shapes.js";
import { signalName } from "../src/inferior/signals.js";

const SIGNAL_FILTERS: { filter: SignalFilter; label: string; description: string }[] = [
  { filter: "SIGSEGV", label: "Segmentation fault (SIGSEGV)", description: "Stop when the program accesses memory it may not" },
  { filter: "SIGFPE", label: "Arithmetic error (SIGFPE)", description: "Stop on integer division by zero and similar errors" },
  { filter: "SIGILL", label: "Illegal instruction (SIGILL)", description: "Stop on an invalid instruction (e.g. __builtin_trap)" },
  { filter: "SIGABRT", label: "Abort (SIGABRT)", description: "Stop when the program calls abort() or an assert fails" },
  { filter: "signals", label: "Other signals", description: "Stop when the program receives any other signal (SIGUSR1, SIGALRM, SIGTERM, …) before it is delivered; continuing delivers it" },
];
/** Filters on when the client says nothing (every fault and abort; other signals are passed without stopping). */
const DEFAULT_FILTERS: SignalFilter[] = ["SIGSEGV", "SIGFPE", "SIGILL", "SIGABRT"];

/** Requests the base class would answer with an empty success, and why jitdbg does not do them. */
const REFUSED: Record<string, string> = {
  attach: "jitdbg runs the program in its own emulator; start it with 'launch'",
  source: "every source jitdbg names is a file on disk (source.path); it has no sourceReference contents to send",
  terminateThreads: "threads end themselves; terminate ends the whole program",
};

/** Scopes' presentationHint: DAP's own values, and names for the kinds it has none for. */
const SCOPE_HINTS: Record<ScopeKind, string> = { arguments: "arguments", locals: "locals", globals: "globals", tls: "threadLocals", registers: "registers" };

/** How long the client may take to answer runInTerminal (it starts a terminal). */
const RUN_IN_TERMINAL_TIMEOUT_MS = 20_000;

/** The most instructions one disassemble request may ask for, before or after its address. */
const MAX_DISASSEMBLY = 10_000;

/**
 * A DebugSession, not the library's LoggingDebugSession: that one turns every message into JSON
 * twice more for a log that is never set up, and keeps each line in its queue for ever.
 */
export class JitdbgSession extends DebugSession {
  private dbg: Debugger | undefined;
  private launchArgs: JitdbgLaunchArguments | undefined;
  private configured = false;
  /** DAP frame ids of the current stop → frame index (ids never repeat within a session). */
  private frameIds = new Map<number, { thread: number; index: number }>();
  /** The id each frame (thread:index) got at this stop: a stack asked for again shows the same ids. */
  private readonly frameIdOf = new Map<string, number>();
  private nextFrameId = 1;
  /** Breakpoint requests as last sent, to re-apply after a restart. */
  private readonly sourceBreakpoints = new Map<string, DebugProtocol.SourceBreakpoint[]>();
  private functionBreakpoints: DebugProtocol.FunctionBreakpoint[] = [];
  private instructionBreakpoints: DebugProtocol.InstructionBreakpoint[] = [];
  private exceptionFilters: SignalFilter[] = DEFAULT_FILTERS;
  /** The "signals" filter's condition: the signals it is limited to. */
  private exceptionSignals: number[] | undefined;
  /** Whether the client answers runInTerminal (initialize's supportsRunInTerminalRequest). */
  private clientRunsTerminals = false;
  /**
   * The console evaluation running now (it lets the event loop turn between slices of a long call):
   * the request's seq, whether a cancel named it, and its end, which every other request waits for.
   */
  private evaluating: { seq: number; cancelled: boolean; done: Promise<void> } | undefined;
  /** The program's console: the debug console, or a terminal the client runs. */
  private readonly programConsole = new ProgramConsole((args) => new Promise((resolve) => this.runInTerminalRequest(args, RUN_IN_TERMINAL_TIMEOUT_MS, resolve)), {
    signal: (signo) => this.dbg?.raiseFromTerminal(signo),
    closed: () => this.sendEvent(new OutputEvent("jitdbg: the program's terminal was closed; its standard input is at end of file now\n", "console")),
    note: (text) => this.sendEvent(new OutputEvent(text, "console")),
    resized: () => this.dbg?.wake(),
  });

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- lifecycle ----

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientRunsTerminals = args?.supportsRunInTerminalRequest === true;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsSetExpression: true,
      supportsGotoTargetsRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: [".", ">"],
      supportsModulesRequest: true,
      supportsRestartRequest: true,
      supportsExceptionInfoRequest: true,
      supportsValueFormattingOptions: true,
      supportsTerminateRequest: true,
      supportsDataBreakpoints: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsCancelRequest: true,
      supportsSteppingGranularity: true,
      supportsInstructionBreakpoints: true,
      supportsLoadedSourcesRequest: true,
      supportsClipboardContext: true,
      supportsStepBack: false,
      supportsExceptionFilterOptions: true,
      supportsBreakpointLocationsRequest: true,
      supportsStepInTargetsRequest: true,
      supportsRestartFrame: true,
      exceptionBreakpointFilters: SIGNAL_FILTERS.map((f) => ({
        filter: f.filter,
        label: f.label,
        description: f.description,
        default: DEFAULT_FILTERS.includes(f.filter),
        ...(f.filter === "signals" ? { supportsCondition: true, conditionDescription: "Only these signals, by name or number: SIGUSR1 SIGALRM 34" } : {}),
      })),
    };
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: JitdbgLaunchArguments): Promise<void> {
    await this.handle(response, async () => {
      const launch = args ?? {};
      this.dbg = await this.createDebugger(launch);
      this.launchArgs = launch;
      // Stepping back needs the recorded history: VS Code shows its reverse buttons from here on.
      if (this.dbg.historyView()) this.sendEvent(new CapabilitiesEvent({ supportsStepBack: true }));
      this.sendEvent(new InitializedEvent());
      this.sendModuleEvents();
    });
  }

  protected override async configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): Promise<void> {
    this.configured = true;
    this.sendResponse(response);
    const dbg = this.dbg;
    if (dbg) void this.report(dbg.start());
  }

  protected override async restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    await this.handle(response, async () => {
      const launch = (args?.arguments as JitdbgLaunchArguments | undefined) ?? this.launchArgs;
      if (!launch) throw badArgument("restart: the session was never launched");
      this.dbg?.close();
      this.launchArgs = launch;
      this.dbg = await this.createDebugger(launch);
      this.reapplyBreakpoints();
      this.sendModuleEvents();
      void this.report(this.dbg.start());
    });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.endDebuggee();
    this.sendResponse(response);
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.endDebuggee();
    this.sendResponse(response);
    this.shutdown(); // ends a stand-alone adapter process; ignored inline and in server mode
  }

  /**
   * Every request's arguments are checked against its shape first (request-shapes.ts); a request
   * jitdbg does not do is refused with why, not given the base class's silent success.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    // While an evaluation runs, requests wait for it (they would see its frames), but a cancel, and
    // the end of the session, which cancels it first.
    const running = this.evaluating;
    if (running && request.command !== "cancel") {
      if (request.command === "disconnect" || request.command === "terminate") running.cancelled = true;
      void running.done.then(() => this.dispatchRequest(request));
      return;
    }
    this.dbg?.clientActivity();
    const why = REFUSED[request.command];
    if (why !== undefined) {
      this.refuse(new Response(request), request.command, why);
      return;
    }
    try {
      checkArguments(request.command, request.arguments);
    } catch (e) {
      this.sendError(new Response(request), e);
      return;
    }
    super.dispatchRequest(request);
  }

  protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
    // A console evaluation running a long call stops at the end of its current slice, undone, and
    // answers "cancelled". Every other request is answered before the next is read, and run
    // commands as soon as the run starts (a running program is stopped with pause): the request a
    // cancel names has finished, and cancelling it is a no-op (DAP: "a finished request is a no-op").
    if (this.evaluating && args?.requestId === this.evaluating.seq) this.evaluating.cancelled = true;
    this.sendResponse(response);
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    this.handleSync(response, () => {
      const path = args?.source?.path;
      if (typeof path !== "string") throw badArgument("breakpointLocations: source.path is required");
      if (!Number.isInteger(args.line) || args.line < 1 || (args.endLine !== undefined && (!Number.isInteger(args.endLine) || args.endLine < args.line))) throw badArgument("breakpointLocations: line (and endLine) must be line numbers from 1, endLine not before line");
      response.body = { breakpoints: this.debugger().breakpointLines(path, args.line, args.endLine ?? args.line).map((line) => ({ line })) };
    });
  }

  protected override async stepInTargetsRequest(response: DebugProtocol.StepInTargetsResponse, args: DebugProtocol.StepInTargetsArguments): Promise<void> {
    await this.handle(response, async () => {
      const dbg = this.debugger();
      this.frameIndex(args.frameId);
      const targets = await dbg.stepInTargets();
      response.body = { targets: targets.map((t) => ({ id: t.id, label: t.label })) };
    });
  }

  private refuse(response: DebugProtocol.Response, command: string, why: string): void {
    this.sendErrorResponse(response, { id: ErrorIds.unsupported, format: `jitdbg does not support '${command}': ${why}`, showUser: false });
  }

  // ---- breakpoints ----

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.handleSync(response, () => {
      const path = args.source.path ?? args.source.name;
      if (!path) throw badArgument("setBreakpoints: the source has no path");
      const specs: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      this.sourceBreakpoints.set(path, specs);
      const bps = this.debugger().setSourceBreakpoints(path, specs.map((s) => ({ line: s.line, column: s.column, condition: s.condition, hitCondition: s.hitCondition, logMessage: s.logMessage })));
      response.body = { breakpoints: bps.map((b) => this.toDapBreakpoint(b, path)) };
    });
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.handleSync(response, () => {
      this.functionBreakpoints = args.breakpoints;
      const bps = this.debugger().setFunctionBreakpoints(args.breakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: bps.map((b) => this.toDapBreakpoint(b)) };
    });
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.handleSync(response, () => {
      this.instructionBreakpoints = args.breakpoints;
      const bps = this.debugger().setInstructionBreakpoints(
        args.breakpoints.map((b) => ({ address: parseAddress(b.instructionReference) + BigInt(b.offset ?? 0), condition: b.condition, hitCondition: b.hitCondition })),
      );
      response.body = { breakpoints: bps.map((b) => this.toDapBreakpoint(b)) };
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.handleSync(response, () => {
      const known = new Set(SIGNAL_FILTERS.map((f) => f.filter as string));
      const options = args.filterOptions ?? [];
      const ids = [...(args.filters ?? []), ...options.map((o) => o.filterId)];
      const unknown = ids.filter((f) => !known.has(f));
      if (unknown.length > 0) throw badArgument(`setExceptionBreakpoints: unknown filter ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
      // A condition on "signals" narrows it to the signals it names.
      let only: number[] | undefined;
      for (const o of options) {
        if (o.condition === undefined || o.condition.trim() === "") continue;
        if (o.filterId !== "signals") throw badArgument(`setExceptionBreakpoints: the ${o.filterId} filter takes no condition (only "signals" does: a list of signal names)`);
        only = parseSignalList(o.condition);
      }
      this.exceptionFilters = [...new Set(ids)] as SignalFilter[];
      this.exceptionSignals = only;
      this.dbg?.setExceptionFilters(this.exceptionFilters, only);
      response.body = { breakpoints: ids.map(() => ({ verified: true })) };
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.handleSync(response, () => {
      const dbg = this.debugger();
      const frame = this.frameIndex(args.frameId, true);
      const name =
        args.variablesReference !== undefined && args.variablesReference !== 0
          ? (dbg.inspector.variables(args.variablesReference).find((v) => v.name === args.name)?.evaluateName ?? args.name)
          : args.name;
      const watch = dbg.inspector.watchable(name, frame);
      if (!watch) {
        response.body = { dataId: null, description: `${args.name} cannot be watched: only scalars in memory (1 to 8 bytes) can be` };
        return;
      }
      response.body = { dataId: `${hex(watch.address)}:${watch.size}:${name}`, description: `${name} (${watch.size} bytes at ${hex(watch.address)})`, accessTypes: ["write"], canPersist: false };
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.handleSync(response, () => {
      const specs = args.breakpoints.map((b) => {
        const [addr, size, ...name] = b.dataId.split(":");
        if (!addr || !size) throw badArgument(`setDataBreakpoints: '${b.dataId}' is not a data id from dataBreakpointInfo`);
        return { address: parseAddress(addr), size: Number(size), description: name.join(":"), condition: b.condition, hitCondition: b.hitCondition };
      });
      const bps = this.debugger().setDataBreakpoints(specs);
      response.body = { breakpoints: bps.map((b) => this.toDapBreakpoint(b)) };
    });
  }

  // ---- run control ----

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    void this.runCommand(response, (d) => d.continue(), { allThreadsContinued: true });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    void this.runCommand(response, (d) => (this.selectThread(d, args.threadId), args.granularity === "instruction" ? d.nextInstruction() : d.next()));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    void this.runCommand(response, (d) => {
      this.selectThread(d, args.threadId);
      if (args.targetId !== undefined) return d.stepInTo(args.targetId);
      return args.granularity === "instruction" ? d.stepInstruction() : d.stepIn();
    });
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    void this.runCommand(response, (d) => (this.selectThread(d, args.threadId), d.stepBack(args.granularity === "instruction" ? "instruction" : "line")));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    void this.runCommand(response, (d) => (this.selectThread(d, args.threadId), d.reverseContinue()));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    void this.runCommand(response, (d) => (this.selectThread(d, args.threadId), d.stepOut()));
  }

  /** Answers first, then the stop at the call that entered the frame (DAP: a stopped event with reason "restart"). */
  protected override async restartFrameRequest(response: DebugProtocol.RestartFrameResponse, args: DebugProtocol.RestartFrameArguments): Promise<void> {
    let stop: StopEvent | undefined;
    await this.handle(response, async () => {
      const dbg = this.debugger();
      if (dbg.isRunning) throw new JitdbgError("RUNNING", "restartFrame: the program is running; pause it first");
      stop = await dbg.restartFrame(this.frameIndex(args.frameId));
    });
    if (stop) this.sendStopped(stop);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.handleSync(response, () => {
      const dbg = this.debugger();
      if (!dbg.isRunning) throw badArgument("pause: the program is not running");
      dbg.pause();
    });
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    this.handleSync(response, () => {
      const path = args.source.path ?? args.source.name ?? "";
      const addresses = this.debugger().lineAddresses(path, args.line);
      response.body = { targets: [{ id: args.line, label: `${basename(path)}:${args.line}`, line: args.line, instructionPointerReference: hex(addresses[0]!) }] };
      this.gotoSource = path;
    });
  }

  private gotoSource: string | undefined;

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.handleSync(response, () => {
      if (!this.gotoSource) throw badArgument("goto: ask for gotoTargets first");
      const stop = this.debugger().gotoLine(this.gotoSource, args.targetId);
      this.sendStopped(stop);
    });
  }

  // ---- inspection ----

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handleSync(response, () => {
      // While it runs the list is the one of the last stop's moment; thread events say what changed.
      const dbg = this.dbg;
      response.body = { threads: dbg ? dbg.threads().map((t) => new Thread(t.id, t.name)) : [] };
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.handleSync(response, () => {
      const dbg = this.debugger();
      this.selectThread(dbg, args.threadId);
      const frames = dbg.stackTrace();
      const start = args.startFrame ?? 0;
      const end = args.levels ? Math.min(frames.length, start + args.levels) : frames.length;
      const out: DebugProtocol.StackFrame[] = [];
      for (const f of frames.slice(start, end)) {
        const id = this.frameId(args.threadId, f.index);
        const name = frameName(f.functionName ?? `0x${f.pc.toString(16)}`, f, args.format, () => dbg.inspector.frameArguments(f.index, { hex: args.format?.hex }));
        const sf: DebugProtocol.StackFrame = new StackFrame(id, f.unwoundBy === "inline" ? `${name} [inlined]` : name, f.source ? new Source(basename(f.source.file), f.source.file) : undefined, f.source?.line ?? 0, f.source?.column || 1);
        sf.instructionPointerReference = hex(f.pc);
        if (f.image) sf.moduleId = f.image.path;
        if (!f.source) sf.presentationHint = "subtle";
        out.push(sf);
      }
      response.body = { stackFrames: out, totalFrames: frames.length };
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.handleSync(response, () => {
      const scopes = this.debugger().inspector.scopes(this.frameIndex(args.frameId));
      response.body = {
        scopes: scopes.map((s) => {
          const scope: DebugProtocol.Scope = new Scope(s.name, s.variablesReference, s.expensive);
          scope.presentationHint = SCOPE_HINTS[s.kind];
          return scope;
        }),
      };
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.handleSync(response, () => {
      const vars = this.debugger().inspector.variables(args.variablesReference, { start: args.start, count: args.count, filter: args.filter, format: { hex: args.format?.hex } });
      response.body = { variables: vars };
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.handleSync(response, () => {
      const v = this.debugger().inspector.setVariable(args.variablesReference, args.name, args.value, { hex: args.format?.hex });
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables };
      this.sendEvent(new InvalidatedEvent(["variables"], this.debugger().thread));
    });
  }

  protected override setExpressionRequest(response: DebugProtocol.SetExpressionResponse, args: DebugProtocol.SetExpressionArguments): void {
    this.handleSync(response, () => {
      const v = this.debugger().setExpression(args.expression, args.value, this.frameIndex(args.frameId), { hex: args.format?.hex });
      response.body = { value: v.value, type: v.type, variablesReference: v.variablesReference };
      this.sendEvent(new InvalidatedEvent(["variables"], this.debugger().thread));
    });
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    // A hover or watch failing at every stop is shown in its view, with no notification.
    const showUser = args.context !== "hover" && args.context !== "watch";
    let dbg: Debugger;
    let expr: string;
    let frameIndex: number;
    try {
      dbg = this.debugger();
      expr = args.expression.trim();
      if (expr === "") throw badArgument("evaluate: the expression is empty");
      frameIndex = this.frameIndex(args.frameId, true);
    } catch (e) {
      this.sendError(response, e, showUser);
      return;
    }
    const format = { hex: args.format?.hex, context: args.context };
    const body = (v: VariableView): DebugProtocol.EvaluateResponse["body"] => ({ result: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables, memoryReference: v.memoryReference });
    if (args.context !== "repl") {
      this.handleSync(response, () => {
        try {
          response.body = body(dbg.inspector.evaluate(expr, frameIndex, format));
        } catch (e) {
          throw withColumn(e, expr);
        }
      }, showUser);
      return;
    }
    // The console's: a long call lets other requests queue and a cancel reach it between slices.
    const running = { seq: response.request_seq, cancelled: false, done: Promise.resolve() };
    running.done = dbg.inspector
      .evaluateCancellable(expr, frameIndex, format, () => running.cancelled)
      .then((v) => {
        response.body = body(v);
        this.sendResponse(response);
      }, (e: unknown) => {
        // DAP: a cancelled request answers with the message "cancelled".
        if (e instanceof JitdbgError && e.code === "EVAL_CANCELLED") this.sendErrorResponse(response, { id: errorIdFor(e), format: "cancelled", showUser: false });
        else this.sendError(response, withColumn(e, expr));
      })
      .finally(() => {
        if (this.evaluating === running) this.evaluating = undefined;
      });
    this.evaluating = running;
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.handleSync(response, () => {
      const text = args.text.slice(0, Math.max(0, args.column - 1));
      const names = this.debugger().inspector.completions(text, this.frameIndex(args.frameId, true));
      const word = /[A-Za-z_$][A-Za-z_0-9]*$/.exec(text)?.[0] ?? "";
      const inspector = this.debugger().inspector;
      response.body = { targets: names.map((n) => ({ label: n, text: n, start: args.column - 1 - word.length, length: word.length, type: inspector.isKeyword(n) ? "keyword" : "variable" })) };
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.handleSync(response, () => {
      const dbg = this.debugger();
      const last = dbg.lastStop;
      if (last && last.reason === "exception" && last.deadlock) {
        response.body = { exceptionId: "deadlock", description: last.description, breakMode: "always", details: { message: last.description, typeName: "deadlock" } };
        return;
      }
      if (!last || last.reason !== "exception" || !last.signal) throw badArgument("exceptionInfo: the program is not stopped at a signal");
      if (args.threadId !== dbg.stoppedThread) throw badArgument(`exceptionInfo: thread ${args.threadId} did not stop at the signal; thread ${dbg.stoppedThread} did`);
      dbg.selectThread(args.threadId);
      response.body = {
        exceptionId: last.signal.name,
        description: last.description,
        breakMode: "always",
        details: { message: last.description, typeName: last.signal.name, stackTrace: this.debugger().stackTrace().map((f) => `${f.functionName ?? "?"} ${f.source ? `${basename(f.source.file)}:${f.source.line}` : hex(f.pc)}`).join("\n") },
      };
    });
  }

  protected override async disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): Promise<void> {
    await this.handle(response, async () => {
      const dbg = this.debugger();
      const base = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const count = args.instructionCount;
      const offset = args.instructionOffset ?? 0;
      // A view asks for a screenful; a runaway request must not hold the adapter for minutes.
      if (!Number.isInteger(count) || count < 0 || count > MAX_DISASSEMBLY) throw badArgument(`disassemble: instructionCount must be an integer from 0 to ${MAX_DISASSEMBLY} (got ${count})`);
      if (!Number.isInteger(offset) || Math.abs(offset) > MAX_DISASSEMBLY) throw badArgument(`disassemble: instructionOffset must be an integer within ±${MAX_DISASSEMBLY} (got ${offset})`);
      const out = (await dbg.disassembleAround(base, offset, count)).map((i) => toDapInstruction(i));
      response.body = { instructions: out.slice(0, args.instructionCount) };
    });
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.handleSync(response, () => {
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const { data, unreadable } = this.debugger().readMemory(address, args.count);
      response.body = { address: hex(address), data: Buffer.from(data).toString("base64"), unreadableBytes: unreadable };
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.handleSync(response, () => {
      const address = parseAddress(args.memoryReference) + BigInt(args.offset ?? 0);
      const data = Buffer.from(args.data, "base64");
      this.debugger().writeMemory(address, data);
      response.body = { bytesWritten: data.length };
      this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, data.length));
      this.sendEvent(new InvalidatedEvent(["variables"], this.debugger().thread));
    });
  }

  // The base class has no modules handler: it arrives as a custom request.
  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === "modules") {
      this.modulesRequest(response as DebugProtocol.ModulesResponse, (args ?? {}) as DebugProtocol.ModulesArguments);
      return;
    }
    // Time travel's step out backwards (DAP has stepBack and reverseContinue, not this): the extension's toolbar button.
    if (command === "reverseStepOut") {
      const threadId = (args as { threadId?: number } | undefined)?.threadId;
      void this.runCommand(response, (d) => (threadId !== undefined && this.selectThread(d, threadId), d.reverseStepOut()));
      return;
    }
    this.sendErrorResponse(response, { id: ErrorIds.unsupported, format: `jitdbg does not support the '${command}' request`, showUser: false });
  }

  private modulesRequest(response: DebugProtocol.ModulesResponse, args: DebugProtocol.ModulesArguments): void {
    this.handleSync(response, () => {
      const all = this.moduleList();
      const start = args.startModule ?? 0;
      const slice = args.moduleCount ? all.slice(start, start + args.moduleCount) : all.slice(start);
      response.body = { modules: slice, totalModules: all.length };
    });
  }

  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    this.handleSync(response, () => {
      const files = this.debugger().loadedSources();
      response.body = { sources: files.map((f) => new Source(basename(f), f)) };
    });
  }

  // ---- helpers ----

  /** Loads the program, its streams on the console the launch asks for (a terminal the client runs is opened first). */
  private async createDebugger(args: JitdbgLaunchArguments): Promise<Debugger> {
    const options = toLaunchOptions(args);
    await this.programConsole.prepare(consoleOf(args), this.clientRunsTerminals, options.program, options.cwd ?? process.cwd());
    const dbg = Debugger.launch(this.programConsole.apply(options), {
      output: (category, text) => this.sendEvent(new OutputEvent(text, category === "important" ? "important" : category)),
      module: (reason, image) => this.sendEvent(new ModuleEvent(reason, toModule(image))),
      breakpointsChanged: (bps) => {
        for (const b of bps) this.sendEvent(new BreakpointEvent("changed", this.toDapBreakpoint(b, b.source)));
      },
      thread: (reason, tid) => this.sendEvent(new ThreadEvent(reason, tid)),
      followed: (e) => this.followed(e),
    });
    dbg.setExceptionFilters(this.exceptionFilters, this.exceptionSignals);
    return dbg;
  }

  /** The debugger moved to another process: say so (as gdb does), and which sources came and went. */
  private followed(e: FollowEvent): void {
    const text = e.cause === "exec" ? `process ${e.pid} is executing new program: ${e.program}\n` : `following the child process ${e.pid} (followFork "child")\n`;
    this.sendEvent(new OutputEvent(text, "console"));
    for (const f of e.sourcesBefore) if (!e.sourcesAfter.includes(f)) this.sendEvent(new LoadedSourceEvent("removed", new Source(basename(f), f)));
    for (const f of e.sourcesAfter) if (!e.sourcesBefore.includes(f)) this.sendEvent(new LoadedSourceEvent("new", new Source(basename(f), f)));
  }

  private reapplyBreakpoints(): void {
    const dbg = this.debugger();
    for (const [path, specs] of this.sourceBreakpoints) dbg.setSourceBreakpoints(path, specs.map((s) => ({ line: s.line, condition: s.condition, hitCondition: s.hitCondition, logMessage: s.logMessage })));
    dbg.setFunctionBreakpoints(this.functionBreakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition })));
    dbg.setInstructionBreakpoints(this.instructionBreakpoints.map((b) => ({ address: parseAddress(b.instructionReference) + BigInt(b.offset ?? 0) })));
    // Data breakpoints watch addresses of the previous run: they are not carried over.
  }

  private moduleList(): DebugProtocol.Module[] {
    const dbg = this.debugger();
    // Objects the console compiled and linked into the program are modules too.
    const jit = dbg.expressions.jitModules().map((m) => ({
      id: `jit:${m.id}`,
      name: m.name,
      addressRange: `${hex(m.low)}-${hex(m.high)}`,
      symbolStatus: `JIT-linked object (${m.state})`,
      isUserCode: true,
    }));
    return [...dbg.images.map(toModule), ...jit];
  }

  private sendModuleEvents(): void {
    for (const m of this.moduleList()) this.sendEvent(new ModuleEvent("new", m));
  }

  private debugger(): Debugger {
    if (!this.dbg) throw badArgument("the program has not been launched yet (send 'launch' first)");
    return this.dbg;
  }

  private frameId(thread: number, index: number): number {
    const key = `${thread}:${index}`;
    let id = this.frameIdOf.get(key);
    if (id === undefined) {
      id = this.nextFrameId++;
      this.frameIdOf.set(key, id);
      this.frameIds.set(id, { thread, index });
    }
    return id;
  }

  /** The program runs (or ran): the frame ids of the stop expire. */
  private forgetFrames(): void {
    this.frameIds.clear();
    this.frameIdOf.clear();
  }

  private frameIndex(frameId: number | undefined, optional = false): number {
    if (frameId === undefined) {
      if (optional) return 0;
      throw badArgument("a frameId is required");
    }
    const f = this.frameIds.get(frameId);
    if (f === undefined) throw Object.assign(badArgument(`frame ${frameId} does not exist (frame ids expire when the program runs; ask for the stack again)`), { code: "BAD_FRAME" });
    this.debugger().selectThread(f.thread);
    return f.index;
  }

  /** Makes a request's thread the one it applies to (a step, a stack trace). */
  private selectThread(dbg: Debugger, threadId: number | undefined): void {
    if (threadId === undefined) throw badArgument("a threadId is required");
    if (!dbg.threads().some((t) => t.id === threadId)) {
      throw Object.assign(badArgument(`there is no thread ${threadId} (live threads: ${dbg.threads().map((t) => t.id).join(", ")}); ask for the threads again`), { code: "BAD_THREAD" });
    }
    dbg.selectThread(threadId);
  }

  private toDapBreakpoint(b: Breakpoint, path?: string): DebugProtocol.Breakpoint {
    // A breakpoint in a patched function's body is bound but not reached: shown unverified, saying why.
    const bp: DebugProtocol.Breakpoint = new DapBreakpoint(b.verified && !b.notReached, b.line, undefined, path ? new Source(basename(path), path) : undefined);
    bp.id = b.id;
    const message = b.notReached ?? ([b.message, b.conditionNote].filter(Boolean).join("; ") || undefined);
    if (message) bp.message = message;
    if (b.addresses[0] !== undefined) bp.instructionReference = hex(b.addresses[0]);
    return bp;
  }

  private async runCommand(response: DebugProtocol.Response, op: (d: Debugger) => Promise<RunResult>, body?: object): Promise<void> {
    let dbg: Debugger;
    try {
      dbg = this.debugger();
      if (dbg.isRunning) throw new JitdbgError("RUNNING", "the program is already running");
      if (dbg.hasExited) throw new JitdbgError("NOT_RUNNING", "the program has exited");
    } catch (e) {
      this.sendError(response, e);
      return;
    }
    let run: Promise<RunResult>;
    try {
      run = op(dbg);
    } catch (e) {
      run = Promise.reject(e); // refused before it began (a bad threadId)
    }
    // An operation the debugger refuses before running anything ("step out" of the outermost
    // frame) has failed already: answer with its error, not with success and a lone output line.
    const refused = await rejectionNow(run);
    if (refused) {
      this.sendError(response, refused.error);
      return;
    }
    if (body) response.body = body;
    this.sendResponse(response);
    this.forgetFrames();
    void this.report(run);
  }

  /** Turns the end of a run into DAP events. */
  private async report(p: Promise<RunResult>): Promise<void> {
    let r: RunResult;
    try {
      r = await p;
    } catch (e) {
      this.reportFailedRun(e);
      return;
    }
    if (r.reason === "exited") {
      if (r.signal) this.sendEvent(new OutputEvent(`Program terminated by ${r.signal}.\n`, "console"));
      this.sendEvent(new OutputEvent(`Program exited with status ${r.exitCode}.\n`, "console"));
      this.sendEvent(new ExitedEvent(r.exitCode));
      this.sendEvent(new TerminatedEvent());
      this.programConsole.close();
      return;
    }
    this.sendStopped(r);
  }

  /**
   * A run that failed after its request was answered: the client believes the program runs, so it
   * must hear where it is now — stopped (at the exact boundary the run ended on) or gone.
   */
  private reportFailedRun(e: unknown): void {
    this.sendEvent(new OutputEvent(`jitdbg: ${messageFor(e)}\n`, "important"));
    const dbg = this.dbg;
    if (!dbg || dbg.isRunning) return; // terminated meanwhile, or a newer run reports for itself
    if (dbg.hasExited) {
      this.sendEvent(new TerminatedEvent());
      return;
    }
    dbg.invalidate();
    this.forgetFrames();
    const stop: DebugProtocol.StoppedEvent = new StoppedEvent("pause", dbg.stoppedThread);
    stop.body.description = `Paused: jitdbg could not finish the operation (${messageFor(e)})`;
    stop.body.allThreadsStopped = true;
    this.sendEvent(stop);
  }

  private sendStopped(r: StopEvent): void {
    this.forgetFrames();
    const dbg = this.debugger();
    const e: DebugProtocol.StoppedEvent = new StoppedEvent(r.reason, dbg.stoppedThread);
    e.body.description = r.description + pastNote(dbg.historyView());
    e.body.allThreadsStopped = true;
    if (r.reason === "exception") e.body.text = r.deadlock ? "Deadlock" : r.signal?.name;
    if (r.hitBreakpointIds) e.body.hitBreakpointIds = r.hitBreakpointIds;
    this.sendEvent(e);
    // Once the report is out; a request that came meanwhile (continue, say) goes first.
    setImmediate(() => this.dbg?.prepareStop());
  }

  /** Ends the debugged program (its emulator) and tells the client the session is over. */
  endDebuggee(): void {
    const dbg = this.dbg;
    this.dbg = undefined;
    this.programConsole.close();
    if (dbg) {
      if (dbg.isRunning) dbg.pause();
      // Close after the running slice (if any) has returned control.
      setImmediate(() => dbg.close());
    }
    if (dbg) this.sendEvent(new TerminatedEvent());
  }

  /** Requests received and not answered yet (see quiet). */
  private unanswered = 0;

  override handleMessage(message: DebugProtocol.ProtocolMessage): void {
    if (message.type === "request") this.unanswered++;
    super.handleMessage(message);
  }

  /** Every request answered, no run or console evaluation going on: what comes next is the client's. */
  quiet(): boolean {
    return this.unanswered === 0 && this.evaluating === undefined && this.dbg?.isRunning !== true;
  }

  /** Every answer goes out first; then the debugger does what could wait for it (Debugger.tidy). */
  override sendResponse(response: DebugProtocol.Response): void {
    this.unanswered = Math.max(0, this.unanswered - 1);
    super.sendResponse(response);
    try {
      this.dbg?.tidy();
    } catch (e) {
      // Nothing is lost: the module stays cached, and the next new text unloads it before linking.
      this.sendEvent(new OutputEvent(`jitdbg: could not unload a cached console expression: ${messageFor(e)}\n`, "important"));
    }
  }

  /** `showUser`: whether the client should put the error in front of the user (not for hovers and watches). */
  private handleSync(response: DebugProtocol.Response, fn: () => void, showUser = true): void {
    try {
      fn();
      this.sendResponse(response);
    } catch (e) {
      this.sendError(response, e, showUser);
    }
  }

  private async handle(response: DebugProtocol.Response, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
      this.sendResponse(response);
    } catch (e) {
      this.sendError(response, e);
    }
  }

  /**
   * An error response. Not shown to the user (showUser false), though its message says what
   * happened: a frame id, variables reference or thread id that expired (VS Code still asks about
   * the previous stop after the program moved on, and asks again), and a view's request that came
   * while the program runs or after it ended. Everything else keeps `showUser`.
   */
  private sendError(response: DebugProtocol.Response, e: unknown, showUser = true): void {
    const code = e instanceof JitdbgError ? e.code : undefined;
    const stale = code !== undefined && (STALE_ID_CODES.has(code) || (VIEW_REQUESTS.has(response.command) && (code === "RUNNING" || code === "NOT_RUNNING")));
    this.sendErrorResponse(response, { id: errorIdFor(e), format: messageFor(e), showUser: showUser && !stale });
  }
}

/** Errors about ids the client kept from an earlier stop (or an ended thread): its bookkeeping, not the user's doing. */
const STALE_ID_CODES: ReadonlySet<string> = new Set(["BAD_FRAME", "BAD_REFERENCE", "BAD_THREAD"]);

/** Requests VS Code sends by itself to fill its views (again at every stop), not on a user's action. */
const VIEW_REQUESTS: ReadonlySet<string> = new Set(["threads", "stackTrace", "scopes", "variables", "loadedSources", "modules", "exceptionInfo", "disassemble", "readMemory", "breakpointLocations", "completions", "dataBreakpointInfo", "stepInTargets"]);

/** The error of `p` if it has already been rejected (before anything ran), else undefined. */
async function rejectionNow(p: Promise<unknown>): Promise<{ error: unknown } | undefined> {
  const pending = Symbol("pending");
  try {
    // Reactions run in the order they were added: a settled `p` wins over the marker.
    await Promise.race([p, Promise.resolve(pending)]);
    return undefined;
  } catch (error) {
    return { error };
  }
}

/** A compiler diagnostic with its column and a caret under it, as the console shows it. */
/** An error that knows its column (`where.column`) is shown with the source line and a caret under it. */
function withColumn(e: unknown, source: string): unknown {
  const column = e instanceof JitdbgError ? (e.where?.column ?? 0) : 0;
  if (!(e instanceof JitdbgError) || column <= 0) return e;
  const caret = `${" ".repeat(column - 1)}^`;
  return new JitdbgError(e.code, `${e.message} (column ${column})\n  ${source}\n  ${caret}`, e.where);
}

function toModule(i: ImageInfo): DebugProtocol.Module {
  return {
    id: i.path,
    name: i.name,
    path: i.path,
    addressRange: `${hex(i.low)}-${hex(i.high)}`,
    symbolStatus: i.dwarf ? "Symbols loaded (DWARF)" : "Symbols loaded (ELF symbol table only)",
  };
}

function hex(n: bigint): string {
  return `0x${n.toString(16)}`;
}

function parseAddress(ref: string): bigint {
  const s = ref.trim();
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(s)) throw badArgument(`'${ref}' is not a memory reference (expected an address like 0x401000)`);
  return BigInt(s);
}

function toDapInstruction(i: { address: bigint; bytes: Uint8Array; text: string; symbol?: string; source?: { file: string; line: number }; readable: boolean }): DebugProtocol.DisassembledInstruction {
  const d: DebugProtocol.DisassembledInstruction = {
    address: hex(i.address),
    instructionBytes: [...i.bytes].map((b) => b.toString(16).padStart(2, "0")).join(" "),
    instruction: i.text,
  };
  if (i.symbol) d.symbol = i.symbol;
  if (i.source) {
    d.location = new Source(basename(i.source.file), i.source.file);
    d.line = i.source.line;
  }
  if (!i.readable) d.presentationHint = "invalid";
  return d;
}

export { ErrorIds };

/** "SIGUSR1, SIGALRM 34" → signal numbers; a name that is no signal is an error saying so. */
function parseSignalList(text: string): number[] {
  const byName = new Map(Array.from({ length: 64 }, (_, i) => [signalName(i + 1), i + 1] as const));
  return text
    .split(/[\s,]+/)
    .filter((w) => w !== "")
    .map((w) => {
      const n = /^\d+$/.test(w) ? Number(w) : (byName.get(w.toUpperCase()) ?? byName.get(`SIG${w.toUpperCase()}`));
      if (n === undefined || n < 1 || n > 64) throw badArgument(`setExceptionBreakpoints: "${w}" in the signals condition is not a signal; write names like SIGUSR1 or numbers 1-64`);
      return n;
    });
}

/**
 * A frame's name with what StackFrameFormat asks for (Visual Studio's call-stack options): the
 * parameters (their types, names and values, names and values when none is chosen), the line, the module.
 */
function frameName(
  fn: string,
  f: { source?: { line: number }; image?: { path: string } },
  format: DebugProtocol.StackFrameFormat | undefined,
  args: () => { name: string; value: string; type?: string }[],
): string {
  if (!format) return fn;
  let out = fn;
  const all = format.includeAll === true;
  if (format.parameters || all) {
    const chosen = format.parameterTypes !== undefined || format.parameterNames !== undefined || format.parameterValues !== undefined;
    const types = all || format.parameterTypes === true;
    const names = all || (chosen ? format.parameterNames === true : true);
    const values = all || (chosen ? format.parameterValues === true : true);
    const shown = args().map((a) => [types ? a.type : undefined, names ? a.name : undefined, values ? (names ? `= ${a.value}` : a.value) : undefined].filter((x) => x).join(" "));
    out += `(${shown.join(", ")})`;
  }
  if ((format.line || all) && f.source) out += ` Line ${f.source.line}`;
  if ((format.module || all) && f.image) out += ` [${basename(f.image.path)}]`;
  return out;
}

/** Said with every stop in the past: that it is the past, how far back, and how far history reaches. */
function pastNote(h: HistoryView | undefined): string {
  if (!h?.inPast) return "";
  const reach = h.truncated ? `history reaches back ${h.blocksRecorded} blocks (older history was dropped: historyMegabytes)` : `history reaches back to the start of the recording, ${h.blocksRecorded} blocks`;
  return ` — in the past: ${h.blocksBack} blocks before the present (${reach}); continue to return to it`;
}
