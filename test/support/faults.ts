import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Names of the commands that change the table. */
const WRITE_COMMANDS = new Set(["TransactWriteCommand", "PutCommand", "UpdateCommand", "DeleteCommand", "BatchWriteCommand"]);

/** Raised by the fault injector in place of a DynamoDB response. */
export class InjectedFault extends Error {
  override name = "InjectedFault";
}

export interface CrashPlan {
  /** Number of the write call (from 1) at which the process "dies". */
  atWrite: number;
  /** "before": the call never reaches DynamoDB; "after": it is applied but its response is lost. */
  when: "before" | "after";
}

/**
 * Wraps the real document client to simulate a process crash at one write call: that call
 * fails (before or after DynamoDB applies it) and every later call of this client fails too,
 * as nothing runs after a crash. Reads and writes before the crash reach DynamoDB unchanged.
 */
export function crashingClient(real: DynamoDBDocumentClient, plan: CrashPlan) {
  let writes = 0;
  let dead = false;
  const state = { get writes() { return writes; }, get crashed() { return dead; } };

  const client = new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        if (dead) throw new InjectedFault("the process has crashed");
        const number = WRITE_COMMANDS.has(command.constructor.name) ? ++writes : undefined;
        if (number === plan.atWrite && plan.when === "before") {
          dead = true;
          throw new InjectedFault(`crash before write ${number}`);
        }
        const output = await (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
        if (number === plan.atWrite && plan.when === "after") {
          dead = true;
          throw new InjectedFault(`crash after write ${number}`);
        }
        // A call in flight when another one crashed the process never delivers its response.
        if (dead) throw new InjectedFault("the process has crashed");
        return output;
      };
    },
  });
  return { client: client as DynamoDBDocumentClient, state };
}

/**
 * Wraps the real document client to make chosen calls fail with a given AWS error name, as
 * throttling or a transaction conflict would, without a crash: later calls go through.
 */
export function failingClient(real: DynamoDBDocumentClient, shouldFail: (commandName: string, call: number) => string | Error | undefined) {
  let calls = 0;
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        calls++;
        const fault = shouldFail(command.constructor.name, calls);
        if (fault instanceof Error) throw fault;
        if (fault !== undefined) {
          const error = new Error(`injected ${fault}`);
          error.name = fault;
          throw error;
        }
        return (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
      };
    },
  }) as DynamoDBDocumentClient;
}

/** When an injected fault strikes: before the call reaches DynamoDB, or after DynamoDB applied it. */
export type Fault = { before: Error } | { after: Error };

/**
 * Wraps the real document client to inject a fault into chosen calls. `{ before }` fails the
 * call without sending it; `{ after }` sends it, lets DynamoDB apply it, and then fails as if
 * the response was lost. Unlike `crashingClient`, later calls go through.
 */
export function faultyClient(real: DynamoDBDocumentClient, decide: (call: { command: string; number: number; write: number | undefined }) => Fault | undefined) {
  let calls = 0;
  let writes = 0;
  const counts = { get calls() { return calls; }, get writes() { return writes; } };
  const client = new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: { constructor: { name: string } }, ...rest: unknown[]) => {
        const name = command.constructor.name;
        const write = WRITE_COMMANDS.has(name) ? ++writes : undefined;
        const fault = decide({ command: name, number: ++calls, write });
        if (fault !== undefined && "before" in fault) throw fault.before;
        const output = await (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
        if (fault !== undefined && "after" in fault) throw fault.after;
        return output;
      };
    },
  });
  return { client: client as DynamoDBDocumentClient, counts };
}

/** Builds an error as the SDK raises it for a service error name such as `ThrottlingException`. */
export function awsError(name: string): Error {
  return Object.assign(new Error(`injected ${name}`), { name, $fault: name === "InternalServerError" ? "server" : "client" });
}

/** Builds the error of a cancelled `TransactWriteItems` whose first action met a concurrent transaction. */
export function conflictError(): Error {
  return Object.assign(new Error("injected transaction conflict"), {
    name: "TransactionCanceledException",
    CancellationReasons: [{ Code: "TransactionConflict" }],
  });
}

/** Builds a socket error as Node raises it, such as `ECONNRESET` for a connection the peer dropped. */
export function socketError(code: string): Error {
  return Object.assign(new Error(`injected socket error ${code}`), { code });
}

/** Builds the SDK's error for a request that exceeded its `requestTimeout`. */
export function timeoutError(): Error {
  return Object.assign(new Error("injected request timeout"), { name: "TimeoutError", code: "ETIMEDOUT" });
}

/** Builds the error of a request whose abort signal fired. */
export function abortError(): Error {
  return Object.assign(new Error("injected abort"), { name: "AbortError" });
}
