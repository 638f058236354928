// Calling a bulk endpoint as the contract (packages/contract/src/operations.ts) describes: a
// set that fits in one chunk is answered 200/201 with its result; a larger one 202 with
// { operation } and a Location, followed with GET /api/v1/operations/:id until it ends.
import { setTimeout as sleep } from 'node:timers/promises';

/** The server has no such route (yet): answered 404 ROUTE_UNKNOWN. */
export class NotAvailable extends Error {}

function parse(body) {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

const describe = (res, data) =>
  data?.error
    ? `${data.error.code}: ${data.error.message}`
    : res.body.toString('utf8').slice(0, 300);

/**
 * Sends the request and resolves once the work has ended, with { status, operation, result }:
 * `operation` is null for an immediate answer, else { id, total, polls } of the operation
 * followed; `result` is the endpoint's result body either way. Rejects with NotAvailable for
 * an unknown route, and with an Error for any other answer or a failed operation.
 */
export async function bulkRequest(client, method, target, json, { pollMs = 200, timeoutMs }) {
  const deadline = Date.now() + timeoutMs;
  const res = await client.request(method, target, { json, timeoutMs });
  const data = parse(res.body);
  if (res.status === 404 && data?.error?.code === 'ROUTE_UNKNOWN') {
    throw new NotAvailable(`not available (404): ${method} ${target}`);
  }
  if (res.status === 200 || res.status === 201) {
    return { status: res.status, operation: null, result: data };
  }
  if (res.status !== 202 || !data?.operation?.id) {
    throw new Error(`${method} ${target} -> ${res.status}: ${describe(res, data)}`);
  }
  let operation = data.operation;
  const location = res.headers.location ?? `/api/v1/operations/${encodeURIComponent(operation.id)}`;
  let polls = 0;
  while (operation.state === 'running') {
    if (Date.now() > deadline) {
      throw new Error(
        `operation ${operation.id} (${operation.kind}) still running after ${timeoutMs / 1000} s: ` +
          `${operation.done} of ${operation.total} done`,
      );
    }
    await sleep(pollMs);
    const poll = await client.request('GET', location, {
      timeoutMs: Math.max(1000, deadline - Date.now()),
    });
    const polled = parse(poll.body);
    if (poll.status !== 200) {
      throw new Error(`GET ${location} -> ${poll.status}: ${describe(poll, polled)}`);
    }
    operation = polled?.operation ?? polled;
    polls++;
  }
  if (operation.state !== 'succeeded') {
    const why = operation.error
      ? `${operation.error.code}: ${operation.error.message}`
      : operation.state;
    throw new Error(`operation ${operation.id} (${operation.kind}) ${operation.state}: ${why}`);
  }
  return {
    status: 202,
    operation: { id: operation.id, kind: operation.kind, total: operation.total, polls },
    result: operation.result,
  };
}
