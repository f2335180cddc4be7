/**
 * Answers the adapter's reverse requests (runInTerminal) in a DebugClient, which on its own drops
 * them: `handler` gives the response body, or throws to answer an error.
 */
import type { Writable } from "node:stream";
import type { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";

/** The parts of DebugClient's ProtocolClient (JavaScript-private) that carry messages. */
interface ClientInternals {
  dispatch(body: string): void;
  outputStream: Writable;
}

export function answerReverseRequests(dc: DebugClient, handler: (request: DebugProtocol.Request) => Promise<object | undefined>): DebugProtocol.Request[] {
  const seen: DebugProtocol.Request[] = [];
  const client = dc as unknown as ClientInternals;
  const dispatch = client.dispatch.bind(client);
  client.dispatch = (body: string) => {
    const m = JSON.parse(body) as DebugProtocol.ProtocolMessage;
    if (m.type !== "request") return dispatch(body);
    const request = m as DebugProtocol.Request;
    seen.push(request);
    const reply = (r: Partial<DebugProtocol.Response>) => {
      const json = JSON.stringify({ type: "response", seq: 0, request_seq: request.seq, command: request.command, ...r });
      client.outputStream.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    };
    handler(request).then(
      (body) => reply({ success: true, body }),
      (e: Error) => reply({ success: false, message: e.message }),
    );
  };
  return seen;
}
